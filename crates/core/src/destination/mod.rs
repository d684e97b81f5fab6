//! Destinations: where bytes go. A [`Destination`] is one of three shapes, each a small trait
//! with one module per provider: an [`ObjectStore`] (S3, R2, GCS: keys, single PUT or multipart),
//! a [`VideoStore`] (Cloudflare Stream: tus upload, then processing) and an [`ImageStore`]
//! (Cloudflare Images: one form upload within limits, delivery variants).
//!
//! A destination knows its provider's HTTP and nothing of the queue: the scheduler decides what to
//! send, when, how often to retry, and records progress; a destination sends what it is asked
//! and maps its provider's errors into [`crate::Error`] once. Provider quirks (part sizes,
//! chunk rules, image limits) are data.

pub mod bucket;
pub mod check;
pub mod cloudflare;
#[cfg(test)]
pub(crate) mod memory;
pub mod round_trip;
mod tus_kind;
pub(crate) use tus_kind::kind_of as tus_kind;
pub mod s3;
pub mod setup;
mod shapes;
pub mod tus;

pub use shapes::{
    ImageLimits, ImageSpec, ImageStore, LiveInputs, Processing, StoredImage, VideoDownload,
    VideoEdit, VideoSpec, VideoStore, VideoUpload,
};

use crate::Result;
use crate::job::ConfirmedPart;
use crate::parts::PartRules;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// What a page stored with an object it sent through an upload request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArrivalLabel {
    pub sender: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
}

/// What a provider accepts, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub parts: PartRules,
    /// The store honours `If-None-Match: *` on PUT and CompleteMultipartUpload (AWS S3, R2), so
    /// an existing object can never be overwritten even by a racing writer.
    pub conditional_writes: bool,
}

/// A byte range of a local file to send, and a counter the sender advances as bytes leave, for
/// progress.
#[derive(Debug, Clone)]
pub struct FileRange {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
    pub sent: Arc<AtomicU64>,
    /// The bandwidth limit the bytes must respect, if any.
    pub pace: Option<Arc<crate::pace::Pace>>,
    /// Hashes the bytes as they are read, so what was sent can be checked against the file as
    /// it was queued ([`crate::digest`]).
    pub digest: Option<crate::digest::SharedRange>,
    /// Laid over the bytes after they are hashed: what is sent is the prepared copy.
    pub patches: Option<Arc<crate::prepare::Patches>>,
}

impl FileRange {
    /// `len` bytes of the file at `path` from `offset`, advancing `sent` as they leave.
    pub fn new(path: &std::path::Path, offset: u64, len: u64, sent: &Arc<AtomicU64>) -> Self {
        FileRange {
            path: path.to_path_buf(),
            offset,
            len,
            sent: sent.clone(),
            pace: None,
            digest: None,
            patches: None,
        }
    }

    /// The same range, with `patches` laid over its bytes.
    pub fn prepared(mut self, patches: &Option<Arc<crate::prepare::Patches>>) -> Self {
        self.patches = patches.clone();
        self
    }

    /// Bytes read at `offset` become the bytes to send: hashed as the file's own (so a file
    /// changed since it was queued is caught), then prepared.
    pub fn deliver(&self, offset: u64, bytes: &mut [u8]) {
        self.saw(offset, bytes);
        if let Some(p) = &self.patches {
            p.apply(offset, bytes);
        }
    }

    /// The same range, its bytes hashed into `digest` as they are read.
    pub fn hashed(mut self, digest: &crate::digest::SharedRange) -> Self {
        self.digest = Some(digest.clone());
        self
    }

    /// Feed bytes read at `offset` to the digest, if any.
    pub fn saw(&self, offset: u64, bytes: &[u8]) {
        if let Some(d) = &self.digest
            && let Ok(mut d) = d.lock()
        {
            d.update(offset, bytes);
        }
    }

    /// The same range, sent within `pace`.
    pub fn paced(mut self, pace: &Option<Arc<crate::pace::Pace>>) -> Self {
        self.pace = pace.clone();
        self
    }
}

impl From<FileRange> for ferry_tus::FilePiece {
    fn from(r: FileRange) -> Self {
        ferry_tus::FilePiece {
            path: r.path,
            offset: r.offset,
            len: r.len,
            sent: r.sent,
            pacer: r
                .pace
                .map(|p| -> ferry_tus::Pacer { Arc::new(move |n| p.delay(n)) }),
            observer: r.digest.map(|d| -> ferry_tus::Observer {
                Arc::new(move |offset, bytes| {
                    if let Ok(mut d) = d.lock() {
                        d.update(offset, bytes);
                    }
                })
            }),
        }
    }
}

