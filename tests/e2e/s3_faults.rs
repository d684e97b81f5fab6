//! Server faults between Ferry and a real S3 server: temporary ones are retried (honouring
//! Retry-After), permanent ones give a clear message, and nothing is lost.

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::proxy::{Fault, Proxy};
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use std::time::{Duration, Instant};

const PART: usize = 5 * 1024 * 1024;

fn status(code: u16, retry_after: Option<u32>, xml_code: &str) -> Fault {
    Fault::Status {
        code,
        retry_after,
        body: format!(
            "<?xml version=\"1.0\"?><Error><Code>{xml_code}</Code><Message>injected</Message></Error>"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundreds_and_429_are_retried_honouring_retry_after() {
    let server = S3Server::rclone();
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(
        |m, _| m == "PUT",
        status(503, None, "ServiceUnavailable"),
        Some(1),
    );
    proxy.inject(
        |m, _| m == "PUT",
        status(500, None, "InternalError"),
        Some(1),
    );
    proxy.inject(|m, _| m == "PUT", status(429, Some(2), "SlowDown"), Some(1));
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("quiz.pdf");
    std::fs::write(&path, b"%PDF-1.4 quiz").unwrap();
    let ferry = Ferry::s3(&proxy.url(), &server.bucket);
    let started = Instant::now();
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 2 was honoured"
    );
    let puts: Vec<u16> = proxy
        .seen()
        .iter()
        .filter(|s| s.method == "PUT")
        .map(|s| s.status)
        .collect();
    assert_eq!(puts, vec![503, 500, 429, 200]);
    let key = run.lines()[0]["key"].as_str().unwrap().to_string();
    assert_eq!(
        Checker::new(&server.endpoint, &server.bucket).sha256(&key),
        sha256_hex(b"%PDF-1.4 quiz")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_failure_fails_clearly_and_the_job_can_be_retried() {
    let server = S3Server::rclone();
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(|m, _| m == "PUT", status(500, None, "InternalError"), None);
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("week2.pdf");
    std::fs::write(&path, b"%PDF-1.4 week 2").unwrap();
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry.set("FERRY_RETRY_ATTEMPTS", "3");
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 1);
    let line = &run.lines()[0];
    assert_eq!(line["error"]["code"], "server");
    let msg = line["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("week2.pdf")
            && msg.contains("HTTP 500")
            && msg.contains("gave up after 3 attempts"),
        "{msg}"
    );
    assert_eq!(proxy.seen().iter().filter(|s| s.method == "PUT").count(), 3);

    proxy.clear_faults();
    assert_eq!(ferry.run(&["retry", "1"]).code, 0);
    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.lines()[0]["state"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_and_malformed_replies_are_retried() {
    let server = S3Server::moto();
    let proxy = Proxy::start(&server.endpoint).await;
    // A garbled reply to starting the upload, a dropped connection on a part, and a
    // CompleteMultipartUpload that answers 200 with an error inside.
    proxy.inject(
        |m, t| m == "POST" && t.contains("uploads"),
        Fault::ReplaceBody("<html>gateway hiccup".into()),
        Some(1),
    );
    proxy.inject(
        |m, t| m == "PUT" && t.contains("partNumber=2"),
        Fault::Drop,
        Some(1),
    );
    proxy.inject(
        |m, t| m == "POST" && t.contains("uploadId="),
        Fault::ReplaceBody("<?xml version=\"1.0\"?>\n\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>".into()),
        Some(1),
    );
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("lab.mp4");
    let bytes = data(2 * PART + 1, 5);
    std::fs::write(&path, &bytes).unwrap();
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry.multipart_parts(PART);
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let key = run.lines()[0]["key"].as_str().unwrap().to_string();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.sha256(&key), sha256_hex(&bytes));
    assert_eq!(checker.list().len(), 1, "exactly one object");
    // The garbled first reply left an upload the server knows of; it must not be completed
    // into a second object. (It is reported by the orphan sweep of the reliability issue.)
    let seen = proxy.seen();
    assert_eq!(
        seen.iter()
            .filter(|s| s.method == "POST" && s.target.contains("uploads"))
            .count(),
        2,
        "CreateMultipartUpload retried"
    );
    assert!(
        seen.iter().filter(|s| s.part_number() == Some(2)).count() >= 2,
        "part 2 re-sent after the drop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistently_malformed_replies_fail_with_a_clear_message() {
    let server = S3Server::rclone();
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(
        |m, t| m == "POST" && t.contains("uploads"),
        Fault::ReplaceBody("not xml at all".into()),
        None,
    );
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("long lecture.mp4");
    std::fs::write(&path, data(PART + 10, 6)).unwrap();
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .set("FERRY_MULTIPART_THRESHOLD", &PART.to_string())
        .set("FERRY_RETRY_ATTEMPTS", "2");
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 1);
    let msg = run.lines()[0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("long lecture.mp4") && msg.contains("malformed"),
        "{msg}"
    );
}

/// A completion reply whose ETag is S3's multipart ETag of exactly the parts sent proves the
/// object, and the object is not read back; a reply that contradicts the parts is not
/// trusted: Ferry reads the object back (HEAD) before calling it done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_is_read_back_only_when_its_etag_contradicts_the_parts() {
    let server = S3Server::moto();
    let proxy = Proxy::start(&server.endpoint).await;
    let files = tempfile::tempdir().unwrap();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let heads_after_completion = |key: &str| {
        let seen = proxy.seen();
        let done = seen
            .iter()
            .position(|s| s.method == "POST" && s.target.contains("uploadId="))
            .expect("a completion was sent");
        seen[done..]
            .iter()
            .filter(|s| s.method == "HEAD" && s.target.contains(key))
            .count()
    };

    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry.multipart_parts(PART);
    // Upload a three-part file; returns its key's last segment as it appears in requests.
    let upload = |name: &str, seed: u64| {
        let path = files.path().join(name);
        let bytes = data(2 * PART + seed as usize, seed);
        std::fs::write(&path, &bytes).unwrap();
        let run = ferry.run_paths(&["upload", "--json"], &[&path]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let key = run.lines()[0]["key"].as_str().unwrap().to_string();
        assert_eq!(checker.sha256(&key), sha256_hex(&bytes));
        key.rsplit('/').next().unwrap().replace(' ', "%20")
    };

    let name = upload("week 1.mp4", 11);
    assert_eq!(
        heads_after_completion(&name),
        0,
        "moto's ETag proves the parts"
    );

    proxy.reset_log();
    proxy.inject(
        |m, t| m == "POST" && t.contains("uploadId="),
        Fault::ReplaceBody(format!(
            "<?xml version=\"1.0\"?><CompleteMultipartUploadResult><Bucket>{}</Bucket><Key>k</Key><ETag>\"{}-9\"</ETag></CompleteMultipartUploadResult>",
            server.bucket,
            "0".repeat(32)
        )),
        Some(1),
    );
    let name = upload("week 2.mp4", 12);
    assert_eq!(
        heads_after_completion(&name),
        1,
        "a contradicting ETag makes Ferry read the object back"
    );
    assert_eq!(checker.list().len(), 2, "two objects, none twice");
}
