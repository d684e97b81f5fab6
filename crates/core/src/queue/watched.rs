//! Watched folders and their file records, next to the jobs they produce.
//!
//! A record says "Ferry took this file at this size and mtime, with this content hash, as this
//! job". It is written in the same transaction as the job, so after any crash either both
//! exist (the file will not be taken again) or neither does (it will be) — never one alone.

use super::{Queue, cached, insert_jobs, off_async};
use crate::Result;
use crate::job::{FileSnapshot, JobId, NewJob};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A watched folder as stored: its options are JSON owned by [`crate::watch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedFolderRow {
    pub id: i64,
    pub root: PathBuf,
    pub options: String,
}

/// What Ferry last took from a file under a watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: String,
    pub job_id: Option<JobId>,
    pub deleted: bool,
    /// The remote copy of a deleted file, when the folder mirrors deletions.
    pub remote: Option<RemoteFate>,
}

/// What becomes of the remote copy of a file gone from a folder that mirrors deletions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteFate {
    /// To be deleted once the grace period has passed (if the file is still gone).
    Due,
    /// Many files went at once: waiting for the user to confirm.
    Held,
    /// The user confirmed: deleted at the next look.
    Confirmed,
    /// Deleted.
    Done,
    /// Kept, by the user's choice or because another upload still uses it.
    Kept,
}

impl RemoteFate {
    fn as_str(self) -> &'static str {
        match self {
            RemoteFate::Due => "due",
            RemoteFate::Held => "held",
            RemoteFate::Confirmed => "confirmed",
            RemoteFate::Done => "done",
            RemoteFate::Kept => "kept",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "due" => RemoteFate::Due,
            "held" => RemoteFate::Held,
            "confirmed" => RemoteFate::Confirmed,
            "done" => RemoteFate::Done,
            "kept" => RemoteFate::Kept,
            _ => return None,
        })
    }
}

/// A file gone from its folder whose remote copy still waits for its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDeletion {
    pub rel_path: String,
    pub job_id: JobId,
    /// When the file was found gone (Unix seconds).
    pub deleted_at: i64,
    pub fate: RemoteFate,
}

const RECORD_COLUMNS: &str = "size, mtime_ns, hash, job_id, deleted, remote";

fn record_from(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<FileRecord> {
    Ok(FileRecord {
        size: r.get::<_, i64>(at)? as u64,
        mtime_ns: r.get(at + 1)?,
        hash: r.get(at + 2)?,
        job_id: r.get::<_, Option<i64>>(at + 3)?.map(JobId),
        deleted: r.get(at + 4)?,
        remote: r
            .get::<_, Option<String>>(at + 5)?
            .and_then(|t| RemoteFate::parse(&t)),
    })
}

impl Queue {
    /// Add a folder, or update its options; its id.
    pub fn watch_folder(&self, root: &Path, options: &str, now: i64) -> Result<i64> {
        off_async(|| {
            let conn = self.conn();
            cached(
                &conn,
                "INSERT INTO watched_folders (root, options, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(root) DO UPDATE SET options = excluded.options",
                params![root.to_string_lossy(), options, now],
            )?;
            Ok(conn.query_row(
                "SELECT id FROM watched_folders WHERE root = ?1",
                [root.to_string_lossy()],
                |r| r.get(0),
            )?)
        })
    }

    pub fn watched_folders(&self) -> Result<Vec<WatchedFolderRow>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt =
                conn.prepare_cached("SELECT id, root, options FROM watched_folders ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                Ok(WatchedFolderRow {
                    id: r.get(0)?,
                    root: PathBuf::from(r.get::<_, String>(1)?),
                    options: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Note that folder `id` was just compared whole with its records, holding `files` files.
    pub fn set_synced(&self, id: i64, at: i64, files: usize) -> Result<()> {
        off_async(|| {
            cached(
                &self.conn(),
                "UPDATE watched_folders SET synced_at = ?1, synced_files = ?2 WHERE id = ?3",
                params![at, files as i64, id],
            )?;
            Ok(())
        })
    }

    /// When folder `id` was last compared whole, and how many files it held (`None`: never).
    pub fn synced(&self, id: i64) -> Result<Option<(i64, usize)>> {
        off_async(|| {
            let row: Option<(Option<i64>, Option<i64>)> = self
                .conn()
                .query_row(
                    "SELECT synced_at, synced_files FROM watched_folders WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(match row {
                Some((Some(at), Some(files))) => Some((at, files.max(0) as usize)),
                _ => None,
            })
        })
    }

    /// Stop watching a folder and forget its records (its jobs stay); false if unknown.
    pub fn forget_folder(&self, root: &Path) -> Result<bool> {
        off_async(|| {
            let conn = self.conn();
            let n = cached(
                &conn,
                "DELETE FROM watched_folders WHERE root = ?1",
                [root.to_string_lossy()],
            )?;
            Ok(n > 0)
        })
    }

    /// Every record of a folder, by path relative to its root.
    pub fn file_records(&self, folder_id: i64) -> Result<HashMap<String, FileRecord>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT rel_path, {RECORD_COLUMNS} FROM watched_files WHERE folder_id = ?1"
            ))?;
            let rows = stmt.query_map([folder_id], |r| {
                Ok((r.get::<_, String>(0)?, record_from(r, 1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn file_record(&self, folder_id: i64, rel_path: &str) -> Result<Option<FileRecord>> {
        off_async(|| {
            let conn = self.conn();
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {RECORD_COLUMNS} FROM watched_files WHERE folder_id = ?1 AND rel_path = ?2"
                    ),
                    params![folder_id, rel_path],
                    |r| record_from(r, 0),
                )
                .optional()?)
        })
    }

    /// In one transaction: queue `jobs` (each for a file at a relative path) and record them,
    /// and record `unchanged` files (same content, new size/mtime) without a job.
    pub fn enqueue_watched(
        &self,
        folder_id: i64,
        jobs: &[(String, NewJob)],
        unchanged: &[(String, FileSnapshot)],
        now: i64,
    ) -> Result<Vec<JobId>> {
        off_async(|| {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            let new_jobs: Vec<NewJob> = jobs.iter().map(|(_, j)| j.clone()).collect();
            let ids = insert_jobs(&tx, &new_jobs, now)?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO watched_files (folder_id, rel_path, size, mtime_ns, hash, job_id, deleted)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)
                     ON CONFLICT(folder_id, rel_path) DO UPDATE SET size = excluded.size,
                       mtime_ns = excluded.mtime_ns, hash = excluded.hash,
                       job_id = coalesce(excluded.job_id, job_id), deleted = 0,
                       deleted_at = NULL, remote = NULL",
                )?;
                for ((rel, job), id) in jobs.iter().zip(&ids) {
                    upsert.execute(params![
                        folder_id,
                        rel,
                        job.file.size as i64,
                        job.file.mtime_ns,
                        job.file.hash,
                        id.0
                    ])?;
                }
                for (rel, file) in unchanged {
                    upsert.execute(params![
                        folder_id,
                        rel,
                        file.size as i64,
                        file.mtime_ns,
                        file.hash,
                        Option::<i64>::None
                    ])?;
                }
            }
            tx.commit()?;
            Ok(ids)
        })
    }

    /// Note that a file is gone from its folder; its record (and job) are kept. When the folder
    /// mirrors deletions, its remote copy becomes due for deletion (after the grace period).
    /// Returns the record as it was.
    pub fn mark_deleted(
        &self,
        folder_id: i64,
        rel_path: &str,
        mirror: bool,
        now: i64,
    ) -> Result<Option<FileRecord>> {
        off_async(|| {
            let record = self.file_record(folder_id, rel_path)?;
            if let Some(r) = record.as_ref().filter(|r| !r.deleted) {
                let fate = (mirror && r.job_id.is_some()).then_some(RemoteFate::Due.as_str());
                cached(
                    &self.conn(),
                    "UPDATE watched_files SET deleted = 1, deleted_at = ?3, remote = ?4 \
                     WHERE folder_id = ?1 AND rel_path = ?2",
                    params![folder_id, rel_path, now, fate],
                )?;
            }
            Ok(record)
        })
    }

    /// Remote copies of a folder's gone files whose fate is one of `fates`.
    pub fn pending_deletions(
        &self,
        folder_id: i64,
        fates: &[RemoteFate],
    ) -> Result<Vec<PendingDeletion>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT rel_path, job_id, coalesce(deleted_at, 0), remote FROM watched_files \
                 WHERE folder_id = ?1 AND deleted = 1 AND job_id IS NOT NULL AND remote IS NOT NULL \
                 ORDER BY rel_path",
            )?;
            let rows = stmt.query_map([folder_id], |r| {
                Ok(PendingDeletion {
                    rel_path: r.get(0)?,
                    job_id: JobId(r.get(1)?),
                    deleted_at: r.get(2)?,
                    fate: RemoteFate::parse(&r.get::<_, String>(3)?).unwrap_or(RemoteFate::Kept),
                })
            })?;
            let all: Vec<PendingDeletion> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(all
                .into_iter()
                .filter(|d| fates.contains(&d.fate))
                .collect())
        })
    }

    /// Set the fate of gone files' remote copies: `to` for those now `from`, or for the one at
    /// `rel_path`. Returns how many changed.
    pub fn set_remote_fate(
        &self,
        folder_id: i64,
        rel_path: Option<&str>,
        from: &[RemoteFate],
        to: RemoteFate,
    ) -> Result<usize> {
        off_async(|| {
            let conn = self.conn();
            let mut n = 0;
            for f in from {
                n += cached(
                    &conn,
                    "UPDATE watched_files SET remote = ?3 WHERE folder_id = ?1 AND deleted = 1 \
                     AND remote = ?2 AND (?4 IS NULL OR rel_path = ?4)",
                    params![folder_id, f.as_str(), to.as_str(), rel_path],
                )?;
            }
            Ok(n)
        })
    }

    /// How many files of a folder Ferry knows, gone or not.
    pub fn record_count(&self, folder_id: i64) -> Result<usize> {
        off_async(|| {
            Ok(self.conn().query_row(
                "SELECT count(*) FROM watched_files WHERE folder_id = ?1",
                [folder_id],
                |r| r.get::<_, i64>(0),
            )? as usize)
        })
    }
}