/// What a destination needs to know about the object being written.
#[derive(Debug, Clone)]
pub struct ObjectSpec {
    pub key: String,
    pub content_type: String,
    /// blake3 of the content, stored as object metadata so that a later run can recognise its
    /// own object (an upload that finished just before a crash is not sent twice).
    pub hash: String,
    pub display_name: String,
    /// Replace an object at the key (no `If-None-Match`).
    pub overwrite: bool,
    /// How a browser opening the object's link should treat it (`Content-Disposition`); `None`:
    /// as it likes (shown inline where it can).
    pub disposition: Option<String>,
}

/// Content types a browser runs as pages (scripts included) when opened from a link.
const ACTIVE_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
];

/// `attachment` for markup a browser would run (so a link downloads it instead of running it
/// on the bucket's domain), unless `inline` was chosen; `None` for everything else.
pub fn disposition_for(content_type: &str, display_name: &str, inline: bool) -> Option<String> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if inline || !ACTIVE_TYPES.contains(&essence.as_str()) {
        return None;
    }
    let ascii: String = display_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(display_name, percent_encoding::NON_ALPHANUMERIC);
    Some(format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
}

/// What a successful CompleteMultipartUpload reply proves about the assembled object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// The reply proves the object is exactly the parts sent (S3's multipart ETag).
    Proven,
    /// The server acknowledged it; its reply cannot be checked against the parts.
    Acknowledged,
    /// The reply contradicts the parts sent: read the object back before trusting it.
    Doubtful(String),
}

/// A multipart upload the server holds open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenUpload {
    pub upload_id: String,
    /// When it was started (seconds since the epoch), if the server says.
    pub initiated: Option<i64>,
}

/// What is at a key already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteObject {
    Absent,
    Present { size: u64, hash: Option<String> },
}

/// An S3-style object store: objects under keys.
#[async_trait]
pub trait ObjectStore: bucket::BucketSettings {
    /// The name jobs refer to (`s3`, `r2`, …).
    fn name(&self) -> &str;
    /// Where the bytes land, without secrets; stored with each job.
    fn target(&self) -> String;
    fn capabilities(&self) -> Capabilities;

    async fn head(&self, key: &str) -> Result<RemoteObject>;
    async fn put(&self, spec: &ObjectSpec, body: FileRange) -> Result<()>;
    async fn create_multipart(&self, spec: &ObjectSpec) -> Result<String>;
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: FileRange,
    ) -> Result<String>;
    /// The parts the server holds for an upload, or `None` if the upload no longer exists
    /// (completed, aborted or expired). A part the server lists without its ETag has an empty
    /// one.
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Option<Vec<ConfirmedPart>>>;
    async fn complete_multipart(
        &self,
        spec: &ObjectSpec,
        upload_id: &str,
        parts: &[ConfirmedPart],
    ) -> Result<Completion>;
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()>;
    /// The multipart uploads open for exactly `key` (ListMultipartUploads).
    async fn open_uploads(&self, key: &str) -> Result<Vec<OpenUpload>>;
    async fn delete(&self, key: &str) -> Result<()>;
    /// The delivery URL: public when a public base is configured, otherwise presigned for
    /// `expires` (at most 7 days).
    async fn url(&self, key: &str, expires: Duration) -> Result<String>;
    /// Whether [`ObjectStore::url`] gives a public (non-expiring) URL.
    fn is_public(&self) -> bool;
    /// Whether it takes presigned POST forms, whose policy bounds an upload's size (an upload
    /// request's page); R2 does not (api-facts C.5): its pages get PUT links, which cannot.
    fn takes_post_forms(&self) -> bool {
        false
    }
    /// The objects under `prefix` (key and size), every page of the listing.
    async fn list_under(&self, _prefix: &str) -> Result<Vec<(String, u64)>> {
        Err(crate::Error::new(
            crate::ErrorKind::NotSupported,
            format!("{} cannot list what arrived", self.name()),
        ))
    }
    /// What an upload request's page stored with the object: the sender's name and the file's
    /// own name (PUT links keep both in `Content-Disposition`), and its media type.
    async fn label_of(&self, _key: &str) -> Result<ArrivalLabel> {
        Ok(ArrivalLabel::default())
    }
    /// A browser form that puts one file under `spec`'s prefix within its limits (an upload
    /// request's page); a store without POST policies says so.
    async fn upload_form(
        &self,
        _spec: &crate::request::FormSpec,
    ) -> Result<crate::request::PostForm> {
        Err(crate::Error::new(
            crate::ErrorKind::NotSupported,
            format!(
                "{} takes no uploads from a web page with conditions; send the request to an S3 bucket, Stream or Images",
                self.name()
            ),
        ))
    }
    /// Presigned PUT links, one per file of an upload request's page (stores without POST
    /// policies), tried once before they are handed out; a store that cannot sign them says so.
    async fn upload_links(
        &self,
        _specs: &[crate::request::SlotSpec],
    ) -> Result<Vec<crate::request::PutLink>> {
        Err(crate::Error::new(
            crate::ErrorKind::NotSupported,
            format!(
                "{} cannot sign upload links for a web page; send the request to an S3 bucket, Stream or Images",
                self.name()
            ),
        ))
    }
}

