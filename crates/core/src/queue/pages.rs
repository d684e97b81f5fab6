//! The job list as front ends read it: one page at a time, newest first, filtered by SQLite.
//!
//! A window holding 100,000 jobs must neither read them all at start nor filter them in its
//! script, so the list is asked for in pages (`JobQuery` + offset + limit) with the total that
//! matches, and the numbers the window shows beside it (`JobTally`) and the choices its filters
//! offer (`JobFacets`) are counted here too. A query matches exactly what the window's own
//! filter did when it held every row: every word of the search in the name, path, course, link
//! or key (case folded the Unicode way, as the window's script folds it), the file's folder
//! (its path's parent), and the other fields compared exactly.

use super::{JOB_COLUMNS, Queue, job_from_row, off_async};
use crate::Result;
use crate::classify::FileKind;
use crate::job::{JobState, UploadJob};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use std::collections::BTreeSet;

/// Which course a query keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CourseFilter {
    #[default]
    Any,
    /// Files added without a course.
    Without,
    /// Files of the course of this exact name.
    Named(String),
}

/// What the window's filters ask for. The default keeps every job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    /// Words that must all appear in the job's name, path, course, link or key.
    pub search: String,
    pub destination: Option<String>,
    pub state: Option<JobState>,
    /// Leave out jobs deleted from the cloud (the queue screen does).
    pub hide_deleted: bool,
    /// The folder the file was added from: its path's parent, exactly.
    pub folder: Option<String>,
    pub kind: Option<FileKind>,
    pub course: CourseFilter,
    /// Only jobs changed at or after this moment (Unix seconds).
    pub changed_since: Option<i64>,
}

/// One page of the jobs a query matches, newest first.
#[derive(Debug, Clone)]
pub struct JobPage {
    /// How many jobs the query matches in all.
    pub total: u64,
    /// The place of the page's first job among them.
    pub offset: u64,
    pub jobs: Vec<UploadJob>,
}

/// How many jobs are in each group the window counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobTally {
    /// Queued, uploading or processing.
    pub active: u64,
    pub paused: u64,
    pub failed: u64,
    pub done: u64,
    pub all: u64,
}

/// The values the window's filters offer, each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFacets {
    pub destinations: Vec<String>,
    pub folders: Vec<String>,
    pub courses: Vec<String>,
}

/// A path's parent in SQL: the path without its last separator and what follows it.
/// (`replace(path, SEP, '')` is every character but the separator, so the inner `rtrim` strips
/// the file's name; the outer one its separator.)
fn parent_sql() -> String {
    let sep = std::path::MAIN_SEPARATOR;
    format!("rtrim(rtrim(path, replace(path, '{sep}', '')), '{sep}')")
}

/// What the search looks in, as the window's filter did: name, path, course, link, and the key
/// the row shows (the provider's id when it gave one, else the object key).
const HAYSTACK: &str = "ferry_fold(display_name || char(10) || path || char(10) || \
     coalesce(course, '') || char(10) || coalesce(url, '') || char(10) || \
     CASE WHEN coalesce(remote_id, '') = '' THEN object_key ELSE remote_id END)";

/// Fold text for a case-blind search, the way JavaScript's `toLowerCase` does.
pub(super) fn register_fold(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "ferry_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<String>(0)?.to_lowercase()),
    )
}

impl JobQuery {
    /// The query's WHERE clause and its parameters.
    fn clause(&self) -> (String, Vec<Value>) {
        let mut parts: Vec<String> = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        let mut bind = |parts: &mut Vec<String>, sql: &str, value: Value| {
            params.push(value);
            parts.push(sql.replace('?', &format!("?{}", params.len())));
        };
        if let Some(d) = &self.destination {
            bind(&mut parts, "destination = ?", Value::Text(d.clone()));
        }
        if let Some(s) = self.state {
            bind(&mut parts, "state = ?", Value::Text(s.as_str().into()));
        }
        if self.hide_deleted {
            parts.push("state != 'deleted'".into());
        }
        if let Some(f) = &self.folder {
            let sep = std::path::MAIN_SEPARATOR;
            let folder = f.trim_end_matches(sep).to_string();
            bind(
                &mut parts,
                &format!("{} = ?", parent_sql()),
                Value::Text(folder),
            );
        }
        if let Some(k) = self.kind {
            bind(&mut parts, "kind = ?", Value::Text(k.as_str().into()));
        }
        match &self.course {
            CourseFilter::Any => {}
            CourseFilter::Without => parts.push("course IS NULL".into()),
            CourseFilter::Named(c) => bind(&mut parts, "course = ?", Value::Text(c.clone())),
        }
        if let Some(t) = self.changed_since {
            bind(&mut parts, "updated_at >= ?", Value::Integer(t));
        }
        for word in self.search.to_lowercase().split_whitespace() {
            bind(
                &mut parts,
                &format!("instr({HAYSTACK}, ?) > 0"),
                Value::Text(word.into()),
            );
        }
        if parts.is_empty() {
            (String::new(), params)
        } else {
            (format!(" WHERE {}", parts.join(" AND ")), params)
        }
    }
}

