//! The persistent job queue: the only place that speaks SQL.
//!
//! SQLite in WAL mode. Every state change is one transaction; batches are enqueued in one
//! transaction. Any committed transaction survives a process crash (it is in the WAL, in the
//! OS's cache, before `COMMIT` returns). Against power loss, commits come in two strengths:
//!
//! - **durable** (`synchronous = FULL`, the WAL is fsynced before `COMMIT` returns): what the
//!   server cannot tell us again. Queuing a batch (the user was told "queued"), and the identity
//!   of a remote upload (an S3 upload id, a tus/Stream upload URL, an object key or image id
//!   chosen by Ferry). An fsync also makes everything before it durable.
//! - **relaxed** (`synchronous = NORMAL`): progress the server can tell us again. Claims,
//!   attempts, confirmed parts and offsets, "done". A power loss may roll back a suffix of
//!   these; resume then asks the server (ListParts, HEAD, the object or image carrying our
//!   hash) and neither loses nor duplicates anything. `tests/e2e/power_loss.rs` shows it.
//!
//! The cost of durable commits is one fsync per batch and per large upload, not per file.

mod arrivals;
mod courses;
mod pages;
mod requests;
mod schema;
mod watched;

pub use arrivals::Origin;
pub use courses::CourseRow;
pub use pages::{CourseFilter, JobFacets, JobPage, JobQuery, JobTally};
pub use watched::{PendingDeletion, RemoteFate};

use crate::job::{
    ConfirmedPart, FileSnapshot, JobError, JobId, JobState, NewJob, ResumeState, UploadJob,
    UploadResult,
};
use crate::{Error, ErrorKind, Result, classify::FileKind};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

pub struct Queue {
    conn: Mutex<Connection>,
    /// The filter choices read so far, and up to which job (`pages.rs`).
    facets: Mutex<pages::FacetsSeen>,
    /// The database file, for the integrity check's own connection (`None` in memory).
    path: Option<std::path::PathBuf>,
}

const JOB_COLUMNS: &str = "id, batch, path, size, mtime_ns, hash, display_name, kind, \
     content_type, destination, target, object_key, state, bytes_done, attempts, resume, \
     remote_id, url, error_code, error_message, duplicate_of, force, created_at, updated_at, \
     links, overwrite, notes, inline, course, captions, live_input, request, sender, prepared, media";

/// Run queue work (SQLite, and the fsync its durable commits wait for) where it cannot stall
/// the async runtime: on a multi-threaded runtime's worker the thread is first handed over as a
/// blocking one (`block_in_place`), so uploads, progress and the window's commands keep their
/// workers; elsewhere (a current-thread runtime, a plain thread) it just runs.
pub(crate) fn off_async<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Put the database in WAL mode. Switching needs the file to itself, and SQLite reports a
/// busy file at once rather than through the busy timeout, so a new database opened by two
/// processes together (the window and a command) is retried here for as long as that timeout.
fn wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            // An in-memory database stays "memory": nothing more to do.
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Run `f` with commits fsynced before they return (`synchronous = FULL`), then go back to
/// relaxed commits, whatever `f` did.
fn durably<T>(conn: &mut Connection, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    let out = f(conn);
    let back = conn.pragma_update(None, "synchronous", "NORMAL");
    let out = out?;
    back?;
    Ok(out)
}

/// The error to give when the disk holding `db` has (next to) no room left, if it has none.
fn full_disk(db: &Path) -> Option<Error> {
    let dir = db.parent().filter(|d| !d.as_os_str().is_empty())?;
    let st = rustix::fs::statvfs(dir).ok()?;
    let free = st.f_bavail.saturating_mul(st.f_frsize);
    (free < 64 * 1024).then(|| {
        Error::new(
            ErrorKind::Queue,
            format!(
                "the disk holding Ferry's job database ({}) is full; free some space and retry (nothing queued was lost)",
                dir.display()
            ),
        )
    })
}

