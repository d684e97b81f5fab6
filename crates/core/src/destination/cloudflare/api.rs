//! Cloudflare's REST API: requests with the bearer token, the `{success, errors, messages,
//! result}` envelope, and the one mapping of Cloudflare failures to [`crate::Error`], with
//! messages that name the permission or setting to fix.

use crate::credentials::Secret;
use crate::retry::parse_retry_after;
use crate::{Error, ErrorKind, Result};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use std::time::Duration;
use url::Url;

/// Which Cloudflare product a call is for: it decides which permission a 403 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    Images,
    Stream,
    Tokens,
}

impl Product {
    pub fn permission(self) -> &'static str {
        match self {
            Product::Images => "Cloudflare Images: Edit (\"Images Write\")",
            Product::Stream => "Stream: Edit",
            Product::Tokens => "API Tokens: Read",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Product::Images => "Cloudflare Images",
            Product::Stream => "Cloudflare Stream",
            Product::Tokens => "Cloudflare",
        }
    }
}

/// An account-scoped API client.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    /// `https://api.cloudflare.com/client/v4`, or the emulator's.
    pub base: Url,
    pub account_id: String,
    token: Secret,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base.as_str())
            .field("account_id", &self.account_id)
            .field("token", &self.token)
            .finish()
    }
}

impl Api {
    pub fn new(base: Url, account_id: String, token: Secret) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(120))
            .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Api {
            http,
            base,
            account_id,
            token,
        }
    }

    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// `{base}/{path}` where `path` has no leading slash.
    pub fn url(&self, path: &str) -> Url {
        let mut text = self.base.as_str().trim_end_matches('/').to_string();
        text.push('/');
        text.push_str(path);
        Url::parse(&text).unwrap_or_else(|_| self.base.clone())
    }

    /// `{base}/accounts/{account_id}/{path}`.
    pub fn account_url(&self, path: &str) -> Url {
        self.url(&format!("accounts/{}/{path}", self.account_id))
    }

    pub fn authed(&self, req: RequestBuilder) -> RequestBuilder {
        req.bearer_auth(self.token.expose())
    }

    /// Send an authenticated request and return the envelope's `result`.
    pub async fn call(&self, req: RequestBuilder, product: Product, what: &str) -> Result<Value> {
        let resp = self.send(self.authed(req), product, what).await?;
        envelope(resp, product, what).await
    }

    /// Send a request; transport failures become errors, any HTTP status is returned.
    pub async fn send(
        &self,
        req: RequestBuilder,
        product: Product,
        what: &str,
    ) -> Result<Response> {
        req.send().await.map_err(|e| transport(&e, product, what))
    }
}

/// Map a transport failure (no reply).
pub fn transport(e: &reqwest::Error, product: Product, what: &str) -> Error {
    let chain = ferry_tus::redact::error_text(e);
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_builder() {
        ErrorKind::InvalidConfig
    } else {
        ErrorKind::Network
    };
    Error::new(
        kind,
        format!(
            "{}: could not reach the API while {what} ({chain})",
            product.label()
        ),
    )
}

/// The largest API reply read: a page of images or videos is far smaller.
const REPLY_CAP: usize = 16 << 20;

