//! API tokens: which tokens exist, what each may do, and the verify endpoints. Product calls
//! check the bearer token here first: a missing header, a malformed one, an unknown, expired or
//! disabled token, and a token without the product's permission each get Cloudflare's answer.

use crate::Sim;
use crate::envelope::{ApiError, ApiResult, ok_with_message};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Images,
    Stream,
}

/// A token the emulator knows: its value, what it may do, and its status.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub value: String,
    pub images: bool,
    pub stream: bool,
    /// `active`, `disabled` or `expired`.
    pub status: String,
    /// Owned by the account rather than a user: `/user/tokens/verify` refuses it.
    pub account_owned: bool,
}

impl TokenGrant {
    /// Parse `VALUE[:SCOPES[:STATUS[:account]]]`, scopes as `images,stream` (default both),
    /// status `active` by default; `account` makes it an account-owned token.
    pub fn parse(spec: &str) -> Result<TokenGrant, String> {
        let mut it = spec.splitn(4, ':');
        let value = it.next().unwrap_or_default().to_string();
        if value.is_empty() {
            return Err("a token needs a value".into());
        }
        let scopes = it.next().unwrap_or("images,stream");
        let status = it
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("active")
            .to_string();
        let account_owned = it.next() == Some("account");
        if !["active", "disabled", "expired"].contains(&status.as_str()) {
            return Err(format!(
                "token status {status:?} is not active, disabled or expired"
            ));
        }
        Ok(TokenGrant {
            value,
            images: scopes.split(',').any(|s| s == "images"),
            stream: scopes.split(',').any(|s| s == "stream"),
            status,
            account_owned,
        })
    }
}

/// Which kind of endpoint is asking: the verify endpoints answer a missing header with 1001,
/// product endpoints with 9106.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asker {
    Verify,
    Product,
}

/// The bearer token, or Cloudflare's refusal of the header:
/// - none: 400 with 1001 `Missing "Authorization" header` on the verify endpoints
///   (github.com/kissgyorgy/cloudflare-dyndns/issues/40) and 9106 "Missing X-Auth-Key,
///   X-Auth-Email or Authorization headers" elsewhere (github.com/cloudflare/cloudflare-python
///   issues/2678, an HTTP 400);
/// - not `Bearer <token>`: 400 with 6003 "Invalid request headers" and an `error_chain` holding
///   6111 "Invalid format for Authorization header" (api-facts F; the same shape for X-Auth-Key
///   in github.com/cloudflare/cloudflare-typescript/issues/161, an HTTP 400).
fn bearer(headers: &HeaderMap, asker: Asker) -> Result<&str, ApiError> {
    let Some(value) = headers.get("authorization") else {
        return Err(match asker {
            Asker::Verify => ApiError::bad_request(1001, "Missing \"Authorization\" header"),
            Asker::Product => ApiError::bad_request(
                9106,
                "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
            ),
        });
    };
    let value = value.to_str().unwrap_or_default();
    match value.strip_prefix("Bearer ") {
        Some(token) if !token.trim().is_empty() && !token.trim().contains(' ') => Ok(token.trim()),
        _ => Err(ApiError::bad_request(6003, "Invalid request headers")
            .caused_by(6111, "Invalid format for Authorization header")),
    }
}

fn grant<'a>(sim: &'a Sim, headers: &HeaderMap) -> Result<&'a TokenGrant, ApiError> {
    grant_for(sim, headers, Asker::Product)
}

fn grant_for<'a>(
    sim: &'a Sim,
    headers: &HeaderMap,
    asker: Asker,
) -> Result<&'a TokenGrant, ApiError> {
    let token = bearer(headers, asker)?;
    sim.config
        .tokens
        .iter()
        .find(|g| g.value == token)
        .ok_or_else(ApiError::authentication)
}

/// Check that the caller may use `scope` on `account`.
pub fn require(
    sim: &Sim,
    headers: &HeaderMap,
    account: &str,
    scope: Scope,
) -> Result<(), ApiError> {
    let g = grant(sim, headers)?;
    if g.status != "active" {
        return Err(ApiError::authentication());
    }
    if account != sim.config.account_id {
        return Err(ApiError::forbidden());
    }
    let allowed = match scope {
        Scope::Images => g.images,
        Scope::Stream => g.stream,
    };
    if !allowed {
        return Err(ApiError::forbidden());
    }
    Ok(())
}

fn verify_reply(g: &TokenGrant) -> ApiResult {
    Ok(ok_with_message(
        json!({"id": format!("{:032x}", crate::short_hash(&g.value)), "status": g.status}),
        10000,
        "This API Token is valid and active",
    ))
}

/// `GET /user/tokens/verify`.
pub async fn verify_user(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> ApiResult {
    let g = grant_for(&sim, &headers, Asker::Verify)?;
    if g.account_owned {
        // Account-owned tokens are verified on the account endpoint only.
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            1000,
            "Invalid API Token",
        ));
    }
    verify_reply(g)
}

/// `GET /accounts/{account_id}/tokens/verify`.
pub async fn verify_account(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let g = grant_for(&sim, &headers, Asker::Verify)?;
    if account != sim.config.account_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            10000,
            "Authentication error",
        ));
    }
    verify_reply(g)
}