/// Run one statement through the connection's statement cache: `Connection::execute` parses
/// its SQL on every call, and a job's few state changes would parse the same dozen statements
/// for every file of a batch.
pub(crate) fn cached<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

impl Queue {
    /// Open (or create) the queue at `path`, applying migrations.
    pub fn open(path: &Path) -> Result<Self> {
        // SQLite gives its -wal and -shm files the database's mode: make that the user's alone
        // before SQLite creates them.
        crate::private::touch(path)?;
        let conn = Connection::open(path).map_err(|e| {
            full_disk(path).unwrap_or_else(|| {
                Error::from(e).context(format!("opening the job database {}", path.display()))
            })
        })?;
        let mut queue = Self::setup(conn).map_err(|e| {
            // SQLite reports a full disk met while making its WAL index as an I/O error.
            full_disk(path).unwrap_or_else(|| e.context(format!("job database {}", path.display())))
        })?;
        queue.path = Some(path.to_path_buf());
        Ok(queue)
    }

    /// Read every page of the database and check it (SQLite's `quick_check`): a damaged file
    /// is reported, never silently replaced. Not part of [`Queue::open`]: at 100,000 jobs it
    /// reads some 100 MB, and the window must not wait for it. It runs on a read-only
    /// connection of its own, so the queue stays usable meanwhile; the CLI runs it before any
    /// command, the desktop session before it uploads, watches or looks for arrivals.
    pub fn check_integrity(&self) -> Result<()> {
        let run = |conn: &Connection| -> Result<String> {
            conn.query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(Error::damaged_queue)
        };
        let check = match &self.path {
            Some(path) => {
                let conn = Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                run(&conn)?
            }
            None => run(&self.conn())?,
        };
        if check != "ok" {
            return Err(Error::damaged_queue(check));
        }
        Ok(())
    }

    /// An in-memory queue, for tests.
    #[cfg(test)]
    pub fn open_in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Room for every statement the queue runs (the default keeps 16).
        conn.set_prepared_statement_cache_capacity(64);
        wal(&conn)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        pages::register_fold(&conn)?;
        // A file that is no database fails here (reading its schema); a damaged page is
        // found by `check_integrity`.
        schema::migrate(&conn)?;
        Ok(Queue {
            conn: Mutex::new(conn),
            facets: Mutex::default(),
            path: None,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions), so a
        // poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue many jobs in one durable transaction; returns their ids in order.
    pub fn enqueue(&self, jobs: &[NewJob], now: i64) -> Result<Vec<JobId>> {
        off_async(|| {
            let mut conn = self.conn();
            durably(&mut conn, |conn| {
                let tx = conn.transaction()?;
                let ids = insert_jobs(&tx, jobs, now)?;
                tx.commit()?;
                Ok(ids)
            })
        })
    }

    /// Record, durably, the remote upload a job has just started (before its first byte), so
    /// that no power loss can make Ferry start a second one and leave this one behind.
    pub fn record_remote_upload(&self, id: JobId, resume: &ResumeState, now: i64) -> Result<()> {
        off_async(|| {
            let mut conn = self.conn();
            let text = serde_json::to_string(resume).expect("resume state serializes");
            durably(&mut conn, |conn| {
                let tx = conn.transaction()?;
                cached(
                    &tx,
                    "UPDATE jobs SET resume = ?1, bytes_done = 0, updated_at = ?2 WHERE id = ?3",
                    params![text, now, id.0],
                )?;
                cached(&tx, "DELETE FROM parts WHERE job_id = ?1", [id.0])?;
                tx.commit()?;
                Ok(())
            })
        })
    }

    pub fn get(&self, id: JobId) -> Result<Option<UploadJob>> {
        off_async(|| {
            let conn = self.conn();
            let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([id.0], job_from_row)
                .optional()?)
        })
    }