impl Queue {
    /// The jobs `query` matches, newest first, from `offset`, at most `limit` of them, with how
    /// many match in all.
    pub fn page(&self, query: &JobQuery, offset: u64, limit: u64) -> Result<JobPage> {
        off_async(|| {
            let conn = self.conn();
            let (clause, params) = query.clause();
            let total: i64 = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM jobs{clause}"))?
                .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs{clause} ORDER BY id DESC LIMIT {} OFFSET {}",
                limit.min(i64::MAX as u64),
                offset.min(i64::MAX as u64)
            );
            let mut stmt = conn.prepare(&sql)?;
            let jobs = stmt
                .query_map(rusqlite::params_from_iter(params.iter()), job_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(JobPage {
                total: total.max(0) as u64,
                offset,
                jobs,
            })
        })
    }

    /// The ids of every job `query` matches, newest first (for actions on a whole filtered
    /// list: copy every link, export a manifest).
    pub fn ids(&self, query: &JobQuery) -> Result<Vec<crate::job::JobId>> {
        off_async(|| {
            let conn = self.conn();
            let (clause, params) = query.clause();
            let mut stmt =
                conn.prepare(&format!("SELECT id FROM jobs{clause} ORDER BY id DESC"))?;
            let ids = stmt
                .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                    Ok(crate::job::JobId(r.get(0)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids)
        })
    }

    /// How many jobs are active, paused, failed, done, and in all (one pass over the state
    /// index).
    pub fn tally(&self) -> Result<JobTally> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt =
                conn.prepare_cached("SELECT state, COUNT(*) FROM jobs GROUP BY state")?;
            let mut rows = stmt.query([])?;
            let mut tally = JobTally::default();
            while let Some(row) = rows.next()? {
                let state: String = row.get(0)?;
                let n = row.get::<_, i64>(1)?.max(0) as u64;
                tally.all += n;
                match JobState::parse(&state) {
                    Some(JobState::Queued | JobState::Uploading | JobState::Processing) => {
                        tally.active += n
                    }
                    Some(JobState::Paused) => tally.paused += n,
                    Some(JobState::Failed) => tally.failed += n,
                    Some(JobState::Done) => tally.done += n,
                    _ => {}
                }
            }
            Ok(tally)
        })
    }

    /// The destinations, folders and courses jobs name, for the window's filters. A job's
    /// destination, folder and course never change, so only jobs added since the last call are
    /// read (a whole history's folders cost half a second at 100,000 jobs); when jobs were
    /// removed, everything is read again.
    pub fn facets(&self) -> Result<JobFacets> {
        off_async(|| {
            let conn = self.conn();
            let mut seen = self.facets.lock().unwrap_or_else(|p| p.into_inner());
            let (count, newest): (i64, i64) = conn
                .prepare_cached("SELECT COUNT(*), coalesce(MAX(id), 0) FROM jobs")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if count < seen.count || newest < seen.upto {
                *seen = FacetsSeen::default();
            }
            if count != seen.count || newest != seen.upto {
                let sql = format!(
                    "SELECT destination, {p}, course FROM jobs WHERE id > ?1",
                    p = parent_sql()
                );
                let mut stmt = conn.prepare_cached(&sql)?;
                let mut rows = stmt.query([seen.upto])?;
                while let Some(row) = rows.next()? {
                    let destination: String = row.get(0)?;
                    let folder: String = row.get(1)?;
                    let course: Option<String> = row.get(2)?;
                    seen.destinations.insert(destination);
                    seen.folders.insert(folder);
                    seen.courses.extend(course);
                }
                seen.count = count;
                seen.upto = newest;
            }
            let listed = |set: &BTreeSet<String>| -> Vec<String> {
                set.iter().filter(|v| !v.is_empty()).cloned().collect()
            };
            Ok(JobFacets {
                destinations: listed(&seen.destinations),
                folders: listed(&seen.folders),
                courses: listed(&seen.courses),
            })
        })
    }
}

