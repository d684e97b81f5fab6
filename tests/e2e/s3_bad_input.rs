//! Bad input: each case gets a clear message naming the file and what to do, and nothing else
//! in the batch or the queue is lost.

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::proxy::{Fault, Proxy};
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use serde_json::Value;
use std::path::Path;

const PART: usize = 5 * 1024 * 1024;

fn by_name<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .unwrap_or_else(|| panic!("no line for {name}: {lines:?}"))
}

fn error_of(line: &Value) -> (String, String) {
    assert_eq!(line["state"], "failed", "{line}");
    (
        line["error"]["code"].as_str().unwrap().into(),
        line["error"]["message"].as_str().unwrap().into(),
    )
}

/// Missing, empty and folder-without-files inputs fail one by one; the good file still uploads.
#[test]
fn missing_empty_and_empty_folder_do_not_stop_the_batch() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let good = files.path().join("good.txt");
    std::fs::write(&good, b"fine").unwrap();
    let empty = files.path().join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let empty_dir = files.path().join("nothing here");
    std::fs::create_dir(&empty_dir).unwrap();
    let missing = files.path().join("missing.pdf");

    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(
        &["upload", "--json"],
        &[&missing, &good, &empty, &empty_dir],
    );
    assert_eq!(run.code, 1, "some inputs failed: exit 1");
    let lines = run.lines();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(by_name(&lines, "good.txt")["state"], "done");

    let (code, msg) = error_of(by_name(&lines, "missing.pdf"));
    assert_eq!(code, "not_found");
    assert!(
        msg.contains("missing.pdf") && msg.contains("check the path"),
        "{msg}"
    );
    let (code, msg) = error_of(by_name(&lines, "empty.pdf"));
    assert_eq!(code, "invalid_input");
    assert!(
        msg.contains("empty.pdf") && msg.contains("empty (0 bytes)"),
        "{msg}"
    );
    let (_, msg) = error_of(by_name(&lines, "nothing here"));
    assert!(msg.contains("no files"), "{msg}");
    assert_eq!(
        Checker::new(&server.endpoint, &server.bucket).list().len(),
        1
    );
}

