//! One description per provider (Cloudflare Images + Stream, R2, S3, GCS, a tus server): its
//! name, the destinations it configures, its fields (label, help, whether required or secret,
//! the environment names it accepts in order of preference, the names import also reads), and
//! the hint that says how to set it up. The CLI, `ferry account import`, the engine's messages and
//! the window's account form all read these descriptions; adding a provider is one more module.
//!
//! Two adapters turn a provider's settings into [`Values`]: [`Values::from_env`] (the process
//! environment, the seeds' names) and [`Values::from_account`] (an account's fields plus its
//! secret from the keychain). Each provider module builds its typed configuration from
//! `Values`, so both sources share one parser and one set of messages. Invariant: a secret is a
//! [`Secret`] from the keychain or the environment to the signer; no map of strings holds it.

pub mod cloudflare;
pub mod objects;
pub mod tus;

use crate::accounts::{Account, AccountKind};
use crate::credentials::Secret;
use crate::keychain::Keychain;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// Destination names, one per service a provider configures.
pub const IMAGES: &str = "images";
pub const STREAM: &str = "stream";
pub const R2: &str = "r2";
pub const S3: &str = "s3";
pub const GCS: &str = "gcs";
pub const TUS: &str = "tus";

/// The languages the window speaks. The CLI, logs and the engine's messages speak English; what
/// a front end shows from these descriptions (an account form) it can show in French too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// `fr` (or `fr-CA`…) is French; anything else English.
    pub fn parse(code: &str) -> Lang {
        if code.split(['-', '_']).next() == Some("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }
}

/// A field's label and help in another language than English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    pub label: &'static str,
    pub help: &'static str,
}

/// One setting of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key in `accounts.toml` and in [`Values`].
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// The label and help in French.
    pub fr: Words,
    pub required: bool,
    /// Kept in the keychain (accounts) and in [`Secret`] everywhere.
    pub secret: bool,
    /// Environment names read, first match wins; the first is the one messages name.
    pub env: &'static [&'static str],
    /// Whether setting this field in the environment means the provider is meant to be used
    /// (an account id alone, shared with another provider, does not).
    pub announces: bool,
    /// Read from the environment only; an account does not keep it (a session token).
    pub env_only: bool,
}

/// A provider's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    /// `cloudflare`, `r2`, `s3`, `gcs`, `tus`: the account kind, where it can be one.
    pub id: &'static str,
    pub label: &'static str,
    pub label_fr: &'static str,
    /// The destinations it configures.
    pub destinations: &'static [&'static str],
    pub fields: &'static [Field],
    /// Whether it can be stored as an account (the others come from the environment only).
    pub account: bool,
}

impl Field {
    pub fn label_in(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.label,
            Lang::Fr => self.fr.label,
        }
    }

    pub fn help_in(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.help,
            Lang::Fr => self.fr.help,
        }
    }
}

impl Provider {
    pub fn label_in(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.label,
            Lang::Fr => self.label_fr,
        }
    }
}

/// Every provider, in the order destinations are offered.
pub const PROVIDERS: &[&Provider] = &[
    &cloudflare::CLOUDFLARE_PROVIDER,
    &objects::R2_PROVIDER,
    &objects::S3_PROVIDER,
    &objects::GCS_PROVIDER,
    &tus::TUS_PROVIDER,
];

/// The provider with this id.
pub fn provider(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().copied().find(|p| p.id == id)
}

/// The provider that configures the destination `name`.
pub fn of_destination(name: &str) -> Option<&'static Provider> {
    PROVIDERS
        .iter()
        .copied()
        .find(|p| p.destinations.contains(&name))
}

/// Every destination name, for messages.
pub fn destination_names() -> Vec<&'static str> {
    PROVIDERS
        .iter()
        .flat_map(|p| p.destinations.iter().copied())
        .collect()
}

