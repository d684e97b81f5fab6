//! Phone formats: a HEIC photo made by libheif's encoder, given a position, a phone and a
//! sideways orientation by ExifTool, is sent as a JPEG. Cloudflare Images takes it (it would
//! refuse HEIC), a bucket gets it under a `.jpg` key, and ExifTool reads no location or phone
//! in what was stored but the same orientation; the bytes are the copy Ferry recorded, and the
//! same as `ferry inspect --save` writes. Without libheif, or in a course that keeps originals,
//! the photo goes as HEIC (its location still removed) and Ferry says how to get JPEG. An upload
//! killed while sending the copy resumes, sends it once, and leaves no copy behind.

use ferry_e2e::cloudsim::{self, CloudSim, fetch};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{
    decodes, exif_of, kill_while_its_copy_is_sent, phone_photo, prepared_copies, private_tags, run,
    stored_bytes, test_video,
};
use ferry_e2e::servers::S3Server;
use std::path::Path;

fn is_jpeg(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF])
}

fn is_heif(b: &[u8]) -> bool {
    b.len() > 12 && &b[4..8] == b"ftyp"
}

/// After an upload that sent a copy: the file on disk is unchanged, no copy is left, and
/// `ferry status` says `words` of it.
fn after_upload(ferry: &Ferry, photo: &Path, original: &[u8], words: &str) {
    assert_eq!(
        std::fs::read(photo).unwrap(),
        original,
        "the file is unchanged"
    );
    assert!(
        prepared_copies(ferry).is_empty(),
        "{:?}",
        prepared_copies(ferry)
    );
    let status = ferry.run(&["status"]);
    assert!(status.stdout.contains(words), "{}", status.stdout);
}

#[test]
fn a_heic_photo_reaches_cloudflare_images_as_an_upright_jpeg_without_details() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "classroom.heic");
    let original = std::fs::read(&photo).unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let out = ferry.run_paths(&["upload", "--json"], &[&photo]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    assert_eq!(job["destination"], "images", "Images takes the JPEG: {job}");
    let prepared = &job["prepared"];
    assert_eq!(prepared["location"], true, "{job}");
    assert_eq!(prepared["converted"]["content_type"], "image/jpeg", "{job}");
    assert_eq!(prepared["converted"]["width"], 96, "{job}");
    let (code, served) = fetch(job["url"].as_str().unwrap());
    assert_eq!(code, 200);
    assert!(is_jpeg(&served), "Images holds a JPEG");
    let exif = exif_of(&served);
    assert_eq!(private_tags(&exif), Vec::<String>::new(), "{exif}");
    assert_eq!(
        exif["EXIF:Orientation"], 6,
        "shown upright as before: {exif}"
    );
    assert_eq!(exif["File:ImageWidth"], 96, "{exif}");
    assert!(decodes(&served, "sent.jpg"));
    assert_eq!(
        blake3::hash(&served).to_hex().as_str(),
        prepared["hash"].as_str().unwrap(),
        "Images holds exactly the copy Ferry recorded"
    );
    after_upload(&ferry, &photo, &original, "sent as JPEG (was HEIC)");

    // `ferry inspect --save` writes the very bytes the upload sent.
    let saved = dir.path().join("saved");
    let inspect = ferry.run_paths(&["inspect", "--save", saved.to_str().unwrap()], &[&photo]);
    assert_eq!(inspect.code, 0, "{}", inspect.stderr);
    assert_eq!(std::fs::read(saved.join("classroom.jpg")).unwrap(), served);
}

