//! Media preparation: what Ferry changes in a file's bytes on their way out. The file on disk
//! is never modified and no temporary copy is made: preparation is a list of [`Patches`] laid
//! over the bytes as they stream, found again from the file whenever a job (re)starts, so a
//! crash mid-upload resumes with the same prepared bytes and nothing to clean up.
//!
//! Today it keeps photos private by default: location (GPS), the device and its owner, and the
//! XMP and IPTC blocks are blanked in place in JPEG, PNG, WebP, HEIC/HEIF and AVIF files, with
//! the orientation kept so the picture shows upright. A course may keep them
//! ([`crate::CourseOptions::keep_metadata`]).
//!
//! Invariant: the bytes sent are the file's own except inside the patches, and the patches are a
//! function of the file's content alone; the sent-bytes digest is still taken over the file's
//! own bytes ([`crate::digest`]), so a file changed after it was queued is still caught.

mod documents;
mod ffprobe;
pub mod fit;
pub mod heif;
mod isobmff;
mod jpeg;
pub mod motion;
mod patch;
mod png;
mod tiff;
pub mod video;
mod webp;
mod xmp;

pub(crate) use patch::Patch;
pub use patch::Patches;
pub use video::VideoFacts;

use serde::{Deserialize, Serialize};
use std::io;
use std::path::Path;

/// What a file held that a teacher would not knowingly share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Found {
    pub location: bool,
    pub device: bool,
    pub author: bool,
    /// XMP, IPTC or text chunks with nothing of the above known in them.
    pub other: bool,
    /// An EXIF block that could not be walked, blanked whole (the orientation with it).
    pub unreadable: bool,
}

impl Found {
    pub(crate) fn add(&mut self, o: Found) {
        self.location |= o.location;
        self.device |= o.device;
        self.author |= o.author;
        self.other |= o.other;
        self.unreadable |= o.unreadable;
    }
}

/// What preparing a file removed, as kept with its job and shown in its row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    /// Where the photo was taken.
    pub location: bool,
    /// The camera or phone (make, model, serial numbers, maker notes).
    pub device: bool,
    /// Its author or owner.
    pub author: bool,
    /// Other embedded details (XMP, IPTC, text notes).
    pub other: bool,
    /// The EXIF block could not be read and went whole, the orientation with it.
    #[serde(default)]
    pub unreadable: bool,
    /// Bytes blanked.
    pub bytes: u64,
    /// BLAKE3 of the bytes sent (the prepared copy), hex; empty when nothing was changed.
    pub hash: String,
    /// People a document names (its author, its last editor), reported and sent as they are:
    /// a document is the teacher's to change, in the application that made it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named: Vec<String>,
    /// The photo was over Cloudflare Images' limits and a smaller copy was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fitted: Option<fit::Fitted>,
    /// The course asked for compression and a smaller copy was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed: Option<fit::Fitted>,
    /// A HEIC photo sent as a JPEG copy ([`heif`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<fit::Fitted>,
    /// A motion photo: the video saved inside it, left out (only the still was sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion: Option<motion::MotionVideo>,
}

impl Prepared {
    /// In plain words, for the CLI and the log ("location and camera removed").
    pub fn describe(&self) -> String {
        let mut what = Vec::new();
        if self.location {
            what.push("location");
        }
        if self.device {
            what.push("camera");
        }
        if self.author {
            what.push("author");
        }
        if self.other || self.unreadable {
            what.push("other details");
        }
        if what.is_empty() && !self.named.is_empty() {
            return format!(
                "names {}; sent as it is (change it in the application that made it)",
                self.named.join(" and ")
            );
        }
        let removed = match what.len() {
            0 => "nothing to remove".into(),
            1 => format!("{} removed", what[0]),
            n => format!("{} and {} removed", what[..n - 1].join(", "), what[n - 1]),
        };
        let made = match (&self.fitted, &self.compressed) {
            (Some(f), _) => format!("fitted to Cloudflare Images: {}; {removed}", f.describe()),
            (None, Some(c)) => format!("compressed: {}", c.describe()),
            (None, None) => removed.clone(),
        };
        let made = match &self.motion {
            Some(m) => format!(
                "{made}; a motion photo: sent as a still, its {} video left out",
                fit::size_words(m.video_bytes)
            ),
            None => made,
        };
        match &self.converted {
            Some(c) if self.fitted.is_none() && self.compressed.is_none() => {
                format!("sent as JPEG (was HEIC): {}; {removed}", c.describe())
            }
            Some(_) => format!("sent as JPEG (was HEIC), {made}"),
            None => made,
        }
    }
}

/// Random access to a file's bytes (a file, or a buffer in tests).
pub(crate) trait Source {
    fn size(&self) -> u64;
    /// `len` bytes at `at`, fewer only at the end.
    fn read(&self, at: u64, len: usize) -> io::Result<Vec<u8>>;
}

impl Source for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let from = (at as usize).min(self.len());
        Ok(self[from..(from + len).min(self.len())].to_vec())
    }
}

struct FileSource {
    file: std::fs::File,
    size: u64,
}

impl Source for FileSource {
    fn size(&self) -> u64 {
        self.size
    }
    fn read(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let len = len.min(self.size.saturating_sub(at) as usize);
        let mut buf = vec![0; len];
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            self.file.read_exact_at(&mut buf, at)?;
        }
        #[cfg(windows)]
        {
            use std::os::windows::fs::FileExt;
            let mut done = 0;
            while done < len {
                let n = self.file.seek_read(&mut buf[done..], at + done as u64)?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                done += n;
            }
        }
        Ok(buf)
    }
}

/// The kinds of file preparation knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
    Webp,
    Heif,
}

