//! The video flow (Cloudflare Stream): a tus upload in chunks the destination's rules allow,
//! each confirmed offset committed as it arrives, then polling until the provider has processed
//! the video. A crash resumes from the server's offset (HEAD); an upload the server forgot
//! starts again, and says so; a job killed while processing goes back to polling.

use super::{Inner, Outcome, Progress};
use crate::destination::{FileRange, Processing, VideoSpec, VideoStore, VideoUpload};
use crate::events::Event;
use crate::fileinfo;
use crate::job::{JobState, ResumeState, UploadJob, UploadResult};
use crate::{Error, ErrorKind, Result};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How sending a video's bytes ended.
enum Sent {
    /// Every byte is with the server.
    Whole(VideoUpload),
    /// Paused or cancelled on the way.
    Stopped(Outcome),
}

/// How many times one run may find the server's offset different from ours, or the upload
/// gone, before giving up (each costs a HEAD or a new upload; a loop means a broken server).
const MAX_RECONCILES: u32 = 8;

impl Inner {
    pub(super) async fn upload_video(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
        progress: &Progress,
    ) -> Result<Outcome> {
        let mut job = job.clone();
        let max_seconds = self.video_preflight(&job, dest).await?;
        let mut versions = 0;
        loop {
            if self.must_take_new_version(&job)? {
                self.forget_video(&job, dest).await;
                job = self.take_new_version(job).await?;
            }
            if job.file.size > dest.max_size() {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    format!(
                        "{} bytes is more than {} accepts for one video ({} bytes)",
                        job.file.size,
                        job.destination,
                        dest.max_size()
                    ),
                ));
            }
            progress.sent_restart();
            let upload = match self.send_video(&job, dest, max_seconds, progress).await? {
                Sent::Stopped(outcome) => return Ok(outcome),
                Sent::Whole(upload) => upload,
            };
            if let Some(err) = self.sent_differs(&job, progress).await? {
                // What Stream got mixes two versions: take it back, and follow the policy.
                self.forget_video(&job, dest).await;
                job = self.changed_while_sent(job, &mut versions, err).await?;
                progress.confirmed.store(0, Ordering::Relaxed);
                continue;
            }
            return self.await_processing(&job, dest, &upload, progress).await;
        }
    }

    /// Send the video's bytes in chunks, from where the server stands.
    async fn send_video(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
        max_seconds: Option<u32>,
        progress: &Progress,
    ) -> Result<Sent> {
        let job = job.clone();
        let size = job.file.size;
        let mut state = self.video_session(&job, dest, max_seconds).await?;
        progress.confirmed.store(state.1, Ordering::Relaxed);
        let policy = dest.chunks();
        let mut reconciles = 0;
        while state.1 < size {
            if let Some(stop) = self.stop_requested(&job)? {
                if stop == JobState::Cancelled {
                    self.forget_video(&job, dest).await;
                    return Ok(Sent::Stopped(Outcome::Cancelled));
                }
                return Ok(Sent::Stopped(Outcome::Paused));
            }
            let (upload, offset) = (&state.0, state.1);
            let len = policy.chunk_len(offset, size);
            if offset + len == size {
                // The last chunk completes the video: never complete one that mixes versions.
                if let Err(changed) = fileinfo::ensure_unchanged(&job.file) {
                    self.forget_video(&job, dest).await;
                    return Err(changed);
                }
            }
            let counter = progress.start_part(0);
            let hasher = crate::digest::RangeHasher::shared(offset, len, size);
            let sent = self
                .retrying(|_| {
                    counter.store(0, Ordering::Relaxed);
                    dest.send(
                        &upload.upload_url,
                        offset,
                        FileRange::new(&job.file.path, offset, len, &counter)
                            .paced(&self.pace)
                            .hashed(&hasher)
                            .prepared(&job.patches),
                    )
                })
                .await;
            progress.end_part(0, None);
            match sent {
                Ok(new) => {
                    if new == offset + len {
                        // A chunk the server took only in part is read again at the end.
                        progress.sent_range(&hasher);
                    }
                    state.1 = new;
                    progress.confirmed.store(new, Ordering::Relaxed);
                    self.queue
                        .confirm_offset(job.id, &tus_state(upload, new), new, self.now())?;
                }
                Err(err)
                    if matches!(err.kind(), ErrorKind::Precondition | ErrorKind::Protocol)
                        && reconciles < MAX_RECONCILES =>
                {
                    // 409: our idea of the offset is stale (a lost reply); the server's wins.
                    // A garbled reply (a proxy's page instead of the server's) leaves the same
                    // doubt, and the same question settles it (ferry_tus::decide).
                    reconciles += 1;
                    match self.asking(|_| dest.offset(&upload.upload_url)).await? {
                        Some(server) => {
                            state.1 = server;
                            progress.confirmed.store(server, Ordering::Relaxed);
                        }
                        None => state = self.new_video_upload(&job, dest, max_seconds).await?,
                    }
                }
                Err(err) if err.kind() == ErrorKind::NotFound && reconciles < MAX_RECONCILES => {
                    reconciles += 1;
                    self.notice(&job, "the server no longer has the unfinished upload (it expired or was removed); starting it again from the first byte");
                    state = self.new_video_upload(&job, dest, max_seconds).await?;
                    progress.confirmed.store(0, Ordering::Relaxed);
                }
                Err(err) => {
                    if let Err(changed) = fileinfo::ensure_unchanged(&job.file) {
                        self.forget_video(&job, dest).await;
                        return Err(changed);
                    }
                    return Err(err);
                }
            }
        }
        if let Err(changed) = fileinfo::ensure_unchanged(&job.file) {
            // Changed during the last chunk: what the provider got may mix versions.
            self.forget_video(&job, dest).await;
            return Err(changed);
        }
        Ok(Sent::Whole(state.0))
    }

    /// The upload to continue, with the server's offset: the saved one if the server still has
    /// it, otherwise a new one.
    async fn video_session(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
        max_seconds: Option<u32>,
    ) -> Result<(VideoUpload, u64)> {
        if let Some(ResumeState::Tus {
            upload_url,
            media_id: Some(media_id),
            offset: saved,
        }) = &job.resume
        {
            let upload = VideoUpload {
                upload_url: upload_url.clone(),
                media_id: media_id.clone(),
            };
            if *saved == job.file.size && !dest.processes() {
                // The server confirmed the final offset before the crash: the upload is done,
                // whatever a later question would say.
                return Ok((upload, *saved));
            }
            match self.asking(|_| dest.offset(upload_url)).await? {
                Some(offset) => return Ok((upload, offset)),
                None => {
                    // Gone: finished before a crash (then the video exists and is past
                    // "pendingupload"), or expired.
                    if let Ok(p) = dest.processing(media_id).await
                        && !matches!(&p, Processing::Pending { state, .. } if state == "pendingupload")
                    {
                        return Ok((upload, job.file.size));
                    }
                    self.notice(job, "the unfinished upload expired on the server; starting it again from the first byte");
                }
            }
        }
        self.new_video_upload(job, dest, max_seconds).await
    }

    async fn new_video_upload(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
        max_seconds: Option<u32>,
    ) -> Result<(VideoUpload, u64)> {
        let spec = VideoSpec {
            name: job.display_name.clone(),
            size: job.file.size,
            hash: job.file.hash.clone(),
            file_name: job
                .file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| job.display_name.clone()),
            content_type: job.content_type.clone(),
            course: job.course.clone(),
            max_duration_seconds: max_seconds,
        };
        let upload = self.retrying(|_| dest.create(&spec)).await?;
        // Committed before the first byte: a crash from here on resumes this very upload.
        self.queue
            .record_remote_upload(job.id, &tus_state(&upload, 0), self.now())?;
        Ok((upload, 0))
    }

    async fn await_processing(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
        upload: &VideoUpload,
        progress: &Progress,
    ) -> Result<Outcome> {
        self.queue.confirm_offset(
            job.id,
            &tus_state(upload, job.file.size),
            job.file.size,
            self.now(),
        )?;
        self.queue.transition(
            job.id,
            &[JobState::Uploading],
            JobState::Processing,
            self.now(),
        )?;
        if !dest.processes() {
            // A plain tus server: the reply confirming the final offset finished the upload.
            let url = dest
                .url(&upload.media_id, self.settings.link_expiry())
                .await?;
            return Ok(Outcome::Done(
                UploadResult {
                    remote_id: upload.media_id.clone(),
                    url: Some(url),
                    links: Default::default(),
                },
                None,
            ));
        }
        let _polling = PollingSlot::enter(self);
        progress.polling.store(true, Ordering::SeqCst);
        let mut delay = Duration::from_millis(500);
        let deadline =
            self.clock.now() + Duration::from_secs(self.settings.processing_timeout_secs);
        loop {
            let _ = self.events.send(Event::Processing {
                id: job.id,
                pct: None,
            });
            match self.asking(|_| dest.processing(&upload.media_id)).await? {
                Processing::Ready { mut links } => {
                    // May ask the API (a signed playback token): a question, so retried.
                    let expiry = self.settings.link_expiry();
                    let url = self.asking(|_| dest.url(&upload.media_id, expiry)).await?;
                    links.entry("hls".into()).or_insert_with(|| url.clone());
                    self.add_captions(job, dest, &upload.media_id).await?;
                    return Ok(Outcome::Done(
                        UploadResult {
                            remote_id: upload.media_id.clone(),
                            url: Some(url),
                            links,
                        },
                        None,
                    ));
                }
                Processing::Failed { code, text } => {
                    return Err(Error::new(
                        ErrorKind::UnsupportedType,
                        format!(
                            "{} could not process the video ({code}: {text}); check that the file plays, then add it again",
                            job.destination
                        ),
                    ));
                }
                Processing::Pending { pct, .. } => {
                    let pct = pct.map(|p| p.clamp(0.0, 100.0) as u8);
                    let _ = self.events.send(Event::Processing { id: job.id, pct });
                }
            }
            if self.clock.now() > deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{} is still processing the video after {} s; `ferry resume` keeps waiting",
                        job.destination, self.settings.processing_timeout_secs
                    ),
                ));
            }
            if matches!(self.queue.state(job.id)?, Some(JobState::Paused)) {
                return Ok(Outcome::Paused);
            }
            self.clock.sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    /// Add the caption files that travel with this video, now that the service has it ready.
    /// A caption that cannot be added does not fail the video: the job's history says why and
    /// where to add it by hand. Adding again after a crash is harmless (one caption per
    /// language: the same file replaces itself).
    async fn add_captions(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
        media_id: &str,
    ) -> Result<()> {
        if job.captions.is_empty() && dest.has_captions() {
            self.generate_course_captions(job, dest, media_id).await?;
        }
        for caption in &job.captions {
            let name = caption
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let added = match crate::captions::read_as_webvtt(&caption.path) {
                Ok(webvtt) => {
                    self.retrying(|_| dest.put_caption(media_id, &caption.language, webvtt.clone()))
                        .await
                }
                Err(e) => Err(e),
            };
            let note = match added {
                Ok(_) => format!("{name}: added as the video's {} captions", caption.language),
                Err(e) => format!(
                    "{name}: not added as captions ({}); add them from the video's More… (Captions), or with `ferry captions add`",
                    e.message()
                ),
            };
            self.queue.add_note(job.id, &note, self.now())?;
        }
        Ok(())
    }

    /// A video of a course set to generate captions, arriving without a caption file: ask the
    /// service for them. Like a caption file, a refusal is a note, never the video's failure.
    async fn generate_course_captions(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
        media_id: &str,
    ) -> Result<()> {
        let Some(course) = job.course.as_deref() else {
            return Ok(());
        };
        let Some(language) = self.course_options(job)?.and_then(|o| o.captions) else {
            return Ok(());
        };
        let note = match self
            .retrying(|_| dest.generate_caption(media_id, &language))
            .await
        {
            Ok(_) => format!(
                "asked Stream for {language} captions, as the course {course:?} does for its videos"
            ),
            Err(e) => format!(
                "{language} captions were not asked for ({}); ask again from the video's More… (Captions)",
                e.message()
            ),
        };
        self.queue.add_note(job.id, &note, self.now())
    }

    /// Drop the remote side of an unfinished video (terminate the upload, delete the video)
    /// and the saved session; failures are logged, the job's own error matters more.
    async fn forget_video(&self, job: &UploadJob, dest: &dyn VideoStore) {
        if let Some(ResumeState::Tus {
            upload_url,
            media_id: Some(media_id),
            ..
        }) = self.queue.get(job.id).ok().flatten().and_then(|j| j.resume)
        {
            let upload = VideoUpload {
                upload_url,
                media_id,
            };
            if let Err(e) = self.retrying(|_| dest.abandon(&upload)).await {
                tracing::warn!(job = %job.id, error = %e, "could not delete the unfinished video");
            }
        }
        if let Err(e) = self.queue.set_resume(job.id, None, self.now()) {
            tracing::warn!(job = %job.id, error = %e, "could not clear the resume state");
        }
    }
}

fn tus_state(upload: &VideoUpload, offset: u64) -> ResumeState {
    ResumeState::Tus {
        upload_url: upload.upload_url.clone(),
        offset,
        media_id: Some(upload.media_id.clone()),
    }
}

/// While a job waits for processing it does not hold an upload slot.
struct PollingSlot<'a> {
    inner: &'a Inner,
}

impl<'a> PollingSlot<'a> {
    fn enter(inner: &'a Inner) -> Self {
        inner.polling.fetch_add(1, Ordering::SeqCst);
        PollingSlot { inner }
    }
}

impl Drop for PollingSlot<'_> {
    fn drop(&mut self) {
        self.inner.polling.fetch_sub(1, Ordering::SeqCst);
    }
}
