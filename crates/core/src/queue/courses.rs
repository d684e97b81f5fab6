//! Courses in the queue's database: their options (JSON, read and checked by
//! [`crate::course`]), and the renames that must reach the jobs and folders naming a course in
//! the same transaction.

use super::{Queue, cached, off_async};
use crate::Result;
use rusqlite::{OptionalExtension, params};

/// A course as stored: its name as written and its options' JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseRow {
    pub name: String,
    pub options: String,
}

impl Queue {
    /// Every course, by name.
    pub fn courses(&self) -> Result<Vec<CourseRow>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached("SELECT name, options FROM courses ORDER BY key")?;
            let rows = stmt.query_map([], |r| {
                Ok(CourseRow {
                    name: r.get(0)?,
                    options: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// How many jobs carry each course name, counted in one query (a course's row in the
    /// window must not cost a scan of the history per course).
    pub fn course_job_counts(&self) -> Result<std::collections::HashMap<String, usize>> {
        off_async(|| {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT course, COUNT(*) FROM jobs WHERE course IS NOT NULL GROUP BY course",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The course stored under `key` (a name folded by [`crate::course`]).
    pub fn course(&self, key: &str) -> Result<Option<CourseRow>> {
        off_async(|| {
            let conn = self.conn();
            Ok(conn
                .query_row(
                    "SELECT name, options FROM courses WHERE key = ?1",
                    [key],
                    |r| {
                        Ok(CourseRow {
                            name: r.get(0)?,
                            options: r.get(1)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    /// Store a course under `key`, replacing the one stored under `previous` (its key and name)
    /// when it is renamed: the jobs carrying the old name and the folders in `folders` (id and
    /// their options rewritten with the new name) change in the same transaction.
    pub fn save_course(
        &self,
        key: &str,
        row: &CourseRow,
        previous: Option<(&str, &str)>,
        folders: &[(i64, String)],
        now: i64,
    ) -> Result<()> {
        off_async(|| {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            if let Some((old_key, old_name)) = previous {
                cached(&tx, "DELETE FROM courses WHERE key = ?1", [old_key])?;
                cached(
                    &tx,
                    "UPDATE jobs SET course = ?1 WHERE course = ?2",
                    params![row.name, old_name],
                )?;
            }
            cached(
                &tx,
                "INSERT INTO courses (key, name, options, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(key) DO UPDATE SET name = excluded.name, options = excluded.options",
                params![key, row.name, row.options, now],
            )?;
            for (id, options) in folders {
                cached(
                    &tx,
                    "UPDATE watched_folders SET options = ?1 WHERE id = ?2",
                    params![options, id],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Forget a course (its jobs keep its name in their history); false if unknown.
    pub fn remove_course(&self, key: &str) -> Result<bool> {
        off_async(|| {
            let conn = self.conn();
            Ok(cached(&conn, "DELETE FROM courses WHERE key = ?1", [key])? > 0)
        })
    }
}
