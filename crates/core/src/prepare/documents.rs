//! Who a document names: a PDF's `/Author` (its Info dictionary, or `dc:creator` in its XMP)
//! and an Office or OpenDocument file's creator and last editor (`docProps/core.xml`,
//! `meta.xml`). They are reported, never changed: a document's bytes are the teacher's to
//! edit, in the application that made it.
//!
//! A PDF is searched in its first and last 4 MiB, where writers put the Info dictionary and the
//! trailer; one kept inside a compressed object stream is not found.

use super::Source;
use std::io::{self, Read};

const PDF_WINDOW: u64 = 4 << 20;
const ENTRY_AT_MOST: u64 = 1 << 20;

/// The names `src` carries (authors, last editors), deduplicated, in the order found.
pub(crate) fn names(src: &dyn Source) -> io::Result<Vec<String>> {
    let head = src.read(0, 8)?;
    let mut found = if head.starts_with(b"%PDF-") {
        pdf_names(src)?
    } else if head.starts_with(b"PK\x03\x04") {
        zip_names(src)?
    } else {
        Vec::new()
    };
    found.retain(|n| !n.trim().is_empty());
    let mut seen = std::collections::HashSet::new();
    found.retain(|n| seen.insert(n.clone()));
    Ok(found)
}

fn pdf_names(src: &dyn Source) -> io::Result<Vec<String>> {
    let size = src.size();
    let mut text = src.read(0, PDF_WINDOW.min(size) as usize)?;
    if size > PDF_WINDOW {
        let from = size.saturating_sub(PDF_WINDOW).max(PDF_WINDOW);
        text.extend(src.read(from, (size - from) as usize)?);
    }
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&text[at..], b"/Author") {
        let rest = &text[at + i + 7..];
        let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        if let Some(name) = pdf_string(rest) {
            out.push(name);
        }
        at += i + 7;
    }
    out.extend(xml_values(&text, "dc:creator"));
    Ok(out)
}

/// A PDF string object at the start of `b`: `(literal)` or `<hex>`, UTF-16 when it starts with
/// a byte order mark.
fn pdf_string(b: &[u8]) -> Option<String> {
    let bytes = match b.first()? {
        b'(' => {
            let (mut out, mut depth, mut i) = (Vec::new(), 0, 1);
            while i < b.len() && i < 4096 {
                match b[i] {
                    b'\\' if i + 1 < b.len() => {
                        i += 1;
                        out.push(match b[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            c => c,
                        });
                    }
                    b'(' => {
                        depth += 1;
                        out.push(b'(');
                    }
                    b')' if depth == 0 => break,
                    b')' => {
                        depth -= 1;
                        out.push(b')');
                    }
                    c => out.push(c),
                }
                i += 1;
            }
            out
        }
        b'<' => {
            let end = b.iter().position(|&c| c == b'>')?;
            let hex: Vec<u8> = b[1..end]
                .iter()
                .copied()
                .filter(|c| c.is_ascii_hexdigit())
                .collect();
            hex.chunks(2)
                .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
                .collect()
        }
        _ => return None,
    };
    Some(if bytes.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().map(|&c| c as char).collect()
    })
}

