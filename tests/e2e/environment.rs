//! When the computer itself is the problem: a clock far from the server's, and a full disk
//! under Ferry's database. Each gets a message that says what is wrong and what to do, and
//! nothing queued is lost: once the clock or the disk is put right, the same queue finishes.
//!
//! The clock is moved for Ferry alone with libfaketime (LD_PRELOAD). The full disk is a small
//! tmpfs mounted over FERRY_HOME in a private mount namespace (`unshare -rm`, no root needed).

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::{Ferry, binary};
use ferry_e2e::servers::S3Server;
use ferry_e2e::{data, sha256_hex};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const PART: usize = 5 * 1024 * 1024;

fn libfaketime() -> PathBuf {
    let found = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ]
    .iter()
    .map(|d| Path::new(d).join("faketime/libfaketime.so.1"))
    .find(|p| p.exists());
    found.expect("libfaketime is not installed: run scripts/setup.sh --test")
}

#[test]
fn a_clock_hours_off_is_named_and_the_job_finishes_once_it_is_right() {
    let server = S3Server::rclone();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timetable.pdf");
    std::fs::write(&path, b"%PDF-1.4 timetable").unwrap();
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry
        .set("LD_PRELOAD", libfaketime().to_str().unwrap())
        .set("FAKETIME", "-2h")
        .set("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let line = &run.lines()[0];
    assert_eq!(line["state"], "failed");
    let msg = line["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("timetable.pdf")
            && msg.contains("clock is 2.0 hours behind")
            && msg.contains("set the clock right"),
        "{msg}"
    );
    assert!(
        Checker::new(&server.endpoint, &server.bucket)
            .list()
            .is_empty()
    );

    // The clock is put right: the same job finishes.
    ferry
        .unset("LD_PRELOAD")
        .unset("FAKETIME")
        .unset("FAKETIME_DONT_FAKE_MONOTONIC");
    assert_eq!(ferry.run(&["retry", "--failed"]).code, 0);
    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let listed = checker.list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        checker.sha256(&listed[0].key),
        sha256_hex(b"%PDF-1.4 timetable")
    );
}

/// Run `script` with bash in a private mount namespace where a 16 MiB tmpfs covers FERRY_HOME,
/// with Ferry's environment, `$FERRY` the binary and `$OUT` a folder outside the tmpfs.
fn in_small_disk(ferry: &Ferry, out: &Path, script: &str) {
    let template = ferry.command(&[]);
    let mut cmd = Command::new("unshare");
    cmd.args(["-rm", "bash", "-c"])
        .arg(format!(
            "set -u\nmount -t tmpfs -o size=16m tmpfs \"$FERRY_HOME\" || exit 97\n{script}"
        ))
        .env_clear()
        .env("FERRY", binary())
        .env("OUT", out);
    for (k, v) in template.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let status = cmd.status().expect("unshare (util-linux)");
    assert_ne!(
        status.code(),
        Some(97),
        "could not mount a tmpfs in a private namespace (unshare -rm)"
    );
    assert!(status.success(), "the script failed: {status}");
}

fn read(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(name)).unwrap_or_default()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_full_disk_under_the_database_is_named_and_nothing_queued_is_lost() {
    let server = S3Server::rclone();
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let first = dir.path().join("welcome.pdf");
    std::fs::write(&first, b"%PDF-1.4 welcome").unwrap();
    let batch = dir.path().join("handouts");
    std::fs::create_dir(&batch).unwrap();
    for i in 0..1500 {
        std::fs::write(
            batch.join(format!("handout {i}.txt")),
            format!("handout {i}"),
        )
        .unwrap();
    }
    let lecture = dir.path().join("lecture.mp4");
    let lecture_bytes = data(3 * PART + 11, 77);
    std::fs::write(&lecture, &lecture_bytes).unwrap();
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry
        .multipart_parts(PART)
        .set("FERRY_BANDWIDTH_LIMIT_KIB", "8192");

    in_small_disk(
        &ferry,
        out.path(),
        &format!(
            r#"
"$FERRY" upload --json {first:?} > "$OUT/1.json" 2> "$OUT/1.err"; echo $? > "$OUT/1.code"
# The disk fills up: queuing a batch must fail whole, saying so.
dd if=/dev/zero of="$FERRY_HOME/filler" bs=64k 2>/dev/null
"$FERRY" upload --json {batch:?} > "$OUT/2.json" 2> "$OUT/2.err"; echo $? > "$OUT/2.code"
"$FERRY" status --json > "$OUT/2s.json" 2> "$OUT/2s.err"; echo $? > "$OUT/2s.code"
rm "$FERRY_HOME/filler"
"$FERRY" status --json > "$OUT/3s.json" 2> "$OUT/3s.err"
# The disk fills up in the middle of an upload.
"$FERRY" upload --json {lecture:?} > "$OUT/4.json" 2> "$OUT/4.err" &
sleep 0.8
dd if=/dev/zero of="$FERRY_HOME/filler" bs=64k 2>/dev/null
wait $!; echo $? > "$OUT/4.code"
rm "$FERRY_HOME/filler"
# Space again: the same queue finishes.
"$FERRY" resume --json > "$OUT/5.json" 2> "$OUT/5.err"; echo $? > "$OUT/5.code"
"$FERRY" upload --json {batch:?} > "$OUT/6.json" 2> "$OUT/6.err"; echo $? > "$OUT/6.code"
"$FERRY" status --json > "$OUT/7s.json" 2> "$OUT/7s.err"
"#
        ),
    );
    let out = out.path();
    assert_eq!(read(out, "1.code").trim(), "0", "{}", read(out, "1.err"));

    // Queuing on a full disk: refused whole, with the way out, and the queue intact.
    assert_ne!(read(out, "2.code").trim(), "0");
    let err = read(out, "2.err");
    assert!(
        err.contains("disk") && err.contains("full") && err.contains("free some space"),
        "{err}"
    );
    // Even reading the queue needs a little room (SQLite's WAL index): said the same way.
    let err = read(out, "2s.err");
    assert!(
        read(out, "2s.code").trim() == "0" || err.contains("is full; free some space"),
        "{err}"
    );
    let queued = json_lines(&read(out, "3s.json"));
    assert_eq!(queued.len(), 1, "nothing half-queued: {queued:?}");
    assert_eq!(queued[0]["state"], "done");

    // Mid-upload: either the upload finished before the database needed room, or it stopped
    // saying the disk is full; never anything else.
    let code = read(out, "4.code");
    let said = format!("{}{}", read(out, "4.json"), read(out, "4.err"));
    assert!(
        code.trim() == "0" || (said.contains("disk") && said.contains("full")),
        "exit {code}: {said}"
    );

    // Afterwards: every file once, byte for byte, nothing left open, every job done.
    assert_eq!(read(out, "5.code").trim(), "0", "{}", read(out, "5.err"));
    assert_eq!(read(out, "6.code").trim(), "0", "{}", read(out, "6.err"));
    let jobs = json_lines(&read(out, "7s.json"));
    assert_eq!(jobs.len(), 1502, "one job per file");
    assert!(jobs.iter().all(|j| j["state"] == "done"));
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.list().len(), 1502);
    let lecture_job = jobs
        .iter()
        .find(|j| j["path"].as_str().unwrap().ends_with("lecture.mp4"))
        .unwrap();
    assert_eq!(
        checker.sha256(lecture_job["key"].as_str().unwrap()),
        sha256_hex(&lecture_bytes)
    );
    assert!(checker.pending_uploads().is_empty());
}
