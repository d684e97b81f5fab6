//! The origins allowed to embed a Stream video (`allowedOrigins`), in the form Cloudflare takes:
//! a bare host name (`course.example.com`), optionally with a port (`localhost:5173`), or `*.`
//! and a domain for all its subdomains (`*.example.com`). No scheme, no path, no bare `*` (an
//! empty list already means "anywhere"). Source: Stream's `allowedOrigins` field ("use `*` for
//! wildcard subdomains", developers.cloudflare.com/stream/viewing-videos/securing-your-stream/
//! and OAS24 `stream_allowedOrigins`, example `example.com`).
//!
//! What a teacher pastes is usually a whole address (`https://course.example.com/lesson/3`):
//! [`tidy`] keeps its host and port and says what it changed, so the change can be shown; what
//! cannot be made into an origin is refused with the reason.

use crate::{Error, Result};

/// One origin as given and as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tidied {
    pub given: String,
    pub origin: String,
}

impl Tidied {
    pub fn changed(&self) -> bool {
        self.given.trim() != self.origin
    }

    /// "https://course.example.com/x was saved as course.example.com".
    pub fn notice(&self) -> String {
        format!(
            "allowed origin {:?} was saved as {:?}: Stream takes a host name (with an optional port), not an address",
            self.given.trim(),
            self.origin
        )
    }
}

/// Make `given` into an origin Stream takes, or say why it cannot be one.
pub fn tidy(given: &str) -> Result<Tidied> {
    let text = given.trim();
    let refuse = |why: &str| {
        Error::config(format!(
            "allowed origin {text:?} {why}; write a host name such as course.example.com, optionally with a port (localhost:5173), or *.example.com for all its subdomains"
        ))
    };
    // Drop a scheme, then anything after the host and port (path, query, fragment), and any
    // user info before it.
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let rest = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let rest = rest.trim_end_matches('.').to_ascii_lowercase();
    if rest.is_empty() {
        return Err(refuse("has no host name"));
    }
    if rest == "*" {
        return Err(refuse(
            "would allow every site (leave the list empty for that)",
        ));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => {
            let port: u16 = p
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| refuse("has a port that is not a number from 1 to 65535"))?;
            (h.to_string(), Some(port))
        }
        None => (rest.clone(), None),
    };
    let bare = host.strip_prefix("*.").unwrap_or(&host);
    if !is_host(bare) {
        return Err(refuse("is not a host name"));
    }
    if bare.contains('*') {
        return Err(refuse("may only use * as its first label (*.example.com)"));
    }
    let origin = match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    Ok(Tidied {
        given: given.to_string(),
        origin,
    })
}

/// [`tidy`] each entry, dropping blanks and repeats.
pub fn tidy_all(given: &[String]) -> Result<Vec<Tidied>> {
    let mut out: Vec<Tidied> = Vec::new();
    for g in given.iter().filter(|g| !g.trim().is_empty()) {
        let t = tidy(g)?;
        if !out.iter().any(|o| o.origin == t.origin) {
            out.push(t);
        }
    }
    Ok(out)
}

/// DNS labels of letters, digits and hyphens (not at either end), 1 to 63 characters each, at
/// most 253 in all; or an IPv4 address.
fn is_host(host: &str) -> bool {
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_teachers_paste_becomes_what_stream_takes() {
        for (given, kept) in [
            ("course.example.com", "course.example.com"),
            ("  Course.Example.com. ", "course.example.com"),
            (
                "https://course.example.com/lesson/3?x=1",
                "course.example.com",
            ),
            ("http://localhost:5173/", "localhost:5173"),
            ("localhost:5173", "localhost:5173"),
            ("*.example.com", "*.example.com"),
            ("https://*.example.com", "*.example.com"),
            (
                "https://user@lms.school.edu:8443/#top",
                "lms.school.edu:8443",
            ),
            ("10.0.0.5:8080", "10.0.0.5:8080"),
        ] {
            let t = tidy(given).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(t.origin, kept, "{given}");
            assert_eq!(t.changed(), given.trim() != kept, "{given}");
        }
    }

    #[test]
    fn what_cannot_be_an_origin_is_refused_with_the_reason() {
        for (given, says) in [
            ("*", "every site"),
            ("https://", "no host name"),
            ("exa mple.com", "not a host name"),
            ("course.example.com:99999", "port"),
            ("a.*.example.com", "not a host name"),
            ("-bad.example.com", "not a host name"),
        ] {
            let err = tidy(given).unwrap_err();
            assert!(err.message().contains(says), "{given}: {err}");
            assert!(err.message().contains("course.example.com"), "{err}");
        }
    }

    #[test]
    fn blanks_and_repeats_are_dropped() {
        let list = [
            "https://a.example.com/x",
            "",
            "a.example.com",
            "b.example.com",
        ]
        .map(String::from);
        let kept: Vec<String> = tidy_all(&list)
            .unwrap()
            .into_iter()
            .map(|t| t.origin)
            .collect();
        assert_eq!(kept, ["a.example.com", "b.example.com"]);
    }
}
