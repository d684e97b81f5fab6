//! What a user does to jobs after adding them: pause, retry (which also resumes), cancel (which
//! aborts the remote upload when no other process holds it), and delete from the destination.
//! Each is a queue transition first; a run in progress notices between parts.

use super::Engine;
use super::runs::RunLock;
use crate::destination::{Destination, VideoUpload};
use crate::job::{JobId, JobState, ResumeState};
use crate::{Error, ErrorKind, Result};
use std::collections::HashSet;

impl Engine {
    /// Delete what done jobs uploaded from their destinations; the jobs stay in the history as
    /// `deleted`. Returns how many jobs were marked deleted.
    ///
    /// Nothing still in use is deleted: an object that another done job also links to (a
    /// duplicate of it, or an earlier or later version at the same key) is refused, naming
    /// those jobs, unless they are deleted together. Every job is checked before anything is
    /// deleted.
    pub async fn delete_remote(&self, ids: &[JobId]) -> Result<usize> {
        let chosen: HashSet<JobId> = ids.iter().copied().collect();
        let mut objects = Vec::new();
        let mut marked = Vec::new();
        for id in ids {
            let job = self
                .queue
                .get(*id)?
                .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("there is no job {id}")))?;
            if job.state != JobState::Done {
                return Err(Error::new(
                    ErrorKind::Precondition,
                    format!(
                        "{}: job {id} is {}; only an uploaded file can be deleted from the cloud",
                        job.file.path.display(),
                        job.state.as_str()
                    ),
                ));
            }
            marked.push(*id);
            if let Some(original) = job.duplicate_of {
                if !chosen.contains(&original) {
                    return Err(Error::new(
                        ErrorKind::Precondition,
                        format!(
                            "{}: job {id} links to the copy job {original} uploaded (the same file); delete job {original} (and this one with it) to remove it",
                            job.file.path.display()
                        ),
                    ));
                }
                continue;
            }
            let users: Vec<String> = self
                .queue
                .sharing(&job)?
                .into_iter()
                .filter(|other| !chosen.contains(&other.id))
                .map(|other| format!("job {} ({})", other.id, other.display_name))
                .collect();
            if !users.is_empty() {
                return Err(Error::new(
                    ErrorKind::Precondition,
                    format!(
                        "{}: its copy in the cloud is still used by {}, whose links would break; delete them together, or keep it",
                        job.file.path.display(),
                        users.join(", ")
                    ),
                ));
            }
            objects.push(job);
        }
        for job in &objects {
            let dest = self.destination(&job.destination)?;
            let remote = job
                .result
                .as_ref()
                .map(|r| r.remote_id.clone())
                .unwrap_or(job.key.clone());
            match dest.delete(&remote).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e.context(job.file.path.display())),
            }
        }
        let mut n = 0;
        for id in marked {
            n += self
                .queue
                .transition(id, &[JobState::Done], JobState::Deleted, self.now())?
                as usize;
        }
        Ok(n)
    }

    /// Pause jobs: running ones stop after their parts in flight; their progress is kept.
    pub fn pause(&self, ids: &[JobId]) -> Result<usize> {
        let mut n = 0;
        for id in ids {
            n += self.queue.transition(
                *id,
                &[JobState::Queued, JobState::Uploading],
                JobState::Paused,
                self.now(),
            )? as usize;
        }
        Ok(n)
    }

    /// Pause every job that has not finished.
    pub fn pause_all(&self) -> Result<usize> {
        let ids: Vec<JobId> = self.queue.unfinished()?.iter().map(|j| j.id).collect();
        self.pause(&ids)
    }

    /// Resume every paused job.
    pub fn resume_all(&self) -> Result<usize> {
        let paused: Vec<JobId> = self
            .queue
            .list()?
            .iter()
            .filter(|j| j.state == JobState::Paused)
            .map(|j| j.id)
            .collect();
        self.retry(&paused)
    }

    /// Put failed, cancelled or paused jobs back in the queue. A file that changed since it
    /// was queued is taken as it is now (the user asked for the new version by retrying).
    pub fn retry(&self, ids: &[JobId]) -> Result<usize> {
        for id in ids {
            let Some(job) = self.queue.get(*id)? else {
                continue;
            };
            if job.state.is_terminal()
                && job.state != JobState::Done
                && let Err(e) = crate::fileinfo::ensure_unchanged(&job.file)
                && e.kind() == ErrorKind::Precondition
            {
                let fresh = crate::fileinfo::snapshot(&job.file.path)?;
                self.queue.set_resume(*id, None, self.now())?;
                self.queue.update_snapshot(*id, &fresh, self.now())?;
            }
        }
        let n = self.queue.requeue(ids, self.now())?;
        self.wake.notify_one();
        Ok(n)
    }

    /// Cancel jobs. A running upload notices between parts and aborts its remote multipart
    /// upload; an idle one is aborted here.
    pub async fn cancel(&self, ids: &[JobId]) -> Result<usize> {
        let mut n = 0;
        // Abort remote uploads here only when nothing uploads (in this process or another);
        // a running upload notices the cancel itself and aborts its own.
        let lock = if self.runs.uploading_here() {
            None
        } else {
            RunLock::try_acquire(&self.home.lock_file())?
        };
        for id in ids {
            let Some(job) = self.queue.get(*id)? else {
                continue;
            };
            let from = [
                JobState::Queued,
                JobState::Uploading,
                JobState::Paused,
                JobState::Failed,
            ];
            if !self
                .queue
                .transition(*id, &from, JobState::Cancelled, self.now())?
            {
                continue;
            }
            n += 1;
            if lock.is_none() {
                continue;
            }
            match (&job.resume, self.destinations.get(&job.destination)) {
                (
                    Some(ResumeState::S3Multipart { upload_id, .. }),
                    Some(Destination::Objects(dest)),
                ) => {
                    dest.abort_multipart(&job.key, upload_id).await?;
                    self.queue.set_resume(*id, None, self.now())?;
                }
                (
                    Some(ResumeState::Tus {
                        upload_url,
                        media_id: Some(media_id),
                        ..
                    }),
                    Some(Destination::Videos(dest)),
                ) => {
                    dest.abandon(&VideoUpload {
                        upload_url: upload_url.clone(),
                        media_id: media_id.clone(),
                    })
                    .await?;
                    self.queue.set_resume(*id, None, self.now())?;
                }
                _ => {}
            }
        }
        Ok(n)
    }
}
