//! What Cloudflare Images accepts, as checks: formats, 10 MB, pixels per side and in all,
//! metadata size, custom-id rules; and fetching an image from a URL (`url` uploads). Each
//! refusal carries the code and wording Cloudflare uses where known.

use crate::envelope::ApiError;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Largest image accepted for storage.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_SIDE: usize = 12_000;
pub const MAX_PIXELS: u64 = 100_000_000;
pub const MAX_METADATA: usize = 1024;
pub const VARIANTS: [&str; 2] = ["public", "thumbnail"];

/// Check an image against the storage limits; returns its content type.
pub fn check_image(bytes: &[u8]) -> Result<String, ApiError> {
    let kind = infer::get(bytes).map(|k| k.mime_type().to_string());
    let content_type = match kind.as_deref() {
        Some(t @ ("image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif")) => {
            t.to_string()
        }
        _ if looks_like_svg(bytes) => "image/svg+xml".to_string(),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                5455,
                "Uploaded image must have image/jpeg, image/png, image/webp, image/gif or image/svg+xml content-type",
            ));
        }
    };
    if content_type != "image/svg+xml" {
        let size = imagesize::blob_size(bytes).map_err(|_| {
            ApiError::bad_request(9422, "Decode error: the image could not be decoded")
        })?;
        let side_limit = if content_type == "image/avif" {
            1_200
        } else {
            MAX_SIDE
        };
        if content_type != "image/webp" && (size.width > side_limit || size.height > side_limit) {
            return Err(ApiError::bad_request(
                5400,
                format!(
                    "Bad request: image is {}x{} px; the largest side allowed is {side_limit} px",
                    size.width, size.height
                ),
            ));
        }
        if (size.width as u64) * (size.height as u64) > MAX_PIXELS {
            return Err(ApiError::bad_request(
                5400,
                format!(
                    "Bad request: image is {}x{} px, over the 100 megapixel limit",
                    size.width, size.height
                ),
            ));
        }
    }
    Ok(content_type)
}

pub fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
    head.contains("<svg")
}

pub fn check_custom_id(id: &str) -> Result<(), ApiError> {
    let invalid = |why: &str| {
        ApiError::bad_request(
            5411,
            format!(
                "The Custom ID is invalid. Custom IDs can include 1024 characters or less, any number of subpaths, and support the UTF-8 encoding standard for characters. Enter a new Custom ID and try again: {why}"
            ),
        )
    };
    if id.is_empty() || id.len() > 1024 {
        return Err(invalid("Must be 1 to 1024 characters"));
    }
    if id.starts_with('/') || id.ends_with('/') {
        return Err(invalid("Must not start or end with a slash"));
    }
    let hexdigits: String = id.chars().filter(|c| *c != '-').collect();
    if id.len() == 36 && hexdigits.len() == 32 && hexdigits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid("Must not be UUID"));
    }
    if let Some((_, ext)) = id.rsplit_once('.') {
        let ext = ext.to_ascii_lowercase();
        let known_non_image = [
            "pdf", "mp4", "mov", "zip", "doc", "docx", "txt", "html", "js", "exe",
        ];
        if known_non_image.contains(&ext.as_str()) {
            return Err(invalid("Must not use a non-image file name extension"));
        }
    }
    Ok(())
}

pub fn parse_metadata(text: Option<&str>) -> Result<Value, ApiError> {
    let Some(text) = text else {
        return Ok(json!({}));
    };
    if text.len() > MAX_METADATA {
        return Err(ApiError::bad_request(
            5400,
            "Bad request: metadata must be 1024 bytes or less",
        ));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(ApiError::bad_request(
            5400,
            "Bad request: metadata must be a JSON object",
        )),
    }
}

pub async fn fetch(url: &str) -> Result<Vec<u8>, ApiError> {
    let failed = |why: String| {
        ApiError::bad_request(
            5454,
            format!("Unable to retrieve the image from the URL: {why}"),
        )
    };
    let uri: hyper::Uri = url.parse().map_err(|e| failed(format!("{e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(failed("the emulator fetches only http:// URLs".into()));
    }
    let host = uri.host().unwrap_or_default().to_string();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| failed(e.to_string()))?;
    tokio::spawn(conn);
    let req = hyper::Request::get(uri.clone())
        .header("host", host)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| failed(e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(failed(format!("the origin answered {}", resp.status())));
    }
    use http_body_util::BodyExt;
    let body = http_body_util::Limited::new(resp.into_body(), MAX_BYTES + 1)
        .collect()
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                7011,
                "Request entity is too large",
            )
        })?;
    Ok(body.to_bytes().to_vec())
}
