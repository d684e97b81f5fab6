//! Stream MP4 downloads: `POST|GET|DELETE /accounts/{account_id}/stream/{uid}/downloads`
//! (cloudflare-python `resources/stream/downloads.py`, `types/stream/download_create_response.py`;
//! developers.cloudflare.com/stream/viewing-videos/download-videos/). The rules: a download is
//! made for a video that is ready; it is `inprogress` with a `percentComplete`, then `ready`,
//! and its `url` serves the MP4 (`…/downloads/default.mp4`); without one, GET answers an empty
//! object; DELETE removes it.

use crate::auth::{Scope, require};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::stream::{VideoRecord, internal, save, video_or_404 as video};
use crate::{Sim, now_rfc3339};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;

/// Whether a download asked for at `asked` is ready now (it takes the emulator's processing
/// time, as encoding does).
pub fn download_ready(sim: &Sim, asked: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(asked)
        .ok()
        .and_then(|a| {
            (chrono::Utc::now() - a.with_timezone(&chrono::Utc))
                .to_std()
                .ok()
        })
        .is_some_and(|elapsed| elapsed >= sim.config.processing)
}

fn state(sim: &Sim, record: &VideoRecord) -> Value {
    let Some(asked) = &record.download else {
        return json!({});
    };
    let ready = download_ready(sim, asked);
    json!({"default": {
        "status": if ready { "ready" } else { "inprogress" },
        "percentComplete": if ready { 100.0 } else { 50.0 },
        "url": format!("{}/stream-delivery/{}/downloads/default.mp4", sim.base, record.uid),
    }})
}

/// `POST …/downloads`: make the MP4 (the video must be ready).
pub async fn create(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let lock = sim.video_lock(&uid);
    let _held = lock.lock().await;
    let mut record = video(&sim, &uid)?;
    if !record.is_ready(&sim) {
        return Err(ApiError::bad_request(
            10005,
            "the video must be ready before a download can be made",
        ));
    }
    if record.download.is_none() {
        record.download = Some(now_rfc3339());
        save(&sim, record.clone()).map_err(internal)?;
    }
    Ok(ok(state(&sim, &record)))
}

/// `GET …/downloads`.
pub async fn get(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    Ok(ok(state(&sim, &video(&sim, &uid)?)))
}

/// `DELETE …/downloads`: the result is an empty string.
pub async fn delete(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let lock = sim.video_lock(&uid);
    let _held = lock.lock().await;
    let mut record = video(&sim, &uid)?;
    record.download = None;
    save(&sim, record).map_err(internal)?;
    Ok(ok(""))
}
