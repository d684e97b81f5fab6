//! The scheduler: picks jobs from the queue and drives their uploads.
//!
//! It owns concurrency (files at once, parts in flight), retries (one [`RetryPolicy`] for every
//! remote call), resume (continue the same multipart upload after a crash, checking the server's
//! list of parts), and the checks that keep a half-written or stale file from being reported as
//! done. It knows no provider HTTP: it talks to a [`Destination`].
//!
//! Invariants: a job's state is committed before the event announcing it; an upload id is
//! committed before its first part is sent; a part is committed as soon as the server confirms
//! it; an object is only completed after the local file is found unchanged; at most one job per
//! (content, target) runs at a time, so identical files are uploaded once.

use crate::clock::Clock;
use crate::config::{ChangePolicy, Settings};
use crate::destination::{Destination, Destinations, FileRange, ObjectSpec, RemoteObject};
use crate::events::Event;
use crate::fileinfo;
use crate::job::{ConfirmedPart, JobId, JobState, ResumeState, UploadJob, UploadResult};
use crate::keys::numbered_variant;
use crate::parts::PartPlan;
use crate::queue::Queue;
use crate::retry::RetryPolicy;
use crate::{Error, ErrorKind, Result};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, broadcast};
use tokio::task::JoinSet;

/// Which jobs a run takes care of.
#[derive(Debug, Clone)]
pub enum JobFilter {
    /// Every unfinished job in the queue.
    All,
    /// Only these jobs.
    Only(HashSet<JobId>),
}

impl JobFilter {
    fn accepts(&self, id: JobId) -> bool {
        match self {
            JobFilter::All => true,
            JobFilter::Only(ids) => ids.contains(&id),
        }
    }
}

/// How a job's run ended, other than by an error.
enum Outcome {
    Done(UploadResult, Option<JobId>),
    Paused,
    Cancelled,
}

/// Live progress of one job: bytes confirmed by the server plus bytes of parts in flight.
#[derive(Default)]
struct Progress {
    total: u64,
    confirmed: AtomicU64,
    inflight: Mutex<HashMap<u32, Arc<AtomicU64>>>,
}

impl Progress {
    fn bytes_done(&self) -> u64 {
        let inflight: u64 = self
            .inflight
            .lock()
            .map(|m| m.values().map(|c| c.load(Ordering::Relaxed)).sum())
            .unwrap_or(0);
        (self.confirmed.load(Ordering::Relaxed) + inflight).min(self.total)
    }

    fn start_part(&self, number: u32) -> Arc<AtomicU64> {
        let counter = Arc::new(AtomicU64::new(0));
        if let Ok(mut m) = self.inflight.lock() {
            m.insert(number, counter.clone());
        }
        counter
    }

    fn end_part(&self, number: u32, confirmed: Option<u64>) {
        if let Ok(mut m) = self.inflight.lock() {
            m.remove(&number);
        }
        if let Some(bytes) = confirmed {
            self.confirmed.fetch_add(bytes, Ordering::Relaxed);
        }
    }
}

pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Arc<Queue>,
    destinations: Destinations,
    settings: Settings,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<Event>,
    part_slots: Semaphore,
}

const PROGRESS_EVERY: Duration = Duration::from_millis(250);

impl Scheduler {
    pub fn new(
        queue: Arc<Queue>,
        destinations: Destinations,
        settings: Settings,
        clock: Arc<dyn Clock>,
        events: broadcast::Sender<Event>,
    ) -> Self {
        let retry = settings.retry_policy();
        let part_slots = Semaphore::new(settings.part_concurrency);
        Scheduler {
            inner: Arc::new(Inner {
                queue,
                destinations,
                settings,
                retry,
                clock,
                events,
                part_slots,
            }),
        }
    }

