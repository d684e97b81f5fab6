//! Switchable faults, for tests: answer some requests with a status (429 with `Retry-After`,
//! 5xx), delay them, or drop the connection without a reply. Rules come from `--fault` flags or
//! `POST /__sim/faults` at run time; each rule fires a set number of times on requests whose
//! method and path match, then stops.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaultRule {
    /// Only requests whose path contains this.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Only requests with this method (`PATCH`, `POST`…).
    #[serde(default)]
    pub method: Option<String>,
    /// Answer with this status (an error envelope).
    #[serde(default)]
    pub status: Option<u16>,
    /// With a 429 or 503: the `Retry-After` seconds.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// With `status`: send this raw body instead of an error envelope (a malformed reply).
    #[serde(default)]
    pub body: Option<String>,
    /// Close the connection without answering.
    #[serde(default)]
    pub drop: bool,
    /// Wait this long first.
    #[serde(default)]
    pub delay_ms: u64,
    /// How many matching requests it hits; 0 = all of them.
    #[serde(default)]
    pub count: u32,
    /// Let this many matching requests through before the first hit.
    #[serde(default)]
    pub skip: u32,
}

/// What to do to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub retry_after: Option<u64>,
    pub drop: bool,
    pub delay_ms: u64,
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<(FaultRule, u32)>>,
    fired: Mutex<u64>,
}

impl Faults {
    /// Replace the rules; the count of hits starts again from zero.
    pub fn set(&self, rules: Vec<FaultRule>) {
        if let Ok(mut r) = self.rules.lock() {
            *r = rules.into_iter().map(|rule| (rule, 0)).collect();
        }
        if let Ok(mut f) = self.fired.lock() {
            *f = 0;
        }
    }

    pub fn fired(&self) -> u64 {
        self.fired.lock().map(|f| *f).unwrap_or(0)
    }

    /// The fault for this request, if a rule matches and has hits left.
    pub fn hit(&self, method: &str, path: &str) -> Option<Hit> {
        if path.starts_with("/__sim") {
            return None;
        }
        let mut rules = self.rules.lock().ok()?;
        for (rule, seen) in rules.iter_mut() {
            let matches = rule
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
                && rule
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method));
            if !matches {
                continue;
            }
            *seen += 1;
            if *seen <= rule.skip {
                continue;
            }
            if rule.count != 0 && *seen > rule.skip + rule.count {
                continue;
            }
            if let Ok(mut f) = self.fired.lock() {
                *f += 1;
            }
            return Some(Hit {
                status: rule.status,
                body: rule.body.clone(),
                retry_after: rule.retry_after,
                drop: rule.drop,
                delay_ms: rule.delay_ms,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_after_skip_for_count_on_matching_requests() {
        let f = Faults::default();
        f.set(vec![FaultRule {
            path_contains: Some("/tus/".into()),
            method: Some("PATCH".into()),
            status: Some(503),
            retry_after: None,
            body: None,
            drop: false,
            delay_ms: 0,
            count: 2,
            skip: 1,
        }]);
        assert_eq!(f.hit("PATCH", "/tus/a"), None, "skipped");
        assert!(f.hit("GET", "/tus/a").is_none(), "other method");
        assert!(f.hit("PATCH", "/client/v4/x").is_none(), "other path");
        assert_eq!(f.hit("PATCH", "/tus/a").and_then(|h| h.status), Some(503));
        assert_eq!(f.hit("PATCH", "/tus/a").and_then(|h| h.status), Some(503));
        assert_eq!(f.hit("PATCH", "/tus/a"), None, "count used up");
        assert_eq!(f.fired(), 2);
    }
}
