//! `ferry upload` against real S3 servers, judged by an independent client (boto3).

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use std::path::Path;

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Single PUT and multipart, on both servers: every object present once, bytes identical,
/// content types sniffed, and no multipart upload left open.
fn upload_small_and_multipart(server: &S3Server) {
    let files = tempfile::tempdir().unwrap();
    let small = files.path().join("notes.pdf");
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend(data(100_000, 1));
    write(&small, &pdf);
    let big = files.path().join("lecture.bin");
    let big_bytes = data(23 * 1024 * 1024 + 17, 2); // 5 parts of 5 MiB, the last shorter
    write(&big, &big_bytes);

    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry.multipart_parts(5 * 1024 * 1024);
    let run = ferry.run_paths(
        &["upload", "--json", "--prefix", "Course A"],
        &[&small, &big],
    );
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let lines = run.lines();
    assert_eq!(lines.len(), 2);

    let checker = Checker::new(&server.endpoint, &server.bucket);
    for (line, bytes) in lines.iter().zip([&pdf, &big_bytes]) {
        assert_eq!(line["state"], "done", "{line}");
        assert_eq!(line["destination"], "s3");
        let key = line["key"].as_str().unwrap();
        assert!(key.starts_with("course-a/"), "prefix slugged: {key}");
        assert_eq!(checker.sha256(key), sha256_hex(bytes), "{key} differs");
        let url = line["url"].as_str().unwrap();
        assert!(
            url.starts_with(&server.endpoint) && url.contains("X-Amz-Signature"),
            "presigned: {url}"
        );
    }
    assert!(lines[0]["key"].as_str().unwrap().contains("/documents/"));
    assert_eq!(
        checker.head(lines[0]["key"].as_str().unwrap())["content_type"],
        "application/pdf"
    );
    assert_eq!(checker.list().len(), 2, "exactly the two objects");
    assert!(
        checker.pending_uploads().is_empty(),
        "no multipart upload left open"
    );
}

#[test]
fn upload_small_and_multipart_rclone() {
    upload_small_and_multipart(&S3Server::rclone());
}

#[test]
fn upload_small_and_multipart_moto() {
    upload_small_and_multipart(&S3Server::moto());
}

/// A presigned URL printed by Ferry downloads the file with a plain HTTP client.
#[test]
fn presigned_url_downloads_the_file() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("handout.txt");
    write(&path, b"Week 1: read chapter 2.\n");
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let url = ferry.run(&["url", path.to_str().unwrap(), "--expires", "10m"]);
    assert_eq!(url.code, 0, "{}", url.stderr);
    let link = url.stdout.trim();
    assert!(link.contains("X-Amz-Expires=600"), "{link}");
    let body = std::process::Command::new("python3")
        .args(["-c", "import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())", link])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&body.stdout),
        "Week 1: read chapter 2.\n"
    );

    let md = ferry.run(&["url", "1", "--format", "markdown"]);
    assert!(
        md.stdout.starts_with("[handout.txt](http://"),
        "{}",
        md.stdout
    );
}

/// A public base URL gives plain links; the object key is encoded in the URL.
#[test]
fn public_base_url_gives_plain_links() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("Café menu.png");
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(data(2000, 3));
    write(&path, &png);
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry.set("S3_PUBLIC_BASE_URL", "https://media.example.edu/");
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = &run.lines()[0];
    let key = line["key"].as_str().unwrap();
    assert!(
        key.starts_with("images/") && key.ends_with("_Café-menu.png"),
        "{key}"
    );
    let url = line["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://media.example.edu/images/")
            && url.ends_with("_Caf%C3%A9-menu.png"),
        "{url}"
    );
    let html = ferry.run(&["url", "1", "--format", "html"]);
    assert_eq!(
        html.stdout.trim(),
        format!("<img src=\"{url}\" alt=\"Café menu.png\">")
    );
}

/// Identical content is uploaded once; `--force` uploads it again under a new key; a folder is
/// uploaded recursively with its structure in the keys.
#[test]
fn dedup_force_and_folders() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let course = files.path().join("Course B");
    write(&course.join("Module 1/slides.pdf"), b"%PDF-1.4 slides");
    write(&course.join("Module 2/slides copy.pdf"), b"%PDF-1.4 slides");
    write(&course.join("syllabus.txt"), b"syllabus");
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(&["upload", "--json"], &[&course]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.lines();
    assert_eq!(lines.len(), 3);
    let keys: Vec<&str> = lines.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert!(
        keys[0].starts_with("course-b/module-1/documents/"),
        "{keys:?}"
    );
    assert!(keys[2].starts_with("course-b/documents/"), "{keys:?}");
    // The copy in Module 2 has the same bytes: it points at the first upload.
    assert_eq!(lines[1]["deduplicated"], true, "{}", lines[1]);
    assert_eq!(lines[1]["key"], lines[0]["key"]);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.list().len(), 2);

    let again = ferry.run_paths(&["upload", "--json"], &[&course.join("syllabus.txt")]);
    assert_eq!(again.lines()[0]["deduplicated"], true);
    assert_eq!(checker.list().len(), 2, "nothing uploaded twice");
    let forced = ferry.run_paths(
        &["upload", "--json", "--force"],
        &[&course.join("syllabus.txt")],
    );
    assert_eq!(forced.code, 0);
    assert_eq!(forced.lines()[0]["deduplicated"], false);
    assert_eq!(checker.list().len(), 3);
}

