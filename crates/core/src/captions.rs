//! Caption files for videos: reading a WebVTT or SubRip (`.srt`) file into the WebVTT Stream
//! takes, and the language a file's name gives (`lecture.fr.vtt` is French). Pure functions:
//! the network side is in the video destinations.
//!
//! Invariant: what leaves here is WebVTT (it opens with `WEBVTT`, cue times use `.` before the
//! milliseconds), or an error naming the file and what to do.

use crate::{Error, ErrorKind, Result};
use std::path::Path;

/// One caption track of an uploaded video, as the video service lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    /// BCP 47 tag (`en`, `fr`, `pt-BR`).
    pub language: String,
    /// The name players show, in the language itself ("Français").
    pub label: String,
    /// Made by the service's speech-to-text rather than uploaded.
    pub generated: bool,
    pub status: CaptionStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptionStatus {
    Ready,
    InProgress,
    Failed,
}

impl CaptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptionStatus::Ready => "ready",
            CaptionStatus::InProgress => "inprogress",
            CaptionStatus::Failed => "error",
        }
    }

    /// The service's word for it; anything unknown is taken as still in progress.
    pub fn parse(s: &str) -> CaptionStatus {
        match s {
            "ready" => CaptionStatus::Ready,
            "error" => CaptionStatus::Failed,
            _ => CaptionStatus::InProgress,
        }
    }
}

/// The largest caption file Ferry sends (an hour of dense subtitles is under 200 KB).
pub const MAX_CAPTION_BYTES: u64 = 10 * 1024 * 1024;

/// Whether `tag` has the shape of a BCP 47 language tag in use (RFC 5646 §2.1): an ISO 639
/// primary language of 2 or 3 letters (the 4-to-8-letter forms are reserved or unused, and
/// would let "French" pass), then subtags of 1 to 8 letters or digits.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or_default();
    (2..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Whether a path names a caption file Ferry can read.
pub fn is_caption_file(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("vtt" | "srt")
    )
}

/// The language a caption file's name gives: the part between the last two dots
/// (`lecture.fr.vtt` → `fr`, `lecture.pt-BR.srt` → `pt-BR`), if it is a language tag, so that
/// `week.2.vtt` or `notes.final.vtt` give none.
pub fn language_in_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let (_, tag) = stem.rsplit_once('.')?;
    is_language_tag(tag).then(|| tag.to_string())
}

/// Read a caption file as WebVTT: a `.vtt` is checked, a `.srt` converted (its commas before
/// the milliseconds become dots, a `WEBVTT` header goes first). A byte-order mark and Windows
/// line ends are dropped.
pub fn read_as_webvtt(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::from_io(path, &e))?
        .len();
    if size > MAX_CAPTION_BYTES {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{}: {size} bytes is more than a caption file holds; check that it is the right file",
                path.display()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::from_io(path, &e))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: the caption file is not UTF-8 text; save it as UTF-8 in your subtitle editor and add it again",
                path.display()
            ),
        )
    })?;
    let srt = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("srt"));
    let converted = if srt {
        srt_to_webvtt(&text)
    } else {
        normalise(&text)
    };
    if !converted.starts_with("WEBVTT") {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: not a WebVTT file (it must start with WEBVTT); export the captions as WebVTT (.vtt) or SubRip (.srt)",
                path.display()
            ),
        ));
    }
    if !converted.contains("-->") {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: the file holds no caption (no line with a start and end time, \"00:00:01.000 --> 00:00:02.000\"); check that it is the right file",
                path.display()
            ),
        ));
    }
    Ok(converted)
}

fn normalise(text: &str) -> String {
    text.trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// SubRip to WebVTT: cue numbers stay (WebVTT allows cue identifiers), timing lines get `.`
/// before the milliseconds, and the header goes first.
pub fn srt_to_webvtt(text: &str) -> String {
    let body = normalise(text);
    let mut out = String::with_capacity(body.len() + 16);
    out.push_str("WEBVTT\n\n");
    for line in body.trim_start_matches('\n').lines() {
        if line.contains("-->") {
            out.push_str(&line.replace(',', "."));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_becomes_webvtt() {
        let srt = "\u{feff}1\r\n00:00:01,000 --> 00:00:02,500\r\nBonjour, la classe\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nOuvrez vos cahiers, page 3\r\n";
        let vtt = srt_to_webvtt(srt);
        assert!(
            vtt.starts_with("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\n"),
            "{vtt}"
        );
        assert!(
            vtt.contains("Bonjour, la classe\n"),
            "commas in the text stay: {vtt}"
        );
        assert!(vtt.contains("00:00:03.000 --> 00:00:04.000"), "{vtt}");
        assert!(!vtt.contains('\r'));
    }

    #[test]
    fn the_language_comes_from_the_name() {
        let lang = |n: &str| language_in_name(Path::new(n));
        assert_eq!(lang("lecture.fr.vtt").as_deref(), Some("fr"));
        assert_eq!(lang("/course/week 1.pt-BR.srt").as_deref(), Some("pt-BR"));
        assert_eq!(lang("lecture.vtt"), None);
        assert_eq!(lang("week.2.vtt"), None);
        assert_eq!(lang("notes.final.vtt"), None);
    }

    #[test]
    fn files_are_checked_and_converted() {
        let dir = tempfile::tempdir().unwrap();
        let srt = dir.path().join("lecture.en.srt");
        std::fs::write(&srt, "1\n00:00:00,500 --> 00:00:01,000\nHello\n").unwrap();
        assert!(
            read_as_webvtt(&srt)
                .unwrap()
                .contains("00:00:00.500 --> 00:00:01.000")
        );

        let not_vtt = dir.path().join("notes.vtt");
        std::fs::write(&not_vtt, "just some notes").unwrap();
        let err = read_as_webvtt(&not_vtt).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.message().contains("notes.vtt") && err.message().contains("WebVTT"),
            "{err}"
        );

        let empty = dir.path().join("empty.vtt");
        std::fs::write(&empty, "WEBVTT\n\n").unwrap();
        assert!(
            read_as_webvtt(&empty)
                .unwrap_err()
                .message()
                .contains("no caption")
        );

        let latin1 = dir.path().join("old.srt");
        std::fs::write(&latin1, b"1\n00:00:00,500 --> 00:00:01,000\nD\xe9j\xe0\n").unwrap();
        assert!(
            read_as_webvtt(&latin1)
                .unwrap_err()
                .message()
                .contains("UTF-8")
        );
    }

    #[test]
    fn language_tags() {
        assert!(is_language_tag("en") && is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("fr_FR") && !is_language_tag("f") && !is_language_tag("en-"));
        assert!(!is_language_tag("French") && !is_language_tag("english"));
    }
}
