//! What the engine tells its front ends. An event is sent only after the state it announces is
//! committed to the queue, so a listener that reads the queue on an event sees that state.

use crate::job::{JobId, UploadResult};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started {
        id: JobId,
        total: u64,
    },
    /// Sent a few times a second per active job at most.
    Progress {
        id: JobId,
        bytes_done: u64,
        total: u64,
    },
    /// Uploaded; the provider is processing it (Stream encoding), `pct` percent done if known.
    Processing {
        id: JobId,
        pct: Option<u8>,
    },
    Done {
        id: JobId,
        result: UploadResult,
        duplicate_of: Option<JobId>,
    },
    Failed {
        id: JobId,
        code: &'static str,
        message: String,
    },
    Paused {
        id: JobId,
    },
    /// Something the user should hear about that is not a failure (an expired upload started
    /// again, an image sent to the object store because it is over the Images limits).
    Notice {
        id: JobId,
        message: String,
    },
    /// A request for the job failed for a reason that may pass (the network, a busy server);
    /// it is tried again after `delay`. `attempt` of `attempts` failed.
    Retrying {
        id: JobId,
        attempt: u32,
        attempts: u32,
        delay: std::time::Duration,
        code: &'static str,
        message: String,
    },
    Cancelled {
        id: JobId,
    },
    /// A watched folder was compared with the queue's records: `files` accepted files seen,
    /// `pending` of them new or changed (waiting to be stable).
    FolderScanned {
        root: PathBuf,
        files: usize,
        pending: usize,
        took_ms: u64,
    },
    /// Stable files of a watched folder were queued.
    FolderQueued {
        root: PathBuf,
        ids: Vec<JobId>,
    },
    /// A file or folder under a watched folder could not be taken (unreadable, empty, no
    /// destination…); the watch goes on.
    FolderProblem {
        path: PathBuf,
        message: String,
    },
    /// A file Ferry had uploaded is gone from its watched folder.
    FolderFileDeleted {
        path: PathBuf,
        /// Its remote copy will be deleted once the grace period has passed, unless the file
        /// comes back (the folder mirrors deletions); otherwise the copy is kept.
        remote_pending: bool,
    },
    /// The remote copy of a file gone from a mirroring folder was deleted.
    FolderRemoteDeleted {
        path: PathBuf,
    },
    /// Many files went from a mirroring folder at once (a drive unplugged, a folder emptied):
    /// their remote copies are kept until the user confirms or keeps them.
    FolderDeletionsHeld {
        root: PathBuf,
        paths: Vec<PathBuf>,
    },
    /// A file arrived through an upload request (job `id`, already done in the history).
    Arrived {
        id: JobId,
        /// As the sender wrote their name on the page, when known.
        sender: Option<String>,
        file: String,
        /// The request's title.
        request: String,
    },
    /// Something went wrong outside any one job (the queue could not be read, a folder could
    /// not be watched); uploading stopped until the next start or reload.
    Problem {
        message: String,
    },
}
