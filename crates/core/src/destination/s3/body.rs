//! A request body that streams a byte range of a file from disk.
//!
//! At most one read buffer is alive per body, whatever the range's size, so memory is bounded by
//! the number of parts in flight. Bytes are counted as they are handed to the connection, for
//! progress. If the file ends before the range does (it was truncated mid-upload), the body
//! fails instead of sending a short part.

use crate::destination::FileRange;
use bytes::BytesMut;
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::poll_read_buf;

/// A 64 KiB buffer stays in the CPU cache; copies from the page cache into it measured about
/// 3x faster than into 256 KiB or more.
const READ_CHUNK: usize = 64 * 1024;

pub struct FileRangeBody {
    file: tokio::fs::File,
    remaining: u64,
    range: FileRange,
    /// One buffer for the life of the body: each chunk is split off it, and `reserve` takes the
    /// space back once the connection has written (and dropped) the previous chunk, so a long
    /// upload does not allocate a new buffer per chunk.
    buf: BytesMut,
    /// When the bandwidth limit says so, the next chunk waits for this.
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl FileRangeBody {
    pub async fn open(range: FileRange) -> io::Result<Self> {
        let path = range.path.clone();
        let std_file = tokio::task::spawn_blocking(move || crate::fileinfo::open_exact(&path))
            .await
            .map_err(io::Error::other)??;
        let mut file = tokio::fs::File::from_std(std_file);
        file.seek(io::SeekFrom::Start(range.offset)).await?;
        let buf = BytesMut::with_capacity(READ_CHUNK.min(range.len as usize).max(1));
        Ok(FileRangeBody {
            file,
            remaining: range.len,
            range,
            buf,
            wait: None,
        })
    }
}

impl Body for FileRangeBody {
    type Data = bytes::Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        if let Some(wait) = this.wait.as_mut() {
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.wait = None;
        }
        let want = this.remaining.min(READ_CHUNK as u64);
        if this.buf.is_empty() {
            this.buf.reserve(want as usize);
        }
        let mut limited = (&mut this.file).take(want);
        match poll_read_buf(Pin::new(&mut limited), cx, &mut this.buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(0)) => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} ended early: the file was truncated while uploading",
                    this.range.path.display()
                ),
            )))),
            Poll::Ready(Ok(_)) => {
                let mut chunk = this.buf.split();
                let at = this.range.offset + (this.range.len - this.remaining);
                this.range.deliver(at, &mut chunk[..]);
                let chunk = chunk.freeze();
                this.remaining -= chunk.len() as u64;
                this.range
                    .sent
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                // Pay for this chunk by waiting before the next one.
                if let Some(pace) = &this.range.pace {
                    let wait = pace.delay(chunk.len() as u64);
                    if !wait.is_zero() {
                        this.wait = Some(Box::pin(tokio::time::sleep(wait)));
                    }
                }
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
