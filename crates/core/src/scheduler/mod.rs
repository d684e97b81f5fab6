//! The scheduler: picks jobs from the queue and drives their uploads.
//!
//! It owns concurrency (files at once, parts in flight), retries (one [`RetryPolicy`] for every
//! remote call), resume (continue the same multipart or tus upload after a crash, checking what
//! the server holds), and the checks that keep a half-written or stale file from being reported
//! as done. It knows no provider HTTP: it talks to a [`Destination`]. Each destination shape has
//! its flow in a sub-module: [`objects`] (S3-style), [`videos`] (tus + processing), [`images`].
//!
//! Invariants: a job's state is committed before the event announcing it; an upload id is
//! committed before its first part is sent; a part is committed as soon as the server confirms
//! it (a tus offset likewise); an object is only completed after the local file is found
//! unchanged; at most one job per (content, target) runs at a time, so identical files are
//! uploaded once.

mod images;
mod objects;
mod prepare;
mod videos;

use crate::clock::Clock;
use crate::config::Settings;
use crate::destination::{Destination, Destinations};
use crate::digest::{SentDigest, SharedRange};
use crate::engine::runs::Runs;
use crate::events::Event;
use crate::job::{JobId, JobState, UploadJob, UploadResult};
use crate::queue::Queue;
use crate::retry::RetryPolicy;
use crate::{Error, ErrorKind, Result};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, broadcast};
use tokio::task::{AbortHandle, JoinSet};

