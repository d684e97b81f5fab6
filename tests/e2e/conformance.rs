//! The destination conformance suite: the same scenarios, run by the `ferry` binary against
//! every destination on its local server — S3 (rclone serve s3 and s3s-fs), R2 (the emulator's rclone),
//! Cloudflare Images and Stream (ferry-cloudsim) and two generic tus servers (@tus/server,
//! tuspyserver).
//!
//! Scenarios: a small file, a file sent in several parts or chunks, `kill -9` mid-upload then
//! resume (only what the server lacks is sent again, nothing is duplicated), cancel mid-upload
//! (nothing is left behind), delete, the URL's shape, and refused credentials. A proxy sits in
//! front of each server to hold the upload at a known point. Stored bytes are read back by
//! other means than Ferry (boto3, the emulator's delivery routes, the tus store).

use ferry_e2e::checker::Checker;
use ferry_e2e::cloudsim::{self, CloudSim, fetch};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{mp4, png};
use ferry_e2e::proxy::{Fault, Proxy};
use ferry_e2e::servers::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY, s3s_unfinished_uploads};
use ferry_e2e::tus_server::{TusImpl, TusServer};
use ferry_e2e::{data, free_port, sha256_hex};
use serde_json::Value;
use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

/// Makes a file this destination takes: (folder, name, length, seed) → (path, bytes).
type MakeFile = fn(&Path, &str, usize, u64) -> (PathBuf, Vec<u8>);
/// Reads back, independently of Ferry, the SHA-256 of what a job stored.
type StoredSha = Box<dyn Fn(&Value) -> Option<String>>;

/// One destination under test.
struct Target {
    name: &'static str,
    ferry: Ferry,
    proxy: Proxy,
    /// Requests that carry file bytes (a PUT of a part, a PATCH, an image POST).
    data_request: fn(&str, &str) -> bool,
    /// Whether one file is sent in several requests (so resume can skip the confirmed ones).
    chunked: bool,
    /// A file this destination takes.
    make: MakeFile,
    /// SHA-256 of what the destination stores for a job, read independently of Ferry.
    stored_sha256: StoredSha,
    /// Uploads the destination holds, finished or not (objects + unfinished multipart uploads,
    /// videos, images, tus uploads).
    remote_count: Box<dyn Fn() -> usize>,
    url_shape: fn(&str) -> bool,
    /// Environment changes that make the credentials wrong, if the destination has any.
    bad_credentials: Option<(&'static str, &'static str)>,
    _servers: Vec<Box<dyn Any>>,
}

