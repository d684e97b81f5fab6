//! The fault campaign (issue 7): Ferry uploads a course through the fault-injecting proxy,
//! which gives a seeded share of the requests a fault picked at random: bursts of 503, 500,
//! 429 with `Retry-After`, connections reset before a reply or cut mid-request body, replies
//! lost after the server acted or cut mid-body, malformed 200 replies, stalls and slow links.
//! Jobs that run out of retries are retried by the user (`ferry retry --failed`, then `ferry resume`)
//! until all are done. Then an independent client checks the store: every file exactly once,
//! bytes identical, no multipart upload left open; and the faults are printed by kind.
//!
//! On S3 (rclone serve s3), on the official tus server, and on ferry-cloudsim (Images, Stream
//! and R2 at once). `FERRY_FAULT_SEED` replays a run (up to the order in which concurrent
//! requests reach the proxy); `FERRY_FAULT_PER_MILLE` sets the share of requests hit (default
//! 200, that is 20 %).

use ferry_e2e::campaign::{env_num, one_done_job_per_file};
use ferry_e2e::checker::Checker;
use ferry_e2e::cloudsim::{self, CloudSim};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{mp4, png};
use ferry_e2e::proxy::{ChaosFault, Fault, Proxy};
use ferry_e2e::servers::{BUCKET, S3Server};
use ferry_e2e::tus_server::TusServer;
use ferry_e2e::{data, sha256_hex};
use std::path::{Path, PathBuf};
use std::time::Duration;

const PART: usize = 5 * 1024 * 1024;

/// The faults a campaign picks from; `error_body` is what the service sends with an error
/// status (S3's XML or Cloudflare's JSON envelope).
fn faults(error_body: fn(&str) -> String) -> Vec<ChaosFault> {
    let status = |code, retry_after, what: &str| Fault::Status {
        code,
        retry_after,
        body: error_body(what),
    };
    vec![
        ChaosFault {
            name: "503, a burst of 3",
            fault: status(503, None, "SlowDown"),
            burst: 3,
        },
        ChaosFault {
            name: "500",
            fault: status(500, None, "InternalError"),
            burst: 1,
        },
        ChaosFault {
            name: "429 with Retry-After: 1",
            fault: status(429, Some(1), "SlowDown"),
            burst: 1,
        },
        ChaosFault {
            name: "connection reset before a reply",
            fault: Fault::Drop,
            burst: 1,
        },
        ChaosFault {
            name: "connection cut mid-request body",
            fault: Fault::CutRequest(64 * 1024),
            burst: 1,
        },
        ChaosFault {
            name: "reply lost after the server acted",
            fault: Fault::LoseReply,
            burst: 1,
        },
        ChaosFault {
            name: "reply cut mid-body",
            fault: Fault::CutReply,
            burst: 1,
        },
        ChaosFault {
            name: "malformed 200 reply",
            fault: Fault::ReplaceBody("<html><body>502 from a proxy".into()),
            burst: 1,
        },
        ChaosFault {
            name: "stall of 1.5 s",
            fault: Fault::Stall(Duration::from_millis(1500)),
            burst: 1,
        },
        ChaosFault {
            name: "slow link, 1 MiB/s",
            fault: Fault::Slow(1024 * 1024),
            burst: 1,
        },
    ]
}

fn s3_error(code: &str) -> String {
    format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>injected</Message></Error>")
}

fn cloudflare_error(_: &str) -> String {
    r#"{"success":false,"errors":[{"code":10000,"message":"injected"}],"messages":[],"result":null}"#
        .into()
}

/// Upload `paths` with `upload`, then, as a user would, retry whatever failed until every job
/// is done (at most 12 rounds). Returns the rounds of `ferry retry` that were needed.
fn upload_until_done(ferry: &Ferry, upload: &[&str], paths: &[&Path], seed: u64) -> usize {
    let first = ferry.run_paths(upload, paths);
    assert!(
        first.code == 0 || first.code == 1,
        "seed {seed}: {}\n{}",
        first.stdout,
        first.stderr
    );
    for line in first.lines() {
        if line["state"] == "failed" {
            let message = line["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.len() > 20,
                "seed {seed}: a failure must say what happened: {line}"
            );
            eprintln!("  failed, then retried by the user: {message}");
        }
    }
    let mut rounds = 0;
    while ferry.status().iter().any(|j| j["state"] != "done") {
        rounds += 1;
        assert!(
            rounds <= 12,
            "seed {seed}: still not done: {:?}",
            ferry.status()
        );
        let retry = ferry.run(&["retry", "--failed"]);
        assert_eq!(retry.code, 0, "seed {seed}: {}", retry.stderr);
        let resumed = ferry.run(&["resume", "--json"]);
        assert!(resumed.code == 0 || resumed.code == 1, "{}", resumed.stderr);
    }
    rounds
}

