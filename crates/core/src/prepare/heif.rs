//! HEIC and HEIF photos sent as JPEG. Phones save HEIC, which Cloudflare Images does not take
//! and most browsers cannot show; a HEIC photo is therefore decoded with libheif's own tool
//! (`heif-dec`, called `heif-convert` before libheif 1.17) and sent as a JPEG copy, made in
//! Ferry's `prepared/` folder and removed after its upload like a fitted copy
//! ([`super::fit`]). No HEVC decoder is written here: libheif is the reference, and where it is
//! not installed the photo goes as HEIC (its location still removed) with a note saying how to
//! get JPEG.
//!
//! Invariant: the copy is upright as the phone showed it and carries no EXIF, XMP or IPTC but
//! its orientation. libheif turns the picture by HEIF's own `irot`/`imir` properties; the EXIF
//! orientation then no longer holds and is dropped. A file without them keeps its EXIF
//! orientation, as the photo's viewers read it.

use super::fit::{Fitted, FittedCopy};
use crate::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The JPEG quality a converted photo is encoded at (a course that compresses gives its own).
pub const QUALITY: u8 = 90;

/// Whether `content_type` is a phone format Ferry sends as JPEG. AVIF is not: Images stores
/// it and browsers show it.
pub fn converts(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/heic" | "image/heif" | "image/heic-sequence" | "image/heif-sequence"
    )
}

/// libheif's decoder, if installed: `FERRY_HEIF_DECODER` (a path, or `none` to never convert),
/// else `heif-dec` or `heif-convert` on the `PATH`.
pub fn decoder() -> Option<PathBuf> {
    if let Some(given) = std::env::var_os("FERRY_HEIF_DECODER") {
        if given == "none" || given.is_empty() {
            return None;
        }
        let path = PathBuf::from(given);
        return path.is_file().then_some(path);
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs).find_map(|dir| {
        ["heif-dec", "heif-convert"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
    })
}

/// What to tell a teacher whose HEIC photo goes as it is.
pub fn no_decoder_note(path: &Path) -> String {
    format!(
        "{}: sent as HEIC, which most browsers cannot show; install libheif's tools (the `libheif-examples` package) for Ferry to send such photos as JPEG",
        path.display()
    )
}

/// Whether the file at `path` is a photo Ferry sends as JPEG (HEIC or HEIF, by its bytes).
pub fn is_heic_file(path: &Path) -> bool {
    let mut head = vec![0u8; crate::classify::SNIFF_BYTES];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    converts(&crate::classify::content_type_of(&head[..n], &name))
}

/// Write to `out` the JPEG copy an upload would send of the HEIC photo at `src` (outside a
/// course that compresses); say what it is, and its BLAKE3.
pub fn save_jpeg(src: &Path, out: &Path) -> Result<(Fitted, String)> {
    let decoder = decoder().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "{}: libheif's decoder is not installed; install `libheif-examples` to make JPEG copies of HEIC photos",
                src.display()
            ),
        )
    })?;
    let bytes = std::fs::read(src).map_err(|e| Error::from_io(src, &e))?;
    let hash = blake3::hash(&bytes).to_hex().to_string();
    let copy = convert(src, &hash, QUALITY, &decoder, out)?;
    Ok((copy.fitted, copy.hash))
}

/// Whether the file at `path` is a HEIF (HEIC or AVIF) file by its bytes.
pub(crate) fn is_heif_file(path: &Path) -> bool {
    let mut head = [0u8; 32];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    super::format_of(&head[..n]) == Some(super::Format::Heif)
}

/// Convert the HEIC at `src` (whose content must hash to `hash`) to a JPEG at `quality` in
/// `out`, with `decoder`.
pub(crate) fn convert(
    src: &Path,
    hash: &str,
    quality: u8,
    decoder: &Path,
    out: &Path,
) -> Result<FittedCopy> {
    let name = src.display();
    let bytes = super::fit::read_unchanged(src, hash)?;
    let turned = super::isobmff::transformed(&bytes).map_err(|e| Error::from_io(src, &e))?;
    // The tool picks its output format by the name's ending.
    let decoded = out.with_extension("dec.jpg");
    let run = Command::new(decoder)
        .arg("--quiet")
        .arg("-q")
        .arg(quality.to_string())
        .arg(src)
        .arg(&decoded)
        .output()
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "{name}: libheif's decoder {} could not be run ({e}); install `libheif-examples`, or add the photo to a course that keeps originals",
                    decoder.display()
                ),
            )
        })?;
    let jpeg = std::fs::read(&decoded);
    let _ = std::fs::remove_file(&decoded);
    let jpeg = match jpeg {
        Ok(j) if run.status.success() => j,
        _ => {
            let said = String::from_utf8_lossy(&run.stderr);
            return Err(Error::new(
                ErrorKind::UnsupportedType,
                format!(
                    "{name}: this HEIC photo could not be decoded ({}); the file may be damaged: open it on the phone and export it as JPEG",
                    said.trim().lines().last().unwrap_or("no reason given")
                ),
            ));
        }
    };
    let exif_orientation = exif_orientation(&jpeg);
    let orientation = if turned { None } else { exif_orientation };
    let clean = without_details(&jpeg, orientation.filter(|&o| o != 1)).ok_or_else(|| {
        Error::new(
            ErrorKind::UnsupportedType,
            format!("{name}: libheif made a JPEG Ferry cannot read; export the photo as JPEG"),
        )
    })?;
    // The same pixels as the photo's (a HEIC's own header may describe a thumbnail or a tile).
    let (w, h) = imagesize::blob_size(&clean).map_or((0, 0), |d| (d.width as u32, d.height as u32));
    FittedCopy::write(
        out,
        &clean,
        Fitted {
            from_width: w,
            from_height: h,
            from_bytes: bytes.len() as u64,
            width: w,
            height: h,
            bytes: clean.len() as u64,
            content_type: "image/jpeg".into(),
        },
    )
}

