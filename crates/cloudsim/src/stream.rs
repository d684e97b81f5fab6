//! Cloudflare Stream: tus creation and basic (multipart) uploads on `POST /stream`, get, list,
//! delete, and signed playback tokens. A video moves pendingupload → queued → inprogress →
//! ready on a timer once its last byte arrives (or to error, with `ERR_NON_VIDEO`, when the bytes
//! are not a video). Upload-Metadata keys are matched case-insensitively, as Cloudflare does.

use crate::auth::{Scope, require};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::{Sim, now_rfc3339, random_hex32};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// Above this a video must go through tus.
pub const BASIC_MAX: u64 = 200 * 1000 * 1000;
/// Stream's largest video.
pub const MAX_VIDEO: u64 = 30 * 1000 * 1000 * 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VideoRecord {
    pub uid: String,
    pub created: String,
    pub modified: String,
    /// When the last byte arrived.
    pub uploaded: Option<String>,
    pub meta: Map<String, Value>,
    pub creator: Option<String>,
    /// Upload-Length.
    pub size: u64,
    /// Bytes received (whole chunks only).
    pub offset: u64,
    pub require_signed: bool,
    pub allowed_origins: Vec<String>,
    pub thumbnail_pct: f64,
    pub scheduled_deletion: Option<String>,
    pub max_duration: Option<i64>,
    pub upload_expiry: String,
    /// Decided when the upload completes: do the bytes look like a video?
    pub is_video: Option<bool>,
    /// Created with `direct_user=true`: its upload URL is the credential, no token needed.
    #[serde(default)]
    pub direct_user: bool,
    /// Caption tracks, one per language.
    #[serde(default)]
    pub captions: Vec<crate::captions::CaptionRecord>,
    /// The live input that recorded it, for a live lesson's recording.
    #[serde(default)]
    pub live_input: Option<String>,
    /// When its MP4 download was asked for, if it was.
    #[serde(default)]
    pub download: Option<String>,
    /// Seconds, read from the container when the upload completed (`None`: not an MP4).
    #[serde(default)]
    pub duration: Option<f64>,
}

impl VideoRecord {
    /// The processing state now: (state, pctComplete, ready).
    fn progress(&self, sim: &Sim) -> (&'static str, String, bool) {
        let Some(uploaded) = self
            .uploaded
            .as_deref()
            .and_then(|u| chrono::DateTime::parse_from_rfc3339(u).ok())
        else {
            return ("pendingupload", "0".into(), false);
        };
        if self.failure().is_some() {
            return ("error", "0".into(), false);
        }
        let elapsed = (chrono::Utc::now() - uploaded.with_timezone(&chrono::Utc))
            .to_std()
            .unwrap_or_default();
        let total = sim.config.processing;
        if elapsed >= total {
            ("ready", "100.000000".into(), true)
        } else if elapsed < total / 3 {
            ("queued", "0".into(), false)
        } else {
            let pct = elapsed.as_secs_f64() / total.as_secs_f64() * 100.0;
            ("inprogress", format!("{pct:.6}"), false)
        }
    }

    /// Why processing fails, if it does: Stream's `errorReasonCode` and text (api-facts B.5).
    fn failure(&self) -> Option<(&'static str, &'static str)> {
        if self.is_video == Some(false) {
            return Some((
                "ERR_NON_VIDEO",
                "The file was not recognized as a valid video file.",
            ));
        }
        match (self.max_duration, self.duration) {
            (Some(max), Some(d)) if d > max as f64 => Some((
                "ERR_DURATION_EXCEED_CONSTRAINT",
                "The video's duration is longer than the maximum duration allowed (maxDurationSeconds).",
            )),
            _ => None,
        }
    }

    /// Whether the video is ready to stream.
    pub fn is_ready(&self, sim: &Sim) -> bool {
        self.progress(sim).2
    }

