//! The video and image destination shapes. Their methods are single provider calls; chunking,
//! retries, polling and persistence belong to the scheduler.

use super::FileRange;
use crate::Result;
use crate::captions::Caption;
use crate::live::{LiveIngest, LiveLesson, NewLiveLesson};
use async_trait::async_trait;
use ferry_tus::ChunkPolicy;
use std::collections::BTreeMap;
use std::time::Duration;

/// What a video destination needs to start an upload.
#[derive(Debug, Clone)]
pub struct VideoSpec {
    /// Shown in the provider's dashboard (`meta.name`).
    pub name: String,
    pub size: u64,
    /// blake3 of the content, stored as metadata so the video can be recognised later.
    pub hash: String,
    /// The file's name and media type, sent as the `filename` and `filetype` metadata every
    /// tus client conventionally sends (tus-js-client, Uppy, tuspy); some servers require them
    /// (tuspyserver refuses HEAD without `filetype`).
    pub file_name: String,
    pub content_type: String,
    /// The course the video belongs to, kept in its metadata (Stream's `meta.course`) so the
    /// course library can be found and sorted in Stream too.
    pub course: Option<String>,
    /// The longest the video may be, in seconds, for the service to enforce (Stream's
    /// `maxDurationSeconds`); `None`: the destination's own setting.
    pub max_duration_seconds: Option<u32>,
}

/// A created resumable upload: where to send bytes, and the video it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoUpload {
    pub upload_url: String,
    pub media_id: String,
}

/// Where a video stands once its bytes are in.
#[derive(Debug, Clone, PartialEq)]
pub enum Processing {
    /// Still being processed (`queued`, `inprogress`), with a percentage when known.
    Pending { state: String, pct: Option<f32> },
    /// Playable. Links by name (`hls`, `dash`, `iframe`, `thumbnail`, `watch`).
    Ready { links: BTreeMap<String, String> },
    /// The provider gave up on it.
    Failed { code: String, text: String },
}

/// A video service with resumable (tus) uploads, such as Cloudflare Stream.
#[async_trait]
pub trait VideoStore: Send + Sync {
    fn name(&self) -> &str;
    fn target(&self) -> String;
    /// Chunk rules for PATCH requests.
    fn chunks(&self) -> ChunkPolicy;
    /// The largest video accepted.
    fn max_size(&self) -> u64;
    fn requires_signed_urls(&self) -> bool;
    /// The longest a signed playback link may last. Stream's tokens: at most 24 hours (its
    /// token endpoint's documented `exp` limit, api-facts B.7).
    fn max_link_lifetime(&self) -> Duration {
        Duration::from_secs(24 * 3600)
    }
    /// Whether only video files are accepted (a generic tus server takes any file).
    fn videos_only(&self) -> bool {
        true
    }
    /// Whether the server processes a video after its last byte (Stream encodes it). A plain
    /// tus server does not: the reply confirming the final offset is the end of the upload,
    /// and no further question may fail it.
    fn processes(&self) -> bool {
        true
    }

    async fn create(&self, spec: &VideoSpec) -> Result<VideoUpload>;
    /// The server's offset, or `None` when the upload is gone (expired or terminated).
    async fn offset(&self, upload_url: &str) -> Result<Option<u64>>;
    /// Send `body` at `offset`; returns the new offset. An offset mismatch is
    /// `ErrorKind::Precondition`; an upload that is gone is `ErrorKind::NotFound`.
    async fn send(&self, upload_url: &str, offset: u64, body: FileRange) -> Result<u64>;
    /// Give an unfinished upload up: terminate it and delete the video.
    async fn abandon(&self, upload: &VideoUpload) -> Result<()>;
    async fn processing(&self, media_id: &str) -> Result<Processing>;
    async fn delete(&self, media_id: &str) -> Result<()>;
    /// The link to share: the HLS manifest, or a signed one (token in place of the id) valid
    /// for `expires` when videos require signed URLs.
    async fn url(&self, media_id: &str, expires: Duration) -> Result<String>;

    /// The service's live inputs, if it has them (Stream does).
    fn live(&self) -> Option<&dyn LiveInputs> {
        None
    }

    /// Change an uploaded video's settings (each field given; the others stay).
    async fn edit_video(&self, _media_id: &str, _edit: &VideoEdit) -> Result<()> {
        Err(crate::Error::new(
            crate::ErrorKind::NotSupported,
            format!(
                "{} keeps no settings with its videos; these changes need Cloudflare Stream",
                self.name()
            ),
        ))
    }

    /// A one-time URL through which someone without the token can send one video (an upload
    /// request), within `spec`'s limits.
    async fn one_time_upload(
        &self,
        _spec: &crate::request::OneTimeSpec,
    ) -> Result<crate::request::OneTimeUpload> {
        Err(no_upload_links(self.name(), "Cloudflare Stream"))
    }

    /// The videos sent with `creator`'s one-time links.
    async fn sent_by(&self, _creator: &str) -> Result<Vec<crate::request::Arrival>> {
        Ok(Vec::new())
    }

    /// Delete what `creator`'s one-time links reserved and never received, so the links stop
    /// working now; returns how many.
    async fn drop_unused_uploads(&self, _creator: &str) -> Result<usize> {
        Ok(0)
    }