impl Provider {
    /// The fields an account of this provider keeps (the secret among them).
    pub fn account_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| !f.env_only)
    }

    pub fn field(&self, key: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The field holding the account's secret (kept in the keychain).
    pub fn secret_field(&self) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.secret && f.required)
    }

    /// "set A, B and C": the environment names of the required fields.
    pub fn setup_hint(&self) -> String {
        let names: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.env[0])
            .collect();
        format!("set {}", join_and(&names))
    }
}

/// "a, b and c".
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Where a provider's values came from: it decides how a missing one is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Environment,
    Account(String),
}

/// One provider's settings from one source: plain fields as text, secrets as [`Secret`].
#[derive(Clone)]
pub struct Values {
    pub provider: &'static Provider,
    pub source: Source,
    plain: BTreeMap<&'static str, String>,
    secrets: BTreeMap<&'static str, Secret>,
}

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Values")
            .field("provider", &self.provider.id)
            .field("source", &self.source)
            .field("plain", &self.plain)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A provider the environment sets, as a front end shows it: the variables that set it and its
/// plain values. Its secret is only said to be set, never shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromEnvironment {
    pub provider: &'static Provider,
    /// Each plain field set, with its value.
    pub fields: Vec<(&'static Field, String)>,
    /// The variable that set each field, the secret's included, in the description's order.
    pub variables: Vec<&'static str>,
    pub secret_set: bool,
}

/// The providers the environment sets (those a variable announces), as the engine reads them.
pub fn from_environment(env: &dyn Fn(&str) -> Option<String>) -> Vec<FromEnvironment> {
    PROVIDERS
        .iter()
        .filter_map(|p| {
            let values = Values::from_env(p, env)?;
            let mut found = FromEnvironment {
                provider: p,
                fields: Vec::new(),
                variables: Vec::new(),
                secret_set: false,
            };
            for field in p.fields {
                let set = field
                    .env
                    .iter()
                    .find(|name| env(name).is_some_and(|v| !v.trim().is_empty()));
                let Some(name) = set else { continue };
                found.variables.push(name);
                if field.secret {
                    found.secret_set = values.secret(field.key).is_some();
                } else if let Some(v) = values.get(field.key) {
                    found.fields.push((field, v.to_string()));
                }
            }
            Some(found)
        })
        .collect()
}

