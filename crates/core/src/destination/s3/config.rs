//! Settings of an S3-compatible destination, read from the environment with the names the seeds
//! use. Secrets are held as [`Secret`] and never printed.

use crate::credentials::Secret;
use crate::parts::PartRules;
use crate::{Error, Result};

/// Which flavour of S3 a destination speaks; decides defaults and quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Amazon S3 itself.
    Aws,
    /// Cloudflare R2.
    R2,
    /// Google Cloud Storage through its XML API with HMAC keys.
    Gcs,
    /// Anything else that speaks S3 (MinIO, rclone, Ceph…).
    Generic,
}

#[derive(Debug, Clone)]
pub struct S3Config {
    pub name: String,
    pub flavor: Flavor,
    /// `None` means AWS's own regional endpoint.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub path_style: bool,
    /// Base of public URLs (custom domain or r2.dev), without a trailing slash.
    pub public_base_url: Option<String>,
}

impl S3Config {
    pub fn part_rules(&self) -> PartRules {
        match self.flavor {
            Flavor::R2 => PartRules::R2,
            _ => PartRules::AWS,
        }
    }

    /// Whether to compute request checksums only when an operation requires them. Since
    /// aws-sdk-rust 1.69 checksums are sent by default, and R2, GCS and many S3-compatible
    /// stores reject them or the aws-chunked encoding they bring.
    pub fn checksums_when_required(&self) -> bool {
        self.flavor != Flavor::Aws || self.endpoint.is_some()
    }

