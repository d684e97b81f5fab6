//! Motion photos: Android phones (Google's "motion photos", Samsung's) save a few seconds of
//! video inside the JPEG, after the picture's end (EOI), where viewers never look. The video is
//! usually larger than the photo and carries its own place and time, so a teacher sharing the
//! photo would share it unknowingly. Ferry finds where the picture ends by walking the JPEG
//! (segments, then the entropy-coded data of each scan, where a marker is the only `0xFF` not
//! followed by 0 or a restart), and calls what follows a motion photo's video when an MP4
//! (`ftyp`) starts in its first bytes. Other trailing bytes are left alone.
//!
//! iPhones keep a Live Photo's video as a file of its own beside the photo (`IMG_0001.MOV`
//! beside `IMG_0001.HEIC`); [`live_photo_of`] recognises one, so that a folder of a phone's
//! photos does not turn every picture's three seconds into a lesson video.
//!
//! Invariant: the end found is a real EOI reached by walking every segment and scan from the
//! start; a JPEG that cannot be walked so is not cut.

use super::Source;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// How far after the picture's end an MP4 may start (Samsung puts a short tag first).
const LOOK_AFTER_END: usize = 64 << 10;
const BLOCK: usize = 256 << 10;

/// The video saved inside a motion photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MotionVideo {
    /// Where the photo ends (just after its EOI marker): the still is the bytes before.
    pub still_bytes: u64,
    /// Where the MP4 starts, and its length.
    pub video_at: u64,
    pub video_bytes: u64,
}

/// The video inside the JPEG `src`, if it is a motion photo.
pub(crate) fn find(src: &dyn Source) -> io::Result<Option<MotionVideo>> {
    let Some(end) = picture_end(src)? else {
        return Ok(None);
    };
    if end >= src.size() {
        return Ok(None);
    }
    let after = src.read(end, LOOK_AFTER_END)?;
    let Some(i) = after
        .windows(4)
        .position(|w| w == b"ftyp")
        .filter(|&i| i >= 4)
    else {
        return Ok(None);
    };
    let box_size = u32::from_be_bytes(after[i - 4..i].try_into().expect("4 bytes"));
    if !(8..=64).contains(&box_size) {
        return Ok(None); // not an ftyp box header: a chance match
    }
    let video_at = end + (i - 4) as u64;
    Ok(Some(MotionVideo {
        still_bytes: end,
        video_at,
        video_bytes: src.size() - video_at,
    }))
}

/// The longest an iPhone's Live Photo video lasts, with a margin (Apple records 1.5 s each
/// side of the photo).
const LIVE_PHOTO_AT_MOST_SECS: f64 = 5.0;

/// The photo whose Live Photo video `path` is, if it is one: a short `.mov` or `.mp4` beside a
/// HEIC or JPEG photo of the same name (`IMG_0001.MOV` beside `IMG_0001.HEIC`).
pub fn live_photo_of(path: &Path) -> Option<PathBuf> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !matches!(ext.as_str(), "mov" | "mp4") {
        return None;
    }
    let stem = path.file_stem()?;
    let photo = ["HEIC", "heic", "HEIF", "heif", "JPG", "jpg", "JPEG", "jpeg"]
        .iter()
        .map(|e| path.with_file_name(stem).with_extension(e))
        .find(|p| p.is_file())?;
    let facts = super::video::probe(path).ok()??;
    facts
        .duration_secs
        .is_some_and(|d| d <= LIVE_PHOTO_AT_MOST_SECS)
        .then_some(photo)
}