/// A reply's body, refused past `cap` bytes (an endless reply cannot fill memory).
async fn read_capped(
    mut resp: Response,
    cap: usize,
    product: Product,
    what: &str,
) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport(&e, product, what))?
    {
        if body.len() + chunk.len() > cap {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "{}: the reply while {what} was larger than {} MiB, more than any real answer; it was not read",
                    product.label(),
                    cap >> 20
                ),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Read a reply: the `result` of a successful envelope, or the mapped failure.
pub async fn envelope(resp: Response, product: Product, what: &str) -> Result<Value> {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
    let body = read_capped(resp, REPLY_CAP, product, what).await?;
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let errors = parsed
        .as_ref()
        .and_then(|v| v.get("errors"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|e| {
                    (
                        e.get("code").and_then(Value::as_u64).unwrap_or(0),
                        e.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let success = parsed
        .as_ref()
        .and_then(|v| v.get("success"))
        .and_then(Value::as_bool);
    if status.is_success() && success == Some(true) {
        return Ok(parsed
            .and_then(|mut v| v.get_mut("result").map(Value::take))
            .unwrap_or(Value::Null));
    }
    if status.is_success() {
        let snippet = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(if success == Some(false) {
            failure(StatusCode::BAD_REQUEST, &errors, product, what)
        } else {
            Error::protocol(format!(
                "{}: the reply to {what} is not Cloudflare's JSON envelope (starts with {snippet:?}); retry later",
                product.label()
            ))
        });
    }
    Err(failure(status, &errors, product, what).with_retry_after(retry_after))
}

/// Map an HTTP status and Cloudflare error codes.
pub fn failure(
    status: StatusCode,
    errors: &[(u64, String)],
    product: Product,
    what: &str,
) -> Error {
    let detail = if errors.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        errors
            .iter()
            .map(|(c, m)| format!("{m} (code {c})"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let label = product.label();
    let has = |code: u64| errors.iter().any(|(c, _)| *c == code);
    match status.as_u16() {
        401 => Error::new(
            ErrorKind::Unauthenticated,
            format!(
                "{label} refused the API token while {what} ({detail}): check CLOUDFLARE_API_TOKEN; it may be mistyped, expired or revoked"
            ),
        ),
        403 => Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "{label}: the API token may not do this ({what}: {detail}); give it the \"{}\" permission on the account in CLOUDFLARE_ACCOUNT_ID, or use another token",
                product.permission(),
            ),
        ),
        400 if has(1001) || has(6003) || has(6111) => Error::new(
            ErrorKind::Unauthenticated,
            format!(
                "{label}: the API token is missing or malformed while {what} ({detail}); set CLOUDFLARE_API_TOKEN"
            ),
        ),
        404 => Error::new(
            ErrorKind::NotFound,
            format!("{label}: not found while {what} ({detail})"),
        ),
        409 => Error::new(
            ErrorKind::Precondition,
            format!("{label}: {what} conflicts with something that exists ({detail})"),
        ),
        413 => Error::new(
            ErrorKind::TooLarge,
            format!("{label}: too large ({detail})"),
        ),
        415 => Error::new(
            ErrorKind::UnsupportedType,
            format!("{label}: file type not accepted ({detail})"),
        ),
        _ if has(5455) => Error::new(
            ErrorKind::UnsupportedType,
            format!("{label}: file type not accepted ({detail})"),
        ),
        429 => Error::new(
            ErrorKind::RateLimited,
            format!("{label} asked us to slow down while {what} ({detail}); will retry"),
        ),
        s if s >= 500 => Error::new(
            ErrorKind::Server,
            format!("{label} failed while {what} ({detail}); will retry"),
        ),
        _ => Error::new(
            ErrorKind::InvalidInput,
            format!("{label} rejected {what}: {detail}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_name_what_to_fix() {
        let auth = failure(
            StatusCode::UNAUTHORIZED,
            &[(10000, "Authentication error".into())],
            Product::Stream,
            "creating the upload",
        );
        assert_eq!(auth.kind(), ErrorKind::Unauthenticated);
        assert!(auth.message().contains("CLOUDFLARE_API_TOKEN"), "{auth}");
        let perm = failure(
            StatusCode::FORBIDDEN,
            &[(10000, "Authentication error".into())],
            Product::Stream,
            "x",
        );
        assert_eq!(perm.kind(), ErrorKind::PermissionDenied);
        assert!(perm.message().contains("Stream: Edit"), "{perm}");
        let perm = failure(StatusCode::FORBIDDEN, &[], Product::Images, "x");
        assert!(perm.message().contains("Images"), "{perm}");
        let slow = failure(
            StatusCode::TOO_MANY_REQUESTS,
            &[(971, "Please wait".into())],
            Product::Images,
            "x",
        );
        assert!(slow.is_temporary());
        assert!(failure(StatusCode::BAD_GATEWAY, &[], Product::Images, "x").is_temporary());
        let kind = failure(
            StatusCode::BAD_REQUEST,
            &[(5455, "bad type".into())],
            Product::Images,
            "x",
        );
        assert_eq!(kind.kind(), ErrorKind::UnsupportedType);
        assert!(
            !failure(
                StatusCode::BAD_REQUEST,
                &[(5400, "bad".into())],
                Product::Images,
                "x"
            )
            .is_temporary()
        );
    }
}
