//! Power loss under the queue (issue 7). A power cut can take back the relaxed commits that
//! were still in the OS's cache (claims, confirmed parts and offsets, "done"), never the
//! durable ones (the batch queued, the identity of each remote upload); see `queue/mod.rs`.
//! So after a power cut the queue is *older than the store*: it may not know parts, uploads or
//! whole objects the server already has.
//!
//! This test makes exactly that happen. While `ferry upload` runs, the process is frozen
//! (SIGSTOP) at seeded random moments and its database files are copied, as a disk would hold
//! them at that instant; then it goes on to finish. Each copy is later put back in a fresh
//! FERRY_HOME, as if the machine had lost power at that moment, and `ferry resume` runs on it
//! against the same bucket, whose objects are all already complete. One copy also gets a torn
//! WAL tail (half a frame of garbage). Afterwards: every queue opens without being reported
//! damaged or reset, every job is done, and the bucket still holds each file exactly once,
//! byte for byte, with no multipart upload left open.

use ferry_e2e::campaign::{SeededRng, env_num};
use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PART: usize = 5 * 1024 * 1024;

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[test]
fn a_power_cut_at_any_moment_loses_and_duplicates_nothing() {
    let seed = env_num("FERRY_CAMPAIGN_SEED", 0x0B0F_0001);
    let cuts = env_num("FERRY_POWER_CUTS", 6) as usize;
    let mut rng = SeededRng(seed);
    let mut next = move |lo: u64, hi: u64| rng.between(lo, hi);
    let server = S3Server::rclone();
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for i in 0..8u64 {
        let path = dir.path().join(format!("handout {i}.pdf"));
        files.push((path, data(next(1, 300_000) as usize, seed ^ i)));
    }
    for i in 0..3u64 {
        let path = dir.path().join(format!("lecture {i}.mp4"));
        let len = next(2 * PART as u64, 4 * PART as u64) as usize;
        files.push((path, data(len, seed ^ (10 + i))));
    }
    for (path, bytes) in &files {
        std::fs::write(path, bytes).unwrap();
    }
    let paths: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "3")
        .set("FERRY_FILE_CONCURRENCY", "3")
        .set("FERRY_BANDWIDTH_LIMIT_KIB", "8192");

    // The run, frozen now and then for a copy of its database as the disk holds it.
    let snapshots = tempfile::tempdir().unwrap();
    let mut child = ferry.spawn(&["upload", "--json"], &paths);
    let mut taken: Vec<PathBuf> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while taken.len() < cuts {
        std::thread::sleep(Duration::from_millis(next(150, 900)));
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            break;
        }
        signal(child.id(), "-STOP");
        let copy = snapshots.path().join(format!("cut-{}", taken.len()));
        std::fs::create_dir(&copy).unwrap();
        for name in ["ferry.db", "ferry.db-wal"] {
            let from = ferry.home.path().join(name);
            if from.exists() {
                std::fs::copy(&from, copy.join(name)).unwrap();
            }
        }
        signal(child.id(), "-CONT");
        taken.push(copy);
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "seed {seed}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !taken.is_empty(),
        "seed {seed}: the run ended before any cut"
    );

    // A torn last frame: the disk got half of a write.
    if let Some(wal) = taken
        .iter()
        .map(|c| c.join("ferry.db-wal"))
        .find(|w| w.exists())
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(wal).unwrap();
        f.write_all(&data(2000, seed)).unwrap();
    }

    let checker = Checker::new(&server.endpoint, &server.bucket);
    let expected: Vec<String> = files.iter().map(|(_, b)| sha256_hex(b)).collect();
    let mut queued_at_cut = Vec::new();
    for copy in &taken {
        let after = ferry.fresh();
        for name in ["ferry.db", "ferry.db-wal"] {
            if copy.join(name).exists() {
                std::fs::copy(copy.join(name), after.home.path().join(name)).unwrap();
            }
        }
        let before = after.status();
        queued_at_cut.push(before.len());
        let run = after.run(&["resume", "--json"]);
        assert_eq!(
            run.code,
            0,
            "seed {seed}, {}: {}\n{}",
            copy.display(),
            run.stdout,
            run.stderr
        );
        // Anything the cut left unqueued, the user adds again: it must be recognised.
        if before.len() < files.len() {
            let run = after.run_paths(&["upload", "--json"], &paths);
            assert_eq!(run.code, 0, "seed {seed}: {}", run.stderr);
        }
        let jobs = after.status();
        assert!(
            jobs.iter().all(|j| j["state"] == "done"),
            "seed {seed}: {jobs:?}"
        );
        let listed = checker.list();
        assert_eq!(
            listed.len(),
            files.len(),
            "seed {seed}, after resuming {}: no object twice: {listed:?}",
            copy.display()
        );
        assert!(
            checker.pending_uploads().is_empty(),
            "seed {seed}: open multipart uploads {:?}",
            checker.pending_uploads()
        );
    }
    // The bytes, once at the end (a resume that rewrote an object would show here).
    let mut stored: Vec<String> = checker
        .list()
        .iter()
        .map(|l| checker.sha256(&l.key))
        .collect();
    let mut want = expected;
    stored.sort();
    want.sort();
    assert_eq!(stored, want, "seed {seed}: the bytes of every file");
    eprintln!(
        "power loss, rclone serve s3, seed {seed:#x}: {} cuts replayed (jobs queued at each: {queued_at_cut:?}), one with a torn WAL, {} files checked after each, 0 lost, 0 duplicated",
        taken.len(),
        files.len()
    );
}