/// Things that are not files (a pipe, a device, a dangling link, a link loop) are refused at
/// once, each saying why and what to do; nothing hangs on the pipe, and the good file uploads.
#[test]
fn pipes_devices_and_broken_links_are_refused_without_hanging() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let dir = files.path();
    let good = dir.join("good.txt");
    std::fs::write(&good, b"fine").unwrap();
    let pipe = dir.join("pipe.pdf");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(dir.join("nowhere.pdf"), dir.join("dangling.pdf")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop-b"), dir.join("loop-a")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop-a"), dir.join("loop-b")).unwrap();
    let device = Path::new("/dev/null");

    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(
        &["upload", "--json"],
        &[
            &pipe,
            &dir.join("dangling.pdf"),
            &dir.join("loop-a"),
            device,
            &good,
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let lines = run.lines();
    assert_eq!(by_name(&lines, "good.txt")["state"], "done");
    for (name, code, says) in [
        ("pipe.pdf", "invalid_input", "not a regular file"),
        ("/dev/null", "invalid_input", "only files can be uploaded"),
        ("dangling.pdf", "not_found", "check the path"),
        ("loop-a", "invalid_input", "point the link at a real file"),
    ] {
        let (got, msg) = error_of(by_name(&lines, name));
        assert_eq!(got, code, "{name}: {msg}");
        assert!(msg.contains(name) && msg.contains(says), "{name}: {msg}");
    }
}

/// An unreadable file fails with a message saying how to fix it; the readable one uploads.
#[test]
fn unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    std::fs::set_permissions(files.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = files.path().join("grades.xlsx");
    std::fs::write(&secret, b"not for you").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let open = files.path().join("open.txt");
    std::fs::write(&open, b"for everyone").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();

    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    assert!(
        ferry.unprivileged(),
        "setpriv is needed to drop root for this test"
    );
    let run = ferry.run_paths(&["upload", "--json"], &[&secret, &open]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let lines = run.lines();
    let (code, msg) = error_of(by_name(&lines, "grades.xlsx"));
    assert_eq!(code, "io");
    assert!(
        msg.contains("grades.xlsx")
            && msg.contains("permission denied")
            && msg.contains("readable"),
        "{msg}"
    );
    assert_eq!(by_name(&lines, "open.txt")["state"], "done");
}

/// Odd names upload with safe keys and identical bytes.
#[test]
fn odd_names_get_safe_keys() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let names = [
        "Re\u{301}sume\u{301} final.pdf", // decomposed accents
        "🎓 graduation 🎉.txt",
        "  spaced   out  .txt",
        "tab\there.txt",
        "new\nline.txt",
        "bell\u{7}ctrl\u{1}.txt",
        "..hidden..txt",
        "日本語のノート.txt",
    ];
    let mut paths = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let path = files.path().join(name);
        std::fs::write(&path, format!("file {i}: {name}")).unwrap();
        paths.push(path);
    }
    // A path that climbs with `..` but lands on a real file.
    std::fs::create_dir(files.path().join("sub")).unwrap();
    let climbing = files.path().join("sub/../climb.txt");
    std::fs::write(files.path().join("climb.txt"), b"climbed").unwrap();
    paths.push(climbing);

    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let run = ferry.run_paths(&["upload", "--json"], &refs);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    for (line, path) in run.lines().iter().zip(&paths) {
        let key = line["key"].as_str().unwrap();
        assert!(
            !key.chars().any(char::is_control),
            "control character in {key:?}"
        );
        assert!(
            !key.split('/')
                .any(|seg| seg == ".." || seg == "." || seg.is_empty()),
            "unsafe segment in {key:?}"
        );
        assert!(!key.contains(' '), "space in {key:?}");
        assert_eq!(
            checker.sha256(key),
            sha256_hex(&std::fs::read(path).unwrap()),
            "{key}"
        );
    }
    let first = run.lines()[0]["key"].as_str().unwrap().to_string();
    assert!(
        first.ends_with("_Résumé-final.pdf"),
        "NFC-normalised: {first}"
    );
}

/// Wrong keys, a missing bucket and an unconfigured destination: clear messages, right codes.
#[test]
fn wrong_keys_missing_bucket_and_no_destination() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("slides.pdf");
    std::fs::write(&path, b"%PDF-1.4 slides").unwrap();

    let mut wrong = Ferry::s3(&server.endpoint, &server.bucket);
    wrong.set("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    let run = wrong.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 1);
    let (code, msg) = error_of(&run.lines()[0]);
    assert_eq!(code, "unauthenticated", "{msg}");
    assert!(
        msg.contains("slides.pdf") && msg.contains("check the keys"),
        "{msg}"
    );
    // Nothing is lost: the job waits in the queue, and a retry with the right keys finishes it.
    let mut right = Ferry::s3(&server.endpoint, &server.bucket);
    right.home = wrong.home;
    assert_eq!(right.run(&["retry", "--failed"]).code, 0);
    let resumed = right.run(&["resume", "--json"]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(resumed.lines()[0]["state"], "done");

    let no_bucket = Ferry::s3(&server.endpoint, "no-such-bucket");
    let run = no_bucket.run_paths(&["upload", "--json"], &[&path]);
    let (code, msg) = error_of(&run.lines()[0]);
    assert_eq!(code, "not_found");
    assert!(msg.contains("\"no-such-bucket\" does not exist"), "{msg}");

    let mut unconfigured = Ferry::s3(&server.endpoint, &server.bucket);
    unconfigured.unset("S3_BUCKET_NAME");
    let run = unconfigured.run_paths(&["upload"], &[&path]);
    assert_eq!(run.code, 2, "configuration error: exit 2");
    assert!(
        run.stderr.contains("no destination is configured"),
        "{}",
        run.stderr
    );
    let run = unconfigured.run_paths(&["upload", "--to", "r2"], &[&path]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("CLOUDFLARE_R2_ACCESS_KEY_ID"),
        "{}",
        run.stderr
    );
    let usage = unconfigured.run(&["upload"]);
    assert_eq!(usage.code, 2, "usage error: exit 2");
}

/// Run an upload that pauses after part 1, let `meddle` touch the file, then let it finish.
struct Meddled {
    line: Value,
    server: S3Server,
    ferry: Ferry,
    _proxy: Proxy,
    files: tempfile::TempDir,
}

async fn meddle_mid_upload(meddle: impl FnOnce(&Path)) -> Meddled {
    let server = S3Server::moto();
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(
        |m, t| m == "PUT" && t.contains("partNumber=2"),
        Fault::Hold,
        Some(1),
    );
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("recording.mov");
    std::fs::write(&path, data(3 * PART, 9)).unwrap();
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "1");
    let child = ferry.spawn(&["upload", "--json"], &[&path]);
    proxy.wait_for_hold().await;
    meddle(&path);
    proxy.release();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    Meddled {
        line,
        server,
        ferry,
        _proxy: proxy,
        files,
    }
}

