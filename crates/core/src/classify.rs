//! What a file is: its content type and its [`FileKind`].
//!
//! Content comes first: the leading bytes are sniffed with `infer`, and the extension is only a
//! fallback (a `.jpg` that is really a PDF is a document). The kind table is data so that routing
//! and key templates can be tested case by case.

use serde::{Deserialize, Serialize};

/// How many leading bytes are read to sniff a type; `infer` needs far fewer for every format it
/// knows, but office formats (zip containers) look a little further in.
pub const SNIFF_BYTES: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Image,
    Video,
    Audio,
    Document,
    Archive,
    Other,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Image => "image",
            FileKind::Video => "video",
            FileKind::Audio => "audio",
            FileKind::Document => "document",
            FileKind::Archive => "archive",
            FileKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "image" => FileKind::Image,
            "video" => FileKind::Video,
            "audio" => FileKind::Audio,
            "document" => FileKind::Document,
            "archive" => FileKind::Archive,
            "other" => FileKind::Other,
            _ => return None,
        })
    }

    /// The folder name used by the default key template (`{kind}`), in the spirit of seed 001
    /// (`documents/`, `images/`).
    pub fn folder(self) -> &'static str {
        match self {
            FileKind::Image => "images",
            FileKind::Video => "videos",
            FileKind::Audio => "audio",
            FileKind::Document => "documents",
            FileKind::Archive => "archives",
            FileKind::Other => "files",
        }
    }
}

/// Content types that are documents although their top-level type says otherwise (the zip
/// containers among them are in [`ZIP_DOCUMENTS`]).
const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/rtf",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "text/plain",
    "text/markdown",
    "text/csv",
    "text/html",
];

const ARCHIVE_TYPES: &[&str] = &[
    "application/zip",
    "application/x-tar",
    "application/gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/zstd",
];

/// The kind of a content type.
pub fn kind_of(content_type: &str) -> FileKind {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if DOCUMENT_TYPES.contains(&essence) || ZIP_DOCUMENTS.contains(&essence) {
        FileKind::Document
    } else if ARCHIVE_TYPES.contains(&essence) {
        FileKind::Archive
    } else if essence.starts_with("image/") {
        FileKind::Image
    } else if essence.starts_with("video/") {
        FileKind::Video
    } else if essence.starts_with("audio/") {
        FileKind::Audio
    } else {
        FileKind::Other
    }
}

/// Document formats that are zip files inside: Office Open XML, OpenDocument, EPUB.
const ZIP_DOCUMENTS: &[&str] = &[
    "application/epub+zip",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

/// The content type of `head` (the file's first bytes), falling back to the extension of `name`.
/// A zip whose name says it is an office document or an e-book is that document: sniffing
/// finds such files only when their parts come in a particular order, and Word, LibreOffice and
/// e-book tools write them in different ones.
pub fn content_type_of(head: &[u8], name: &str) -> String {
    let by_name = mime_guess::from_path(name).first_raw();
    if let Some(found) = infer::get(head) {
        let sniffed = found.mime_type();
        return match by_name {
            Some(named) if sniffed == "application/zip" && ZIP_DOCUMENTS.contains(&named) => {
                named.to_string()
            }
            _ => sniffed.to_string(),
        };
    }
    by_name
        .map(str::to_string)
        .unwrap_or_else(|| "application/octet-stream".to_string())
}

/// Content type and kind from a file's first bytes (at least [`SNIFF_BYTES`] when the file is
/// that long) and its name.
pub fn classify(head: &[u8], name: &str) -> (String, FileKind) {
    let content_type = content_type_of(head, name);
    let kind = kind_of(&content_type);
    (content_type, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
    const MP4: &[u8] = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom";
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\0\0";

    #[test]
    fn content_wins_over_extension() {
        let cases: &[(&[u8], &str, &str, FileKind)] = &[
            (PNG, "photo.png", "image/png", FileKind::Image),
            (PNG, "looks-like.pdf", "image/png", FileKind::Image),
            (PDF, "scan.jpg", "application/pdf", FileKind::Document),
            (MP4, "lesson.bin", "video/mp4", FileKind::Video),
            (ZIP, "bundle.zip", "application/zip", FileKind::Archive),
            (
                ZIP,
                "Week 1 notes.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                FileKind::Document,
            ),
            (
                ZIP,
                "grades.ODS",
                "application/vnd.oasis.opendocument.spreadsheet",
                FileKind::Document,
            ),
            (
                ZIP,
                "slides.pptx",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                FileKind::Document,
            ),
            (
                ZIP,
                "reader.epub",
                "application/epub+zip",
                FileKind::Document,
            ),
            // A PNG named like a document is still a PNG: only zips take their name's word.
            (PNG, "fake.docx", "image/png", FileKind::Image),
            (
                b"just some text",
                "notes.txt",
                "text/plain",
                FileKind::Document,
            ),
            (
                b"just some text",
                "notes.md",
                "text/markdown",
                FileKind::Document,
            ),
            (
                b"\x01\x02\x03",
                "blob",
                "application/octet-stream",
                FileKind::Other,
            ),
            (b"", "empty.csv", "text/csv", FileKind::Document),
            (b"", "clip.MOV", "video/quicktime", FileKind::Video),
        ];
        for (head, name, content_type, kind) in cases {
            let got = content_type_of(head, name);
            assert_eq!(&got, content_type, "content type of {name}");
            assert_eq!(kind_of(&got), *kind, "kind of {name}");
        }
    }

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in [
            FileKind::Image,
            FileKind::Video,
            FileKind::Audio,
            FileKind::Document,
            FileKind::Archive,
            FileKind::Other,
        ] {
            assert_eq!(FileKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(FileKind::parse("movie"), None);
    }
}
