//! Photos leave without where they were taken: JPEG, PNG and WebP made by ImageMagick and HEIC
//! by libheif's encoder, given a GPS position, a phone's make, model and serial, an author and
//! a sideways orientation by ExifTool, are uploaded; the bytes the store holds are read back
//! with ExifTool (a reader Ferry did not write). No GPS and no device is left, the orientation
//! is, the picture still decodes, the bytes are exactly the prepared copy Ferry recorded, and
//! the files on disk are unchanged. A course that keeps the details sends the file as it is
//! (and is never handed out for the same photo added outside it), and an upload killed midway
//! resumes with the same prepared bytes.

use ferry_e2e::cloudsim::{self, CloudSim, fetch};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{
    by_name, decodes, exif_of, heavy_photo, kill_while_its_copy_is_sent, phone_photo,
    prepared_copies, private_tags, run, stored_bytes,
};
use ferry_e2e::servers::S3Server;
use ferry_e2e::sha256_hex;
use std::path::{Path, PathBuf};

const PHOTOS: [&str; 4] = [
    "whiteboard.jpg",
    "diagram.png",
    "poster.webp",
    "classroom.heic",
];

#[test]
fn photos_reach_the_bucket_without_location_or_phone_and_still_upright() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let photos: Vec<PathBuf> = PHOTOS.iter().map(|n| phone_photo(dir.path(), n)).collect();
    let before: Vec<String> = photos
        .iter()
        .map(|p| sha256_hex(&std::fs::read(p).unwrap()))
        .collect();
    for (p, name) in photos.iter().zip(PHOTOS) {
        let exif = exif_of(&std::fs::read(p).unwrap());
        assert!(
            private_tags(&exif).len() >= 5,
            "{name} is made with its details: {exif}"
        );
    }

    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let paths: Vec<&Path> = photos.iter().map(|p| p.as_path()).collect();
    let out = ferry.run_paths(&["upload", "--json"], &paths);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let lines = out.lines();
    for name in PHOTOS {
        let job = by_name(&lines, name);
        assert_eq!(job["state"], "done", "{job}");
        let prepared = &job["prepared"];
        assert_eq!(prepared["location"], true, "{name}: {job}");
        assert_eq!(prepared["device"], true, "{name}: {job}");
        let stored = stored_bytes(&server, job);
        let exif = exif_of(&stored);
        assert_eq!(
            private_tags(&exif),
            Vec::<String>::new(),
            "{name} went out with: {exif}"
        );
        assert_eq!(
            exif["EXIF:Orientation"], 6,
            "{name} keeps its orientation: {exif}"
        );
        assert!(decodes(&stored, name), "{name} still decodes");
        assert_eq!(
            blake3::hash(&stored).to_hex().as_str(),
            prepared["hash"].as_str().unwrap(),
            "{name}: the store holds exactly the prepared copy"
        );
    }
    let after: Vec<String> = photos
        .iter()
        .map(|p| sha256_hex(&std::fs::read(p).unwrap()))
        .collect();
    assert_eq!(before, after, "the files on disk are never changed");
    let human = ferry.run(&["status"]);
    assert!(human.stdout.contains("location"), "{}", human.stdout);
}

#[test]
fn cloudflare_images_gets_the_prepared_photo() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "field-trip.jpg");
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let out = ferry.run_paths(&["upload", "--json"], &[&photo]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    assert_eq!(job["destination"], "images", "{job}");
    let (code, served) = fetch(job["url"].as_str().unwrap());
    assert_eq!(code, 200);
    let exif = exif_of(&served);
    assert_eq!(
        private_tags(&exif),
        Vec::<String>::new(),
        "Images got: {exif}"
    );
    assert_eq!(
        blake3::hash(&served).to_hex().as_str(),
        job["prepared"]["hash"].as_str().unwrap()
    );
}

