//! The full test of a destination ("Run a full test", `ferry check --deep`): what a teacher's
//! first real upload does, on a few small files of Ferry's own, then undone. For each kind:
//! - Images: a 1 KB PNG stored under `ferry-check/…`, its delivery URL fetched (the bytes
//!   compared when the service hands the original back; Cloudflare may re-encode a variant, so
//!   then an image answer is what counts), then deleted;
//! - Stream (any tus video store): a 6 MiB video sent over tus in two chunks with the server's
//!   offset asked in between (a resume), processed until playable, its playback manifest
//!   fetched, then deleted;
//! - objects (R2, S3, GCS): a small text object under `ferry-check/`, its link fetched and the
//!   bytes compared, then deleted.
//!
//! Invariant: every step prints one [`CheckLine`] naming what to fix; whatever was created is
//! deleted again, even when a later step failed. Nothing the user uploaded is touched: every
//! key and id is new and under `ferry-check/`.

use crate::destination::cloudflare::CheckLine;
use crate::destination::{
    Destination, FileRange, ImageSpec, ImageStore, ObjectSpec, ObjectStore, Processing, VideoSpec,
    VideoStore,
};
use crate::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

/// A 2-second 160×90 H.264 clip (made with ffmpeg's test source), padded to [`VIDEO_BYTES`]
/// with an MP4 `free` box, which players and encoders skip.
const CLIP: &[u8] = include_bytes!("../../assets/round-trip.mp4");
/// A 64×48 PNG.
const PNG: &[u8] = include_bytes!("../../assets/round-trip.png");
/// Enough for two tus chunks under Stream's 5 MiB minimum chunk.
const VIDEO_BYTES: u64 = 6 * 1024 * 1024;
/// The longest a delivery answer read here may be.
const FETCH_CAP: usize = 16 << 20;

/// How long to wait for a video to become playable before saying so.
#[derive(Debug, Clone, Copy)]
pub struct RoundTripOptions {
    pub processing_timeout: Duration,
}

impl Default for RoundTripOptions {
    fn default() -> Self {
        RoundTripOptions {
            processing_timeout: Duration::from_secs(300),
        }
    }
}

/// Upload, fetch and delete a small file on `dest`; one line per step.
pub async fn round_trip(dest: &Destination, options: RoundTripOptions) -> Vec<CheckLine> {
    let work = match Scratch::new() {
        Ok(w) => w,
        Err(e) => {
            return vec![fail(
                format!("{}: preparing the test files", dest.name()),
                &e,
            )];
        }
    };
    let tag = format!("{:08x}", fastrand::u32(..));
    match dest {
        Destination::Images(d) => images(d.as_ref(), &work, &tag).await,
        Destination::Videos(d) => videos(d.as_ref(), &work, &tag, options).await,
        Destination::Objects(d) => objects(d.as_ref(), &work, &tag).await,
    }
}

fn pass(what: String, detail: impl Into<String>) -> CheckLine {
    CheckLine {
        what,
        ok: true,
        detail: detail.into(),
    }
}

fn fail(what: String, e: &Error) -> CheckLine {
    CheckLine {
        what,
        ok: false,
        detail: e.message().to_string(),
    }
}

fn range(path: &Path, offset: u64, len: u64) -> FileRange {
    FileRange::new(path, offset, len, &Arc::new(AtomicU64::new(0)))
}

async fn images(d: &dyn ImageStore, work: &Scratch, tag: &str) -> Vec<CheckLine> {
    let name = d.name().to_string();
    let path = match work.write("round-trip.png", PNG) {
        Ok(p) => p,
        Err(e) => return vec![fail(format!("{name}: preparing the test image"), &e)],
    };
    let spec = ImageSpec {
        id: d
            .custom_ids()
            .then(|| format!("ferry-check/{tag}/round-trip.png")),
        file_name: "round-trip.png".into(),
        content_type: "image/png".into(),
        hash: format!("ferry-check-{tag}"),
    };
    let mut lines = Vec::new();
    let stored = match d.upload(&spec, range(&path, 0, PNG.len() as u64)).await {
        Ok(s) => s,
        Err(e) => {
            lines.push(fail(format!("{name}: upload a small image"), &e));
            return lines;
        }
    };
    lines.push(pass(
        format!("{name}: upload a small image"),
        format!("stored as {}", stored.id),
    ));
    lines.push(
        match fetch_after(|| d.url(&stored.id, Duration::from_secs(600))).await {
            Ok((_, bytes, _)) if bytes == PNG => pass(
                format!("{name}: open the delivery link"),
                "the same bytes came back",
            ),
            Ok((_, bytes, Some(kind))) if kind.starts_with("image/") => pass(
                format!("{name}: open the delivery link"),
                format!(
                    "the link serves the image ({kind}, {} bytes; the variant is re-encoded, so its bytes differ)",
                    bytes.len()
                ),
            ),
            Ok((url, _, kind)) => fail(
                format!("{name}: open the delivery link"),
                &Error::protocol(format!(
                    "{} answered with {} instead of the image; check the variant's settings",
                    host(&url),
                    kind.unwrap_or_else(|| "no content type".into())
                )),
            ),
            Err(e) => fail(format!("{name}: open the delivery link"), &e),
        },
    );
    lines.push(match d.delete(&stored.id).await {
        Ok(()) => pass(format!("{name}: delete it"), "deleted"),
        Err(e) => fail(format!("{name}: delete it"), &e),
    });
    lines
}

