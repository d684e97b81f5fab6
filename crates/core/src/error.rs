//! The one public error type of the engine.
//!
//! Every failure that leaves ferry-core is an [`Error`] with a [`ErrorKind`] that says what went
//! wrong in domain terms, a message a person can act on (it names the file and what to do), and a
//! retry verdict. Destinations keep their own private error types and map them here once; callers
//! branch on the kind, never on message text.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What went wrong, in terms a caller can branch on. The set grows only when a caller needs to
/// tell a new case apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A local file or a remote object/bucket does not exist.
    NotFound,
    /// The credentials were refused (wrong or expired keys, bad signature).
    Unauthenticated,
    /// The credentials are valid but lack a permission.
    PermissionDenied,
    /// The server asked us to slow down (HTTP 429, SlowDown, 503).
    RateLimited,
    /// The file is larger than the destination accepts.
    TooLarge,
    /// The destination does not accept this kind of file.
    UnsupportedType,
    /// A precondition failed: the file changed while uploading, an object already exists.
    Precondition,
    /// The connection failed or was reset.
    Network,
    /// The server or the connection took too long.
    Timeout,
    /// The server failed (HTTP 5xx).
    Server,
    /// Settings or environment are incomplete or contradictory.
    InvalidConfig,
    /// Bad input from the user (a directory where a file is expected, an empty path…).
    InvalidInput,
    /// A local I/O failure (permissions, disk full).
    Io,
    /// The job database failed.
    Queue,
    /// The server's reply broke the protocol (malformed XML, missing fields).
    Protocol,
    /// The job was cancelled by the user.
    Cancelled,
    /// The server no longer holds an unfinished upload, or refuses to assemble the parts it
    /// confirmed (S3's NoSuchUpload, InvalidPart; an upload a store aborted by itself): the
    /// same request will never succeed, but the file can be sent again from its first byte.
    UploadLost,
    /// The server does not offer the operation at all (HTTP 501, S3's NotImplemented): asking
    /// again will not change that.
    NotSupported,
}

impl ErrorKind {
    /// A short stable code for machines (`--json` output, the UI's `{code, message}`).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::UnsupportedType => "unsupported_type",
            ErrorKind::Precondition => "precondition",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Server => "server",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Io => "io",
            ErrorKind::Queue => "queue",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::UploadLost => "upload_lost",
            ErrorKind::NotSupported => "not_supported",
        }
    }

    /// Whether trying the same operation again later may succeed.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Server
        )
    }
}

/// An engine error: a kind, a human message, an optional server-requested delay, and the
/// lower-level error it came from (kept for logs and debugging; decisions read the kind).
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retry_after: Option<Duration>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// Two errors are the same when they say the same thing; where they came from does not count.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        (self.kind, &self.message, self.retry_after)
            == (other.kind, &other.message, other.retry_after)
    }
}

impl Eq for Error {}

