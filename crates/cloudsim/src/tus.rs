//! The tus upload URL Stream hands out (`Location` of the creation reply), served on the
//! emulator's upload origin: HEAD, PATCH, DELETE and OPTIONS. Like Cloudflare's upload host for
//! uploads created with an API token, it wants that token on every request (a request without
//! it is refused, api-facts B.1 [observed]); only `direct_user` uploads, whose URL is the
//! credential, go without.
//!
//! Stream's chunk rules are enforced: every chunk but the last must be a multiple of 256 KiB
//! and at least 5 MiB, and none may exceed 200 MiB. A chunk counts only once all of it is on
//! disk; a chunk cut short is discarded, so the offset stays on a chunk boundary.

use crate::Sim;
use crate::auth::{Scope, require};
use crate::stream::{self, VideoRecord};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::io::SeekFrom;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

const MULTIPLE: u64 = 256 * 1024;
const MIN_CHUNK: u64 = 5 * 1024 * 1024;
const MAX_CHUNK: u64 = 200 * 1024 * 1024;

fn reply(status: StatusCode, text: &str) -> Response {
    let mut resp = (status, text.to_string()).into_response();
    resp.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static("1.0.0"));
    resp
}

fn version_ok(headers: &HeaderMap) -> Option<Response> {
    match headers.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some("1.0.0") => None,
        _ => {
            let mut resp = reply(
                StatusCode::PRECONDITION_FAILED,
                "Tus-Resumable 1.0.0 is required",
            );
            resp.headers_mut()
                .insert("tus-version", HeaderValue::from_static("1.0.0"));
            Some(resp)
        }
    }
}

/// Whether the upload expired unfinished; the record itself (find() hides it).
fn expired_record(sim: &Sim, uid: &str) -> bool {
    sim.videos
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(uid)
        .is_some_and(stream::expired)
}

/// An RFC 3339 time as tus writes `Upload-Expires` (an HTTP date).
pub(crate) fn http_date(rfc3339: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.to_utc().format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// The token check: refused unless the request carries an active token with Stream
/// permission, or the upload was created with `direct_user=true`.
fn refused(sim: &Sim, headers: &HeaderMap, uid: &str) -> Option<Response> {
    let direct = sim
        .videos
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(uid)
        .is_some_and(|r| r.direct_user);
    if direct {
        return None;
    }
    require(sim, headers, &sim.config.account_id, Scope::Stream)
        .err()
        .map(IntoResponse::into_response)
}

fn with_offset(mut resp: Response, record: &VideoRecord) -> Response {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&record.offset.to_string()) {
        h.insert("upload-offset", v);
    }
    if let Ok(v) = HeaderValue::from_str(&record.size.to_string()) {
        h.insert("upload-length", v);
    }
    if let Some(v) = http_date(&record.upload_expiry).and_then(|d| HeaderValue::from_str(&d).ok()) {
        h.insert("upload-expires", v);
    }
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    resp
}

/// `OPTIONS`: what the server supports.
pub async fn options() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert("tus-version", HeaderValue::from_static("1.0.0"));
    h.insert(
        "tus-extension",
        HeaderValue::from_static("creation,expiration,termination"),
    );
    h.insert("tus-max-size", HeaderValue::from_static("30000000000"));
    resp
}

/// `HEAD`: the offset.
pub async fn head(
    State(sim): State<Arc<Sim>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = version_ok(&headers) {
        return r;
    }
    if let Some(r) = refused(&sim, &headers, &uid) {
        return r;
    }
    if expired_record(&sim, &uid) {
        return reply(StatusCode::GONE, "");
    }
    match stream::find(&sim, &uid) {
        None => reply(StatusCode::NOT_FOUND, ""),
        Some(r) => with_offset(reply(StatusCode::OK, ""), &r),
    }
}

/// `DELETE`: terminate the upload (and the video).
pub async fn terminate(
    State(sim): State<Arc<Sim>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = version_ok(&headers) {
        return r;
    }
    if let Some(r) = refused(&sim, &headers, &uid) {
        return r;
    }
    if stream::find(&sim, &uid).is_none() {
        return reply(StatusCode::NOT_FOUND, "");
    }
    stream::remove(&sim, &uid);
    reply(StatusCode::NO_CONTENT, "")
}

