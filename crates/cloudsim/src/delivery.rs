//! Delivery routes, so that the URLs Ferry hands back open on this machine: image variants
//! (`imagedelivery.net/<hash>/<id>/<variant>`, signed with `exp` and `sig` for private images)
//! and Stream playback (manifest, iframe, watch page, thumbnail), by uid or signed token.

use crate::Sim;
use crate::images;
use crate::stream;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;

fn denied(text: &str) -> Response {
    (StatusCode::FORBIDDEN, text.to_string()).into_response()
}

/// `GET /imagedelivery/{hash}/{id...}/{variant}`.
pub async fn image(
    State(sim): State<Arc<Sim>>,
    Path((hash, rest)): Path<(String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some((id, variant)) = rest.rsplit_once('/') else {
        return (StatusCode::NOT_FOUND, "no variant in the URL").into_response();
    };
    if hash != sim.config.account_hash || !images::is_variant(variant) {
        return (StatusCode::NOT_FOUND, "unknown account hash or variant").into_response();
    }
    let Some((record, blob)) = images::for_delivery(&sim, id) else {
        return (StatusCode::NOT_FOUND, "image not found").into_response();
    };
    if record.require_signed {
        let Some(sig) = q.get("sig") else {
            return denied("this image requires a signed URL");
        };
        let exp_ok = q
            .get("exp")
            .and_then(|e| e.parse::<i64>().ok())
            .is_none_or(|e| e > chrono::Utc::now().timestamp());
        // The signed string is the path plus the query without `sig`.
        let query: String = raw
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.starts_with("sig="))
            .collect::<Vec<_>>()
            .join("&");
        let mut mac = <Hmac<Sha256>>::new_from_slice(sim.config.images_key.as_bytes())
            .expect("hmac takes any key");
        mac.update(format!("{}?{}", uri.path(), query).as_bytes());
        let expected = hex::encode(mac.finalize().into_bytes());
        if !exp_ok || *sig != expected {
            return denied("the signature is wrong or has expired");
        }
    }
    match std::fs::read(blob) {
        Ok(bytes) => ([(header::CONTENT_TYPE, record.content_type)], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "image not found").into_response(),
    }
}

/// `GET /stream-delivery/{uid or token}/...`.
pub async fn video(
    State(sim): State<Arc<Sim>>,
    Path((id, rest)): Path<(String, String)>,
) -> Response {
    let (uid, signed) = if id.contains('.') {
        match stream::verify_token(&sim, &id) {
            Some(uid) => (uid, true),
            None => return denied("the playback token is invalid or has expired"),
        }
    } else {
        (id.clone(), false)
    };
    let Some(record) = stream::find(&sim, &uid) else {
        return (StatusCode::NOT_FOUND, "video not found").into_response();
    };
    if record.require_signed && !signed {
        return denied("this video requires a signed playback token");
    }
    let json = record.to_json(&sim);
    let ready = json["readyToStream"].as_bool().unwrap_or(false);
    if !ready {
        return (
            StatusCode::NOT_FOUND,
            "the video is not ready to stream yet",
        )
            .into_response();
    }
    let original = format!("{}/stream-delivery/{id}/original", sim.base);
    let name = record
        .meta
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("video");
    match rest.as_str() {
        "manifest/video.m3u8" => (
            [(header::CONTENT_TYPE, "application/vnd.apple.mpegurl")],
            format!("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n{original}\n#EXT-X-ENDLIST\n"),
        )
            .into_response(),
        "manifest/video.mpd" => (
            [(header::CONTENT_TYPE, "application/dash+xml")],
            format!("<?xml version=\"1.0\"?><MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\"><Period><AdaptationSet><Representation id=\"1\"><BaseURL>{original}</BaseURL></Representation></AdaptationSet></Period></MPD>"),
        )
            .into_response(),
        "iframe" | "watch" => Html(format!(
            "<!doctype html><meta charset=utf-8><title>{}</title><style>body{{margin:0;background:#000}}video{{width:100%;height:100vh}}</style><video controls src=\"{original}\"></video>",
            html_escape(name)
        ))
        .into_response(),
        "thumbnails/thumbnail.jpg" => ([(header::CONTENT_TYPE, "image/jpeg")], TINY_JPEG.to_vec()).into_response(),
        "downloads/default.mp4" => {
            let made = record
                .download
                .as_deref()
                .is_some_and(|asked| crate::downloads::download_ready(&sim, asked));
            if !made {
                return (StatusCode::NOT_FOUND, "no MP4 download for this video").into_response();
            }
            match tokio::fs::read(stream::blob(&sim, &uid)).await {
                Ok(bytes) => ([(header::CONTENT_TYPE, "video/mp4")], bytes).into_response(),
                Err(_) => (StatusCode::NOT_FOUND, "video not found").into_response(),
            }
        }
        "original" => match tokio::fs::read(stream::blob(&sim, &uid)).await {
            Ok(bytes) => ([(header::CONTENT_TYPE, "video/mp4")], bytes).into_response(),
            Err(_) => (StatusCode::NOT_FOUND, "video not found").into_response(),
        },
        _ => (StatusCode::NOT_FOUND, "unknown playback path").into_response(),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A 1×1 grey JPEG: the emulator does not decode video, so every thumbnail is this.
const TINY_JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x08, 0x06, 0x06, 0x07, 0x06, 0x05, 0x08, 0x07, 0x07,
    0x07, 0x09, 0x09, 0x08, 0x0A, 0x0C, 0x14, 0x0D, 0x0C, 0x0B, 0x0B, 0x0C, 0x19, 0x12, 0x13, 0x0F,
    0x14, 0x1D, 0x1A, 0x1F, 0x1E, 0x1D, 0x1A, 0x1C, 0x1C, 0x20, 0x24, 0x2E, 0x27, 0x20, 0x22, 0x2C,
    0x23, 0x1C, 0x1C, 0x28, 0x37, 0x29, 0x2C, 0x30, 0x31, 0x34, 0x34, 0x34, 0x1F, 0x27, 0x39, 0x3D,
    0x38, 0x32, 0x3C, 0x2E, 0x33, 0x34, 0x32, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01,
    0x01, 0x01, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x2A, 0x9F, 0xFF, 0xD9,
];