    /// Run jobs matching `filter` until none is left to do. Returns when every such job is
    /// done, failed, paused or cancelled.
    pub async fn run(&self, filter: &JobFilter) -> Result<()> {
        let inner = &self.inner;
        let mut pending: VecDeque<UploadJob> = VecDeque::new();
        let mut deferred: Vec<UploadJob> = Vec::new();
        let mut running: JoinSet<JobId> = JoinSet::new();
        let mut tasks: HashMap<tokio::task::Id, JobId> = HashMap::new();
        let mut active: HashMap<JobId, (String, Arc<Progress>)> = HashMap::new();
        let mut seen: HashSet<JobId> = HashSet::new();
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            if pending.is_empty() && running.is_empty() && deferred.is_empty() {
                // Pick up everything unfinished, including jobs queued while we ran.
                for job in inner.queue.unfinished()? {
                    if filter.accepts(job.id) && seen.insert(job.id) {
                        pending.push_back(job);
                    }
                }
                if pending.is_empty() {
                    return Ok(());
                }
            }
            while running.len() < inner.settings.file_concurrency {
                let Some(job) = pending.pop_front() else {
                    break;
                };
                let content = format!("{}|{}", job.file.hash, job.target);
                if active.values().any(|(c, _)| *c == content) {
                    deferred.push(job);
                    continue;
                }
                let progress = Arc::new(Progress {
                    total: job.file.size,
                    ..Progress::default()
                });
                active.insert(job.id, (content, progress.clone()));
                let inner = self.inner.clone();
                let id = job.id;
                let handle = running.spawn(async move {
                    inner.run_job(job, progress).await;
                    id
                });
                tasks.insert(handle.id(), id);
            }
            tokio::select! {
                finished = running.join_next_with_id(), if !running.is_empty() => {
                    let id = match finished {
                        Some(Ok((task, id))) => {
                            tasks.remove(&task);
                            Some(id)
                        }
                        Some(Err(join_err)) => {
                            // The job stays `uploading` in the queue and is resumed next run.
                            tracing::error!(error = %join_err, "an upload task panicked");
                            tasks.remove(&join_err.id())
                        }
                        None => None,
                    };
                    if let Some(id) = id
                        && let Some((content, _)) = active.remove(&id) {
                            // Identical content waiting behind this job may go now (and
                            // will find it done, unless it failed).
                            let (ready, still): (Vec<_>, Vec<_>) = deferred
                                .drain(..)
                                .partition(|j| format!("{}|{}", j.file.hash, j.target) == content);
                            deferred = still;
                            for job in ready.into_iter().rev() {
                                pending.push_front(job);
                            }
                        }
                    if running.is_empty() && pending.is_empty() && !deferred.is_empty() {
                        pending.extend(deferred.drain(..));
                    }
                }
                _ = ticker.tick() => {
                    for (id, (_, progress)) in &active {
                        let _ = inner.events.send(Event::Progress {
                            id: *id,
                            bytes_done: progress.bytes_done(),
                            total: progress.total,
                        });
                    }
                }
            }
        }
    }
}

impl Inner {
    fn now(&self) -> i64 {
        self.clock.unix_secs()
    }

    async fn run_job(&self, job: UploadJob, progress: Arc<Progress>) {
        let id = job.id;
        let claimed = self.queue.transition(
            id,
            &[JobState::Queued, JobState::Uploading, JobState::Processing],
            JobState::Uploading,
            self.now(),
        );
        match claimed {
            Ok(true) => {
                if let Err(e) = self.queue.bump_attempts(id, self.now()) {
                    tracing::warn!(job = %id, error = %e, "could not count the attempt");
                }
            }
            Ok(false) => return, // paused or cancelled meanwhile
            Err(e) => {
                tracing::error!(job = %id, error = %e, "could not claim job");
                return;
            }
        }
        let _ = self.events.send(Event::Started {
            id,
            total: job.file.size,
        });
        let name = job.file.path.display().to_string();
        let outcome = self.upload(&job, &progress).await;
        let now = self.now();
        let event = match outcome {
            Ok(Outcome::Done(result, duplicate_of)) => {
                match self.queue.finish_done(id, &result, duplicate_of, now) {
                    Ok(()) => Event::Done {
                        id,
                        result,
                        duplicate_of,
                    },
                    Err(e) => Event::Failed {
                        id,
                        code: e.kind().code(),
                        message: e.to_string(),
                    },
                }
            }
            Ok(Outcome::Paused) => Event::Paused { id },
            Ok(Outcome::Cancelled) => Event::Cancelled { id },
            Err(err) => {
                let err = if err.message().contains(&name) {
                    err
                } else {
                    err.context(&name)
                };
                tracing::warn!(job = %id, error = %err, "upload failed");
                if let Err(e) = self.queue.finish_failed(id, &err, now) {
                    tracing::error!(job = %id, error = %e, "could not record failure");
                }
                Event::Failed {
                    id,
                    code: err.kind().code(),
                    message: err.to_string(),
                }
            }
        };
        let _ = self.events.send(event);
    }

