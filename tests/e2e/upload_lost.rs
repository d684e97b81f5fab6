//! Uploads the server lets go of: Ferry starts the file again by itself, once per cause, and
//! says so in the job's history; `ferry resume` alone finishes every file.
//!
//! Three causes, each on `rclone serve s3` and moto:
//! - an unfinished upload the store aborted by itself (R2 and S3 lifecycle rules abort
//!   incomplete multipart uploads after some days; here boto3 aborts it while Ferry is down):
//!   ListParts answers NoSuchUpload on resume;
//! - the same while parts are being sent (UploadPart answers NoSuchUpload);
//! - a completion refused with InvalidPart (what `rclone serve s3` answers when a part was cut
//!   short while it streamed parts to its backend: the upload "must be started again"). The
//!   refusal is the server's real XML error, passed through the proxy, so the test does not
//!   depend on hitting that race.

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::proxy::{Fault, Proxy, part_number};
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use serde_json::Value;
use std::collections::BTreeMap;

const PART: usize = 5 * 1024 * 1024;

fn lecture(dir: &std::path::Path, seed: u64) -> (std::path::PathBuf, Vec<u8>) {
    let path = dir.join("lecture 03.mp4");
    let bytes = data(3 * PART + 4321, seed); // 4 parts
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// The one object in the bucket is the file, whole; nothing is left open.
fn assert_landed_once(server: &S3Server, job: &Value, bytes: &[u8]) {
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let key = job["key"].as_str().unwrap();
    assert_eq!(checker.sha256(key), sha256_hex(bytes), "{job}");
    assert_eq!(checker.list().len(), 1, "one object: {:?}", checker.list());
    assert!(
        checker.pending_uploads().is_empty(),
        "no upload left open: {:?}",
        checker.pending_uploads()
    );
}

fn notes(job: &Value) -> Vec<String> {
    job["notes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| n["message"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn aborted_while_ferry_was_down(server: S3Server) {
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(
        |method, target| part_number(method, target) >= Some(3),
        Fault::Hold,
        None,
    );
    let files = tempfile::tempdir().unwrap();
    let (path, bytes) = lecture(files.path(), 11);
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "1");
    let mut child = ferry.spawn(&["upload", "--json"], &[&path]);
    proxy.wait_for_hold().await;
    child.kill().unwrap();
    child.wait().unwrap();

    // The store's lifecycle rule aborts the unfinished upload.
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let open = checker.pending_uploads();
    assert_eq!(open.len(), 1, "{open:?}");
    checker.abort(&open[0].0, &open[0].1);
    proxy.clear_faults();
    proxy.release();

    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let job = &ferry.status()[0];
    assert_eq!(job["state"], "done", "{job}");
    let notes = notes(job);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("no longer had the unfinished upload")
                && n.contains("started it again")),
        "the history says what happened: {notes:?}"
    );
    assert!(
        run.stderr.contains("started it again"),
        "and the run said it: {}",
        run.stderr
    );
    assert_landed_once(&server, job, &bytes);
}

async fn aborted_while_parts_were_sent(server: S3Server) {
    let proxy = Proxy::start(&server.endpoint).await;
    // Part 3 waits at the proxy while the upload is aborted under it.
    proxy.inject(
        |method, target| part_number(method, target) == Some(3),
        Fault::Hold,
        Some(1),
    );
    let files = tempfile::tempdir().unwrap();
    let (path, bytes) = lecture(files.path(), 12);
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "1");
    let child = ferry.spawn(&["upload", "--json"], &[&path]);
    proxy.wait_for_hold().await;
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let open = checker.pending_uploads();
    assert_eq!(open.len(), 1, "{open:?}");
    checker.abort(&open[0].0, &open[0].1);
    proxy.release();

    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}\n{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let job = &ferry.status()[0];
    assert_eq!(job["state"], "done", "{job}");
    assert!(
        notes(job)
            .iter()
            .any(|n| n.contains("dropped the unfinished upload while parts were being sent")),
        "{job}"
    );
    assert_landed_once(&server, job, &bytes);
}

const INVALID_PART: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.</Message></Error>";

fn refuse_completion(proxy: &Proxy, times: usize) {
    proxy.inject(
        |method, target| method == "POST" && target.contains("uploadId="),
        Fault::Status {
            code: 400,
            retry_after: None,
            body: INVALID_PART.into(),
        },
        Some(times),
    );
}

async fn completion_refused_with_invalid_part(server: S3Server) {
    let proxy = Proxy::start(&server.endpoint).await;
    refuse_completion(&proxy, 1);
    let files = tempfile::tempdir().unwrap();
    let (path, bytes) = lecture(files.path(), 13);
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry.multipart_parts(PART);
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let job = &ferry.status()[0];
    assert_eq!(job["state"], "done", "{job}");
    assert!(
        notes(job)
            .iter()
            .any(|n| n.contains("could not assemble the parts")),
        "{job}"
    );
    // Two uploads, each part sent once in each: the first upload was refused as a whole.
    let mut sent: BTreeMap<u32, usize> = BTreeMap::new();
    for s in proxy.seen() {
        if let Some(n) = s.part_number() {
            *sent.entry(n).or_default() += 1;
        }
    }
    assert_eq!(
        sent,
        (1..=4).map(|n| (n, 2)).collect::<BTreeMap<_, _>>(),
        "every part once per upload"
    );
    assert_landed_once(&server, job, &bytes);

    // Refused again after the restart: the job fails, saying so, and nothing is published.
    let fresh = ferry.fresh();
    refuse_completion(&proxy, 2);
    let (path, _) = lecture(files.path(), 14);
    let run = fresh.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = &run.lines()[0];
    assert_eq!(line["error"]["code"], "upload_lost", "{line}");
    let message = line["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("lecture 03.mp4") && message.contains("started again once already"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_aborted_while_ferry_was_down_starts_again_on_resume_rclone() {
    aborted_while_ferry_was_down(S3Server::rclone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_aborted_while_ferry_was_down_starts_again_on_resume_moto() {
    aborted_while_ferry_was_down(S3Server::moto()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_aborted_while_parts_are_sent_starts_again_rclone() {
    aborted_while_parts_were_sent(S3Server::rclone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_aborted_while_parts_are_sent_starts_again_moto() {
    aborted_while_parts_were_sent(S3Server::moto()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_refused_with_invalid_part_starts_again_once_rclone() {
    completion_refused_with_invalid_part(S3Server::rclone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_refused_with_invalid_part_starts_again_once_moto() {
    completion_refused_with_invalid_part(S3Server::moto()).await;
}
