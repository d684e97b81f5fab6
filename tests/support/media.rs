//! Test media: files that classify as what they claim (an MP4 `ftyp` box, a PNG header with
//! real dimensions) with deterministic bytes after the header; and real photos as phones leave
//! them, made by ImageMagick and libheif and tagged by ExifTool, with ExifTool's reading of what
//! a store holds.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

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

pub fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} (scripts/setup.sh --test installs it): {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A photo as a phone leaves it: a position near the Eiffel Tower, the phone, its serial, an
/// author, and "rotate 90° clockwise to show".
pub fn phone_photo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let png = dir.join(format!("{name}.source.png"));
    run(
        "convert",
        &[
            "-size",
            "96x64",
            "gradient:navy-gold",
            png.to_str().unwrap(),
        ],
    );
    if name.ends_with(".heic") {
        run(
            "heif-enc",
            &[
                "-q",
                "60",
                png.to_str().unwrap(),
                "-o",
                path.to_str().unwrap(),
            ],
        );
    } else {
        run("convert", &[png.to_str().unwrap(), path.to_str().unwrap()]);
    }
    let mut tags = vec![
        "-q",
        "-overwrite_original",
        "-GPSLatitude=48.8584",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=2.2945",
        "-GPSLongitudeRef=E",
        "-Make=Apple",
        "-Model=iPhone 15",
        "-SerialNumber=F2LXK1ABC",
        "-Orientation#=6",
        "-XMP-dc:Creator=Ann Teacher",
        "-XMP-exif:GPSLatitude=48.8584",
        "-XMP-exif:GPSLongitude=2.2945",
    ];
    if name.ends_with(".jpg") {
        tags.extend(["-IPTC:City=Paris", "-IPTC:By-line=Ann Teacher"]);
    }
    tags.push(path.to_str().unwrap());
    run("exiftool", &tags);
    path
}

/// An 11-megapixel photo of noise at full quality: over Cloudflare Images' 10 MB.
pub fn heavy_photo(path: &Path) {
    let size = "3800x2900";
    run(
        "convert",
        &[
            "-size",
            size,
            "xc:gray",
            "+noise",
            "Random",
            "-quality",
            "100",
            path.to_str().unwrap(),
        ],
    );
}

/// ExifTool's reading of `bytes`, every group, as one JSON object.
pub fn exif_of(bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sent");
    std::fs::write(&f, bytes).unwrap();
    let out = Command::new("exiftool")
        .args(["-j", "-G", "-a", "-n"])
        .arg(&f)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("exiftool -j");
    v[0].clone()
}

/// The tags whose names say location or device, with a value.
pub fn private_tags(exif: &Value) -> Vec<String> {
    exif.as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| {
            let name = k.rsplit(':').next().unwrap_or(k);
            let private = name.starts_with("GPS")
                || [
                    "Make",
                    "Model",
                    "SerialNumber",
                    "Creator",
                    "City",
                    "By-line",
                ]
                .contains(&name);
            private && !v.as_str().is_some_and(|s| s.trim().is_empty())
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

pub fn decodes(bytes: &[u8], name: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    Command::new("convert")
        .arg(&f)
        .arg(dir.path().join("out.png"))
        .status()
        .unwrap()
        .success()
}

/// The bytes s3s-fs holds for `job`'s key (it keeps each object as a file).
pub fn stored_bytes(server: &crate::servers::S3Server, job: &Value) -> Vec<u8> {
    let key = job["key"].as_str().unwrap();
    std::fs::read(server.dir().join(&server.bucket).join(key)).unwrap()
}

pub fn by_name<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no {name}: {lines:?}"))
}

/// The copies Ferry has made in its prepared folder (fitted, converted, compressed, stills).
pub fn prepared_copies(ferry: &crate::ferry::Ferry) -> Vec<String> {
    std::fs::read_dir(ferry.home.path().join("prepared"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Upload `photo` at `kib` KiB/s, kill Ferry once its copy `copy` is made and being sent, then
/// resume: the copy the killed run left is what is sent, not made again (the log says so), and
/// no copy is left after. Returns the finished job.
pub fn kill_while_its_copy_is_sent(
    ferry: &mut crate::ferry::Ferry,
    photo: &Path,
    copy: &str,
    kib: u32,
) -> Value {
    use std::time::{Duration, Instant};
    ferry.set("FERRY_BANDWIDTH_LIMIT_KIB", &kib.to_string());
    let mut child = ferry.spawn(&["upload", "--json"], &[photo]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !prepared_copies(ferry).iter().any(|c| c == copy) {
        assert!(
            Instant::now() < deadline,
            "{copy} was never made: {:?}",
            prepared_copies(ferry)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1000));
    assert_ne!(
        ferry.status()[0]["state"],
        "done",
        "still sending at {kib} KiB/s"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(prepared_copies(ferry), [copy], "the copy waits for its job");
    ferry.unset("FERRY_BANDWIDTH_LIMIT_KIB");
    let out = ferry.run(&["resume", "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let log = std::fs::read_to_string(ferry.home.path().join("logs").join("ferry.log"))
        .unwrap_or_default();
    assert!(
        log.contains("the copy a crashed run made is sent, not made again"),
        "the photo is not prepared twice: {log}"
    );
    assert!(
        prepared_copies(ferry).is_empty(),
        "{:?}",
        prepared_copies(ferry)
    );
    let job = ferry.status()[0].clone();
    assert_eq!(job["state"], "done", "{job}");
    job
}

/// A real video of FFmpeg's test pattern at `path`: `seconds` long, `size` (`320x240`), `rate`
/// frames a second, in the container the name's ending says; H.264, or VP9 for `.webm`.
pub fn test_video(path: &Path, seconds: u32, size: &str, rate: u32) -> PathBuf {
    let webm = path.extension().is_some_and(|e| e == "webm");
    let codec: &[&str] = if webm {
        &["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "50k"]
    } else {
        &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ]
    };
    // `.MOV` and `.mov` alike: FFmpeg picks the container by the ending, in lower case.
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("mov") => "mov",
        Some(e) if e.eq_ignore_ascii_case("webm") => "webm",
        _ => "mp4",
    };
    let source = format!("testsrc=duration={seconds}:size={size}:rate={rate}");
    let mut args = vec!["-v", "error", "-y", "-f", "lavfi", "-i", &source];
    args.extend_from_slice(codec);
    args.extend(["-f", format, path.to_str().unwrap()]);
    run("ffmpeg", &args);
    path.to_path_buf()
}
