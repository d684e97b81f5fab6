//! Bucket settings Ferry can test, show and apply on an object store: "can these keys reach
//! the bucket" (and, on request, write to it), the CORS policy course sites need to fetch the
//! files (seed 002's shape), and a lifecycle rule that aborts incomplete multipart uploads
//! (seed 004's "lifecycle policies").
//!
//! Invariant: Ferry only ever replaces its own rule (the one with id [`FERRY_RULE_ID`]); rules
//! someone else wrote on the bucket are kept as they are.

use crate::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// The id of the CORS and lifecycle rules Ferry writes.
pub const FERRY_RULE_ID: &str = "ferry";

/// One CORS rule, serialised in the shape of the S3/R2 dashboards (seed 002).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CorsRule {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i32>,
}

impl CorsRule {
    /// The rule Ferry proposes for course sites at `origins`: reads (GET, HEAD) by default;
    /// `allow_upload` adds the methods a site needs to upload straight to the bucket.
    pub fn for_sites(origins: &[String], allow_upload: bool) -> CorsRule {
        let mut methods = vec!["GET".to_string(), "HEAD".to_string()];
        if allow_upload {
            methods.extend(["PUT", "POST", "DELETE"].map(String::from));
        }
        CorsRule {
            id: Some(FERRY_RULE_ID.into()),
            allowed_origins: origins.to_vec(),
            allowed_methods: methods,
            allowed_headers: vec!["*".into()],
            expose_headers: vec!["ETag".into(), "Content-Length".into()],
            max_age_seconds: Some(3600),
        }
    }
}

/// `existing` with Ferry's rule replaced by `ours` (or added); other rules untouched.
pub fn merge_cors(existing: &[CorsRule], ours: CorsRule) -> Vec<CorsRule> {
    let mut rules: Vec<CorsRule> = existing
        .iter()
        .filter(|r| r.id.as_deref() != Some(FERRY_RULE_ID))
        .cloned()
        .collect();
    rules.push(ours);
    rules
}

/// Check a site origin the way browsers send it: scheme, host and optional port, nothing else
/// (a `*` wildcard is allowed, as S3 allows it).
pub fn check_origin(origin: &str) -> std::result::Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err(format!(
            "{origin:?} is not an origin; write it like https://courses.example.edu"
        ));
    };
    if scheme.is_empty() || rest.is_empty() || rest.contains('/') {
        return Err(format!(
            "{origin:?} is not an origin (scheme://host[:port], no path); write it like https://courses.example.edu"
        ));
    }
    Ok(())
}

/// The lifecycle rules on a bucket, as far as Ferry cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Days after which Ferry's rule aborts incomplete multipart uploads, if the rule is there.
    pub abort_incomplete_days: Option<i32>,
    /// Ids (or "unnamed") of the other rules, which Ferry leaves alone.
    pub other_rules: Vec<String>,
}

/// Bucket-level operations of an object store.
#[async_trait]
pub trait BucketSettings: Send + Sync {
    /// Can these keys reach the bucket? An error says what is wrong (keys, bucket, clock).
    async fn check_bucket(&self) -> Result<()>;
    /// Write a tiny object and delete it again.
    async fn probe_write(&self) -> Result<()>;
    async fn cors(&self) -> Result<Vec<CorsRule>>;
    async fn set_cors(&self, rules: &[CorsRule]) -> Result<()>;
    async fn lifecycle(&self) -> Result<Lifecycle>;
    /// Add or replace Ferry's abort-incomplete-uploads rule, keeping every other rule.
    async fn set_abort_incomplete(&self, days: i32) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_has_the_seeds_shape_and_merging_keeps_other_rules() {
        let ours = CorsRule::for_sites(&["https://courses.example.edu".into()], false);
        let json = serde_json::to_value([&ours]).unwrap();
        assert_eq!(json[0]["AllowedOrigins"][0], "https://courses.example.edu");
        assert_eq!(
            json[0]["AllowedMethods"],
            serde_json::json!(["GET", "HEAD"])
        );
        assert_eq!(
            json[0]["ExposeHeaders"],
            serde_json::json!(["ETag", "Content-Length"])
        );
        assert_eq!(json[0]["MaxAgeSeconds"], 3600);
        let theirs = CorsRule {
            id: None,
            allowed_origins: vec!["https://app.example".into()],
            allowed_methods: vec!["PUT".into()],
            allowed_headers: vec![],
            expose_headers: vec![],
            max_age_seconds: None,
        };
        let old_ours = CorsRule::for_sites(&["https://old.example".into()], true);
        let merged = merge_cors(&[theirs.clone(), old_ours], ours.clone());
        assert_eq!(merged, vec![theirs, ours]);
    }

    #[test]
    fn origins_are_checked() {
        assert!(check_origin("https://courses.example.edu").is_ok());
        assert!(check_origin("http://localhost:5173").is_ok());
        assert!(check_origin("*").is_ok());
        assert!(check_origin("courses.example.edu").is_err());
        assert!(check_origin("https://courses.example.edu/path").is_err());
    }
}
