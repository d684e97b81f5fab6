//! Watched folders and their file records, next to the jobs they produce.
//!
//! A record says "Ferry took this file at this size and mtime, with this content hash, as this
//! job". It is written in the same transaction as the job, so after any crash either both
//! exist (the file will not be taken again) or neither does (it will be) — never one alone.

use super::{Queue, insert_jobs};
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
}

impl Queue {
    /// Add a folder, or update its options; its id.
    pub fn watch_folder(&self, root: &Path, options: &str, now: i64) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO watched_folders (root, options, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(root) DO UPDATE SET options = excluded.options",
            params![root.to_string_lossy(), options, now],
        )?;
        Ok(conn.query_row(
            "SELECT id FROM watched_folders WHERE root = ?1",
            [root.to_string_lossy()],
            |r| r.get(0),
        )?)
    }

    pub fn watched_folders(&self) -> Result<Vec<WatchedFolderRow>> {
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
    }

    /// Stop watching a folder and forget its records (its jobs stay); false if unknown.
    pub fn forget_folder(&self, root: &Path) -> Result<bool> {
        let conn = self.conn();
        let n = conn.execute(
            "DELETE FROM watched_folders WHERE root = ?1",
            [root.to_string_lossy()],
        )?;
        Ok(n > 0)
    }

    /// Every record of a folder, by path relative to its root.
    pub fn file_records(&self, folder_id: i64) -> Result<HashMap<String, FileRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT rel_path, size, mtime_ns, hash, job_id, deleted FROM watched_files WHERE folder_id = ?1",
        )?;
        let rows = stmt.query_map([folder_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                FileRecord {
                    size: r.get::<_, i64>(1)? as u64,
                    mtime_ns: r.get(2)?,
                    hash: r.get(3)?,
                    job_id: r.get::<_, Option<i64>>(4)?.map(JobId),
                    deleted: r.get(5)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn file_record(&self, folder_id: i64, rel_path: &str) -> Result<Option<FileRecord>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT size, mtime_ns, hash, job_id, deleted FROM watched_files WHERE folder_id = ?1 AND rel_path = ?2",
                params![folder_id, rel_path],
                |r| {
                    Ok(FileRecord {
                        size: r.get::<_, i64>(0)? as u64,
                        mtime_ns: r.get(1)?,
                        hash: r.get(2)?,
                        job_id: r.get::<_, Option<i64>>(3)?.map(JobId),
                        deleted: r.get(4)?,
                    })
                },
            )
            .optional()?)
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
                   job_id = coalesce(excluded.job_id, job_id), deleted = 0",
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
    }

    /// Note that a file is gone from its folder; its record (and job) are kept.
    pub fn mark_deleted(&self, folder_id: i64, rel_path: &str) -> Result<Option<FileRecord>> {
        let record = self.file_record(folder_id, rel_path)?;
        if record.as_ref().is_some_and(|r| !r.deleted) {
            self.conn().execute(
                "UPDATE watched_files SET deleted = 1 WHERE folder_id = ?1 AND rel_path = ?2",
                params![folder_id, rel_path],
            )?;
        }
        Ok(record)
    }
}
