//! Cloudflare's response envelope, `{success, errors, messages, result}`, and the API error
//! type every handler returns. Error items are `{code, message}` with codes of 1000 and up, as
//! in the OpenAPI schemas; a failure always carries `result: null` and at least one error.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// A successful envelope around `result`.
pub fn ok<T: Serialize>(result: T) -> Response {
    Json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
    }))
    .into_response()
}

/// A successful envelope with a message (token verification says "valid and active").
pub fn ok_with_message<T: Serialize>(result: T, code: u32, message: &str) -> Response {
    Json(json!({
        "success": true,
        "errors": [],
        "messages": [{"code": code, "message": message, "type": Value::Null}],
        "result": result,
    }))
    .into_response()
}

/// A failed API call.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: u32, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Bad, expired or disabled token: what Cloudflare answers to any of them.
    pub fn authentication() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, 10000, "Authentication error")
    }

    /// A valid token without the permission this call needs.
    pub fn forbidden() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, 10000, "Authentication error")
    }

    pub fn not_found(code: u32, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "success": false,
            "errors": [{"code": self.code, "message": self.message}],
            "messages": [],
            "result": Value::Null,
        });
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert("retry-after", v);
        }
        resp
    }
}

pub type ApiResult = Result<Response, ApiError>;