    /// `s3|https://endpoint|bucket`: where objects land, with no secret in it.
    pub fn target(&self) -> String {
        let endpoint = self
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("aws:{}", self.region));
        format!("{}|{}|{}", self.name, endpoint, self.bucket)
    }

    /// Destination `r2` from `CLOUDFLARE_*` variables (seed 000); `None` if none is set.
    pub fn r2_from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<S3Config>> {
        let keys = [
            "CLOUDFLARE_R2_ACCESS_KEY_ID",
            "CLOUDFLARE_R2_SECRET_ACCESS_KEY",
            "CLOUDFLARE_R2_BUCKET_NAME",
        ];
        if keys.iter().all(|k| get(k).is_none()) {
            return Ok(None);
        }
        let need = |k: &str| {
            get(k).ok_or_else(|| {
                Error::config(format!(
                    "destination r2: {k} is not set (R2 needs {})",
                    keys.join(", ")
                ))
            })
        };
        let bucket = need("CLOUDFLARE_R2_BUCKET_NAME")?;
        let access_key_id = need("CLOUDFLARE_R2_ACCESS_KEY_ID")?;
        let secret_access_key = Secret::new(need("CLOUDFLARE_R2_SECRET_ACCESS_KEY")?);
        // Seed 001 spells the account variable CLOUDFLARE_R2_ACCOUNT_ID.
        let account = get("CLOUDFLARE_ACCOUNT_ID").or_else(|| get("CLOUDFLARE_R2_ACCOUNT_ID"));
        let endpoint = match (get("CLOUDFLARE_R2_ENDPOINT"), account) {
            (Some(endpoint), _) => endpoint,
            (None, Some(account)) => {
                let jurisdiction = get("CLOUDFLARE_R2_JURISDICTION")
                    .map(|j| format!(".{j}"))
                    .unwrap_or_default();
                format!("https://{account}{jurisdiction}.r2.cloudflarestorage.com")
            }
            (None, None) => {
                return Err(Error::config(
                    "destination r2: set CLOUDFLARE_ACCOUNT_ID (or CLOUDFLARE_R2_ENDPOINT) to locate the bucket",
                ));
            }
        };
        Ok(Some(S3Config {
            name: "r2".into(),
            flavor: Flavor::R2,
            endpoint: Some(trim_slash(endpoint)),
            region: "auto".into(),
            bucket,
            access_key_id,
            secret_access_key,
            session_token: None,
            path_style: true,
            public_base_url: get("CLOUDFLARE_R2_PUBLIC_BASE_URL")
                .or_else(|| get("CLOUDFLARE_R2_PUBLIC_URL"))
                .map(trim_slash),
        }))
    }

    /// Destination `s3` from `AWS_*` and `S3_BUCKET_NAME` (seed 003); `None` if no bucket is set.
    pub fn s3_from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<S3Config>> {
        let Some(bucket) = get("S3_BUCKET_NAME") else {
            return Ok(None);
        };
        let need = |k: &str| {
            get(k).ok_or_else(|| Error::config(format!("destination s3: {k} is not set")))
        };
        let endpoint = get("AWS_ENDPOINT_URL_S3")
            .or_else(|| get("AWS_ENDPOINT_URL"))
            .map(trim_slash);
        let path_style = match get("S3_FORCE_PATH_STYLE").as_deref() {
            Some("1" | "true" | "yes") => true,
            Some(_) => false,
            None => endpoint.is_some(),
        };
        Ok(Some(S3Config {
            name: "s3".into(),
            flavor: if endpoint.is_some() {
                Flavor::Generic
            } else {
                Flavor::Aws
            },
            region: get("AWS_REGION")
                .or_else(|| get("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            endpoint,
            bucket,
            access_key_id: need("AWS_ACCESS_KEY_ID")?,
            secret_access_key: Secret::new(need("AWS_SECRET_ACCESS_KEY")?),
            session_token: get("AWS_SESSION_TOKEN").map(Secret::new),
            path_style,
            public_base_url: get("S3_PUBLIC_BASE_URL")
                .or_else(|| get("S3_BUCKET_URL"))
                .map(trim_slash),
        }))
    }

    /// Destination `gcs`: Google Cloud Storage's XML API with HMAC keys.
    pub fn gcs_from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<S3Config>> {
        let Some(bucket) = get("GCS_BUCKET_NAME") else {
            return Ok(None);
        };
        let need = |k: &str| {
            get(k).ok_or_else(|| {
                Error::config(format!(
                    "destination gcs: {k} is not set (an HMAC key of the bucket's service account)"
                ))
            })
        };
        Ok(Some(S3Config {
            name: "gcs".into(),
            flavor: Flavor::Gcs,
            endpoint: Some(
                get("GCS_ENDPOINT_URL")
                    .map(trim_slash)
                    .unwrap_or_else(|| "https://storage.googleapis.com".into()),
            ),
            region: "auto".into(),
            bucket,
            access_key_id: need("GCS_HMAC_ACCESS_KEY_ID")?,
            secret_access_key: Secret::new(need("GCS_HMAC_SECRET")?),
            session_token: None,
            path_style: true,
            public_base_url: get("GCS_PUBLIC_BASE_URL").map(trim_slash),
        }))
    }
}

fn trim_slash(s: String) -> String {
    s.trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn r2_from_seed_000_names() {
        let get = env(&[
            ("CLOUDFLARE_ACCOUNT_ID", "acc123"),
            ("CLOUDFLARE_R2_ACCESS_KEY_ID", "AK"),
            ("CLOUDFLARE_R2_SECRET_ACCESS_KEY", "SK-very-secret"),
            ("CLOUDFLARE_R2_BUCKET_NAME", "skillstream-media"),
            (
                "CLOUDFLARE_R2_PUBLIC_BASE_URL",
                "https://media.skillstream.world/",
            ),
        ]);
        let cfg = S3Config::r2_from_env(&get).unwrap().unwrap();
        assert_eq!(
            cfg.endpoint.as_deref(),
            Some("https://acc123.r2.cloudflarestorage.com")
        );
        assert_eq!(cfg.region, "auto");
        assert_eq!(
            cfg.public_base_url.as_deref(),
            Some("https://media.skillstream.world")
        );
        assert_eq!(cfg.part_rules(), PartRules::R2);
        assert!(cfg.checksums_when_required());
        assert!(!format!("{cfg:?}").contains("SK-very-secret"));
        assert!(!cfg.target().contains("SK-very-secret"));
    }

    #[test]
    fn r2_missing_pieces_are_named() {
        let get = env(&[
            ("CLOUDFLARE_R2_ACCESS_KEY_ID", "AK"),
            ("CLOUDFLARE_R2_BUCKET_NAME", "b"),
        ]);
        let err = S3Config::r2_from_env(&get).unwrap_err();
        assert!(
            err.message().contains("CLOUDFLARE_R2_SECRET_ACCESS_KEY"),
            "{err}"
        );
        assert!(S3Config::r2_from_env(&env(&[])).unwrap().is_none());
    }

    #[test]
    fn s3_with_and_without_endpoint() {
        let aws = S3Config::s3_from_env(&env(&[
            ("S3_BUCKET_NAME", "echcoahing"),
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "SK"),
            ("AWS_REGION", "eu-north-1"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(aws.flavor, Flavor::Aws);
        assert!(!aws.path_style);
        assert!(!aws.checksums_when_required());
        let local = S3Config::s3_from_env(&env(&[
            ("S3_BUCKET_NAME", "b"),
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "SK"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(local.flavor, Flavor::Generic);
        assert!(local.path_style);
        assert_eq!(local.target(), "s3|http://127.0.0.1:9000|b");
    }
}