fn chunk_problem(offset: u64, len: u64, total: u64) -> Option<String> {
    if offset + len > total {
        return Some(format!(
            "chunk of {len} bytes at offset {offset} goes past Upload-Length {total}"
        ));
    }
    let last = offset + len == total;
    if len > MAX_CHUNK {
        return Some(format!("chunk of {len} bytes is over the 200 MiB maximum"));
    }
    if !last && (len < MIN_CHUNK || !len.is_multiple_of(MULTIPLE)) {
        return Some(format!(
            "chunk of {len} bytes must be a multiple of 256 KiB and at least 5 MiB (only the final chunk may be smaller)"
        ));
    }
    None
}

/// `PATCH`: append a chunk at the current offset.
pub async fn patch(
    State(sim): State<Arc<Sim>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = version_ok(&headers) {
        return r;
    }
    if let Some(r) = refused(&sim, &headers, &uid) {
        return r;
    }
    let lock = sim.video_lock(&uid);
    let Ok(_guard) = tokio::time::timeout(Duration::from_secs(10), lock.lock()).await else {
        return reply(StatusCode::LOCKED, "another request is writing this upload");
    };
    if expired_record(&sim, &uid) {
        return reply(StatusCode::GONE, "");
    }
    let Some(mut record) = stream::find(&sim, &uid) else {
        return reply(StatusCode::NOT_FOUND, "");
    };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if content_type != Some("application/offset+octet-stream") {
        return reply(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/offset+octet-stream",
        );
    }
    let Some(offset) = headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return reply(StatusCode::BAD_REQUEST, "Upload-Offset is required");
    };
    if offset != record.offset {
        return with_offset(
            reply(StatusCode::CONFLICT, "Upload-Offset does not match"),
            &record,
        );
    }
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = declared
        && let Some(problem) = chunk_problem(offset, len, record.size)
    {
        return reply(StatusCode::BAD_REQUEST, &problem);
    }
    let path = stream::blob(&sim, &uid);
    let received = match write_at(&path, offset, body, record.size - offset).await {
        Ok(n) => n,
        Err(e) => {
            // Cut short or unwritable: nothing of this chunk counts.
            if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&path) {
                let _ = f.set_len(offset);
            }
            return reply(
                StatusCode::BAD_REQUEST,
                &format!("chunk not received whole: {e}"),
            );
        }
    };
    if let Some(problem) = chunk_problem(offset, received, record.size).or_else(|| {
        (declared.is_some_and(|d| d != received))
            .then(|| "body shorter than Content-Length".to_string())
    }) {
        if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = f.set_len(offset);
        }
        return reply(StatusCode::BAD_REQUEST, &problem);
    }
    record.offset = offset + received;
    record.modified = crate::now_rfc3339();
    if record.offset == record.size {
        record.uploaded = Some(crate::now_rfc3339());
        let head = read_head(&path);
        record.is_video = Some(stream::sniff_video(&head));
        record.duration = crate::mp4::duration(&path);
    }
    if let Err(e) = stream::save(&sim, record.clone()) {
        return reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("storage failed: {e}"),
        );
    }
    with_offset(reply(StatusCode::NO_CONTENT, ""), &record)
}

async fn write_at(
    path: &std::path::Path,
    offset: u64,
    body: Body,
    room: u64,
) -> std::io::Result<u64> {
    let mut file = tokio::fs::OpenOptions::new().write(true).open(path).await?;
    file.seek(SeekFrom::Start(offset)).await?;
    let mut stream = body.into_data_stream();
    let mut n = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(std::io::Error::other)?;
        n += chunk.len() as u64;
        if n > room {
            return Err(std::io::Error::other(
                "more bytes than Upload-Length allows",
            ));
        }
        file.write_all(&chunk).await?;
    }
    // Acknowledged bytes must survive a crash of the emulator.
    file.sync_data().await?;
    Ok(n)
}

fn read_head(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let mut head = vec![0u8; 8192];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head.truncate(n);
    head
}