fn report(server: &str, seed: u64, files: usize, rounds: usize, proxy: &Proxy) -> usize {
    let tally = proxy.tally();
    let total: usize = tally.values().sum();
    let requests = proxy.seen().len();
    eprintln!(
        "fault campaign, {server}, seed {seed:#x}: {total} faults in {requests} requests, {files} files checked, 0 lost, 0 duplicated, {rounds} rounds of `ferry retry`"
    );
    for (kind, n) in &tally {
        eprintln!("  {n:>4}  {kind}");
    }
    total
}

fn course(dir: &Path, seed: u64) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for i in 0..24u64 {
        let path = dir.join(format!("Week {}/handout {i}.pdf", i % 3));
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend(data(20_000 + (i as usize * 37_123) % 300_000, seed ^ i));
        files.push((path, bytes));
    }
    for i in 0..3u64 {
        let path = dir.join(format!("Week {i}/recording {i}.mp4"));
        files.push((
            path,
            data(PART * 2 + 1 + i as usize * 777_777, seed ^ (100 + i)),
        ));
    }
    for (path, bytes) in &files {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_of_every_kind_lose_and_duplicate_nothing_on_s3() {
    let seed = env_num("FERRY_FAULT_SEED", 0xFA17_0001);
    let per_mille = env_num("FERRY_FAULT_PER_MILLE", 200);
    let server = S3Server::rclone();
    let proxy = Proxy::start(&server.endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let files = course(dir.path(), seed);
    let paths: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "3")
        .set("FERRY_FILE_CONCURRENCY", "3");
    proxy.chaos(seed, per_mille, faults(s3_error));
    let rounds = tokio::task::block_in_place(|| {
        upload_until_done(&ferry, &["upload", "--json"], &paths, seed)
    });
    proxy.calm();

    let jobs = one_done_job_per_file(&ferry, files.len(), seed);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let listed = checker.list();
    assert_eq!(listed.len(), files.len(), "seed {seed}: {listed:?}");
    for (path, bytes) in &files {
        let key = jobs[&path.display().to_string()]["key"].as_str().unwrap();
        assert_eq!(checker.sha256(key), sha256_hex(bytes), "seed {seed}: {key}");
    }
    assert!(
        checker.pending_uploads().is_empty(),
        "seed {seed}: multipart uploads left open: {:?}",
        checker.pending_uploads()
    );
    let total = report("rclone serve s3", seed, files.len(), rounds, &proxy);
    assert!(total >= 3, "seed {seed}: too few faults to mean anything");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_of_every_kind_lose_and_duplicate_nothing_on_the_tus_server() {
    let seed = env_num("FERRY_FAULT_SEED", 0xFA17_0002);
    let per_mille = env_num("FERRY_FAULT_PER_MILLE", 200);
    let server = TusServer::start();
    let proxy = Proxy::start(&format!("http://127.0.0.1:{}", server.port)).await;
    let dir = tempfile::tempdir().unwrap();
    let files = course(dir.path(), seed);
    let paths: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let mut ferry = Ferry::with_env(&[("FERRY_TUS_ENDPOINT", &format!("{}/files", proxy.url()))]);
    ferry
        .set("FERRY_TUS_CHUNK_MIB", "5")
        .set("FERRY_FILE_CONCURRENCY", "3");
    proxy.chaos(seed, per_mille, faults(s3_error));
    let rounds = tokio::task::block_in_place(|| {
        upload_until_done(&ferry, &["upload", "--json", "--to", "tus"], &paths, seed)
    });
    proxy.calm();

    let jobs = one_done_job_per_file(&ferry, files.len(), seed);
    let mut ids = Vec::new();
    for (path, bytes) in &files {
        let url = jobs[&path.display().to_string()]["url"].as_str().unwrap();
        let id = url.rsplit('/').next().unwrap().to_string();
        let stored = std::fs::read(server.store.path().join(&id)).unwrap();
        assert!(stored == *bytes, "seed {seed}: {} differs", path.display());
        ids.push(id);
    }
    // Uploads the server made whose creation reply was lost: they must hold no byte.
    let mut empty = 0;
    for upload in server.uploads() {
        let id = upload.file_name().unwrap().to_string_lossy().to_string();
        if !ids.contains(&id) {
            let len = std::fs::metadata(&upload).unwrap().len();
            assert_eq!(len, 0, "seed {seed}: a second upload with {len} bytes");
            empty += 1;
        }
    }
    let total = report("@tus/server", seed, files.len(), rounds, &proxy);
    eprintln!("  ({empty} empty uploads from lost creation replies, left to expire)");
    assert!(total >= 3, "seed {seed}: too few faults to mean anything");
}

/// Images, Stream (creation through the proxy; the chunks go to the upload URL Stream gives)
/// and R2 at once, each API behind its own proxy with the same chaos.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_of_every_kind_lose_and_duplicate_nothing_on_images_stream_and_r2() {
    let seed = env_num("FERRY_FAULT_SEED", 0xFA17_0003);
    let per_mille = env_num("FERRY_FAULT_PER_MILLE", 200);
    let sim = CloudSim::start(100);
    let api = Proxy::start(&sim.base).await;
    let r2 = Proxy::start(&sim.r2_endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let images: Vec<_> = (0..3u32)
        .map(|i| {
            png(
                dir.path(),
                &format!("diagram {i}.png"),
                320 + i,
                240,
                50_000,
            )
        })
        .collect();
    let videos: Vec<_> = (0..2u64)
        .map(|i| mp4(dir.path(), &format!("lab {i}.mp4"), 2 * PART + 5, seed ^ i))
        .collect();
    let mut documents = Vec::new();
    for i in 0..4u64 {
        let path = dir.path().join(format!("syllabus {i}.pdf"));
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend(data(30_000 + i as usize * 50_000, seed ^ (50 + i)));
        std::fs::write(&path, &bytes).unwrap();
        documents.push((path, bytes));
    }
    let all: Vec<&(PathBuf, Vec<u8>)> = images.iter().chain(&videos).chain(&documents).collect();
    let paths: Vec<&Path> = all.iter().map(|(p, _)| p.as_path()).collect();
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let api_base = sim.api.replace(&sim.base, &api.url());
    ferry
        .set("CLOUDFLARE_API_BASE_URL", &api_base)
        .set("CLOUDFLARE_R2_ENDPOINT", &r2.url())
        .set("FERRY_STREAM_CHUNK_MIB", "5")
        .set("FERRY_FILE_CONCURRENCY", "3");
    api.chaos(seed, per_mille, faults(cloudflare_error));
    r2.chaos(seed ^ 1, per_mille, faults(s3_error));
    let rounds = tokio::task::block_in_place(|| {
        upload_until_done(&ferry, &["upload", "--json"], &paths, seed)
    });
    api.calm();
    r2.calm();

    let jobs = one_done_job_per_file(&ferry, all.len(), seed);
    let job = |p: &PathBuf| &jobs[&p.display().to_string()];
    let listed: Vec<String> = sim
        .images()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.len(), images.len(), "seed {seed}: images {listed:?}");
    for (path, _) in &images {
        let id = job(path)["key"].as_str().unwrap().to_string();
        assert!(listed.contains(&id), "seed {seed}: {}", path.display());
    }
    let mut empty_videos = 0;
    for v in sim.videos() {
        if videos.iter().any(|(p, _)| job(p)["key"] == v["uid"]) {
            continue;
        }
        assert_ne!(v["readyToStream"], true, "seed {seed}: a second video {v}");
        empty_videos += 1;
    }
    for (path, bytes) in &videos {
        let stored = cloudsim::original_bytes(job(path)["url"].as_str().unwrap());
        assert!(stored == *bytes, "seed {seed}: {}", path.display());
    }
    let checker = Checker::new(&sim.r2_endpoint, BUCKET);
    assert_eq!(checker.list().len(), documents.len(), "seed {seed}: R2");
    for (path, bytes) in &documents {
        let key = job(path)["key"].as_str().unwrap();
        assert_eq!(checker.sha256(key), sha256_hex(bytes), "seed {seed}: {key}");
    }
    let mut tally = api.tally();
    for (kind, n) in r2.tally() {
        *tally.entry(kind).or_default() += n;
    }
    let total: usize = tally.values().sum();
    eprintln!(
        "fault campaign, ferry-cloudsim (Images, Stream, R2), seed {seed:#x}: {total} faults in {} requests, {} files checked, 0 lost, 0 duplicated, {rounds} rounds of `ferry retry`, {empty_videos} empty videos left to expire",
        api.seen().len() + r2.seen().len(),
        all.len()
    );
    for (kind, n) in &tally {
        eprintln!("  {n:>4}  {kind}");
    }
    assert!(total >= 3, "seed {seed}: too few faults to mean anything");
}
