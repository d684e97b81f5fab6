//! The upload page of a request: one HTML file, no external script, style or font, that a
//! sender opens on a computer or a phone, names themselves, picks files and watches them go.
//!
//! Invariant: the page can reach only the upload hosts its credentials name (its Content
//! Security Policy's `connect-src`), and its checks (type, size, count, date) are courtesy: the
//! storage service enforces the same limits from the credentials themselves.

use super::{OneTimeUpload, PostForm, PutLink};
use serde::Serialize;

/// Everything the page needs, embedded in it as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct PageData {
    pub title: String,
    pub note: Option<String>,
    pub course: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    pub max_bytes: u64,
    pub max_files: u32,
    /// Accepted extensions; empty: any.
    pub extensions: Vec<String>,
    /// `objects`, `videos` or `images`.
    pub kind: &'static str,
    /// Objects: keys start with this, then the sender's name and the file's.
    pub key_prefix: String,
    /// Objects: one form per media type (`content_type` empty: any type).
    pub forms: Vec<PageForm>,
    /// Objects on a store without POST policies: one numbered key per file, each with a signed
    /// PUT link per media type.
    pub puts: Vec<PageSlot>,
    /// Videos and images: one one-time URL per file.
    pub slots: Vec<OneTimeUpload>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageForm {
    /// The extensions this form's media type covers.
    pub extensions: Vec<String>,
    pub content_type: String,
    #[serde(flatten)]
    pub form: PostForm,
}

/// One file's key, with a PUT link for each accepted media type.
#[derive(Debug, Clone, Serialize)]
pub struct PageSlot {
    pub key: String,
    pub links: Vec<PageLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageLink {
    pub extensions: Vec<String>,
    pub content_type: String,
    #[serde(flatten)]
    pub link: PutLink,
}

/// The page, ready to save or publish.
pub fn render(data: &PageData) -> String {
    let json = serde_json::to_string(data).expect("page data serializes");
    // Inside <script>, "</" could end the element: JSON escapes keep it inert.
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let mut origins: Vec<String> = data
        .forms
        .iter()
        .map(|f| f.form.url.as_str())
        .chain(data.slots.iter().map(|s| s.url.as_str()))
        .chain(
            data.puts
                .iter()
                .flat_map(|s| s.links.iter().map(|l| l.link.url.as_str())),
        )
        .filter_map(origin)
        .collect();
    origins.sort();
    origins.dedup();
    let connect = if origins.is_empty() {
        "'none'".to_string()
    } else {
        origins.join(" ")
    };
    TEMPLATE
        .replace("{{CONNECT}}", &connect)
        .replace("{{TITLE}}", &escape(&data.title))
        .replace("{{DATA}}", &json)
}

/// `https://host:port` of a URL.
fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const TEMPLATE: &str = include_str!("page.html");

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> PageData {
        PageData {
            title: "Week 3 <essays>".into(),
            note: Some("</script><script>alert(1)</script>".into()),
            course: Some("Biology".into()),
            expires_at: 2_000_000_000,
            max_bytes: 1000,
            max_files: 3,
            extensions: vec!["pdf".into()],
            kind: "objects",
            key_prefix: "bio/week-3/".into(),
            forms: vec![PageForm {
                extensions: vec!["pdf".into()],
                content_type: "application/pdf".into(),
                form: PostForm {
                    url: "https://bucket.s3.eu-west-1.amazonaws.com/".into(),
                    fields: vec![("policy".into(), "abc".into())],
                },
            }],
            puts: vec![],
            slots: vec![],
        }
    }

    #[test]
    fn the_page_reaches_only_its_upload_hosts_and_carries_its_text_inert() {
        let html = render(&data());
        assert!(html.contains("connect-src https://bucket.s3.eu-west-1.amazonaws.com;"));
        assert!(html.contains("<title>Week 3 &lt;essays&gt;</title>"));
        assert!(
            !html.contains("</script><script>alert(1)"),
            "text cannot end the script"
        );
        assert!(!html.contains("src=\"http"), "no external script or style");
    }
}
