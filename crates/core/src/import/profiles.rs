//! Importing S3 and R2 accounts from the INI files other tools keep: the AWS CLI's
//! `credentials` + `config` pair, and rclone's `rclone.conf` (remotes of `type = s3`).
//!
//! Neither format names a bucket (the AWS CLI and rclone take it per command), so the caller
//! passes one; a profile without one is skipped saying so. A profile that cannot become a
//! plain key pair (temporary session credentials, SSO, roles, `env_auth`) is skipped with the
//! reason, and nothing is written for it.

use super::{Found, Plan};
use crate::accounts::{Account, AccountKind};
use crate::credentials::Secret;
use std::collections::BTreeMap;
use std::path::Path;

/// The sections of an INI file, and the lines that could not be read (with where and why).
#[derive(Debug, Default)]
pub struct Ini {
    pub sections: BTreeMap<String, BTreeMap<String, String>>,
    pub problems: Vec<String>,
}

/// Parse `[section]` headers and `key = value` lines; `#` and `;` start comments.
pub fn parse_ini(path: &Path, text: &str) -> Ini {
    let mut ini = Ini::default();
    let mut current: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = || format!("{}:{}", path.display(), i + 1);
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            match rest.strip_suffix(']') {
                Some(name) if !name.trim().is_empty() => {
                    let name = name.trim().to_string();
                    ini.sections.entry(name.clone()).or_default();
                    current = Some(name);
                }
                _ => {
                    ini.problems
                        .push(format!("{}: {line:?} is not a [section] header", at()));
                    current = None;
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            ini.problems
                .push(format!("{}: not `key = value`, skipped", at()));
            continue;
        };
        match &current {
            Some(section) => {
                ini.sections
                    .get_mut(section)
                    .expect("section created at its header")
                    .insert(key.trim().to_lowercase(), value.trim().to_string());
            }
            None => ini.problems.push(format!(
                "{}: `{}` is outside any [section]",
                at(),
                key.trim()
            )),
        }
    }
    ini
}

/// Imported account names keep to letters, digits, '-' and '_' (a safe subset of [`crate::accounts::Accounts::check_name`]).
fn account_name(prefix: &str, profile: &str) -> String {
    let slug: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{prefix}-{slug}")
}

fn found(name: String, kind: AccountKind, secret: &str) -> Found {
    Found {
        name,
        account: Account {
            kind,
            default: false,
        },
        secret: Secret::new(secret.to_string()),
    }
}

