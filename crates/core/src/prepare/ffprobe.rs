//! FFmpeg's `ffprobe`, when installed, for the containers Ferry has no reader of its own for
//! (Matroska, WebM, AVI, FLV, MPEG-TS…): their length, picture size and codec, so a course's
//! longest video holds for them too before any byte is sent. Ferry reads MP4 and MOV itself
//! ([`super::video`]); without ffprobe such a file is still a video, of unknown length, and
//! Stream enforces the limit it is told.
//!
//! Invariant: ffprobe is asked about one local file and given a time limit; what it cannot say
//! stays unknown, never guessed.

use super::video::VideoFacts;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long ffprobe may take over one file (it reads headers, and a little of the data).
const AT_MOST: Duration = Duration::from_secs(20);

/// `ffprobe`: `FERRY_FFPROBE` (a path, or `none`), else the one on the `PATH`.
fn ffprobe() -> Option<PathBuf> {
    if let Some(given) = std::env::var_os("FERRY_FFPROBE") {
        if given == "none" || given.is_empty() {
            return None;
        }
        return Some(PathBuf::from(given)).filter(|p| p.is_file());
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .map(|d| d.join("ffprobe"))
        .find(|p| p.is_file())
}

/// Fill in what `facts` lacks from ffprobe's reading of `path`, if ffprobe is installed.
pub(crate) fn complete(path: &Path, facts: &mut VideoFacts) {
    let Some(tool) = ffprobe() else {
        return;
    };
    let Some(json) = run(&tool, path) else {
        return;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&json) else {
        return;
    };
    if facts.duration_secs.is_none() {
        facts.duration_secs = v["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse::<f64>().ok())
            .filter(|d| d.is_finite() && *d >= 0.0);
    }
    let Some(stream) = v["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["codec_type"] == "video"))
    else {
        return;
    };
    let dim = |k: &str| stream[k].as_u64().and_then(|n| u32::try_from(n).ok());
    facts.width = facts.width.or(dim("width"));
    facts.height = facts.height.or(dim("height"));
    if facts.codec.is_none() {
        facts.codec = stream["codec_name"].as_str().map(codec_words);
    }
}

/// ffprobe's JSON about `path`, or `None` when it failed or took too long.
fn run(tool: &Path, path: &Path) -> Option<Vec<u8>> {
    let mut child = Command::new(tool)
        .args(["-v", "error", "-print_format", "json", "-show_format"])
        .args(["-show_entries", "stream=codec_type,codec_name,width,height"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if started.elapsed() > AT_MOST => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take()?, &mut out).ok()?;
    Some(out)
}

/// ffprobe's codec name in the words the row uses.
fn codec_words(name: &str) -> String {
    match name {
        "h264" => "H.264".into(),
        "hevc" => "HEVC".into(),
        "av1" => "AV1".into(),
        "vp9" => "VP9".into(),
        "vp8" => "VP8".into(),
        "prores" => "ProRes".into(),
        "mpeg2video" => "MPEG-2".into(),
        "mpeg4" => "MPEG-4".into(),
        other => other.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_names_read_as_the_row_says_them() {
        assert_eq!(codec_words("h264"), "H.264");
        assert_eq!(codec_words("vp9"), "VP9");
        assert_eq!(codec_words("theora"), "THEORA");
    }
}
