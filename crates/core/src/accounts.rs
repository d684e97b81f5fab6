//! Accounts: named profiles for Cloudflare (Images + Stream), R2 and S3. Their non-secret
//! fields live in `accounts.toml`; the secret (API token or secret access key) lives only in the
//! OS keychain, under the account's name.
//!
//! An account is the other source of a provider's settings ([`crate::provider::Values`]): each
//! provider is configured from the environment where it is set there, else from the default
//! account of its kind; its secret goes from the keychain into a `Secret`, never into a map.

use crate::credentials::Secret;
use crate::keychain::Keychain;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What kind of account, and its non-secret fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum AccountKind {
    /// Cloudflare Images and Stream: an account id and an API token (the secret).
    Cloudflare {
        account_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        api_base_url: Option<String>,
    },
    /// Cloudflare R2: the secret is the secret access key.
    R2 {
        account_id: String,
        bucket: String,
        access_key_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_base_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jurisdiction: Option<String>,
    },
    /// Google Cloud Storage through its XML API: an HMAC key; the secret is its secret.
    Gcs {
        bucket: String,
        access_key_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_base_url: Option<String>,
    },
    /// AWS S3 or any S3-compatible store: the secret is the secret access key.
    S3 {
        bucket: String,
        region: String,
        access_key_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_base_url: Option<String>,
    },
}

impl AccountKind {
    pub fn name(&self) -> &'static str {
        match self {
            AccountKind::Cloudflare { .. } => "cloudflare",
            AccountKind::R2 { .. } => "r2",
            AccountKind::S3 { .. } => "s3",
            AccountKind::Gcs { .. } => "gcs",
        }
    }

    /// The keychain field of the account's secret.
    pub fn secret_field(&self) -> &'static str {
        self.provider()
            .secret_field()
            .map_or("secret_access_key", |f| f.key)
    }
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    #[serde(flatten)]
    pub kind: AccountKind,
    /// The account used for its kind when there are several.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

/// `accounts.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounts {
    #[serde(default)]
    pub accounts: BTreeMap<String, Account>,
}