/// Office Open XML keeps its creator and last editor in `docProps/core.xml`, OpenDocument in
/// `meta.xml`: found through the zip's central directory, inflated, and read.
fn zip_names(src: &dyn Source) -> io::Result<Vec<String>> {
    let size = src.size();
    let tail_from = size.saturating_sub(66_000);
    let tail = src.read(tail_from, (size - tail_from) as usize)?;
    let Some(eocd) = rfind(&tail, b"PK\x05\x06") else {
        return Ok(Vec::new());
    };
    let le16 = |b: &[u8], i: usize| {
        b.get(i..i + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]) as u64)
    };
    let le32 = |b: &[u8], i: usize| {
        b.get(i..i + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
    };
    let (Some(entries), Some(dir_len), Some(dir_at)) = (
        le16(&tail, eocd + 10),
        le32(&tail, eocd + 12),
        le32(&tail, eocd + 16),
    ) else {
        return Ok(Vec::new());
    };
    if dir_at + dir_len > size || dir_len > 16 << 20 {
        return Ok(Vec::new());
    }
    let dir = src.read(dir_at, dir_len as usize)?;
    let mut out = Vec::new();
    let mut i = 0usize;
    for _ in 0..entries {
        if dir.get(i..i + 4) != Some(b"PK\x01\x02") {
            break;
        }
        let (Some(method), Some(packed), Some(name_len), Some(extra), Some(comment), Some(local)) = (
            le16(&dir, i + 10),
            le32(&dir, i + 20),
            le16(&dir, i + 28),
            le16(&dir, i + 30),
            le16(&dir, i + 32),
            le32(&dir, i + 42),
        ) else {
            break;
        };
        let name = dir
            .get(i + 46..i + 46 + name_len as usize)
            .unwrap_or_default();
        if (name == b"docProps/core.xml" || name == b"meta.xml") && packed <= ENTRY_AT_MOST {
            let header = src.read(local, 30)?;
            if let (Some(n), Some(x)) = (le16(&header, 26), le16(&header, 28)) {
                let data = src.read(local + 30 + n + x, packed as usize)?;
                let xml = match method {
                    0 => data,
                    8 => {
                        let mut xml = Vec::new();
                        flate2::read::DeflateDecoder::new(&data[..])
                            .take(ENTRY_AT_MOST)
                            .read_to_end(&mut xml)?;
                        xml
                    }
                    _ => Vec::new(),
                };
                for tag in ["dc:creator", "cp:lastModifiedBy", "meta:initial-creator"] {
                    out.extend(xml_values(&xml, tag));
                }
            }
        }
        i += 46 + (name_len + extra + comment) as usize;
    }
    Ok(out)
}

/// The text of each `<tag…>text</tag>` in `xml` (an `rdf:li` inside is read through).
fn xml_values(xml: &[u8], tag: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(xml);
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = &text[..];
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(gt) = after.find('>') else { break };
        if after[..gt].ends_with('/') {
            rest = &after[gt..];
            continue;
        }
        let Some(end) = after.find(&close) else { break };
        let inner = &after[gt + 1..end.max(gt + 1)];
        let plain: String = strip_tags(inner);
        let plain = plain
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'");
        out.push(plain.trim().to_string());
        rest = &after[end + close.len()..];
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_names_its_author_in_either_string_form() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Title (Notes) /Author (Ann \\(AT\\) Teacher) >> endobj\n2 0 obj << /Author <FEFF0042006F0062> >> endobj\n%%EOF".to_vec();
        assert_eq!(names(&pdf).unwrap(), ["Ann (AT) Teacher", "Bob"]);
    }

    #[test]
    fn an_office_file_names_its_creator_and_last_editor() {
        use std::io::Write;
        let core = br#"<cp:coreProperties><dc:creator>Ann Teacher</dc:creator><cp:lastModifiedBy>Bob &amp; Co</cp:lastModifiedBy></cp:coreProperties>"#;
        let mut packed = Vec::new();
        let mut enc =
            flate2::write::DeflateEncoder::new(&mut packed, flate2::Compression::default());
        enc.write_all(core).unwrap();
        enc.finish().unwrap();
        let name = b"docProps/core.xml";
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend([20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend((packed.len() as u32).to_le_bytes());
        zip.extend((core.len() as u32).to_le_bytes());
        zip.extend((name.len() as u16).to_le_bytes());
        zip.extend([0, 0]);
        zip.extend(name);
        zip.extend(&packed);
        let dir_at = zip.len() as u32;
        let mut dir = b"PK\x01\x02".to_vec();
        dir.extend([20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        dir.extend((packed.len() as u32).to_le_bytes());
        dir.extend((core.len() as u32).to_le_bytes());
        dir.extend((name.len() as u16).to_le_bytes());
        dir.extend([0u8; 12]);
        dir.extend(0u32.to_le_bytes());
        dir.extend(name);
        zip.extend(&dir);
        zip.extend(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
        zip.extend((dir.len() as u32).to_le_bytes());
        zip.extend(dir_at.to_le_bytes());
        zip.extend([0, 0]);
        assert_eq!(names(&zip).unwrap(), ["Ann Teacher", "Bob & Co"]);
    }

    #[test]
    fn other_files_name_nobody() {
        assert!(names(&b"hello".to_vec()).unwrap().is_empty());
    }
}
