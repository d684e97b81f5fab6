//! A job's preparation before its bytes go: a photo's location, camera and author details are
//! found ([`crate::prepare`]) and the patches that blank them ride with the job, unless its
//! course keeps them. What goes is recorded with the job at once, so its row says so while it
//! is still sending.

use super::Inner;
use crate::classify::FileKind;
use crate::course::CourseOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::job::UploadJob;
use std::sync::Arc;

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
        let mut job = job.clone();
        let keep = self.course_options(&job)?.is_some_and(|o| o.keep_metadata);
        if job.kind != FileKind::Image || keep {
            return Ok(job);
        }
        let path = job.file.path.clone();
        let (patches, prepared) =
            tokio::task::spawn_blocking(move || crate::prepare::prepare(&path))
                .await
                .map_err(|e| Error::new(ErrorKind::Io, format!("preparing stopped: {e}")))?
                .map_err(|e| Error::from_io(&job.file.path, &e))?;
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
}
