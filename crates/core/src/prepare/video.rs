//! Video pre-flight: what a video is, read from its first bytes and its index before anything
//! is sent. The container is told by its signature (the ones Stream takes, api-facts B.3); an
//! MP4, MOV or 3GP file's `moov` box gives its duration (`mvhd`), picture size (`tkhd`) and
//! codec (`stsd`); for the other containers `ffprobe` is asked when installed
//! ([`super::ffprobe`]). A file in no known container is not a video Stream can take, whatever
//! its name says; one whose length cannot be read is still a video, of unknown length.

use super::{FileSource, Source};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::Path;

/// What a video is, as read before sending it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoFacts {
    /// MP4, QuickTime, 3GP, Matroska, WebM, AVI, FLV, MPEG-TS, MPEG-PS, MXF, GXF or LXF.
    pub container: String,
    #[serde(default)]
    pub duration_secs: Option<f64>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    /// The picture's codec, in words (H.264, HEVC, AV1, VP9, ProRes…).
    #[serde(default)]
    pub codec: Option<String>,
}

impl VideoFacts {
    /// "12 min 34 s, 1920×1080, H.264", for the CLI.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.duration_secs {
            parts.push(duration_words(d));
        }
        if let (Some(w), Some(h)) = (self.width, self.height) {
            parts.push(format!("{w}×{h}"));
        }
        parts.push(self.codec.clone().unwrap_or_else(|| self.container.clone()));
        parts.join(", ")
    }
}

/// "1 h 02 min", "12 min 34 s", "45 s".
pub fn duration_words(secs: f64) -> String {
    let s = secs.round() as u64;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// What the file at `path` is as a video; `None` when it is in no container Stream takes.
pub fn probe(path: &Path) -> io::Result<Option<VideoFacts>> {
    let file = crate::fileinfo::open_exact(path)?;
    let size = file.metadata()?.len();
    let mut facts = probe_source(&FileSource { file, size })?;
    if let Some(f) = facts.as_mut()
        && f.duration_secs.is_none()
    {
        super::ffprobe::complete(path, f);
    }
    Ok(facts)
}

pub(crate) fn probe_source(src: &dyn Source) -> io::Result<Option<VideoFacts>> {
    let head = src.read(0, 400)?;
    let Some(container) = container_of(&head) else {
        return Ok(None);
    };
    let mut facts = VideoFacts {
        container: container.into(),
        duration_secs: None,
        width: None,
        height: None,
        codec: None,
    };
    if matches!(container, "MP4" | "QuickTime" | "3GP") {
        read_moov(src, &mut facts)?;
    }
    Ok(Some(facts))
}

fn container_of(h: &[u8]) -> Option<&'static str> {
    let at = |i: usize, s: &[u8]| h.get(i..i + s.len()) == Some(s);
    if at(4, b"ftyp") {
        return Some(match h.get(8..11) {
            Some(b"qt ") => "QuickTime",
            Some(b"3gp") | Some(b"3g2") => "3GP",
            _ => "MP4",
        });
    }
    // QuickTime files older than `ftyp` start with one of these boxes.
    if [b"moov", b"mdat", b"wide", b"free", b"skip"]
        .iter()
        .any(|t| at(4, *t))
    {
        return Some("QuickTime");
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        let webm = h.windows(4).any(|w| w == b"webm");
        return Some(if webm { "WebM" } else { "Matroska" });
    }
    if at(0, b"RIFF") && at(8, b"AVI ") {
        return Some("AVI");
    }
    if at(0, b"FLV\x01") {
        return Some("FLV");
    }
    if h.len() > 376 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47 {
        return Some("MPEG-TS");
    }
    if h.len() > 388 && h[4] == 0x47 && h[196] == 0x47 && h[388] == 0x47 {
        return Some("MPEG-TS"); // M2TS: 4-byte timestamps before each packet
    }
    if at(0, &[0, 0, 1, 0xBA]) || at(0, &[0, 0, 1, 0xB3]) {
        return Some("MPEG-PS");
    }
    if at(0, &[0x06, 0x0E, 0x2B, 0x34]) {
        return Some("MXF");
    }
    if at(0, &[0, 0, 0, 0, 1, 0xBC]) {
        return Some("GXF");
    }
    if at(0, b"LEITCH") {
        return Some("LXF");
    }
    None
}

/// A `moov` box larger than this is not read (its index would be unusual for a lesson).
const MOOV_AT_MOST: u64 = 64 << 20;

fn read_moov(src: &dyn Source, facts: &mut VideoFacts) -> io::Result<()> {
    let mut at = 0u64;
    while at + 8 <= src.size() {
        let h = src.read(at, 16)?;
        let mut size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        if size == 1 && h.len() >= 16 {
            size = u64::from_be_bytes(h[8..16].try_into().expect("8 bytes"));
        } else if size == 0 {
            size = src.size() - at;
        }
        if size < 8 || at + size > src.size() {
            return Ok(());
        }
        if &h[4..8] == b"moov" && size <= MOOV_AT_MOST {
            let moov = src.read(at, size as usize)?;
            moov_facts(&moov[8..], facts);
            return Ok(());
        }
        at += size;
    }
    Ok(())
}

/// The child boxes of `b`: (type, content).
fn children(b: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= b.len() {
        let size = u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes")) as usize;
        let (size, header) = match size {
            0 => (b.len() - at, 8),
            1 if at + 16 <= b.len() => (
                u64::from_be_bytes(b[at + 8..at + 16].try_into().expect("8")) as usize,
                16,
            ),
            s => (s, 8),
        };
        if size < header || at + size > b.len() {
            break;
        }
        out.push((
            [b[at + 4], b[at + 5], b[at + 6], b[at + 7]],
            &b[at + header..at + size],
        ));
        at += size;
    }
    out
}

