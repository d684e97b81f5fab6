//! Migrations of the queue database, applied in order and recorded in `PRAGMA user_version`.
//! A migration is never edited once released; a change is a new entry.

use crate::{Error, ErrorKind, Result};
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: jobs and their confirmed multipart parts.
    "CREATE TABLE jobs (
        id            INTEGER PRIMARY KEY,
        batch         TEXT NOT NULL,
        path          TEXT NOT NULL,
        size          INTEGER NOT NULL,
        mtime_ns      INTEGER NOT NULL,
        hash          TEXT NOT NULL,
        display_name  TEXT NOT NULL,
        kind          TEXT NOT NULL,
        content_type  TEXT NOT NULL,
        destination   TEXT NOT NULL,
        target        TEXT NOT NULL,
        object_key    TEXT NOT NULL,
        state         TEXT NOT NULL,
        bytes_done    INTEGER NOT NULL DEFAULT 0,
        attempts      INTEGER NOT NULL DEFAULT 0,
        resume        TEXT,
        remote_id     TEXT,
        url           TEXT,
        error_code    TEXT,
        error_message TEXT,
        duplicate_of  INTEGER REFERENCES jobs(id),
        force         INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    );
    CREATE INDEX jobs_state ON jobs(state);
    CREATE INDEX jobs_content ON jobs(hash, target);
    CREATE INDEX jobs_path ON jobs(path);
    CREATE TABLE parts (
        job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        part_number INTEGER NOT NULL,
        etag        TEXT NOT NULL,
        size        INTEGER NOT NULL,
        PRIMARY KEY (job_id, part_number)
    ) WITHOUT ROWID;",
    // 2: named links of a result (Stream's HLS, DASH, iframe, thumbnail; image variants).
    "ALTER TABLE jobs ADD COLUMN links TEXT;",
    // 3: watched folders, and what Ferry last took from each file in them.
    "CREATE TABLE watched_folders (
        id         INTEGER PRIMARY KEY,
        root       TEXT NOT NULL UNIQUE,
        options    TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE watched_files (
        folder_id INTEGER NOT NULL REFERENCES watched_folders(id) ON DELETE CASCADE,
        rel_path  TEXT NOT NULL,
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL,
        hash      TEXT NOT NULL,
        job_id    INTEGER,
        deleted   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (folder_id, rel_path)
    ) WITHOUT ROWID;",
    // 4: jobs that replace the object at their key (a watched folder set to overwrite).
    "ALTER TABLE jobs ADD COLUMN overwrite INTEGER NOT NULL DEFAULT 0;",
    // 5: a job's history of notices (an upload the server lost, started again…), a JSON array
    // of {at, message}.
    "ALTER TABLE jobs ADD COLUMN notes TEXT;",
    // 6: what happens to the remote copy of a file gone from a mirroring folder: 'due' (after
    // the grace period), 'held' (too many at once: waiting for the user), 'confirmed', 'done'
    // (deleted), 'kept'; and when the file was found gone.
    "ALTER TABLE watched_files ADD COLUMN deleted_at INTEGER;
     ALTER TABLE watched_files ADD COLUMN remote TEXT;",
    // 7: markup (HTML, SVG, XML) a route chose to serve inline rather than as a download.
    "ALTER TABLE jobs ADD COLUMN inline INTEGER NOT NULL DEFAULT 0;",
    // 8: courses (by their name folded to lower case; options as JSON), and the course each
    // job was added to (its name; none for jobs from before courses).
    "CREATE TABLE courses (
        key        TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        options    TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    ALTER TABLE jobs ADD COLUMN course TEXT;
    CREATE INDEX jobs_course ON jobs(course);",
    // 9: when a watched folder was last compared whole with what Ferry took, and how many
    // files it held then (shown on the folder after a restart, before the next look).
    "ALTER TABLE watched_folders ADD COLUMN synced_at INTEGER;
     ALTER TABLE watched_folders ADD COLUMN synced_files INTEGER;",
    // 10: caption files that travel with a video (a JSON array of {path, language}), added to
    // the video's captions once the video service has it ready.
    "ALTER TABLE jobs ADD COLUMN captions TEXT;",
    // 11: a live lesson's recording kept in the history (no local file): the live input's uid.
    "ALTER TABLE jobs ADD COLUMN live_input TEXT;
     CREATE INDEX jobs_live ON jobs(live_input) WHERE live_input IS NOT NULL;",
    // 12: upload requests (their spec as JSON; no credential: the page carries them), and the
    // request each arrival came through.
    "CREATE TABLE requests (
        id         TEXT PRIMARY KEY,
        spec       TEXT NOT NULL,
        page       TEXT,
        link       TEXT,
        created_at INTEGER NOT NULL,
        closed_at  INTEGER
    );",
    // 13: what arrived through an upload request (the request's id) and who sent it.
    "ALTER TABLE jobs ADD COLUMN request TEXT;
     ALTER TABLE jobs ADD COLUMN sender TEXT;
     CREATE INDEX jobs_request ON jobs(request) WHERE request IS NOT NULL;",
    // 14: what preparing the file removed before it was sent (JSON, `prepare::Prepared`), and
    // what a video is, read before sending it (JSON, `prepare::VideoFacts`).
    "ALTER TABLE jobs ADD COLUMN prepared TEXT;
     ALTER TABLE jobs ADD COLUMN media TEXT;",
];

/// Bring the database to the newest schema. Two processes may open it at once (the window and
/// a `ferry` command, on a fresh install or after an update): each step takes the write lock
/// first (`BEGIN IMMEDIATE`) and reads the version under it, so a step another process has
/// just made is never made twice.
pub fn migrate(conn: &Connection) -> Result<()> {
    let version = schema_version(conn)?;
    if version > MIGRATIONS.len() {
        return Err(Error::new(
            ErrorKind::Queue,
            format!(
                "the job database was written by a newer Ferry (schema {version}, this one knows {}); update Ferry",
                MIGRATIONS.len()
            ),
        ));
    }
    if version == MIGRATIONS.len() {
        return Ok(());
    }
    loop {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let step = (|| {
            let now = schema_version(conn)?;
            let Some(sql) = MIGRATIONS.get(now) else {
                return Ok(false);
            };
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", (now + 1) as i64)?;
            Ok::<_, Error>(true)
        })();
        match step {
            Ok(more) => {
                conn.execute_batch("COMMIT")?;
                if !more {
                    return Ok(());
                }
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
}

fn schema_version(conn: &Connection) -> Result<usize> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(version.max(0) as usize)
}
