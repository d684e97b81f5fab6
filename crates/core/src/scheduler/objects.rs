//! The object-store flow (S3, R2, GCS): a single PUT for small files, multipart for large ones,
//! resumed from the server's list of parts after a crash. Keys are never overwritten: an
//! occupied key gets a numbered variant, unless what is there is this very content.

use super::{Inner, Outcome, Progress};
use crate::destination::{Completion, FileRange, ObjectSpec, ObjectStore, RemoteObject};
use crate::fileinfo;
use crate::job::{ConfirmedPart, JobState, ResumeState, UploadJob, UploadResult};
use crate::keys::numbered_variant;
use crate::parts::PartPlan;
use crate::{Error, ErrorKind, Result};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// Where the server let go of an upload. Ferry starts the file again by itself once per
/// place: a second loss at the same step is a server that cannot keep uploads, and the job
/// fails saying so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LostAt {
    /// A resumed upload the server no longer has (aborted by a lifecycle rule, expired).
    Resuming,
    /// A part refused because the upload is gone.
    Sending,
    /// The completion refused: the server cannot assemble the parts it confirmed.
    Completing,
}

impl LostAt {
    fn notice(self) -> &'static str {
        match self {
            LostAt::Resuming => {
                "the server no longer had the unfinished upload (it was aborted or expired); started it again from the first byte"
            }
            LostAt::Sending => {
                "the server dropped the unfinished upload while parts were being sent; started it again from the first byte"
            }
            LostAt::Completing => {
                "the server could not assemble the parts it had confirmed (one was cut short or lost on its side); started the upload again from the first byte"
            }
        }
    }
}

/// How one try at an upload ended.
enum Tried {
    Ended(Outcome),
    Lost(LostAt, Error),
    /// What was sent is not the file as queued (it was rewritten while read); nothing was
    /// published.
    Changed(Error),
}

