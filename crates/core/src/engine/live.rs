//! Live lessons from the engine: create, list, read (with where to stream and the key, fetched
//! from Stream each time, never stored), delete, and the recordings a lesson made, which join
//! the history as done jobs once Stream has them ready. They live on the `stream`
//! destination's account.

use super::Engine;
use crate::classify::FileKind;
use crate::destination::{Destination, Processing, VideoStore};
use crate::events::Event;
use crate::job::{FileSnapshot, NewJob, UploadResult};
use crate::live::{LiveIngest, LiveLesson, MIN_RECORDING_DAYS, NewLiveLesson, Recording};
use crate::queue::Origin;
use crate::{Error, ErrorKind, Result};
use std::path::PathBuf;
use std::sync::Arc;

impl Engine {
    pub async fn create_live_lesson(
        &self,
        new: &NewLiveLesson,
    ) -> Result<(LiveLesson, LiveIngest)> {
        let name = lesson_name(&new.name)?;
        if let Some(days) = new.delete_after_days
            && days < MIN_RECORDING_DAYS
        {
            return Err(Error::input(format!(
                "recordings can be deleted after {MIN_RECORDING_DAYS} days at the earliest (Stream's minimum), not {days}; choose {MIN_RECORDING_DAYS} or more, or keep them"
            )));
        }
        let course = match &new.course {
            Some(c) => Some(self.course(c)?.name),
            None => None,
        };
        let new = NewLiveLesson {
            name,
            course,
            ..new.clone()
        };
        let store = self.stream_store()?;
        store.live().ok_or_else(not_live)?.create_live(&new).await
    }

    pub async fn live_lessons(&self) -> Result<Vec<LiveLesson>> {
        let store = self.stream_store()?;
        store.live().ok_or_else(not_live)?.live_lessons().await
    }

    /// A live lesson and where to stream into it.
    pub async fn live_lesson(&self, uid: &str) -> Result<(LiveLesson, LiveIngest)> {
        let store = self.stream_store()?;
        store.live().ok_or_else(not_live)?.live_lesson(uid).await
    }

    pub async fn rename_live_lesson(&self, uid: &str, name: &str) -> Result<LiveLesson> {
        let name = lesson_name(name)?;
        let store = self.stream_store()?;
        store
            .live()
            .ok_or_else(not_live)?
            .rename_live(uid, &name)
            .await
    }

    pub async fn delete_live_lesson(&self, uid: &str) -> Result<()> {
        let store = self.stream_store()?;
        store.live().ok_or_else(not_live)?.delete_live(uid).await
    }

    /// The recordings `lesson` made. The ready ones not yet in the history are put there, as
    /// done jobs of the lesson's course, so a recording is found, copied and managed like any
    /// uploaded video.
    pub async fn live_recordings(&self, lesson: &LiveLesson) -> Result<Vec<Recording>> {
        Ok(self.take_recordings(lesson).await?.0)
    }

    /// Look at every live lesson's recordings (what the session does every few minutes);
    /// returns how many joined the history.
    pub async fn sync_live_recordings(&self) -> Result<usize> {
        let mut added = 0;
        for lesson in self.live_lessons().await? {
            added += self.take_recordings(&lesson).await?.1;
        }
        Ok(added)
    }

    /// `lesson`'s recordings, and how many of them this call put in the history.
    async fn take_recordings(&self, lesson: &LiveLesson) -> Result<(Vec<Recording>, usize)> {
        let store = self.stream_store()?;
        let recordings = store
            .live()
            .ok_or_else(not_live)?
            .recordings(&lesson.uid)
            .await?;
        let known = self.queue.arrived(Origin::Live(&lesson.uid))?;
        let mut added = 0;
        for rec in recordings
            .iter()
            .filter(|r| r.ready && !known.contains(&r.uid))
        {
            if self.add_recording(&*store, lesson, rec).await? {
                added += 1;
            }
        }
        Ok((recordings, added))
    }

    /// Whether this engine has live lessons to look at (a Stream account).
    pub fn has_live_lessons(&self) -> bool {
        self.stream_store().is_ok()
    }

    async fn add_recording(
        &self,
        store: &dyn VideoStore,
        lesson: &LiveLesson,
        rec: &Recording,
    ) -> Result<bool> {
        let Processing::Ready { links } = store.processing(&rec.uid).await? else {
            return Ok(false);
        };
        // A video that needs signed links keeps none: each is made (signed) when asked for.
        let url = (!rec.signed && !store.requires_signed_urls())
            .then(|| links.get("hls").cloned())
            .flatten();
        let result = UploadResult {
            remote_id: rec.uid.clone(),
            url,
            links,
        };
        let job = NewJob {
            batch: format!("live-{}", lesson.uid),
            file: FileSnapshot {
                path: PathBuf::new(),
                size: rec.size,
                mtime_ns: 0,
                hash: format!("stream:{}", rec.uid),
            },
            display_name: rec
                .name
                .clone()
                .unwrap_or_else(|| format!("{} (recording)", lesson.name)),
            kind: FileKind::Video,
            content_type: "video/mp4".into(),
            destination: store.name().to_string(),
            target: store.target(),
            key: rec.uid.clone(),
            force: false,
            overwrite: false,
            inline: false,
            course: lesson.course.clone(),
            captions: Vec::new(),
        };
        let Some(id) =
            self.queue
                .add_arrival(&job, &result, Origin::Live(&lesson.uid), self.now())?
        else {
            return Ok(false);
        };
        self.emit(Event::Done {
            id,
            result,
            duplicate_of: None,
        });
        Ok(true)
    }

    /// The link to share for a recording (Stream video `uid`): its watch page, signed for the
    /// configured lifetime when videos need signed links.
    pub async fn recording_link(&self, uid: &str) -> Result<String> {
        let store = self.stream_store()?;
        let lifetime = self.settings.link_expiry().min(store.max_link_lifetime());
        let hls = store.url(uid, lifetime).await?;
        Ok(hls.replace("/manifest/video.m3u8", "/watch"))
    }

    /// The `stream` destination, when it has live inputs.
    fn stream_store(&self) -> Result<Arc<dyn VideoStore>> {
        match self.destination(crate::provider::STREAM) {
            Ok(Destination::Videos(store)) if store.live().is_some() => Ok(store),
            _ => Err(not_live()),
        }
    }
}

/// A lesson's name, trimmed; never empty.
fn lesson_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::input(
            "a live lesson needs a name, such as \"Biology 101, week 3\"",
        ));
    }
    Ok(name.to_string())
}

fn not_live() -> Error {
    Error::new(
        ErrorKind::NotSupported,
        "live lessons need a Cloudflare account with Stream: add one in Accounts (or set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN)",
    )
}
