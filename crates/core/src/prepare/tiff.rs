//! Blanking location and device details inside an EXIF (TIFF) block, in place: the GPS IFD is
//! emptied (its entry count set to 0, its entries and values zeroed) and the device and
//! owner tags have their values zeroed. Nothing moves and no offset changes, so the same patch
//! works inside a JPEG, PNG, WebP or HEIC/AVIF file. The orientation and every other tag are
//! left as they were, so the picture still shows upright.
//!
//! Invariant: a block that cannot be walked (bad header, an offset outside it, a loop) is blanked
//! whole rather than partly read: what cannot be checked is not sent.

use super::Found;
use std::collections::HashSet;

/// A patch relative to the start of the TIFF block.
pub(crate) type Rel = (usize, Vec<u8>);

const GPS_IFD: u16 = 0x8825;
const EXIF_IFD: u16 = 0x8769;
const INTEROP_IFD: u16 = 0xA005;
/// Tags naming the camera, the phone or its owner: Make, Model, Artist, HostComputer, XPAuthor,
/// the DNG camera serial; in the Exif IFD: MakerNote, CameraOwnerName, BodySerialNumber,
/// LensMake, LensModel, LensSerialNumber.
const DEVICE: [u16; 5] = [0x010F, 0x0110, 0x013C, 0xC62F, 0x927C];
const DEVICE_EXIF: [u16; 5] = [0xA431, 0xA433, 0xA434, 0xA435, 0x927C];
const AUTHOR: [u16; 3] = [0x013B, 0x9C9D, 0xA430];

struct Reader<'a> {
    b: &'a [u8],
    le: bool,
}

impl Reader<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let s: [u8; 2] = self.b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let s: [u8; 4] = self.b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
}

fn type_size(t: u16) -> Option<usize> {
    Some(match t {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => return None,
    })
}

/// One IFD entry: its tag and where its value lies.
struct Entry {
    at: usize,
    tag: u16,
    value: (usize, usize),
}

/// The entries of the IFD at `at`, with where each one's value is.
fn entries(r: &Reader, at: usize) -> Option<Vec<Entry>> {
    let count = r.u16(at)? as usize;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let e = at + 2 + 12 * i;
        let (tag, ty, n) = (r.u16(e)?, r.u16(e + 2)?, r.u32(e + 4)? as usize);
        let len = type_size(ty).unwrap_or(1).checked_mul(n)?;
        let value = if len <= 4 {
            (e + 8, 4)
        } else {
            let off = r.u32(e + 8)? as usize;
            r.b.get(off..off.checked_add(len)?)?;
            (off, len)
        };
        out.push(Entry { at: e, tag, value });
    }
    r.b.get(at..at + 2 + 12 * count + 4)?;
    Some(out)
}

/// The orientation `tiff`'s first IFD gives (1 to 8), if it gives one that can be read.
pub(crate) fn orientation(tiff: &[u8]) -> Option<u16> {
    let le = match tiff.get(0..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let r = Reader { b: tiff, le };
    let e = entries(&r, r.u32(4)? as usize)?
        .into_iter()
        .find(|e| e.tag == 0x0112)?;
    r.u16(e.value.0).filter(|o| (1..=8).contains(o))
}

/// A whole EXIF block (TIFF, big-endian) that says only `orientation`.
pub(crate) fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut b = b"MM\0*".to_vec();
    b.extend(8u32.to_be_bytes());
    b.extend(1u16.to_be_bytes());
    // Orientation, SHORT, one value, kept in the entry itself.
    b.extend(0x0112u16.to_be_bytes());
    b.extend(3u16.to_be_bytes());
    b.extend(1u32.to_be_bytes());
    b.extend(orientation.to_be_bytes());
    b.extend([0, 0]);
    b.extend(0u32.to_be_bytes());
    b
}

/// The patches that blank `tiff`'s location and device details, and what they remove.
pub(crate) fn redact(tiff: &[u8]) -> (Vec<Rel>, Found) {
    match walk(tiff) {
        Some(done) => done,
        None => (
            vec![(0, vec![0; tiff.len()])],
            Found {
                unreadable: true,
                ..Found::default()
            },
        ),
    }
}