fn any_file(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let bytes = data(len, seed);
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

fn video(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    mp4(dir, &name.replace(".bin", ".mp4"), len, seed)
}

fn image(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    png(
        dir,
        &name.replace(".bin", ".png"),
        640 + seed as u32,
        480,
        len,
    )
}

fn s3_part(method: &str, target: &str) -> bool {
    method == "PUT" && (target.contains("partNumber=") || !target.contains("uploadId="))
}

fn s3_target(name: &'static str, server: S3Server, proxy: Proxy) -> Target {
    let checker = Arc::new(Checker::new(&server.endpoint, &server.bucket));
    let c1 = checker.clone();
    let c2 = checker.clone();
    let mut ferry = if name == "r2" {
        Ferry::with_env(&[
            ("CLOUDFLARE_ACCOUNT_ID", cloudsim::ACCOUNT),
            ("CLOUDFLARE_R2_ENDPOINT", &proxy.url()),
            ("CLOUDFLARE_R2_ACCESS_KEY_ID", ACCESS_KEY),
            ("CLOUDFLARE_R2_SECRET_ACCESS_KEY", SECRET_KEY),
            ("CLOUDFLARE_R2_BUCKET_NAME", &server.bucket),
        ])
    } else {
        Ferry::s3(&proxy.url(), &server.bucket)
    };
    ferry
        .multipart_parts(5 * MIB)
        .set("FERRY_PART_CONCURRENCY", "1");
    Target {
        name,
        ferry,
        proxy,
        data_request: s3_part,
        chunked: true,
        make: any_file,
        stored_sha256: Box::new(move |job| {
            let key = job["key"].as_str()?;
            c1.list()
                .iter()
                .any(|o| o.key == key)
                .then(|| c1.sha256(key))
        }),
        remote_count: if server.kind == "s3s-fs" {
            let root = server.dir();
            Box::new(move || c2.list().len() + s3s_unfinished_uploads(&root))
        } else {
            Box::new(move || c2.list().len() + c2.pending_uploads().len())
        },
        url_shape: |u| u.contains("X-Amz-Signature=") && u.contains(&format!("/{BUCKET}/")),
        bad_credentials: Some((
            if name == "r2" {
                "CLOUDFLARE_R2_SECRET_ACCESS_KEY"
            } else {
                "AWS_SECRET_ACCESS_KEY"
            },
            "wrong-secret-key-000000000000",
        )),
        _servers: vec![Box::new(server)],
    }
}

async fn cloudflare_target(name: &'static str) -> Target {
    let is_stream = name == "stream";
    let port = free_port();
    let proxy = Proxy::start(&format!("http://127.0.0.1:{port}")).await;
    // The proxy stands in front of the origin that receives the bytes: the API's for Images,
    // the upload origin for Stream's tus chunks.
    let sim = if is_stream {
        let port = port.to_string();
        Arc::new(CloudSim::start_with(
            100,
            0,
            None,
            &["--upload-port", &port, "--public-upload-base", &proxy.url()],
        ))
    } else {
        Arc::new(CloudSim::start_at(100, port, Some(&proxy.url())))
    };
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    if !is_stream {
        ferry.set(
            "CLOUDFLARE_API_BASE_URL",
            &format!("{}/client/v4", proxy.url()),
        );
    }
    ferry.set("FERRY_STREAM_CHUNK_MIB", "5");
    let (s1, s2) = (sim.clone(), sim.clone());
    Target {
        name,
        ferry,
        proxy,
        data_request: if is_stream {
            |m, t| m == "PATCH" && t.starts_with("/tus/")
        } else {
            |m, t| m == "POST" && t.ends_with("/images/v1")
        },
        chunked: is_stream,
        make: if is_stream { video } else { image },
        stored_sha256: Box::new(move |job| {
            let url = job["url"].as_str()?;
            let url = if is_stream {
                url.replace("/manifest/video.m3u8", "/original")
            } else {
                url.to_string()
            };
            let (code, bytes) = fetch(&url);
            (code == 200).then(|| sha256_hex(&bytes))
        }),
        remote_count: Box::new(move || {
            if is_stream {
                s1.videos().len()
            } else {
                s1.images().len()
            }
        }),
        url_shape: if is_stream {
            |u| u.ends_with("/manifest/video.m3u8")
        } else {
            |u| u.contains("/imagedelivery/") && u.ends_with("/public")
        },
        bad_credentials: Some(("CLOUDFLARE_API_TOKEN", "not-a-valid-token")),
        _servers: vec![Box::new(s2)],
    }
}

async fn tus_target(which: TusImpl) -> Target {
    let server = Arc::new(TusServer::start_impl(which));
    let proxy = Proxy::start(&format!("http://127.0.0.1:{}", server.port)).await;
    let mut ferry = Ferry::with_env(&[("FERRY_TUS_ENDPOINT", &format!("{}/files", proxy.url()))]);
    ferry.set("FERRY_TUS_CHUNK_MIB", "5");
    let (s1, s2) = (server.clone(), server.clone());
    Target {
        name: "tus",
        ferry,
        proxy,
        data_request: |m, _| m == "PATCH",
        chunked: true,
        make: any_file,
        stored_sha256: Box::new(move |job| {
            let id = job["url"].as_str()?.rsplit('/').next()?.to_string();
            let bytes = std::fs::read(s1.store.path().join(id)).ok()?;
            Some(sha256_hex(&bytes))
        }),
        remote_count: Box::new(move || s2.uploads().len()),
        url_shape: |u| u.contains("/files/"),
        bad_credentials: None,
        _servers: vec![Box::new(server)],
    }
}

fn upload(ferry: &Ferry, t: &Target, path: &Path) -> Value {
    let run = ferry.run_paths(&["upload", "--json", "--to", t.name], &[path]);
    assert_eq!(
        run.code, 0,
        "[{}] upload failed:\n{}\n{}",
        t.name, run.stdout, run.stderr
    );
    run.lines().remove(0)
}

fn small_file(t: &Target, dir: &Path) {
    let ferry = t.ferry.fresh();
    let (path, bytes) = (t.make)(dir, "small file é.bin", 200_000, 1);
    let job = upload(&ferry, t, &path);
    assert_eq!(job["state"], "done");
    assert_eq!(job["destination"], t.name);
    let url = job["url"].as_str().unwrap();
    assert!((t.url_shape)(url), "[{}] unexpected URL {url}", t.name);
    assert_eq!(
        (t.stored_sha256)(&job),
        Some(sha256_hex(&bytes)),
        "[{}] stored bytes",
        t.name
    );
}

fn large_file(t: &Target, dir: &Path) {
    let ferry = t.ferry.fresh();
    let len = if t.chunked { 11 * MIB + 3 } else { 9 * MIB };
    let (path, bytes) = (t.make)(dir, "large.bin", len, 2);
    t.proxy.reset_log();
    let job = upload(&ferry, t, &path);
    let sent = t
        .proxy
        .seen()
        .iter()
        .filter(|s| (t.data_request)(&s.method, &s.target))
        .count();
    assert_eq!(
        sent,
        if t.chunked { 3 } else { 1 },
        "[{}] requests carrying bytes",
        t.name
    );
    // Leftover multipart uploads are looked for once, even where the server cannot list them
    // (s3s-fs answers 501 Not Implemented, which asking again will not change).
    let listings = t
        .proxy
        .seen()
        .iter()
        .filter(|s| s.method == "GET" && s.target.contains("?uploads"))
        .count();
    assert!(
        listings <= 1,
        "[{}] open uploads listed {listings} times",
        t.name
    );
    assert_eq!(
        (t.stored_sha256)(&job),
        Some(sha256_hex(&bytes)),
        "[{}] stored bytes",
        t.name
    );
}

/// Hold the `n`-th request carrying bytes (1-based) from now on.
fn hold_nth(t: &Target, n: usize) {
    let seen = Arc::new(AtomicUsize::new(0));
    let matcher = t.data_request;
    t.proxy.inject(
        move |m, target| matcher(m, target) && seen.fetch_add(1, Ordering::SeqCst) + 1 == n,
        Fault::Hold,
        None,
    );
}

async fn wait_until_held(t: &Target, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !t.proxy.seen().iter().any(|s| s.status == 0) {
        assert!(
            Instant::now() < deadline,
            "[{}] nothing was held: {:?}",
            t.name,
            t.proxy.seen()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "[{}] ferry exited early",
            t.name
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn kill_and_resume(t: &Target, dir: &Path) {
    let ferry = t.ferry.fresh();
    let before = (t.remote_count)();
    let len = if t.chunked { 26 * MIB + 9 } else { 2 * MIB };
    let (path, bytes) = (t.make)(dir, "resumed.bin", len, 3);
    t.proxy.clear_faults();
    t.proxy.reset_log();
    let held = if t.chunked { 3 } else { 1 };
    hold_nth(t, held);
    let mut child = ferry.spawn(&["upload", "--json", "--to", t.name], &[&path]);
    wait_until_held(t, &mut child).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    t.proxy.clear_faults();
    t.proxy.reset_log();
    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(
        run.code, 0,
        "[{}] resume failed:\n{}\n{}",
        t.name, run.stdout, run.stderr
    );
    let job = run.lines().remove(0);
    assert_eq!(job["state"], "done");
    let resent = t
        .proxy
        .seen()
        .iter()
        .filter(|s| (t.data_request)(&s.method, &s.target))
        .count();
    if t.chunked {
        assert_eq!(
            resent,
            6 - 2,
            "[{}] only what the server lacks is sent again",
            t.name
        );
    }
    assert_eq!(
        (t.stored_sha256)(&job),
        Some(sha256_hex(&bytes)),
        "[{}] stored bytes",
        t.name
    );
    assert_eq!(
        (t.remote_count)(),
        before + 1,
        "[{}] one upload, no duplicate or leftover",
        t.name
    );
}

async fn cancel_mid_upload(t: &Target, dir: &Path) {
    if !t.chunked {
        return; // one request: nothing to stop between parts
    }
    let ferry = t.ferry.fresh();
    let before = (t.remote_count)();
    let (path, _) = (t.make)(dir, "cancelled.bin", 16 * MIB, 4);
    t.proxy.clear_faults();
    hold_nth(t, 2);
    let child = ferry.spawn(&["upload", "--json", "--to", t.name], &[&path]);
    let mut child = child;
    wait_until_held(t, &mut child).await;
    let cancel = ferry.run(&["cancel", "1"]);
    assert_eq!(cancel.code, 0, "[{}] cancel: {}", t.name, cancel.stderr);
    t.proxy.release();
    let out = child.wait_with_output().unwrap();
    t.proxy.clear_faults();
    let status = ferry.status();
    assert_eq!(
        status[0]["state"],
        "cancelled",
        "[{}] {}",
        t.name,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (t.remote_count)(),
        before,
        "[{}] a cancelled upload leaves nothing behind",
        t.name
    );
}

fn delete(t: &Target, dir: &Path) {
    let ferry = t.ferry.fresh();
    let before = (t.remote_count)();
    let (path, _) = (t.make)(dir, "deleted.bin", 100_000, 5);
    let job = upload(&ferry, t, &path);
    assert_eq!((t.remote_count)(), before + 1);
    let run = ferry.run(&["delete", &job["id"].to_string()]);
    assert_eq!(run.code, 0, "[{}] delete: {}", t.name, run.stderr);
    assert_eq!((t.remote_count)(), before, "[{}] deleted remotely", t.name);
    assert_eq!(ferry.status()[0]["state"], "deleted");
}

fn refused_credentials(t: &Target, dir: &Path) {
    let Some((key, value)) = t.bad_credentials else {
        return;
    };
    let mut ferry = t.ferry.fresh();
    ferry.set(key, value);
    let (path, _) = (t.make)(dir, "refused.bin", 50_000, 6);
    let run = ferry.run_paths(&["upload", "--json", "--to", t.name], &[&path]);
    assert_eq!(run.code, 1, "[{}] {}", t.name, run.stdout);
    let job = &run.lines()[0];
    assert_eq!(job["state"], "failed");
    assert_eq!(
        job["error"]["code"], "unauthenticated",
        "[{}] {job}",
        t.name
    );
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("refused.") && message.contains(key),
        "[{}] {message}",
        t.name
    );
    assert!(!run.stdout.contains(value) && !run.stderr.contains(value));
}

async fn suite(t: Target) {
    let dir = tempfile::tempdir().unwrap();
    small_file(&t, dir.path());
    large_file(&t, dir.path());
    kill_and_resume(&t, dir.path()).await;
    cancel_mid_upload(&t, dir.path()).await;
    delete(&t, dir.path());
    refused_credentials(&t, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_on_rclone() {
    let server = S3Server::rclone();
    let proxy = Proxy::start(&server.endpoint).await;
    suite(s3_target("s3", server, proxy)).await;
}

/// A second S3 implementation, so the client has not only learned rclone's habits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_on_s3s_fs() {
    let server = S3Server::s3s_fs();
    let proxy = Proxy::start(&server.endpoint).await;
    suite(s3_target("s3", server, proxy)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r2_settings_on_rclone() {
    let server = S3Server::rclone();
    let proxy = Proxy::start(&server.endpoint).await;
    suite(s3_target("r2", server, proxy)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn images_on_the_emulator() {
    suite(cloudflare_target("images").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_on_the_emulator() {
    suite(cloudflare_target("stream").await).await;
}

/// A plain tus server does no processing: once a PATCH reply confirms the final offset the
/// job is done, and a server that then refuses questions (HEAD) cannot fail it.
fn final_offset_is_final(t: &Target, dir: &Path) {
    let ferry = t.ferry.fresh();
    let (path, bytes) = (t.make)(dir, "final.bin", 1000, 7);
    t.proxy.clear_faults();
    t.proxy.inject(
        |m, _| m == "HEAD",
        Fault::Status {
            code: 400,
            retry_after: None,
            body: "{\"detail\":\"no questions\"}".into(),
        },
        None,
    );
    let job = upload(&ferry, t, &path);
    t.proxy.clear_faults();
    assert_eq!(job["state"], "done", "[{}] {job}", t.name);
    assert_eq!(
        (t.stored_sha256)(&job).as_deref(),
        Some(sha256_hex(&bytes).as_str()),
        "[{}] stored whole",
        t.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tus_on_tus_server() {
    let t = tus_target(TusImpl::Node).await;
    final_offset_is_final(&t, tempfile::tempdir().unwrap().path());
    suite(t).await;
}

/// A second tus implementation: it refuses HEAD on an upload created without `filename` and
/// `filetype` metadata, which once failed every job whose bytes had all arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tus_on_tuspyserver() {
    let t = tus_target(TusImpl::Python).await;
    final_offset_is_final(&t, tempfile::tempdir().unwrap().path());
    suite(t).await;
}
