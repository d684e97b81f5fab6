//! The uploads running in this process, shared by every engine a session opens in turn.
//!
//! A reload opens a new engine while the old one's uploads are still sending: the old engine
//! finishes what it has in flight, and the new one starts at once on everything else. Both
//! upload from the same queue, so they share what one engine alone keeps to itself:
//!
//! - the OS lock on the queue ([`RunLock`]): held while either uploads, so another process
//!   still waits for this one, and two engines of this process never lock each other out;
//! - the claims: a job, and a content sent to a target, are uploaded by one engine at a time,
//!   so no job runs twice and identical content is still sent once;
//! - the bandwidth limit ([`Pace`]): one budget for every body in flight, whichever engine
//!   sends it, set by the newest engine's settings.
//!
//! Invariant: a claim is released when the task holding it ends, whatever way it ends (done,
//! failed, paused, aborted, panicked), because the claim is a guard owned by that task.

use crate::job::JobId;
use crate::pace::Pace;
use crate::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::watch;

pub(crate) struct Runs {
    lock_path: PathBuf,
    lock: Mutex<Weak<RunLock>>,
    claims: Mutex<Claims>,
    /// Bumped whenever a claim is released, so a scheduler waiting on a busy job or content
    /// looks again (a watch channel: a release between a look and the wait is not missed).
    released: watch::Sender<u64>,
    pace: Arc<Pace>,
}

#[derive(Default)]
struct Claims {
    jobs: HashSet<JobId>,
    contents: HashSet<String>,
}

/// Why a job could not be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Busy {
    /// Another engine of this process is uploading this very job.
    Job,
    /// Another job with the same content for the same target is being uploaded.
    Content,
}

/// A job being uploaded by its holder; released when dropped.
pub(crate) struct Claim {
    runs: Arc<Runs>,
    job: JobId,
    content: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut claims) = self.runs.claims.lock() {
            claims.jobs.remove(&self.job);
            claims.contents.remove(&self.content);
        }
        self.runs.released.send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl Runs {
    pub(crate) fn new(lock_path: PathBuf) -> Arc<Runs> {
        Arc::new(Runs {
            lock_path,
            lock: Mutex::new(Weak::new()),
            claims: Mutex::new(Claims::default()),
            released: watch::channel(0).0,
            pace: Arc::new(Pace::unlimited()),
        })
    }

    /// The queue's upload lock, shared with any engine of this process that holds it now;
    /// `None` while another process holds it.
    pub(crate) fn lock(&self) -> Result<Option<Arc<RunLock>>> {
        let mut held = self.lock.lock().expect("run lock registry");
        if let Some(lock) = held.upgrade() {
            return Ok(Some(lock));
        }
        let Some(lock) = RunLock::try_acquire(&self.lock_path)? else {
            return Ok(None);
        };
        let lock = Arc::new(lock);
        *held = Arc::downgrade(&lock);
        Ok(Some(lock))
    }

    /// Whether an engine of this process is uploading right now.
    pub(crate) fn uploading_here(&self) -> bool {
        self.lock
            .lock()
            .map(|held| held.strong_count() > 0)
            .unwrap_or(true)
    }

    /// Claim `job` (whose content and target make `content`) for the caller.
    pub(crate) fn claim(self: &Arc<Self>, job: JobId, content: &str) -> Result<Claim, Busy> {
        let mut claims = self.claims.lock().expect("claims lock");
        if claims.jobs.contains(&job) {
            return Err(Busy::Job);
        }
        if claims.contents.contains(content) {
            return Err(Busy::Content);
        }
        claims.jobs.insert(job);
        claims.contents.insert(content.to_string());
        Ok(Claim {
            runs: self.clone(),
            job,
            content: content.to_string(),
        })
    }

    /// The process's bandwidth budget, now limited to `bytes_per_sec` (0: no limit).
    pub(crate) fn pace(&self, bytes_per_sec: u64) -> Arc<Pace> {
        self.pace.set_limit(bytes_per_sec);
        self.pace.clone()
    }

    /// Resolves after the next release of a claim (counting from this call).
    pub(crate) fn releases(&self) -> watch::Receiver<u64> {
        self.released.subscribe()
    }
}

/// An exclusive lock on the queue for uploading, released when dropped (or when the process
/// dies, which is what makes a crashed run's jobs resumable at once).
pub(crate) struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    pub(crate) fn try_acquire(path: &Path) -> Result<Option<RunLock>> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(|e| Error::from_io(path, &e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(RunLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::from_io(path, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_engines_of_one_process_share_the_lock_and_never_run_one_job_twice() {
        let dir = tempfile::tempdir().unwrap();
        let runs = Runs::new(dir.path().join("lock"));
        let first = runs.lock().unwrap().expect("free");
        let second = runs.lock().unwrap().expect("shared within the process");
        assert!(Arc::ptr_eq(&first, &second));
        // Another process (another open file description) is locked out meanwhile.
        assert!(
            RunLock::try_acquire(&dir.path().join("lock"))
                .unwrap()
                .is_none()
        );
        assert!(runs.uploading_here());
        drop((first, second));
        assert!(!runs.uploading_here());
        assert!(
            RunLock::try_acquire(&dir.path().join("lock"))
                .unwrap()
                .is_some()
        );

        let mut releases = runs.releases();
        let claim = runs.claim(JobId(1), "h|t").expect("free");
        assert_eq!(runs.claim(JobId(1), "other").err(), Some(Busy::Job));
        assert_eq!(runs.claim(JobId(2), "h|t").err(), Some(Busy::Content));
        assert!(!releases.has_changed().unwrap());
        drop(claim);
        assert!(releases.has_changed().unwrap());
        releases.mark_unchanged();
        assert!(runs.claim(JobId(2), "h|t").is_ok());
        assert!(
            releases.has_changed().unwrap(),
            "the temporary claim was released too"
        );
    }
}