fn walk(tiff: &[u8]) -> Option<(Vec<Rel>, Found)> {
    let le = match tiff.get(0..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let r = Reader { b: tiff, le };
    let mut patches = Vec::new();
    let mut found = Found::default();
    let mut seen = HashSet::new();
    let mut ifds = vec![(r.u32(4)? as usize, 0u8)];
    // 0: IFD0/IFD1 chain, 1: the Exif IFD.
    while let Some((at, level)) = ifds.pop() {
        if at == 0 {
            continue;
        }
        if !seen.insert(at) || seen.len() > 64 {
            return None;
        }
        for e in entries(&r, at)? {
            let device = if level == 0 {
                &DEVICE[..]
            } else {
                &DEVICE_EXIF[..]
            };
            match e.tag {
                GPS_IFD if level == 0 => {
                    let gps = r.u32(e.value.0)? as usize;
                    if empty_gps(&r, gps, &mut patches)? {
                        found.location = true;
                    }
                }
                EXIF_IFD if level == 0 => ifds.push((r.u32(e.value.0)? as usize, 1)),
                INTEROP_IFD => {}
                t if device.contains(&t) || AUTHOR.contains(&t) => {
                    let (off, len) = e.value;
                    if tiff[off..off + len].iter().any(|&b| b != 0) {
                        patches.push((off, vec![0; len]));
                        if AUTHOR.contains(&t) {
                            found.author = true;
                        } else {
                            found.device = true;
                        }
                    }
                }
                _ => {}
            }
        }
        if level == 0 {
            let count = r.u16(at)? as usize;
            ifds.push((r.u32(at + 2 + 12 * count)? as usize, 0));
        }
    }
    Some((patches, found))
}

/// Empty the GPS IFD at `at`: no entries, no next IFD, its old entries and values zeroed.
/// Returns whether it held anything.
fn empty_gps(r: &Reader, at: usize, patches: &mut Vec<Rel>) -> Option<bool> {
    if at == 0 {
        return Some(false);
    }
    let list = entries(r, at)?;
    if list.is_empty() {
        return Some(false);
    }
    for e in &list {
        if e.value.0 != e.at + 8 {
            patches.push((e.value.0, vec![0; e.value.1]));
        }
    }
    // Count 0, then the next-IFD offset 0 where the first entry began; the rest zeroed.
    patches.push((at, vec![0; 2 + 12 * list.len() + 4]));
    Some(true)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A little-endian TIFF block: IFD0 with Make, Orientation, a GPS pointer and an Exif
    /// pointer; the GPS IFD with a latitude; the Exif IFD with a body serial number.
    pub(crate) fn sample() -> Vec<u8> {
        let mut b = b"II*\0".to_vec();
        b.extend(8u32.to_le_bytes());
        // IFD0 at 8: 4 entries (2 + 48 + 4 = 54 bytes) → values from 62.
        let entry = |b: &mut Vec<u8>, tag: u16, ty: u16, n: u32, v: u32| {
            b.extend(tag.to_le_bytes());
            b.extend(ty.to_le_bytes());
            b.extend(n.to_le_bytes());
            b.extend(v.to_le_bytes());
        };
        b.extend(4u16.to_le_bytes());
        entry(&mut b, 0x010F, 2, 6, 62); // Make "Apple\0" at 62
        entry(&mut b, 0x0112, 3, 1, 6); // Orientation 6, inline
        entry(&mut b, 0x8769, 4, 1, 68); // Exif IFD at 68
        entry(&mut b, 0x8825, 4, 1, 90); // GPS IFD at 90
        b.extend(0u32.to_le_bytes());
        b.extend(b"Apple\0");
        // Exif IFD at 68: 1 entry → 18 bytes, ends at 86; its value "SN1\0" inline.
        b.extend(1u16.to_le_bytes());
        entry(&mut b, 0xA431, 2, 4, u32::from_le_bytes(*b"SN1\0"));
        b.extend(0u32.to_le_bytes());
        b.extend([0u8; 4]); // padding to 90
        // GPS IFD at 90: 2 entries (LatitudeRef inline, Latitude 3 rationals at 120).
        b.extend(2u16.to_le_bytes());
        entry(&mut b, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
        entry(&mut b, 0x0002, 5, 3, 120);
        b.extend(0u32.to_le_bytes());
        for v in [48u32, 1, 51, 1, 3024, 100] {
            b.extend(v.to_le_bytes());
        }
        b
    }

    #[test]
    fn location_and_device_go_orientation_stays() {
        let mut tiff = sample();
        let (patches, found) = redact(&tiff);
        assert!(
            found.location && found.device && !found.unreadable,
            "{found:?}"
        );
        for (at, bytes) in &patches {
            tiff[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        let r = Reader { b: &tiff, le: true };
        assert_eq!(r.u16(90), Some(0), "the GPS IFD is empty");
        assert!(
            tiff[120..144].iter().all(|&b| b == 0),
            "the latitude is gone"
        );
        assert!(tiff[62..68].iter().all(|&b| b == 0), "the make is gone");
        assert_eq!(r.u16(8 + 2 + 12 + 8), Some(6), "the orientation stays");
        let again = redact(&tiff);
        assert!(
            again.0.is_empty(),
            "a second pass finds nothing: {:?}",
            again.0
        );
    }

    #[test]
    fn a_block_that_cannot_be_walked_is_blanked_whole() {
        let mut tiff = sample();
        tiff[4] = 250; // IFD0 outside the block
        let (patches, found) = redact(&tiff);
        assert!(found.unreadable);
        assert_eq!(patches, vec![(0, vec![0; tiff.len()])]);
    }
}
