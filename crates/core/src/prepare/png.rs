//! PNG: the chunks are walked to the end. An `eXIf` chunk is redacted in place (orientation
//! kept); text chunks (`tEXt`, `zTXt`, `iTXt`: XMP, raw EXIF or IPTC profiles, authors,
//! comments) are zeroed and renamed `frEe`, a private ancillary chunk every decoder skips.
//! Each changed chunk gets its CRC computed again, so the file stays valid.

use super::patch::Patch;
use super::{Found, Source, xmp};
use std::io;

/// Ancillary (lower case), private (lower case), reserved bit clear (upper case), safe to copy.
const BLANKED: &[u8; 4] = b"frEe";
/// Chunks larger than this are not read into memory: they are blanked without a look.
const READ_AT_MOST: u64 = 16 << 20;

pub(crate) fn scan(src: &dyn Source, out: &mut Vec<Patch>, found: &mut Found) -> io::Result<()> {
    let mut at = 8u64;
    while at + 12 <= src.size() {
        let h = src.read(at, 8)?;
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let ty: [u8; 4] = [h[4], h[5], h[6], h[7]];
        if at + 12 + len > src.size() {
            break;
        }
        match &ty {
            b"eXIf" if len <= READ_AT_MOST => {
                let mut data = src.read(at + 8, len as usize)?;
                let skip = if data.starts_with(b"Exif\0\0") { 6 } else { 0 };
                let (rel, f) = super::tiff::redact(&data[skip..]);
                found.add(f);
                if !rel.is_empty() {
                    for (off, bytes) in rel {
                        data[skip + off..skip + off + bytes.len()].copy_from_slice(&bytes);
                    }
                    out.push(Patch {
                        at: at + 8 + len,
                        bytes: crc(&ty, &data).to_vec(),
                    });
                    out.push(Patch {
                        at: at + 8,
                        bytes: data,
                    });
                }
            }
            b"tEXt" | b"zTXt" | b"iTXt" => {
                if len <= READ_AT_MOST {
                    found.add(text_found(&src.read(at + 8, len as usize)?));
                } else {
                    found.other = true;
                }
                let zeros = vec![0u8; len as usize];
                out.push(Patch {
                    at: at + 4,
                    bytes: BLANKED.to_vec(),
                });
                out.push(Patch {
                    at: at + 8 + len,
                    bytes: crc(BLANKED, &zeros).to_vec(),
                });
                out.push(Patch {
                    at: at + 8,
                    bytes: zeros,
                });
            }
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    Ok(())
}

fn crc(ty: &[u8; 4], data: &[u8]) -> [u8; 4] {
    let mut h = crc32fast::Hasher::new();
    h.update(ty);
    h.update(data);
    h.finalize().to_be_bytes()
}

/// What a text chunk holds: XMP is read; a raw EXIF profile (ImageMagick's hex) is decoded and
/// walked; an author is an author; anything else is "other details".
fn text_found(data: &[u8]) -> Found {
    let keyword = data.split(|&b| b == 0).next().unwrap_or_default();
    let mut found = match keyword {
        b"XML:com.adobe.xmp" => xmp::found_in(data),
        b"Author" | b"Artist" => Found {
            author: true,
            ..Found::default()
        },
        k if k.starts_with(b"Raw profile type exif") || k.starts_with(b"Raw profile type APP1") => {
            hex_exif_found(data)
        }
        _ => Found::default(),
    };
    found.other = true;
    found
}

fn hex_exif_found(data: &[u8]) -> Found {
    let text = String::from_utf8_lossy(data);
    // "\nexif\n   1234\n45786966…": the hex starts after the third line break.
    let hex: Vec<u8> = text
        .splitn(4, '\n')
        .nth(3)
        .unwrap_or_default()
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes: Vec<u8> = hex
        .chunks_exact(2)
        .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect();
    let tiff = bytes.strip_prefix(b"Exif\0\0").unwrap_or(&bytes);
    Found {
        unreadable: false,
        ..super::tiff::redact(tiff).1
    }
}