/// The filter choices read so far: from every job up to `upto`, `count` jobs then.
#[derive(Debug, Default)]
pub(super) struct FacetsSeen {
    upto: i64,
    count: i64,
    destinations: BTreeSet<String>,
    folders: BTreeSet<String>,
    courses: BTreeSet<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{FileSnapshot, JobId, NewJob};
    use std::path::{MAIN_SEPARATOR as SEP, Path, PathBuf};

    fn job(
        path: String,
        name: &str,
        kind: FileKind,
        destination: &str,
        course: Option<&str>,
    ) -> NewJob {
        NewJob {
            batch: "b".into(),
            file: FileSnapshot {
                path: PathBuf::from(path),
                size: 10,
                mtime_ns: 1,
                hash: format!("h-{name}"),
            },
            display_name: name.into(),
            kind,
            content_type: "application/pdf".into(),
            destination: destination.into(),
            target: "t".into(),
            key: format!("k/{name}"),
            force: false,
            overwrite: false,
            inline: false,
            course: course.map(str::to_string),
            captions: Vec::new(),
        }
    }

    /// A varied queue: three folders, two destinations, courses or none, every kind, a name
    /// with letters SQLite's own `lower` does not fold.
    fn queue() -> Queue {
        let q = Queue::open_in_memory().unwrap();
        let kinds = [FileKind::Document, FileKind::Image, FileKind::Video];
        let jobs: Vec<NewJob> = (0..60)
            .map(|n| {
                let folder = ["Biologie", "Chemie", "Übungen"][n % 3];
                let name = if n == 7 {
                    "LEÇON Été.pdf".to_string()
                } else {
                    format!("file {n}.pdf")
                };
                job(
                    format!("{SEP}course{SEP}{folder}{SEP}{name}"),
                    &name,
                    kinds[n % 3],
                    ["r2", "images"][n % 2],
                    (n % 4 != 0).then_some(["Bio 101", "Chem"][n % 2]),
                )
            })
            .collect();
        let ids = q.enqueue(&jobs, 100).unwrap();
        for (i, id) in ids.iter().enumerate() {
            let to = [
                JobState::Done,
                JobState::Failed,
                JobState::Paused,
                JobState::Deleted,
            ][i % 4];
            if i % 5 != 0 {
                q.conn()
                    .execute(
                        "UPDATE jobs SET state = ?1, updated_at = ?2 WHERE id = ?3",
                        rusqlite::params![to.as_str(), 100 + i as i64, id.0],
                    )
                    .unwrap();
            }
        }
        q
    }

    /// What the window's script did when it held every row (ui/src/lib/jobs.ts `matches`).
    fn reference(job: &UploadJob, q: &JobQuery) -> bool {
        let folder = job.file.path.parent().map(|p| p.display().to_string());
        let course_ok = match &q.course {
            CourseFilter::Any => true,
            CourseFilter::Without => job.course.is_none(),
            CourseFilter::Named(c) => job.course.as_deref() == Some(c.as_str()),
        };
        let result = job.result.clone().unwrap_or_default();
        let key = if result.remote_id.is_empty() {
            job.key.clone()
        } else {
            result.remote_id
        };
        let hay = format!(
            "{}\n{}\n{}\n{}\n{}",
            job.display_name,
            job.file.path.display(),
            job.course.clone().unwrap_or_default(),
            result.url.unwrap_or_default(),
            key
        )
        .to_lowercase();
        q.destination.as_ref().is_none_or(|d| *d == job.destination)
            && q.state.is_none_or(|s| s == job.state)
            && !(q.hide_deleted && job.state == JobState::Deleted)
            && q.folder.as_ref().is_none_or(|f| folder.as_ref() == Some(f))
            && q.kind.is_none_or(|k| k == job.kind)
            && course_ok
            && q.changed_since.is_none_or(|t| job.updated_at >= t)
            && q.search
                .to_lowercase()
                .split_whitespace()
                .all(|w| hay.contains(w))
    }

    fn ids_of(jobs: &[UploadJob]) -> Vec<JobId> {
        jobs.iter().map(|j| j.id).collect()
    }