/// A configured destination, whatever its shape.
#[derive(Clone)]
pub enum Destination {
    Objects(Arc<dyn ObjectStore>),
    Videos(Arc<dyn VideoStore>),
    Images(Arc<dyn ImageStore>),
}

/// What kind of store a destination is, for front ends that show or group destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Keys and bytes: S3, R2, GCS.
    Objects,
    /// Cloudflare Images.
    Images,
    /// Cloudflare Stream or a tus server.
    Videos,
}

impl Shape {
    /// The word the window's data uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Objects => "objects",
            Shape::Images => "images",
            Shape::Videos => "videos",
        }
    }
}

impl Destination {
    pub fn shape(&self) -> Shape {
        match self {
            Destination::Objects(_) => Shape::Objects,
            Destination::Videos(_) => Shape::Videos,
            Destination::Images(_) => Shape::Images,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Destination::Objects(d) => d.name(),
            Destination::Videos(d) => d.name(),
            Destination::Images(d) => d.name(),
        }
    }

    /// Where the bytes land, without secrets; stored with each job.
    pub fn target(&self) -> String {
        match self {
            Destination::Objects(d) => d.target(),
            Destination::Videos(d) => d.target(),
            Destination::Images(d) => d.target(),
        }
    }

    /// Whether stored URLs stay valid (no signing needed to share them).
    pub fn is_public(&self) -> bool {
        match self {
            Destination::Objects(d) => d.is_public(),
            Destination::Videos(d) => !d.requires_signed_urls(),
            Destination::Images(d) => !d.requires_signed_urls(),
        }
    }

    /// The longest an expiring link from here may last.
    pub fn max_link_lifetime(&self) -> Duration {
        match self {
            Destination::Objects(_) => s3::MAX_PRESIGN,
            Destination::Videos(d) => d.max_link_lifetime(),
            Destination::Images(d) => d.max_link_lifetime(),
        }
    }

    /// A delivery URL for `remote_id`; signed for `expires` where the destination is private.
    pub async fn url(&self, remote_id: &str, expires: Duration) -> Result<String> {
        match self {
            Destination::Objects(d) => d.url(remote_id, expires).await,
            Destination::Videos(d) => d.url(remote_id, expires).await,
            Destination::Images(d) => d.url(remote_id, expires).await,
        }
    }

    /// Delete what was uploaded under `remote_id`.
    pub async fn delete(&self, remote_id: &str) -> Result<()> {
        match self {
            Destination::Objects(d) => d.delete(remote_id).await,
            Destination::Videos(d) => d.delete(remote_id).await,
            Destination::Images(d) => d.delete(remote_id).await,
        }
    }
}

/// The configured destinations, by name.
#[derive(Clone, Default)]
pub struct Destinations {
    by_name: BTreeMap<String, Destination>,
}

impl Destinations {
    pub fn insert(&mut self, dest: Destination) {
        self.by_name.insert(dest.name().to_string(), dest);
    }

    pub fn get(&self, name: &str) -> Option<Destination> {
        self.by_name.get(name).cloned()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::disposition_for;

    #[test]
    fn markup_is_a_download_unless_a_route_says_inline() {
        for t in [
            "text/html",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "application/xml",
            "application/xhtml+xml",
        ] {
            let d = disposition_for(t, "Quiz 1 (é).html", false).unwrap_or_default();
            assert!(
                d.starts_with("attachment; filename=\"Quiz 1 (_).html\""),
                "{t}: {d}"
            );
            assert!(
                d.contains("filename*=UTF-8''Quiz%201%20%28%C3%A9%29%2Ehtml"),
                "{d}"
            );
            assert_eq!(
                disposition_for(t, "q.html", true),
                None,
                "{t} inline by route"
            );
        }
        for t in ["application/pdf", "image/png", "video/mp4", "text/plain"] {
            assert_eq!(disposition_for(t, "x", false), None, "{t}");
        }
    }
}
