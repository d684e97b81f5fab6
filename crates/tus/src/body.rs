//! A byte range of a local file as a streaming request body. One blocking thread reads the range
//! sequentially in [`BLOCK`]-sized pieces and hands them over a small bounded channel, so memory
//! stays at a few blocks whatever the chunk size, and reading costs no task hop per block; a
//! counter advances as blocks leave, for progress.

use bytes::Bytes;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Read size. Small blocks stay in the CPU cache (copies from the page cache into 256 KiB or
/// larger buffers measured about 3x slower); each block is one socket write, so not too small
/// either: 128 KiB measured the least system time of 32, 64 and 128 KiB.
const BLOCK: usize = 128 * 1024;
/// Blocks read ahead of the connection.
const AHEAD: usize = 8;

/// Told how many bytes were just read, answers how long to wait before reading more: the
/// caller's bandwidth limit, which this crate knows nothing else about.
pub type Pacer = Arc<dyn Fn(u64) -> std::time::Duration + Send + Sync>;

/// Shown each block as it is read, with its offset in the file (the caller hashes what it sends).
pub type Observer = Arc<dyn Fn(u64, &[u8]) + Send + Sync>;

/// `len` bytes of the file at `path`, from `offset`.
#[derive(Clone)]
pub struct FilePiece {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
    /// Advanced as bytes are handed to the connection.
    pub sent: Arc<AtomicU64>,
    pub pacer: Option<Pacer>,
    pub observer: Option<Observer>,
}

impl std::fmt::Debug for FilePiece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePiece")
            .field("path", &self.path)
            .field("offset", &self.offset)
            .field("len", &self.len)
            .field("paced", &self.pacer.is_some())
            .finish()
    }
}

/// Marks a body failure as the local file's fault, so that it is not mistaken for a network
/// error (and retried) by the caller.
#[derive(Debug)]
pub(crate) struct FileReadError(pub std::io::Error);

impl std::fmt::Display for FileReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for FileReadError {}

impl FilePiece {
    pub(crate) fn into_body(self) -> reqwest::Body {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, FileReadError>>(AHEAD);
        let sent = self.sent.clone();
        tokio::task::spawn_blocking(move || {
            let read = || -> std::io::Result<std::fs::File> {
                let mut f = open_exact(&self.path)?;
                f.seek(SeekFrom::Start(self.offset))?;
                Ok(f)
            };
            let mut file = match read() {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.blocking_send(Err(FileReadError(e)));
                    return;
                }
            };
            let mut left = self.len;
            while left > 0 {
                let want = left.min(BLOCK as u64) as usize;
                let mut buf = vec![0u8; want];
                let mut filled = 0;
                while filled < want {
                    match file.read(&mut buf[filled..]) {
                        Ok(0) => {
                            let _ = tx.blocking_send(Err(FileReadError(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "the file is shorter than when the upload started",
                            ))));
                            return;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = tx.blocking_send(Err(FileReadError(e)));
                            return;
                        }
                    }
                }
                if let Some(observer) = &self.observer {
                    observer(self.offset + (self.len - left), &buf);
                }
                left -= want as u64;
                if let Some(pacer) = &self.pacer {
                    let wait = pacer(want as u64);
                    if !wait.is_zero() {
                        std::thread::sleep(wait);
                    }
                }
                // The receiver is gone when the request was dropped: stop reading.
                if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                    return;
                }
            }
        });
        let stream = futures_util::stream::unfold(rx, move |mut rx| {
            let sent = sent.clone();
            async move {
                let item = rx.recv().await?;
                if let Ok(b) = &item {
                    sent.fetch_add(b.len() as u64, Ordering::Relaxed);
                }
                Some((item, rx))
            }
        });
        reqwest::Body::wrap_stream(stream)
    }
}

/// Open the file without following a link in its last component: the caller checked the path
/// it queued, and a file swapped for a link since is refused rather than followed.
fn open_exact(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}