impl Values {
    /// The adapter from the environment: each field from the first of its names that is set
    /// (blank counts as unset). `None` when no field that announces the provider is set.
    pub fn from_env(
        provider: &'static Provider,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Values> {
        let get = |f: &Field| {
            f.env.iter().find_map(|name| {
                env(name)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        };
        if !provider
            .fields
            .iter()
            .any(|f| f.announces && get(f).is_some())
        {
            return None;
        }
        let mut values = Values::empty(provider, Source::Environment);
        for field in provider.fields {
            if let Some(v) = get(field) {
                values.set(field, v);
            }
        }
        Some(values)
    }

    /// The adapter from an account: its fields, and its secret read from `keychain`.
    pub fn from_account(name: &str, account: &Account, keychain: &Keychain) -> Result<Values> {
        let provider = account.kind.provider();
        let mut values = Values::empty(provider, Source::Account(name.to_string()));
        for (key, value) in account.kind.fields() {
            if let Some(field) = provider.field(key)
                && !value.trim().is_empty()
            {
                values.set(field, value.trim().to_string());
            }
        }
        if let Some(field) = provider.secret_field() {
            let secret = keychain
                .load(name, field.key)
                .map_err(|e| e.context(format!("account {name}")))?
                .ok_or_else(|| {
                    Error::config(format!(
                        "account {name}: its {} is not in the OS keychain; store it again with `ferry account edit {name} --new-secret`",
                        field.label.to_lowercase()
                    ))
                })?;
            values.secrets.insert(field.key, secret);
        }
        Ok(values)
    }

    /// An account's plain fields as given by a form or flags (key → text), before it is saved:
    /// blanks are dropped; a key the provider's accounts do not keep is refused.
    pub fn from_fields<'a>(
        provider: &'static Provider,
        account: &str,
        fields: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<Values> {
        let mut values = Values::empty(provider, Source::Account(account.to_string()));
        for (key, value) in fields {
            let field = provider
                .account_fields()
                .find(|f| f.key == key && !f.secret)
                .ok_or_else(|| {
                    Error::input(format!(
                        "account {account}: a {} account has no {key}",
                        provider.id
                    ))
                })?;
            if !value.trim().is_empty() {
                values.set(field, value.trim().to_string());
            }
        }
        Ok(values)
    }

    fn empty(provider: &'static Provider, source: Source) -> Values {
        Values {
            provider,
            source,
            plain: BTreeMap::new(),
            secrets: BTreeMap::new(),
        }
    }

    fn set(&mut self, field: &'static Field, value: String) {
        if field.secret {
            self.secrets.insert(field.key, Secret::new(value));
        } else {
            self.plain.insert(field.key, value);
        }
    }

    /// A plain field, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.plain.get(key).map(String::as_str)
    }

    /// A secret field, if set.
    pub fn secret(&self, key: &str) -> Option<&Secret> {
        self.secrets.get(key)
    }

    /// A required plain field, or the message that names it the way its source does.
    pub fn need(&self, key: &str) -> Result<&str> {
        self.get(key).ok_or_else(|| self.missing(key))
    }

    /// A required secret field.
    pub fn need_secret(&self, key: &str) -> Result<&Secret> {
        self.secret(key).ok_or_else(|| self.missing(key))
    }

    /// "destination r2: CLOUDFLARE_R2_BUCKET_NAME is not set (R2 needs …)" from the
    /// environment; "account school (Cloudflare R2): the bucket is not set …" from an account.
    pub fn missing(&self, key: &str) -> Error {
        let p = self.provider;
        let field = p.field(key);
        match &self.source {
            Source::Environment => {
                let name = match field.map(|f| f.env) {
                    Some([first, rest @ ..]) if !rest.is_empty() => {
                        format!("{first} (or {})", rest.join(", "))
                    }
                    Some([first]) => first.to_string(),
                    _ => key.to_string(),
                };
                let needs: Vec<&str> = p
                    .fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| f.env[0])
                    .collect();
                Error::config(format!(
                    "destination {}: {name} is not set ({} needs {})",
                    p.destinations.join("/"),
                    p.label,
                    join_and(&needs)
                ))
            }
            Source::Account(account) => {
                let label = field.map(|f| f.label.to_lowercase()).unwrap_or(key.into());
                Error::config(format!(
                    "account {account} ({}): the {label} is not set; add it with `ferry account edit {account}` or in the window's Accounts",
                    p.label
                ))
            }
        }
    }

    /// How a wrong value is named in a message: the variable, or the account's field.
    pub fn name_of(&self, key: &str) -> String {
        let field = self.provider.field(key);
        match &self.source {
            Source::Environment => field.map(|f| f.env[0]).unwrap_or(key).to_string(),
            Source::Account(account) => format!(
                "the {} of account {account}",
                field.map(|f| f.label.to_lowercase()).unwrap_or(key.into())
            ),
        }
    }
}

impl AccountKind {
    /// The account these values describe (their provider's kind, its plain fields).
    pub fn from_values(v: &Values) -> Result<AccountKind> {
        let opt = |k: &str| v.get(k).map(str::to_string);
        Ok(match v.provider.id {
            "cloudflare" => AccountKind::Cloudflare {
                account_id: v.need("account_id")?.to_string(),
                api_base_url: opt("api_base_url"),
            },
            "r2" => AccountKind::R2 {
                account_id: v.need("account_id")?.to_string(),
                bucket: v.need("bucket")?.to_string(),
                access_key_id: v.need("access_key_id")?.to_string(),
                public_base_url: opt("public_base_url"),
                endpoint: opt("endpoint"),
                jurisdiction: opt("jurisdiction"),
            },
            "gcs" => AccountKind::Gcs {
                bucket: v.need("bucket")?.to_string(),
                access_key_id: v.need("access_key_id")?.to_string(),
                endpoint: opt("endpoint"),
                public_base_url: opt("public_base_url"),
            },
            "s3" => AccountKind::S3 {
                bucket: v.need("bucket")?.to_string(),
                region: v.get("region").unwrap_or("us-east-1").to_string(),
                access_key_id: v.need("access_key_id")?.to_string(),
                endpoint: opt("endpoint"),
                public_base_url: opt("public_base_url"),
            },
            other => {
                return Err(Error::input(format!(
                    "{other} settings cannot be kept as an account yet; set them in the environment"
                )));
            }
        })
    }

