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
    naming: Naming,
}

/// How messages name the token and the account: as the user set them, the environment's
/// variable or the Ferry account that holds them (a desktop user never set
/// `CLOUDFLARE_API_TOKEN` and should not be told to check it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    /// e.g. "the API token in CLOUDFLARE_API_TOKEN", "the API token of account school".
    pub token: String,
    /// e.g. "the account in CLOUDFLARE_ACCOUNT_ID".
    pub account: String,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            token: "the API token in CLOUDFLARE_API_TOKEN".into(),
            account: "the account in CLOUDFLARE_ACCOUNT_ID".into(),
        }
    }
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
            naming: Naming::default(),
        }
    }

    /// The same API, naming the token and account as `naming` says in its messages.
    pub fn named(mut self, naming: Naming) -> Self {
        self.naming = naming;
        self
    }

    pub fn naming(&self) -> &Naming {
        &self.naming
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
        envelope(resp, product, what, &self.naming).await
    }

    /// An authenticated DELETE. Stream answers some with 200 and an empty body, others with an
    /// envelope: any success is success, a failure is read from its envelope.
    pub async fn delete(&self, url: Url, product: Product, what: &str) -> Result<()> {
        let resp = self
            .send(self.authed(self.http.delete(url)), product, what)
            .await?;
        if resp.status().is_success() {
            return Ok(());
        }
        envelope(resp, product, what, &self.naming)
            .await
            .map(|_| ())
    }

    /// Send a request; transport failures become errors, any HTTP status is returned.
    pub async fn send(
        &self,
        req: RequestBuilder,
        product: Product,
        what: &str,
    ) -> Result<Response> {
        req.send().await.map_err(|e| transport(e, product, what))
    }
}

/// Map a transport failure (no reply). The failure is kept as the source without its URL (an
/// upload URL can carry a one-time token).
pub fn transport(e: reqwest::Error, product: Product, what: &str) -> Error {
    let chain = ferry_tus::redact::error_text(&e);
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
    .with_source(e.without_url())
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
        .map_err(|e| transport(e, product, what))?
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
pub async fn envelope(
    resp: Response,
    product: Product,
    what: &str,
    naming: &Naming,
) -> Result<Value> {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
    let body = read_capped(resp, REPLY_CAP, product, what).await?;
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let errors = parsed.as_ref().map(error_items).unwrap_or_default();
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
            failure(StatusCode::BAD_REQUEST, &errors, product, what, naming)
        } else {
            Error::protocol(format!(
                "{}: the reply to {what} is not Cloudflare's JSON envelope (starts with {snippet:?}); retry later",
                product.label()
            ))
        });
    }
    Err(failure(status, &errors, product, what, naming).with_retry_after(retry_after))
}

