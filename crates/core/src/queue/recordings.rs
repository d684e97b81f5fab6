//! Live lessons' recordings in the queue's database: done jobs Stream made, with no local file,
//! each naming its live input (`jobs.live_input`).
//!
//! Invariant: a recording is one job, however many lookers find it at once (the session's
//! poll, the Live screen, `ferry live show`): the check and the insert share a transaction.

use super::{Queue, cached, insert_jobs, off_async};
use crate::Result;
use crate::job::{JobId, NewJob, UploadResult};
use rusqlite::{OptionalExtension, params};
use std::collections::HashSet;

impl Queue {
    /// The Stream video ids of the recordings of `live_input` already in the history.
    pub fn recorded_videos(&self, live_input: &str) -> Result<HashSet<String>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT remote_id FROM jobs WHERE live_input = ?1 AND remote_id IS NOT NULL",
            )?;
            let ids = stmt.query_map([live_input], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Put a finished recording of `live_input` in the history as a done job; `None` when it
    /// is there already.
    pub fn add_recording(
        &self,
        job: &NewJob,
        result: &UploadResult,
        live_input: &str,
        now: i64,
    ) -> Result<Option<JobId>> {
        off_async(|| {
            let conn = self.conn();
            let tx = conn.unchecked_transaction()?;
            let known: Option<i64> = tx
                .query_row(
                    "SELECT id FROM jobs WHERE live_input = ?1 AND remote_id = ?2",
                    params![live_input, result.remote_id],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_some() {
                return Ok(None);
            }
            let id = insert_jobs(&tx, std::slice::from_ref(job), now)?[0];
            cached(
                &tx,
                "UPDATE jobs SET state = 'done', remote_id = ?1, url = ?2, links = ?3, \
                 bytes_done = size, live_input = ?4 WHERE id = ?5",
                params![
                    result.remote_id,
                    result.url,
                    (!result.links.is_empty())
                        .then(|| serde_json::to_string(&result.links).unwrap_or_default()),
                    live_input,
                    id.0,
                ],
            )?;
            tx.commit()?;
            Ok(Some(id))
        })
    }
}
