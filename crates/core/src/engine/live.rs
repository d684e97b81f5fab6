//! Live lessons from the engine: create, list, read (with where to stream and the key, fetched
//! from Stream each time, never stored), delete, and the recordings a lesson made. They live on
//! the `stream` destination's account.

use super::Engine;
use crate::destination::{Destination, VideoStore};
use crate::live::{LiveIngest, LiveLesson, MIN_RECORDING_DAYS, NewLiveLesson};
use crate::{Error, ErrorKind, Result};
use std::sync::Arc;

impl Engine {
    pub async fn create_live_lesson(
        &self,
        new: &NewLiveLesson,
    ) -> Result<(LiveLesson, LiveIngest)> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(Error::input(
                "a live lesson needs a name, such as \"Biology 101, week 3\"",
            ));
        }
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
            name: name.to_string(),
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

    pub async fn delete_live_lesson(&self, uid: &str) -> Result<()> {
        let store = self.stream_store()?;
        store.live().ok_or_else(not_live)?.delete_live(uid).await
    }

    /// The video ids of the recordings a lesson made.
    pub async fn live_recordings(&self, uid: &str) -> Result<Vec<String>> {
        let store = self.stream_store()?;
        store.live().ok_or_else(not_live)?.recordings(uid).await
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

fn not_live() -> Error {
    Error::new(
        ErrorKind::NotSupported,
        "live lessons need a Cloudflare account with Stream: add one in Accounts (or set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN)",
    )
}
