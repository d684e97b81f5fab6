//! Object keys: templates and safe names.
//!
//! A key is rendered once, when a job is queued, and stored with the job, so a resumed upload
//! writes to the same key. Names coming from the file system are made safe first: Unicode is
//! normalised to NFC, control characters and path separators cannot survive, `..` cannot form a
//! path segment, and white space becomes `-`. Templates cannot produce empty segments or a
//! leading slash.

use crate::classify::FileKind;
use chrono::{DateTime, Utc};
use unicode_normalization::UnicodeNormalization;

/// The default template, after seed 001's `tenant-id/documents/20250127_123456_abc123_receipt.jpg`.
pub const DEFAULT_TEMPLATE: &str = "{prefix}/{kind}/{yyyymmdd}_{hhmmss}_{rand6}_{name}";

/// Longest safe name kept, in bytes; S3 and R2 keys stop at 1,024 bytes in all.
const MAX_NAME_BYTES: usize = 200;

/// Make one file name safe for an object key. The result is never empty, never `.` or `..`,
/// and contains only letters and digits of any script plus `-`, `_`, `.`, `(`, `)`.
pub fn safe_name(raw: &str) -> String {
    let name = clean(raw);
    if name.is_empty() {
        "file".to_string()
    } else {
        name
    }
}

/// [`safe_name`] without the fallback: may return an empty string.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut last_sep = true;
    for ch in raw.nfc() {
        let mapped = if ch.is_alphanumeric() || matches!(ch, '.' | '(' | ')' | '_') {
            Some(ch)
        } else if ch.is_whitespace() || ch == '-' {
            Some('-')
        } else if ch.is_control() {
            None
        } else {
            Some('_')
        };
        match mapped {
            Some(c @ ('-' | '_')) => {
                if !last_sep {
                    out.push(c);
                }
                last_sep = true;
            }
            Some(c) => {
                out.push(c);
                last_sep = false;
            }
            None => {}
        }
    }
    // No hidden files and no `..`: dots and separators cannot lead or trail.
    // A separator right before the extension dot adds nothing (`what?.pdf` → `what.pdf`).
    let out = out.replace("_.", ".").replace("-.", ".");
    let trimmed = out.trim_matches(|c| matches!(c, '.' | '-' | '_'));
    let mut name = collapse_dots(trimmed);
    if name.len() > MAX_NAME_BYTES {
        name = shorten_keeping_extension(&name, MAX_NAME_BYTES);
    }
    name
}

fn collapse_dots(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch == '.' && out.ends_with('.') {
            continue;
        }
        out.push(ch);
    }
    out
}

fn shorten_keeping_extension(name: &str, max: usize) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if name.len() - i <= 16 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut cut = max.saturating_sub(ext.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{}", &stem[..cut], ext)
}

/// A slug for a folder-like value (prefix, course name): lower case, safe, `-` between words.
pub fn slug(raw: &str) -> String {
    clean(&raw.to_lowercase())
        .replace(['_', '.', '(', ')'], "-")
        .trim_matches('-')
        .to_string()
}

/// Everything a template may refer to.
#[derive(Debug, Clone)]
pub struct KeyInputs<'a> {
    pub prefix: &'a str,
    pub kind: FileKind,
    pub file_name: &'a str,
    pub when: DateTime<Utc>,
    /// Six random characters, drawn by the caller so rendering stays deterministic in tests.
    pub rand6: &'a str,
    /// The blake3 hash of the content, hex.
    pub hash: &'a str,
}

/// A parsed key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    source: String,
}

const VARIABLES: &[&str] = &[
    "prefix", "kind", "yyyymmdd", "hhmmss", "rand6", "name", "stem", "ext", "hash8", "yyyy", "mm",
];

