//! Preparation on small files built here, one per container; real encoders' files and an
//! independent EXIF reader are in `tests/e2e/media_privacy.rs`.

use super::tiff::tests::sample;
use super::*;

fn prepared(file: &[u8]) -> (Vec<u8>, Found) {
    let (patches, found) = scan_source(&file.to_vec()).unwrap();
    let mut out = file.to_vec();
    patches.apply(0, &mut out);
    assert_eq!(out.len(), file.len(), "nothing moves");
    (out, found)
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend(((data.len() + 2) as u16).to_be_bytes());
    s.extend(data);
    s
}

#[test]
fn jpeg_exif_xmp_and_iptc_are_blanked_the_image_data_is_not() {
    let mut f = vec![0xFF, 0xD8];
    f.extend(segment(0xE1, &[b"Exif\0\0".as_slice(), &sample()].concat()));
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta exif:GPSLatitude=\"48,51N\"/>{}",
        " ".repeat(200)
    );
    f.extend(segment(0xE1, xmp.as_bytes()));
    f.extend(segment(
        0xED,
        b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x0b\x1c\x02\x5a\0\x05Paris",
    ));
    f.extend(segment(0xFE, b"a comment stays"));
    f.extend([0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
    let (out, found) = prepared(&f);
    assert!(found.location && found.device && found.other, "{found:?}");
    assert!(!has(&out, b"Apple") && !has(&out, b"GPSLatitude") && !has(&out, b"Paris"));
    assert!(
        has(&out, b"a comment stays") && out.ends_with(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9])
    );
    assert!(
        has(&out, b"<?xpacket end=\"w\"?>"),
        "the XMP is an empty packet"
    );
    let (patches, _) = scan_source(&out).unwrap();
    let again = {
        let mut o = out.clone();
        patches.apply(0, &mut o);
        o
    };
    assert_eq!(again, out, "preparing twice changes nothing more");
}

fn chunk(ty: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend(ty);
    c.extend(data);
    let mut h = crc32fast::Hasher::new();
    h.update(ty);
    h.update(data);
    c.extend(h.finalize().to_be_bytes());
    c
}

/// Every chunk's CRC matches its type and data.
fn crcs_hold(png: &[u8]) -> Vec<[u8; 4]> {
    let mut at = 8;
    let mut types = Vec::new();
    while at + 12 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let mut h = crc32fast::Hasher::new();
        h.update(&png[at + 4..at + 8 + len]);
        assert_eq!(
            h.finalize().to_be_bytes(),
            png[at + 8 + len..at + 12 + len],
            "CRC at {at}"
        );
        types.push(png[at + 4..at + 8].try_into().unwrap());
        at += 12 + len;
    }
    types
}

#[test]
fn png_exif_is_redacted_and_text_chunks_become_free_with_their_crcs_right() {
    let mut f = b"\x89PNG\r\n\x1a\n".to_vec();
    f.extend(chunk(b"IHDR", &[0; 13]));
    f.extend(chunk(b"eXIf", &sample()));
    f.extend(chunk(b"tEXt", b"Author\0Ann Teacher"));
    f.extend(chunk(b"IDAT", b"pixels"));
    f.extend(chunk(b"IEND", b""));
    let (out, found) = prepared(&f);
    assert!(found.location && found.device && found.author, "{found:?}");
    assert!(!has(&out, b"Ann Teacher") && !has(&out, b"Apple"));
    assert_eq!(
        crcs_hold(&out),
        [*b"IHDR", *b"eXIf", *b"frEe", *b"IDAT", *b"IEND"]
    );
}

#[test]
fn webp_exif_and_xmp_are_blanked() {
    let mut body = b"WEBP".to_vec();
    for (ty, data) in [
        (b"VP8X", vec![0u8; 10]),
        (b"EXIF", sample()),
        (b"XMP ", b"<x dc:creator='Ann'/>".to_vec()),
    ] {
        body.extend(ty);
        body.extend((data.len() as u32).to_le_bytes());
        body.extend(&data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut f = b"RIFF".to_vec();
    f.extend((body.len() as u32).to_le_bytes());
    f.extend(body);
    let (out, found) = prepared(&f);
    assert!(found.location && found.device && found.author, "{found:?}");
    assert!(!has(&out, b"Ann") && !has(&out, b"Apple"));
}

fn bx(ty: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut b = ((content.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend(ty);
    b.extend(content);
    b
}

#[test]
fn heif_exif_item_is_found_through_iinf_and_iloc() {
    let exif = [&[0u8, 0, 0, 6][..], b"Exif\0\0", &sample()].concat();
    let infe = bx(
        b"infe",
        &[&[2u8, 0, 0, 0, 0, 7, 0, 0][..], b"Exif", b"\0"].concat(),
    );
    let iinf = bx(b"iinf", &[&[0u8, 0, 0, 0, 0, 1][..], &infe].concat());
    // iloc v1: offset and length 4 bytes, base 0, one item (7), file offsets (method 0).
    let iloc_len = 8 + 4 + 2 + 2 + 2 + 2 + 2 + 2 + 4 + 4;
    let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
    let meta_len = 8 + 4 + iinf.len() + iloc_len;
    let exif_at = (ftyp.len() + meta_len + 8) as u32;
    let iloc = bx(
        b"iloc",
        &[
            &[1u8, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 7, 0, 0, 0, 0, 0, 1][..],
            &exif_at.to_be_bytes(),
            &(exif.len() as u32).to_be_bytes(),
        ]
        .concat(),
    );
    assert_eq!(iloc.len(), iloc_len);
    let meta = bx(b"meta", &[&[0u8; 4][..], &iinf, &iloc].concat());
    let f = [ftyp, meta, bx(b"mdat", &exif)].concat();
    let (out, found) = prepared(&f);
    assert!(found.location && found.device, "{found:?}");
    assert!(!has(&out, b"Apple"));
}

#[test]
fn other_files_are_sent_as_they_are() {
    let (patches, found) = scan_source(&b"%PDF-1.7 Author (Ann)".to_vec()).unwrap();
    assert!(patches.is_empty() && found == Found::default());
}

#[test]
fn the_report_reads_as_a_sentence() {
    let p = Prepared {
        location: true,
        device: true,
        ..Prepared::default()
    };
    assert_eq!(p.describe(), "location and camera removed");
}
