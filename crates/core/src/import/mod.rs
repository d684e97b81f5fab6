//! Importing accounts from what people have today: environment variables and `.env` files with
//! the seeds' names (`CLOUDFLARE_*`, `CLOUDFLARE_R2_*`, `R2_*`, `AWS_*`, `S3_BUCKET_*`). The
//! variables are read into a map, grouped into at most one account per kind, and each account
//! is either taken (its secret then goes to the keychain) or skipped with the reason — a partial
//! set names the variables that are missing. Nothing is written for a skipped account.
//! [`profiles`] does the same for the AWS CLI's and rclone's INI files.

pub mod profiles;

use crate::accounts::{Account, AccountKind};
use crate::credentials::Secret;
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

/// Builds an account and its secret from a lookup of the variables a group needs.
type Build<'a> = &'a dyn Fn(&dyn Fn(&str) -> String) -> (AccountKind, String);

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

/// Group variables into accounts (named after their kind).
pub fn plan(vars: &BTreeMap<String, String>) -> Plan {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| vars.get(*n).filter(|v| !v.is_empty()).cloned())
    };
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut group =
        |name: &str, present: bool, need: Vec<(&str, Option<String>)>, build: Build<'_>| {
            if !present {
                return;
            }
            let missing: Vec<&str> = need
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| *n)
                .collect();
            if !missing.is_empty() {
                skipped.push(format!("{name}: missing {}", missing.join(", ")));
                return;
            }
            let lookup = |n: &str| {
                need.iter()
                    .find(|(k, _)| *k == n)
                    .and_then(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let (kind, secret) = build(&lookup);
            found.push(Found {
                name: name.to_string(),
                account: Account {
                    kind,
                    default: false,
                },
                secret: Secret::new(secret),
            });
        };

    let cf_present = vars.contains_key("CLOUDFLARE_API_TOKEN");
    group(
        "cloudflare",
        cf_present,
        vec![
            ("CLOUDFLARE_ACCOUNT_ID", get(&["CLOUDFLARE_ACCOUNT_ID"])),
            ("CLOUDFLARE_API_TOKEN", get(&["CLOUDFLARE_API_TOKEN"])),
        ],
        &|v| {
            (
                AccountKind::Cloudflare {
                    account_id: v("CLOUDFLARE_ACCOUNT_ID"),
                    api_base_url: get(&["CLOUDFLARE_API_BASE_URL"]),
                },
                v("CLOUDFLARE_API_TOKEN"),
            )
        },
    );
    let r2_present = vars
        .keys()
        .any(|k| k.starts_with("CLOUDFLARE_R2_") || k.starts_with("R2_"));
    group(
        "r2",
        r2_present,
        vec![
            (
                "CLOUDFLARE_ACCOUNT_ID",
                get(&[
                    "CLOUDFLARE_R2_ACCOUNT_ID",
                    "R2_ACCOUNT_ID",
                    "CLOUDFLARE_ACCOUNT_ID",
                ]),
            ),
            (
                "CLOUDFLARE_R2_BUCKET_NAME",
                get(&["CLOUDFLARE_R2_BUCKET_NAME", "R2_BUCKET_NAME"]),
            ),
            (
                "CLOUDFLARE_R2_ACCESS_KEY_ID",
                get(&["CLOUDFLARE_R2_ACCESS_KEY_ID", "R2_ACCESS_KEY_ID"]),
            ),
            (
                "CLOUDFLARE_R2_SECRET_ACCESS_KEY",
                get(&["CLOUDFLARE_R2_SECRET_ACCESS_KEY", "R2_SECRET_ACCESS_KEY"]),
            ),
        ],
        &|v| {
            (
                AccountKind::R2 {
                    account_id: v("CLOUDFLARE_ACCOUNT_ID"),
                    bucket: v("CLOUDFLARE_R2_BUCKET_NAME"),
                    access_key_id: v("CLOUDFLARE_R2_ACCESS_KEY_ID"),
                    public_base_url: get(&[
                        "CLOUDFLARE_R2_PUBLIC_BASE_URL",
                        "CLOUDFLARE_R2_PUBLIC_URL",
                        "R2_PUBLIC_URL",
                    ]),
                    endpoint: get(&["CLOUDFLARE_R2_ENDPOINT", "R2_ENDPOINT_URL"]),
                    jurisdiction: get(&["CLOUDFLARE_R2_JURISDICTION"]),
                },
                v("CLOUDFLARE_R2_SECRET_ACCESS_KEY"),
            )
        },
    );
    let s3_present = vars.contains_key("S3_BUCKET_NAME");
    group(
        "s3",
        s3_present,
        vec![
            ("S3_BUCKET_NAME", get(&["S3_BUCKET_NAME"])),
            ("AWS_ACCESS_KEY_ID", get(&["AWS_ACCESS_KEY_ID"])),
            ("AWS_SECRET_ACCESS_KEY", get(&["AWS_SECRET_ACCESS_KEY"])),
        ],
        &|v| {
            (
                AccountKind::S3 {
                    bucket: v("S3_BUCKET_NAME"),
                    region: get(&["AWS_REGION", "AWS_DEFAULT_REGION"])
                        .unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: v("AWS_ACCESS_KEY_ID"),
                    endpoint: get(&["AWS_ENDPOINT_URL", "S3_ENDPOINT_URL"]),
                    public_base_url: get(&["S3_PUBLIC_BASE_URL", "S3_BUCKET_URL"]),
                },
                v("AWS_SECRET_ACCESS_KEY"),
            )
        },
    );
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
