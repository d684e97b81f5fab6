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
    /// What few errors carry, boxed so that every handler's `Result` stays small.
    pub extra: Box<Extra>,
}

/// The rarer parts of an error reply.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Nested causes (`error_chain`), as Cloudflare gives for 6003 "Invalid request headers".
    pub chain: Vec<(u32, String)>,
    /// Further errors listed beside the first (the router's 7003 comes with 7000).
    pub more: Vec<(u32, String)>,
    /// A 429's rate-limit headers: (limit, remaining, reset as an HTTP date).
    pub rate_limit: Option<(u32, u32, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
            extra: Box::default(),
        }
    }

    /// Add another error beside the first.
    pub fn also(mut self, code: u32, message: impl Into<String>) -> Self {
        self.extra.more.push((code, message.into()));
        self
    }

    /// Add a nested cause to `error_chain`.
    pub fn caused_by(mut self, code: u32, message: impl Into<String>) -> Self {
        self.extra.chain.push((code, message.into()));
        self
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
        let mut error = json!({"code": self.code, "message": self.message});
        if !self.extra.chain.is_empty() {
            error["error_chain"] = self
                .extra
                .chain
                .iter()
                .map(|(code, message)| json!({"code": code, "message": message}))
                .collect();
        }
        let mut errors = vec![error];
        errors.extend(
            self.extra
                .more
                .iter()
                .map(|(code, message)| json!({"code": code, "message": message})),
        );
        let body = json!({
            "success": false,
            "errors": errors,
            "messages": [],
            "result": Value::Null,
        });
        let mut resp = (self.status, Json(body)).into_response();
        let h = resp.headers_mut();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            h.insert("retry-after", v);
        }
        // Cloudflare's rate-limit headers on a 429 (api-facts A.9).
        if let Some((limit, remaining, reset)) = &self.extra.rate_limit {
            for (name, value) in [
                ("x-ratelimit-limit", limit.to_string()),
                ("x-ratelimit-remaining", remaining.to_string()),
                ("x-ratelimit-reset", reset.clone()),
            ] {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(name, v);
                }
            }
        }
        resp
    }
}

pub type ApiResult = Result<Response, ApiError>;