    fn ready_at(&self, sim: &Sim) -> Option<String> {
        let uploaded = chrono::DateTime::parse_from_rfc3339(self.uploaded.as_deref()?).ok()?;
        let at = uploaded.with_timezone(&chrono::Utc)
            + chrono::Duration::from_std(sim.config.processing).ok()?;
        Some(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }

    pub fn to_json(&self, sim: &Sim) -> Value {
        let (state, pct, ready) = self.progress(sim);
        let delivery = format!("{}/stream-delivery/{}", sim.base, self.uid);
        let mut status = json!({"state": state, "pctComplete": pct, "errorReasonCode": "", "errorReasonText": ""});
        if let Some((code, text)) = self.failure().filter(|_| state == "error") {
            status["errorReasonCode"] = json!(code);
            status["errorReasonText"] = json!(text);
            status["step"] = json!("encoding");
        } else if state == "inprogress" {
            status["step"] = json!("encoding");
        }
        let mut v = json!({
            "uid": self.uid,
            "created": self.created,
            "modified": self.modified,
            "meta": self.meta,
            "duration": if ready { self.duration.unwrap_or(-1.0) } else { -1.0 },
            "input": {"width": -1, "height": -1},
            "size": self.size,
            "readyToStream": ready,
            "status": status,
            "playback": {
                "hls": format!("{delivery}/manifest/video.m3u8"),
                "dash": format!("{delivery}/manifest/video.mpd"),
            },
            "thumbnailTimestampPct": self.thumbnail_pct,
            "requireSignedURLs": self.require_signed,
            "allowedOrigins": self.allowed_origins,
            "uploadExpiry": self.upload_expiry,
        });
        if let Some(u) = &self.uploaded {
            v["uploaded"] = json!(u);
        }
        if ready {
            // When it became playable: processing ends `processing` after the last byte.
            v["readyToStreamAt"] = json!(self.ready_at(sim));
            v["preview"] = json!(format!("{delivery}/watch"));
            v["thumbnail"] = json!(format!("{delivery}/thumbnails/thumbnail.jpg"));
        }
        if let Some(c) = &self.creator {
            v["creator"] = json!(c);
        }
        if let Some(d) = &self.scheduled_deletion {
            v["scheduledDeletion"] = json!(d);
        }
        if let Some(m) = self.max_duration {
            v["maxDurationSeconds"] = json!(m);
        }
        if let Some(l) = &self.live_input {
            v["liveInput"] = json!(l);
        }
        v
    }
}

/// Read a video record. A video whose upload expired unfinished is gone, as on Cloudflare.
pub fn find(sim: &Sim, uid: &str) -> Option<VideoRecord> {
    let record = sim
        .videos
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(uid)
        .cloned()?;
    (!expired(&record)).then_some(record)
}

/// An upload not finished by its `uploadExpiry`.
pub fn expired(record: &VideoRecord) -> bool {
    record.uploaded.is_none()
        && chrono::DateTime::parse_from_rfc3339(&record.upload_expiry)
            .is_ok_and(|e| e < chrono::Utc::now())
}

/// Write a video record (memory and disk).
pub fn save(sim: &Sim, record: VideoRecord) -> std::io::Result<()> {
    sim.store.save("stream", &record.uid, &record)?;
    sim.videos
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(record.uid.clone(), record);
    Ok(())
}

/// A finished recording of `input`, ready to play (what Stream makes once a live lesson
/// ends with recording on); returns its uid.
pub fn recording_of(sim: &Sim, input: &crate::live::LiveInputRecord) -> std::io::Result<String> {
    let mut record = new_record(0, sim.config.upload_expiry);
    // Uploaded long enough ago to be ready now.
    let then = chrono::Utc::now()
        - chrono::Duration::from_std(sim.config.processing).unwrap_or_default()
        - chrono::Duration::seconds(1);
    record.uploaded = Some(then.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    record.is_video = Some(true);
    let bytes: Vec<u8> = [
        &24u32.to_be_bytes()[..],
        b"ftypisom",
        &[0u8; 12],
        b"recording",
    ]
    .concat();
    std::fs::write(blob(sim, &record.uid), &bytes)?;
    record.size = bytes.len() as u64;
    record.offset = record.size;
    let name = input
        .meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("Live lesson");
    record
        .meta
        .insert("name".into(), json!(format!("{name} (recording)")));
    record.creator = input.default_creator.clone();
    record.require_signed = input.require_signed;
    record.allowed_origins = input.allowed_origins.clone();
    if let Some(days) = input.delete_after_days {
        let at = chrono::Utc::now() + chrono::Duration::days(days as i64);
        record.scheduled_deletion = Some(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    record.live_input = Some(input.uid.clone());
    let uid = record.uid.clone();
    save(sim, record)?;
    Ok(uid)
}

pub fn blob(sim: &Sim, uid: &str) -> std::path::PathBuf {
    sim.store.blob("stream", uid)
}

/// Whether the first bytes of a file look like a video container.
pub fn sniff_video(head: &[u8]) -> bool {
    infer::get(head).is_some_and(|k| k.matcher_type() == infer::MatcherType::Video)
}

pub(crate) fn new_record(size: u64, expiry: std::time::Duration) -> VideoRecord {
    let now = now_rfc3339();
    VideoRecord {
        uid: random_hex32(),
        created: now.clone(),
        modified: now,
        uploaded: None,
        meta: Map::new(),
        creator: None,
        size,
        offset: 0,
        require_signed: false,
        allowed_origins: Vec::new(),
        thumbnail_pct: 0.0,
        scheduled_deletion: None,
        max_duration: None,
        upload_expiry: (chrono::Utc::now()
            + chrono::Duration::from_std(expiry).unwrap_or(chrono::Duration::days(1)))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        is_video: None,
        direct_user: false,
        captions: Vec::new(),
        live_input: None,
        download: None,
        duration: None,
    }
}

/// The emulator's own storage failed: Cloudflare's internal error, 10002.
pub(crate) fn internal(e: std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        10002,
        format!("storage failed: {e}"),
    )
}

/// The video `uid`, or Stream's 404 (10003).
pub(crate) fn video_or_404(sim: &Sim, uid: &str) -> Result<VideoRecord, ApiError> {
    find(sim, uid).ok_or_else(|| ApiError::not_found(10003, "Not Found"))
}

/// `POST /accounts/{account_id}/stream`: tus creation (with `Tus-Resumable`) or a basic
/// multipart upload.
pub async fn create(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    if headers.contains_key("tus-resumable") {
        let direct_user = request
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .any(|p| p.eq_ignore_ascii_case("direct_user=true"));
        return tus_create(&sim, &headers, direct_user);
    }
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_form {
        return Err(ApiError::bad_request(
            10005,
            "Send a tus creation request (Tus-Resumable) or a multipart/form-data body with a file field",
        ));
    }
    use axum::extract::FromRequest;
    let form = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::bad_request(10005, format!("malformed multipart body: {e}")))?;
    basic_upload(&sim, form, headers.get("upload-creator")).await
}

fn tus_create(sim: &Sim, headers: &HeaderMap, direct_user: bool) -> ApiResult {
    let version = headers.get("tus-resumable").and_then(|v| v.to_str().ok());
    if version != Some("1.0.0") {
        let mut resp = (StatusCode::PRECONDITION_FAILED, "unsupported tus version").into_response();
        resp.headers_mut()
            .insert("tus-version", HeaderValue::from_static("1.0.0"));
        return Ok(resp);
    }
    let length: u64 = headers
        .get("upload-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                10005,
                "Upload-Length header is required and must be a number",
            )
        })?;
    if length > MAX_VIDEO {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            10005,
            "Upload-Length is over the 30 GB limit",
        ));
    }
    let mut record = new_record(length, sim.config.upload_expiry);
    if let Some(meta) = headers.get("upload-metadata").and_then(|v| v.to_str().ok()) {
        crate::stream_meta::apply_metadata(&mut record, meta)?;
    }
    if let Some(c) = headers.get("upload-creator").and_then(|v| v.to_str().ok()) {
        record.creator = Some(c.chars().take(64).collect());
    }
    if length == 0 {
        record.uploaded = Some(now_rfc3339());
        record.is_video = Some(false);
    }
    record.direct_user = direct_user;
    std::fs::File::create(blob(sim, &record.uid)).map_err(internal)?;
    let uid = record.uid.clone();
    let expires = crate::tus::http_date(&record.upload_expiry);
    save(sim, record).map_err(internal)?;
    // On the upload origin, not the API's: Cloudflare names another host (api-facts B.1).
    let location = format!("{}/tus/{uid}?tusv2=true", sim.upload_base);
    let mut resp = StatusCode::CREATED.into_response();
    let h = resp.headers_mut();
    h.insert("tus-resumable", HeaderValue::from_static("1.0.0"));
    // tus expiration: the creation reply says when an unfinished upload goes (api-facts E.2).
    if let Some(v) = expires.and_then(|e| HeaderValue::from_str(&e).ok()) {
        h.insert("upload-expires", v);
    }
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert("location", v);
    }
    if let Ok(v) = HeaderValue::from_str(&uid) {
        h.insert("stream-media-id", v);
    }
    h.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("Location, stream-media-id, Tus-Resumable"),
    );
    Ok(resp)
}