/// The `(code, message)` pairs of an envelope's `errors`, with the items of each one's
/// `error_chain` after it (Cloudflare nests the precise cause there: 6003 "Invalid request
/// headers" carries 6111 "Invalid format for Authorization header").
pub fn error_items(envelope: &Value) -> Vec<(u64, String)> {
    fn walk(items: &Value, out: &mut Vec<(u64, String)>) {
        for e in items.as_array().into_iter().flatten() {
            out.push((
                e.get("code").and_then(Value::as_u64).unwrap_or(0),
                e.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ));
            if let Some(chain) = e.get("error_chain") {
                walk(chain, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Some(errors) = envelope.get("errors") {
        walk(errors, &mut out);
    }
    out
}

/// What is wrong with the API token, read from Cloudflare's error codes (api-facts A.8, F):
/// whatever the HTTP status, these codes mean the token must be fixed, never the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenProblem {
    /// 1001 "Missing Authorization header", 9106 "Missing X-Auth-Key, X-Auth-Email or
    /// Authorization headers".
    Missing,
    /// 6003 "Invalid request headers" with 6111 "Invalid format for Authorization header".
    Malformed,
    /// 1000 "Invalid API Token", 10001 "Unable to authenticate request", 10000
    /// "Authentication error" (except on a 403, where it means a missing permission).
    Refused,
}

fn token_problem(status: StatusCode, codes: &[u64]) -> Option<TokenProblem> {
    let has = |c: u64| codes.contains(&c);
    if has(1001) || has(9106) {
        Some(TokenProblem::Missing)
    } else if has(6003) || has(6111) {
        Some(TokenProblem::Malformed)
    } else if has(1000)
        || has(10001)
        || (has(10000) && status != StatusCode::FORBIDDEN)
        || status == StatusCode::UNAUTHORIZED
    {
        Some(TokenProblem::Refused)
    } else {
        None
    }
}

/// Map an HTTP status and Cloudflare error codes.
pub fn failure(
    status: StatusCode,
    errors: &[(u64, String)],
    product: Product,
    what: &str,
    naming: &Naming,
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
    let codes: Vec<u64> = errors.iter().map(|(c, _)| *c).collect();
    if let Some(problem) = token_problem(status, &codes) {
        let token = &naming.token;
        let fix = match problem {
            TokenProblem::Missing => {
                format!("no API token reached Cloudflare: set {token}")
            }
            TokenProblem::Malformed => format!(
                "{token} is not in a form Cloudflare reads: copy it again, without spaces, quotes or line breaks"
            ),
            TokenProblem::Refused => format!(
                "Cloudflare does not accept {token}: it may be mistyped, expired or revoked; check it or create a new one"
            ),
        };
        return Error::new(
            ErrorKind::Unauthenticated,
            format!("{label} refused the request while {what} ({detail}): {fix}"),
        );
    }
    match status.as_u16() {
        403 => Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "{label}: {} may not do this ({what}: {detail}); give it the \"{}\" permission on {}, or use another token",
                naming.token,
                product.permission(),
                naming.account,
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
        408 => Error::new(
            ErrorKind::Timeout,
            format!(
                "{label} gave up waiting for the request while {what} ({detail}); this usually passes: check the connection, Ferry tries again by itself"
            ),
        ),
        // Only a tus exchange brings a success here: one without what tus requires (a proxy's
        // page), asked again as ferry_tus::decide says.
        s if (200..300).contains(&s) => Error::new(
            ErrorKind::Server,
            format!(
                "{label} answered HTTP {s} without what was asked while {what} (a proxy or network filter may be in the way); Ferry tries again by itself"
            ),
        ),
        429 => Error::new(
            ErrorKind::RateLimited,
            format!(
                "{label} asked Ferry to slow down while {what} ({detail}); Ferry waits and tries again by itself"
            ),
        ),
        s if s >= 500 => Error::new(
            ErrorKind::Server,
            format!(
                "{label} had a problem on its side while {what} ({detail}); this usually passes: Ferry tries again by itself"
            ),
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

    /// [`super::failure`] naming things as the environment does.
    fn failure(
        status: StatusCode,
        errors: &[(u64, String)],
        product: Product,
        what: &str,
    ) -> Error {
        super::failure(status, errors, product, what, &Naming::default())
    }

    #[tokio::test]
    async fn a_transport_failure_keeps_its_source_without_the_url() {
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/upload?token=one-time-secret");
        let e = reqwest::Client::new().get(&url).send().await.unwrap_err();
        let err = transport(e, Product::Stream, "sending a chunk");
        assert_eq!(err.kind(), ErrorKind::Network);
        let source = std::error::Error::source(&err).expect("the failure is kept");
        let chain = format!("{source} {err:?}");
        assert!(!chain.contains("one-time-secret"), "{chain}");
        assert!(!err.message().contains("one-time-secret"), "{err}");
    }

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

    /// Every code Cloudflare uses for a missing, malformed or refused token, at the statuses
    /// it has been seen with, says "fix the token"; none reads as bad input.
    #[test]
    fn token_errors_say_fix_the_token_whatever_the_status() {
        let cases: [(u16, &str, &str); 8] = [
            (
                400,
                r#"{"errors":[{"code":1001,"message":"Missing \"Authorization\" header"}]}"#,
                "no API token",
            ),
            (
                400,
                r#"{"errors":[{"code":9106,"message":"Missing X-Auth-Key, X-Auth-Email or Authorization headers"}]}"#,
                "no API token",
            ),
            (
                400,
                r#"{"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}]}"#,
                "not in a form",
            ),
            (
                400,
                r#"{"errors":[{"code":6111,"message":"Invalid format for Authorization header"}]}"#,
                "not in a form",
            ),
            (
                403,
                r#"{"errors":[{"code":1000,"message":"Invalid API Token"}]}"#,
                "does not accept",
            ),
            (
                400,
                r#"{"errors":[{"code":10001,"message":"Unable to authenticate request"}]}"#,
                "does not accept",
            ),
            (
                401,
                r#"{"errors":[{"code":10000,"message":"Authentication error"}]}"#,
                "does not accept",
            ),
            (
                400,
                r#"{"errors":[{"code":10000,"message":"Authentication error"}]}"#,
                "does not accept",
            ),
        ];
        for (status, body, says) in cases {
            let items = error_items(&serde_json::from_str(body).unwrap());
            let err = failure(
                StatusCode::from_u16(status).unwrap(),
                &items,
                Product::Images,
                "uploading a.png",
            );
            assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{status} {body}");
            assert!(err.message().contains(says), "{err}");
            assert!(err.message().contains("CLOUDFLARE_API_TOKEN"), "{err}");
        }
        // A valid token without the permission stays a permission problem.
        let err = failure(
            StatusCode::FORBIDDEN,
            &[(10000, "Authentication error".into())],
            Product::Images,
            "x",
        );
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    }
}
