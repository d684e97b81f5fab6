//! A video's duration from its MP4/QuickTime container, so the emulator can refuse a video over
//! `maxDurationSeconds` as Stream does (`ERR_DURATION_EXCEED_CONSTRAINT`, api-facts B.5): the
//! movie header (`moov/mvhd`) gives a timescale and a duration. The top-level boxes are walked
//! by seeking, so a `moov` at the end of a large file costs a few reads.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Seconds, when the file is an MP4 with a movie header.
pub fn duration(path: &Path) -> Option<f64> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let moov = find_box(&mut f, 0, len, b"moov")?;
    let mvhd = find_box(&mut f, moov.0, moov.1, b"mvhd")?;
    f.seek(SeekFrom::Start(mvhd.0)).ok()?;
    let mut head = [0u8; 32];
    f.read_exact(&mut head).ok()?;
    let (scale, units) = if head[0] == 1 {
        // version 1: 8-byte creation and modification times, 4-byte scale, 8-byte duration
        (
            u32::from_be_bytes(head[20..24].try_into().ok()?),
            u64::from_be_bytes(head[24..32].try_into().ok()?),
        )
    } else {
        (
            u32::from_be_bytes(head[12..16].try_into().ok()?),
            u64::from(u32::from_be_bytes(head[16..20].try_into().ok()?)),
        )
    };
    (scale > 0).then(|| units as f64 / f64::from(scale))
}

/// The body (start, end) of the first box of type `kind` between `from` and `to`.
fn find_box(f: &mut std::fs::File, from: u64, to: u64, kind: &[u8; 4]) -> Option<(u64, u64)> {
    let mut at = from;
    while at + 8 <= to {
        f.seek(SeekFrom::Start(at)).ok()?;
        let mut h = [0u8; 16];
        f.read_exact(&mut h[..8]).ok()?;
        let mut size = u64::from(u32::from_be_bytes(h[0..4].try_into().ok()?));
        let mut body = at + 8;
        if size == 1 {
            f.read_exact(&mut h[8..16]).ok()?;
            size = u64::from_be_bytes(h[8..16].try_into().ok()?);
            body = at + 16;
        } else if size == 0 {
            size = to - at;
        }
        if size < body - at || at + size > to {
            return None;
        }
        if &h[4..8] == kind {
            return Some((body, at + size));
        }
        at += size;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_of(seconds: u32, moov_last: bool) -> Vec<u8> {
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        mvhd[16..20].copy_from_slice(&(seconds * 1000).to_be_bytes());
        let boxed = |kind: &[u8], body: &[u8]| {
            let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(kind);
            b.extend_from_slice(body);
            b
        };
        let moov = boxed(b"moov", &boxed(b"mvhd", &mvhd));
        let ftyp = boxed(b"ftyp", b"isom\0\0\0\0");
        let mdat = boxed(b"mdat", &[7u8; 5000]);
        if moov_last {
            [ftyp, mdat, moov].concat()
        } else {
            [ftyp, moov, mdat].concat()
        }
    }

    #[test]
    fn the_movie_header_gives_the_duration_wherever_it_is() {
        let dir = std::env::temp_dir().join(format!("ferry-mp4-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for last in [false, true] {
            let p = dir.join(format!("v{last}.mp4"));
            std::fs::write(&p, mp4_of(754, last)).unwrap();
            assert_eq!(duration(&p), Some(754.0));
        }
        let p = dir.join("not.mp4");
        std::fs::write(&p, b"not a video at all").unwrap();
        assert_eq!(duration(&p), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
