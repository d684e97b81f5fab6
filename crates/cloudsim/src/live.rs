//! Stream live inputs (Stream Live): create, list, get, update, delete, and the recordings a
//! live input made. The shapes are Cloudflare's (OAS24 `stream-live-inputs-*` in the reference
//! extract; cloudflare-python `types/stream/live_input.py`), and so are the rules:
//!
//! - `recording.mode` is `off` or `automatic` (the extract's enum), `deleteRecordingAfterDays`
//!   at least 30 (its `minimum`), `meta` an object;
//! - ingest is RTMPS at `rtmps://live.cloudflare.com:443/live/` with a stream key and SRT at
//!   `srt://live.cloudflare.com:778` with a stream id and passphrase
//!   (developers.cloudflare.com/stream/stream-live/start-stream-live/), WebRTC at a WHIP URL;
//! - a live input nobody has streamed to has no `status` (null); the list is
//!   `{liveInputs, range, total}` (`LiveInputListResponse`), without the ingest secrets.
//!
//! Nothing can stream into the emulator, so a finished recording is made on request
//! (`POST /__sim/live/{uid}/recording`): a ready video whose `liveInput` names the input; and
//! an encoder connecting is said with `POST /__sim/live/{uid}/status` (a status from the
//! extract's `stream_live_input_status` enum, or null).

use crate::auth::{Scope, require};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::stream::internal;
use crate::{Sim, now_rfc3339, random_hex32};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveInputRecord {
    pub uid: String,
    pub created: String,
    pub modified: String,
    pub meta: Map<String, Value>,
    pub mode: String,
    pub require_signed: bool,
    pub allowed_origins: Vec<String>,
    pub timeout_seconds: i64,
    pub delete_after_days: Option<f64>,
    pub default_creator: Option<String>,
    pub stream_key: String,
    pub srt_stream_id: String,
    pub srt_passphrase: String,
    /// The connection status an encoder would have given it (`/__sim/live/{uid}/status`).
    #[serde(default)]
    pub status: Option<String>,
}

impl LiveInputRecord {
    /// The full record, ingest secrets included (create, get, update).
    fn to_json(&self, sim: &Sim) -> Value {
        let mut v = self.summary();
        v["recording"] = json!({
            "mode": self.mode,
            "requireSignedURLs": self.require_signed,
            "allowedOrigins": self.allowed_origins,
            "timeoutSeconds": self.timeout_seconds,
        });
        v["rtmps"] =
            json!({"url": "rtmps://live.cloudflare.com:443/live/", "streamKey": self.stream_key});
        v["rtmpsPlayback"] = json!({"url": "rtmps://live.cloudflare.com:443/live/", "streamKey": format!("{}p", self.stream_key)});
        v["srt"] = json!({"url": "srt://live.cloudflare.com:778", "streamId": self.srt_stream_id, "passphrase": self.srt_passphrase});
        v["srtPlayback"] = json!({"url": "srt://live.cloudflare.com:778", "streamId": format!("play{}", self.srt_stream_id), "passphrase": self.srt_passphrase});
        v["webRTC"] = json!({"url": format!("{}/live/{}{}/webRTC/publish", sim.base, self.stream_key, self.uid)});
        v["webRTCPlayback"] = json!({"url": format!("{}/live/{}/webRTC/play", sim.base, self.uid)});
        v["status"] = json!(self.status);
        if let Some(c) = &self.default_creator {
            v["defaultCreator"] = json!(c);
        }
        v
    }

    /// What the list shows: no ingest secrets.
    fn summary(&self) -> Value {
        json!({
            "uid": self.uid,
            "created": self.created,
            "modified": self.modified,
            "meta": self.meta,
            "deleteRecordingAfterDays": self.delete_after_days,
            "enabled": true,
        })
    }
}

/// The body of a create or update, as the SDK sends it.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LiveInputBody {
    meta: Option<Value>,
    recording: Option<Value>,
    delete_recording_after_days: Option<Value>,
    default_creator: Option<String>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(10005, message)
}

/// Apply a create or update body; every rule is checked before anything changes.
fn apply(record: &mut LiveInputRecord, body: LiveInputBody) -> Result<(), ApiError> {
    if let Some(meta) = body.meta {
        record.meta = match meta {
            Value::Object(m) => m,
            _ => return Err(bad("meta must be an object")),
        };
    }
    if let Some(recording) = body.recording {
        let Value::Object(r) = recording else {
            return Err(bad("recording must be an object"));
        };
        if let Some(mode) = r.get("mode") {
            match mode.as_str() {
                Some(m @ ("off" | "automatic")) => record.mode = m.to_string(),
                _ => return Err(bad("recording.mode must be off or automatic")),
            }
        }
        if let Some(v) = r.get("requireSignedURLs") {
            record.require_signed = v
                .as_bool()
                .ok_or_else(|| bad("recording.requireSignedURLs must be a boolean"))?;
        }
        if let Some(v) = r.get("allowedOrigins") {
            record.allowed_origins = v
                .as_array()
                .and_then(|a| a.iter().map(|o| o.as_str().map(str::to_string)).collect())
                .ok_or_else(|| bad("recording.allowedOrigins must be a list of origins"))?;
        }
        if let Some(v) = r.get("timeoutSeconds") {
            record.timeout_seconds = v
                .as_i64()
                .filter(|t| *t >= 0)
                .ok_or_else(|| bad("recording.timeoutSeconds must be a whole number of seconds"))?;
        }
    }
    match body.delete_recording_after_days {
        None => {}
        Some(Value::Null) => record.delete_after_days = None,
        Some(v) => {
            let days = v
                .as_f64()
                .ok_or_else(|| bad("deleteRecordingAfterDays must be a number"))?;
            if days < 30.0 {
                return Err(bad("deleteRecordingAfterDays must be at least 30"));
            }
            record.delete_after_days = Some(days);
        }
    }
    if let Some(c) = body.default_creator {
        record.default_creator = Some(c);
    }
    Ok(())
}

