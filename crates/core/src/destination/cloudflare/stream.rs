//! Cloudflare Stream as a [`VideoStore`]: tus uploads created on
//! `POST /accounts/{id}/stream` (the video uid comes from `stream-media-id`), chunks sent to the
//! upload URL it returns (followed wherever it points; the API token goes with them only to the
//! API's own origin and to https hosts under cloudflare.com, see [`token_scope`]),
//! processing read from `GET /stream/{uid}`, signed playback through `POST /stream/{uid}/token`.

use super::api::{Api, Naming, Product, failure};
use crate::captions::Caption;
use crate::destination::{
    FileRange, Processing, VideoDownload, VideoEdit, VideoSpec, VideoStore, VideoUpload,
};
use crate::{Error, ErrorKind, Result};
use async_trait::async_trait;
use ferry_tus::{ChunkPolicy, Client, Metadata, TusError};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

/// A ready video's links by name: HLS, DASH, thumbnail, watch page and player.
pub(super) fn links_of(v: &Value) -> BTreeMap<String, String> {
    let mut links = BTreeMap::new();
    for (name, value) in [
        ("hls", &v["playback"]["hls"]),
        ("dash", &v["playback"]["dash"]),
        ("thumbnail", &v["thumbnail"]),
        ("watch", &v["preview"]),
    ] {
        if let Some(s) = value.as_str() {
            links.insert(name.to_string(), s.to_string());
        }
    }
    if let Some(hls) = links.get("hls")
        && let Some(base) = hls.strip_suffix("/manifest/video.m3u8")
    {
        links.insert("iframe".into(), format!("{base}/iframe"));
    }
    links
}

/// Stream's largest video (30 GB).
pub const MAX_VIDEO: u64 = 30_000_000_000;

/// Upload options from settings.
#[derive(Debug, Clone, Default)]
pub struct StreamOptions {
    /// Origins allowed to embed the player (seed 000 adds the app's origins).
    pub allowed_origins: Vec<String>,
    pub require_signed_urls: bool,
    pub max_duration_seconds: Option<u32>,
    pub thumbnail_timestamp_pct: Option<f32>,
    /// Delete videos this many days after upload (30 to 1096).
    pub scheduled_deletion_days: Option<u32>,
    /// Preferred chunk size in bytes (rounded to Stream's rules).
    pub chunk_bytes: Option<u64>,
}

pub struct StreamDestination {
    name: String,
    api: Api,
    tus: Client,
    options: StreamOptions,
}

impl StreamDestination {
    pub fn new(name: &str, api: Api, options: StreamOptions) -> Self {
        let tus = Client::new(Client::default_http()).with_scoped_headers(
            ferry_tus::headers(&[("authorization", &format!("Bearer {}", api.token().expose()))]),
            token_scope(&api.base),
        );
        StreamDestination {
            name: name.to_string(),
            api,
            tus,
            options,
        }
    }