fn child<'a>(b: &'a [u8], name: &[u8; 4]) -> Option<&'a [u8]> {
    children(b)
        .into_iter()
        .find(|(t, _)| t == name)
        .map(|(_, c)| c)
}

fn be(b: &[u8], at: usize, n: usize) -> Option<u64> {
    Some(
        b.get(at..at + n)?
            .iter()
            .fold(0u64, |v, &x| (v << 8) | x as u64),
    )
}

fn moov_facts(moov: &[u8], facts: &mut VideoFacts) {
    if let Some(mvhd) = child(moov, b"mvhd") {
        let v1 = mvhd.first() == Some(&1);
        let (scale, duration) = if v1 {
            (be(mvhd, 20, 4), be(mvhd, 24, 8))
        } else {
            (be(mvhd, 12, 4), be(mvhd, 16, 4))
        };
        if let (Some(scale), Some(d)) = (scale, duration)
            && scale > 0
            && d != u64::from(u32::MAX)
            && d != u64::MAX
        {
            facts.duration_secs = Some(d as f64 / scale as f64);
        }
    }
    for (ty, trak) in children(moov) {
        if &ty != b"trak" {
            continue;
        }
        let Some(mdia) = child(trak, b"mdia") else {
            continue;
        };
        let handler = child(mdia, b"hdlr").and_then(|h| h.get(8..12));
        if handler != Some(b"vide") {
            continue;
        }
        if let Some(tkhd) = child(trak, b"tkhd") {
            let tail = if tkhd.first() == Some(&1) { 88 } else { 76 };
            facts.width = be(tkhd, tail, 4)
                .map(|w| (w >> 16) as u32)
                .filter(|&w| w > 0);
            facts.height = be(tkhd, tail + 4, 4)
                .map(|h| (h >> 16) as u32)
                .filter(|&h| h > 0);
        }
        let stsd = child(mdia, b"minf")
            .and_then(|m| child(m, b"stbl"))
            .and_then(|s| child(s, b"stsd"));
        if let Some(fourcc) = stsd.and_then(|s| s.get(12..16)) {
            facts.codec = Some(codec_name(fourcc));
        }
        break;
    }
}

fn codec_name(fourcc: &[u8]) -> String {
    match fourcc {
        b"avc1" | b"avc3" => "H.264".into(),
        b"hvc1" | b"hev1" => "HEVC".into(),
        b"av01" => "AV1".into(),
        b"vp09" => "VP9".into(),
        b"vp08" => "VP8".into(),
        b"mp4v" => "MPEG-4".into(),
        b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "ProRes".into(),
        other => String::from_utf8_lossy(other).trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(ty: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut b = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend(ty);
        b.extend(content);
        b
    }

    /// An MP4 with its index at the end (as cameras write them): 90.5 s, 1280×720, H.264.
    pub(crate) fn mp4() -> Vec<u8> {
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        mvhd[16..20].copy_from_slice(&90_500u32.to_be_bytes());
        let mut tkhd = vec![0u8; 84];
        tkhd[76..80].copy_from_slice(&(1280u32 << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(720u32 << 16).to_be_bytes());
        let hdlr = [&[0u8; 8][..], b"vide", &[0; 12]].concat();
        let stsd = [
            &[0u8, 0, 0, 0, 0, 0, 0, 1][..],
            &86u32.to_be_bytes(),
            b"avc1",
            &[0; 78],
        ]
        .concat();
        let stbl = bx(b"stbl", &bx(b"stsd", &stsd));
        let mdia = bx(b"mdia", &[bx(b"hdlr", &hdlr), bx(b"minf", &stbl)].concat());
        let trak = bx(b"trak", &[bx(b"tkhd", &tkhd), mdia].concat());
        let moov = bx(b"moov", &[bx(b"mvhd", &mvhd), trak].concat());
        [
            bx(b"ftyp", b"isom\0\0\x02\0isomavc1"),
            bx(b"mdat", &[7u8; 5000]),
            moov,
        ]
        .concat()
    }

    #[test]
    fn an_mp4_tells_its_length_size_and_codec() {
        let facts = probe_source(&mp4()).unwrap().unwrap();
        assert_eq!(facts.container, "MP4");
        assert_eq!(facts.duration_secs, Some(90.5));
        assert_eq!((facts.width, facts.height), (Some(1280), Some(720)));
        assert_eq!(facts.describe(), "1 min 31 s, 1280×720, H.264");
    }

    #[test]
    fn containers_are_told_by_their_signature_not_their_name() {
        let webm = [&[0x1A, 0x45, 0xDF, 0xA3][..], b"\x9f\x42\x82\x84webm"].concat();
        assert_eq!(probe_source(&webm).unwrap().unwrap().container, "WebM");
        let mut ts = vec![0u8; 564];
        for i in [0, 188, 376] {
            ts[i] = 0x47;
        }
        assert_eq!(probe_source(&ts).unwrap().unwrap().container, "MPEG-TS");
        assert_eq!(
            probe_source(&b"%PDF-1.7 not a film".to_vec()).unwrap(),
            None
        );
        assert_eq!(probe_source(&vec![0u8; 10]).unwrap(), None);
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(45.2), "45 s");
        assert_eq!(duration_words(754.0), "12 min 34 s");
        assert_eq!(duration_words(3725.0), "1 h 02 min");
    }
}