#[test]
fn a_course_that_keeps_the_details_sends_the_photo_as_it_is() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "site-survey.jpg");
    let original = std::fs::read(&photo).unwrap();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let add = ferry.run(&[
        "course",
        "add",
        "Geography field work",
        "--keep-metadata",
        "yes",
    ]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert!(add.stdout.contains("location"), "{}", add.stdout);
    let out = ferry.run_paths(
        &["upload", "--json", "--course", "Geography field work"],
        &[&photo],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    assert!(job["prepared"].is_null(), "{job}");
    let stored = stored_bytes(&server, job);
    assert_eq!(stored, original, "sent as it is");
    assert!(!private_tags(&exif_of(&stored)).is_empty());

    // The same photo added again outside the course is sent again, prepared: the copy with
    // its location is never handed out as its upload.
    let again = ferry.run_paths(&["upload", "--json"], &[&photo]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let job = &again.lines()[0];
    assert_eq!(job["deduplicated"], false, "{job}");
    assert_eq!(job["prepared"]["location"], true, "{job}");
    let stored = stored_bytes(&server, job);
    assert_eq!(private_tags(&exif_of(&stored)), Vec::<String>::new());
}

#[test]
fn an_upload_killed_midway_resumes_with_the_same_prepared_bytes() {
    const PART: usize = 5 * 1024 * 1024;
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "panorama.jpg");
    // A large photo: the picture, then bytes after its end that viewers ignore, 3 parts in all.
    let mut bytes = std::fs::read(&photo).unwrap();
    bytes.extend(ferry_e2e::data(2 * PART + 1234, 9));
    std::fs::write(&photo, &bytes).unwrap();
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "1")
        .set("FERRY_BANDWIDTH_LIMIT_KIB", "4096");
    let mut child = ferry.spawn(&["upload", "--json"], &[&photo]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while ferry
        .status()
        .first()
        .is_none_or(|j| j["bytes_done"].as_u64().unwrap_or(0) < PART as u64)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the first part was never confirmed"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    ferry.unset("FERRY_BANDWIDTH_LIMIT_KIB");
    let out = ferry.run(&["resume", "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &ferry.status()[0];
    assert_eq!(job["state"], "done", "{job}");
    let stored = stored_bytes(&server, job);
    assert_eq!(
        blake3::hash(&stored).to_hex().as_str(),
        job["prepared"]["hash"].as_str().unwrap()
    );
    assert_eq!(private_tags(&exif_of(&stored)), Vec::<String>::new());
    assert_eq!(&stored[stored.len() - 1000..], &bytes[bytes.len() - 1000..]);
}

#[test]
fn inspect_says_what_a_photo_reveals_and_saves_the_copy_an_upload_would_send() {
    let dir = tempfile::tempdir().unwrap();
    let photo = phone_photo(dir.path(), "lab bench.jpg");
    let plain = dir.path().join("notes.txt");
    std::fs::write(&plain, "no secrets here").unwrap();
    let original = std::fs::read(&photo).unwrap();
    let ferry = Ferry::with_env(&[]);
    let out_dir = dir.path().join("to share");

    let said = ferry.run(&["inspect", photo.to_str().unwrap(), plain.to_str().unwrap()]);
    assert_eq!(said.code, 0, "{}", said.stderr);
    assert!(
        said.stdout
            .contains("lab bench.jpg: location, camera, author and other details removed"),
        "{}",
        said.stdout
    );
    assert!(
        said.stdout.contains("notes.txt: nothing to remove"),
        "{}",
        said.stdout
    );

    let saved = ferry.run(&[
        "inspect",
        "--json",
        "--save",
        out_dir.to_str().unwrap(),
        photo.to_str().unwrap(),
    ]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let line = &saved.lines()[0];
    let copy = std::fs::read(out_dir.join("lab bench.jpg")).unwrap();
    assert_eq!(
        blake3::hash(&copy).to_hex().as_str(),
        line["prepared"]["hash"].as_str().unwrap()
    );
    assert_eq!(private_tags(&exif_of(&copy)), Vec::<String>::new());
    assert_eq!(
        std::fs::read(&photo).unwrap(),
        original,
        "the photo itself is unchanged"
    );

    // A folder, or a copy that would replace the photo itself, is refused with what to do.
    let folder = ferry.run(&["inspect", dir.path().to_str().unwrap()]);
    assert_eq!(folder.code, 1);
    assert!(
        folder.stderr.contains("is a folder; name the photos in it"),
        "{}",
        folder.stderr
    );
    let onto = ferry.run(&[
        "inspect",
        "--save",
        dir.path().to_str().unwrap(),
        photo.to_str().unwrap(),
    ]);
    assert_eq!(onto.code, 1);
    assert!(
        onto.stderr
            .contains("save the prepared copy in another folder"),
        "{}",
        onto.stderr
    );
    assert_eq!(std::fs::read(&photo).unwrap(), original);
}

#[test]
fn documents_say_who_they_name_and_go_as_they_are() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    // A one-page PDF, its author set by ExifTool (as an incremental update, as editors do); a
    // Word file written by Python's zipfile with the creator and last editor Word keeps in
    // docProps/core.xml.
    let pdf = dir.path().join("syllabus.pdf");
    let make_pdf = r#"
import sys
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>"]
out, offsets = bytearray(b"%PDF-1.4\n"), []
for i, o in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
"#;
    run("python3", &["-c", make_pdf, pdf.to_str().unwrap()]);
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-Author=Ann Teacher",
            pdf.to_str().unwrap(),
        ],
    );
    let docx = dir.path().join("worksheet.docx");
    let script = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("word/document.xml", "<w:document/>")
    z.writestr("docProps/core.xml", '<cp:coreProperties xmlns:cp="x" xmlns:dc="y"><dc:creator>Ann Teacher</dc:creator><cp:lastModifiedBy>Sam Aide</cp:lastModifiedBy></cp:coreProperties>')
"#;
    run("python3", &["-c", script, docx.to_str().unwrap()]);
    let originals = [std::fs::read(&pdf).unwrap(), std::fs::read(&docx).unwrap()];

    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let said = ferry.run(&["inspect", pdf.to_str().unwrap(), docx.to_str().unwrap()]);
    assert!(
        said.stdout
            .contains("syllabus.pdf: names Ann Teacher; sent as it is"),
        "{}",
        said.stdout
    );
    assert!(
        said.stdout
            .contains("worksheet.docx: names Ann Teacher and Sam Aide"),
        "{}",
        said.stdout
    );

    let out = ferry.run_paths(&["upload", "--json"], &[&pdf, &docx]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let lines = out.lines();
    for (name, named, original) in [
        ("syllabus.pdf", vec!["Ann Teacher"], &originals[0]),
        (
            "worksheet.docx",
            vec!["Ann Teacher", "Sam Aide"],
            &originals[1],
        ),
    ] {
        let job = by_name(&lines, name);
        assert_eq!(job["prepared"]["named"], serde_json::json!(named), "{job}");
        assert_eq!(job["prepared"]["location"], false);
        let stored = stored_bytes(&server, job);
        assert_eq!(&stored, original, "{name} is sent as it is");
    }
}

#[test]
fn photos_over_the_images_limits_are_fitted_to_it_upright_and_without_details() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    // A panorama wider than Images' 12,000 px, and an 11-megapixel photo of noise at full
    // quality, over its 10 MB; both with a GPS position and "rotate 90° to show".
    let wide = dir.path().join("panorama.png");
    run(
        "convert",
        &[
            "-size",
            "13000x300",
            "gradient:navy-gold",
            wide.to_str().unwrap(),
        ],
    );
    let heavy = dir.path().join("chalkboard.jpg");
    heavy_photo(&heavy);
    for p in [&wide, &heavy] {
        run(
            "exiftool",
            &[
                "-q",
                "-overwrite_original",
                "-GPSLatitude=48.85",
                "-GPSLatitudeRef=N",
                "-GPSLongitude=2.29",
                "-GPSLongitudeRef=E",
                "-Orientation#=6",
                p.to_str().unwrap(),
            ],
        );
    }
    assert!(std::fs::metadata(&heavy).unwrap().len() > 10_000_000);
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let out = ferry.run_paths(&["upload", "--json"], &[&wide, &heavy]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let lines = out.lines();
    for (name, from, upright) in [
        ("panorama.png", (300, 13_000), (276, 12_000)),
        ("chalkboard.jpg", (2900, 3800), (0, 0)),
    ] {
        let job = by_name(&lines, name);
        assert_eq!(
            job["destination"], "images",
            "{name} fits Images now: {job}"
        );
        let fitted = &job["prepared"]["fitted"];
        assert_eq!(
            (
                fitted["from_width"].as_u64().unwrap(),
                fitted["from_height"].as_u64().unwrap()
            ),
            from,
            "turned upright first: {fitted}"
        );
        if upright.0 > 0 {
            assert_eq!(
                (
                    fitted["width"].as_u64().unwrap(),
                    fitted["height"].as_u64().unwrap()
                ),
                upright,
                "{fitted}"
            );
        }
        let (code, served) = fetch(job["url"].as_str().unwrap());
        assert_eq!(code, 200);
        assert!(served.len() <= 10_000_000, "{name}: {} bytes", served.len());
        assert_eq!(
            blake3::hash(&served).to_hex().as_str(),
            job["prepared"]["hash"].as_str().unwrap()
        );
        let exif = exif_of(&served);
        assert_eq!(private_tags(&exif), Vec::<String>::new(), "{name}: {exif}");
        assert!(
            exif.get("EXIF:Orientation").is_none(),
            "the pixels are upright, no tag needed: {exif}"
        );
        let (w, h) = (
            exif["File:ImageWidth"]
                .as_u64()
                .or(exif["PNG:ImageWidth"].as_u64())
                .unwrap(),
            exif["File:ImageHeight"]
                .as_u64()
                .or(exif["PNG:ImageHeight"].as_u64())
                .unwrap(),
        );
        assert_eq!(
            (w, h),
            (
                fitted["width"].as_u64().unwrap(),
                fitted["height"].as_u64().unwrap()
            ),
            "{exif}"
        );
        assert!(w <= 12_000 && h <= 12_000 && w * h <= 100_000_000);
    }
    let left = std::fs::read_dir(ferry.home.path().join("prepared"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "no fitted copy is left behind");
    let status = ferry.run(&["status"]);
    assert!(
        status
            .stdout
            .contains("fitted to Cloudflare Images: 300×13000"),
        "{}",
        status.stdout
    );

    // A course that keeps originals sends the panorama to R2 at full size.
    let add = ferry.run(&["course", "add", "Archive", "--keep-originals", "yes"]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    let kept = ferry.run_paths(
        &["upload", "--json", "--course", "Archive", "--force"],
        &[&wide],
    );
    assert_eq!(kept.code, 0, "{}\n{}", kept.stdout, kept.stderr);
    assert_eq!(kept.lines()[0]["destination"], "r2", "{}", kept.stdout);
}

#[test]
fn a_fitted_photo_killed_mid_upload_resumes_and_its_copy_never_outlives_it() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let heavy = dir.path().join("mural.jpg");
    heavy_photo(&heavy);
    // Slowly, so that the kill lands while the fitted copy is being sent.
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let job = kill_while_its_copy_is_sent(&mut ferry, &heavy, "job-1.fit", 1024);
    assert_eq!(sim.images().len(), 1, "sent once");
    let (_, served) = fetch(job["url"].as_str().unwrap());
    assert_eq!(
        blake3::hash(&served).to_hex().as_str(),
        job["prepared"]["hash"].as_str().unwrap()
    );

    // A copy whose job will not run again (killed, then cancelled) is swept by the next run.
    let other = dir.path().join("mural 2.jpg");
    std::fs::copy(&heavy, &other).unwrap();
    ferry.set("FERRY_BANDWIDTH_LIMIT_KIB", "1024");
    let mut child = ferry.spawn(&["upload", "--json", "--force"], &[&other]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while prepared_copies(&ferry).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the fitted copy was never made"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    ferry.unset("FERRY_BANDWIDTH_LIMIT_KIB");
    assert_eq!(ferry.run(&["cancel", "2"]).code, 0);
    assert_eq!(ferry.run(&["resume", "--json"]).code, 0);
    assert!(
        prepared_copies(&ferry).is_empty(),
        "{:?}",
        prepared_copies(&ferry)
    );
}

#[test]
fn a_course_that_compresses_sends_smaller_photos_and_says_how_much() {
    let server = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("field notes.jpg");
    run(
        "convert",
        &[
            "-size",
            "2400x1800",
            "plasma:teal-orange",
            "-quality",
            "100",
            photo.to_str().unwrap(),
        ],
    );
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-GPSLatitude=45.76",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=4.83",
            "-GPSLongitudeRef=E",
            photo.to_str().unwrap(),
        ],
    );
    let original = std::fs::metadata(&photo).unwrap().len();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let refused = ferry.run(&["course", "add", "Botany", "--compress", "20"]);
    assert_eq!(refused.code, 2, "refused as bad input");
    assert!(
        refused.stderr.contains("use 30 (smallest) to 95"),
        "{}",
        refused.stderr
    );
    let add = ferry.run(&["course", "add", "Botany", "--compress", "70"]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert!(
        add.stdout.contains("photos compressed at quality 70"),
        "{}",
        add.stdout
    );
    let out = ferry.run_paths(&["upload", "--json", "--course", "Botany"], &[&photo]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    let compressed = &job["prepared"]["compressed"];
    assert_eq!(compressed["from_bytes"].as_u64(), Some(original), "{job}");
    let stored = stored_bytes(&server, job);
    assert_eq!(stored.len() as u64, compressed["bytes"].as_u64().unwrap());
    assert!(
        stored.len() as u64 * 10 <= original * 9,
        "{} of {original}",
        stored.len()
    );
    assert_eq!(
        blake3::hash(&stored).to_hex().as_str(),
        job["prepared"]["hash"].as_str().unwrap()
    );
    assert!(decodes(&stored, "field notes.jpg"));
    assert_eq!(private_tags(&exif_of(&stored)), Vec::<String>::new());
    assert!(
        std::fs::read_dir(ferry.home.path().join("prepared"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0,
        "no copy left"
    );
    let status = ferry.run(&["status"]);
    assert!(
        status.stdout.contains("compressed: 2400×1800"),
        "{}",
        status.stdout
    );
}
