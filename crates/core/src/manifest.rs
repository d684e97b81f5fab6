//! A course manifest: which local file became which URL, as CSV or JSON, for pasting links in
//! bulk or keeping a record next to the course. Only uploaded files are listed; a file uploaded
//! twice appears once per upload, newest last, so the manifest reads like the history. Dates are
//! written as RFC 3339 (UTC), which spreadsheets and people both read; the engine fills each
//! entry's link fresh at export ([`crate::Engine::manifest`]), with when it stops working.

use crate::job::{JobState, UploadJob};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    Csv,
    Json,
}

/// One uploaded file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ManifestEntry {
    pub path: String,
    pub name: String,
    pub kind: &'static str,
    pub destination: String,
    pub key: String,
    pub url: String,
    pub size: u64,
    /// RFC 3339, UTC.
    pub uploaded_at: String,
    /// When `url` stops working (RFC 3339, UTC); `None`: it does not.
    pub expires_at: Option<String>,
    /// Other links (Stream's `hls`, `iframe`…, image variants).
    pub links: std::collections::BTreeMap<String, String>,
    /// The course the file was added to.
    pub course: Option<String>,
    #[serde(skip)]
    pub(crate) uploaded_unix: i64,
    #[serde(skip)]
    pub(crate) job: crate::job::JobId,
}

/// `secs` (Unix) as RFC 3339 in UTC, to the second.
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The entries for `jobs`: done ones only, oldest first.
pub fn entries(jobs: &[UploadJob]) -> Vec<ManifestEntry> {
    let mut out: Vec<ManifestEntry> = jobs
        .iter()
        .filter(|j| j.state == JobState::Done)
        .map(|j| {
            let result = j.result.clone().unwrap_or_default();
            ManifestEntry {
                path: j.file.path.display().to_string(),
                name: j.display_name.clone(),
                kind: j.kind.as_str(),
                destination: j.destination.clone(),
                key: if result.remote_id.is_empty() {
                    j.key.clone()
                } else {
                    result.remote_id
                },
                url: result.url.unwrap_or_default(),
                size: j.file.size,
                uploaded_at: rfc3339(j.updated_at),
                expires_at: None,
                links: result.links,
                course: j.course.clone(),
                uploaded_unix: j.updated_at,
                job: j.id,
            }
        })
        .collect();
    out.sort_by_key(|e| e.uploaded_unix);
    out
}

pub fn render(entries: &[ManifestEntry], format: ManifestFormat) -> String {
    match format {
        ManifestFormat::Json => {
            serde_json::to_string_pretty(entries).expect("manifest entries serialise") + "\n"
        }
        ManifestFormat::Csv => {
            let mut out = String::from(
                "path,name,kind,destination,key,url,size,uploaded_at,expires_at,course\n",
            );
            for e in entries {
                let row = [
                    csv_field(&e.path),
                    csv_field(&e.name),
                    e.kind.to_string(),
                    csv_field(&e.destination),
                    csv_field(&e.key),
                    csv_field(&e.url),
                    e.size.to_string(),
                    e.uploaded_at.clone(),
                    e.expires_at.clone().unwrap_or_default(),
                    csv_field(e.course.as_deref().unwrap_or_default()),
                ];
                out.push_str(&row.join(","));
                out.push('\n');
            }
            out
        }
    }
}

/// RFC 4180 quoting; a leading `=`, `+`, `-`, `@`, TAB or CR is prefixed with `'` so that a
/// spreadsheet never runs a file name as a formula (OWASP's CSV injection list: a spreadsheet
/// strips a leading TAB or CR and reads what follows).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_people_and_spreadsheets_read_them() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_688_000), "2026-12-08T00:00:00Z");
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        let cases = [
            ("plain.pdf", "plain.pdf"),
            ("a, b.pdf", "\"a, b.pdf\""),
            ("say \"hi\".pdf", "\"say \"\"hi\"\".pdf\""),
            ("=cmd|'/c calc'!A1", "'=cmd|'/c calc'!A1"),
            ("line\nbreak", "\"line\nbreak\""),
            ("\t=1+1", "'\t=1+1"),
            ("\r=HYPERLINK(\"x\")", "\"'\r=HYPERLINK(\"\"x\"\")\""),
        ];
        for (input, want) in cases {
            assert_eq!(csv_field(input), want, "{input:?}");
        }
    }
}
