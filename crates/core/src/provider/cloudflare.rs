//! Cloudflare Images and Stream: one account id and one API token for both, and the API's base
//! URL (the emulator's in tests and the demo). Builds a [`CloudflareConfig`].

use super::{Field, IMAGES, Provider, STREAM, Source, Values, Words};
use crate::Result;
use crate::destination::cloudflare::api::Naming;
use crate::destination::cloudflare::{CloudflareConfig, DEFAULT_API_BASE};
use url::Url;

pub const CLOUDFLARE_PROVIDER: Provider = Provider {
    id: "cloudflare",
    label: "Cloudflare Images + Stream",
    label_fr: "Cloudflare Images + Stream",
    destinations: &[IMAGES, STREAM],
    account: true,
    fields: &[
        Field {
            key: "account_id",
            label: "Account ID",
            help: "The 32-character id on the Cloudflare dashboard's overview.",
            fr: Words {
                label: "ID du compte",
                help: "L’identifiant de 32 caractères affiché sur la page d’accueil du tableau de bord Cloudflare.",
            },
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
            fr: Words {
                label: "Jeton d’API",
                help: "Un jeton avec Cloudflare Images : Edit et Stream : Edit (Mon profil > Jetons d’API) ; gardé dans le trousseau du système.",
            },
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
            fr: Words {
                label: "URL de base de l’API",
                help: "Seulement pour un Cloudflare local (ferry-cloudsim) ; sinon en https://.",
            },
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
    let naming = match &v.source {
        Source::Environment => Naming {
            token: format!("the API token in {}", v.name_of("api_token")),
            account: format!("the account in {}", v.name_of("account_id")),
        },
        Source::Account(name) => Naming {
            token: format!("the API token of account {name} (Accounts)"),
            account: format!("the Cloudflare account that account {name} names"),
        },
    };
    Ok(CloudflareConfig {
        account_id,
        token,
        api_base,
        naming,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::cloudflare::api::{Product, failure};

    fn refused(v: &Values) -> String {
        let api = config(v).unwrap().api();
        failure(
            reqwest::StatusCode::UNAUTHORIZED,
            &[(10001, "Unable to authenticate request".into())],
            Product::Images,
            "uploading cover.png",
            api.naming(),
        )
        .to_string()
    }

    #[test]
    fn messages_name_the_token_where_the_user_set_it() {
        let token = CLOUDFLARE_PROVIDER.secret_field().unwrap();
        let mut from_account = Values::from_fields(
            &CLOUDFLARE_PROVIDER,
            "school",
            [("account_id", "0123456789abcdef0123456789abcdef".to_string())],
        )
        .unwrap();
        from_account.set(token, "tok".into());
        let said = refused(&from_account);
        assert!(said.contains("the API token of account school"), "{said}");
        assert!(
            !said.contains("CLOUDFLARE_"),
            "no variable the user never set: {said}"
        );

        let env = |k: &str| match k {
            "CLOUDFLARE_API_TOKEN" => Some("tok".to_string()),
            "CLOUDFLARE_ACCOUNT_ID" => Some("0123456789abcdef0123456789abcdef".to_string()),
            _ => None,
        };
        let from_env = Values::from_env(&CLOUDFLARE_PROVIDER, &env).unwrap();
        let said = refused(&from_env);
        assert!(said.contains("CLOUDFLARE_API_TOKEN"), "{said}");
    }
}
