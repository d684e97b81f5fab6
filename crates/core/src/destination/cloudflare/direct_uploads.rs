//! Direct creator uploads for upload requests: one-time URLs that let someone without the
//! account's token send one video (`POST /stream/direct_upload`, JSON) or one image
//! (`POST /images/v2/direct_upload`, multipart), with the limits Cloudflare enforces itself:
//! Stream's `maxDurationSeconds` and `expiry`, Images' `expiry` (at most six hours), the
//! request's `creator` on both so what arrives can be found again (api-facts A.5, B.4).

use super::api::Product;
use super::images::ImagesDestination;
use super::stream::StreamDestination;
use crate::request::{Arrival, OneTimeSpec, OneTimeUpload, split_sent_name};
use crate::{Error, Result};
use serde_json::{Value, json};

/// Stream reserves this much per URL when the request sets no longest duration: the
/// reservation counts against the account's storage until the video arrives or the URL
/// expires (Cloudflare, direct creator uploads), so it is kept modest.
const DEFAULT_MAX_SECONDS: u32 = 3600;

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn one_time(v: &Value, id_field: &str) -> Result<OneTimeUpload> {
    match (v[id_field].as_str(), v["uploadURL"].as_str()) {
        (Some(id), Some(url)) => Ok(OneTimeUpload {
            id: id.to_string(),
            url: url.to_string(),
        }),
        _ => Err(Error::protocol(
            "Cloudflare answered a direct upload without its id and uploadURL",
        )),
    }
}

impl StreamDestination {
    pub(super) async fn direct_upload(&self, spec: &OneTimeSpec) -> Result<OneTimeUpload> {
        let body = json!({
            "maxDurationSeconds": spec.max_seconds.unwrap_or(DEFAULT_MAX_SECONDS),
            "expiry": rfc3339(spec.expires_at),
            "creator": spec.creator,
            "requireSignedURLs": spec.signed,
            "meta": spec.meta,
        });
        let req = self
            .api()
            .http
            .post(self.api().account_url("stream/direct_upload"))
            .json(&body);
        let v = self
            .api()
            .call(req, Product::Stream, "making a one-time upload link")
            .await?;
        one_time(&v, "uid")
    }
}

impl StreamDestination {
    /// Delete the videos `creator` reserved that never arrived, so their one-time links stop
    /// working now (`GET /stream?creator=…&status=pendingupload`, then a DELETE each); returns
    /// how many.
    pub(super) async fn drop_pending(&self, creator: &str) -> Result<usize> {
        let uids: Vec<String> = self
            .by_creator(creator, Some("pendingupload"))
            .await?
            .iter()
            .filter_map(|v| v["uid"].as_str().map(str::to_string))
            .collect();
        for uid in &uids {
            self.api()
                .delete(
                    self.api().account_url(&format!("stream/{uid}")),
                    Product::Stream,
                    "deleting an unused upload link",
                )
                .await?;
        }
        Ok(uids.len())
    }

    /// The videos made with `creator`'s links (in `status` when given): Stream's list filtered
    /// by `creator`, checked again here in case a server ignores the filter.
    async fn by_creator(&self, creator: &str, status: Option<&str>) -> Result<Vec<Value>> {
        let mut query = vec![("creator", creator)];
        if let Some(s) = status {
            query.push(("status", s));
        }
        let req = self
            .api()
            .http
            .get(self.api().account_url("stream"))
            .query(&query);
        let v = self
            .api()
            .call(req, Product::Stream, "listing the request's videos")
            .await?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["creator"].as_str() == Some(creator))
            .cloned()
            .collect())
    }

    /// The videos sent with `creator`'s links (those still waiting for their file left out).
    pub(super) async fn videos_sent_by(&self, creator: &str) -> Result<Vec<Arrival>> {
        Ok(self
            .by_creator(creator, None)
            .await?
            .iter()
            .filter(|v| v["status"]["state"].as_str() != Some("pendingupload"))
            .filter_map(|v| {
                let (sender, file_name) =
                    split_sent_name(v["meta"]["name"].as_str().unwrap_or("video"));
                let ready = v["readyToStream"].as_bool() == Some(true);
                let refused = (v["status"]["state"].as_str() == Some("error")).then(|| {
                    let text = v["status"]["errorReasonText"].as_str().unwrap_or("");
                    match v["status"]["errorReasonCode"].as_str() {
                        Some("ERR_DURATION_EXCEED_CONSTRAINT") => format!(
                            "it is longer than the request allows ({} minutes at most)",
                            v["maxDurationSeconds"].as_f64().unwrap_or(0.0) / 60.0
                        ),
                        Some("ERR_NON_VIDEO") => "it is not a video Stream can read".to_string(),
                        code => format!("{} ({text})", code.unwrap_or("ERR_UNKNOWN")),
                    }
                });
                Some(Arrival {
                    remote_id: v["uid"].as_str()?.to_string(),
                    file_name,
                    sender,
                    size: v["size"].as_f64().unwrap_or(0.0) as u64,
                    content_type: None,
                    ready,
                    refused,
                    links: if ready {
                        super::stream::links_of(v)
                    } else {
                        Default::default()
                    },
                })
            })
            .collect())
    }
}

impl ImagesDestination {
    /// The images sent with `creator`'s links (`GET /images/v2?creator=`, every page).
    pub(super) async fn images_sent_by(&self, creator: &str) -> Result<Vec<Arrival>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..100 {
            let mut query = vec![
                ("per_page", "1000".to_string()),
                ("creator", creator.into()),
            ];
            if let Some(t) = &token {
                query.push(("continuation_token", t.clone()));
            }
            let req = self
                .api()
                .http
                .get(self.api().account_url("images/v2"))
                .query(&query);
            let v = self
                .api()
                .call(req, Product::Images, "listing what arrived")
                .await?;
            for image in v["images"].as_array().into_iter().flatten() {
                if image["creator"].as_str() != Some(creator) || image["draft"] == true {
                    continue;
                }
                let stored = super::images::stored(image)?;
                let (sender, file_name) =
                    split_sent_name(image["filename"].as_str().unwrap_or("image"));
                out.push(Arrival {
                    remote_id: stored.id,
                    file_name,
                    sender,
                    size: stored.size.unwrap_or(0),
                    content_type: None,
                    ready: true,
                    refused: None,
                    links: stored.variants,
                });
            }
            match v["continuation_token"].as_str().filter(|t| !t.is_empty()) {
                Some(next) if token.as_deref() != Some(next) => token = Some(next.into()),
                _ => break,
            }
        }
        Ok(out)
    }

    pub(super) async fn direct_upload(&self, spec: &OneTimeSpec) -> Result<OneTimeUpload> {
        let form = reqwest::multipart::Form::new()
            .text("expiry", rfc3339(spec.expires_at))
            .text("creator", spec.creator.clone())
            .text("metadata", Value::Object(spec.meta.clone()).to_string())
            .text("requireSignedURLs", spec.signed.to_string());
        let req = self
            .api()
            .http
            .post(self.api().account_url("images/v2/direct_upload"))
            .multipart(form);
        let v = self
            .api()
            .call(req, Product::Images, "making a one-time upload link")
            .await?;
        one_time(&v, "id")
    }
}