fn find(sim: &Sim, uid: &str) -> Result<LiveInputRecord, ApiError> {
    sim.live
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(uid)
        .cloned()
        .ok_or_else(|| ApiError::not_found(10003, "Live input not found"))
}

fn save(sim: &Sim, record: LiveInputRecord) -> Result<(), ApiError> {
    sim.store
        .save("live", &record.uid, &record)
        .map_err(internal)?;
    sim.live
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(record.uid.clone(), record);
    Ok(())
}

/// `POST /accounts/{account_id}/stream/live_inputs`.
pub async fn create(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Option<Json<LiveInputBody>>,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let now = now_rfc3339();
    let mut record = LiveInputRecord {
        uid: random_hex32(),
        created: now.clone(),
        modified: now,
        meta: Map::new(),
        mode: "off".into(),
        require_signed: false,
        allowed_origins: Vec::new(),
        timeout_seconds: 0,
        delete_after_days: None,
        default_creator: None,
        stream_key: format!("{}k{}", random_hex32(), random_hex32()),
        srt_stream_id: random_hex32(),
        srt_passphrase: random_hex32(),
        status: None,
    };
    apply(&mut record, body.map(|Json(b)| b).unwrap_or_default())?;
    save(&sim, record.clone())?;
    Ok(ok(record.to_json(&sim)))
}

/// `GET /accounts/{account_id}/stream/live_inputs`.
pub async fn list(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let all: Vec<Value> = sim
        .live
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .map(LiveInputRecord::summary)
        .collect();
    let total = all.len();
    Ok(ok(
        json!({"liveInputs": all, "range": total, "total": total}),
    ))
}

/// `GET /accounts/{account_id}/stream/live_inputs/{uid}`.
pub async fn get(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    Ok(ok(find(&sim, &uid)?.to_json(&sim)))
}

/// `PUT /accounts/{account_id}/stream/live_inputs/{uid}`.
pub async fn update(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Option<Json<LiveInputBody>>,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let mut record = find(&sim, &uid)?;
    apply(&mut record, body.map(|Json(b)| b).unwrap_or_default())?;
    record.modified = now_rfc3339();
    save(&sim, record.clone())?;
    Ok(ok(record.to_json(&sim)))
}

/// `DELETE /accounts/{account_id}/stream/live_inputs/{uid}`: 200 with an empty body.
pub async fn delete(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require(&sim, &headers, &account, Scope::Stream)?;
    find(&sim, &uid)?;
    sim.live
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&uid);
    sim.store.remove("live", &uid);
    Ok(StatusCode::OK.into_response())
}

/// `GET /accounts/{account_id}/stream/live_inputs/{uid}/videos`: the recordings it made.
pub async fn videos(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    find(&sim, &uid)?;
    let made: Vec<Value> = sim
        .videos
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .filter(|v| v.live_input.as_deref() == Some(uid.as_str()))
        .map(|v| v.to_json(&sim))
        .collect();
    Ok(ok(made))
}

/// The connection states a live input reports (OAS24 `stream_live_input_status`; `null`
/// before anyone streamed).
const STATUSES: [&str; 8] = [
    "connected",
    "reconnected",
    "reconnecting",
    "client_disconnect",
    "ttl_exceeded",
    "failed_to_connect",
    "failed_to_reconnect",
    "new_configuration_accepted",
];

/// `POST /__sim/live/{uid}/status` with `{"status": "connected"}`: stands in for an encoder
/// connecting or going away, since nothing can stream into the emulator.
pub async fn set_status(
    State(sim): State<Arc<Sim>>,
    Path(uid): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let status = match &body["status"] {
        Value::Null => None,
        Value::String(s) if STATUSES.contains(&s.as_str()) => Some(s.clone()),
        other => {
            return Err(bad(format!(
                "status must be one of {STATUSES:?} or null, not {other}"
            )));
        }
    };
    let mut record = find(&sim, &uid)?;
    record.status = status;
    save(&sim, record)?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /__sim/live/{uid}/recording`: stands in for a teacher who streamed and stopped: a
/// recording, ready, made by the live input.
pub async fn record(
    State(sim): State<Arc<Sim>>,
    Path(uid): Path<String>,
) -> Result<Response, ApiError> {
    let input = find(&sim, &uid)?;
    let video = crate::stream::recording_of(&sim, &input).map_err(internal)?;
    Ok(Json(json!({"uid": video})).into_response())
}