#[test]
fn a_bucket_gets_the_jpeg_under_a_jpg_key_unless_the_course_keeps_originals() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "IMG_0042.heic");
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let out = ferry.run_paths(&["upload", "--json"], &[&photo]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    assert!(
        job["key"].as_str().unwrap().ends_with("IMG_0042.jpg"),
        "{job}"
    );
    let stored = stored_bytes(&server, job);
    assert!(is_jpeg(&stored));
    assert_eq!(private_tags(&exif_of(&stored)), Vec::<String>::new());
    assert_eq!(
        blake3::hash(&stored).to_hex().as_str(),
        job["prepared"]["hash"].as_str().unwrap()
    );

    // A course that keeps originals sends the HEIC, its location still removed.
    let add = ferry.run(&["course", "add", "Archive", "--keep-originals", "yes"]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    let kept = ferry.run_paths(
        &["upload", "--json", "--course", "Archive", "--force"],
        &[&photo],
    );
    assert_eq!(kept.code, 0, "{}\n{}", kept.stdout, kept.stderr);
    let job = &kept.lines()[0];
    assert!(
        job["key"].as_str().unwrap().ends_with("IMG_0042.heic"),
        "{job}"
    );
    let stored = stored_bytes(&server, job);
    assert!(is_heif(&stored));
    assert!(job["prepared"]["converted"].is_null(), "{job}");
    assert_eq!(private_tags(&exif_of(&stored)), Vec::<String>::new());
}

#[test]
fn without_libheif_the_heic_goes_as_it_is_and_ferry_says_how_to_get_jpeg() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "lab.heic");
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry.set("FERRY_HEIF_DECODER", "none");
    let out = ferry.run_paths(&["upload", "--json"], &[&photo]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("lab.heic") && out.stderr.contains("libheif-examples"),
        "the note names the photo and what to install: {}",
        out.stderr
    );
    let job = &out.lines()[0];
    assert!(job["key"].as_str().unwrap().ends_with("lab.heic"), "{job}");
    let stored = stored_bytes(&server, job);
    assert!(is_heif(&stored));
    assert_eq!(job["prepared"]["location"], true, "{job}");
    assert_eq!(private_tags(&exif_of(&stored)), Vec::<String>::new());
}

/// A 3-megapixel HEIC of noise: its JPEG copy is about 2.4 MB.
fn large_heic(dir: &Path, name: &str) -> std::path::PathBuf {
    let png = dir.join(format!("{name}.png"));
    let path = dir.join(name);
    run(
        "convert",
        &[
            "-size",
            "2000x1500",
            "xc:gray",
            "+noise",
            "Random",
            png.to_str().unwrap(),
        ],
    );
    run(
        "heif-enc",
        &[
            "-q",
            "90",
            png.to_str().unwrap(),
            "-o",
            path.to_str().unwrap(),
        ],
    );
    path
}

#[test]
fn a_converted_photo_killed_mid_upload_resumes_once_and_leaves_no_copy() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let photo = large_heic(dir.path(), "mural.heic");
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let job = kill_while_its_copy_is_sent(&mut ferry, &photo, "job-1.jpg", 512);
    assert_eq!(sim.images().len(), 1, "sent once");
    let (_, served) = fetch(job["url"].as_str().unwrap());
    assert!(is_jpeg(&served));
    assert_eq!(
        blake3::hash(&served).to_hex().as_str(),
        job["prepared"]["hash"].as_str().unwrap()
    );
}

