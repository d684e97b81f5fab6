//! Crash and resume: `kill -9` in the middle of a multipart upload, then `ferry resume`.
//!
//! A proxy between Ferry and the server records every request and holds back parts from the
//! fourth on, so the kill lands at a known point: parts 1–3 confirmed, later ones in flight.

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::proxy::{Fault, Proxy, part_number};
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const PART: usize = 5 * 1024 * 1024;

async fn kill_mid_multipart_then_resume(server: S3Server) {
    let proxy = Proxy::start(&server.endpoint).await;
    // Parts from the fourth on hang, so the kill finds parts 1-3 done and others in flight.
    proxy.inject(
        |method, target| method == "PUT" && part_number("PUT", target) >= Some(4),
        Fault::Hold,
        None,
    );

    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("lecture 01.mp4");
    let bytes = data(8 * PART + 12345, 42); // 9 parts
    std::fs::write(&path, &bytes).unwrap();

    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "2");
    let mut child = ferry.spawn(&["upload", "--json"], &[&path]);

    // Wait until parts 1-3 were confirmed by the server and a later part is held.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = proxy.seen();
        let confirmed = seen
            .iter()
            .filter(|s| s.status == 200 && s.part_number().is_some_and(|n| n <= 3))
            .count();
        let held = seen.iter().any(|s| s.status == 0);
        if confirmed == 3 && held {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "upload did not reach the kill point: {seen:?}"
        );
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "ferry exited early: {}\n{}\n{:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                proxy.seen()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Give the process a moment to commit the third confirmation, then kill it hard.
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let status = ferry.status();
    assert_eq!(status.len(), 1);
    assert_eq!(
        status[0]["state"], "uploading",
        "killed mid-upload: {}",
        status[0]
    );
    assert_eq!(
        status[0]["bytes_done"],
        3 * PART as u64,
        "three parts committed before the kill"
    );

    // Restart with a healthy network.
    proxy.clear_faults();
    proxy.reset_log();
    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let line = &run.lines()[0];
    assert_eq!(line["state"], "done", "{line}");
    assert_eq!(line["attempts"], 2, "the killed run and the resume: {line}");
    let key = line["key"].as_str().unwrap().to_string();

    // What was sent after the restart: the missing parts only, each once, after a ListParts.
    let seen = proxy.seen();
    let mut sent: BTreeMap<u32, usize> = BTreeMap::new();
    for s in &seen {
        if let Some(n) = s.part_number() {
            *sent.entry(n).or_default() += 1;
        }
    }
    assert_eq!(
        sent.keys().copied().collect::<Vec<_>>(),
        (4..=9).collect::<Vec<_>>(),
        "confirmed parts 1-3 were not sent again: {sent:?}"
    );
    assert!(
        sent.values().all(|n| *n == 1),
        "each missing part sent once: {sent:?}"
    );
    assert!(
        seen.iter()
            .any(|s| s.method == "GET" && s.target.contains("uploadId=")),
        "resume asked the server (ListParts)"
    );
    assert!(
        !seen
            .iter()
            .any(|s| s.method == "POST" && s.target.contains("uploads")),
        "no new multipart upload was started"
    );

    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(
        checker.sha256(&key),
        sha256_hex(&bytes),
        "object identical to the file"
    );
    let listed = checker.list();
    assert_eq!(listed.len(), 1, "no duplicate object: {listed:?}");
    assert_eq!(listed[0].size, bytes.len() as u64);
    assert!(
        checker.pending_uploads().is_empty(),
        "no stray multipart upload"
    );

    // Resuming again has nothing to do and uploads nothing.
    proxy.reset_log();
    let again = ferry.run(&["resume", "--json"]);
    assert_eq!(again.code, 0);
    assert!(
        proxy.seen().iter().all(|s| s.method != "PUT"),
        "nothing re-sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_multipart_then_resume_rclone() {
    kill_mid_multipart_then_resume(S3Server::rclone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_multipart_then_resume_moto() {
    kill_mid_multipart_then_resume(S3Server::moto()).await;
}

/// `ferry cancel` on an interrupted multipart upload aborts it on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_aborts_the_remote_multipart_upload() {
    let server = S3Server::moto();
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(
        |method, target| method == "PUT" && part_number("PUT", target) >= Some(2),
        Fault::Hold,
        None,
    );
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("big.bin");
    std::fs::write(&path, data(3 * PART, 7)).unwrap();
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry.multipart_parts(PART);
    let mut child = ferry.spawn(&["upload", "--json"], &[&path]);
    proxy.wait_for_hold().await;
    child.kill().unwrap();
    child.wait().unwrap();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(
        checker.pending_uploads().len(),
        1,
        "the killed upload is still open"
    );

    proxy.clear_faults();
    let run = ferry.run(&["cancel", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(checker.pending_uploads().is_empty(), "cancel aborted it");
    assert_eq!(ferry.status()[0]["state"], "cancelled");
    assert!(checker.list().is_empty());
    // A cancelled job is not resumed.
    let resume = ferry.run(&["resume", "--json"]);
    assert_eq!(resume.code, 0);
    assert!(checker.list().is_empty());
}

/// SIGKILL while a part is streaming into the server (the proxy passes part 3 on slowly, and
/// goes on passing what it had read for a while after the kill), then `ferry resume` alone
/// must finish the file. (A server that cannot keep the upload after such a cut is covered by
/// `upload_lost.rs`.)
async fn kill_mid_part_then_resume_alone(server: S3Server) {
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(
        |method, target| part_number(method, target) == Some(3),
        Fault::Slow(1024 * 1024),
        Some(1),
    );
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("lecture 02.mp4");
    let bytes = data(5 * PART + 999, 43); // 6 parts
    std::fs::write(&path, &bytes).unwrap();
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "1");
    let mut child = ferry.spawn(&["upload", "--json"], &[&path]);
    proxy
        .wait_for("parts 1 and 2 confirmed", |seen| {
            seen.iter()
                .filter(|s| s.status == 200 && s.part_number().is_some_and(|n| n <= 2))
                .count()
                == 2
        })
        .await;
    // Part 3 is now streaming at 1 MiB/s (5 s for 5 MiB): the kill lands inside it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(ferry.status()[0]["state"], "uploading");

    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(
        run.code, 0,
        "resume alone finishes the file\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let line = &run.lines()[0];
    assert_eq!(line["state"], "done", "{line}");
    let key = line["key"].as_str().unwrap();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.sha256(key), sha256_hex(&bytes));
    assert_eq!(checker.list().len(), 1, "one object");
    assert!(checker.pending_uploads().is_empty(), "no upload left open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_part_then_resume_alone_finishes_rclone() {
    kill_mid_part_then_resume_alone(S3Server::rclone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_part_then_resume_alone_finishes_moto() {
    kill_mid_part_then_resume_alone(S3Server::moto()).await;
}
