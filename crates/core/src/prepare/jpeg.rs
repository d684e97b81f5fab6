//! JPEG: the segments before the image data are walked; EXIF (APP1) is redacted in place, an
//! XMP packet (APP1, main or extended) blanked, and a Photoshop/IPTC block (APP13) zeroed after
//! its signature. Colour profiles (APP2), comments and the image data are left alone.

use super::patch::Patch;
use super::{Found, Source, iptc_found, rel_patches, xmp};
use std::io;

const XMP_NS: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXT_NS: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const PHOTOSHOP: &[u8] = b"Photoshop 3.0\0";

pub(crate) fn scan(src: &dyn Source, out: &mut Vec<Patch>, found: &mut Found) -> io::Result<()> {
    let mut at = 2u64;
    while at + 4 <= src.size() {
        let h = src.read(at, 4)?;
        if h[0] != 0xFF {
            break; // not a marker: stop reading rather than guess
        }
        let marker = h[1];
        if marker == 0xFF {
            at += 1; // a fill byte
            continue;
        }
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            at += 2;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break; // the image data: no metadata after it is read by viewers
        }
        let len = u16::from_be_bytes([h[2], h[3]]) as u64;
        if len < 2 {
            break;
        }
        let start = at + 4;
        if marker == 0xE1 || marker == 0xED {
            let data = src.read(start, (len - 2) as usize)?;
            segment(marker, &data, start, out, found);
        }
        at += 2 + len;
    }
    Ok(())
}

fn segment(marker: u8, data: &[u8], start: u64, out: &mut Vec<Patch>, found: &mut Found) {
    if marker == 0xE1 && data.starts_with(b"Exif\0\0") {
        let (rel, f) = super::tiff::redact(&data[6..]);
        found.add(f);
        out.extend(rel_patches(rel, start + 6));
    } else if marker == 0xE1 && data.starts_with(XMP_NS) {
        let packet = &data[XMP_NS.len()..];
        found.add(xmp::found_in(packet));
        out.push(Patch {
            at: start + XMP_NS.len() as u64,
            bytes: xmp::blank(packet.len()),
        });
    } else if marker == 0xE1 && data.starts_with(XMP_EXT_NS) {
        // An extended packet's piece: a GUID, the full length and this piece's offset, then
        // XML that only makes sense joined to the others, so it is all spaces.
        let skip = XMP_EXT_NS.len() + 40;
        if data.len() > skip {
            found.add(xmp::found_in(&data[skip..]));
            out.push(Patch {
                at: start + skip as u64,
                bytes: vec![b' '; data.len() - skip],
            });
        }
    } else if marker == 0xED && data.starts_with(PHOTOSHOP) {
        // The resources (IPTC among them) become one empty plug-in resource of the same size.
        let rest = &data[PHOTOSHOP.len()..];
        if rest.iter().any(|&b| b != 0) {
            found.add(iptc_found(rest));
            out.push(Patch {
                at: start + PHOTOSHOP.len() as u64,
                bytes: empty_resources(rest.len()),
            });
        }
    }
}

/// `len` bytes of Photoshop resources that say nothing: one resource of a plug-in's id (0x0FA0),
/// no name, zeros for data; zeros alone when `len` is too short to hold one.
fn empty_resources(len: usize) -> Vec<u8> {
    if len < 12 {
        return vec![0; len];
    }
    let data = (len - 12) & !1;
    let mut out = b"8BIM".to_vec();
    out.extend(0x0FA0u16.to_be_bytes());
    out.extend([0, 0]);
    out.extend((data as u32).to_be_bytes());
    out.resize(len, 0);
    out
}