/// Debug output shows the source as text, never its `Debug` form: a library's debug output can
/// hold a whole reply, headers and all.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(delay) = self.retry_after {
            d.field("retry_after", &delay);
        }
        if let Some(source) = &self.source {
            d.field("source", &format_args!("{source}"));
        }
        d.finish()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            retry_after: None,
            source: None,
        }
    }

    /// Keep the error this one was mapped from.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Attach the delay a server asked for (HTTP `Retry-After`).
    pub fn with_retry_after(mut self, delay: Option<Duration>) -> Self {
        self.retry_after = delay;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    pub fn is_temporary(&self) -> bool {
        self.kind.is_temporary()
    }

    /// Prefix the message with context (usually the file), keeping kind and delay.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// Append a sentence to the message.
    pub fn note(mut self, extra: impl fmt::Display) -> Self {
        self.message = format!("{}; {extra}", self.message);
        self
    }

    /// The job database cannot be read. Ferry never replaces it on its own: the user moves the
    /// file aside (what was uploaded stays uploaded; only the queue's record is set apart).
    pub fn damaged_queue(detail: impl fmt::Display) -> Self {
        Error::new(
            ErrorKind::Queue,
            format!(
                "the job database is damaged ({detail}); move ferry.db aside (it is in FERRY_HOME or \
                 Ferry's data folder) and Ferry starts a new queue; files already uploaded stay uploaded"
            ),
        )
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidConfig, message)
    }

    pub fn input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }

    /// Map a local I/O error on `path` to an error that says what to do.
    pub fn from_io(path: &std::path::Path, err: &std::io::Error) -> Self {
        let source = std::io::Error::new(err.kind(), err.to_string());
        Error::io_message(path, err).with_source(source)
    }

    fn io_message(path: &std::path::Path, err: &std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let shown = path.display();
        match err.kind() {
            K::NotFound => Error::new(
                ErrorKind::NotFound,
                format!("{shown}: file not found; check the path, or it was moved or deleted"),
            ),
            K::PermissionDenied => Error::new(
                ErrorKind::Io,
                format!("{shown}: permission denied; make the file readable by your user"),
            ),
            K::StorageFull => Error::new(
                ErrorKind::Io,
                format!("{shown}: the disk is full; free some space and retry"),
            ),
            K::IsADirectory => Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{shown}: is a folder where a file was expected; add the folder itself or a file in it"
                ),
            ),
            #[cfg(unix)]
            _ if err.raw_os_error() == Some(libc::ELOOP) => Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{shown}: its symbolic links lead in a circle; point the link at a real file"
                ),
            ),
            _ => Error::new(ErrorKind::Io, format!("{shown}: {err}")),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        let mapped = Error::from_sqlite(&err);
        mapped.with_source(err)
    }
}

impl Error {
    fn from_sqlite(err: &rusqlite::Error) -> Self {
        match err {
            rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::DiskFull => {
                Error::new(
                    ErrorKind::Queue,
                    "the job database could not be written: the disk is full; free some space and retry",
                )
            }
            rusqlite::Error::SqliteFailure(e, _)
                if e.code == rusqlite::ErrorCode::NotADatabase
                    || e.code == rusqlite::ErrorCode::DatabaseCorrupt =>
            {
                Error::damaged_queue("not a valid database")
            }
            _ => Error::new(ErrorKind::Queue, format!("job database error: {err}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_kinds_are_exactly_the_transient_ones() {
        let temporary: Vec<_> = [
            ErrorKind::NotFound,
            ErrorKind::Unauthenticated,
            ErrorKind::RateLimited,
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::Server,
            ErrorKind::Precondition,
            ErrorKind::Protocol,
        ]
        .into_iter()
        .filter(|k| k.is_temporary())
        .collect();
        assert_eq!(
            temporary,
            vec![
                ErrorKind::RateLimited,
                ErrorKind::Network,
                ErrorKind::Timeout,
                ErrorKind::Server
            ]
        );
    }

    #[test]
    fn io_errors_name_the_file_and_the_remedy() {
        let path = std::path::Path::new("/tmp/course/intro.pdf");
        let err = Error::from_io(
            path,
            &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("intro.pdf"), "{err}");
        assert!(err.message().contains("readable"), "{err}");
        #[cfg(unix)]
        {
            let looped = Error::from_io(path, &std::io::Error::from_raw_os_error(libc::ELOOP));
            assert_eq!(looped.kind(), ErrorKind::InvalidInput);
            assert!(
                looped
                    .message()
                    .contains("intro.pdf: its symbolic links lead in a circle"),
                "{looped}"
            );
        }
    }

    #[test]
    fn errors_keep_their_source_and_compare_by_what_they_say() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "EACCES");
        let err = Error::from_io(std::path::Path::new("/tmp/a.pdf"), &io);
        assert_eq!(
            err.source().map(|s| s.to_string()).as_deref(),
            Some("EACCES")
        );
        let plain = Error::new(err.kind(), err.message());
        assert_eq!(err, plain, "the source is not part of what an error says");
    }
}
