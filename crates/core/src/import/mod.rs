//! Importing accounts from what people have today: environment variables and `.env` files with
//! the seeds' names (`CLOUDFLARE_*`, `CLOUDFLARE_R2_*`, `R2_*`, `AWS_*`, `S3_BUCKET_*`). The
//! variables are read into a map, grouped into at most one account per kind, and each account
//! is either taken (its secret then goes to the keychain) or skipped with the reason — a partial
//! set names the variables that are missing. Nothing is written for a skipped account.
//! [`profiles`] does the same for the AWS CLI's and rclone's INI files.

pub mod profiles;
pub mod sources;

use crate::accounts::{Account, AccountKind};
use crate::credentials::Secret;
use crate::provider::{PROVIDERS, Values};
use std::collections::BTreeMap;
use std::path::Path;

/// Variables read from a source, and lines that could not be read (with why).
#[derive(Debug, Default)]
pub struct Variables {
    pub values: BTreeMap<String, String>,
    pub problems: Vec<String>,
}

/// Parse a `.env` file: `KEY=value`, optional `export `, single or double quotes, `#` comments.
pub fn parse_dotenv(path: &Path, text: &str) -> Variables {
    let mut out = Variables::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            out.problems.push(format!(
                "{}:{}: not KEY=value, skipped",
                path.display(),
                i + 1
            ));
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.problems.push(format!(
                "{}:{}: {key:?} is not a variable name, skipped",
                path.display(),
                i + 1
            ));
            continue;
        }
        let value = value.trim();
        let value = match (value.chars().next(), value.chars().last()) {
            (Some(q @ ('"' | '\'')), Some(e)) if value.len() >= 2 && q == e => {
                &value[1..value.len() - 1]
            }
            (Some('"' | '\''), _) => {
                out.problems.push(format!(
                    "{}:{}: {key}: unclosed quote, skipped",
                    path.display(),
                    i + 1
                ));
                continue;
            }
            // An unquoted value ends at a comment.
            _ => value.split(" #").next().unwrap_or(value).trim(),
        };
        out.values.insert(key.to_string(), value.to_string());
    }
    out
}

/// An account found in a set of variables, ready to add.
pub struct Found {
    pub name: String,
    pub account: Account,
    pub secret: Secret,
}

/// What an import found: accounts to take, and what was skipped with why.
pub struct Plan {
    pub found: Vec<Found>,
    pub skipped: Vec<String>,
}

/// Group variables into accounts (named after their kind): one per provider that can be an
/// account, read with that provider's own names ([`crate::provider`]), so a name that
/// configures Ferry is a name import takes, and the other way round.
pub fn plan(vars: &BTreeMap<String, String>) -> Plan {
    let env = |k: &str| vars.get(k).cloned();
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for provider in PROVIDERS.iter().filter(|p| p.account) {
        let Some(values) = Values::from_env(provider, &env) else {
            continue;
        };
        let missing: Vec<&str> = provider
            .fields
            .iter()
            .filter(|f| f.required)
            .filter(|f| {
                if f.secret {
                    values.secret(f.key).is_none()
                } else {
                    values.get(f.key).is_none()
                }
            })
            .map(|f| f.env[0])
            .collect();
        if !missing.is_empty() {
            skipped.push(format!("{}: missing {}", provider.id, missing.join(", ")));
            continue;
        }
        let kind = match AccountKind::from_values(&values) {
            Ok(kind) => kind,
            Err(e) => {
                skipped.push(format!("{}: {}", provider.id, e.message()));
                continue;
            }
        };
        let Some(secret) = provider
            .secret_field()
            .and_then(|f| values.secret(f.key))
            .cloned()
        else {
            continue;
        };
        found.push(Found {
            name: provider.id.to_string(),
            account: Account {
                kind,
                default: false,
            },
            secret,
        });
    }
    Plan { found, skipped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_files_are_read_like_the_seeds_write_them() {
        let text = "# R2 (seed 002)\nexport R2_ACCOUNT_ID=abc123\nR2_BUCKET_NAME=\"course media\"\nR2_ACCESS_KEY_ID='AK1'\nR2_SECRET_ACCESS_KEY=sk-1 # the secret\nR2_PUBLIC_URL=https://cdn.example.edu\nnot a line\nBAD-KEY=1\nOPEN=\"unclosed\n";
        let vars = parse_dotenv(Path::new(".env"), text);
        assert_eq!(vars.values["R2_BUCKET_NAME"], "course media");
        assert_eq!(vars.values["R2_ACCESS_KEY_ID"], "AK1");
        assert_eq!(vars.values["R2_SECRET_ACCESS_KEY"], "sk-1");
        assert_eq!(vars.problems.len(), 3, "{:?}", vars.problems);
        assert!(vars.problems[0].contains(".env:7"), "{:?}", vars.problems);
        let plan = plan(&vars.values);
        assert_eq!(plan.found.len(), 1);
        let r2 = &plan.found[0];
        assert_eq!(r2.name, "r2");
        assert_eq!(r2.secret.expose(), "sk-1");
        match &r2.account.kind {
            AccountKind::R2 {
                account_id,
                bucket,
                public_base_url,
                ..
            } => {
                assert_eq!(
                    (account_id.as_str(), bucket.as_str()),
                    ("abc123", "course media")
                );
                assert_eq!(public_base_url.as_deref(), Some("https://cdn.example.edu"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn partial_sets_are_skipped_naming_what_is_missing() {
        let vars: BTreeMap<String, String> = [
            ("CLOUDFLARE_API_TOKEN", "t"),
            ("CLOUDFLARE_R2_BUCKET_NAME", "b"),
            ("S3_BUCKET_NAME", "s"),
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let plan = plan(&vars);
        assert_eq!(
            plan.found
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["s3"]
        );
        assert_eq!(plan.skipped.len(), 2, "{:?}", plan.skipped);
        assert!(
            plan.skipped[0].starts_with("cloudflare: missing CLOUDFLARE_ACCOUNT_ID"),
            "{:?}",
            plan.skipped
        );
        assert!(
            plan.skipped[1].contains("CLOUDFLARE_R2_ACCESS_KEY_ID")
                && plan.skipped[1].contains("CLOUDFLARE_R2_SECRET_ACCESS_KEY"),
            "{:?}",
            plan.skipped
        );
    }
}
