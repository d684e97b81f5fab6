//! The crash campaign (issue 7) on S3: a mixed set of course files is uploaded, and `ferry` is
//! killed with SIGKILL at seeded random moments and started again (`ferry resume`, or `ferry
//! upload` when the kill came before the files were queued), over and over. At the end an
//! independent client (boto3) checks the bucket: every file present exactly once, bytes
//! identical, no multipart upload left open, and every job `done`.
//!
//! The quick form runs in the test command. `FERRY_CAMPAIGN_KILLS` (kills per server, default
//! 8) and `FERRY_CAMPAIGN_SEED` give the longer form and reproduce a run; the seed is printed.

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

const PART: usize = 5 * 1024 * 1024;

/// A small seeded generator (SplitMix64), so a campaign is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one campaign did.
struct Tally {
    kills: usize,
    files: usize,
}

/// Wait up to `for_ms` for `child` to exit by itself; `Some(success)` if it did.
fn exited_within(child: &mut Child, for_ms: u64) -> Option<bool> {
    let until = Instant::now() + Duration::from_millis(for_ms);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.success());
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn campaign(server: &S3Server, seed: u64, max_kills: usize, rate_kib: &str) -> Tally {
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    // Handouts (single PUTs) and recordings (multipart, 2 to 4 parts), in module folders.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for i in 0..10u64 {
        let path = dir.path().join(format!("Module {}/handout {i}.pdf", i % 3));
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend(data(rng.between(1, 400_000) as usize, seed ^ i));
        files.push((path, bytes));
    }
    for i in 0..4u64 {
        let path = dir.path().join(format!("Module {i}/recording {i}.mp4"));
        let len = rng.between(PART as u64 + 1, 4 * PART as u64) as usize;
        files.push((path, data(len, seed ^ (100 + i))));
    }
    for (path, bytes) in &files {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let paths: Vec<&std::path::Path> = files.iter().map(|(p, _)| p.as_path()).collect();

    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_PART_CONCURRENCY", "3")
        .set("FERRY_FILE_CONCURRENCY", "4")
        // Slow enough that kills land mid-upload, mid-part and between parts.
        .set("FERRY_BANDWIDTH_LIMIT_KIB", rate_kib);

    let mut kills = 0;
    let mut child = ferry.spawn(&["upload", "--json"], &paths);
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        assert!(
            Instant::now() < deadline,
            "seed {seed}: the campaign did not finish"
        );
        if kills < max_kills {
            match exited_within(&mut child, rng.between(50, 900)) {
                Some(true) => break,
                Some(false) => {
                    let out = child.wait_with_output().unwrap();
                    panic!(
                        "seed {seed}: ferry failed after {kills} kills:\n{}\n{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                None => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                }
            }
        } else {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "seed {seed}: the last run failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            break;
        }
        // Killed before the batch was queued (it is one transaction: all or nothing), the
        // files are added again; otherwise the queue is resumed.
        child = if ferry.status().is_empty() {
            ferry.spawn(&["upload", "--json"], &paths)
        } else {
            ferry.spawn(&["resume", "--json"], &[])
        };
    }

    // The queue: one job per file, all done.
    let status = ferry.status();
    let mut key_of: BTreeMap<String, String> = BTreeMap::new();
    for job in &status {
        assert_eq!(job["state"], "done", "seed {seed}: {job}");
        if job["duplicate_of"].is_null() {
            let path = job["path"].as_str().unwrap().to_string();
            let key = job["key"].as_str().unwrap().to_string();
            assert!(
                key_of.insert(path.clone(), key).is_none(),
                "seed {seed}: {path} uploaded twice"
            );
        }
    }
    assert_eq!(
        key_of.len(),
        files.len(),
        "seed {seed}: every file has one upload"
    );

    // The bucket, through boto3: exactly these objects, byte for byte, nothing left open.
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let listed = checker.list();
    assert_eq!(
        listed.len(),
        files.len(),
        "seed {seed}: no object lost, none duplicated: {listed:?}"
    );
    for (path, bytes) in &files {
        let key = &key_of[&path.display().to_string()];
        assert_eq!(
            checker.sha256(key),
            sha256_hex(bytes),
            "seed {seed}: {key} differs from {}",
            path.display()
        );
    }
    assert!(
        checker.pending_uploads().is_empty(),
        "seed {seed}: multipart uploads left open: {:?}",
        checker.pending_uploads()
    );
    Tally {
        kills,
        files: files.len(),
    }
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing_rclone() {
    let seed = env_num("FERRY_CAMPAIGN_SEED", 0x5EED_0001);
    let kills = env_num("FERRY_CAMPAIGN_KILLS", 8) as usize;
    let tally = campaign(&S3Server::rclone(), seed, kills, "12288");
    eprintln!(
        "crash campaign, rclone serve s3, seed {seed:#x}: {} kills survived, {} files checked, 0 lost, 0 duplicated",
        tally.kills, tally.files
    );
    assert!(
        tally.kills > 0,
        "the campaign killed nothing: slow the uploads down"
    );
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing_moto() {
    let seed = env_num("FERRY_CAMPAIGN_SEED", 0x5EED_0002);
    let kills = (env_num("FERRY_CAMPAIGN_KILLS", 8) as usize / 2).max(1);
    let tally = campaign(&S3Server::moto(), seed, kills, "12288");
    eprintln!(
        "crash campaign, moto, seed {seed:#x}: {} kills survived, {} files checked, 0 lost, 0 duplicated",
        tally.kills, tally.files
    );
    assert!(
        tally.kills > 0,
        "the campaign killed nothing: slow the uploads down"
    );
}
