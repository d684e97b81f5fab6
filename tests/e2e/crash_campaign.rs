//! The crash campaign (issue 7) on S3: a mixed set of course files is uploaded, and `ferry` is
//! killed with SIGKILL at seeded random moments and started again (`ferry resume`, or `ferry
//! upload` when the kill came before the files were queued), over and over. At the end an
//! independent client (boto3) checks the bucket: every file present exactly once, bytes
//! identical, no multipart upload left open, and every job `done`.
//!
//! The same on ferry-cloudsim with every destination at once: images to Cloudflare Images,
//! videos to Stream over tus, documents to R2; and on the official tus server (@tus/server)
//! through the generic tus destination.
//!
//! The quick form runs in the test command. `FERRY_CAMPAIGN_KILLS` (kills per server, default
//! 8) and `FERRY_CAMPAIGN_SEED` give the longer form and reproduce a run; the seed is printed.

use ferry_e2e::campaign::{SeededRng, env_num, one_done_job_per_file};
use ferry_e2e::checker::Checker;
use ferry_e2e::cloudsim::{self, CloudSim};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{mp4, png};
use ferry_e2e::servers::{BUCKET, S3Server};
use ferry_e2e::tus_server::TusServer;
use ferry_e2e::{data, sha256_hex};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

const PART: usize = 5 * 1024 * 1024;

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

/// Upload `paths`, killing ferry with SIGKILL at random moments (up to `max_kills` times) and
/// starting it again, then let the last run finish. Returns the number of kills.
fn kill_and_restart(
    ferry: &Ferry,
    upload: &[&str],
    paths: &[&std::path::Path],
    rng: &mut SeededRng,
    seed: u64,
    max_kills: usize,
) -> usize {
    let mut kills = 0;
    let mut child = ferry.spawn(upload, paths);
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
            ferry.spawn(upload, paths)
        } else {
            ferry.spawn(&["resume", "--json"], &[])
        };
    }

    kills
}