    /// Make (`on`) or remove the video's MP4 download; returns the download after the change.
    async fn set_download(&self, _media_id: &str, _on: bool) -> Result<Option<VideoDownload>> {
        Err(crate::Error::new(
            crate::ErrorKind::NotSupported,
            format!(
                "{} makes no MP4 downloads; they need Cloudflare Stream",
                self.name()
            ),
        ))
    }

    /// Whether the service keeps caption tracks with its videos (Stream does; a plain tus
    /// server does not, and the caption calls below refuse).
    fn has_captions(&self) -> bool {
        false
    }
    /// The video's caption tracks.
    async fn captions(&self, _media_id: &str) -> Result<Vec<Caption>> {
        Err(no_captions(self.name()))
    }
    /// Store `webvtt` as the video's captions in `language`, replacing any in that language.
    async fn put_caption(
        &self,
        _media_id: &str,
        _language: &str,
        _webvtt: String,
    ) -> Result<Caption> {
        Err(no_captions(self.name()))
    }
    /// Ask the service to make captions in `language` from the video's speech.
    async fn generate_caption(&self, _media_id: &str, _language: &str) -> Result<Caption> {
        Err(no_captions(self.name()))
    }
    async fn delete_caption(&self, _media_id: &str, _language: &str) -> Result<()> {
        Err(no_captions(self.name()))
    }
}

/// A video's MP4 download, for students who watch offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoDownload {
    /// Made and ready to fetch (else still being made).
    pub ready: bool,
    pub url: String,
}

/// Changes to an uploaded video's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoEdit {
    /// Only signed links play it (private), or anyone with the link (public).
    pub require_signed_urls: Option<bool>,
    /// Sites allowed to embed the player (an empty list: any).
    pub allowed_origins: Option<Vec<String>>,
    /// The thumbnail's moment, as a fraction of the video (0 to 1).
    pub thumbnail_pct: Option<f32>,
    /// Delete it this many days after it was uploaded (`Some(None)`: keep it).
    pub delete_after_days: Option<Option<u32>>,
    /// Its title in the service's library.
    pub title: Option<String>,
}

/// A video service's live inputs (Stream Live).
#[async_trait]
pub trait LiveInputs: Send + Sync {
    async fn create_live(&self, new: &NewLiveLesson) -> Result<(LiveLesson, LiveIngest)>;
    async fn live_lessons(&self) -> Result<Vec<LiveLesson>>;
    async fn live_lesson(&self, uid: &str) -> Result<(LiveLesson, LiveIngest)>;
    async fn rename_live(&self, uid: &str, name: &str) -> Result<LiveLesson>;
    async fn delete_live(&self, uid: &str) -> Result<()>;
    /// The recordings a live input made, ready or still being prepared.
    async fn recordings(&self, uid: &str) -> Result<Vec<crate::live::Recording>>;
}

fn no_upload_links(destination: &str, service: &str) -> crate::Error {
    crate::Error::new(
        crate::ErrorKind::NotSupported,
        format!("{destination} has no upload links for people without keys; they need {service}"),
    )
}

fn no_captions(destination: &str) -> crate::Error {
    crate::Error::new(
        crate::ErrorKind::NotSupported,
        format!("{destination} keeps no captions with its videos; captions need Cloudflare Stream"),
    )
}

/// What an image destination accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    pub max_bytes: u64,
    pub max_side: u32,
    pub max_pixels: u64,
}

/// What an image destination needs to store an image.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// The custom id to store it under, when the destination allows one.
    pub id: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub hash: String,
}

/// A stored image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    pub id: String,
    /// Delivery URLs by variant name.
    pub variants: BTreeMap<String, String>,
    /// The content hash Ferry stored with it, if any.
    pub hash: Option<String>,
    pub size: Option<u64>,
}

/// An image service, such as Cloudflare Images.
#[async_trait]
pub trait ImageStore: Send + Sync {
    fn name(&self) -> &str;
    fn target(&self) -> String;
    fn limits(&self) -> ImageLimits;
    /// Custom ids are allowed (not with signed URLs on Cloudflare).
    fn custom_ids(&self) -> bool;
    fn requires_signed_urls(&self) -> bool;
    /// The longest a signed image link may last. Cloudflare documents no maximum for an
    /// image's `exp`; Ferry keeps every signed link within SigV4's 7 days, so one lifetime
    /// setting fits every destination.
    fn max_link_lifetime(&self) -> Duration {
        Duration::from_secs(7 * 24 * 3600)
    }

    async fn find(&self, id: &str) -> Result<Option<StoredImage>>;
    /// Among recent uploads, the one Ferry stored with this content hash.
    async fn find_by_hash(&self, hash: &str) -> Result<Option<StoredImage>>;
    async fn upload(&self, spec: &ImageSpec, body: FileRange) -> Result<StoredImage>;
    async fn delete(&self, id: &str) -> Result<()>;
    /// The variant to share; signed for `expires` when images require signed URLs.
    async fn url(&self, id: &str, expires: Duration) -> Result<String>;
    /// The images sent with `creator`'s one-time links.
    async fn sent_by(&self, _creator: &str) -> Result<Vec<crate::request::Arrival>> {
        Ok(Vec::new())
    }
    /// A one-time URL through which someone without the token can send one image (an upload
    /// request), within `spec`'s limits.
    async fn one_time_upload(
        &self,
        _spec: &crate::request::OneTimeSpec,
    ) -> Result<crate::request::OneTimeUpload> {
        Err(no_upload_links(self.name(), "Cloudflare Images"))
    }
}