    async fn retrying<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut rng = fastrand::Rng::new();
        self.retry.run(self.clock.as_ref(), &mut rng, op).await
    }

    async fn upload(&self, job: &UploadJob, progress: &Progress) -> Result<Outcome> {
        if !job.force
            && let Some(prev) = self
                .queue
                .done_with_content(&job.file.hash, &job.target, job.id)?
            && let Some(result) = prev.result
        {
            return Ok(Outcome::Done(result, Some(prev.id)));
        }
        let dest = self.destinations.get(&job.destination).ok_or_else(|| {
            Error::config(format!(
                "destination {:?} is not configured any more; configure it and run `ferry resume`",
                job.destination
            ))
        })?;
        if dest.target() != job.target {
            return Err(Error::config(format!(
                "destination {:?} now points to {} but this job was queued for {}; add the file again to send it to the new place",
                job.destination,
                dest.target(),
                job.target
            )));
        }
        let rules = dest.capabilities().parts;
        let mut job = job.clone();
        if let Err(err) = fileinfo::ensure_unchanged(&job.file) {
            if self.settings.on_change == ChangePolicy::Restart
                && err.kind() == ErrorKind::Precondition
            {
                job = self.restart_with_new_version(job, dest.as_ref()).await?;
            } else {
                return Err(err);
            }
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
        let multipart = job.file.size >= self.settings.multipart_threshold.max(rules.min_part)
            || job.file.size > rules.max_single_put;

        if let Some(ResumeState::S3Multipart {
            upload_id,
            part_size,
        }) = job.resume.clone()
        {
            let listed = self
                .retrying(|_| dest.list_parts(&job.key, &upload_id))
                .await?;
            match listed {
                Some(server_parts) => {
                    let plan = PartPlan::with_part_size(job.file.size, part_size);
                    return self
                        .continue_multipart(
                            &job,
                            dest.as_ref(),
                            &upload_id,
                            plan,
                            server_parts,
                            progress,
                        )
                        .await;
                }
                None => {
                    // The upload is gone: completed just before a crash, or aborted/expired.
                    if let RemoteObject::Present {
                        size,
                        hash: Some(h),
                    } = dest.head(&job.key).await?
                        && h == job.file.hash
                        && size == job.file.size
                    {
                        return Ok(Outcome::Done(
                            self.result(dest.as_ref(), &job.key).await?,
                            None,
                        ));
                    }
                    tracing::info!(job = %job.id, "multipart upload expired on the server; starting again");
                    self.queue.set_resume(job.id, None, self.now())?;
                }
            }
        }

        let key = match self.free_key(&job, dest.as_ref()).await? {
            KeyChoice::Free(key) => key,
            KeyChoice::AlreadyOurs(key) => {
                return Ok(Outcome::Done(self.result(dest.as_ref(), &key).await?, None));
            }
        };
        job.key = key;
        let spec = object_spec(&job);
        if !multipart {
            let counter = progress.start_part(1);
            let put = self
                .retrying(|_| {
                    counter.store(0, Ordering::Relaxed);
                    dest.put(
                        &spec,
                        FileRange {
                            path: job.file.path.clone(),
                            offset: 0,
                            len: job.file.size,
                            sent: counter.clone(),
                        },
                    )
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
            return Ok(Outcome::Done(
                self.result(dest.as_ref(), &job.key).await?,
                None,
            ));
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
        let upload_id = self.retrying(|_| dest.create_multipart(&spec)).await?;
        // Committed before the first byte: a crash from here on resumes this very upload.
        self.queue.set_resume(
            job.id,
            Some(&ResumeState::S3Multipart {
                upload_id: upload_id.clone(),
                part_size: plan.part_size,
            }),
            self.now(),
        )?;
        self.continue_multipart(&job, dest.as_ref(), &upload_id, plan, Vec::new(), progress)
            .await
    }

    async fn restart_with_new_version(
        &self,
        mut job: UploadJob,
        dest: &dyn Destination,
    ) -> Result<UploadJob> {
        let path = job.file.path.clone();
        let fresh = tokio::task::spawn_blocking(move || fileinfo::snapshot(&path))
            .await
            .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))??;
        if let Some(ResumeState::S3Multipart { upload_id, .. }) = &job.resume {
            let _ = self
                .retrying(|_| dest.abort_multipart(&job.key, upload_id))
                .await;
        }
        self.queue.set_resume(job.id, None, self.now())?;
        self.queue.update_snapshot(job.id, &fresh, self.now())?;
        job.file = fresh;
        job.resume = None;
        Ok(job)
    }

    /// Find a key nothing else occupies. An object already at the key with our content is ours
    /// (an upload that completed just before a crash).
    async fn free_key(&self, job: &UploadJob, dest: &dyn Destination) -> Result<KeyChoice> {
        for n in 0..1000u32 {
            let key = if n == 0 {
                job.key.clone()
            } else {
                numbered_variant(&job.key, n)
            };
            match self.retrying(|_| dest.head(&key)).await? {
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
        dest: &dyn Destination,
        upload_id: &str,
        plan: PartPlan,
        server_parts: Vec<ConfirmedPart>,
        progress: &Progress,
    ) -> Result<Outcome> {
        // The server's list is the truth; keep only parts of the size this plan expects.
        let mut confirmed: BTreeMap<u32, ConfirmedPart> = BTreeMap::new();
        if !server_parts.is_empty() || job.resume.is_some() {
            for part in server_parts {
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
        let missing: Vec<u32> = (1..=plan.count)
            .filter(|n| !confirmed.contains_key(n))
            .collect();
        tracing::info!(job = %job.id, parts = plan.count, resumed = confirmed.len(), "multipart upload");

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
                    return Err(err);
                }
                None => break,
            }
        }
        match stop {
            Some(JobState::Cancelled) => {
                self.retrying(|_| dest.abort_multipart(&job.key, upload_id))
                    .await?;
                self.queue.set_resume(job.id, None, self.now())?;
                return Ok(Outcome::Cancelled);
            }
            Some(_) => return Ok(Outcome::Paused),
            None => {}
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
        let parts: Vec<ConfirmedPart> = confirmed.into_values().collect();
        let spec = object_spec(job);
        let completed = self
            .retrying(|_| dest.complete_multipart(&spec, upload_id, &parts))
            .await;
        if let Err(err) = completed {
            // A lost reply to a completion that did happen shows as NoSuchUpload on retry.
            let ours = matches!(dest.head(&job.key).await, Ok(RemoteObject::Present { size, hash: Some(ref h) }) if *h == job.file.hash && size == job.file.size);
            if !ours {
                return Err(err);
            }
        }
        // Check what the server holds before saying "done" (a 200 reply can hide a failure).
        match self.retrying(|_| dest.head(&job.key)).await? {
            RemoteObject::Present { size, .. } if size == job.file.size => {}
            RemoteObject::Present { size, .. } => {
                return Err(Error::protocol(format!(
                    "the server reports {size} bytes for the completed object instead of {}; will retry",
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
        Ok(Outcome::Done(self.result(dest, &job.key).await?, None))
    }

    async fn send_part(
        &self,
        job: &UploadJob,
        dest: &dyn Destination,
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
        let sent = self
            .retrying(|_| {
                counter.store(0, Ordering::Relaxed);
                dest.upload_part(
                    &job.key,
                    upload_id,
                    number,
                    FileRange {
                        path: job.file.path.clone(),
                        offset,
                        len,
                        sent: counter.clone(),
                    },
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
        progress.end_part(number, Some(len));
        Ok(part)
    }

    async fn result(&self, dest: &dyn Destination, key: &str) -> Result<UploadResult> {
        let url = dest.url(key, self.settings.link_expiry()).await?;
        Ok(UploadResult {
            remote_id: key.to_string(),
            url: Some(url),
        })
    }
}

enum KeyChoice {
    Free(String),
    AlreadyOurs(String),
}

fn object_spec(job: &UploadJob) -> ObjectSpec {
    ObjectSpec {
        key: job.key.clone(),
        content_type: job.content_type.clone(),
        hash: job.file.hash.clone(),
        display_name: job.display_name.clone(),
    }
}