/// Accounts from the AWS CLI's `credentials` and `config` files. `only` restricts the import
/// to one profile; `bucket` is the bucket the accounts upload to.
pub fn plan_aws(credentials: &Ini, config: &Ini, only: Option<&str>, bucket: Option<&str>) -> Plan {
    let mut plan = Plan {
        found: Vec::new(),
        skipped: Vec::new(),
    };
    // In `config`, profiles other than the default are headed `[profile NAME]`.
    let settings_of = |profile: &str| {
        let header = if profile == "default" {
            "default".to_string()
        } else {
            format!("profile {profile}")
        };
        config
            .sections
            .get(&header)
            .or_else(|| config.sections.get(profile))
    };
    let mut profiles: Vec<&str> = credentials.sections.keys().map(String::as_str).collect();
    for header in config.sections.keys() {
        let name = header.strip_prefix("profile ").unwrap_or(header).trim();
        if !profiles.contains(&name) && !header.starts_with("sso-session") {
            profiles.push(name);
        }
    }
    if let Some(only) = only {
        if !profiles.contains(&only) {
            plan.skipped.push(format!(
                "aws profile {only}: not in the credentials or config file"
            ));
            return plan;
        }
        profiles.retain(|p| *p == only);
    }
    for profile in profiles {
        let empty = BTreeMap::new();
        let keys = credentials.sections.get(profile).unwrap_or(&empty);
        let settings = settings_of(profile).unwrap_or(&empty);
        let get = |k: &str| {
            keys.get(k)
                .or_else(|| settings.get(k))
                .filter(|v| !v.is_empty())
        };
        let label = format!("aws profile {profile}");
        if get("aws_session_token").is_some() {
            plan.skipped.push(format!(
                "{label}: temporary session credentials expire; create an access key for Ferry instead"
            ));
            continue;
        }
        let (Some(key_id), Some(secret)) = (get("aws_access_key_id"), get("aws_secret_access_key"))
        else {
            let how = [
                "sso_start_url",
                "sso_session",
                "role_arn",
                "credential_process",
            ]
            .into_iter()
            .find(|k| get(k).is_some());
            plan.skipped.push(match how {
                Some(k) => format!(
                    "{label}: signs in through {k}, not an access key; Ferry needs an access key id and secret"
                ),
                None => format!(
                    "{label}: missing {}",
                    [("aws_access_key_id", get("aws_access_key_id")), ("aws_secret_access_key", get("aws_secret_access_key"))]
                        .iter()
                        .filter(|(_, v)| v.is_none())
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            continue;
        };
        let Some(bucket) = bucket else {
            plan.skipped.push(format!(
                "{label}: AWS profiles name no bucket; pass --bucket NAME"
            ));
            continue;
        };
        let endpoint = get("endpoint_url").cloned();
        plan.found.push(found(
            account_name("aws", profile),
            AccountKind::S3 {
                bucket: bucket.to_string(),
                region: get("region").cloned().unwrap_or_else(|| "us-east-1".into()),
                access_key_id: key_id.clone(),
                endpoint,
                public_base_url: None,
            },
            secret,
        ));
    }
    plan
}

/// The account id in an R2 endpoint (`https://ID.r2.cloudflarestorage.com`, also with a
/// jurisdiction: `https://ID.eu.r2.cloudflarestorage.com`).
fn r2_account_id(endpoint: &str) -> Option<(String, Option<String>)> {
    let host = url::Url::parse(endpoint).ok()?.host_str()?.to_string();
    let rest = host.strip_suffix(".r2.cloudflarestorage.com")?;
    match rest.split_once('.') {
        Some((id, jurisdiction)) => Some((id.to_string(), Some(jurisdiction.to_string()))),
        None => Some((rest.to_string(), None)),
    }
}

/// Accounts from rclone remotes of `type = s3`. `only` restricts the import to one remote.
pub fn plan_rclone(path: &Path, text: &str, only: Option<&str>, bucket: Option<&str>) -> Plan {
    let mut plan = Plan {
        found: Vec::new(),
        skipped: Vec::new(),
    };
    if text.contains("RCLONE_ENCRYPT_V0:") {
        plan.skipped.push(format!(
            "{}: the rclone configuration is encrypted; print it with `rclone config show` and import that output",
            path.display()
        ));
        return plan;
    }
    let ini = parse_ini(path, text);
    plan.skipped.extend(ini.problems);
    if let Some(only) = only
        && !ini.sections.contains_key(only)
    {
        plan.skipped
            .push(format!("rclone remote {only}: not in {}", path.display()));
        return plan;
    }
    for (remote, fields) in &ini.sections {
        if only.is_some_and(|o| o != remote) {
            continue;
        }
        let label = format!("rclone remote {remote}");
        let get = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();
        match get("type").as_deref() {
            Some("s3") => {}
            Some(other) => {
                plan.skipped
                    .push(format!("{label}: type {other} is not S3-compatible"));
                continue;
            }
            None => {
                plan.skipped.push(format!("{label}: no type"));
                continue;
            }
        }
        if get("env_auth").as_deref() == Some("true") {
            plan.skipped.push(format!(
                "{label}: takes its keys from the environment (env_auth); import those with --from-env"
            ));
            continue;
        }
        let (Some(key_id), Some(secret)) = (get("access_key_id"), get("secret_access_key")) else {
            let missing: Vec<&str> = ["access_key_id", "secret_access_key"]
                .into_iter()
                .filter(|k| get(k).is_none())
                .collect();
            plan.skipped
                .push(format!("{label}: missing {}", missing.join(", ")));
            continue;
        };
        let Some(bucket) = bucket else {
            plan.skipped.push(format!(
                "{label}: rclone remotes name no bucket; pass --bucket NAME"
            ));
            continue;
        };
        let provider = get("provider").unwrap_or_else(|| "AWS".into());
        let endpoint = get("endpoint");
        let kind = if provider == "Cloudflare" {
            let Some((account_id, jurisdiction)) = endpoint.as_deref().and_then(r2_account_id)
            else {
                plan.skipped.push(format!(
                    "{label}: a Cloudflare remote whose endpoint is not https://ACCOUNT_ID.r2.cloudflarestorage.com"
                ));
                continue;
            };
            AccountKind::R2 {
                account_id,
                bucket: bucket.to_string(),
                access_key_id: key_id,
                public_base_url: None,
                endpoint: None,
                jurisdiction,
            }
        } else {
            let endpoint = match (provider.as_str(), endpoint) {
                (_, Some(e)) => Some(e),
                ("GCS", None) => Some("https://storage.googleapis.com".into()),
                ("AWS", None) => None,
                (_, None) => {
                    plan.skipped
                        .push(format!("{label}: provider {provider} without an endpoint"));
                    continue;
                }
            };
            let endpoint = endpoint.map(|e| {
                if e.contains("://") {
                    e
                } else {
                    format!("https://{e}")
                }
            });
            AccountKind::S3 {
                bucket: bucket.to_string(),
                region: get("region").unwrap_or_else(|| {
                    if provider == "GCS" {
                        "auto"
                    } else {
                        "us-east-1"
                    }
                    .into()
                }),
                access_key_id: key_id,
                endpoint,
                public_base_url: None,
            }
        };
        plan.found
            .push(found(account_name("rclone", remote), kind, &secret));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(plan: &Plan) -> Vec<&str> {
        plan.found.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn aws_profiles_become_s3_accounts_and_the_rest_is_explained() {
        let credentials = parse_ini(
            Path::new("credentials"),
            "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = sk-default\n\n\
             [course site]\naws_access_key_id=AKIASITE\naws_secret_access_key=sk-site\n\
             [temp]\naws_access_key_id = ASIA1\naws_secret_access_key = x\naws_session_token = tok\n\
             [half]\naws_access_key_id = AKIAHALF\n\
             stray line\n",
        );
        assert_eq!(credentials.problems.len(), 1, "{:?}", credentials.problems);
        assert!(credentials.problems[0].starts_with("credentials:14:"));
        let config = parse_ini(
            Path::new("config"),
            "[default]\nregion = eu-west-3\n[profile course site]\nregion = us-west-2\nendpoint_url = https://minio.school.example\n\
             [profile sso]\nsso_start_url = https://x.awsapps.com/start\n",
        );
        let plan = plan_aws(&credentials, &config, None, Some("course-media"));
        assert_eq!(names(&plan), ["aws-course-site", "aws-default"]);
        match &plan.found[0].account.kind {
            AccountKind::S3 {
                region, endpoint, ..
            } => {
                assert_eq!(region, "us-west-2");
                assert_eq!(endpoint.as_deref(), Some("https://minio.school.example"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(plan.found[1].secret.expose(), "sk-default");
        let skipped = plan.skipped.join("\n");
        assert!(
            skipped.contains("aws profile half: missing aws_secret_access_key"),
            "{skipped}"
        );
        assert!(skipped.contains("temp: temporary session"), "{skipped}");
        assert!(
            skipped.contains("sso: signs in through sso_start_url"),
            "{skipped}"
        );

        let no_bucket = plan_aws(&credentials, &config, Some("default"), None);
        assert!(no_bucket.found.is_empty());
        assert!(no_bucket.skipped[0].contains("--bucket"));
        let unknown = plan_aws(&credentials, &config, Some("nope"), Some("b"));
        assert!(unknown.skipped[0].contains("nope: not in"));
    }

    #[test]
    fn rclone_s3_remotes_become_accounts() {
        let text = "[r2]\ntype = s3\nprovider = Cloudflare\naccess_key_id = AK\nsecret_access_key = SK\nendpoint = https://0123abcd.eu.r2.cloudflarestorage.com\n\n\
                    [minio]\ntype = s3\nprovider = Minio\naccess_key_id = MK\nsecret_access_key = MS\nendpoint = http://127.0.0.1:9000\n\n\
                    [gdrive]\ntype = drive\n\n\
                    [env]\ntype = s3\nenv_auth = true\n\n\
                    [nokey]\ntype = s3\nprovider = AWS\naccess_key_id = A\n";
        let plan = plan_rclone(Path::new("rclone.conf"), text, None, Some("course-media"));
        assert_eq!(names(&plan), ["rclone-minio", "rclone-r2"]);
        match &plan.found[1].account.kind {
            AccountKind::R2 {
                account_id,
                jurisdiction,
                ..
            } => {
                assert_eq!(account_id, "0123abcd");
                assert_eq!(jurisdiction.as_deref(), Some("eu"));
            }
            other => panic!("{other:?}"),
        }
        let skipped = plan.skipped.join("\n");
        for expected in [
            "gdrive: type drive is not S3-compatible",
            "env: takes its keys from the environment",
            "nokey: missing secret_access_key",
        ] {
            assert!(skipped.contains(expected), "{expected}: {skipped}");
        }
        let encrypted = plan_rclone(
            Path::new("rclone.conf"),
            "# Encrypted rclone configuration File\n\nRCLONE_ENCRYPT_V0:\nabc",
            None,
            Some("b"),
        );
        assert!(encrypted.found.is_empty());
        assert!(encrypted.skipped[0].contains("encrypted"));
    }
}
