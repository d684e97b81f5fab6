//! Stream's direct creator uploads, basic form: `POST /stream/direct_upload` reserves a video
//! and hands out a one-time URL that takes one `multipart/form-data` POST with a `file` field,
//! without the token (api-facts B.4; OAS24 `stream_direct_upload_request`).
//!
//! Rules, each Cloudflare's: `maxDurationSeconds` is required, a whole number from 1 to 21,600
//! (the extract's `minimum`/`maximum`); `expiry` is an RFC 3339 date, by default 30 minutes
//! from now (its `default`), and must not be past; the URL takes one upload, of at most 200
//! MB, before its expiry, and answers 4xx after. The one-time URLs (here and Images') allow
//! any origin, as Cloudflare's browser examples need (developers.cloudflare.com/stream/
//! uploading-videos/direct-creator-uploads/, the HTML form and Uppy examples).
//!
//! The emulator decodes no video, so it cannot refuse one over `maxDurationSeconds`; it keeps
//! the limit on the video as Stream does.

use crate::Sim;
use crate::auth::{Scope, require};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::stream::{find, new_record, receive, save};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(10005, message)
}

/// `POST /accounts/{account_id}/stream/direct_upload`.
pub async fn create(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let body: Map<String, Value> =
        serde_json::from_slice(&body).map_err(|_| bad("the body must be a JSON object"))?;
    let max = body
        .get("maxDurationSeconds")
        .ok_or_else(|| bad("maxDurationSeconds is required"))?;
    let max = max
        .as_i64()
        .filter(|m| (1..=21_600).contains(m))
        .ok_or_else(|| bad("maxDurationSeconds must be a whole number from 1 to 21600"))?;
    let now = chrono::Utc::now();
    let expiry = match body.get("expiry") {
        None | Some(Value::Null) => now + chrono::Duration::minutes(30),
        Some(v) => v
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .filter(|t| *t > now)
            .ok_or_else(|| bad("expiry must be an RFC 3339 date in the future"))?,
    };
    let mut record = new_record(0, sim.config.upload_expiry);
    record.upload_expiry = expiry.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    record.max_duration = Some(max);
    record.direct_user = true;
    if let Some(c) = body.get("creator") {
        let c = c.as_str().ok_or_else(|| bad("creator must be a string"))?;
        record.creator = Some(c.chars().take(64).collect());
    }
    if let Some(v) = body.get("requireSignedURLs") {
        record.require_signed = v
            .as_bool()
            .ok_or_else(|| bad("requireSignedURLs must be a boolean"))?;
    }
    if let Some(v) = body.get("meta") {
        record.meta = v
            .as_object()
            .cloned()
            .ok_or_else(|| bad("meta must be an object"))?;
    }
    let uid = record.uid.clone();
    save(&sim, record).map_err(crate::stream::internal)?;
    Ok(ok(json!({
        "uid": uid,
        "uploadURL": format!("{}/stream-upload/{uid}", sim.base),
    })))
}

/// `POST upload.videodelivery.net/{uid}`: the one-time upload, without the token.
pub async fn upload(
    State(sim): State<Arc<Sim>>,
    Path(uid): Path<String>,
    mut form: Multipart,
) -> Response {
    let lock = sim.video_lock(&uid);
    let _one_at_a_time = lock.lock().await;
    let usable = find(&sim, &uid).filter(|r| {
        r.direct_user
            && r.uploaded.is_none()
            && chrono::DateTime::parse_from_rfc3339(&r.upload_expiry)
                .is_ok_and(|e| e > chrono::Utc::now())
    });
    let reply = match usable {
        None => {
            // Read what was sent before answering, so the browser hears the refusal rather
            // than a connection cut mid-body.
            while let Ok(Some(mut field)) = form.next_field().await {
                while let Ok(Some(_)) = field.chunk().await {}
            }
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                10005,
                "This upload URL is not valid: it was used, or it expired",
            ))
        }
        Some(record) => receive(&sim, form, record)
            .await
            .map(|_| StatusCode::OK.into_response()),
    };
    anyone_may_post(reply.unwrap_or_else(|e| e.into_response()))
}

/// One-time upload URLs take uploads from any page (Cloudflare's browser examples).
pub fn anyone_may_post(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("access-control-allow-origin", HeaderValue::from_static("*"));
    response
}

/// The browser's question before a cross-origin upload with progress events.
pub async fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("*"),
    );
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    response
}

/// Images' one-time upload, open to any page like Stream's.
pub async fn image_upload(
    state: State<Arc<Sim>>,
    path: Path<(String, String)>,
    form: Multipart,
) -> Response {
    let reply = crate::images::one_time_upload(state, path, form).await;
    anyone_may_post(reply.unwrap_or_else(|e| e.into_response()))
}