impl KeyTemplate {
    /// Check a template: braces balanced, variables known, and `{name}`, `{stem}`, `{rand6}` or
    /// `{hash8}` present so that two files cannot be given the same key by construction.
    pub fn parse(source: &str) -> crate::Result<Self> {
        let mut rest = source;
        let mut has_identity = false;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or_else(|| {
                crate::Error::config(format!("key template {source:?}: a `{{` is never closed"))
            })?;
            let var = &rest[open + 1..open + close];
            if !VARIABLES.contains(&var) {
                return Err(crate::Error::config(format!(
                    "key template {source:?}: unknown variable {{{var}}}; known: {}",
                    VARIABLES.join(", ")
                )));
            }
            has_identity |= matches!(var, "name" | "stem" | "rand6" | "hash8");
            rest = &rest[open + close + 1..];
        }
        if rest.contains('}') {
            return Err(crate::Error::config(format!(
                "key template {source:?}: stray `}}`"
            )));
        }
        if !has_identity {
            return Err(crate::Error::config(format!(
                "key template {source:?} must contain {{name}}, {{stem}}, {{rand6}} or {{hash8}}"
            )));
        }
        Ok(KeyTemplate {
            source: source.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn render(&self, inputs: &KeyInputs<'_>) -> String {
        let name = safe_name(inputs.file_name);
        let (stem, ext) = match name.rfind('.') {
            Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
            _ => (name.as_str(), ""),
        };
        let prefix: Vec<String> = inputs
            .prefix
            .split('/')
            .map(slug)
            .filter(|s| !s.is_empty())
            .collect();
        let mut out = self.source.clone();
        let pairs: [(&str, String); 11] = [
            ("{prefix}", prefix.join("/")),
            ("{kind}", inputs.kind.folder().to_string()),
            ("{yyyymmdd}", inputs.when.format("%Y%m%d").to_string()),
            ("{hhmmss}", inputs.when.format("%H%M%S").to_string()),
            ("{yyyy}", inputs.when.format("%Y").to_string()),
            ("{mm}", inputs.when.format("%m").to_string()),
            ("{rand6}", inputs.rand6.to_string()),
            ("{name}", name.clone()),
            ("{stem}", stem.to_string()),
            ("{ext}", ext.to_string()),
            ("{hash8}", inputs.hash.chars().take(8).collect()),
        ];
        for (var, value) in pairs {
            out = out.replace(var, &value);
        }
        // Empty variables must not leave `//`, a leading `/` or a dangling `_`.
        out.split('/')
            .map(|seg| seg.trim_matches('_'))
            .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The variables a key template may use, for front ends that explain them.
pub const TEMPLATE_VARIABLES: &[&str] = VARIABLES;

/// What `template` (with `prefix`) makes of three sample course files (a document, an image, a
/// video) uploaded now, or why the engine would refuse the template. Front ends show it while
/// the template is typed, so no template the engine refuses can be saved unnoticed.
pub fn preview(
    template: &str,
    prefix: &str,
) -> crate::Result<Vec<(FileKind, &'static str, String)>> {
    preview_at(template, prefix, Utc::now())
}

/// [`preview`] for an upload at `when`.
pub(crate) fn preview_at(
    template: &str,
    prefix: &str,
    when: DateTime<Utc>,
) -> crate::Result<Vec<(FileKind, &'static str, String)>> {
    let template = KeyTemplate::parse(template)?;
    let samples = [
        (FileKind::Document, "Week 1 notes.pdf"),
        (FileKind::Image, "cell diagram.png"),
        (FileKind::Video, "Lecture 1.mp4"),
    ];
    Ok(samples
        .into_iter()
        .map(|(kind, file_name)| {
            let key = template.render(&KeyInputs {
                prefix,
                kind,
                file_name,
                when,
                rand6: "k3x9qa",
                hash: "0f3a9c2e5b7d1146",
            });
            (kind, file_name, key)
        })
        .collect())
}

/// Six lower-case alphanumerics for `{rand6}`.
pub fn rand6(rng: &mut fastrand::Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char)
        .collect()
}

/// A key that does not collide: `name.ext` → `name-1.ext`, `name-2.ext`…
pub fn numbered_variant(key: &str, n: u32) -> String {
    let (dir, file) = match key.rfind('/') {
        Some(i) => (&key[..=i], &key[i + 1..]),
        None => ("", key),
    };
    match file.rfind('.') {
        Some(i) if i > 0 => format!("{dir}{}-{n}{}", &file[..i], &file[i..]),
        _ => format!("{dir}{file}-{n}"),
    }
}

/// `key` with its file's extension changed to `ext` (`IMG_1.HEIC` → `IMG_1.jpg`) when that
/// extension names a HEIF photo; a key without one, or with another, is left as it is.
pub fn with_extension(key: &str, ext: &str) -> String {
    let file_at = key.rfind('/').map_or(0, |i| i + 1);
    match key[file_at..].rfind('.') {
        Some(i) if i > 0 => {
            let dot = file_at + i;
            let old = key[dot + 1..].to_ascii_lowercase();
            if matches!(old.as_str(), "heic" | "heif" | "hif") {
                format!("{}.{ext}", &key[..dot])
            } else {
                key.to_string()
            }
        }
        _ => key.to_string(),
    }
}

/// The longest object key S3, R2 and GCS take, in bytes of UTF-8 (and the longest custom id
/// Cloudflare Images takes, in characters).
pub const MAX_KEY_BYTES: usize = 1024;

/// Refuse, naming the file, a key longer than every store takes; checked when the file is
/// taken, so the upload never meets the store's refusal.
pub fn check_length(key: &str, file: &std::path::Path) -> crate::Result<()> {
    if key.len() <= MAX_KEY_BYTES {
        return Ok(());
    }
    let start: String = key.chars().take(60).collect();
    Err(crate::Error::input(format!(
        "{}: its name in the cloud would be {} bytes ({start}…), over the {MAX_KEY_BYTES} bytes object stores allow; shorten the folder names, the file name or the prefix",
        file.display(),
        key.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heic_key_ends_in_jpg_and_others_stay() {
        assert_eq!(
            with_extension("c/week-1/IMG_0001.HEIC", "jpg"),
            "c/week-1/IMG_0001.jpg"
        );
        assert_eq!(with_extension("a.b/photo.heif", "jpg"), "a.b/photo.jpg");
        assert_eq!(with_extension("a.b/photo", "jpg"), "a.b/photo");
        assert_eq!(with_extension("photos/.heic", "jpg"), "photos/.heic");
        assert_eq!(with_extension("x/abc123.bin", "jpg"), "x/abc123.bin");
    }

    #[test]
    fn a_preview_shows_each_sample_or_the_reason_for_refusing() {
        let when = chrono::DateTime::parse_from_rfc3339("2027-01-11T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let shown = preview_at("{prefix}/{kind}/{yyyy}/{name}", "Biology 101", when).unwrap();
        let keys: Vec<&str> = shown.iter().map(|(_, _, k)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "biology-101/documents/2027/Week-1-notes.pdf",
                "biology-101/images/2027/cell-diagram.png",
                "biology-101/videos/2027/Lecture-1.mp4"
            ]
        );
        let refused = preview_at("{rel}/{name}", "", when).unwrap_err();
        assert!(
            refused.message().contains("unknown variable {rel}"),
            "{refused}"
        );
        assert!(
            preview_at("{kind}/{yyyy}", "", when).is_err(),
            "two files would share a key"
        );
    }

    #[test]
    fn a_key_is_refused_one_byte_over_the_limit() {
        let at = "a".repeat(MAX_KEY_BYTES);
        assert!(check_length(&at, std::path::Path::new("/c/x.pdf")).is_ok());
        let over = format!("{at}é");
        let err = check_length(&over, std::path::Path::new("/c/x.pdf")).unwrap_err();
        assert!(
            err.message().contains("/c/x.pdf") && err.message().contains("1026 bytes"),
            "{err}"
        );
    }
    use chrono::TimeZone;

    #[test]
    fn safe_names() {
        let cases = [
            ("receipt.jpg", "receipt.jpg"),
            ("Intro video (final).mp4", "Intro-video-(final).mp4"),
            ("../../etc/passwd", "etc_passwd"),
            ("..", "file"),
            ("", "file"),
            (".hidden", "hidden"),
            ("a\u{0}b\u{7}c\nd.txt", "abc-d.txt"),
            ("tab\tand  spaces.pdf", "tab-and-spaces.pdf"),
            ("Cafe\u{301}.png", "Café.png"),
            ("日本語 ノート.pdf", "日本語-ノート.pdf"),
            ("emoji 🎓 course.pdf", "emoji-course.pdf"),
            ("what?#%&.pdf", "what.pdf"),
            ("a/b\\c.txt", "a_b_c.txt"),
            ("x..y", "x.y"),
        ];
        for (raw, want) in cases {
            assert_eq!(safe_name(raw), want, "safe_name({raw:?})");
        }
        // NFC: the decomposed and composed forms give the same key.
        assert_eq!(safe_name("Cafe\u{301}"), safe_name("Caf\u{e9}"));
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "a".repeat(500));
        let got = safe_name(&long);
        assert!(got.len() <= MAX_NAME_BYTES);
        assert!(got.ends_with(".pdf"));
        let wide = format!("{}.pdf", "é".repeat(300));
        let got = safe_name(&wide);
        assert!(got.len() <= MAX_NAME_BYTES && got.ends_with(".pdf"));
    }

    fn inputs<'a>(prefix: &'a str, name: &'a str) -> KeyInputs<'a> {
        KeyInputs {
            prefix,
            kind: FileKind::Document,
            file_name: name,
            when: Utc.with_ymd_and_hms(2025, 1, 27, 12, 34, 56).unwrap(),
            rand6: "abc123",
            hash: "0123456789abcdef",
        }
    }

    #[test]
    fn default_template_matches_seed_001() {
        let t = KeyTemplate::parse(DEFAULT_TEMPLATE).unwrap();
        assert_eq!(
            t.render(&inputs("tenant-id", "receipt.jpg")),
            "tenant-id/documents/20250127_123456_abc123_receipt.jpg"
        );
        // No prefix: no leading slash.
        assert_eq!(
            t.render(&inputs("", "receipt.jpg")),
            "documents/20250127_123456_abc123_receipt.jpg"
        );
        // Prefixes are slugged segment by segment; `..` cannot climb.
        assert_eq!(
            t.render(&inputs("Course A/../Module 2", "a b.pdf")),
            "course-a/module-2/documents/20250127_123456_abc123_a-b.pdf"
        );
    }

    #[test]
    fn templates_are_checked() {
        assert!(KeyTemplate::parse("{kind}/{nope}").is_err());
        assert!(KeyTemplate::parse("{kind}/{name").is_err());
        assert!(
            KeyTemplate::parse("{kind}/static.bin").is_err(),
            "every file would share a key"
        );
        let t = KeyTemplate::parse("{yyyy}/{mm}/{hash8}.{ext}").unwrap();
        assert_eq!(t.render(&inputs("", "x.PDF")), "2025/01/01234567.PDF");
    }

    #[test]
    fn numbered_variants() {
        assert_eq!(numbered_variant("a/b/name.pdf", 1), "a/b/name-1.pdf");
        assert_eq!(numbered_variant("noext", 2), "noext-2");
        assert_eq!(numbered_variant("dir.v2/noext", 3), "dir.v2/noext-3");
    }

    #[test]
    fn rand6_is_six_safe_chars() {
        let mut rng = fastrand::Rng::with_seed(7);
        let r = rand6(&mut rng);
        assert_eq!(r.len(), 6);
        assert!(
            r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