fn campaign(server: &S3Server, seed: u64, max_kills: usize, rate_kib: &str) -> Tally {
    let mut rng = SeededRng(seed);
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

    let kills = kill_and_restart(
        &ferry,
        &["upload", "--json"],
        &paths,
        &mut rng,
        seed,
        max_kills,
    );

    // The queue: one job per file, all done.
    let key_of: BTreeMap<String, String> = one_done_job_per_file(&ferry, files.len(), seed)
        .into_iter()
        .map(|(path, job)| (path, job["key"].as_str().unwrap().to_string()))
        .collect();

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

/// Kills inside parts, where the campaign above mostly lands between them: one large recording
/// sent unpaced in 16 MiB parts, eight in flight, so that a kill finds the server taking in
/// parts (and `rclone serve s3` streaming finished ones into its backend, where a cut part
/// makes it fail the whole upload). Each round kills once at a random moment, then runs
/// `ferry resume` alone: it must finish the file, with no `ferry retry`. Returns (rounds,
/// uploads the server lost and Ferry started again by itself).
fn mid_part_campaign(server: &S3Server, seed: u64, rounds: usize) -> (usize, usize) {
    let mut rng = SeededRng(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lecture capture.mp4");
    let bytes = data(160 * 1024 * 1024, seed);
    std::fs::write(&path, &bytes).unwrap();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let mut restarted = 0;
    for round in 0..rounds {
        let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
        ferry
            .multipart_parts(16 * 1024 * 1024)
            .set("FERRY_PART_CONCURRENCY", "8");
        let mut child = ferry.spawn(&["upload", "--json"], &[&path]);
        if exited_within(&mut child, rng.between(150, 1200)).is_none() {
            child.kill().unwrap(); // SIGKILL
        }
        child.wait().unwrap();
        let run = ferry.run(&["resume", "--json"]);
        assert_eq!(
            run.code, 0,
            "seed {seed}, round {round}: `ferry resume` alone must finish the file:\n{}\n{}",
            run.stdout, run.stderr
        );
        let job = &one_done_job_per_file(&ferry, 1, seed)[&path.display().to_string()];
        let key = job["key"].as_str().unwrap();
        assert_eq!(
            checker.sha256(key),
            sha256_hex(&bytes),
            "seed {seed}, round {round}"
        );
        restarted += job["notes"].as_array().map_or(0, |n| n.len());
    }
    assert_eq!(
        checker.list().len(),
        rounds,
        "seed {seed}: one object per round"
    );
    assert!(
        checker.pending_uploads().is_empty(),
        "seed {seed}: uploads left open: {:?}",
        checker.pending_uploads()
    );
    (rounds, restarted)
}

#[test]
fn sigkill_inside_parts_then_resume_alone_finishes_rclone() {
    let seed = env_num("FERRY_CAMPAIGN_SEED", 0x5EED_0005);
    let rounds = env_num("FERRY_CAMPAIGN_KILLS", 8) as usize / 2;
    let (rounds, restarted) = mid_part_campaign(&S3Server::rclone(), seed, rounds.max(1));
    eprintln!(
        "mid-part kills, rclone serve s3, seed {seed:#x}: {rounds} kills, each finished by `ferry resume` alone; {restarted} uploads the server lost were started again"
    );
}

#[test]
fn sigkill_inside_parts_then_resume_alone_finishes_moto() {
    let seed = env_num("FERRY_CAMPAIGN_SEED", 0x5EED_0006);
    let rounds = env_num("FERRY_CAMPAIGN_KILLS", 8) as usize / 4;
    let (rounds, restarted) = mid_part_campaign(&S3Server::moto(), seed, rounds.max(1));
    eprintln!(
        "mid-part kills, moto, seed {seed:#x}: {rounds} kills, each finished by `ferry resume` alone; {restarted} uploads the server lost were started again"
    );
}

/// Images, videos and documents at once, on ferry-cloudsim: every image once in Images, every
/// video once and ready in Stream with the file's bytes, every document once in R2. A kill
/// between a video's creation and the commit of its upload URL can leave a video that never
/// received a byte; Stream deletes such uploads when they expire (the documented policy), so
/// they are counted, and must never be ready.
#[test]
fn sigkill_at_random_moments_on_images_stream_and_r2() {
    let seed = env_num("FERRY_CAMPAIGN_SEED", 0x5EED_0003);
    let max_kills = env_num("FERRY_CAMPAIGN_KILLS", 8) as usize;
    let mut rng = SeededRng(seed);
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let mut images = Vec::new();
    for i in 0..3u32 {
        images.push(png(
            dir.path(),
            &format!("figure {i}.png"),
            640 + i,
            480,
            200_000 + 1000 * i as usize,
        ));
    }
    let mut videos = Vec::new();
    for i in 0..2u64 {
        let len = rng.between(2 * PART as u64 + 1, 3 * PART as u64) as usize;
        videos.push(mp4(dir.path(), &format!("lecture {i}.mp4"), len, seed ^ i));
    }
    let mut documents = Vec::new();
    for i in 0..4u64 {
        let path = dir.path().join(format!("reading {i}.pdf"));
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend(data(rng.between(1, 300_000) as usize, seed ^ (50 + i)));
        std::fs::write(&path, &bytes).unwrap();
        documents.push((path, bytes));
    }
    let all: Vec<&(PathBuf, Vec<u8>)> = images.iter().chain(&videos).chain(&documents).collect();
    let paths: Vec<&std::path::Path> = all.iter().map(|(p, _)| p.as_path()).collect();

    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry
        .set("FERRY_STREAM_CHUNK_MIB", "5")
        .set("FERRY_FILE_CONCURRENCY", "4")
        .set("FERRY_BANDWIDTH_LIMIT_KIB", "8192");
    let kills = kill_and_restart(
        &ferry,
        &["upload", "--json"],
        &paths,
        &mut rng,
        seed,
        max_kills,
    );

    let job_of = one_done_job_per_file(&ferry, all.len(), seed);
    let job = |p: &PathBuf| &job_of[&p.display().to_string()];

    // Images: exactly these, each under its job's id.
    let listed: Vec<String> = sim
        .images()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.len(), images.len(), "seed {seed}: images {listed:?}");
    for (path, _) in &images {
        assert_eq!(job(path)["destination"], "images");
        assert!(
            listed.contains(&job(path)["key"].as_str().unwrap().to_string()),
            "seed {seed}: {}",
            path.display()
        );
    }
    // Stream: each video once, ready, with the file's bytes; other videos never received a byte.
    let listed = sim.videos();
    let mut orphans = 0;
    for v in &listed {
        let uid = v["uid"].as_str().unwrap();
        if videos.iter().any(|(p, _)| job(p)["key"] == uid) {
            continue;
        }
        assert_ne!(
            v["readyToStream"], true,
            "seed {seed}: a second ready video {v}"
        );
        orphans += 1;
    }
    for (path, bytes) in &videos {
        let line = job(path);
        assert_eq!(line["destination"], "stream");
        let stored = cloudsim::original_bytes(line["url"].as_str().unwrap());
        assert!(
            stored == *bytes,
            "seed {seed}: {} has other bytes in Stream",
            path.display()
        );
    }
    // R2, through boto3.
    let checker = Checker::new(&sim.r2_endpoint, BUCKET);
    assert_eq!(
        checker.list().len(),
        documents.len(),
        "seed {seed}: R2 objects"
    );
    for (path, bytes) in &documents {
        assert_eq!(
            checker.sha256(job(path)["key"].as_str().unwrap()),
            sha256_hex(bytes)
        );
    }
    // (The documents are single PUTs, so there is no multipart upload to leave open.)
    eprintln!(
        "crash campaign, ferry-cloudsim (Images, Stream, R2), seed {seed:#x}: {kills} kills survived, {} files checked, 0 lost, 0 duplicated, {orphans} empty video uploads left to expire",
        all.len()
    );
    assert!(
        kills > 0,
        "the campaign killed nothing: slow the uploads down"
    );
}

/// The generic tus destination on the official tus server: each file's upload complete and
/// byte-identical, none twice. An upload the server created whose URL Ferry had not yet
/// committed when killed holds no byte; it is counted (tus servers expire such uploads, and
/// @tus/server's FileStore does so once an expiration is configured).
#[test]
fn sigkill_at_random_moments_on_the_tus_server() {
    let seed = env_num("FERRY_CAMPAIGN_SEED", 0x5EED_0004);
    let max_kills = env_num("FERRY_CAMPAIGN_KILLS", 8) as usize;
    let mut rng = SeededRng(seed);
    let server = TusServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for i in 0..4u64 {
        let path = dir.path().join(format!("notes {i}.txt"));
        files.push((path, data(rng.between(1, 300_000) as usize, seed ^ i)));
    }
    for i in 0..3u64 {
        let path = dir.path().join(format!("lecture {i}.mov"));
        let len = rng.between(PART as u64 + 1, 3 * PART as u64) as usize;
        files.push((path, data(len, seed ^ (10 + i))));
    }
    for (path, bytes) in &files {
        std::fs::write(path, bytes).unwrap();
    }
    let paths: Vec<&std::path::Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let mut ferry = Ferry::with_env(&[("FERRY_TUS_ENDPOINT", &server.endpoint)]);
    ferry
        .set("FERRY_TUS_CHUNK_MIB", "5")
        .set("FERRY_FILE_CONCURRENCY", "3")
        .set("FERRY_BANDWIDTH_LIMIT_KIB", "4096");
    let kills = kill_and_restart(
        &ferry,
        &["upload", "--json", "--to", "tus"],
        &paths,
        &mut rng,
        seed,
        max_kills,
    );

    let id_of: BTreeMap<String, String> = one_done_job_per_file(&ferry, files.len(), seed)
        .into_iter()
        .map(|(path, job)| {
            let url = job["url"].as_str().unwrap();
            (path, url.rsplit('/').next().unwrap().to_string())
        })
        .collect();
    for (path, bytes) in &files {
        let id = &id_of[&path.display().to_string()];
        let stored = std::fs::read(server.store.path().join(id)).unwrap();
        assert!(
            stored == *bytes,
            "seed {seed}: the tus server holds other bytes for {}",
            path.display()
        );
    }
    let mut orphans = 0;
    for upload in server.uploads() {
        let id = upload.file_name().unwrap().to_string_lossy().to_string();
        if id_of.values().any(|v| *v == id) {
            continue;
        }
        let len = std::fs::metadata(&upload).unwrap().len();
        assert_eq!(
            len, 0,
            "seed {seed}: a second upload holding {len} bytes: {id}"
        );
        orphans += 1;
    }
    eprintln!(
        "crash campaign, @tus/server, seed {seed:#x}: {kills} kills survived, {} files checked, 0 lost, 0 duplicated, {orphans} empty uploads left to expire",
        files.len()
    );
    assert!(
        kills > 0,
        "the campaign killed nothing: slow the uploads down"
    );
}
