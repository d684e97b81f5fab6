//! A job's preparation before its bytes go: a photo's location, camera and author details are
//! found ([`crate::prepare`]) and the patches that blank them ride with the job, unless its
//! course keeps them; a video bound for a service that takes only videos (Stream) is read
//! first, and one in no container that service takes, or longer than its course allows, is
//! refused before any byte is sent. What was found is recorded with the job at once, so its
//! row says so while it is still sending.

use super::Inner;
use crate::classify::FileKind;
use crate::course::CourseOptions;
use crate::destination::VideoStore;
use crate::error::{Error, ErrorKind, Result};
use crate::job::UploadJob;
use crate::prepare::video::{self, duration_words};
use std::sync::Arc;

/// Photos smaller than this are sent as they are, even in a course that compresses.
const COMPRESS_FROM: u64 = 256 * 1024;

impl Inner {
    /// The options of the course `job` was added to, if it has one that still exists.
    pub(super) fn course_options(&self, job: &UploadJob) -> Result<Option<CourseOptions>> {
        let Some(course) = job.course.as_deref() else {
            return Ok(None);
        };
        Ok(self
            .queue
            .course(&crate::course::key_of(course))?
            .and_then(|row| serde_json::from_str::<CourseOptions>(&row.options).ok()))
    }

    /// `job` with the patches its bytes need, found again from the file (a resumed job finds
    /// the same ones: they follow from the content, which the sent digest checks).
    pub(super) async fn prepared(&self, job: &UploadJob) -> Result<UploadJob> {
        let job = job.clone();
        if job.kind == FileKind::Document {
            return self.documents_names(job).await;
        }
        if job.kind != FileKind::Image {
            return Ok(job);
        }
        // Intake marks a HEIC photo to be sent as JPEG by giving it JPEG's content type.
        if job.content_type == "image/jpeg" && crate::prepare::heif::is_heif_file(&job.file.path) {
            return self.converted(job).await;
        }
        let options = self.course_options(&job)?.unwrap_or_default();
        if let Some(quality) = options.compress_quality
            && crate::prepare::fit::can_compress(&job.content_type)
            && job.file.size >= COMPRESS_FROM
        {
            return self.compressed(job, quality).await;
        }
        if options.keep_metadata && options.keep_originals {
            return Ok(job);
        }
        self.privacy_only(job, &options).await
    }

