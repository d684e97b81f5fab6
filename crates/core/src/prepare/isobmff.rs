//! HEIC, HEIF and AVIF (ISO base media files): the `meta` box's item list (`iinf`) names the
//! `Exif` item and any XMP (`mime`, `application/rdf+xml`) item, and its locations (`iloc`) say
//! where their bytes are, in the file or in the `idat` box. The EXIF item is redacted in place
//! (orientation kept, and HEIF's own `irot`/`imir` properties are untouched), the XMP blanked.
//! No box changes size and no offset moves.

use super::patch::Patch;
use super::{Found, Source, xmp};
use std::collections::HashMap;
use std::io;

/// A `meta` box larger than this is not a photo's.
const META_AT_MOST: u64 = 16 << 20;
const ITEM_AT_MOST: u64 = 16 << 20;

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(self.take(n)?.iter().fold(0u64, |v, &b| (v << 8) | b as u64))
    }
    fn cstr(&mut self) -> Option<Vec<u8>> {
        let end = self.b.get(self.at..)?.iter().position(|&b| b == 0)?;
        let s = self.b[self.at..self.at + end].to_vec();
        self.at += end + 1;
        Some(s)
    }
}

/// The boxes in `b`: (type, start of content, end).
fn boxes(b: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut c = Cursor { b, at: 0 };
    while c.at + 8 <= b.len() {
        let start = c.at;
        let (Some(size), Some(ty)) = (c.uint(4), c.take(4).map(|t| [t[0], t[1], t[2], t[3]]))
        else {
            break;
        };
        let (size, header) = match size {
            0 => ((b.len() - start) as u64, 8usize),
            1 => match c.uint(8) {
                Some(s) => (s, 16),
                None => break,
            },
            s => (s, 8),
        };
        let Some(end) = start
            .checked_add(size as usize)
            .filter(|&e| e <= b.len() && size >= header as u64)
        else {
            break;
        };
        out.push((ty, start + header, end));
        c.at = end;
    }
    out
}

/// Where an item's bytes are in the file: (file offset, length) per extent.
type Extents = Vec<(u64, u64)>;

/// The top-level `meta` box, read header by header: where it starts, and its bytes.
fn meta_box(src: &dyn Source) -> io::Result<Option<(u64, Vec<u8>)>> {
    let mut at = 0u64;
    while at + 8 <= src.size() {
        let h = src.read(at, 16.min(src.size() - at) as usize)?;
        let size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let size = match size {
            0 => src.size() - at,
            1 if h.len() >= 16 => u64::from_be_bytes(h[8..16].try_into().expect("8 bytes")),
            s => s,
        };
        if size < 8 || at + size > src.size() {
            break;
        }
        if &h[4..8] == b"meta" && size <= META_AT_MOST {
            return Ok(Some((at, src.read(at, size as usize)?)));
        }
        at += size;
    }
    Ok(None)
}

/// The children of a `meta` box: (type, start, end) within it.
fn meta_children(meta: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    // A full box: 8 bytes of header, 4 of version and flags.
    boxes(meta.get(12..).unwrap_or_default())
        .into_iter()
        .map(|(t, s, e)| (t, s + 12, e + 12))
        .collect()
}

/// Whether the picture is turned or mirrored by HEIF's own properties (`irot`, `imir` in
/// `iprp`/`ipco`): a decoder applies them, and then the EXIF orientation no longer holds.
pub(crate) fn transformed(src: &dyn Source) -> io::Result<bool> {
    let Some((_, meta)) = meta_box(src)? else {
        return Ok(false);
    };
    let Some(&(_, s, e)) = meta_children(&meta).iter().find(|(t, ..)| t == b"iprp") else {
        return Ok(false);
    };
    let iprp = &meta[s..e];
    Ok(boxes(iprp)
        .iter()
        .filter(|(t, ..)| t == b"ipco")
        .any(|&(_, s, e)| {
            boxes(&iprp[s..e])
                .iter()
                .any(|(t, ..)| t == b"irot" || t == b"imir")
        }))
}

