//! R2's CORS, in front of the S3 server that stands for R2 (`rclone serve s3` answers every
//! request with `Access-Control-Allow-Origin: *`, kinder than R2, and keeps no CORS policy).
//! A bucket's rules are set and read through the S3 API (PutBucketCors, GetBucketCors,
//! DeleteBucketCors: api-facts C.6), answered here after the request's signature is checked;
//! preflights are answered from the rules; and a reply carries CORS headers only when a rule
//! allows its origin and method. Sources: developers.cloudflare.com/r2/buckets/cors/ (no CORS
//! headers without an `Origin`; origins match exactly, `scheme://host[:port]`, or `*`; allowed
//! headers; `MaxAgeSeconds`), and S3's `NoSuchCORSConfiguration` for a bucket without rules.

use hyper::HeaderMap;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<u32>,
}

impl Rule {
    fn allows(&self, origin: &str, method: &str, headers: &[String]) -> bool {
        self.origins.iter().any(|o| o == "*" || o == origin)
            && self.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
            && headers.iter().all(|h| {
                self.headers
                    .iter()
                    .any(|a| a == "*" || a.eq_ignore_ascii_case(h))
            })
    }
}

/// Every bucket's CORS rules.
#[derive(Default)]
pub struct Cors(Mutex<HashMap<String, Vec<Rule>>>);

/// The texts between `<name>` and `</name>` in `xml`, in order.
fn all<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(open.as_str())
        .skip(1)
        .filter_map(|s| s.split(close.as_str()).next())
        .collect()
}

/// The rules of a `CORSConfiguration` document; an empty or rule-less one is malformed.
pub fn parse(xml: &str) -> Result<Vec<Rule>, &'static str> {
    let rules: Vec<Rule> = all(xml, "CORSRule")
        .into_iter()
        .map(|r| {
            let list = |tag| all(r, tag).into_iter().map(str::to_string).collect();
            Rule {
                origins: list("AllowedOrigin"),
                methods: list("AllowedMethod"),
                headers: list("AllowedHeader"),
                expose: list("ExposeHeader"),
                max_age: all(r, "MaxAgeSeconds")
                    .first()
                    .and_then(|s| s.trim().parse().ok()),
            }
        })
        .collect();
    let valid = |r: &Rule| {
        !r.origins.is_empty()
            && !r.methods.is_empty()
            && r.methods
                .iter()
                .all(|m| ["GET", "PUT", "POST", "DELETE", "HEAD"].contains(&m.as_str()))
            && r.max_age.is_none_or(|a| a <= 86_400)
    };
    if rules.is_empty() || !rules.iter().all(valid) {
        return Err("The XML you provided was not well-formed or did not validate.");
    }
    Ok(rules)
}

/// The rules as GetBucketCors answers them.
pub fn to_xml(rules: &[Rule]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    for r in rules {
        out.push_str("<CORSRule>");
        for (tag, list) in [
            ("AllowedOrigin", &r.origins),
            ("AllowedMethod", &r.methods),
            ("AllowedHeader", &r.headers),
            ("ExposeHeader", &r.expose),
        ] {
            for v in list {
                out.push_str(&format!("<{tag}>{v}</{tag}>"));
            }
        }
        if let Some(a) = r.max_age {
            out.push_str(&format!("<MaxAgeSeconds>{a}</MaxAgeSeconds>"));
        }
        out.push_str("</CORSRule>");
    }
    out.push_str("</CORSConfiguration>");
    out
}

impl Cors {
    pub fn set(&self, bucket: &str, rules: Option<Vec<Rule>>) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match rules {
            Some(rules) => all.insert(bucket.to_string(), rules),
            None => all.remove(bucket),
        };
    }

    pub fn get(&self, bucket: &str) -> Option<Vec<Rule>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(bucket)
            .cloned()
    }

    fn matching(
        &self,
        bucket: &str,
        origin: &str,
        method: &str,
        headers: &[String],
    ) -> Option<Rule> {
        self.get(bucket)?
            .into_iter()
            .find(|r| r.allows(origin, method, headers))
    }

    /// The headers answering a preflight, or `None` when no rule allows it (403).
    pub fn preflight(&self, bucket: &str, request: &HeaderMap) -> Option<Vec<(String, String)>> {
        let get = |n: &str| request.get(n).and_then(|v| v.to_str().ok());
        let origin = get("origin")?;
        let method = get("access-control-request-method")?;
        let headers: Vec<String> = get("access-control-request-headers")
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let rule = self.matching(bucket, origin, method, &headers)?;
        let mut out = vec![
            ("access-control-allow-origin".into(), origin.to_string()),
            (
                "access-control-allow-methods".into(),
                rule.methods.join(", "),
            ),
            ("vary".into(), "Origin".into()),
        ];
        if !headers.is_empty() {
            out.push(("access-control-allow-headers".into(), headers.join(", ")));
        }
        if let Some(age) = rule.max_age {
            out.push(("access-control-max-age".into(), age.to_string()));
        }
        Some(out)
    }

    /// A reply's CORS headers as R2 would send them: rclone's removed, and R2's added when a
    /// rule allows the request's origin and method.
    pub fn decorate(
        &self,
        bucket: &str,
        origin: Option<&str>,
        method: &str,
        reply: &mut HeaderMap,
    ) {
        let theirs: Vec<_> = reply
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for k in theirs {
            reply.remove(k);
        }
        let Some(origin) = origin else { return };
        let Some(rule) = self.matching(bucket, origin, method, &[]) else {
            return;
        };
        let mut set = |k: &'static str, v: &str| {
            if let Ok(v) = hyper::header::HeaderValue::from_str(v) {
                reply.insert(k, v);
            }
        };
        set("access-control-allow-origin", origin);
        set("vary", "Origin");
        if !rule.expose.is_empty() {
            set("access-control-expose-headers", &rule.expose.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_and_match_exactly() {
        let xml = "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";
        let rules = parse(xml).unwrap();
        assert_eq!(parse(&to_xml(&rules)).unwrap(), rules);
        let r = &rules[0];
        assert!(r.allows("https://a.example", "PUT", &["content-type".into()]));
        assert!(!r.allows("https://a.example:8443", "PUT", &[]));
        assert!(!r.allows("https://a.example", "POST", &[]));
        assert!(!r.allows("https://a.example", "PUT", &["if-none-match".into()]));
        assert!(parse("<CORSConfiguration/>").is_err());
        assert!(parse(&xml.replace("PUT", "PATCH")).is_err());
    }
}
