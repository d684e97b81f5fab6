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

/// `existing` with the rule of `ours`'s id (one of Ferry's) replaced by `ours` (or added);
/// other rules untouched.
pub fn merge_cors(existing: &[CorsRule], ours: CorsRule) -> Vec<CorsRule> {
    let mut rules: Vec<CorsRule> = existing
        .iter()
        .filter(|r| r.id != ours.id)
        .cloned()
        .collect();
    rules.push(ours);
    rules
}

/// The id of the CORS rule that lets upload requests' pages send files to the bucket.
pub const REQUEST_RULE_ID: &str = "ferry-requests";

/// `existing` with Ferry's request-page rule widened to allow `method` with `headers` from
/// `origin`, or `None` when some rule already allows it. Only the rule with id
/// [`REQUEST_RULE_ID`] is changed; what it allowed before stays allowed (other open requests
/// may need it).
pub fn with_page_uploads(
    existing: &[CorsRule],
    origin: &str,
    method: &str,
    headers: &[&str],
) -> Option<Vec<CorsRule>> {
    let allows = |r: &CorsRule| {
        r.allowed_origins.iter().any(|o| o == "*" || o == origin)
            && r.allowed_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
            && headers.iter().all(|h| {
                r.allowed_headers
                    .iter()
                    .any(|a| a == "*" || a.eq_ignore_ascii_case(h))
            })
    };
    if existing.iter().any(allows) {
        return None;
    }
    let mut ours = existing
        .iter()
        .find(|r| r.id.as_deref() == Some(REQUEST_RULE_ID))
        .cloned()
        .unwrap_or(CorsRule {
            id: Some(REQUEST_RULE_ID.into()),
            allowed_origins: Vec::new(),
            allowed_methods: Vec::new(),
            allowed_headers: Vec::new(),
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(3600),
        });
    let add = |list: &mut Vec<String>, item: &str| {
        if !list.iter().any(|x| x.eq_ignore_ascii_case(item)) {
            list.push(item.to_string());
        }
    };
    add(&mut ours.allowed_origins, origin);
    add(&mut ours.allowed_methods, method);
    for h in headers {
        add(&mut ours.allowed_headers, h);
    }
    Some(merge_cors(existing, ours))
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
    fn request_pages_widen_only_their_own_rule() {
        let site = CorsRule::for_sites(&["https://courses.example.edu".into()], false);
        let headers = ["content-type", "if-none-match"];
        let rules = with_page_uploads(std::slice::from_ref(&site), "*", "PUT", &headers).unwrap();
        assert_eq!(rules[0], site, "the sites' rule is kept");
        assert_eq!(rules[1].id.as_deref(), Some(REQUEST_RULE_ID));
        assert_eq!(rules[1].allowed_methods, vec!["PUT"]);
        assert!(
            with_page_uploads(&rules, "https://pub.example", "PUT", &headers).is_none(),
            "* already covers a published page's origin"
        );
        let wider = with_page_uploads(&rules, "*", "POST", &[]).unwrap();
        assert_eq!(wider.len(), 2);
        assert_eq!(wider[1].allowed_methods, vec!["PUT", "POST"]);
        assert_eq!(
            wider[1].allowed_headers,
            vec!["content-type", "if-none-match"]
        );
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