pub(crate) fn scan(src: &dyn Source, out: &mut Vec<Patch>, found: &mut Found) -> io::Result<()> {
    let meta = meta_box(src)?;
    let Some((meta_at, meta)) = meta else {
        return Ok(());
    };
    let children = meta_children(&meta);
    let child = |name: &[u8; 4]| {
        children
            .iter()
            .find(|(t, ..)| t == name)
            .map(|&(_, s, e)| (s, e))
    };
    let (Some(iinf), Some(iloc)) = (child(b"iinf"), child(b"iloc")) else {
        return Ok(());
    };
    let idat = child(b"idat").map(|(s, _)| meta_at + s as u64);
    let kinds = items(&meta[iinf.0..iinf.1]).unwrap_or_default();
    let places = locations(&meta[iloc.0..iloc.1], idat).unwrap_or_default();
    for (id, kind) in kinds {
        let Some(extents) = places.get(&id) else {
            continue;
        };
        let total: u64 = extents.iter().map(|e| e.1).sum();
        if total == 0 || total > ITEM_AT_MOST || extents.iter().any(|&(o, l)| o + l > src.size()) {
            continue;
        }
        let mut data = Vec::with_capacity(total as usize);
        for &(o, l) in extents {
            data.extend(src.read(o, l as usize)?);
        }
        let rel = match kind {
            Item::Exif => {
                // A 4-byte offset to the TIFF header, usually past "Exif\0\0".
                let skip = data
                    .get(0..4)
                    .map(|s| u32::from_be_bytes(s.try_into().expect("4")))
                    .unwrap_or(0) as usize
                    + 4;
                if skip > data.len() {
                    continue;
                }
                let (rel, f) = super::tiff::redact(&data[skip..]);
                found.add(f);
                rel.into_iter().map(|(o, b)| (o + skip, b)).collect()
            }
            Item::Xmp => {
                found.add(xmp::found_in(&data));
                vec![(0, xmp::blank(data.len()))]
            }
        };
        for (off, bytes) in rel {
            out.extend(spread(off as u64, &bytes, extents));
        }
    }
    Ok(())
}

/// A patch at `off` in an item's joined bytes, cut where its extents are cut.
fn spread(off: u64, bytes: &[u8], extents: &Extents) -> Vec<Patch> {
    let mut out = Vec::new();
    let (mut base, mut done) = (0u64, 0usize);
    for &(file_at, len) in extents {
        let (from, to) = (off + done as u64, off + bytes.len() as u64);
        if from < base + len && to > base {
            let n = ((base + len).min(to) - from) as usize;
            out.push(Patch {
                at: file_at + (from - base),
                bytes: bytes[done..done + n].to_vec(),
            });
            done += n;
        }
        base += len;
        if done == bytes.len() {
            break;
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Item {
    Exif,
    Xmp,
}

/// The Exif and XMP items of an `iinf` box's content.
fn items(b: &[u8]) -> Option<Vec<(u32, Item)>> {
    let mut c = Cursor { b, at: 0 };
    let version = c.uint(1)?;
    c.take(3)?;
    c.uint(if version == 0 { 2 } else { 4 })?;
    let mut out = Vec::new();
    for (ty, s, e) in boxes(&b[c.at..]) {
        if &ty != b"infe" {
            continue;
        }
        let mut i = Cursor {
            b: &b[c.at + s..c.at + e],
            at: 0,
        };
        let v = i.uint(1)?;
        i.take(3)?;
        if v < 2 {
            continue;
        }
        let id = i.uint(if v == 2 { 2 } else { 4 })? as u32;
        i.uint(2)?;
        let kind = i.take(4)?.to_vec();
        let _name = i.cstr();
        match kind.as_slice() {
            b"Exif" => out.push((id, Item::Exif)),
            b"mime" => {
                let content = i.cstr().unwrap_or_default();
                if content.windows(7).any(|w| w == b"rdf+xml") {
                    out.push((id, Item::Xmp));
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// Each item's extents, from an `iloc` box's content (`idat`: where the idat box's data starts).
fn locations(b: &[u8], idat: Option<u64>) -> Option<HashMap<u32, Extents>> {
    let mut c = Cursor { b, at: 0 };
    let version = c.uint(1)?;
    c.take(3)?;
    let sizes = c.uint(1)?;
    let (offset_size, length_size) = ((sizes >> 4) as usize, (sizes & 15) as usize);
    let sizes = c.uint(1)?;
    let (base_size, index_size) = (
        (sizes >> 4) as usize,
        if version >= 1 {
            (sizes & 15) as usize
        } else {
            0
        },
    );
    let count = c.uint(if version < 2 { 2 } else { 4 })?;
    let mut out = HashMap::new();
    for _ in 0..count {
        let id = c.uint(if version < 2 { 2 } else { 4 })? as u32;
        let method = if version >= 1 { c.uint(2)? & 15 } else { 0 };
        c.uint(2)?;
        let base = c.uint(base_size)?;
        let n = c.uint(2)?;
        let mut extents = Vec::new();
        for _ in 0..n {
            c.uint(index_size)?;
            let (off, len) = (c.uint(offset_size)?, c.uint(length_size)?);
            extents.push((base + off, len));
        }
        let at = match (method, idat) {
            (0, _) => 0,
            (1, Some(idat)) => idat,
            _ => continue, // in another item: not a photo's metadata
        };
        out.insert(id, extents.into_iter().map(|(o, l)| (at + o, l)).collect());
    }
    Some(out)
}
