//! Changing uploaded videos' settings on the video service: private or public, the sites that
//! may embed them, the thumbnail's moment, when they are deleted, their title. One video (by
//! job number or path), several, or every finished video of a course at once.

use super::Engine;
use crate::destination::{VideoDownload, VideoEdit};
use crate::job::UploadJob;
use crate::{Error, Result};

impl Engine {
    /// Apply `edit` to the videos named in `targets` and, with `course`, to every finished
    /// video of that course. Every video is checked before any is changed; returns the videos
    /// changed.
    pub async fn edit_videos(
        &self,
        targets: &[String],
        course: Option<&str>,
        edit: &VideoEdit,
    ) -> Result<Vec<UploadJob>> {
        let edit = &checked(edit)?;
        let mut jobs: Vec<UploadJob> = Vec::new();
        for target in targets {
            jobs.push(self.find(target)?);
        }
        if let Some(name) = course {
            let course = self.course(name)?;
            jobs.extend(self.jobs()?.into_iter().filter(|j| {
                j.course.as_deref() == Some(course.name.as_str()) && self.keeps_captions(j)
            }));
        }
        jobs.sort_by_key(|j| j.id);
        jobs.dedup_by_key(|j| j.id);
        if jobs.is_empty() {
            return Err(Error::input(
                "no video to change: name one (its number or file), or a course with uploaded videos",
            ));
        }
        let mut stores = Vec::with_capacity(jobs.len());
        for job in &jobs {
            stores.push(self.stream_video(job, "change it")?);
        }
        for ((store, uid), job) in stores.iter().zip(&jobs) {
            store
                .edit_video(uid, edit)
                .await
                .map_err(|e| e.context(job.file.path.display()))?;
            // The link kept with the job follows: a private video's links are made (signed)
            // each time they are asked for; a public one keeps its plain link.
            match edit.require_signed_urls {
                Some(true) => self.queue.set_url(job.id, None, self.now())?,
                Some(false) => {
                    let url = store.url(uid, self.settings.link_expiry()).await?;
                    self.queue.set_url(job.id, Some(&url), self.now())?;
                }
                None => {}
            }
        }
        Ok(jobs)
    }
}

/// `edit` with its origins in the form Stream takes (a pasted address becomes its host), or
/// why it cannot be applied.
impl Engine {
    /// Make (`on`) or remove the MP4 download of the video `target`, for students who watch
    /// offline; returns it (its link, and whether Stream has finished making it).
    pub async fn set_video_download(
        &self,
        target: &str,
        on: bool,
    ) -> Result<Option<VideoDownload>> {
        let job = self.find(target)?;
        let (store, uid) = self.stream_video(&job, "an MP4 download can be made")?;
        store
            .set_download(&uid, on)
            .await
            .map_err(|e| e.context(job.file.path.display()))
    }
}

fn checked(edit: &VideoEdit) -> Result<VideoEdit> {
    if edit == &VideoEdit::default() {
        return Err(Error::input(
            "nothing to change: say what, such as --signed, --public, --origins, --thumbnail-at, --delete-after, --keep or --title",
        ));
    }
    if let Some(pct) = edit.thumbnail_pct
        && !(0.0..=1.0).contains(&pct)
    {
        return Err(Error::input(format!(
            "the thumbnail's moment is a fraction of the video from 0 to 1 (0.5 is the middle), not {pct}"
        )));
    }
    if let Some(Some(days)) = edit.delete_after_days
        && !(30..=1096).contains(&days)
    {
        return Err(Error::input(format!(
            "Stream deletes a video 30 to 1,096 days after its upload, not {days}; choose a number in that range, or keep it"
        )));
    }
    let mut edit = edit.clone();
    if let Some(origins) = &edit.allowed_origins {
        let tidied = crate::origins::tidy_all(origins)?;
        edit.allowed_origins = Some(tidied.into_iter().map(|t| t.origin).collect());
    }
    Ok(edit)
}