#[test]
fn a_damaged_heic_fails_with_what_to_do_and_leaves_no_copy() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "broken.heic");
    // The header survives (it still classifies as HEIC); the picture's data does not.
    let bytes = std::fs::read(&photo).unwrap();
    std::fs::write(&photo, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let out = ferry.run_paths(&["upload", "--json"], &[&photo]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    let job = &ferry.status()[0];
    assert_eq!(job["state"], "failed", "{job}");
    let message = job["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("broken.heic") && message.contains("export it as JPEG"),
        "{job}"
    );
    assert_eq!(job["error"]["code"], "unsupported_type", "{job}");
    assert!(
        prepared_copies(&ferry).is_empty(),
        "{:?}",
        prepared_copies(&ferry)
    );
}

/// A motion photo as Android phones save it: a JPEG (with a position and a phone), then a
/// two-second MP4 made by FFmpeg after its end.
fn motion_photo(dir: &Path, name: &str) -> (std::path::PathBuf, Vec<u8>, Vec<u8>) {
    let still = phone_photo(dir, &format!("{name}.still.jpg"));
    let video = dir.join(format!("{name}.mp4"));
    test_video(&video, 2, "160x120", 10);
    let (still, video) = (std::fs::read(still).unwrap(), std::fs::read(video).unwrap());
    let path = dir.join(name);
    std::fs::write(&path, [still.as_slice(), video.as_slice()].concat()).unwrap();
    (path, still, video)
}

#[test]
fn a_motion_photo_goes_as_its_still_and_inspect_saves_its_video_as_its_own_file() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let (photo, still, video) = motion_photo(dir.path(), "PXL_20261207_101500.MP.jpg");
    let original = std::fs::read(&photo).unwrap();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let out = ferry.run_paths(&["upload", "--json"], &[&photo]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    let motion = &job["prepared"]["motion"];
    assert_eq!(motion["still_bytes"], still.len(), "{job}");
    assert_eq!(motion["video_bytes"], video.len(), "{job}");
    let stored = stored_bytes(&server, job);
    assert_eq!(stored.len(), still.len(), "only the still was sent");
    assert!(!stored.windows(4).any(|w| w == b"ftyp"), "no video in it");
    assert_eq!(private_tags(&exif_of(&stored)), Vec::<String>::new());
    assert!(decodes(&stored, "still.jpg"));
    assert_eq!(
        blake3::hash(&stored).to_hex().as_str(),
        job["prepared"]["hash"].as_str().unwrap()
    );
    after_upload(&ferry, &photo, &original, "a motion photo: sent as a still");

    // `inspect --save` writes the still an upload sends, and the video as its own file.
    let saved = dir.path().join("saved");
    let inspect = ferry.run_paths(&["inspect", "--save", saved.to_str().unwrap()], &[&photo]);
    assert_eq!(inspect.code, 0, "{}", inspect.stderr);
    assert!(
        inspect.stdout.contains("its video, as its own file"),
        "{}",
        inspect.stdout
    );
    assert_eq!(
        std::fs::read(saved.join("PXL_20261207_101500.MP.jpg")).unwrap(),
        stored
    );
    let side = saved.join("PXL_20261207_101500.MP.motion.mp4");
    assert_eq!(std::fs::read(&side).unwrap(), video);
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&side)
        .output()
        .unwrap();
    let seconds: f64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(
        (seconds - 2.0).abs() < 0.2,
        "a playable 2 s video: {seconds}"
    );

    // A course that keeps originals sends the whole file, its video with it.
    let add = ferry.run(&["course", "add", "Archive", "--keep-originals", "yes"]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    let kept = ferry.run_paths(
        &["upload", "--json", "--course", "Archive", "--force"],
        &[&photo],
    );
    assert_eq!(kept.code, 0, "{}\n{}", kept.stdout, kept.stderr);
    let job = &kept.lines()[0];
    let stored = stored_bytes(&server, job);
    assert_eq!(stored.len(), original.len(), "{job}");
    assert_eq!(
        private_tags(&exif_of(&stored[..still.len()])),
        Vec::<String>::new()
    );
}

#[test]
fn a_live_photos_video_in_a_folder_is_left_out_and_said_and_goes_when_added_alone() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Field trip");
    std::fs::create_dir(&folder).unwrap();
    let photo = phone_photo(&folder, "IMG_0001.heic");
    std::fs::rename(&photo, folder.join("IMG_0001.HEIC")).unwrap();
    test_video(&folder.join("IMG_0001.MOV"), 2, "160x120", 10);
    // A longer video beside a photo of its name is a video the teacher made: it goes.
    phone_photo(&folder, "IMG_0002.jpg");
    test_video(&folder.join("IMG_0002.MOV"), 8, "160x120", 10);
    for leftover in std::fs::read_dir(&folder).unwrap().flatten() {
        if leftover.file_name().to_string_lossy().contains(".source.") {
            std::fs::remove_file(leftover.path()).unwrap();
        }
    }
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let out = ferry.run_paths(&["upload", "--json"], &[&folder]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let names: Vec<String> = out
        .lines()
        .iter()
        .map(|j| j["name"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["IMG_0001.HEIC", "IMG_0002.MOV", "IMG_0002.jpg"],
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("IMG_0001.MOV")
            && out
                .stderr
                .contains("the moving part of the Live Photo IMG_0001.HEIC")
            && out.stderr.contains("add it on its own"),
        "{}",
        out.stderr
    );

    // Named on its own, it is the teacher's choice: it goes, as a video.
    let alone = ferry.run_paths(&["upload", "--json"], &[&folder.join("IMG_0001.MOV")]);
    assert_eq!(alone.code, 0, "{}\n{}", alone.stdout, alone.stderr);
    let job = &alone.lines()[0];
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["kind"], "video", "{job}");
}
