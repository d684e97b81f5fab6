//! Test media: files that classify as what they claim (an MP4 `ftyp` box, a PNG header with
//! real dimensions) with deterministic bytes after the header.

use std::path::{Path, PathBuf};

/// A file that sniffs as MP4 video, `len` bytes long.
pub fn mp4(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(&24u32.to_be_bytes());
    bytes.extend_from_slice(b"ftypisom\x00\x00\x02\x00isomiso2");
    bytes.extend_from_slice(&crate::data(len - bytes.len(), seed));
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// A file that sniffs as PNG and reports `width`×`height`, `len` bytes long.
pub fn png(dir: &Path, name: &str, width: u32, height: u32, len: usize) -> (PathBuf, Vec<u8>) {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89]);
    bytes.extend_from_slice(&crate::data(
        len.saturating_sub(bytes.len()),
        u64::from(width),
    ));
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}
