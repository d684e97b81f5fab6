//! Upload requests in the queue's database: each request's spec (JSON, read and checked by
//! [`crate::request`]), where its page went, and when it was closed. No credential is stored:
//! the page carries them.

use super::{Queue, cached, off_async};
use crate::request::UploadRequest;
use crate::{Error, ErrorKind, Result};
use rusqlite::{OptionalExtension, Row, params};
use std::path::PathBuf;

const COLUMNS: &str = "id, spec, page, link, created_at, closed_at";

impl Queue {
    pub fn add_request(&self, request: &UploadRequest) -> Result<()> {
        off_async(|| {
            let spec = serde_json::to_string(&request.spec).expect("a request spec serializes");
            cached(
                &self.conn(),
                "INSERT INTO requests (id, spec, page, link, created_at, closed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    request.id,
                    spec,
                    request
                        .page
                        .as_ref()
                        .map(|p| p.to_string_lossy().into_owned()),
                    request.link,
                    request.created_at,
                    request.closed_at,
                ],
            )?;
            Ok(())
        })
    }

    /// Every request, newest first.
    pub fn requests(&self) -> Result<Vec<UploadRequest>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM requests ORDER BY created_at DESC, id"
            ))?;
            let rows = stmt.query_map([], request_of)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .collect()
        })
    }

    pub fn request(&self, id: &str) -> Result<Option<UploadRequest>> {
        off_async(|| {
            let conn = self.conn();
            let found = conn
                .prepare_cached(&format!("SELECT {COLUMNS} FROM requests WHERE id = ?1"))?
                .query_row([id], request_of)
                .optional()?;
            found.transpose()
        })
    }

    /// Mark a request closed at `now` (its page is removed by the caller); `false` when it was
    /// closed already or does not exist.
    pub fn close_request(&self, id: &str, now: i64) -> Result<bool> {
        off_async(|| {
            let n = cached(
                &self.conn(),
                "UPDATE requests SET closed_at = ?1 WHERE id = ?2 AND closed_at IS NULL",
                params![now, id],
            )?;
            Ok(n == 1)
        })
    }
}

/// A row as a request; a spec this Ferry cannot read is an error naming the request.
fn request_of(row: &Row<'_>) -> rusqlite::Result<Result<UploadRequest>> {
    let id: String = row.get(0)?;
    let spec: String = row.get(1)?;
    let page: Option<String> = row.get(2)?;
    Ok(match serde_json::from_str(&spec) {
        Ok(spec) => Ok(UploadRequest {
            spec,
            page: page.map(PathBuf::from),
            link: row.get(3)?,
            created_at: row.get(4)?,
            closed_at: row.get(5)?,
            id,
        }),
        Err(e) => Err(Error::new(
            ErrorKind::Queue,
            format!("upload request {id} cannot be read ({e}); update Ferry"),
        )),
    })
}