async fn basic_upload(sim: &Sim, form: Multipart, creator: Option<&HeaderValue>) -> ApiResult {
    let mut record = new_record(0, sim.config.upload_expiry);
    record.creator = creator
        .and_then(|c| c.to_str().ok())
        .map(|c| c.chars().take(64).collect());
    let record = receive(sim, form, record).await?;
    Ok(ok(record.to_json(sim)))
}

/// Take a basic upload's `file` field into `record` (at most 200 MB), named after the file
/// unless it has a name, and keep it.
pub(crate) async fn receive(
    sim: &Sim,
    mut form: Multipart,
    mut record: VideoRecord,
) -> Result<VideoRecord, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(10005, format!("malformed multipart body: {e}"))
    };
    let mut got_file = false;
    let path = blob(sim, &record.uid);
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("video").to_string();
        record.meta.entry("name").or_insert_with(|| json!(name));
        let mut out = tokio::fs::File::create(&path).await.map_err(internal)?;
        let mut size = 0u64;
        let mut head = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            size += chunk.len() as u64;
            if size > BASIC_MAX {
                drop(out);
                let _ = std::fs::remove_file(&path);
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    10005,
                    "Basic uploads are limited to 200 MB; use tus for larger videos",
                ));
            }
            if head.len() < 8192 {
                head.extend_from_slice(&chunk[..chunk.len().min(8192 - head.len())]);
            }
            out.write_all(&chunk).await.map_err(internal)?;
        }
        out.sync_all().await.map_err(internal)?;
        record.size = size;
        record.offset = size;
        record.uploaded = Some(now_rfc3339());
        record.is_video = Some(sniff_video(&head));
        record.duration = crate::mp4::duration(&path);
        got_file = true;
    }
    if !got_file {
        return Err(ApiError::bad_request(10005, "the form needs a file field"));
    }
    save(sim, record.clone()).map_err(internal)?;
    Ok(record)
}

