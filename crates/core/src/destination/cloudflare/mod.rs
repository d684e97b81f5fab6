//! Cloudflare Images and Stream: configuration from the environment (the seeds' names), the
//! shared API client, and the account check ("test connection") that verifies the token and
//! probes each product so a missing permission is named before the first upload.

pub mod api;
mod direct_uploads;
#[cfg(test)]
mod emulated;
pub mod images;
mod live;
pub mod stream;
mod stream_captions;

pub use images::{ImagesDestination, ImagesOptions};
pub use stream::{StreamDestination, StreamOptions};

use crate::credentials::Secret;
use crate::{Error, ErrorKind, Result};
use api::{Api, Product};
use url::Url;

pub const DEFAULT_API_BASE: &str = "https://api.cloudflare.com/client/v4";

/// An account and a token for the Images and Stream APIs.
#[derive(Debug, Clone)]
pub struct CloudflareConfig {
    pub account_id: String,
    pub token: Secret,
    pub api_base: Url,
    /// How messages name the token and the account: as the user set them.
    pub naming: api::Naming,
}

impl CloudflareConfig {
    /// From `CLOUDFLARE_ACCOUNT_ID`, `CLOUDFLARE_API_TOKEN` and optionally
    /// `CLOUDFLARE_API_BASE_URL`; `None` when no token is set (the account id alone serves R2).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        crate::provider::Values::from_env(&crate::provider::cloudflare::CLOUDFLARE_PROVIDER, env)
            .map(|v| crate::provider::cloudflare::config(&v))
            .transpose()
    }

    pub fn api(&self) -> Api {
        Api::new(
            self.api_base.clone(),
            self.account_id.clone(),
            self.token.clone(),
        )
        .named(self.naming.clone())
    }
}

/// The API token travels with every request to the API base, so the base must be `https://`;
/// plain `http://` is allowed only on this computer (the emulator in tests and the demo).
pub(crate) fn check_api_base(base: &Url, named: &str) -> Result<()> {
    let loopback = match base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match base.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(Error::config(format!(
            "{named} {base} must start with https:// (the API token is sent to it); plain http:// is only allowed for 127.0.0.1 or localhost"
        ))),
    }
}

/// One line of an account check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

/// Verify the token (user endpoint, then the account one for account-owned tokens) and probe
/// Images and Stream with one cheap read each.
pub async fn check_account(config: &CloudflareConfig) -> Vec<CheckLine> {
    let api = config.api();
    let mut lines = Vec::new();
    let mut verified = None;
    for path in [
        "user/tokens/verify".to_string(),
        format!("accounts/{}/tokens/verify", config.account_id),
    ] {
        let req = api.http.get(api.url(&path));
        match api
            .call(req, Product::Tokens, "verifying the API token")
            .await
        {
            Ok(result) => {
                verified = Some(Ok(result));
                break;
            }
            Err(e) => verified = Some(Err(e)),
        }
    }
    match verified {
        Some(Ok(result)) => {
            let status = result["status"].as_str().unwrap_or("unknown").to_string();
            lines.push(CheckLine {
                what: "API token".into(),
                ok: status == "active",
                detail: if status == "active" {
                    "valid and active".into()
                } else {
                    format!("the token is {status}; create a new one in the Cloudflare dashboard (My Profile > API Tokens)")
                },
            });
        }
        Some(Err(e)) => lines.push(CheckLine {
            what: "API token".into(),
            ok: false,
            detail: e.message().to_string(),
        }),
        None => {}
    }
    let probes = [
        (
            Product::Images,
            "Images",
            api.account_url("images/v2").to_string() + "?per_page=10",
        ),
        (
            Product::Stream,
            "Stream",
            api.account_url("stream").to_string() + "?limit=1",
        ),
    ];
    for (product, what, url) in probes {
        let req = api.http.get(url);
        let line = match api
            .call(req, product, &format!("reading the {what} library"))
            .await
        {
            Ok(_) => CheckLine {
                what: what.into(),
                ok: true,
                detail: "the token may upload here".into(),
            },
            Err(e) if e.kind() == ErrorKind::PermissionDenied => CheckLine {
                what: what.into(),
                ok: false,
                detail: format!(
                    "the token lacks the \"{}\" permission",
                    product.permission()
                ),
            },
            Err(e) => CheckLine {
                what: what.into(),
                ok: false,
                detail: e.message().to_string(),
            },
        };
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_base_is_https_except_on_this_computer() {
        let config = |base: &str| {
            CloudflareConfig::from_env(&|k: &str| match k {
                "CLOUDFLARE_API_TOKEN" => Some("t".into()),
                "CLOUDFLARE_ACCOUNT_ID" => Some("a".into()),
                "CLOUDFLARE_API_BASE_URL" => Some(base.into()),
                _ => None,
            })
        };
        for ok in [
            "https://api.cloudflare.com/client/v4",
            "http://127.0.0.1:8787/client/v4",
            "http://[::1]:8787/client/v4",
            "http://localhost:8787/client/v4",
        ] {
            assert!(config(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://api.cloudflare.com/client/v4",
            "http://10.0.0.5/client/v4",
            "ftp://127.0.0.1/",
        ] {
            let err = config(refused).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidConfig, "{refused}");
            assert!(err.message().contains("https://"), "{err}");
        }
    }

    #[test]
    fn config_comes_from_the_seeds_variables() {
        let env = |k: &str| match k {
            "CLOUDFLARE_ACCOUNT_ID" => Some("acc".to_string()),
            "CLOUDFLARE_API_TOKEN" => Some("s3cr3t-t0ken".to_string()),
            _ => None,
        };
        let c = CloudflareConfig::from_env(&env).unwrap().unwrap();
        assert_eq!(c.account_id, "acc");
        assert_eq!(c.api_base.as_str(), "https://api.cloudflare.com/client/v4");
        assert!(
            !format!("{c:?}").contains("s3cr3t"),
            "the token never prints"
        );
        assert!(CloudflareConfig::from_env(&|_| None).unwrap().is_none());
        let err =
            CloudflareConfig::from_env(&|k| (k == "CLOUDFLARE_API_TOKEN").then(|| "t".into()))
                .unwrap_err();
        assert!(err.message().contains("CLOUDFLARE_ACCOUNT_ID"));
    }
}
