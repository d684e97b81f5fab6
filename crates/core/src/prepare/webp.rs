//! WebP: the RIFF chunks are walked; `EXIF` is redacted in place (orientation kept) and `XMP `
//! blanked. RIFF carries no checksum, and no size changes, so the file stays valid.

use super::patch::Patch;
use super::{Found, Source, rel_patches, xmp};
use std::io;

const READ_AT_MOST: u64 = 16 << 20;

pub(crate) fn scan(src: &dyn Source, out: &mut Vec<Patch>, found: &mut Found) -> io::Result<()> {
    let mut at = 12u64;
    while at + 8 <= src.size() {
        let h = src.read(at, 8)?;
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64;
        let start = at + 8;
        if start + len > src.size() {
            break;
        }
        match &h[0..4] {
            b"EXIF" if len <= READ_AT_MOST => {
                let data = src.read(start, len as usize)?;
                let skip = if data.starts_with(b"Exif\0\0") { 6 } else { 0 };
                let (rel, f) = super::tiff::redact(&data[skip..]);
                found.add(f);
                out.extend(rel_patches(rel, start + skip as u64));
            }
            b"XMP " if len <= READ_AT_MOST => {
                let data = src.read(start, len as usize)?;
                found.add(xmp::found_in(&data));
                out.push(Patch {
                    at: start,
                    bytes: xmp::blank(data.len()),
                });
            }
            _ => {}
        }
        at = start + len + (len & 1);
    }
    Ok(())
}