tokio::task_local! {
    /// The job the current task uploads, so a retry deep in a flow can say whose it is.
    static CURRENT_JOB: JobId;
}

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
    /// Everything is sent; the job only waits for the provider to process it.
    polling: AtomicBool,
    /// The hash of what this run sent, range by range ([`crate::digest`]).
    sent: Mutex<SentDigest>,
    /// The job's last event (done, failed, paused…) is about to go: the progress ticker, which
    /// sees the job until its task is joined, says nothing more of it, so no late report
    /// follows its end.
    ended: AtomicBool,
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

    /// The server confirmed the range `hasher` saw.
    fn sent_range(&self, hasher: &SharedRange) {
        if let Ok(mut sent) = self.sent.lock() {
            sent.confirmed(hasher);
        }
    }

    /// Forget what was sent (the upload starts again from its first byte).
    fn sent_restart(&self) {
        if let Ok(mut sent) = self.sent.lock() {
            *sent = SentDigest::default();
        }
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

pub(crate) struct Scheduler {
    inner: Arc<Inner>,
    wake: Option<Arc<tokio::sync::Notify>>,
    runs: Arc<Runs>,
}

struct Inner {
    queue: Arc<Queue>,
    destinations: Destinations,
    settings: Settings,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<Event>,
    part_slots: Semaphore,
    /// Jobs waiting for a provider to process them; they hold no upload slot.
    polling: AtomicUsize,
    /// The bandwidth limit, shared by every body in flight (of every engine of the process).
    pace: Option<Arc<crate::pace::Pace>>,
    /// Where fitted copies of photos are made, each removed once its upload ends.
    prepared_dir: std::path::PathBuf,
    /// The jobs that made copies there in this run: only theirs are looked for when an upload
    /// ends (a crash's leftovers are swept when a run starts).
    made_copies: std::sync::Mutex<std::collections::HashSet<JobId>>,
}

const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// New versions of a file rewritten while it was sent that one run takes, at most.
const MAX_NEW_VERSIONS: u32 = 3;

/// A job's task while it runs.
struct Running {
    progress: Arc<Progress>,
    task: AbortHandle,
}

/// The key under which identical uploads are sent once: the content and where it goes.
fn content_of(job: &UploadJob) -> String {
    format!("{}|{}", job.file.hash, job.target)
}

impl Scheduler {
    pub(crate) fn new(
        queue: Arc<Queue>,
        destinations: Destinations,
        settings: Settings,
        clock: Arc<dyn Clock>,
        events: broadcast::Sender<Event>,
        runs: Arc<Runs>,
        prepared_dir: std::path::PathBuf,
    ) -> Self {
        let retry = settings.retry_policy();
        let part_slots = Semaphore::new(settings.part_concurrency);
        let pace = runs.pace(settings.bandwidth_limit_kib * 1024);
        Scheduler {
            inner: Arc::new(Inner {
                queue,
                destinations,
                settings,
                retry,
                clock,
                events,
                part_slots,
                polling: AtomicUsize::new(0),
                pace: Some(pace),
                prepared_dir,
                made_copies: Default::default(),
            }),
            wake: None,
            runs,
        }
    }

    /// Take jobs queued while running as soon as `wake` is notified, instead of after the
    /// current batch.
    pub(crate) fn woken_by(mut self, wake: Arc<tokio::sync::Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Run jobs matching `filter` until none is left to do: every such job is done, failed,
    /// paused or cancelled. Once `drain` resolves, no job is started any more, jobs waiting
    /// for a provider's processing are let go (the next run polls them), and the run returns
    /// when the uploads already sending have ended.
    pub(crate) async fn run_until(
        &self,
        filter: &JobFilter,
        drain: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        let inner = &self.inner;
        inner.sweep_prepared();
        tokio::pin!(drain);
        let mut draining = false;
        let mut pending: VecDeque<UploadJob> = VecDeque::new();
        // Jobs held by another task (this very job in an engine before a reload, or the same
        // content): looked at again, fresh from the queue, when a claim is released.
        let mut waiting: Vec<JobId> = Vec::new();
        let mut releases = self.runs.releases();
        // A release `changed()` reported, not yet acted on.
        let mut released = false;
        let mut running: JoinSet<JobId> = JoinSet::new();
        let mut tasks: HashMap<tokio::task::Id, JobId> = HashMap::new();
        let mut active: HashMap<JobId, Running> = HashMap::new();
        let mut seen: HashSet<JobId> = HashSet::new();
        let mut ticker = tokio::time::interval(PROGRESS_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            if draining {
                if running.is_empty() {
                    return Ok(());
                }
            } else if pending.is_empty() && running.is_empty() && waiting.is_empty() {
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
            // A claim released since the jobs set aside were last tried: try them again now. (A
            // release is marked seen only here, together with the retry, so one that came while
            // other work was handled is never lost; from here on, `changed()` reports the next.)
            if released || releases.has_changed().unwrap_or(false) {
                releases.borrow_and_update();
                released = false;
                retry_waiting(&inner.queue, &mut waiting, &mut pending)?;
            }
            while !draining
                && running
                    .len()
                    .saturating_sub(inner.polling.load(Ordering::SeqCst))
                    < inner.settings.file_concurrency
            {
                let Some(job) = pending.pop_front() else {
                    break;
                };
                let claim = match self.runs.claim(job.id, &content_of(&job)) {
                    Ok(claim) => claim,
                    Err(_busy) => {
                        waiting.push(job.id);
                        continue;
                    }
                };
                let progress = Arc::new(Progress {
                    total: job.file.size,
                    ..Progress::default()
                });
                let inner = self.inner.clone();
                let id = job.id;
                let task_progress = progress.clone();
                let handle = running.spawn(CURRENT_JOB.scope(id, async move {
                    let _claim = claim;
                    inner.run_job(job, task_progress).await;
                    id
                }));
                tasks.insert(handle.id(), id);
                active.insert(
                    id,
                    Running {
                        progress,
                        task: handle,
                    },
                );
            }
            tokio::select! {
                finished = running.join_next_with_id(), if !running.is_empty() => {
                    let task = match finished {
                        Some(Ok((task, _))) => Some(task),
                        Some(Err(join_err)) => {
                            // The job stays in the queue as it was and is resumed next run.
                            if join_err.is_panic() {
                                tracing::error!(error = %join_err, "an upload task panicked");
                            }
                            Some(join_err.id())
                        }
                        None => None,
                    };
                    if let Some(id) = task.and_then(|t| tasks.remove(&t)) {
                        active.remove(&id);
                    }
                }
                _ = &mut drain, if !draining => {
                    draining = true;
                    pending.clear();
                    waiting.clear();
                    let_go_of_polling(&active);
                }
                // `changed()` marks the release seen: remember it for the retry at the top.
                _ = releases.changed(), if !waiting.is_empty() && !draining => released = true,
                _ = async { self.wake.as_ref().expect("guarded").notified().await }, if self.wake.is_some() && !draining => {
                    // Only jobs newer than any seen: a wake per batch must not reread the queue.
                    let newest = seen.iter().max().copied().unwrap_or(JobId(0));
                    for job in inner.queue.unfinished_after(newest)? {
                        if filter.accepts(job.id) && seen.insert(job.id) {
                            pending.push_back(job);
                        }
                    }
                }
                _ = ticker.tick() => {
                    for (id, run) in &active {
                        if run.progress.ended.load(Ordering::SeqCst) {
                            continue;
                        }
                        let _ = inner.events.send(Event::Progress {
                            id: *id,
                            bytes_done: run.progress.bytes_done(),
                            total: run.progress.total,
                        });
                    }
                    if draining {
                        // A video that finished sending while draining now only waits.
                        let_go_of_polling(&active);
                    }
                }
            }
        }
    }
}

/// Jobs set aside because another task held them go back to the front of `pending`, fresh from
/// the queue (the other task may have finished them).
fn retry_waiting(
    queue: &Queue,
    waiting: &mut Vec<JobId>,
    pending: &mut VecDeque<UploadJob>,
) -> Result<()> {
    for id in waiting.drain(..) {
        if let Some(job) = queue.get(id)?
            && matches!(
                job.state,
                JobState::Queued | JobState::Uploading | JobState::Processing
            )
        {
            pending.push_front(job);
        }
    }
    Ok(())
}

/// Stop the jobs that only wait for a provider to process what they sent: nothing is in
/// flight, the queue says `processing`, and the next run goes back to polling.
fn let_go_of_polling(active: &HashMap<JobId, Running>) {
    for run in active.values() {
        if run.progress.polling.load(Ordering::SeqCst) {
            run.task.abort();
        }
    }
}

impl Inner {
    fn now(&self) -> i64 {
        self.clock.unix_secs()
    }

    async fn run_job(&self, job: UploadJob, progress: Arc<Progress>) {
        let id = job.id;
        let claimed = self.queue.claim(
            id,
            &[JobState::Queued, JobState::Uploading, JobState::Processing],
            self.now(),
        );
        match claimed {
            Ok(true) => {}
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
        // A fitted or compressed copy serves this attempt only: a retry makes it again.
        self.forget_copies(id);
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
                    // The queue still says "uploading", so the next run resumes the job; say
                    // why it stopped, since the queue cannot.
                    let _ = self.events.send(Event::Notice {
                        id,
                        message: format!("{err} (and this could not be recorded: {e}; the job resumes on the next `ferry resume`)"),
                    });
                }
                Event::Failed {
                    id,
                    code: err.kind().code(),
                    message: err.to_string(),
                }
            }
        };
        progress.ended.store(true, Ordering::SeqCst);
        let _ = self.events.send(event);
    }

    async fn retrying<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut rng = fastrand::Rng::new();
        let waiting = |w: crate::retry::Wait<'_>| self.waiting(w);
        self.retry
            .run(self.clock.as_ref(), &mut rng, &waiting, op)
            .await
    }

    /// [`Inner::retrying`] for a question (HEAD, GET, a list): a garbled reply is asked again
    /// too ([`crate::retry::RetryPolicy::run_question`]).
    async fn asking<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut rng = fastrand::Rng::new();
        let waiting = |w: crate::retry::Wait<'_>| self.waiting(w);
        self.retry
            .run_question(self.clock.as_ref(), &mut rng, &waiting, op)
            .await
    }

    /// Tell listeners that the current job waits to try again, and why.
    fn waiting(&self, wait: crate::retry::Wait<'_>) {
        let Ok(id) = CURRENT_JOB.try_with(|id| *id) else {
            return;
        };
        let _ = self.events.send(Event::Retrying {
            id,
            attempt: wait.failed_attempt,
            attempts: wait.attempts,
            delay: wait.delay,
            code: wait.error.kind().code(),
            message: wait.error.to_string(),
        });
    }

    /// Tell the user something worth knowing about `job` that is not a failure, and keep it in
    /// the job's history.
    fn notice(&self, job: &UploadJob, message: &str) {
        tracing::info!(job = %job.id, "{message}");
        if let Err(e) = self.queue.add_note(job.id, message, self.now()) {
            tracing::warn!(job = %job.id, error = %e, "could not keep the notice");
        }
        let _ = self.events.send(Event::Notice {
            id: job.id,
            message: format!("{}: {message}", job.file.path.display()),
        });
    }

    /// Whether the bytes this run sent (with ranges confirmed by earlier runs read from the disk)
    /// are the file as it was queued. `Some(error)` when they are not: the file was rewritten
    /// while it was read, keeping its size and date.
    async fn sent_differs(&self, job: &UploadJob, progress: &Progress) -> Result<Option<Error>> {
        let sent = std::mem::take(&mut *progress.sent.lock().expect("sent digest"));
        if sent.is_empty() {
            // This run sent nothing (it only finished what an earlier one sent): the size and
            // date checks stand for it.
            return Ok(None);
        }
        let (path, size) = (job.file.path.clone(), job.file.size);
        let root = tokio::task::spawn_blocking(move || sent.root(&path, size))
            .await
            .map_err(|e| Error::new(ErrorKind::Io, e.to_string()))?
            .map_err(|e| Error::from_io(&job.file.path, &e))?;
        Ok(match root {
            Some(hash) if hash == job.file.hash => None,
            _ => Some(Error::new(
                ErrorKind::Precondition,
                format!(
                    "{}: the file's content changed while Ferry sent it (same size and date, different bytes), so what was sent mixes two versions and was taken back; retry to send the file as it is now",
                    job.file.path.display()
                ),
            )),
        })
    }

    /// What was sent differs from the file as queued (`err`): keep the file as it is now, and
    /// follow the change policy: with `restart`, the new version is returned to be sent (a few
    /// times at most in one run); otherwise the job fails with `err`, and a retry sends it.
    async fn changed_while_sent(
        &self,
        job: UploadJob,
        versions: &mut u32,
        err: Error,
    ) -> Result<UploadJob> {
        *versions += 1;
        let job = self.take_new_version(job).await?;
        if self.settings.on_change != crate::config::QueuedFileChange::Restart
            || *versions > MAX_NEW_VERSIONS
        {
            return Err(err);
        }
        self.notice(
            &job,
            "the file changed while it was sent; sending it again as it is now",
        );
        Ok(job)
    }

    /// Pause or cancel asked for through the queue (from this process or another).
    fn stop_requested(&self, job: &UploadJob) -> Result<Option<JobState>> {
        Ok(match self.queue.state(job.id)? {
            Some(state @ (JobState::Paused | JobState::Cancelled)) => Some(state),
            _ => None,
        })
    }

    /// Whether the file changed since it was queued and policy says to upload the new version
    /// (`Ok(true)`); a change under the `fail` policy, or a vanished file, is the error.
    fn must_take_new_version(&self, job: &UploadJob) -> Result<bool> {
        match crate::fileinfo::ensure_unchanged(&job.file) {
            Ok(()) => Ok(false),
            Err(err)
                if self.settings.on_change == crate::config::QueuedFileChange::Restart
                    && err.kind() == ErrorKind::Precondition =>
            {
                Ok(true)
            }
            Err(err) => Err(err),
        }
    }

    /// The file changed and policy says to take the new version: snapshot it again and drop
    /// the saved session (the caller has let go of the remote side).
    async fn take_new_version(&self, mut job: UploadJob) -> Result<UploadJob> {
        let path = job.file.path.clone();
        let fresh = tokio::task::spawn_blocking(move || crate::fileinfo::snapshot(&path))
            .await
            .map_err(|e| Error::new(crate::ErrorKind::Io, e.to_string()))??;
        self.queue.set_resume(job.id, None, self.now())?;
        self.queue.update_snapshot(job.id, &fresh, self.now())?;
        job.file = fresh;
        job.resume = None;
        Ok(job)
    }

    async fn upload(&self, job: &UploadJob, progress: &Progress) -> Result<Outcome> {
        let job = &match self.left_copy(job).await {
            Some(left) => left,
            None => self.prepared(job).await?,
        };
        // The same content already sent there is this file's upload only if it was prepared
        // the same way: a photo sent with its location (a course that keeps it) is never
        // handed out for one that must go without.
        if !job.force
            && !job.overwrite
            && let Some(prev) = self
                .queue
                .done_with_content(&job.file.hash, &job.target, job.id)?
            && sent_hash(&prev) == sent_hash(job)
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
        match dest {
            Destination::Objects(d) => self.upload_object(job, d.as_ref(), progress).await,
            Destination::Videos(d) => self.upload_video(job, d.as_ref(), progress).await,
            Destination::Images(d) => self.upload_image(job, d.as_ref(), progress).await,
        }
    }
}

/// The BLAKE3 of the bytes a job sends: its prepared copy's, else its file's.
fn sent_hash(job: &UploadJob) -> &str {
    job.prepared
        .as_ref()
        .map(|p| p.hash.as_str())
        .filter(|h| !h.is_empty())
        .unwrap_or(&job.file.hash)
}

#[cfg(test)]
mod tests;
