//! Live lessons: Stream live inputs a teacher streams a class into (from OBS, a phone app or a
//! lecture-room encoder), recorded by default so the lesson is there to watch afterwards.
//!
//! Invariant: the ingest secrets (the RTMPS stream key, the SRT passphrase, the WebRTC publish
//! URL, which carries the key) are [`Secret`]s: they print as `<redacted>`, have no
//! serialization, and are fetched from Stream each time they are shown; nothing of them is
//! written to the queue, the settings, the log or a manifest.

use crate::credentials::Secret;

/// What a teacher asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLiveLesson {
    pub name: String,
    pub course: Option<String>,
    /// Keep a recording (Stream's `recording.mode = automatic`); on by default.
    pub recording: bool,
    /// Delete recordings this many days after the lesson (at least 30); `None` keeps them.
    pub delete_after_days: Option<u32>,
}

/// A live input as the teacher sees it, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveLesson {
    pub uid: String,
    pub name: String,
    pub course: Option<String>,
    pub recording: bool,
    pub delete_after_days: Option<u32>,
    /// Stream's connection status (`connected`, `disconnected`…), `None` before anyone
    /// streamed.
    pub status: Option<String>,
    pub created: String,
}

impl LiveLesson {
    /// Whether someone is streaming into it now.
    pub fn is_connected(&self) -> bool {
        matches!(self.status.as_deref(), Some("connected" | "reconnected"))
    }
}

/// Where and how to stream into a live lesson.
#[derive(Debug, Clone)]
pub struct LiveIngest {
    pub rtmps_url: String,
    pub stream_key: Secret,
    pub srt_url: String,
    pub srt_stream_id: String,
    pub srt_passphrase: Secret,
    /// The WHIP URL for streaming from a browser (it contains the key).
    pub webrtc_url: Secret,
}

/// The least Stream keeps a recording for, when it deletes them (OAS24
/// `stream_live_input_recording_deletion`, minimum 30).
pub const MIN_RECORDING_DAYS: u32 = 30;

/// A recording a live lesson made: a Stream video like any other once it is ready.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The Stream video id.
    pub uid: String,
    /// Stream's `meta.name`, when it has one.
    pub name: Option<String>,
    /// Stream has it ready to watch (`readyToStream`).
    pub ready: bool,
    /// It needs signed links (`requireSignedURLs`, from the lesson's recording settings).
    pub signed: bool,
    pub size: u64,
    /// When the lesson started (`created`, RFC 3339).
    pub created: String,
}