/// No object, and no multipart upload left open.
fn assert_nothing_published(server: &S3Server) -> Checker {
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert!(checker.list().is_empty(), "nothing published");
    assert!(
        checker.pending_uploads().is_empty(),
        "the multipart upload was aborted"
    );
    checker
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_deleted_mid_upload_is_not_published() {
    let Meddled { line, server, .. } =
        meddle_mid_upload(|p| std::fs::remove_file(p).unwrap()).await;
    let (code, msg) = error_of(&line);
    assert_eq!(code, "not_found");
    assert!(
        msg.contains("recording.mov") && msg.contains("deleted or moved"),
        "{msg}"
    );
    assert_nothing_published(&server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_changed_mid_upload_is_not_published_and_retry_sends_the_new_version() {
    let new_bytes = data(3 * PART + 99, 10);
    let written = new_bytes.clone();
    let Meddled {
        line,
        server,
        ferry,
        files,
        _proxy,
    } = meddle_mid_upload(move |p| std::fs::write(p, &written).unwrap()).await;
    let (code, msg) = error_of(&line);
    assert_eq!(code, "precondition");
    assert!(
        msg.contains("recording.mov") && msg.contains("changed while it was being uploaded"),
        "{msg}"
    );
    let checker = assert_nothing_published(&server);

    // Retrying takes the file as it is now.
    let retried = ferry.run(&["retry", "1"]);
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let key = run.lines()[0]["key"].as_str().unwrap().to_string();
    assert_eq!(
        checker.sha256(&key),
        sha256_hex(&new_bytes),
        "the new version was uploaded"
    );
    assert_eq!(checker.list().len(), 1);
    drop(files);
}

/// A bucket name the server refuses as invalid is named as such at once: S3 answers the first
/// question (a HEAD) with a bare 400, so Ferry asks a listing, whose reply names the reason,
/// and does not retry a refusal that asking again cannot change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_bucket_name_is_named_without_retrying() {
    let server = S3Server::s3s_fs();
    let proxy = Proxy::start(&server.endpoint).await;
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("syllabus.pdf");
    std::fs::write(&path, b"%PDF-1.4 syllabus").unwrap();
    let ferry = Ferry::s3(&proxy.url(), "b1");
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (code, msg) = error_of(&run.lines()[0]);
    assert_eq!(code, "invalid_config", "{msg}");
    assert!(
        msg.contains("syllabus.pdf") && msg.contains("\"b1\" is not a valid bucket name"),
        "{msg}"
    );
    let asked = proxy.seen();
    assert!(
        asked.len() <= 2,
        "a HEAD and one listing, nothing retried: {asked:?}"
    );
}
