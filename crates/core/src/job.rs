//! The upload job: one file bound for one destination.
//!
//! A job is written to the queue before anyone hears of it, and every state change is a
//! transaction. Its [`ResumeState`] is everything needed to continue the same remote upload after
//! a crash; it holds no secret.

use crate::classify::FileKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a slot.
    Queued,
    /// Bytes are moving (or were, when the process died: such a job is resumed).
    Uploading,
    /// Uploaded; the provider is still processing it (Stream encoding).
    Processing,
    /// Held by the user; not picked until resumed.
    Paused,
    Done,
    Failed,
    Cancelled,
    /// Uploaded, then deleted from the destination by the user.
    Deleted,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Uploading => "uploading",
            JobState::Processing => "processing",
            JobState::Paused => "paused",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => JobState::Queued,
            "uploading" => JobState::Uploading,
            "processing" => JobState::Processing,
            "paused" => JobState::Paused,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            "deleted" => JobState::Deleted,
            _ => return None,
        })
    }

    /// A job in a terminal state is never picked again by itself.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled | JobState::Deleted
        )
    }
}

/// What survives a crash so that the same remote upload can continue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResumeState {
    /// An S3 multipart upload. Confirmed parts live in the queue's `parts` table, one row per
    /// part, so that committing a part does not rewrite the whole list.
    S3Multipart { upload_id: String, part_size: u64 },
    /// A tus upload: where it lives, how much the server has confirmed, and the media it
    /// becomes (Stream's video uid), which is polled once the bytes are in.
    Tus {
        upload_url: String,
        offset: u64,
        #[serde(default)]
        media_id: Option<String>,
    },
    /// An image form upload was (maybe) sent: after a crash, look for it before sending again.
    ImagePost,
}

/// A part the server has acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

/// The file as it was when the job was queued. The upload is only completed if the file still
/// matches, so a file edited mid-upload is never reported as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSnapshot {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    /// blake3 of the content, hex.
    pub hash: String,
}

/// The outcome of a finished upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadResult {
    /// The object key (S3/R2) or remote id (Images/Stream).
    pub remote_id: String,
    /// The delivery URL to paste into course content (public, or a presigned URL if the
    /// destination is private).
    pub url: Option<String>,
    /// Other links by name: Stream's `hls`, `dash`, `iframe`, `thumbnail`, `watch`; an image's
    /// variants.
    pub links: std::collections::BTreeMap<String, String>,
}

/// A job as stored in the queue.
#[derive(Debug, Clone)]
pub struct UploadJob {
    pub id: JobId,
    pub batch: String,
    pub file: FileSnapshot,
    pub display_name: String,
    pub kind: FileKind,
    pub content_type: String,
    /// The destination's name (`s3`, `r2`…).
    pub destination: String,
    /// Where the bytes go, without secrets (`s3|endpoint|bucket`). A resumed job refuses to run
    /// if the destination of that name now points elsewhere.
    pub target: String,
    pub key: String,
    pub state: JobState,
    pub bytes_done: u64,
    /// Runs that picked this job up since it was last queued (a crash and resume makes two).
    pub attempts: u32,
    pub resume: Option<ResumeState>,
    pub result: Option<UploadResult>,
    pub error: Option<JobError>,
    /// Set when this job's content was already uploaded by another job.
    pub duplicate_of: Option<JobId>,
    /// Upload even if identical content was uploaded before.
    pub force: bool,
    /// Replace whatever is at `key` instead of taking a free variant.
    pub overwrite: bool,
    /// Serve markup (HTML, SVG, XML) inline: a route chose it ([`crate::route::RouteRule::inline`]).
    pub inline: bool,
    /// The course it was added to (its name), if any.
    pub course: Option<String>,
    /// What happened to the job worth telling later, oldest first.
    pub notes: Vec<JobNote>,
    /// Caption files that go with this video, added to it once it is ready.
    pub captions: Vec<AttachedCaption>,
    /// A live lesson's recording (the live input's id): there is no local file, the video was
    /// made by Stream.
    pub live_input: Option<String>,
    /// Sent through an upload request (its id), with no local file.
    pub request: Option<String>,
    /// Who sent it, as they wrote their name on the request's page.
    pub sender: Option<String>,
    /// What preparing the file removed before sending (location, camera…), once it was sent.
    pub prepared: Option<crate::prepare::Prepared>,
    /// The patches laid over the file's bytes as they are sent, found when the job starts
    /// (never stored: they are found again from the file).
    pub patches: Option<std::sync::Arc<crate::prepare::Patches>>,
    /// What the video is (container, length, picture size, codec), read before it was sent.
    pub media: Option<crate::prepare::VideoFacts>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A notice in a job's history: an upload the server lost and Ferry started again, an image
/// sent to the object store because it was over the Images limits…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobNote {
    /// Unix seconds.
    pub at: i64,
    pub message: String,
}

/// A failure as stored with a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

/// Everything needed to queue a job; the queue assigns id, state and timestamps.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub batch: String,
    pub file: FileSnapshot,
    pub display_name: String,
    pub kind: FileKind,
    pub content_type: String,
    pub destination: String,
    pub target: String,
    pub key: String,
    pub force: bool,
    /// Replace whatever is at `key` (a watched file's new content, by the folder's choice).
    pub overwrite: bool,
    /// Serve markup inline rather than as a download (a route's choice).
    pub inline: bool,
    /// The course the file was added to.
    pub course: Option<String>,
    /// Caption files that go with this video, added to it once it is ready.
    pub captions: Vec<AttachedCaption>,
}

/// A caption file that travels with a video (`lecture.fr.srt` beside `lecture.mp4`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedCaption {
    pub path: PathBuf,
    /// BCP 47 tag: from the file's name, else the default.
    pub language: String,
}