    /// The provider this kind of account is.
    pub fn provider(&self) -> &'static Provider {
        match self {
            AccountKind::Cloudflare { .. } => &cloudflare::CLOUDFLARE_PROVIDER,
            AccountKind::R2 { .. } => &objects::R2_PROVIDER,
            AccountKind::S3 { .. } => &objects::S3_PROVIDER,
            AccountKind::Gcs { .. } => &objects::GCS_PROVIDER,
        }
    }

    /// The account's plain fields by key (the provider's field keys).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut opt = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                out.push((k, v.clone()));
            }
        };
        match self {
            AccountKind::Cloudflare {
                account_id,
                api_base_url,
            } => {
                opt("api_base_url", api_base_url);
                out.push(("account_id", account_id.clone()));
            }
            AccountKind::R2 {
                account_id,
                bucket,
                access_key_id,
                public_base_url,
                endpoint,
                jurisdiction,
            } => {
                opt("public_base_url", public_base_url);
                opt("endpoint", endpoint);
                opt("jurisdiction", jurisdiction);
                out.push(("account_id", account_id.clone()));
                out.push(("bucket", bucket.clone()));
                out.push(("access_key_id", access_key_id.clone()));
            }
            AccountKind::Gcs {
                bucket,
                access_key_id,
                endpoint,
                public_base_url,
            } => {
                opt("endpoint", endpoint);
                opt("public_base_url", public_base_url);
                out.push(("bucket", bucket.clone()));
                out.push(("access_key_id", access_key_id.clone()));
            }
            AccountKind::S3 {
                bucket,
                region,
                access_key_id,
                endpoint,
                public_base_url,
            } => {
                opt("endpoint", endpoint);
                opt("public_base_url", public_base_url);
                out.push(("bucket", bucket.clone()));
                out.push(("region", region.clone()));
                out.push(("access_key_id", access_key_id.clone()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_reads_in_french_too() {
        assert_eq!(Lang::parse("fr-CA"), Lang::Fr);
        assert_eq!(Lang::parse("en"), Lang::En);
        assert_eq!(Lang::parse("de"), Lang::En);
        for p in PROVIDERS {
            assert!(!p.label_in(Lang::Fr).is_empty(), "{}", p.id);
            for f in p.fields {
                assert!(!f.label_in(Lang::Fr).is_empty(), "{}.{}", p.id, f.key);
                assert_ne!(
                    f.help_in(Lang::Fr),
                    f.help,
                    "{}.{}: help left in English",
                    p.id,
                    f.key
                );
                assert_eq!(f.label_in(Lang::En), f.label);
            }
        }
    }

    #[test]
    fn every_destination_has_one_provider_and_every_field_an_environment_name() {
        let names = destination_names();
        let mut seen = std::collections::BTreeSet::new();
        for name in &names {
            assert!(seen.insert(*name), "{name} twice");
            assert!(of_destination(name).is_some());
        }
        for p in PROVIDERS {
            assert!(p.fields.iter().any(|f| f.announces), "{}", p.id);
            for f in p.fields {
                assert!(!f.env.is_empty(), "{}.{}", p.id, f.key);
                assert!(
                    !f.label.is_empty() && !f.help.is_empty(),
                    "{}.{}",
                    p.id,
                    f.key
                );
            }
            if p.account {
                assert!(p.secret_field().is_some(), "{} keeps a secret", p.id);
            }
        }
    }

    #[test]
    fn account_fields_are_the_providers_fields() {
        let kinds = [
            AccountKind::Cloudflare {
                account_id: "a".into(),
                api_base_url: Some("https://x".into()),
            },
            AccountKind::R2 {
                account_id: "a".into(),
                bucket: "b".into(),
                access_key_id: "k".into(),
                public_base_url: Some("https://p".into()),
                endpoint: Some("https://e".into()),
                jurisdiction: Some("eu".into()),
            },
            AccountKind::S3 {
                bucket: "b".into(),
                region: "r".into(),
                access_key_id: "k".into(),
                endpoint: Some("https://e".into()),
                public_base_url: Some("https://p".into()),
            },
            AccountKind::Gcs {
                bucket: "b".into(),
                access_key_id: "GOOG1E".into(),
                endpoint: None,
                public_base_url: Some("https://p".into()),
            },
        ];
        for kind in kinds {
            let p = kind.provider();
            assert!(p.account);
            for (key, _) in kind.fields() {
                let f = p.field(key).unwrap_or_else(|| panic!("{}.{key}", p.id));
                assert!(!f.secret, "{}.{key} is not a secret", p.id);
            }
        }
    }

    #[test]
    fn the_environment_adapter_reads_names_in_order_and_keeps_secrets_secret() {
        let env = |k: &str| match k {
            "R2_BUCKET_NAME" => Some("media".to_string()),
            "CLOUDFLARE_R2_ACCESS_KEY_ID" => Some("AK".to_string()),
            "R2_SECRET_ACCESS_KEY" => Some("sk-123".to_string()),
            "CLOUDFLARE_R2_ACCOUNT_ID" => Some("r2acct".to_string()),
            "CLOUDFLARE_ACCOUNT_ID" => Some("cfacct".to_string()),
            "CLOUDFLARE_R2_ENDPOINT" => Some("   ".to_string()),
            _ => None,
        };
        let v = Values::from_env(&objects::R2_PROVIDER, &env).unwrap();
        assert_eq!(v.get("bucket"), Some("media"), "an alias configures too");
        assert_eq!(v.get("account_id"), Some("r2acct"), "R2's own id first");
        assert_eq!(v.get("endpoint"), None, "blank is unset");
        assert_eq!(v.secret("secret_access_key").unwrap().expose(), "sk-123");
        assert!(!format!("{v:?}").contains("sk-123"));
        // An account id alone does not announce R2.
        let only_id = |k: &str| (k == "CLOUDFLARE_ACCOUNT_ID").then(|| "x".to_string());
        assert!(Values::from_env(&objects::R2_PROVIDER, &only_id).is_none());
    }

    #[test]
    fn what_the_environment_sets_is_listed_without_its_secret() {
        let env = |k: &str| match k {
            "R2_BUCKET_NAME" => Some("media".to_string()),
            "CLOUDFLARE_R2_ACCESS_KEY_ID" => Some("AK".to_string()),
            "R2_SECRET_ACCESS_KEY" => Some("sk-123".to_string()),
            "CLOUDFLARE_ACCOUNT_ID" => Some("cfacct".to_string()),
            _ => None,
        };
        let found = from_environment(&env);
        assert_eq!(found.len(), 1, "only R2 is announced: {found:?}");
        let r2 = &found[0];
        assert_eq!(r2.provider.id, "r2");
        assert!(r2.secret_set);
        let shown: Vec<_> = r2.fields.iter().map(|(f, v)| (f.key, v.as_str())).collect();
        assert!(shown.contains(&("bucket", "media")), "{shown:?}");
        assert!(shown.contains(&("account_id", "cfacct")), "{shown:?}");
        assert!(!shown.iter().any(|(_, v)| v.contains("sk-123")));
        for name in [
            "R2_BUCKET_NAME",
            "R2_SECRET_ACCESS_KEY",
            "CLOUDFLARE_ACCOUNT_ID",
        ] {
            assert!(r2.variables.contains(&name), "{name} in {:?}", r2.variables);
        }
    }
}