    #[test]
    fn every_filter_matches_what_the_window_matched_when_it_held_every_row() {
        let q = queue();
        let all = q.list().unwrap();
        let folder = |f: &str| Some(format!("{SEP}course{SEP}{f}"));
        let queries = [
            JobQuery::default(),
            JobQuery {
                hide_deleted: true,
                ..Default::default()
            },
            JobQuery {
                state: Some(JobState::Failed),
                ..Default::default()
            },
            JobQuery {
                destination: Some("images".into()),
                ..Default::default()
            },
            JobQuery {
                folder: folder("Übungen"),
                ..Default::default()
            },
            JobQuery {
                kind: Some(FileKind::Video),
                ..Default::default()
            },
            JobQuery {
                course: CourseFilter::Without,
                ..Default::default()
            },
            JobQuery {
                course: CourseFilter::Named("Chem".into()),
                ..Default::default()
            },
            JobQuery {
                changed_since: Some(130),
                ..Default::default()
            },
            JobQuery {
                search: "leçon".into(),
                ..Default::default()
            },
            JobQuery {
                search: "  ÉTÉ  biologie ".into(),
                ..Default::default()
            },
            JobQuery {
                search: "file 1".into(),
                ..Default::default()
            },
            JobQuery {
                search: "nothing-like-this".into(),
                ..Default::default()
            },
            JobQuery {
                search: "file".into(),
                destination: Some("r2".into()),
                folder: folder("Chemie"),
                course: CourseFilter::Named("Bio 101".into()),
                hide_deleted: true,
                ..Default::default()
            },
        ];
        for query in &queries {
            let mut want: Vec<JobId> = all
                .iter()
                .filter(|j| reference(j, query))
                .map(|j| j.id)
                .collect();
            want.reverse();
            let page = q.page(query, 0, 1000).unwrap();
            assert_eq!(ids_of(&page.jobs), want, "{query:?}");
            assert_eq!(page.total, want.len() as u64, "{query:?}");
            assert_eq!(q.ids(query).unwrap(), want, "{query:?}");
        }
        // The accented search and the folder with an umlaut each found something.
        assert_eq!(q.page(&queries[9], 0, 10).unwrap().total, 1);
        assert_eq!(q.page(&queries[4], 0, 100).unwrap().total, 20);
    }

    #[test]
    fn pages_follow_each_other_newest_first_with_the_total() {
        let q = queue();
        let query = JobQuery {
            hide_deleted: true,
            ..Default::default()
        };
        let whole = q.page(&query, 0, 1000).unwrap();
        let mut joined = Vec::new();
        for offset in (0..whole.total).step_by(7) {
            let page = q.page(&query, offset, 7).unwrap();
            assert_eq!((page.total, page.offset), (whole.total, offset));
            joined.extend(page.jobs);
        }
        assert_eq!(ids_of(&joined), ids_of(&whole.jobs));
        assert!(whole.jobs.windows(2).all(|w| w[0].id > w[1].id));
        assert!(q.page(&query, whole.total, 7).unwrap().jobs.is_empty());
    }

    #[test]
    fn the_tally_and_the_facets_count_every_job() {
        let q = queue();
        let all = q.list().unwrap();
        let count = |f: &dyn Fn(JobState) -> bool| all.iter().filter(|j| f(j.state)).count() as u64;
        assert_eq!(
            q.tally().unwrap(),
            JobTally {
                active: count(&|s| matches!(
                    s,
                    JobState::Queued | JobState::Uploading | JobState::Processing
                )),
                paused: count(&|s| s == JobState::Paused),
                failed: count(&|s| s == JobState::Failed),
                done: count(&|s| s == JobState::Done),
                all: 60,
            }
        );
        let facets = q.facets().unwrap();
        assert_eq!(facets.destinations, ["images", "r2"]);
        assert_eq!(facets.courses, ["Bio 101", "Chem"]);
        let folders: Vec<String> = ["Biologie", "Chemie", "Übungen"]
            .iter()
            .map(|f| {
                Path::new(&format!("{SEP}course{SEP}{f}"))
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(facets.folders, folders);
        // Read again after a job with a new folder and course, then after it is gone.
        let zoo = job(
            format!("{SEP}course{SEP}Zoology{SEP}a.pdf"),
            "a.pdf",
            FileKind::Document,
            "stream",
            Some("Zoo"),
        );
        let added = q.enqueue(&[zoo], 200).unwrap();
        let facets = q.facets().unwrap();
        assert_eq!(facets.destinations, ["images", "r2", "stream"]);
        assert_eq!(facets.courses, ["Bio 101", "Chem", "Zoo"]);
        assert_eq!(facets.folders.len(), 4);
        q.conn()
            .execute("DELETE FROM jobs WHERE id = ?1", [added[0].0])
            .unwrap();
        let facets = q.facets().unwrap();
        assert_eq!(facets.destinations, ["images", "r2"]);
        assert_eq!(facets.folders, folders);
    }
}
