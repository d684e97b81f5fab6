//! Captions of uploaded videos: list them, add a WebVTT or SubRip file in a language, ask the
//! video service to generate them, delete one. A video is named as everywhere else (its job
//! number, or the path of the file uploaded), and must be a finished upload to a destination
//! that keeps captions (Cloudflare Stream).

use super::{Engine, Prepared};
use crate::captions::{self, Caption};
use crate::classify::FileKind;
use crate::destination::{Destination, VideoStore};
use crate::job::{AttachedCaption, JobState, UploadJob};
use crate::{Error, ErrorKind, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The language a caption file is taken in when neither the caller nor its name says.
pub const DEFAULT_CAPTION_LANGUAGE: &str = "en";

impl Engine {
    /// The captions of the video `target` (a job number or the uploaded file's path).
    pub async fn captions(&self, target: &str) -> Result<(UploadJob, Vec<Caption>)> {
        let (job, store, uid) = self.captioned_video(target)?;
        let list = store.captions(&uid).await?;
        Ok((job, list))
    }

    /// Add `file` (WebVTT, or SubRip converted to WebVTT) as the captions of the video
    /// `target` in `language`: the one given, else the one its name carries (`lecture.fr.vtt`),
    /// else English. Captions already there in that language are replaced, as Stream does.
    pub async fn add_caption(
        &self,
        target: &str,
        file: &Path,
        language: Option<&str>,
    ) -> Result<Caption> {
        let language = match language {
            Some(l) => checked_language(l)?,
            None => captions::language_in_name(file)
                .unwrap_or_else(|| DEFAULT_CAPTION_LANGUAGE.to_string()),
        };
        let webvtt = captions::read_as_webvtt(file)?;
        let (_, store, uid) = self.captioned_video(target)?;
        store
            .put_caption(&uid, &language, webvtt)
            .await
            .map_err(|e| e.context(file.display()))
    }

    /// Ask the video service to make captions in `language` from the video's speech; they are
    /// `inprogress` until the service has made them.
    pub async fn generate_captions(&self, target: &str, language: &str) -> Result<Caption> {
        let language = checked_language(language)?;
        let (job, store, uid) = self.captioned_video(target)?;
        store
            .generate_caption(&uid, &language)
            .await
            .map_err(|e| e.context(job.file.path.display()))
    }

    /// Remove the video's captions in `language`.
    pub async fn delete_caption(&self, target: &str, language: &str) -> Result<()> {
        let language = checked_language(language)?;
        let (job, store, uid) = self.captioned_video(target)?;
        store
            .delete_caption(&uid, &language)
            .await
            .map_err(|e| e.context(job.file.path.display()))
    }

    /// Caption files prepared beside a video of the same name going to a destination that
    /// keeps captions (`lecture.fr.srt` with `lecture.mp4`) travel with that video: they are
    /// taken out of the jobs and added to the video once it is ready. Elsewhere (a video sent
    /// to a bucket) a caption file is a file like any other.
    pub(crate) fn attach_captions(&self, prepared: &mut Prepared) {
        let mut videos: HashMap<(PathBuf, String), usize> = HashMap::new();
        for (i, (_, job)) in prepared.jobs.iter().enumerate() {
            if job.kind == FileKind::Video
                && self.stream_store_at(&job.destination).is_some()
                && let Some(key) = sibling_key(&job.file.path, false)
            {
                videos.insert(key, i);
            }
        }
        if videos.is_empty() {
            return;
        }
        let mut taken: Vec<(usize, usize, AttachedCaption)> = Vec::new();
        for (i, (_, job)) in prepared.jobs.iter().enumerate() {
            if !captions::is_caption_file(&job.file.path) {
                continue;
            }
            let Some(&video) = sibling_key(&job.file.path, true).and_then(|k| videos.get(&k))
            else {
                continue;
            };
            let language = captions::language_in_name(&job.file.path)
                .unwrap_or_else(|| DEFAULT_CAPTION_LANGUAGE.to_string());
            prepared.notes.push(format!(
                "{}: goes with {} as its {language} captions",
                job.display_name, prepared.jobs[video].1.display_name
            ));
            let caption = AttachedCaption {
                path: job.file.path.clone(),
                language,
            };
            taken.push((i, video, caption));
        }
        for (_, video, caption) in &taken {
            prepared.jobs[*video].1.captions.push(caption.clone());
        }
        for (i, _, _) in taken.into_iter().rev() {
            let (found, job) = prepared.jobs.remove(i);
            prepared.attached.push((found, job.file));
        }
    }

    /// Whether `job` is a finished video on a destination that keeps captions and settings
    /// (Stream).
    pub fn keeps_captions(&self, job: &UploadJob) -> bool {
        job.state == JobState::Done && self.stream_store_at(&job.destination).is_some()
    }

    /// The video store called `destination`, if it keeps captions and settings with its videos.
    fn stream_store_at(&self, destination: &str) -> Option<Arc<dyn VideoStore>> {
        match self.destinations.get(destination) {
            Some(Destination::Videos(store)) if store.has_captions() => Some(store),
            _ => None,
        }
    }

    /// The finished video `target`, its destination, and its id there.
    fn captioned_video(&self, target: &str) -> Result<(UploadJob, Arc<dyn VideoStore>, String)> {
        let job = self.find(target)?;
        let (store, uid) = self.stream_video(&job, "captions can be added")?;
        Ok((job, store, uid))
    }

    /// `job`'s video on Stream and its id there, or why `doing` cannot happen to it (not
    /// uploaded yet, or not a Stream video).
    pub(crate) fn stream_video(
        &self,
        job: &UploadJob,
        doing: &str,
    ) -> Result<(Arc<dyn VideoStore>, String)> {
        let name = job.file.path.display();
        if job.state != JobState::Done {
            return Err(Error::new(
                ErrorKind::Precondition,
                format!(
                    "{name}: not uploaded yet (state: {}); {doing} once the video is uploaded",
                    job.state.as_str()
                ),
            ));
        }
        self.destination(&job.destination)?;
        let store = self.stream_store_at(&job.destination).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{name}: went to {}, which keeps no captions or video settings; they are for videos sent to Cloudflare Stream",
                    job.destination
                ),
            )
        })?;
        let uid = job
            .result
            .as_ref()
            .map(|r| r.remote_id.clone())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Precondition,
                    format!("{name}: the upload has no video id recorded"),
                )
            })?;
        Ok((store, uid))
    }
}

