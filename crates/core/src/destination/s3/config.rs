//! Settings of an S3-compatible destination (built from the environment or an account by
//! [`crate::provider::objects`]). Secrets are held as [`Secret`] and never printed.

use crate::credentials::Secret;
use crate::parts::PartRules;

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
    /// How messages name the keys: as the user set them (the variables, or the Ferry account).
    pub keys_named: String,
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
}
