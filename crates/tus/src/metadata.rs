//! `Upload-Metadata`: comma-separated `key base64(value)` pairs; a key may stand alone (a flag,
//! such as Stream's `requiresignedurls`). Keys must be non-empty and free of spaces and commas,
//! and unique; this type refuses anything else rather than send a header the server will reject.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pairs: Vec<(String, Option<String>)>,
}

impl Metadata {
    pub fn new() -> Self {
        Metadata::default()
    }

    /// Add `key` with a value. A key already present is replaced (keys are unique).
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.set(key, Some(value.to_string()));
        self
    }

    /// Add `key` with no value (a flag).
    pub fn flag(mut self, key: &str) -> Self {
        self.set(key, None);
        self
    }

    fn set(&mut self, key: &str, value: Option<String>) {
        assert!(
            valid_key(key),
            "tus metadata key {key:?} must be non-empty, without spaces or commas"
        );
        self.pairs.retain(|(k, _)| k != key);
        self.pairs.push((key.to_string(), value));
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_deref())
    }

    /// The header value.
    pub fn encode(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k} {}", STANDARD.encode(v.as_bytes())),
                None => k.clone(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parse a header value. Values that are not valid base64 or not UTF-8 are errors; an
    /// empty header is empty metadata.
    pub fn decode(header: &str) -> Result<Self, String> {
        let mut out = Metadata::new();
        for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut it = pair.splitn(2, ' ');
            let key = it.next().unwrap_or_default();
            if !valid_key(key) {
                return Err(format!("invalid metadata key {key:?}"));
            }
            if out.get(key).is_some() {
                return Err(format!("metadata key {key:?} appears twice"));
            }
            let value = match it.next().map(str::trim) {
                None | Some("") => None,
                Some(b64) => {
                    let raw = STANDARD
                        .decode(b64)
                        .map_err(|_| format!("metadata value of {key:?} is not base64"))?;
                    Some(
                        String::from_utf8(raw)
                            .map_err(|_| format!("metadata value of {key:?} is not UTF-8"))?,
                    )
                }
            };
            out.pairs.push((key.to_string(), value));
        }
        Ok(out)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && !key.contains([' ', ',']) && !key.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_pairs_and_flags_like_the_stream_docs() {
        let m = Metadata::new()
            .with("maxDurationSeconds", "600")
            .flag("requiresignedurls")
            .with("expiry", "2024-02-27T07:20:50Z");
        assert_eq!(
            m.encode(),
            "maxDurationSeconds NjAw,requiresignedurls,expiry MjAyNC0wMi0yN1QwNzoyMDo1MFo="
        );
    }

    #[test]
    fn round_trips_unicode_and_commas_in_values() {
        let m = Metadata::new()
            .with("name", "Cours 1, leçon é.mp4")
            .with("allowedorigins", "example.com,test.com");
        let back = Metadata::decode(&m.encode()).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            back.get("allowedorigins"),
            Some(Some("example.com,test.com"))
        );
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(Metadata::decode("name !!!").is_err());
        assert!(Metadata::decode("a YQ==,a Yg==").is_err());
        assert!(Metadata::decode("").unwrap().is_empty());
    }

    #[test]
    fn a_repeated_key_replaces_the_first() {
        let m = Metadata::new().with("name", "a").with("name", "b");
        assert_eq!(m.encode(), "name Yg==");
    }
}