async fn videos(
    d: &dyn VideoStore,
    work: &Scratch,
    tag: &str,
    options: RoundTripOptions,
) -> Vec<CheckLine> {
    let name = d.name().to_string();
    let step = |s: &str| format!("{name}: {s}");
    let path = match work.padded_clip("round-trip.mp4") {
        Ok(p) => p,
        Err(e) => return vec![fail(step("preparing the test video"), &e)],
    };
    let spec = VideoSpec {
        name: format!("Ferry full test {tag}"),
        size: VIDEO_BYTES,
        hash: format!("ferry-check-{tag}"),
        file_name: "round-trip.mp4".into(),
        content_type: "video/mp4".into(),
        course: None,
        max_duration_seconds: None,
    };
    let mut lines = Vec::new();
    let upload = match d.create(&spec).await {
        Ok(u) => u,
        Err(e) => {
            lines.push(fail(step("start a resumable upload"), &e));
            return lines;
        }
    };
    let sent = send_in_two(d, &upload.upload_url, &path).await;
    let sent_ok = sent.is_ok();
    lines.push(match sent {
        Ok(resumed_at) => pass(
            step("send a 6 MiB video in two chunks"),
            format!("every byte arrived; the second chunk resumed from the server's offset ({resumed_at} bytes)"),
        ),
        Err(e) => fail(step("send a 6 MiB video in two chunks"), &e),
    });
    if sent_ok && d.processes() {
        lines.push(match wait_ready(d, &upload.media_id, options).await {
            Ok(waited) => pass(
                step("wait until it plays"),
                format!("ready to stream after {} s", waited.as_secs()),
            ),
            Err(e) => fail(step("wait until it plays"), &e),
        });
    }
    if d.processes() && lines.iter().all(|l| l.ok) {
        lines.push(
            match fetch_after(|| d.url(&upload.media_id, Duration::from_secs(600))).await {
                Ok((_, bytes, _)) if bytes.starts_with(b"#EXTM3U") => {
                    pass(step("open the playback link"), "the HLS manifest is served")
                }
                Ok((url, _, kind)) => fail(
                    step("open the playback link"),
                    &Error::protocol(format!(
                        "{} answered with {} instead of an HLS manifest",
                        host(&url),
                        kind.unwrap_or_else(|| "no content type".into())
                    )),
                ),
                Err(e) => fail(step("open the playback link"), &e),
            },
        );
    }
    let removed = if d.processes() {
        d.delete(&upload.media_id).await
    } else {
        d.abandon(&upload).await
    };
    lines.push(match removed {
        Ok(()) => pass(step("delete it"), "deleted"),
        Err(e) if e.kind() == ErrorKind::NotFound => pass(step("delete it"), "already gone"),
        Err(e) => fail(step("delete it"), &e),
    });
    lines
}

/// Send the file in two chunks the store's rules allow, asking the server's offset before the
/// second (as a resume after a crash would); returns that offset.
async fn send_in_two(d: &dyn VideoStore, upload_url: &str, path: &Path) -> Result<u64> {
    // 5 MiB chunks: Stream's smallest non-final chunk, so 6 MiB makes exactly two.
    let policy = d.chunks().preferring(5 * 1024 * 1024);
    let first = policy.chunk_len(0, VIDEO_BYTES);
    let after_first = d.send(upload_url, 0, range(path, 0, first)).await?;
    let resumed_at = d.offset(upload_url).await?.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            "the server forgot the upload between two chunks",
        )
    })?;
    if resumed_at != after_first {
        return Err(Error::protocol(format!(
            "the server confirmed {after_first} bytes, then said it holds {resumed_at}"
        )));
    }
    let mut offset = resumed_at;
    while offset < VIDEO_BYTES {
        let len = policy.chunk_len(offset, VIDEO_BYTES);
        offset = d.send(upload_url, offset, range(path, offset, len)).await?;
    }
    Ok(resumed_at)
}

