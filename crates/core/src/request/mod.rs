//! Upload requests: a teacher lets students or colleagues who hold no keys send files into a
//! course ("hand in your video", "add your slides"), through one self-contained page carrying
//! credentials that allow only what the request allows.
//!
//! Invariant: every limit of a request (what may be sent, how big, how many, until when, where
//! it lands) is written into the credentials the storage service checks: a presigned POST
//! policy's conditions (S3 and S3-compatible stores), a one-time upload URL per allowed file
//! (Stream and Images direct creator uploads, with Stream's `maxDurationSeconds` and `expiry`).
//! One limit has no such credential: a store without POST policies (R2) gets presigned PUT
//! links, one fixed key per file with its media type and `If-None-Match: *` signed, which bound
//! the count, type, place and end but not the size; Ferry removes what arrives over the size
//! (`engine/arrivals.rs`) and RELIABILITY.md says so. The page's own checks only save a sender
//! a refused upload; nothing depends on them. The account's keys never leave Ferry: the page
//! holds signatures and one-time URLs, which die with the request.

pub mod page;

use crate::classify::FileKind;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The longest a request can stay open: a presigned POST's signing key is good for seven days
/// (SigV4's limit for presigned requests, api-facts D.2).
pub const MAX_DAYS: u32 = 7;
/// Images' one-time upload URLs live at most six hours (OAS24 `images/v2/direct_upload`,
/// `expiry`: "Maximum: Now + 6 hours").
pub const MAX_IMAGE_HOURS: i64 = 6;
/// Stream's basic direct upload takes at most 200 MB per file (api-facts B.4).
pub const MAX_STREAM_POST_BYTES: u64 = 200 * 1000 * 1000;
/// At most this many files per request: each Stream or Images file needs its own one-time URL.
pub const MAX_FILES: u32 = 100;

/// Where what arrives lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Landing {
    /// Objects under `prefix` in an object store (S3, or S3-compatible with POST policies).
    Objects { destination: String, prefix: String },
    /// Stream videos, private (signed links only) unless said otherwise.
    Videos { signed: bool },
    /// Cloudflare Images.
    Images,
}

/// What a teacher asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSpec {
    /// What senders see as the page's title ("Week 3 essays").
    pub title: String,
    pub course: Option<String>,
    pub landing: Landing,
    /// File name extensions accepted (lower case, no dot); empty: any file of the landing's
    /// kind (videos for Stream, images for Images, anything for objects).
    pub extensions: Vec<String>,
    pub max_bytes: u64,
    pub max_files: u32,
    /// Stream refuses a longer video while processing it (`maxDurationSeconds`).
    pub max_video_seconds: Option<u32>,
    /// Unix seconds.
    pub expires_at: i64,
    /// A sentence for senders ("Name your file with your class and surname").
    pub note: Option<String>,
    /// Publish the page to this bucket destination (it must have a public address), so the
    /// teacher has one link to send; `None` keeps the page a file to share.
    #[serde(default)]
    pub publish: Option<String>,
}

