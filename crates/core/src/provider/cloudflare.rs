//! Cloudflare Images and Stream: one account id and one API token for both, and the API's base
//! URL (the emulator's in tests and the demo). Builds a [`CloudflareConfig`].

use super::{Field, IMAGES, Provider, STREAM, Values};
use crate::Result;
use crate::destination::cloudflare::{CloudflareConfig, DEFAULT_API_BASE};
use url::Url;

pub const CLOUDFLARE_PROVIDER: Provider = Provider {
    id: "cloudflare",
    label: "Cloudflare Images + Stream",
    destinations: &[IMAGES, STREAM],
    account: true,
    fields: &[
        Field {
            key: "account_id",
            label: "Account ID",
            help: "The 32-character id on the Cloudflare dashboard's overview.",
            required: true,
            secret: false,
            env: &["CLOUDFLARE_ACCOUNT_ID"],
            announces: false,
            env_only: false,
        },
        Field {
            key: "api_token",
            label: "API token",
            help: "A token with Cloudflare Images: Edit and Stream: Edit (My Profile > API Tokens); kept in the OS keychain.",
            required: true,
            secret: true,
            env: &["CLOUDFLARE_API_TOKEN"],
            announces: true,
            env_only: false,
        },
        Field {
            key: "api_base_url",
            label: "API base URL",
            help: "Only for a local Cloudflare (ferry-cloudsim); https:// otherwise.",
            required: false,
            secret: false,
            env: &["CLOUDFLARE_API_BASE_URL"],
            announces: false,
            env_only: false,
        },
    ],
};

/// The Images and Stream account these values configure.
pub fn config(v: &Values) -> Result<CloudflareConfig> {
    let token = v.need_secret("api_token")?.clone();
    let account_id = v.need("account_id")?.to_string();
    let base_text = v.get("api_base_url").unwrap_or(DEFAULT_API_BASE);
    let api_base = Url::parse(base_text).map_err(|e| {
        crate::Error::config(format!(
            "{} {base_text:?} is not a URL: {e}",
            v.name_of("api_base_url")
        ))
    })?;
    crate::destination::cloudflare::check_api_base(&api_base, &v.name_of("api_base_url"))?;
    Ok(CloudflareConfig {
        account_id,
        token,
        api_base,
    })
}