async fn wait_ready(
    d: &dyn VideoStore,
    media_id: &str,
    options: RoundTripOptions,
) -> Result<Duration> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        match d.processing(media_id).await? {
            Processing::Ready { .. } => return Ok(start.elapsed()),
            Processing::Failed { code, text } => {
                return Err(Error::new(
                    ErrorKind::UnsupportedType,
                    format!("the service could not process the test video ({code}: {text})"),
                ));
            }
            Processing::Pending { .. } => {}
        }
        if start.elapsed() > options.processing_timeout {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "the test video was still processing after {} s; the upload itself worked",
                    options.processing_timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

async fn objects(d: &dyn ObjectStore, work: &Scratch, tag: &str) -> Vec<CheckLine> {
    let name = d.name().to_string();
    let step = |s: &str| format!("{name}: {s}");
    let body = format!("Ferry's full test, {tag}: this file is deleted again at once.\n");
    let path = match work.write("round-trip.txt", body.as_bytes()) {
        Ok(p) => p,
        Err(e) => return vec![fail(step("preparing the test file"), &e)],
    };
    let key = format!("ferry-check/{tag}/round-trip.txt");
    let spec = ObjectSpec {
        key: key.clone(),
        content_type: "text/plain; charset=utf-8".into(),
        hash: format!("ferry-check-{tag}"),
        display_name: "round-trip.txt".into(),
        overwrite: false,
        disposition: None,
    };
    let mut lines = Vec::new();
    if let Err(e) = d.put(&spec, range(&path, 0, body.len() as u64)).await {
        lines.push(fail(step("upload a small file"), &e));
        return lines;
    }
    lines.push(pass(
        step("upload a small file"),
        format!("stored as {key}"),
    ));
    lines.push(
        match fetch_after(|| d.url(&key, Duration::from_secs(600))).await {
            Ok((_, bytes, _)) if bytes == body.as_bytes() => {
                pass(step("open its link"), "the same bytes came back")
            }
            Ok((url, bytes, _)) => fail(
                step("open its link"),
                &Error::protocol(format!(
                    "{} answered with {} other bytes; if the bucket has a public URL, check that it points at this bucket",
                    host(&url),
                    bytes.len()
                )),
            ),
            Err(e) => fail(step("open its link"), &e),
        },
    );
    lines.push(match d.delete(&key).await {
        Ok(()) => pass(step("delete it"), "deleted"),
        Err(e) => fail(step("delete it"), &e),
    });
    lines
}

/// The host of a URL, for messages: links may carry signatures that are not printed.
fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "the link".into())
}

/// Ask for the link, then fetch it: (url, body, content type).
async fn fetch_after<F, Fut>(link: F) -> Result<(String, Vec<u8>, Option<String>)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String>>,
{
    let url = link().await?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Error::new(ErrorKind::Network, e.to_string()))?;
    let mut resp = http.get(&url).send().await.map_err(|e| {
        Error::new(
            ErrorKind::Network,
            format!(
                "could not open the link on {} ({})",
                host(&url),
                ferry_tus::redact::error_text(&e)
            ),
        )
    })?;
    let status = resp.status();
    if !status.is_success() {
        return Err(Error::new(
            if status.as_u16() == 403 {
                ErrorKind::PermissionDenied
            } else {
                ErrorKind::Server
            },
            format!(
                "the link on {} answered HTTP {}; if links should be public, check the bucket's public access or custom domain",
                host(&url),
                status.as_u16()
            ),
        ));
    }
    let kind = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Error::new(ErrorKind::Network, ferry_tus::redact::error_text(&e)))?
    {
        if body.len() + chunk.len() > FETCH_CAP {
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok((url, body, kind))
}

/// A private folder for the test files, removed when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("ferry-check-{:016x}", fastrand::u64(..)));
        crate::private::dir(&dir)?;
        Ok(Scratch { dir })
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.dir.join(name);
        crate::private::write(&path, bytes)?;
        Ok(path)
    }

    /// The clip followed by a `free` box that brings it to [`VIDEO_BYTES`], written in blocks.
    fn padded_clip(&self, name: &str) -> Result<PathBuf> {
        use std::io::Write;
        let path = self.dir.join(name);
        let pad = VIDEO_BYTES - CLIP.len() as u64;
        let io = |e: std::io::Error| Error::from_io(&path, &e);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
        f.write_all(CLIP).map_err(io)?;
        f.write_all(&(pad as u32).to_be_bytes()).map_err(io)?;
        f.write_all(b"free").map_err(io)?;
        let zeros = [0u8; 64 * 1024];
        let mut left = pad - 8;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            f.write_all(&zeros[..n]).map_err(io)?;
            left -= n as u64;
        }
        f.flush().map_err(io)?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