/// The orientation in a JPEG's EXIF block, if it has one.
fn exif_orientation(jpeg: &[u8]) -> Option<u16> {
    segments(jpeg)?
        .into_iter()
        .find(|s| s.marker == 0xE1 && jpeg[s.data.clone()].starts_with(b"Exif\0\0"))
        .and_then(|s| super::tiff::orientation(&jpeg[s.data.start + 6..s.data.end]))
}

/// One marker segment before the image data.
struct Segment {
    marker: u8,
    /// From the marker to the segment's end.
    whole: std::ops::Range<usize>,
    /// Its content, after the length.
    data: std::ops::Range<usize>,
}

/// The segments between SOI and the first scan, or `None` when the JPEG cannot be walked.
fn segments(jpeg: &[u8]) -> Option<Vec<Segment>> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::new();
    let mut at = 2usize;
    loop {
        let (&ff, &marker) = (jpeg.get(at)?, jpeg.get(at + 1)?);
        if ff != 0xFF {
            return None;
        }
        if marker == 0xDA {
            return Some(out);
        }
        let len = u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]) as usize;
        let end = at
            .checked_add(2 + len)
            .filter(|&e| len >= 2 && e <= jpeg.len())?;
        out.push(Segment {
            marker,
            whole: at..end,
            data: at + 4..end,
        });
        at = end;
    }
}

/// `jpeg` without its EXIF, XMP and Photoshop/IPTC segments, with an EXIF block saying only
/// `orientation` when one is given.
fn without_details(jpeg: &[u8], orientation: Option<u16>) -> Option<Vec<u8>> {
    let segs = segments(jpeg)?;
    let scan = segs.last().map_or(2, |s| s.whole.end);
    let mut out = Vec::with_capacity(jpeg.len());
    out.extend_from_slice(&jpeg[..2]);
    let mut pending = orientation.map(|o| {
        let mut block = b"Exif\0\0".to_vec();
        block.extend(super::tiff::orientation_only(o));
        let mut seg = vec![0xFF, 0xE1];
        seg.extend(((block.len() + 2) as u16).to_be_bytes());
        seg.extend(block);
        seg
    });
    for s in &segs {
        // EXIF goes right after JFIF's APP0, or first when there is none.
        if s.marker != 0xE0
            && let Some(seg) = pending.take()
        {
            out.extend(seg);
        }
        if !matches!(s.marker, 0xE1 | 0xED) {
            out.extend_from_slice(&jpeg[s.whole.clone()]);
        }
    }
    out.extend(pending.unwrap_or_default());
    out.extend_from_slice(&jpeg[scan..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(marker: u8, data: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend(((data.len() + 2) as u16).to_be_bytes());
        s.extend(data);
        s
    }

    #[test]
    fn details_go_and_only_the_orientation_is_written_back() {
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend(super::super::tiff::orientation_only(6));
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(seg(0xE0, b"JFIF\0\x01\x01"));
        jpeg.extend(seg(0xE1, &exif));
        jpeg.extend(seg(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS</x:xmpmeta>",
        ));
        jpeg.extend(seg(0xED, b"Photoshop 3.0\0secret"));
        jpeg.extend(seg(0xE2, b"ICC_PROFILE\0keep"));
        jpeg.extend(seg(0xDA, b"\x01\x01\0"));
        jpeg.extend(b"\x12\x34\xFF\xD9");
        assert_eq!(exif_orientation(&jpeg), Some(6));

        let bare = without_details(&jpeg, None).unwrap();
        assert_eq!(exif_orientation(&bare), None);
        let text = String::from_utf8_lossy(&bare);
        assert!(!text.contains("GPS") && !text.contains("secret"), "{text}");
        assert!(text.contains("JFIF") && text.contains("ICC_PROFILE"));
        assert!(bare.ends_with(b"\x12\x34\xFF\xD9"));

        let turned = without_details(&jpeg, Some(8)).unwrap();
        assert_eq!(exif_orientation(&turned), Some(8));
        let kinds: Vec<u8> = segments(&turned)
            .unwrap()
            .iter()
            .map(|s| s.marker)
            .collect();
        assert_eq!(kinds, vec![0xE0, 0xE1, 0xE2], "EXIF right after JFIF");
    }

    #[test]
    fn a_jpeg_that_cannot_be_walked_is_refused() {
        assert!(without_details(b"\xFF\xD8\xFF\xE1\x00", None).is_none());
        assert!(without_details(b"not a jpeg", None).is_none());
    }

    #[test]
    fn only_phone_formats_are_converted() {
        assert!(converts("image/heic") && converts("image/heif"));
        assert!(!converts("image/avif") && !converts("image/jpeg"));
    }
}