impl Accounts {
    pub fn load(path: &Path) -> Result<Accounts> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).map_err(|e| crate::config::toml_error(path, &text, &e))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Accounts::default()),
            Err(e) => Err(Error::from_io(path, &e)),
        }
    }

    fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self).map_err(|e| Error::config(e.to_string()))?;
        let tmp = path.with_extension("toml.tmp");
        crate::private::write(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, path).map_err(|e| Error::from_io(path, &e))
    }

    /// An account name people choose ("My school storage", "Médiathèque"): letters, digits, spaces,
    /// `-`, `_` and `.`, at most 64 characters, not starting or ending with a space. It names the
    /// keychain entries and the `--account` flag, so nothing there needs quoting rules of its own.
    pub fn check_name(name: &str) -> Result<()> {
        let fits = !name.is_empty()
            && name.chars().count() <= 64
            && name.trim() == name
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
        if fits {
            Ok(())
        } else {
            Err(Error::input(format!(
                "account name {name:?}: use letters, digits, spaces, '-', '_' and '.' (64 at most, no space at either end)"
            )))
        }
    }

    /// Add or replace an account: the secret goes to the keychain first, so a file never names
    /// an account whose secret was not stored.
    pub fn add(
        path: &Path,
        keychain: &Keychain,
        name: &str,
        account: Account,
        secret: &Secret,
    ) -> Result<()> {
        Self::check_name(name)?;
        if secret.is_empty() {
            return Err(Error::input(format!(
                "account {name}: the {} is empty",
                account.kind.secret_field()
            )));
        }
        let mut all = Accounts::load(path)?;
        keychain.store(name, account.kind.secret_field(), secret)?;
        if account.default {
            for other in all
                .accounts
                .values_mut()
                .filter(|a| a.kind.name() == account.kind.name())
            {
                other.default = false;
            }
        }
        all.accounts.insert(name.to_string(), account);
        all.save(path)
    }

    /// Remove an account and its secret; `false` if there was no such account.
    pub fn remove(path: &Path, keychain: &Keychain, name: &str) -> Result<bool> {
        let mut all = Accounts::load(path)?;
        let Some(account) = all.accounts.remove(name) else {
            return Ok(false);
        };
        keychain.remove(name, account.kind.secret_field())?;
        all.save(path)?;
        Ok(true)
    }

    /// Change an account: `edit` rewrites its non-secret fields; `secret`, when given,
    /// replaces the one in the keychain (stored before the file is written).
    pub fn update(
        path: &Path,
        keychain: &Keychain,
        name: &str,
        edit: impl FnOnce(&mut AccountKind) -> Result<()>,
        secret: Option<&Secret>,
    ) -> Result<()> {
        let mut all = Accounts::load(path)?;
        let account = all.accounts.get_mut(name).ok_or_else(|| no_such(name))?;
        edit(&mut account.kind)?;
        if let Some(secret) = secret {
            if secret.is_empty() {
                return Err(Error::input(format!(
                    "account {name}: the new {} is empty",
                    account.kind.secret_field()
                )));
            }
            keychain.store(name, account.kind.secret_field(), secret)?;
        }
        all.save(path)
    }

    /// Make `name` the account used for its kind.
    pub fn set_default(path: &Path, name: &str) -> Result<()> {
        let mut all = Accounts::load(path)?;
        let kind = all
            .accounts
            .get(name)
            .ok_or_else(|| no_such(name))?
            .kind
            .name();
        for (n, a) in all.accounts.iter_mut() {
            if a.kind.name() == kind {
                a.default = n == name;
            }
        }
        all.save(path)
    }

    /// The account used for each kind: the one marked default, else the first by name.
    pub fn defaults(&self) -> Vec<(&str, &Account)> {
        let mut chosen: BTreeMap<&str, (&str, &Account)> = BTreeMap::new();
        for (name, account) in &self.accounts {
            let kind = account.kind.name();
            match chosen.get(kind) {
                Some((_, current)) if current.default || !account.default => {}
                _ => {
                    chosen.insert(kind, (name.as_str(), account));
                }
            }
        }
        chosen.into_values().collect()
    }
}

fn no_such(name: &str) -> Error {
    Error::new(
        crate::ErrorKind::NotFound,
        format!("there is no account {name}; `ferry account list` shows them"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_what_people_type() {
        for good in [
            "school",
            "My school storage",
            "Médiathèque 2027",
            "r2.backup",
            "a-b_c",
        ] {
            assert!(Accounts::check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            " padded",
            "trailing ",
            "a/b",
            "quote\"",
            "tab\tname",
            &"x".repeat(65),
        ] {
            let err = Accounts::check_name(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
            assert!(err.message().contains("letters, digits, spaces"), "{err}");
        }
    }

    #[test]
    fn the_file_holds_no_secret_and_defaults_are_chosen_per_kind() {
        let text = r#"
[accounts.school]
kind = "r2"
account_id = "abc"
bucket = "course-media"
access_key_id = "AKIA1"

[accounts.backup]
kind = "r2"
account_id = "abc"
bucket = "backup"
access_key_id = "AKIA2"
default = true

[accounts.cf]
kind = "cloudflare"
account_id = "abc"
"#;
        let all: Accounts = toml::from_str(text).unwrap();
        let defaults: Vec<&str> = all.defaults().iter().map(|(n, _)| *n).collect();
        assert_eq!(defaults, ["cf", "backup"]);
        assert!(
            toml::from_str::<Accounts>("[accounts.x]\nkind = \"r2\"\nsecret_access_key = \"s\"")
                .is_err(),
            "secrets are not fields"
        );
        let fields = all.accounts["school"].kind.fields();
        assert!(fields.contains(&("bucket", "course-media".into())));
        assert!(
            fields.iter().all(|(k, _)| *k != "secret_access_key"),
            "an account's fields hold no secret: it is read from the keychain as a Secret"
        );
    }
}