/// `GET /accounts/{account_id}/stream/{uid}`.
pub async fn get(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let record = find(&sim, &uid).ok_or_else(|| ApiError::not_found(10003, "Not Found"))?;
    Ok(ok(record.to_json(&sim)))
}

/// The list's query, as Cloudflare's SDK sends it (cloudflare-python 5.x
/// `types/stream/stream_list_params.py`; OAS24 `stream-videos-list-videos`): `after`/`start`
/// and `before`/`end` bound `created`, `limit` is 1 to 1,000.
#[derive(Deserialize)]
pub struct ListQuery {
    search: Option<String>,
    asc: Option<bool>,
    limit: Option<i64>,
    after: Option<String>,
    start: Option<String>,
    before: Option<String>,
    end: Option<String>,
    creator: Option<String>,
    status: Option<String>,
}

fn instant(name: &str, text: Option<&String>) -> Result<Option<String>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            Some(
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )
        })
        .map_err(|_| ApiError::bad_request(10005, format!("{name} must be an RFC 3339 date-time")))
}

/// `GET /accounts/{account_id}/stream`.
pub async fn list(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            10005,
            "limit must be between 1 and 1000",
        ));
    }
    let after = instant("after", q.after.as_ref().or(q.start.as_ref()))?;
    let before = instant("before", q.before.as_ref().or(q.end.as_ref()))?;
    let mut all: Vec<VideoRecord> = sim
        .videos
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .filter(|v| !expired(v))
        .cloned()
        .collect();
    // Both sides are UTC with milliseconds, so text order is time order.
    all.retain(|v| {
        after.as_ref().is_none_or(|a| v.created > *a)
            && before.as_ref().is_none_or(|b| v.created < *b)
            && q.creator
                .as_ref()
                .is_none_or(|c| v.creator.as_ref() == Some(c))
            && q.status.as_ref().is_none_or(|s| v.progress(&sim).0 == s)
    });
    all.sort_by(|a, b| a.created.cmp(&b.created));
    if !q.asc.unwrap_or(false) {
        all.reverse();
    }
    if let Some(s) = &q.search {
        all.retain(|v| {
            v.meta
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.contains(s.as_str()))
        });
    }
    let total = all.len();
    let limit = limit as usize;
    let videos: Vec<Value> = all.iter().take(limit).map(|v| v.to_json(&sim)).collect();
    // Stream's list adds `range` and `total` beside `result`.
    Ok(axum::Json(json!({
        "success": true, "errors": [], "messages": [],
        "result": videos, "range": total.min(limit), "total": total,
    }))
    .into_response())
}