fn checked_language(language: &str) -> Result<String> {
    let tag = language.trim();
    if captions::is_language_tag(tag) {
        Ok(tag.to_string())
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{language:?} is not a language tag; use a code such as en, fr, de or pt-BR"),
        ))
    }
}

/// The folder and base name that pair a video with its caption files: `lecture` for
/// `lecture.mp4`, and for a caption file its name without the extension and without the
/// language (`lecture.fr.vtt` → `lecture`).
fn sibling_key(path: &Path, caption: bool) -> Option<(PathBuf, String)> {
    let dir = path.parent()?.to_path_buf();
    let stem = path.file_stem()?.to_str()?;
    let base = match (caption, captions::language_in_name(path)) {
        (true, Some(lang)) => stem.strip_suffix(&format!(".{lang}"))?,
        _ => stem,
    };
    Some((dir, base.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_pair_with_the_video_of_the_same_name_in_the_same_folder() {
        let key = |p: &str, caption| sibling_key(Path::new(p), caption);
        let video = key("/c/Week 1/lecture.mp4", false);
        assert_eq!(key("/c/Week 1/lecture.fr.srt", true), video);
        assert_eq!(key("/c/Week 1/lecture.vtt", true), video);
        assert_eq!(key("/c/Week 1/lecture.pt-BR.vtt", true), video);
        assert_ne!(key("/c/Week 2/lecture.fr.vtt", true), video);
        assert_ne!(key("/c/Week 1/lecture 2.fr.vtt", true), video);
        // A dotted video name keeps its dots.
        assert_eq!(key("/c/v1.2.fr.vtt", true), key("/c/v1.2.mp4", false));
    }
}