    /// `job` as the upload of a JPEG copy of its HEIC photo, at its course's compression
    /// quality if it has one. The report says what the photo held: the copy holds none of it.
    async fn converted(&self, job: UploadJob) -> Result<UploadJob> {
        let Some(decoder) = crate::prepare::heif::decoder() else {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "{}: was to be sent as JPEG, but libheif's decoder is not installed any more; install `libheif-examples` and retry",
                    job.file.path.display()
                ),
            ));
        };
        let quality = self
            .course_options(&job)?
            .and_then(|o| o.compress_quality)
            .unwrap_or(crate::prepare::heif::QUALITY);
        let out = self.copy_path(job.id, "jpg")?;
        let (src, hash) = (job.file.path.clone(), job.file.hash.clone());
        let (copy, held) = tokio::task::spawn_blocking(move || {
            let held = crate::prepare::prepare(&src).map_err(|e| Error::from_io(&src, &e))?;
            let copy = crate::prepare::heif::convert(&src, &hash, quality, &decoder, &out)?;
            Ok::<_, Error>((copy, held.1))
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("converting the photo stopped: {e}")))??;
        let held = held.unwrap_or_default();
        let report = crate::prepare::Prepared {
            location: held.location,
            device: held.device,
            author: held.author,
            other: held.other,
            unreadable: held.unreadable,
            hash: copy.hash.clone(),
            converted: Some(copy.fitted.clone()),
            ..Default::default()
        };
        self.substitute_copy(job, copy, report)
    }

    /// `job` with the patches that blank its photo's location, device and author (unless its
    /// course keeps them), and, for a motion photo, as the upload of its still alone (unless
    /// its course keeps originals).
    async fn privacy_only(&self, mut job: UploadJob, options: &CourseOptions) -> Result<UploadJob> {
        let path = job.file.path.clone();
        let (mut patches, mut prepared) =
            tokio::task::spawn_blocking(move || crate::prepare::prepare(&path))
                .await
                .map_err(|e| Error::new(ErrorKind::Io, format!("preparing stopped: {e}")))?
                .map_err(|e| Error::from_io(&job.file.path, &e))?;
        if options.keep_metadata {
            patches = crate::prepare::Patches::default();
            prepared = prepared
                .and_then(|p| p.motion)
                .map(|m| crate::prepare::Prepared {
                    motion: Some(m),
                    ..Default::default()
                });
        }
        if options.keep_originals
            && let Some(p) = prepared.as_mut()
        {
            p.motion = None;
        }
        if let Some(report) = prepared.clone().filter(|p| p.motion.is_some()) {
            return self.still_only(job, &patches, report).await;
        }
        if options.keep_metadata {
            return Ok(job);
        }
        if !patches.is_empty() {
            job.patches = Some(Arc::new(patches));
        }
        if prepared != job.prepared {
            self.queue
                .set_prepared(job.id, prepared.as_ref(), self.now())?;
            job.prepared = prepared;
        }
        Ok(job)
    }

    /// `job` as the upload of its motion photo's still: the picture's own bytes, with
    /// `patches` laid over them, copied to the prepared folder without the video after them.
    async fn still_only(
        &self,
        job: UploadJob,
        patches: &crate::prepare::Patches,
        mut report: crate::prepare::Prepared,
    ) -> Result<UploadJob> {
        let Some(motion) = report.motion else {
            return Ok(job);
        };

        let out = self.copy_path(job.id, "still")?;
        let (src, to, patches) = (job.file.path.clone(), out.clone(), patches.clone());
        let hash = tokio::task::spawn_blocking(move || {
            let part = to.with_extension("part");
            let hash = crate::prepare::save_copy(&src, &patches, Some(motion.still_bytes), &part)?;
            std::fs::rename(&part, &to)?;
            Ok::<_, std::io::Error>(hash)
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("preparing the still stopped: {e}")))?
        .map_err(|e| Error::from_io(&out, &e))?;
        report.hash = hash.clone();
        let content_type = job.content_type.clone();
        self.substitute(job, out, hash, content_type, report)
    }

    /// A document is sent as it is; the people it names are recorded, for its row to say.
    async fn documents_names(&self, mut job: UploadJob) -> Result<UploadJob> {
        let path = job.file.path.clone();
        let named = tokio::task::spawn_blocking(move || crate::prepare::names_in(&path))
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("reading the document stopped: {e}")))?
            .map_err(|e| Error::from_io(&job.file.path, &e))?;
        let prepared = (!named.is_empty()).then(|| crate::prepare::Prepared {
            named,
            ..Default::default()
        });
        if prepared != job.prepared {
            self.queue
                .set_prepared(job.id, prepared.as_ref(), self.now())?;
            job.prepared = prepared;
        }
        Ok(job)
    }

    /// Read the video before sending it to `dest`. Refuses one in no container a videos-only
    /// service takes, or longer than its course's limit; returns the longest it may be, in
    /// seconds, for the service to enforce as well: the course's limit, else its own length
    /// and a minute (Stream counts a pending upload's minutes by it).
    pub(super) async fn video_preflight(
        &self,
        job: &UploadJob,
        dest: &dyn VideoStore,
    ) -> Result<Option<u32>> {
        if !dest.videos_only() {
            return Ok(None);
        }
        let path = job.file.path.clone();
        let facts = tokio::task::spawn_blocking(move || video::probe(&path))
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("reading the video stopped: {e}")))?
            .map_err(|e| Error::from_io(&job.file.path, &e))?;
        let Some(facts) = facts else {
            return Err(Error::new(
                ErrorKind::UnsupportedType,
                format!(
                    "{} is not a video {} can take: its bytes are in none of MP4, MOV, MKV, WebM, AVI, FLV, MPEG-TS, MPEG-PS, MXF, GXF or LXF; export it again as MP4",
                    job.file.path.display(),
                    dest.name()
                ),
            ));
        };
        if job.media.as_ref() != Some(&facts) {
            self.queue.set_media(job.id, &facts, self.now())?;
        }
        let limit = self
            .course_options(job)?
            .and_then(|o| o.max_video_minutes)
            .map(|m| m.saturating_mul(60));
        if let (Some(limit), Some(d)) = (limit, facts.duration_secs)
            && d > f64::from(limit)
        {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} lasts {}; the course {:?} takes videos of at most {} min. Trim it, or raise the course's longest video",
                    job.file.path.display(),
                    duration_words(d),
                    job.course.as_deref().unwrap_or_default(),
                    limit / 60
                ),
            ));
        }
        let own = facts
            .duration_secs
            .map(|d| (d.ceil() as u32).saturating_add(60));
        // Stream takes 1 to 21,600 seconds (api-facts B.4); a longer video gets no limit.
        Ok(limit.or(own).filter(|s| (1..=21_600).contains(s)))
    }

    /// `job` as the upload of a smaller copy, when its course asks for compression and the copy
    /// saves a tenth of the size or more (else the photo itself, prepared as usual).
    async fn compressed(&self, job: UploadJob, quality: u8) -> Result<UploadJob> {
        let out = self.copy_path(job.id, "small")?;
        let (src, hash) = (job.file.path.clone(), job.file.hash.clone());
        let copy = tokio::task::spawn_blocking(move || {
            crate::prepare::fit::compress(&src, &hash, quality, &out)
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("compressing the photo stopped: {e}")))??;
        let Some(copy) = copy else {
            // Not worth it: the photo goes as it is, prepared as usual.
            let options = self.course_options(&job)?.unwrap_or_default();
            if options.keep_metadata && options.keep_originals {
                return Ok(job);
            }
            return self.privacy_only(job, &options).await;
        };
        let mut report = crate::prepare::Prepared {
            compressed: Some(copy.fitted.clone()),
            ..Default::default()
        };
        report.hash = copy.hash.clone();
        self.substitute_copy(job, copy, report)
    }

    /// `job` sending `copy` instead of its file, with `report` recorded.
    fn substitute_copy(
        &self,
        job: UploadJob,
        copy: crate::prepare::fit::FittedCopy,
        report: crate::prepare::Prepared,
    ) -> Result<UploadJob> {
        self.substitute(job, copy.path, copy.hash, copy.fitted.content_type, report)
    }

    /// `job` sending the copy at `path` (BLAKE3 `hash`, of `content_type`) instead of its
    /// file, with `report` recorded.
    fn substitute(
        &self,
        job: UploadJob,
        path: std::path::PathBuf,
        hash: String,
        content_type: String,
        report: crate::prepare::Prepared,
    ) -> Result<UploadJob> {
        let meta = std::fs::metadata(&path).map_err(|e| Error::from_io(&path, &e))?;
        self.queue.set_prepared(job.id, Some(&report), self.now())?;
        let mut sent = job;
        sent.file = crate::job::FileSnapshot {
            path,
            size: meta.len(),
            mtime_ns: crate::fileinfo::mtime_ns(&meta),
            hash,
        };
        sent.content_type = content_type;
        sent.patches = None;
        sent.prepared = Some(report);
        Ok(sent)
    }

    /// Whether a photo over Images' limits may be sent as a fitted copy: the settings allow it,
    /// Ferry can decode it, and its course does not keep originals.
    pub(super) fn may_fit(&self, job: &UploadJob) -> Result<bool> {
        Ok(self.settings.images.fit
            && crate::prepare::fit::can_fit(&job.content_type)
            && !self.course_options(job)?.is_some_and(|o| o.keep_originals))
    }

    /// `job` as the upload of its fitted copy: the copy made in the prepared folder (named by
    /// the job, so a resumed job makes the same one again), the report recorded with both
    /// sizes. The copy holds no EXIF, XMP or IPTC at all.
    pub(super) async fn fitted_copy(
        &self,
        job: &UploadJob,
        limits: &crate::destination::ImageLimits,
    ) -> Result<UploadJob> {
        let out = self.copy_path(job.id, "fit")?;
        let (src, hash, limits) = (job.file.path.clone(), job.file.hash.clone(), *limits);
        let side = self.settings.images.fit_max_side;
        let copy = tokio::task::spawn_blocking(move || {
            crate::prepare::fit::fit(&src, &hash, &limits, side, &out)
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("fitting the photo stopped: {e}")))??;
        let mut report = job.prepared.clone().unwrap_or_default();
        report.hash = copy.hash.clone();
        report.bytes = 0;
        report.fitted = Some(copy.fitted.clone());
        self.substitute_copy(job.clone(), copy, report)
    }

    /// `job` as the upload of the copy a run that crashed before its upload ended left behind,
    /// when that copy is whole (copies are renamed into place only once written) and is the one
    /// the job's report records (the last copy made: fitted, converted, compressed or a still),
    /// from a file that has not changed since: it is sent as it is rather than made again.
    pub(super) async fn left_copy(&self, job: &UploadJob) -> Option<UploadJob> {
        let report = job.prepared.clone()?;
        let (ext, content_type) = if let Some(f) = &report.fitted {
            ("fit", f.content_type.clone())
        } else if let Some(c) = &report.compressed {
            ("small", c.content_type.clone())
        } else if report.converted.is_some() {
            ("jpg", "image/jpeg".to_string())
        } else if report.motion.is_some() {
            ("still", job.content_type.clone())
        } else {
            return None;
        };
        let path = self.prepared_dir.join(format!("job-{}.{ext}", job.id.0));
        if report.hash.is_empty()
            || !path.is_file()
            || crate::fileinfo::ensure_unchanged(&job.file).is_err()
        {
            return None;
        }
        let read = path.clone();
        let hash = tokio::task::spawn_blocking(move || {
            let mut hasher = blake3::Hasher::new();
            hasher.update_reader(std::fs::File::open(&read)?)?;
            Ok::<_, std::io::Error>(hasher.finalize().to_hex().to_string())
        })
        .await
        .ok()?
        .ok()?;
        if hash != report.hash {
            return None;
        }
        self.made_copies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(job.id);
        tracing::info!(job = %job.id, copy = %path.display(), "the copy a crashed run made is sent, not made again");
        self.substitute(job.clone(), path, hash, content_type, report)
            .ok()
    }

    /// Where `id`'s copy with extension `ext` is made (the folder made private first); the job
    /// is noted, so its copies are removed when its upload ends.
    fn copy_path(&self, id: crate::job::JobId, ext: &str) -> Result<std::path::PathBuf> {
        crate::private::dir(&self.prepared_dir)?;
        self.made_copies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
        Ok(self.prepared_dir.join(format!("job-{}.{ext}", id.0)))
    }

    /// Remove the copies made for `id`'s upload (converted, fitted, compressed, a still).
    pub(super) fn forget_copies(&self, id: crate::job::JobId) {
        let made = self
            .made_copies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        if !made {
            return;
        }
        for ext in ["fit", "small", "part", "jpg", "dec.jpg", "still"] {
            let _ = std::fs::remove_file(self.prepared_dir.join(format!("job-{}.{ext}", id.0)));
        }
    }

    /// Remove fitted copies no job will send any more (a crash left them, and their job was
    /// then cancelled, deleted or finished elsewhere). A job still to run keeps its copy: it
    /// makes the same one again anyway.
    pub(super) fn sweep_prepared(&self) {
        let Ok(entries) = std::fs::read_dir(&self.prepared_dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = name
                .strip_prefix("job-")
                .and_then(|rest| rest.split('.').next())
                .and_then(|n| n.parse::<i64>().ok());
            let live = id.is_some_and(|id| {
                matches!(
                    self.queue.state(crate::job::JobId(id)),
                    Ok(Some(
                        crate::job::JobState::Queued
                            | crate::job::JobState::Uploading
                            | crate::job::JobState::Paused
                    ))
                )
            });
            if !live {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