impl RequestSpec {
    /// Check the request against what the landing's service can enforce, saying what to change.
    pub fn check(&self, now: i64) -> Result<()> {
        if self.title.trim().is_empty() {
            return Err(Error::input(
                "an upload request needs a title senders will see, such as \"Week 3 essays\"",
            ));
        }
        if self.max_files == 0 || self.max_files > MAX_FILES {
            return Err(Error::input(format!(
                "a request takes from 1 to {MAX_FILES} files, not {}",
                self.max_files
            )));
        }
        if self.max_bytes == 0 {
            return Err(Error::input(
                "the largest file allowed must be more than 0 bytes",
            ));
        }
        let lasts = self.expires_at - now;
        if lasts < 120 {
            return Err(Error::input(
                "the request must stay open at least 2 minutes from now",
            ));
        }
        if lasts > i64::from(MAX_DAYS) * 86_400 {
            return Err(Error::input(format!(
                "a request stays open at most {MAX_DAYS} days (the longest a storage service honours its signature); make a new one after that"
            )));
        }
        for ext in &self.extensions {
            if ext.is_empty() || !ext.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::input(format!(
                    "{ext:?} is not a file extension; write them like \"pdf, docx\""
                )));
            }
        }
        match &self.landing {
            Landing::Videos { .. } => {
                if self.max_bytes > MAX_STREAM_POST_BYTES {
                    return Err(Error::input(
                        "videos sent through a page can be at most 200 MB each (Stream's limit for uploads without a key); lower the size, or ask for a shorter or smaller video",
                    ));
                }
                if let Some(s) = self.max_video_seconds
                    && !(1..=21_600).contains(&s)
                {
                    return Err(Error::input(
                        "a video's longest duration is from 1 second to 6 hours (Stream's range)",
                    ));
                }
                self.only_of(FileKind::Video)?;
            }
            Landing::Images => {
                if lasts > MAX_IMAGE_HOURS * 3600 {
                    return Err(Error::input(format!(
                        "a request for Cloudflare Images stays open at most {MAX_IMAGE_HOURS} hours (the life of Images' one-time upload links); send images to a bucket for a longer request"
                    )));
                }
                self.only_of(FileKind::Image)?;
            }
            Landing::Objects { prefix, .. } => {
                let p = prefix.trim_matches('/');
                if p.is_empty() || p.split('/').any(|s| s == ".." || s == ".") {
                    return Err(Error::input(
                        "name a folder for what arrives, such as \"biology/submissions/week-3\"",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every accepted extension names a file of `kind`.
    fn only_of(&self, kind: FileKind) -> Result<()> {
        for ext in &self.extensions {
            if crate::classify::kind_of(&media_type(ext)) != kind {
                return Err(Error::input(format!(
                    ".{ext} files are not {}s: this request lands in {}",
                    kind.as_str(),
                    if kind == FileKind::Video {
                        "Stream"
                    } else {
                        "Cloudflare Images"
                    }
                )));
            }
        }
        Ok(())
    }

    /// The media types senders may send, one per accepted extension (sorted, no repeats). An
    /// object store checks the type named in the form against the policy, so each type gets
    /// its own form.
    pub fn content_types(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .extensions
            .iter()
            .map(|ext| (ext.clone(), media_type(ext)))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Where a request's page is published in its bucket.
pub fn page_key(id: &str) -> String {
    format!("ferry-requests/{id}.html")
}

/// A request as kept by Ferry: its spec, and where its page went. No credential is kept: the
/// page carries them, and what arrives is found by the request's id (Stream's and Images'
/// `creator`, the object store's prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// Short and random (`r-7f3k9q`), in keys and `creator` fields.
    pub id: String,
    pub spec: RequestSpec,
    /// Where the page was saved.
    pub page: Option<std::path::PathBuf>,
    /// Where the page was published, when it was.
    pub link: Option<String>,
    pub created_at: i64,
    /// When the teacher closed it (its page removed); it also ends at `spec.expires_at`.
    pub closed_at: Option<i64>,
}

impl UploadRequest {
    pub fn is_open(&self, now: i64) -> bool {
        self.closed_at.is_none() && now < self.spec.expires_at
    }

    /// The `creator` Stream and Images keep with what arrives through this request.
    pub fn creator(&self) -> String {
        Self::creator_of(&self.id)
    }

    pub(crate) fn creator_of(id: &str) -> String {
        format!("ferry-{id}")
    }
}

/// A presigned POST form for an object store: where to post, and the fields that go before the
/// file (the file must be the form's last field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostForm {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

/// What one object-store form allows.
#[derive(Debug, Clone)]
pub struct FormSpec {
    /// Keys must start with this (`biology/submissions/week-3/`).
    pub key_prefix: String,
    pub content_type: String,
    pub max_bytes: u64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// What one presigned PUT link of a request allows: one object at `key`, of `content_type`
/// (empty: any), written once, until `expires_at` (Unix seconds).
#[derive(Debug, Clone)]
pub struct SlotSpec {
    pub key: String,
    pub content_type: String,
    pub expires_at: i64,
}

/// A presigned PUT link, with the headers it was signed with: the page sends them as they are
/// (another `Content-Type`, or no `If-None-Match`, breaks the signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PutLink {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// The key of the `n`th file (from 1) a request lands through PUT links: its folder, the
/// request's id and the number, so two requests sharing a folder never share a key.
pub fn slot_key(prefix: &str, id: &str, n: u32) -> String {
    format!("{}/{id}-{n:03}", prefix.trim_matches('/'))
}

/// The sender's name and the file's, from the `Content-Disposition` the page sends with a PUT:
/// `attachment; filename*=UTF-8''<file>; sender*=UTF-8''<name>` (RFC 8187 encoding, so any
/// name travels as ASCII; browsers downloading the object ignore `sender*`).
pub fn from_disposition(value: &str) -> (Option<String>, Option<String>) {
    let mut file = None;
    let mut sender = None;
    for part in value.split(';').map(str::trim) {
        let Some((name, raw)) = part.split_once('=') else {
            continue;
        };
        let decoded = match raw.strip_prefix("UTF-8''").or(raw.strip_prefix("utf-8''")) {
            Some(enc) => percent_encoding::percent_decode_str(enc)
                .decode_utf8_lossy()
                .into_owned(),
            None => raw.trim_matches('"').to_string(),
        };
        let decoded = decoded.trim().to_string();
        if decoded.is_empty() {
            continue;
        }
        match name.trim().to_ascii_lowercase().as_str() {
            "filename*" => file = Some(decoded.replace(['/', '\\'], "_")),
            "filename" if file.is_none() => file = Some(decoded.replace(['/', '\\'], "_")),
            "sender*" => sender = Some(decoded),
            _ => {}
        }
    }
    (sender, file)
}

/// A one-time upload URL (Stream or Images direct creator upload), and the id of what it
/// becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OneTimeUpload {
    pub url: String,
    pub id: String,
}

/// What a one-time upload for a request allows.
#[derive(Debug, Clone)]
pub struct OneTimeSpec {
    pub creator: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub max_seconds: Option<u32>,
    pub signed: bool,
    /// Kept with the video or image (`meta`/`metadata`): the request and the course.
    pub meta: serde_json::Map<String, serde_json::Value>,
}

/// The media type of files named `*.ext`.
fn media_type(ext: &str) -> String {
    mime_guess::from_ext(ext)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

/// Something sent through a request, as its service lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The object key, video uid or image id.
    pub remote_id: String,
    pub file_name: String,
    pub sender: Option<String>,
    pub size: u64,
    pub content_type: Option<String>,
    /// Usable now (a video Stream has finished preparing; objects and images at once).
    pub ready: bool,
    /// Links by name, where the service gives them (a video's player, an image's variants).
    pub links: std::collections::BTreeMap<String, String>,
    /// The service refused it after it arrived (a video over the request's longest duration):
    /// why, in the service's words.
    pub refused: Option<String>,
}

/// The page names what it sends to Stream and Images `"<sender> - <file>"` (the sender's name
/// made safe: spaces as `-`): the sender back with spaces, and the file's own name.
pub fn split_sent_name(name: &str) -> (Option<String>, String) {
    match name.split_once(" - ") {
        Some((sender, file)) if !sender.is_empty() && !file.is_empty() => {
            (Some(sender.replace('-', " ")), file.to_string())
        }
        _ => (None, name.to_string()),
    }
}

/// A fresh request id: `r-` and six letters or digits.
pub(crate) fn new_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let tail: String = (0..6)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect();
    format!("r-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(landing: Landing) -> RequestSpec {
        RequestSpec {
            title: "Week 3 essays".into(),
            course: None,
            landing,
            extensions: vec![],
            max_bytes: 10_000_000,
            max_files: 30,
            max_video_seconds: None,
            expires_at: 1000 + 3600,
            note: None,
            publish: None,
        }
    }

    #[test]
    fn what_the_service_cannot_enforce_is_refused_with_what_to_change() {
        let objects = Landing::Objects {
            destination: "s3".into(),
            prefix: "bio/week-3".into(),
        };
        assert!(spec(objects.clone()).check(1000).is_ok());
        let mut long = spec(objects.clone());
        long.expires_at = 1000 + 8 * 86_400;
        assert!(long.check(1000).unwrap_err().to_string().contains("7 days"));
        let mut images = spec(Landing::Images);
        images.expires_at = 1000 + 7 * 3600;
        assert!(
            images
                .check(1000)
                .unwrap_err()
                .to_string()
                .contains("6 hours")
        );
        let mut big = spec(Landing::Videos { signed: true });
        big.max_bytes = 300_000_000;
        assert!(big.check(1000).unwrap_err().to_string().contains("200 MB"));
        let mut wrong = spec(Landing::Videos { signed: true });
        wrong.extensions = vec!["pdf".into()];
        assert!(wrong.check(1000).unwrap_err().to_string().contains(".pdf"));
        let mut escape = spec(Landing::Objects {
            destination: "s3".into(),
            prefix: "bio/../secrets".into(),
        });
        assert!(escape.check(1000).is_err());
        escape.landing = objects;
        escape.extensions = vec![".pdf".into()];
        assert!(
            escape
                .check(1000)
                .unwrap_err()
                .to_string()
                .contains("extension")
        );
    }

    #[test]
    fn each_extension_has_its_media_type() {
        let mut s = spec(Landing::Images);
        s.extensions = vec!["png".into(), "jpg".into(), "jpeg".into()];
        assert_eq!(
            s.content_types(),
            vec![
                ("jpeg".into(), "image/jpeg".into()),
                ("jpg".into(), "image/jpeg".into()),
                ("png".into(), "image/png".into())
            ]
        );
    }

    #[test]
    fn the_sender_comes_back_from_the_name_the_page_gave() {
        assert_eq!(
            split_sent_name("Sam-Lee - heron.png"),
            (Some("Sam Lee".into()), "heron.png".into())
        );
        assert_eq!(split_sent_name("heron.png"), (None, "heron.png".into()));
        assert_eq!(split_sent_name(" - x"), (None, " - x".into()));
    }

    #[test]
    fn the_page_s_disposition_gives_back_sender_and_file() {
        assert_eq!(
            from_disposition(
                "attachment; filename*=UTF-8''Le%C3%A7on%201.pdf; sender*=UTF-8''Zo%C3%AB%20Martin"
            ),
            (Some("Zoë Martin".into()), Some("Leçon 1.pdf".into()))
        );
        assert_eq!(
            from_disposition("attachment; filename=\"../notes.txt\""),
            (None, Some(".._notes.txt".into()))
        );
        assert_eq!(from_disposition("inline"), (None, None));
        assert_eq!(
            slot_key("/bio/week-3/", "r-abc234", 7),
            "bio/week-3/r-abc234-007"
        );
    }

    #[test]
    fn ids_are_short_and_distinct() {
        let a = new_id();
        assert!(a.starts_with("r-") && a.len() == 8, "{a}");
        assert_ne!(a, new_id());
    }
}