fn format_of(head: &[u8]) -> Option<Format> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(Format::Webp);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brands = &head[8..];
        const HEIF: [&[u8; 4]; 8] = [
            b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis",
        ];
        if brands
            .chunks_exact(4)
            .any(|b| HEIF.iter().any(|h| &h[..] == b))
        {
            return Some(Format::Heif);
        }
    }
    None
}

/// The patches that keep `src` private, and what they remove.
pub(crate) fn scan_source(src: &dyn Source) -> io::Result<(Patches, Found)> {
    let head = src.read(0, 32)?;
    let mut patches = Vec::new();
    let mut found = Found::default();
    match format_of(&head) {
        Some(Format::Jpeg) => jpeg::scan(src, &mut patches, &mut found)?,
        Some(Format::Png) => png::scan(src, &mut patches, &mut found)?,
        Some(Format::Webp) => webp::scan(src, &mut patches, &mut found)?,
        Some(Format::Heif) => isobmff::scan(src, &mut patches, &mut found)?,
        None => {}
    }
    Ok((Patches::new(patches), found))
}

/// The file at `path` prepared for sending: its patches, and what they remove with the hash of
/// the bytes that will be sent (`None` when there is nothing to remove).
pub fn prepare(path: &Path) -> io::Result<(Patches, Option<Prepared>)> {
    let file = crate::fileinfo::open_exact(path)?;
    let size = file.metadata()?.len();
    let src = FileSource { file, size };
    let (patches, found) = scan_source(&src)?;
    let motion = match format_of(&src.read(0, 32)?) {
        Some(Format::Jpeg) => motion::find(&src)?,
        _ => None,
    };
    if patches.is_empty() && motion.is_none() {
        return Ok((patches, None));
    }
    let upto = motion.map_or(size, |m| m.still_bytes);
    let hash = prepared_hash(&src, &patches, upto)?;
    Ok((
        patches.clone(),
        Some(Prepared {
            location: found.location,
            device: found.device,
            author: found.author,
            other: found.other,
            unreadable: found.unreadable,
            bytes: patches.len(),
            hash,
            named: Vec::new(),
            fitted: None,
            compressed: None,
            converted: None,
            motion,
        }),
    ))
}

/// The people the document at `path` names (a PDF's author, an Office file's creator and last
/// editor), to report: documents are never changed.
pub fn names_in(path: &Path) -> io::Result<Vec<String>> {
    let file = crate::fileinfo::open_exact(path)?;
    let size = file.metadata()?.len();
    documents::names(&FileSource { file, size })
}

/// Write the prepared copy of the file at `src` (with `patches` laid over it, and only its
/// first `upto` bytes when given: a motion photo's still) to `dest`, in small blocks; returns
/// its BLAKE3. `dest` must not be `src`: the original is never changed.
pub fn save_copy(
    src: &Path,
    patches: &Patches,
    upto: Option<u64>,
    dest: &Path,
) -> io::Result<String> {
    use std::io::Write;
    if dest.exists() && std::fs::canonicalize(dest)? == std::fs::canonicalize(src)? {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is the photo itself; save the prepared copy in another folder",
                dest.display()
            ),
        ));
    }
    let file = crate::fileinfo::open_exact(src)?;
    let size = file.metadata()?.len();
    let from = FileSource { file, size };
    let mut out = std::io::BufWriter::new(std::fs::File::create(dest)?);
    let hash = each_block(&from, patches, upto.unwrap_or(size).min(size), |b| {
        out.write_all(b)
    })?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(hash)
}

/// Write the video saved inside the motion photo at `src` to `dest`, as its own file.
pub fn save_motion_video(src: &Path, video: &motion::MotionVideo, dest: &Path) -> io::Result<()> {
    use std::io::{Read, Seek, Write};
    let mut file = crate::fileinfo::open_exact(src)?;
    file.seek(io::SeekFrom::Start(video.video_at))?;
    let mut out = std::fs::File::create(dest)?;
    io::copy(&mut file.take(video.video_bytes), &mut out)?;
    out.flush()?;
    out.sync_all()
}

/// BLAKE3 of the first `upto` bytes of `src` with `patches` laid over them.
fn prepared_hash(src: &FileSource, patches: &Patches, upto: u64) -> io::Result<String> {
    each_block(src, patches, upto, |_| Ok(()))
}

/// Read the first `upto` bytes of `src` in small blocks with `patches` laid over them, give
/// each to `sink`, and return the BLAKE3 of them all.
fn each_block(
    src: &FileSource,
    patches: &Patches,
    upto: u64,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<String> {
    const BLOCK: usize = 256 << 10;
    let mut hasher = blake3::Hasher::new();
    let mut at = 0u64;
    while at < upto {
        let mut buf = src.read(at, BLOCK.min((upto - at) as usize))?;
        if buf.is_empty() {
            break;
        }
        patches.apply(at, &mut buf);
        hasher.update(&buf);
        sink(&buf)?;
        at += buf.len() as u64;
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// Patches relative to a block, made absolute.
pub(crate) fn rel_patches(rel: Vec<tiff::Rel>, base: u64) -> impl Iterator<Item = Patch> {
    rel.into_iter().map(move |(off, bytes)| Patch {
        at: base + off as u64,
        bytes,
    })
}

/// What an IPTC (Photoshop) block holds: record 2's by-line is an author, its city, place,
/// province and country a location.
pub(crate) fn iptc_found(b: &[u8]) -> Found {
    let has = |ds: &[u8]| {
        b.windows(3)
            .any(|w| w[0] == 0x1C && w[1] == 2 && ds.contains(&w[2]))
    };
    Found {
        author: has(&[80, 116]),
        location: has(&[90, 92, 95, 100, 101]),
        other: true,
        ..Found::default()
    }
}

#[cfg(test)]
mod tests;