/// An object already at the key is never overwritten: the new upload takes a numbered key.
#[test]
fn existing_objects_are_not_overwritten() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("a.txt");
    write(&path, b"first version");
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    std::fs::write(
        ferry.home.path().join("ferry.toml"),
        "key_template = \"fixed/{name}\"\n",
    )
    .unwrap();
    assert_eq!(ferry.run_paths(&["upload", "--json"], &[&path]).code, 0);
    write(&path, b"second version!");
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.lines()[0]["key"], "fixed/a-1.txt");
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.sha256("fixed/a.txt"), sha256_hex(b"first version"));
    assert_eq!(
        checker.sha256("fixed/a-1.txt"),
        sha256_hex(b"second version!")
    );
}

/// The bandwidth limit holds for Ferry as a whole: two files of 1.5 MiB each, sent at once,
/// at 1 MiB/s, take at least the 3 s the budget allows (less the 0.25 s burst), and
/// arrive intact. Only a lower bound is checked: a slow machine can only add time.
#[test]
fn bandwidth_limit_bounds_the_total_rate() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let a = files.path().join("week 1.bin");
    let b = files.path().join("week 2.bin");
    let (a_bytes, b_bytes) = (data(1536 * 1024, 7), data(1536 * 1024, 8));
    write(&a, &a_bytes);
    write(&b, &b_bytes);
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry.set("FERRY_BANDWIDTH_LIMIT_KIB", "1024");
    let started = std::time::Instant::now();
    let run = ferry.run_paths(&["upload", "--json"], &[&a, &b]);
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        took >= std::time::Duration::from_millis(2700),
        "3 MiB at 1 MiB/s took only {took:?}"
    );
    let checker = Checker::new(&server.endpoint, &server.bucket);
    for (line, bytes) in run.lines().iter().zip([&a_bytes, &b_bytes]) {
        assert_eq!(
            checker.sha256(line["key"].as_str().unwrap()),
            sha256_hex(bytes)
        );
    }
}

/// Many identical files in one batch, mixed with others: each content is sent once, and no copy
/// waits forever for the upload it duplicates (a release of that upload once went unnoticed when
/// it came while the scheduler handled another finished job).
#[test]
fn identical_files_in_one_batch_are_sent_once_and_none_is_left_waiting() {
    let server = S3Server::rclone();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    for round in 0..3 {
        let files = tempfile::tempdir().unwrap();
        let course = files.path().join(format!("Course {round}"));
        for i in 0..12 {
            write(
                &course.join(format!("copy {i}.pdf")),
                format!("%PDF-1.4 the same handout {round}").as_bytes(),
            );
            write(
                &course.join(format!("own {i}.txt")),
                format!("notes {round} {i}").as_bytes(),
            );
        }
        let ferry = Ferry::s3(&server.endpoint, &server.bucket);
        let mut child = ferry.spawn(&["upload", "--json"], &[&course]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: the batch never finished"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(child.wait().unwrap().success(), "round {round}");
        let jobs = ferry.status();
        assert_eq!(jobs.len(), 24);
        assert!(jobs.iter().all(|j| j["state"] == "done"), "{jobs:?}");
        assert_eq!(
            jobs.iter().filter(|j| j["deduplicated"] == true).count(),
            11
        );
    }
    assert_eq!(checker.list().len(), 3 * 13, "one object per content");
}

/// Courses from the command line: files uploaded to a course land under its folder (checked on
/// the bucket with boto3), `status` and `manifest` show that course alone with links that open,
/// and a rename carries over to the course's files.
#[test]
fn a_course_places_its_files_and_its_manifest_lists_them() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    write(&files.path().join("Week 1/cells.pdf"), b"%PDF-1.4 cells");
    write(&files.path().join("loose.txt"), b"not a course file");
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let added = ferry.run(&["course", "add", "Biology 101", "--link-format", "markdown"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let run = ferry.run_paths(
        &["upload", "--json", "--course", "biology 101"],
        &[&files.path().join("Week 1")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = &run.lines()[0];
    assert_eq!(line["course"], "Biology 101");
    let key = line["key"].as_str().unwrap();
    assert!(key.starts_with("biology-101/week-1/documents/"), "{key}");
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.sha256(key), sha256_hex(b"%PDF-1.4 cells"));
    let loose = ferry.run_paths(&["upload", "--json"], &[&files.path().join("loose.txt")]);
    assert_eq!(loose.code, 0, "{}", loose.stderr);

    let status = ferry.run(&["status", "--json", "--course", "Biology 101"]);
    assert_eq!(status.lines().len(), 1, "{}", status.stdout);
    let manifest = ferry.run(&["manifest", "--course", "Biology 101", "--format", "json"]);
    assert_eq!(manifest.code, 0, "{}", manifest.stderr);
    let listed: serde_json::Value = serde_json::from_str(&manifest.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(
        listed.len(),
        1,
        "the course's file only: {}",
        manifest.stdout
    );
    assert_eq!(listed[0]["course"], "Biology 101");
    let url = listed[0]["url"].as_str().unwrap();
    assert!(
        listed[0]["expires_at"].is_string(),
        "a private bucket's link expires"
    );
    let (status_code, body) = ferry_e2e::cloudsim::fetch(url);
    assert_eq!(
        (status_code, body.as_slice()),
        (200, b"%PDF-1.4 cells".as_slice()),
        "{url}"
    );

    let renamed = ferry.run(&[
        "course",
        "edit",
        "Biology 101",
        "--rename",
        "Biology 101 (spring)",
    ]);
    assert_eq!(renamed.code, 0, "{}", renamed.stderr);
    let status = ferry.run(&["status", "--json", "--course", "Biology 101 (spring)"]);
    assert_eq!(status.lines()[0]["course"], "Biology 101 (spring)");
    let unknown = ferry.run(&["upload", "--course", "Chemistry", "x.pdf"]);
    assert_ne!(unknown.code, 0);
    assert!(
        unknown.stderr.contains("no course called \"Chemistry\""),
        "{}",
        unknown.stderr
    );
}