    /// All jobs, oldest first.
    pub fn list(&self) -> Result<Vec<UploadJob>> {
        off_async(|| {
            let conn = self.conn();
            let sql = format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id");
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], job_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Jobs that still have work to do (queued, or uploading/processing when a process died),
    /// oldest first. Paused jobs wait for the user.
    pub fn unfinished(&self) -> Result<Vec<UploadJob>> {
        self.unfinished_after(JobId(0))
    }

    /// Unfinished jobs queued after `after` (by id, which grows with time).
    pub fn unfinished_after(&self, after: JobId) -> Result<Vec<UploadJob>> {
        off_async(|| {
            let conn = self.conn();
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('queued','uploading','processing') AND id > ?1 ORDER BY id"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([after.0], job_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The most recent done job for `path`, for `ferry url PATH`.
    pub fn latest_done_for_path(&self, path: &Path) -> Result<Option<UploadJob>> {
        off_async(|| {
            let conn = self.conn();
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE path = ?1 AND state = 'done' ORDER BY id DESC LIMIT 1"
            );
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([path_text(path)], job_from_row)
                .optional()?)
        })
    }

    /// A done job that uploaded the same content to the same place, other than `except`.
    pub fn done_with_content(
        &self,
        hash: &str,
        target: &str,
        except: JobId,
    ) -> Result<Option<UploadJob>> {
        off_async(|| {
            let conn = self.conn();
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE hash = ?1 AND target = ?2 AND state = 'done' \
                 AND duplicate_of IS NULL AND id != ?3 ORDER BY id LIMIT 1"
            );
            Ok(conn
                .prepare_cached(&sql)?
                .query_row(params![hash, target, except.0], job_from_row)
                .optional()?)
        })
    }

    pub fn state(&self, id: JobId) -> Result<Option<JobState>> {
        off_async(|| {
            let conn = self.conn();
            let text: Option<String> = conn
                .prepare_cached("SELECT state FROM jobs WHERE id = ?1")?
                .query_row([id.0], |r| r.get(0))
                .optional()?;
            Ok(text.and_then(|t| JobState::parse(&t)))
        })
    }

    /// Move a job to `to` if it is in one of `from`; returns whether it moved. This is how a job
    /// is claimed and how pause/cancel race safely with the scheduler.
    pub fn transition(&self, id: JobId, from: &[JobState], to: JobState, now: i64) -> Result<bool> {
        off_async(|| {
            let conn = self.conn();
            let from_list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
            let sql = format!(
                "UPDATE jobs SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state IN ({})",
                from_list.join(",")
            );
            Ok(cached(&conn, &sql, params![to.as_str(), now, id.0])? == 1)
        })
    }

    /// Claim a job for an attempt: move it to `uploading` from one of `from` and count the
    /// attempt, in one statement (one commit: a small file's upload makes few). Returns whether
    /// it moved.
    pub fn claim(&self, id: JobId, from: &[JobState], now: i64) -> Result<bool> {
        off_async(|| {
            let conn = self.conn();
            let from_list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
            let sql = format!(
                "UPDATE jobs SET state = 'uploading', attempts = attempts + 1, updated_at = ?1 \
                 WHERE id = ?2 AND state IN ({})",
                from_list.join(",")
            );
            Ok(cached(&conn, &sql, params![now, id.0])? == 1)
        })
    }

    /// Change the object key (before any byte is sent), e.g. to avoid an existing object.
    pub fn set_key(&self, id: JobId, key: &str, now: i64) -> Result<()> {
        off_async(|| {
            let mut conn = self.conn();
            durably(&mut conn, |conn| {
                cached(
                    conn,
                    "UPDATE jobs SET object_key = ?1, updated_at = ?2 WHERE id = ?3",
                    params![key, now, id.0],
                )?;
                Ok(())
            })
        })
    }

    /// Take a new version of the file (change policy "restart").
    pub fn update_snapshot(&self, id: JobId, file: &FileSnapshot, now: i64) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            cached(
                &conn,
                "UPDATE jobs SET size = ?1, mtime_ns = ?2, hash = ?3, bytes_done = 0, updated_at = ?4 WHERE id = ?5",
                params![file.size as i64, file.mtime_ns, file.hash, now, id.0],
            )?;
            Ok(())
        })
    }

    /// Record the offset a tus server confirmed, with the resume state that holds it.
    pub fn confirm_offset(
        &self,
        id: JobId,
        resume: &ResumeState,
        offset: u64,
        now: i64,
    ) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            let text = serde_json::to_string(resume).expect("resume state serializes");
            cached(
                &conn,
                "UPDATE jobs SET resume = ?1, bytes_done = ?2, updated_at = ?3 WHERE id = ?4",
                params![text, offset as i64, now, id.0],
            )?;
            Ok(())
        })
    }

    /// Record the remote upload session; committed before the first byte is sent.
    pub fn set_resume(&self, id: JobId, resume: Option<&ResumeState>, now: i64) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            let text = resume.map(|r| serde_json::to_string(r).expect("resume state serializes"));
            let tx = conn.unchecked_transaction()?;
            cached(
                &tx,
                "UPDATE jobs SET resume = ?1, updated_at = ?2 WHERE id = ?3",
                params![text, now, id.0],
            )?;
            if resume.is_none() {
                cached(&tx, "DELETE FROM parts WHERE job_id = ?1", [id.0])?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Record what preparing the job's file removes (`None`: nothing).
    pub fn set_prepared(
        &self,
        id: JobId,
        prepared: Option<&crate::prepare::Prepared>,
        now: i64,
    ) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            let text = prepared.map(|p| serde_json::to_string(p).expect("a report serializes"));
            cached(
                &conn,
                "UPDATE jobs SET prepared = ?1, updated_at = ?2 WHERE id = ?3",
                params![text, now, id.0],
            )?;
            Ok(())
        })
    }

    /// Record what the job's video is (its container, length, picture size and codec).
    pub fn set_media(&self, id: JobId, media: &crate::prepare::VideoFacts, now: i64) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            let text = serde_json::to_string(media).expect("video facts serialize");
            cached(
                &conn,
                "UPDATE jobs SET media = ?1, updated_at = ?2 WHERE id = ?3",
                params![text, now, id.0],
            )?;
            Ok(())
        })
    }

    /// Commit one confirmed part and the job's progress together.
    pub fn confirm_part(&self, id: JobId, part: &ConfirmedPart, now: i64) -> Result<u64> {
        off_async(|| {
            let conn = self.conn();
            let tx = conn.unchecked_transaction()?;
            cached(
                &tx,
                "INSERT OR REPLACE INTO parts (job_id, part_number, etag, size) VALUES (?1, ?2, ?3, ?4)",
                params![id.0, part.number, part.etag, part.size as i64],
            )?;
            let done: i64 = tx.query_row(
                "SELECT COALESCE(SUM(size), 0) FROM parts WHERE job_id = ?1",
                [id.0],
                |r| r.get(0),
            )?;
            cached(
                &tx,
                "UPDATE jobs SET bytes_done = ?1, updated_at = ?2 WHERE id = ?3",
                params![done, now, id.0],
            )?;
            tx.commit()?;
            Ok(done as u64)
        })
    }

    /// Replace the confirmed parts with the server's list (after ListParts on resume).
    pub fn replace_parts(&self, id: JobId, parts: &[ConfirmedPart], now: i64) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            let tx = conn.unchecked_transaction()?;
            cached(&tx, "DELETE FROM parts WHERE job_id = ?1", [id.0])?;
            let mut total = 0u64;
            for part in parts {
                cached(
                    &tx,
                    "INSERT INTO parts (job_id, part_number, etag, size) VALUES (?1, ?2, ?3, ?4)",
                    params![id.0, part.number, part.etag, part.size as i64],
                )?;
                total += part.size;
            }
            cached(
                &tx,
                "UPDATE jobs SET bytes_done = ?1, updated_at = ?2 WHERE id = ?3",
                params![total as i64, now, id.0],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The parts recorded as confirmed for a job, by number.
    pub fn parts(&self, id: JobId) -> Result<Vec<ConfirmedPart>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT part_number, etag, size FROM parts WHERE job_id = ?1 ORDER BY part_number",
            )?;
            let rows = stmt.query_map([id.0], |r| {
                Ok(ConfirmedPart {
                    number: r.get(0)?,
                    etag: r.get(1)?,
                    size: r.get::<_, i64>(2)? as u64,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Finish a job: result written, resume state and parts dropped, in one transaction.
    pub fn finish_done(
        &self,
        id: JobId,
        result: &UploadResult,
        duplicate_of: Option<JobId>,
        now: i64,
    ) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            let tx = conn.unchecked_transaction()?;
            cached(
                &tx,
                "UPDATE jobs SET state = 'done', remote_id = ?1, url = ?2, duplicate_of = ?3, \
                 bytes_done = size, resume = NULL, error_code = NULL, error_message = NULL, \
                 updated_at = ?4, links = ?6 WHERE id = ?5",
                params![
                    result.remote_id,
                    result.url,
                    duplicate_of.map(|j| j.0),
                    now,
                    id.0,
                    (!result.links.is_empty())
                        .then(|| serde_json::to_string(&result.links).unwrap_or_default()),
                ],
            )?;
            cached(&tx, "DELETE FROM parts WHERE job_id = ?1", [id.0])?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Replace a done job's stored link (`None`: links are made fresh each time, signed).
    pub fn set_url(&self, id: JobId, url: Option<&str>, now: i64) -> Result<()> {
        off_async(|| {
            cached(
                &self.conn(),
                "UPDATE jobs SET url = ?1, updated_at = ?2 WHERE id = ?3",
                params![url, now, id.0],
            )?;
            Ok(())
        })
    }

    /// Fail a job, keeping its resume state so that a retry can continue where it stopped.
    pub fn finish_failed(&self, id: JobId, error: &Error, now: i64) -> Result<()> {
        off_async(|| {
            let conn = self.conn();
            cached(
                &conn,
                "UPDATE jobs SET state = 'failed', error_code = ?1, error_message = ?2, updated_at = ?3 \
                 WHERE id = ?4",
                params![error.kind().code(), error.message(), now, id.0],
            )?;
            Ok(())
        })
    }

    /// Other done jobs whose links lead to the object `job` uploaded: its duplicates, and
    /// versions at the same key on the same target.
    pub fn sharing(&self, job: &UploadJob) -> Result<Vec<UploadJob>> {
        off_async(|| {
            let remote = job
                .result
                .as_ref()
                .map(|r| r.remote_id.clone())
                .unwrap_or_else(|| job.key.clone());
            let conn = self.conn();
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE id != ?1 AND state = 'done' \
                 AND (duplicate_of = ?1 OR (target = ?2 AND remote_id = ?3)) ORDER BY id"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![job.id.0, job.target, remote], job_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Add a notice to a job's history (kept with the job, shown with it).
    pub fn add_note(&self, id: JobId, message: &str, now: i64) -> Result<()> {
        off_async(|| {
            cached(
                &self.conn(),
                "UPDATE jobs SET notes = json_insert(COALESCE(notes, '[]'), '$[#]', \
                 json_object('at', ?1, 'message', ?2)) WHERE id = ?3",
                params![now, message, id.0],
            )?;
            Ok(())
        })
    }

    /// Put failed (or cancelled) jobs back in the queue; returns how many moved. What arrived
    /// by itself (a recording, a request's file) has no local file to send, and stays.
    pub fn requeue(&self, ids: &[JobId], now: i64) -> Result<usize> {
        off_async(|| {
            let conn = self.conn();
            let mut moved = 0;
            for id in ids {
                moved += cached(
                    &conn,
                    "UPDATE jobs SET state = 'queued', error_code = NULL, error_message = NULL, \
                     attempts = 0, updated_at = ?1 WHERE id = ?2 AND state IN ('failed','cancelled','paused') \
                     AND live_input IS NULL AND request IS NULL",
                    params![now, id.0],
                )?;
            }
            Ok(moved)
        })
    }
}

/// Insert jobs inside `tx`; their ids in order.
pub(super) fn insert_jobs(
    tx: &rusqlite::Transaction<'_>,
    jobs: &[NewJob],
    now: i64,
) -> Result<Vec<JobId>> {
    let mut ids = Vec::with_capacity(jobs.len());
    let mut stmt = tx.prepare_cached(
        "INSERT INTO jobs (batch, path, size, mtime_ns, hash, display_name, kind, \
         content_type, destination, target, object_key, state, force, created_at, updated_at, overwrite, inline, course, captions) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'queued', ?12, ?13, ?13, ?14, ?15, ?16, ?17)",
    )?;
    for job in jobs {
        stmt.execute(params![
            job.batch,
            path_text(&job.file.path),
            job.file.size as i64,
            job.file.mtime_ns,
            job.file.hash,
            job.display_name,
            job.kind.as_str(),
            job.content_type,
            job.destination,
            job.target,
            job.key,
            job.force,
            now,
            job.overwrite,
            job.inline,
            job.course,
            (!job.captions.is_empty())
                .then(|| serde_json::to_string(&job.captions).expect("captions serialize")),
        ])?;
        ids.push(JobId(tx.last_insert_rowid()));
    }
    Ok(ids)
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<UploadJob> {
    let state_text: String = row.get(12)?;
    let kind_text: String = row.get(7)?;
    let resume_text: Option<String> = row.get(15)?;
    let remote_id: Option<String> = row.get(16)?;
    let url: Option<String> = row.get(17)?;
    let error_code: Option<String> = row.get(18)?;
    let error_message: Option<String> = row.get(19)?;
    let links_text: Option<String> = row.get(24)?;
    let notes_text: Option<String> = row.get(26)?;
    let captions_text: Option<String> = row.get(29)?;
    Ok(UploadJob {
        id: JobId(row.get(0)?),
        batch: row.get(1)?,
        file: FileSnapshot {
            path: PathBuf::from(row.get::<_, String>(2)?),
            size: row.get::<_, i64>(3)? as u64,
            mtime_ns: row.get(4)?,
            hash: row.get(5)?,
        },
        display_name: row.get(6)?,
        kind: FileKind::parse(&kind_text).unwrap_or(FileKind::Other),
        content_type: row.get(8)?,
        destination: row.get(9)?,
        target: row.get(10)?,
        key: row.get(11)?,
        state: JobState::parse(&state_text).unwrap_or(JobState::Failed),
        bytes_done: row.get::<_, i64>(13)? as u64,
        attempts: row.get(14)?,
        resume: resume_text.and_then(|t| serde_json::from_str(&t).ok()),
        result: remote_id.map(|remote_id| UploadResult {
            remote_id,
            url,
            links: links_text
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
        }),
        error: error_code.map(|code| JobError {
            code,
            message: error_message.unwrap_or_default(),
        }),
        duplicate_of: row.get::<_, Option<i64>>(20)?.map(JobId),
        force: row.get(21)?,
        overwrite: row.get(25)?,
        inline: row.get(27)?,
        course: row.get(28)?,
        captions: captions_text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
        live_input: row.get(30)?,
        request: row.get(31)?,
        sender: row.get(32)?,
        prepared: row
            .get::<_, Option<String>>(33)?
            .and_then(|t| serde_json::from_str(&t).ok()),
        patches: None,
        media: row
            .get::<_, Option<String>>(34)?
            .and_then(|t| serde_json::from_str(&t).ok()),
        notes: notes_text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
        created_at: row.get(22)?,
        updated_at: row.get(23)?,
    })
}

#[cfg(test)]
mod tests;