/// `DELETE /accounts/{account_id}/stream/{uid}`: 200 with an empty body, as the SDK expects.
pub async fn delete(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require(&sim, &headers, &account, Scope::Stream)?;
    if find(&sim, &uid).is_none() {
        return Err(ApiError::not_found(10003, "Not Found"));
    }
    remove(&sim, &uid);
    Ok(StatusCode::OK.into_response())
}

pub fn remove(sim: &Sim, uid: &str) {
    sim.videos
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(uid);
    sim.store.remove("stream", uid);
}

#[derive(Deserialize, Default)]
pub struct TokenBody {
    exp: Option<i64>,
    nbf: Option<i64>,
    downloadable: Option<bool>,
}

/// `POST /accounts/{account_id}/stream/{uid}/token`: a signed playback token.
pub async fn token(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    if find(&sim, &uid).is_none() {
        return Err(ApiError::not_found(10003, "Not Found"));
    }
    let req: TokenBody = if body.is_empty() {
        TokenBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(10005, format!("invalid JSON body: {e}")))?
    };
    let now = chrono::Utc::now().timestamp();
    let exp = req.exp.unwrap_or(now + 3600);
    if exp <= now || exp > now + 24 * 3600 {
        return Err(ApiError::bad_request(
            10005,
            "exp must be in the future and at most 24 hours away",
        ));
    }
    let claims = json!({"sub": uid, "kid": "ferry-cloudsim", "exp": exp, "nbf": req.nbf.unwrap_or(now - 3600), "downloadable": req.downloadable.unwrap_or(false)});
    Ok(ok(json!({ "token": sign_token(&sim, &claims) })))
}

fn sign_token(sim: &Sim, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","kid":"ferry-cloudsim"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing = format!("{header}.{payload}");
    let sig = mac(sim, &signing);
    format!("{signing}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn mac(sim: &Sim, text: &str) -> Vec<u8> {
    let mut m =
        <Hmac<Sha256>>::new_from_slice(sim.token_secret.as_bytes()).expect("hmac takes any key");
    m.update(text.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// The video uid a playback token grants, if it is genuine and current.
pub fn verify_token(sim: &Sim, token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    let expected = mac(sim, &format!("{h}.{p}"));
    if URL_SAFE_NO_PAD.decode(s).ok()? != expected {
        return None;
    }
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    let now = chrono::Utc::now().timestamp();
    if claims["exp"].as_i64()? < now || claims["nbf"].as_i64().unwrap_or(0) > now {
        return None;
    }
    claims["sub"].as_str().map(str::to_string)
}