impl Inner {
    pub(super) async fn upload_object(
        &self,
        job: &UploadJob,
        dest: &dyn ObjectStore,
        progress: &Progress,
    ) -> Result<Outcome> {
        let rules = dest.capabilities().parts;
        let mut job = job.clone();
        if self.must_take_new_version(&job)? {
            job = self.restart_with_new_version(job, dest).await?;
        }
        if job.file.size > rules.max_object {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} bytes is more than {} accepts for one object ({} bytes)",
                    job.file.size, job.destination, rules.max_object
                ),
            ));
        }
        let mut restarted: Vec<LostAt> = Vec::new();
        let mut versions = 0;
        loop {
            progress.sent_restart();
            let (at, err) = match self.try_object(&job, dest, progress).await? {
                Tried::Ended(outcome) => return Ok(outcome),
                Tried::Lost(at, err) => (at, err),
                Tried::Changed(err) => {
                    job = self.changed_while_sent(job, &mut versions, err).await?;
                    progress.confirmed.store(0, Ordering::Relaxed);
                    continue;
                }
            };
            if restarted.contains(&at) {
                return Err(err.note(
                    "it was started again once already and the server lost it again; check the server, then retry",
                ));
            }
            restarted.push(at);
            if let Some(ResumeState::S3Multipart { upload_id, .. }) = &job.resume {
                // Best effort: a store that refused to assemble may still hold the parts.
                let _ = self
                    .retrying(|_| dest.abort_multipart(&job.key, upload_id))
                    .await;
            }
            self.queue.set_resume(job.id, None, self.now())?;
            self.notice(&job, at.notice());
            job.resume = None;
            progress.confirmed.store(0, Ordering::Relaxed);
        }
    }

    /// One try: resume the recorded multipart upload, or send the file (in one PUT, or in a
    /// new multipart upload).
    async fn try_object(
        &self,
        job: &UploadJob,
        dest: &dyn ObjectStore,
        progress: &Progress,
    ) -> Result<Tried> {
        let rules = dest.capabilities().parts;
        let mut job = job.clone();
        if let Some(ResumeState::S3Multipart {
            upload_id,
            part_size,
        }) = job.resume.clone()
        {
            let listed = self
                .asking(|_| dest.list_parts(&job.key, &upload_id))
                .await?;
            match listed {
                Some(server_parts) => {
                    let plan = PartPlan::with_part_size(job.file.size, part_size);
                    return self
                        .continue_multipart(&job, dest, &upload_id, plan, server_parts, progress)
                        .await;
                }
                None => {
                    // The upload is gone: completed just before a crash, or aborted/expired.
                    if let RemoteObject::Present {
                        size,
                        hash: Some(h),
                    } = self.asking(|_| dest.head(&job.key)).await?
                        && h == job.file.hash
                        && size == job.file.size
                    {
                        return Ok(Tried::Ended(Outcome::Done(
                            self.result(dest, &job.key).await?,
                            None,
                        )));
                    }
                    return Ok(Tried::Lost(
                        LostAt::Resuming,
                        Error::new(
                            ErrorKind::UploadLost,
                            format!(
                                "{}: the server no longer has the unfinished upload",
                                job.destination
                            ),
                        ),
                    ));
                }
            }
        }

        let key = match self.free_key(&job, dest).await? {
            KeyChoice::Free(key) => key,
            KeyChoice::AlreadyOurs(key) => {
                return Ok(Tried::Ended(Outcome::Done(
                    self.result(dest, &key).await?,
                    None,
                )));
            }
        };
        job.key = key;
        let multipart = job.file.size >= self.settings.multipart_threshold.max(rules.min_part)
            || job.file.size > rules.max_single_put;
        if !multipart {
            return self.put_whole(&job, dest, progress).await;
        }
        let plan =
            PartPlan::new(job.file.size, self.settings.part_size, &rules).ok_or_else(|| {
                Error::new(
                    ErrorKind::TooLarge,
                    format!(
                        "too large for {} even with the largest parts",
                        job.destination
                    ),
                )
            })?;
        let spec = object_spec(&job);
        let upload_id = self.retrying(|_| dest.create_multipart(&spec)).await?;
        // Committed before the first byte: a crash from here on resumes this very upload.
        let resume = ResumeState::S3Multipart {
            upload_id: upload_id.clone(),
            part_size: plan.part_size,
        };
        self.queue
            .record_remote_upload(job.id, &resume, self.now())?;
        job.resume = Some(resume);
        self.continue_multipart(&job, dest, &upload_id, plan, Vec::new(), progress)
            .await
    }

    /// A file small enough for one PUT.
    async fn put_whole(
        &self,
        job: &UploadJob,
        dest: &dyn ObjectStore,
        progress: &Progress,
    ) -> Result<Tried> {
        let spec = object_spec(job);
        let counter = progress.start_part(1);
        let hasher = crate::digest::RangeHasher::shared(0, job.file.size, job.file.size);
        let put = self
            .retrying(|attempt| {
                counter.store(0, Ordering::Relaxed);
                let body = FileRange::new(&job.file.path, 0, job.file.size, &counter)
                    .paced(&self.pace)
                    .hashed(&hasher)
                    .prepared(&job.patches);
                let spec = &spec;
                async move {
                    // (Attempts count from 1.) A failed attempt may have stored the object and
                    // lost the reply: a
                    // conditional retry would then be refused as if another upload had taken
                    // the key. Look first; our own content (hash and size) is ours.
                    if attempt > 1 && !spec.overwrite && is_ours(dest, job).await? {
                        return Ok(());
                    }
                    dest.put(spec, body).await
                }
            })
            .await;
        progress.end_part(1, put.as_ref().ok().map(|_| job.file.size));
        if let Err(err) = put {
            fileinfo::ensure_unchanged(&job.file)?;
            if err.kind() == ErrorKind::Precondition {
                return Err(Error::new(
                    ErrorKind::Precondition,
                    format!(
                        "another upload created {} at the same moment; it was not overwritten — retry to upload under a new name",
                        job.key
                    ),
                ));
            }
            return Err(err);
        }
        if let Err(err) = fileinfo::ensure_unchanged(&job.file) {
            // What was sent may mix old and new bytes: take it back.
            let _ = self.retrying(|_| dest.delete(&job.key)).await;
            return Err(err);
        }
        progress.sent_range(&hasher);
        if let Some(err) = self.sent_differs(job, progress).await? {
            let _ = self.retrying(|_| dest.delete(&job.key)).await;
            return Ok(Tried::Changed(err));
        }
        Ok(Tried::Ended(Outcome::Done(
            self.result(dest, &job.key).await?,
            None,
        )))
    }

    async fn restart_with_new_version(
        &self,
        job: UploadJob,
        dest: &dyn ObjectStore,
    ) -> Result<UploadJob> {
        if let Some(ResumeState::S3Multipart { upload_id, .. }) = &job.resume {
            let _ = self
                .retrying(|_| dest.abort_multipart(&job.key, upload_id))
                .await;
        }
        self.take_new_version(job).await
    }

    /// Find a key nothing else occupies. An object already at the key with our content is ours
    /// (an upload that completed just before a crash).
    async fn free_key(&self, job: &UploadJob, dest: &dyn ObjectStore) -> Result<KeyChoice> {
        if job.overwrite {
            // The key is this file's own earlier upload, to be replaced.
            return Ok(match self.asking(|_| dest.head(&job.key)).await? {
                RemoteObject::Present {
                    size,
                    hash: Some(h),
                } if h == job.file.hash && size == job.file.size => {
                    KeyChoice::AlreadyOurs(job.key.clone())
                }
                _ => KeyChoice::Free(job.key.clone()),
            });
        }
        for n in 0..1000u32 {
            let key = if n == 0 {
                job.key.clone()
            } else {
                numbered_variant(&job.key, n)
            };
            match self.asking(|_| dest.head(&key)).await? {
                RemoteObject::Absent => {
                    if n > 0 {
                        self.queue.set_key(job.id, &key, self.now())?;
                    }
                    return Ok(KeyChoice::Free(key));
                }
                RemoteObject::Present {
                    size,
                    hash: Some(h),
                } if h == job.file.hash && size == job.file.size => {
                    if n > 0 {
                        self.queue.set_key(job.id, &key, self.now())?;
                    }
                    return Ok(KeyChoice::AlreadyOurs(key));
                }
                RemoteObject::Present { .. } => continue,
            }
        }
        Err(Error::new(
            ErrorKind::Precondition,
            format!("every variant of key {} is taken", job.key),
        ))
    }

    async fn continue_multipart(
        &self,
        job: &UploadJob,
        dest: &dyn ObjectStore,
        upload_id: &str,
        plan: PartPlan,
        server_parts: Vec<ConfirmedPart>,
        progress: &Progress,
    ) -> Result<Tried> {
        let mut confirmed = self.held_by_server(job, plan, server_parts, progress)?;
        // Leftover uploads are looked for while the parts go, not between the last part and
        // the completion: a server slow to list (or one that answers "not implemented") must
        // not hold up the upload.
        let (sent, ()) = tokio::join!(
            self.send_missing(job, dest, upload_id, plan, &mut confirmed, progress),
            self.abort_strays(job, dest, upload_id)
        );
        match sent {
            Ok(None) => {}
            Ok(Some(JobState::Cancelled)) => {
                self.retrying(|_| dest.abort_multipart(&job.key, upload_id))
                    .await?;
                self.queue.set_resume(job.id, None, self.now())?;
                return Ok(Tried::Ended(Outcome::Cancelled));
            }
            Ok(Some(_)) => return Ok(Tried::Ended(Outcome::Paused)),
            Err(err) if err.kind() == ErrorKind::UploadLost => {
                return Ok(Tried::Lost(LostAt::Sending, err));
            }
            Err(err) => return Err(err),
        }
        if confirmed.len() as u32 != plan.count {
            return Err(Error::protocol("internal: not every part was confirmed"));
        }
        if let Err(err) = fileinfo::ensure_unchanged(&job.file) {
            // Never complete an object that may mix two versions of the file.
            let _ = self
                .retrying(|_| dest.abort_multipart(&job.key, upload_id))
                .await;
            self.queue.set_resume(job.id, None, self.now())?;
            return Err(err);
        }
        if let Some(err) = self.sent_differs(job, progress).await? {
            let _ = self
                .retrying(|_| dest.abort_multipart(&job.key, upload_id))
                .await;
            self.queue.set_resume(job.id, None, self.now())?;
            return Ok(Tried::Changed(err));
        }
        let parts: Vec<ConfirmedPart> = confirmed.into_values().collect();
        let spec = object_spec(job);
        let completed = self
            .retrying(|_| dest.complete_multipart(&spec, upload_id, &parts))
            .await;
        match completed {
            // The reply proves or acknowledges the object. Reading it back would cost a
            // server that hashes on HEAD (rclone) a pass over the whole object.
            Ok(Completion::Proven | Completion::Acknowledged) => {}
            Ok(Completion::Doubtful(why)) => {
                tracing::warn!(job = %job.id, key = %job.key, "{why}; reading the object back");
                self.check_completed(job, dest).await?;
            }
            Err(err) => {
                // A lost reply to a completion that did happen shows as NoSuchUpload on retry.
                let ours = matches!(self.asking(|_| dest.head(&job.key)).await, Ok(RemoteObject::Present { size, hash: Some(ref h) }) if *h == job.file.hash && size == job.file.size);
                if !ours {
                    if err.kind() == ErrorKind::UploadLost {
                        return Ok(Tried::Lost(LostAt::Completing, err));
                    }
                    return Err(err);
                }
            }
        }
        Ok(Tried::Ended(Outcome::Done(
            self.result(dest, &job.key).await?,
            None,
        )))
    }

    /// The parts the server holds that fit this plan (its list is the truth), recorded in the
    /// queue when resuming.
    fn held_by_server(
        &self,
        job: &UploadJob,
        plan: PartPlan,
        server_parts: Vec<ConfirmedPart>,
        progress: &Progress,
    ) -> Result<BTreeMap<u32, ConfirmedPart>> {
        let mut confirmed: BTreeMap<u32, ConfirmedPart> = BTreeMap::new();
        if !server_parts.is_empty() || job.resume.is_some() {
            // Some servers list a part without its ETag (s3s-fs); the completion needs one, so
            // such a part counts only when this job recorded the same part's ETag when it was
            // confirmed, and is sent again otherwise.
            let recorded = if server_parts.iter().any(|p| p.etag.is_empty()) {
                self.queue.parts(job.id)?
            } else {
                Vec::new()
            };
            for mut part in server_parts {
                if part.etag.is_empty() {
                    match recorded
                        .iter()
                        .find(|r| r.number == part.number && r.size == part.size)
                    {
                        Some(r) => part.etag = r.etag.clone(),
                        None => continue,
                    }
                }
                if part.number >= 1
                    && part.number <= plan.count
                    && part.size == plan.range(part.number).1
                {
                    confirmed.insert(part.number, part);
                }
            }
            let list: Vec<_> = confirmed.values().cloned().collect();
            self.queue.replace_parts(job.id, &list, self.now())?;
        }
        progress
            .confirmed
            .store(confirmed.values().map(|p| p.size).sum(), Ordering::Relaxed);
        tracing::info!(job = %job.id, parts = plan.count, resumed = confirmed.len(), "multipart upload");
        Ok(confirmed)
    }

    /// Send the parts not in `confirmed`, adding each as the server confirms it. Returns the
    /// state that stopped it early (paused or cancelled through the queue), if any.
    async fn send_missing(
        &self,
        job: &UploadJob,
        dest: &dyn ObjectStore,
        upload_id: &str,
        plan: PartPlan,
        confirmed: &mut BTreeMap<u32, ConfirmedPart>,
        progress: &Progress,
    ) -> Result<Option<JobState>> {
        let missing: Vec<u32> = (1..=plan.count)
            .filter(|n| !confirmed.contains_key(n))
            .collect();
        let mut todo = missing.into_iter();
        let mut inflight = FuturesUnordered::new();
        let mut stop: Option<JobState> = None;
        loop {
            while stop.is_none() && inflight.len() < self.settings.part_concurrency {
                let Some(number) = todo.next() else { break };
                // Pause and cancel arrive through the queue (from this process or another).
                if let Some(state @ (JobState::Paused | JobState::Cancelled)) =
                    self.queue.state(job.id)?
                {
                    stop = Some(state);
                    break;
                }
                inflight.push(self.send_part(job, dest, upload_id, plan, number, progress));
            }
            match inflight.next().await {
                Some(Ok(part)) => {
                    confirmed.insert(part.number, part);
                }
                Some(Err(err)) => {
                    // A part failing because the file vanished or changed under it: say that,
                    // and take back the unfinished upload.
                    if let Err(changed) = fileinfo::ensure_unchanged(&job.file) {
                        drop(inflight);
                        let _ = self
                            .retrying(|_| dest.abort_multipart(&job.key, upload_id))
                            .await;
                        self.queue.set_resume(job.id, None, self.now())?;
                        return Err(changed);
                    }
                    drop(inflight);
                    return Err(self.why_part_failed(job, dest, upload_id, err).await);
                }
                None => return Ok(stop),
            }
        }
    }

    /// A part failed for good. Some servers report an upload they no longer hold badly (moto
    /// answers a part for an aborted upload with a bare HTTP 500): ask whether the upload still
    /// exists, so a lost one is started again instead of failing the job.
    async fn why_part_failed(
        &self,
        job: &UploadJob,
        dest: &dyn ObjectStore,
        upload_id: &str,
        err: Error,
    ) -> Error {
        if err.kind() == ErrorKind::UploadLost {
            return err;
        }
        match self.asking(|_| dest.list_parts(&job.key, upload_id)).await {
            Ok(None) => Error::new(
                ErrorKind::UploadLost,
                format!("{}; the server no longer has the upload", err.message()),
            ),
            _ => err,
        }
    }

    /// Abort the other multipart uploads open for this job's key that started no later than
    /// ours: the leftovers of a CreateMultipartUpload whose reply was lost (the retry made a
    /// second one) or of a crash between creating an upload and committing its id. Keys are
    /// unique per job, so these are this job's own. Best effort: a store that cannot list
    /// uploads leaves them to its lifecycle rule (`ferry bucket lifecycle`).
    async fn abort_strays(&self, job: &UploadJob, dest: &dyn ObjectStore, ours: &str) {
        let open = match self.asking(|_| dest.open_uploads(&job.key)).await {
            Ok(open) => open,
            Err(e) => {
                tracing::debug!(job = %job.id, error = %e, "could not list open uploads");
                return;
            }
        };
        let started = open
            .iter()
            .find(|u| u.upload_id == ours)
            .and_then(|u| u.initiated);
        for stray in open.iter().filter(|u| u.upload_id != ours) {
            if let (Some(stray_at), Some(ours_at)) = (stray.initiated, started)
                && stray_at > ours_at
            {
                continue; // newer than ours: not a leftover of this job
            }
            // Aborting twice is harmless (a gone upload is fine), so a lost reply is retried.
            let aborted = self
                .retrying(|_| dest.abort_multipart(&job.key, &stray.upload_id))
                .await;
            match aborted {
                Ok(()) => {
                    tracing::info!(job = %job.id, upload = %stray.upload_id, "aborted a stray multipart upload")
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "could not abort a stray multipart upload")
                }
            }
        }
    }

    /// Check what the server holds before saying "done", when its completion reply could not
    /// vouch for the object.
    async fn check_completed(&self, job: &UploadJob, dest: &dyn ObjectStore) -> Result<()> {
        match self.asking(|_| dest.head(&job.key)).await? {
            RemoteObject::Present { size, .. } if size == job.file.size => {}
            RemoteObject::Present { size, .. } => {
                return Err(Error::protocol(format!(
                    "the server reports {size} bytes for the completed object instead of {}; Ferry tries again by itself",
                    job.file.size
                )));
            }
            RemoteObject::Absent => {
                return Err(Error::new(
                    ErrorKind::Server,
                    "the server acknowledged the upload but the object is missing; retry",
                ));
            }
        }
        Ok(())
    }

    async fn send_part(
        &self,
        job: &UploadJob,
        dest: &dyn ObjectStore,
        upload_id: &str,
        plan: PartPlan,
        number: u32,
        progress: &Progress,
    ) -> Result<ConfirmedPart> {
        let _slot = self
            .part_slots
            .acquire()
            .await
            .map_err(|_| Error::new(ErrorKind::Cancelled, "shutting down"))?;
        let (offset, len) = plan.range(number);
        let counter = progress.start_part(number);
        let hasher = crate::digest::RangeHasher::shared(offset, len, job.file.size);
        let sent = self
            .retrying(|_| {
                counter.store(0, Ordering::Relaxed);
                dest.upload_part(
                    &job.key,
                    upload_id,
                    number,
                    FileRange::new(&job.file.path, offset, len, &counter)
                        .paced(&self.pace)
                        .hashed(&hasher)
                        .prepared(&job.patches),
                )
            })
            .await;
        let etag = match sent {
            Ok(etag) => etag,
            Err(err) => {
                progress.end_part(number, None);
                return Err(err);
            }
        };
        let part = ConfirmedPart {
            number,
            etag,
            size: len,
        };
        self.queue.confirm_part(job.id, &part, self.now())?;
        progress.sent_range(&hasher);
        progress.end_part(number, Some(len));
        Ok(part)
    }

    async fn result(&self, dest: &dyn ObjectStore, key: &str) -> Result<UploadResult> {
        let url = dest.url(key, self.settings.link_expiry()).await?;
        Ok(UploadResult {
            remote_id: key.to_string(),
            url: Some(url),
            ..UploadResult::default()
        })
    }
}

enum KeyChoice {
    Free(String),
    AlreadyOurs(String),
}

/// Whether the object at the job's key is this job's content (Ferry's hash in its metadata, and
/// the size): an upload whose reply was lost.
async fn is_ours(dest: &dyn ObjectStore, job: &UploadJob) -> Result<bool> {
    Ok(matches!(
        dest.head(&job.key).await?,
        RemoteObject::Present { size, hash: Some(h) } if h == job.file.hash && size == job.file.size
    ))
}

fn object_spec(job: &UploadJob) -> ObjectSpec {
    ObjectSpec {
        key: job.key.clone(),
        content_type: job.content_type.clone(),
        hash: job.file.hash.clone(),
        display_name: job.display_name.clone(),
        overwrite: job.overwrite,
        disposition: crate::destination::disposition_for(
            &job.content_type,
            &job.display_name,
            job.inline,
        ),
    }
}
