//! Editing a video after upload: `POST /accounts/{account_id}/stream/{uid}` with a JSON body
//! (OAS24 `stream-videos-update-video-details` in the reference extract; cloudflare-python
//! `types/stream/stream_edit_params.py`). Each field is checked as on creation, every field
//! before anything changes: `requireSignedURLs` a boolean, `allowedOrigins` a list of hosts,
//! `thumbnailTimestampPct` 0 to 1, `scheduledDeletion` 30 to 1,096 days after `created` (or
//! `null` to cancel it), `meta` an object (the whole of it: Ferry sends the old keys with the new), `creator`
//! a string.

use crate::auth::{Scope, require};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::stream::{find, save};
use crate::stream_meta::{checked_deletion, checked_thumbnail};
use crate::{Sim, now_rfc3339};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::sync::Arc;

fn bad(message: &str) -> ApiError {
    ApiError::bad_request(10005, message)
}

/// `POST /accounts/{account_id}/stream/{uid}`.
pub async fn edit(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let lock = sim.video_lock(&uid);
    let _held = lock.lock().await;
    let mut record = find(&sim, &uid).ok_or_else(|| ApiError::not_found(10003, "Not Found"))?;
    let Value::Object(fields) = body else {
        return Err(bad("the body must be a JSON object"));
    };
    for (key, value) in &fields {
        match key.as_str() {
            "requireSignedURLs" => {
                record.require_signed = value
                    .as_bool()
                    .ok_or_else(|| bad("requireSignedURLs must be a boolean"))?;
            }
            "allowedOrigins" => {
                record.allowed_origins = value
                    .as_array()
                    .and_then(|a| a.iter().map(|o| o.as_str().map(str::to_string)).collect())
                    .ok_or_else(|| bad("allowedOrigins must be a list of hosts"))?;
            }
            "thumbnailTimestampPct" => {
                let pct = value
                    .as_f64()
                    .ok_or_else(|| bad("thumbnailTimestampPct must be a number from 0 to 1"))?;
                record.thumbnail_pct = checked_thumbnail(pct)?;
            }
            "scheduledDeletion" => {
                record.scheduled_deletion = match value {
                    Value::Null => None,
                    Value::String(text) => Some(checked_deletion(&record, text)?),
                    _ => return Err(bad("scheduledDeletion must be an RFC 3339 date or null")),
                };
            }
            "meta" => {
                record.meta = value
                    .as_object()
                    .cloned()
                    .ok_or_else(|| bad("meta must be an object"))?;
            }
            "creator" => {
                record.creator = Some(
                    value
                        .as_str()
                        .ok_or_else(|| bad("creator must be a string"))?
                        .chars()
                        .take(64)
                        .collect(),
                );
            }
            "maxDurationSeconds" | "uploadExpiry" => {}
            _ => {}
        }
    }
    record.modified = now_rfc3339();
    save(&sim, record.clone())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 10002, e.to_string()))?;
    Ok(ok(record.to_json(&sim)))
}