/// The offset just after the JPEG's EOI, walking its segments and scans.
fn picture_end(src: &dyn Source) -> io::Result<Option<u64>> {
    if src.read(0, 2)? != [0xFF, 0xD8] {
        return Ok(None);
    }
    let mut at = 2u64;
    loop {
        let h = src.read(at, 4)?;
        if h.len() < 2 || h[0] != 0xFF {
            return Ok(None);
        }
        match h[1] {
            0xFF => at += 1,
            0xD9 => return Ok(Some(at + 2)),
            0x01 | 0xD0..=0xD7 => at += 2,
            marker => {
                if h.len() < 4 {
                    return Ok(None);
                }
                let len = u16::from_be_bytes([h[2], h[3]]) as u64;
                if len < 2 {
                    return Ok(None);
                }
                at += 2 + len;
                if marker == 0xDA {
                    match next_marker(src, at)? {
                        Some(m) => at = m,
                        None => return Ok(None),
                    }
                }
            }
        }
    }
}

/// The first marker at or after `at` in entropy-coded data: an `0xFF` followed by neither 0
/// (a stuffed byte), a restart marker, nor another `0xFF` (fill).
fn next_marker(src: &dyn Source, mut at: u64) -> io::Result<Option<u64>> {
    while at < src.size() {
        let buf = src.read(at, BLOCK)?;
        if buf.len() < 2 {
            return Ok(None);
        }
        // The last byte is looked at again with the next block, as the first of a pair.
        for i in memchr::memchr_iter(0xFF, &buf[..buf.len() - 1]) {
            let next = buf[i + 1];
            if next != 0 && next != 0xFF && !(0xD0..=0xD7).contains(&next) {
                return Ok(Some(at + i as u64));
            }
        }
        at += (buf.len() - 1) as u64;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(entropy: &[u8]) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 6, b'J', b'F', b'I', b'F'];
        b.extend([0xFF, 0xDA, 0, 4, 1, 2]);
        b.extend(entropy);
        b.extend([0xFF, 0xD9]);
        b
    }

    fn mp4(len: usize) -> Vec<u8> {
        let mut b = 24u32.to_be_bytes().to_vec();
        b.extend(b"ftypisom\0\0\x02\0isommp42");
        b.resize(len, 7);
        b
    }

    #[test]
    fn the_video_after_the_picture_is_found_past_stuffed_bytes_and_restarts() {
        // 0xFF 0x00 (stuffed), a restart marker and a fill byte are all inside the scan.
        let still = jpeg(&[1, 0xFF, 0, 2, 0xFF, 0xD3, 3, 0xFF, 0xFF, 0, 4]);
        let mut file = still.clone();
        file.extend(b"MotionPhoto_Data");
        let video_at = file.len() as u64;
        file.extend(mp4(5000));
        let found = find(&file).unwrap().unwrap();
        assert_eq!(found.still_bytes, still.len() as u64);
        assert_eq!(found.video_at, video_at);
        assert_eq!(found.video_bytes, 5000);
    }

    #[test]
    fn a_progressive_jpeg_ends_after_its_last_scan() {
        let mut b = vec![0xFF, 0xD8];
        b.extend([0xFF, 0xDA, 0, 4, 1, 2, 9, 9, 0xFF, 0]);
        b.extend([0xFF, 0xC4, 0, 4, 0, 0]); // a table between scans
        b.extend([0xFF, 0xDA, 0, 4, 1, 2, 8, 8]);
        b.extend([0xFF, 0xD9]);
        let still = b.len() as u64;
        b.extend(mp4(100));
        assert_eq!(find(&b).unwrap().unwrap().still_bytes, still);
    }

    #[test]
    fn other_trailing_bytes_and_plain_photos_are_left_alone() {
        let mut padded = jpeg(&[1, 2, 3]);
        padded.extend(vec![0u8; 3000]);
        assert_eq!(find(&padded).unwrap(), None);
        assert_eq!(find(&jpeg(&[1, 2, 3])).unwrap(), None);
        // A picture that never ends is not cut anywhere.
        let mut open = jpeg(&[1, 2, 3]);
        open.truncate(open.len() - 2);
        open.extend(mp4(100));
        assert_eq!(find(&open).unwrap(), None);
    }
}
