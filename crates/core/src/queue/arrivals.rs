//! What arrives without a local file, in the queue's database: a live lesson's recordings
//! (`jobs.live_input`) and what people sent through an upload request (`jobs.request`, with
//! the sender's name in `jobs.sender`). Each is a done job from birth.
//!
//! Invariant: an arrival is one job, however many lookers find it at once (the session's poll,
//! the Live screen, `ferry live show`, `ferry request show`): the check and the insert share a
//! transaction.

use super::{Queue, cached, insert_jobs, off_async};
use crate::Result;
use crate::job::{JobId, NewJob, UploadResult};
use rusqlite::{OptionalExtension, params};
use std::collections::HashSet;

/// Where a remote arrival came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// A live lesson's recording (the live input's id).
    Live(&'a str),
    /// Sent through an upload request, by the sender named if known.
    Request {
        id: &'a str,
        sender: Option<&'a str>,
    },
}

impl Origin<'_> {
    /// The column naming the origin, and its value.
    fn column(&self) -> (&'static str, &str) {
        match self {
            Origin::Live(id) => ("live_input", id),
            Origin::Request { id, .. } => ("request", id),
        }
    }
}

impl Queue {
    /// The remote ids already in the history from `origin` (its sender aside).
    pub fn arrived(&self, origin: Origin<'_>) -> Result<HashSet<String>> {
        off_async(|| {
            let (column, value) = origin.column();
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT remote_id FROM jobs WHERE {column} = ?1 AND remote_id IS NOT NULL"
            ))?;
            let ids = stmt.query_map([value], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The jobs that came through request `id`, oldest first (by the `jobs_request` index, not
    /// a read of the whole history: the Requests screen asks for each card every 30 s).
    pub fn request_jobs(&self, id: &str) -> Result<Vec<crate::job::UploadJob>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {} FROM jobs WHERE request = ?1 ORDER BY id",
                super::JOB_COLUMNS
            ))?;
            let rows = stmt.query_map([id], super::job_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Put a finished arrival from `origin` in the history as a done job; `None` when it is
    /// there already.
    pub fn add_arrival(
        &self,
        job: &NewJob,
        result: &UploadResult,
        origin: Origin<'_>,
        now: i64,
    ) -> Result<Option<JobId>> {
        off_async(|| {
            let (column, value) = origin.column();
            let sender = match origin {
                Origin::Request { sender, .. } => sender,
                Origin::Live(_) => None,
            };
            let conn = self.conn();
            let tx = conn.unchecked_transaction()?;
            let known: Option<i64> = tx
                .query_row(
                    &format!("SELECT id FROM jobs WHERE {column} = ?1 AND remote_id = ?2"),
                    params![value, result.remote_id],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_some() {
                return Ok(None);
            }
            let id = insert_jobs(&tx, std::slice::from_ref(job), now)?[0];
            cached(
                &tx,
                &format!(
                    "UPDATE jobs SET state = 'done', remote_id = ?1, url = ?2, links = ?3, \
                     bytes_done = size, {column} = ?4, sender = ?5 WHERE id = ?6"
                ),
                params![
                    result.remote_id,
                    result.url,
                    (!result.links.is_empty())
                        .then(|| serde_json::to_string(&result.links).unwrap_or_default()),
                    value,
                    sender,
                    id.0,
                ],
            )?;
            tx.commit()?;
            Ok(Some(id))
        })
    }
}
