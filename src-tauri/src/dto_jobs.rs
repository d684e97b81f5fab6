//! The job list across the IPC boundary in pages: the filters a screen asks with, one page of
//! rows with the total it matches, the counts beside the screens' names, and the choices the
//! History filters offer. The window never asks for the whole history at once.

use crate::dto::{IpcError, JobRow};
use ferry_core::job::JobState;
use ferry_core::{CourseFilter, Engine, FileKind, JobFacets, JobPage, JobQuery, JobTally};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A screen's filters. Empty strings and absent fields keep every job.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct JobQueryRow {
    pub search: String,
    pub destination: String,
    #[ts(type = "\"\" | JobRow[\"state\"]")]
    pub state: String,
    /// Leave out files deleted from the cloud (the queue does).
    pub hide_deleted: bool,
    pub folder: String,
    #[ts(type = "\"\" | JobRow[\"kind\"]")]
    pub kind: String,
    /// A course's name; with `withoutCourse`, files added without one.
    pub course: String,
    pub without_course: bool,
    /// Only jobs changed at or after this moment (Unix seconds); 0 for any.
    #[ts(type = "number")]
    pub changed_since: i64,
}

impl JobQueryRow {
    /// The core's query; a state or kind the core does not know is a bad request, not "any".
    pub fn query(&self) -> Result<JobQuery, IpcError> {
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        let state = match self.state.as_str() {
            "" => None,
            s => Some(JobState::parse(s).ok_or_else(|| bad("state", s))?),
        };
        let kind = match self.kind.as_str() {
            "" => None,
            k => Some(FileKind::parse(k).ok_or_else(|| bad("kind", k))?),
        };
        Ok(JobQuery {
            search: self.search.clone(),
            destination: some(&self.destination),
            state,
            hide_deleted: self.hide_deleted,
            folder: some(&self.folder),
            kind,
            course: if self.without_course {
                CourseFilter::Without
            } else if self.course.is_empty() {
                CourseFilter::Any
            } else {
                CourseFilter::Named(self.course.clone())
            },
            changed_since: (self.changed_since > 0).then_some(self.changed_since),
        })
    }
}

fn bad(field: &str, value: &str) -> IpcError {
    IpcError::internal(format!(
        "the window asked for jobs of an unknown {field} \"{value}\""
    ))
}

/// One page of a screen's rows, newest first.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobPageRow {
    /// How many jobs the filters match in all.
    #[ts(type = "number")]
    pub total: u64,
    /// The place of the first row among them.
    #[ts(type = "number")]
    pub offset: u64,
    pub rows: Vec<JobRow>,
}

impl JobPageRow {
    pub fn of(page: JobPage, engine: &Engine) -> Self {
        JobPageRow {
            total: page.total,
            offset: page.offset,
            rows: page.jobs.iter().map(|j| JobRow::of(j, engine)).collect(),
        }
    }
}

/// The counts beside the screens' names.
#[derive(Debug, Clone, Copy, Default, Serialize, TS)]
pub struct JobTallyRow {
    /// Queued, uploading or processing.
    #[ts(type = "number")]
    pub active: u64,
    #[ts(type = "number")]
    pub paused: u64,
    #[ts(type = "number")]
    pub failed: u64,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub all: u64,
}

impl From<JobTally> for JobTallyRow {
    fn from(t: JobTally) -> Self {
        JobTallyRow {
            active: t.active,
            paused: t.paused,
            failed: t.failed,
            done: t.done,
            all: t.all,
        }
    }
}

/// The values the History filters offer.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct JobFacetsRow {
    pub destinations: Vec<String>,
    pub folders: Vec<String>,
    pub courses: Vec<String>,
}

impl From<JobFacets> for JobFacetsRow {
    fn from(f: JobFacets) -> Self {
        JobFacetsRow {
            destinations: f.destinations,
            folders: f.folders,
            courses: f.courses,
        }
    }
}