    fn metadata(&self, spec: &VideoSpec) -> Metadata {
        // `filename` and `filetype` land in the video's `meta`, as tus-js-client's do.
        let mut m = Metadata::new()
            .with("name", &spec.name)
            .with("filename", &spec.file_name)
            .with("filetype", &spec.content_type)
            .with("ferryhash", &spec.hash);
        // Keys Stream does not know land in the video's `meta` (api-facts B.2).
        if let Some(course) = &spec.course {
            m = m.with("course", course);
        }
        if !self.options.allowed_origins.is_empty() {
            m = m.with("allowedorigins", &self.options.allowed_origins.join(","));
        }
        if self.options.require_signed_urls {
            m = m.flag("requiresignedurls");
        }
        // The stricter of the destination's setting and the video's own (its course's limit).
        let max = match (self.options.max_duration_seconds, spec.max_duration_seconds) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(secs) = max {
            m = m.with("maxdurationseconds", &secs.to_string());
        }
        if let Some(pct) = self.options.thumbnail_timestamp_pct {
            m = m.with("thumbnailtimestamppct", &pct.to_string());
        }
        if let Some(days) = self.options.scheduled_deletion_days {
            let when = scheduled_deletion(chrono::Utc::now(), days);
            m = m.with(
                "scheduleddeletion",
                &when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        }
        m
    }

    pub(super) fn api(&self) -> &Api {
        &self.api
    }

    /// `link` as it plays for students: as it is, or, when the account's settings or this
    /// video (made private after upload) require signed URLs, with a playback token in place
    /// of the video's id, valid for `expires` (at most 24 hours).
    async fn signed_if_private(
        &self,
        media_id: &str,
        video: &Value,
        link: String,
        expires: Duration,
    ) -> Result<String> {
        let signed = self.options.require_signed_urls || video["requireSignedURLs"] == json!(true);
        if !signed {
            return Ok(link);
        }
        let secs = expires.as_secs().clamp(60, 24 * 3600);
        let exp = chrono::Utc::now().timestamp() + secs as i64;
        let req = self
            .api
            .http
            .post(self.api.account_url(&format!("stream/{media_id}/token")))
            .json(&json!({ "exp": exp }));
        let result = self
            .api
            .call(req, Product::Stream, "signing a playback link")
            .await?;
        let token = result["token"]
            .as_str()
            .ok_or_else(|| Error::protocol("Cloudflare Stream returned no token"))?;
        Ok(link.replacen(media_id, token, 1))
    }

    async fn video(&self, uid: &str, what: &str) -> Result<Value> {
        let req = self
            .api
            .http
            .get(self.api.account_url(&format!("stream/{uid}")));
        self.api.call(req, Product::Stream, what).await
    }
}

/// How far from Stream's limits a scheduled deletion stays. Stream wants it 30 to 1,096 days
/// after the video's `created`, which its clock sets after this request leaves: `now + 30 days`
/// written to the second would land short of 30 days (api-facts B.2).
const DELETION_MARGIN: chrono::Duration = chrono::Duration::hours(1);

/// The deletion time for a video uploaded `now`, `days` days on, kept inside Stream's window
/// with [`DELETION_MARGIN`] on either side.
fn scheduled_deletion(
    now: chrono::DateTime<chrono::Utc>,
    days: u32,
) -> chrono::DateTime<chrono::Utc> {
    let earliest = now + chrono::Duration::days(30) + DELETION_MARGIN;
    let latest = now + chrono::Duration::days(1096) - DELETION_MARGIN;
    (now + chrono::Duration::days(i64::from(days))).clamp(earliest, latest)
}

/// Where the API token may go. Cloudflare answers a tus creation made with the token with a
/// `Location` on another of its hosts (seen: `edge-production.gateway.api.cloudflare.com`),
/// which refuses PATCH and HEAD without the token; its own tus examples send the token with
/// every request (api-facts B.1). So: the API's origin, https hosts under `cloudflare.com`, and,
/// for an API on loopback (ferry-cloudsim), its other local ports. Never any other host, so a
/// tokenless `direct_user` URL (upload.videodelivery.net) never sees it.
pub(crate) fn token_scope(api_base: &Url) -> ferry_tus::HeaderScope {
    ferry_tus::HeaderScope::origin(api_base)
        .and_https_domain("cloudflare.com")
        .and_loopback_when_local(api_base)
}

/// Map a tus failure to an engine error.
fn tus_error(err: TusError, what: &str, naming: &Naming) -> Error {
    mapped(&err, what, naming).with_source(err)
}

fn mapped(err: &TusError, what: &str, naming: &Naming) -> Error {
    match err {
        TusError::Network(m) => Error::new(
            ErrorKind::Network,
            format!("Cloudflare Stream: the connection failed while {what} ({m})"),
        ),
        TusError::Gone(code) => Error::new(
            ErrorKind::NotFound,
            format!("Cloudflare Stream: the upload is gone (HTTP {code}) while {what}"),
        ),
        TusError::OffsetMismatch => Error::new(
            ErrorKind::Precondition,
            format!("Cloudflare Stream: the server's offset differs from ours while {what}"),
        ),
        TusError::Status {
            status,
            body,
            retry_after,
        } => {
            let errors: Vec<(u64, String)> = serde_json::from_str::<Value>(body)
                .ok()
                .filter(|v| v.get("errors").is_some())
                .map(|v| super::api::error_items(&v))
                .unwrap_or_else(|| {
                    let text = body.trim();
                    if text.is_empty() {
                        vec![]
                    } else {
                        vec![(0, text.chars().take(300).collect())]
                    }
                });
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
            failure(status, &errors, Product::Stream, what, naming)
                .with_retry_after(retry_after.map(Duration::from_secs))
        }
        TusError::Protocol(m) => Error::protocol(format!(
            "Cloudflare Stream broke the tus protocol while {what}: {m}"
        )),
        TusError::File(e) => Error::new(
            ErrorKind::Io,
            format!("reading the file failed while {what}: {e}"),
        ),
    }
}

fn parse_url(text: &str) -> Result<Url> {
    Url::parse(text).map_err(|e| Error::protocol(format!("bad upload URL {text:?}: {e}")))
}

#[async_trait]
impl VideoStore for StreamDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        format!("stream|{}|{}", self.api.base, self.api.account_id)
    }

    fn chunks(&self) -> ChunkPolicy {
        match self.options.chunk_bytes {
            Some(b) => ChunkPolicy::STREAM.preferring(b),
            None => ChunkPolicy::STREAM,
        }
    }

    fn max_size(&self) -> u64 {
        MAX_VIDEO
    }

    fn requires_signed_urls(&self) -> bool {
        self.options.require_signed_urls
    }

    async fn create(&self, spec: &VideoSpec) -> Result<VideoUpload> {
        let what = format!("creating the upload of {}", spec.name);
        let created = self
            .tus
            .create(
                &self.api.account_url("stream"),
                spec.size,
                &self.metadata(spec),
                &HeaderMap::new(),
            )
            .await
            .map_err(|e| tus_error(e, &what, self.api.naming()))?;
        // The uid comes from this header; the Location is a tokenised URL not to be parsed.
        let media_id = created
            .headers
            .get("stream-media-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                Error::protocol(
                    "Cloudflare Stream created the upload without a stream-media-id header",
                )
            })?
            .to_string();
        Ok(VideoUpload {
            upload_url: created.url.to_string(),
            media_id,
        })
    }

    async fn offset(&self, upload_url: &str) -> Result<Option<u64>> {
        match self.tus.status(&parse_url(upload_url)?).await {
            Ok(s) => Ok(Some(s.offset)),
            Err(TusError::Gone(_)) => Ok(None),
            // A garbled reply stays a protocol error: the scheduler asks again, as it does
            // for any question.
            Err(e) => Err(tus_error(
                e,
                "asking how much of the video arrived",
                self.api.naming(),
            )),
        }
    }

    async fn send(&self, upload_url: &str, offset: u64, body: FileRange) -> Result<u64> {
        self.tus
            .patch(&parse_url(upload_url)?, offset, body.into())
            .await
            .map_err(|e| tus_error(e, &format!("sending bytes {offset}+"), self.api.naming()))
    }

    async fn abandon(&self, upload: &VideoUpload) -> Result<()> {
        if let Ok(url) = parse_url(&upload.upload_url) {
            let _ = self.tus.terminate(&url).await;
        }
        match self.delete(&upload.media_id).await {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    async fn processing(&self, media_id: &str) -> Result<Processing> {
        let v = self
            .video(media_id, "checking the video's processing")
            .await?;
        let state = v["status"]["state"].as_str().unwrap_or("").to_string();
        if state == "error" {
            return Ok(Processing::Failed {
                code: v["status"]["errorReasonCode"]
                    .as_str()
                    .unwrap_or("ERR_UNKNOWN")
                    .to_string(),
                text: v["status"]["errorReasonText"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            });
        }
        if v["readyToStream"].as_bool() == Some(true) {
            return Ok(Processing::Ready {
                links: links_of(&v),
            });
        }
        let pct = v["status"]["pctComplete"]
            .as_str()
            .and_then(|p| p.parse::<f32>().ok());
        Ok(Processing::Pending { state, pct })
    }

    async fn delete(&self, media_id: &str) -> Result<()> {
        self.api
            .delete(
                self.api.account_url(&format!("stream/{media_id}")),
                Product::Stream,
                "deleting the video",
            )
            .await
    }

    async fn url(&self, media_id: &str, expires: Duration) -> Result<String> {
        let v = self.video(media_id, "reading the playback URL").await?;
        let hls = v["playback"]["hls"]
            .as_str()
            .ok_or_else(|| {
                Error::protocol("Cloudflare Stream returned a video without playback URLs")
            })?
            .to_string();
        self.signed_if_private(media_id, &v, hls, expires).await
    }

    fn has_captions(&self) -> bool {
        true
    }

    fn live(&self) -> Option<&dyn crate::destination::LiveInputs> {
        Some(self)
    }

    async fn captions(&self, media_id: &str) -> Result<Vec<Caption>> {
        self.list_captions(media_id).await
    }

    async fn put_caption(&self, media_id: &str, language: &str, webvtt: String) -> Result<Caption> {
        self.upload_caption(media_id, language, webvtt).await
    }

    async fn generate_caption(&self, media_id: &str, language: &str) -> Result<Caption> {
        self.ask_captions(media_id, language).await
    }

    async fn delete_caption(&self, media_id: &str, language: &str) -> Result<()> {
        self.remove_caption(media_id, language).await
    }

    async fn one_time_upload(
        &self,
        spec: &crate::request::OneTimeSpec,
    ) -> Result<crate::request::OneTimeUpload> {
        self.direct_upload(spec).await
    }

    async fn sent_by(&self, creator: &str) -> Result<Vec<crate::request::Arrival>> {
        self.videos_sent_by(creator).await
    }

    async fn drop_unused_uploads(&self, creator: &str) -> Result<usize> {
        self.drop_pending(creator).await
    }

    async fn set_download(&self, media_id: &str, on: bool) -> Result<Option<VideoDownload>> {
        let url = self
            .api
            .account_url(&format!("stream/{media_id}/downloads"));
        if !on {
            self.api
                .delete(url, Product::Stream, "removing the MP4 download")
                .await?;
            return Ok(None);
        }
        let req = self.api.http.post(url);
        let made = self
            .api
            .call(req, Product::Stream, "making the MP4 download")
            .await?;
        let Some(link) = made["default"]["url"].as_str() else {
            return Ok(None);
        };
        // A private video's download wants a token too.
        let video = self.video(media_id, "reading the video").await?;
        let url = self
            .signed_if_private(
                media_id,
                &video,
                link.to_string(),
                Duration::from_secs(24 * 3600),
            )
            .await?;
        Ok(Some(VideoDownload {
            ready: made["default"]["status"] == "ready",
            url,
        }))
    }

    async fn edit_video(&self, media_id: &str, edit: &VideoEdit) -> Result<()> {
        let v = self.video(media_id, "reading the video").await?;
        let mut body = serde_json::Map::new();
        if let Some(signed) = edit.require_signed_urls {
            body.insert("requireSignedURLs".into(), json!(signed));
        }
        if let Some(origins) = &edit.allowed_origins {
            body.insert("allowedOrigins".into(), json!(origins));
        }
        if let Some(pct) = edit.thumbnail_pct {
            body.insert("thumbnailTimestampPct".into(), json!(pct));
        }
        if let Some(days) = edit.delete_after_days {
            let when = days.map(|d| {
                let created = v["created"]
                    .as_str()
                    .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
                    .map(|c| c.with_timezone(&chrono::Utc))
                    .unwrap_or_else(chrono::Utc::now);
                scheduled_deletion(created, d).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            });
            body.insert("scheduledDeletion".into(), json!(when));
        }
        if let Some(title) = &edit.title {
            // The whole of `meta` goes back, with the new name.
            let mut meta = v["meta"].as_object().cloned().unwrap_or_default();
            meta.insert("name".into(), json!(title));
            body.insert("meta".into(), Value::Object(meta));
        }
        if body.is_empty() {
            return Ok(());
        }
        let req = self
            .api
            .http
            .post(self.api.account_url(&format!("stream/{media_id}")))
            .json(&Value::Object(body));
        self.api
            .call(req, Product::Stream, "changing the video's settings")
            .await
            .map(|_| ())
    }
}

#[async_trait]
impl crate::destination::LiveInputs for StreamDestination {
    async fn create_live(
        &self,
        new: &crate::live::NewLiveLesson,
    ) -> Result<(crate::live::LiveLesson, crate::live::LiveIngest)> {
        StreamDestination::create_live(self, new).await
    }

    async fn live_lessons(&self) -> Result<Vec<crate::live::LiveLesson>> {
        self.list_live().await
    }

    async fn live_lesson(
        &self,
        uid: &str,
    ) -> Result<(crate::live::LiveLesson, crate::live::LiveIngest)> {
        self.get_live(uid).await
    }

    async fn rename_live(&self, uid: &str, name: &str) -> Result<crate::live::LiveLesson> {
        StreamDestination::rename_live(self, uid, name).await
    }

    async fn delete_live(&self, uid: &str) -> Result<()> {
        StreamDestination::delete_live(self, uid).await
    }

    async fn recordings(&self, uid: &str) -> Result<Vec<crate::live::Recording>> {
        self.live_recordings(uid).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stream's tus failures follow the one retry rule: temporary exactly when
    /// `ferry_tus::decide` says retry, whatever the status.
    #[test]
    fn tus_failures_follow_the_one_retry_rule() {
        for status in 200..=599u16 {
            let err = TusError::Status {
                status,
                body: String::new(),
                retry_after: None,
            };
            let retry = ferry_tus::decide(&err) == ferry_tus::Decision::Retry;
            assert_eq!(
                tus_error(err, "x", &Naming::default()).is_temporary(),
                retry,
                "HTTP {status}"
            );
        }
        for err in [
            TusError::Network("reset".into()),
            TusError::Gone(410),
            TusError::OffsetMismatch,
            TusError::Protocol("garbled".into()),
        ] {
            let retry = ferry_tus::decide(&err) == ferry_tus::Decision::Retry;
            let kind = tus_error(err, "x", &Naming::default()).kind();
            assert_eq!(kind.is_temporary(), retry, "{kind:?}");
        }
    }

    #[test]
    fn scheduled_deletion_stays_inside_streams_window_with_a_margin() {
        let now = chrono::Utc::now();
        let at_30 = scheduled_deletion(now, 30);
        assert!(at_30 - now >= chrono::Duration::days(30) + DELETION_MARGIN);
        let at_1096 = scheduled_deletion(now, 1096);
        assert!(at_1096 - now <= chrono::Duration::days(1096) - DELETION_MARGIN);
        assert_eq!(
            scheduled_deletion(now, 90) - now,
            chrono::Duration::days(90)
        );
    }

    #[test]
    fn the_token_goes_to_cloudflare_upload_hosts_over_https_only() {
        let api = Url::parse("https://api.cloudflare.com/client/v4").unwrap();
        let scope = token_scope(&api);
        for (url, expected) in [
            (
                "https://edge-production.gateway.api.cloudflare.com/client/v4/accounts/a/media/u?tusv2=true",
                true,
            ),
            (
                "https://api.cloudflare.com/client/v4/accounts/a/stream/u",
                true,
            ),
            ("http://edge-production.gateway.api.cloudflare.com/x", false),
            ("https://upload.videodelivery.net/tus/u?tusv2=true", false),
            ("https://uploads.example.com/tus/u", false),
            ("http://127.0.0.1:8788/tus/u", false),
        ] {
            assert_eq!(scope.covers(&Url::parse(url).unwrap()), expected, "{url}");
        }
    }
}
