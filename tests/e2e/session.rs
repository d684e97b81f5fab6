//! The desktop app's session, driven the way the window drives it: start, reload (alone, two at
//! once, and while a large upload runs), stop. Each call has a deadline, because the failure
//! these tests guard against is a call that never returns (a reload once waited for a task
//! that could only end after the reload had finished).
//!
//! Uploads go to `rclone serve s3` through the recording proxy, so a test can prove that no
//! part was sent twice across a reload.

use ferry_core::config::FerryHome;
use ferry_core::events::Event;
use ferry_core::job::JobState;
use ferry_core::session::{Env, Session};
use ferry_core::watch::{self, FolderOptions};
use ferry_e2e::checker::Checker;
use ferry_e2e::proxy::Proxy;
use ferry_e2e::servers::{ACCESS_KEY, S3Server, SECRET_KEY};
use ferry_e2e::{data, sha256_hex};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Far longer than any session call needs, far shorter than the uploads below take.
const ANSWER: Duration = Duration::from_secs(5);

async fn within<T>(what: &str, limit: Duration, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not answer within {limit:?}"))
}

fn env_of(pairs: &[(&str, &str)]) -> Env {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Arc::new(move |k: &str| map.get(k).cloned())
}

fn s3_env(endpoint: &str) -> Env {
    env_of(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint),
        ("S3_BUCKET_NAME", "course-media"),
        ("FERRY_WATCH_STABLE_MS", "100"),
    ])
}

/// Wait for an event matching `wanted`, skipping others.
async fn event(
    rx: &mut broadcast::Receiver<Event>,
    what: &str,
    wanted: impl Fn(&Event) -> bool,
) -> Event {
    within(what, Duration::from_secs(60), async {
        loop {
            match rx.recv().await {
                Ok(e) if wanted(&e) => return e,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("the session's events ended"),
            }
        }
    })
    .await
}

fn scanned(root: &Path) -> impl Fn(&Event) -> bool + '_ {
    move |e| matches!(e, Event::FolderScanned { root: r, .. } if r == root)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_reload_and_stop_each_answer() {
    let home = tempfile::tempdir().unwrap();
    let session = Session::start(FerryHome::at(home.path().into()), env_of(&[])).unwrap();
    within("a reload", ANSWER, session.reload()).await.unwrap();
    within("a second reload", ANSWER, session.reload())
        .await
        .unwrap();
    within("stop", ANSWER, session.stop()).await;
    // A broken configuration is refused and the running engine stays.
    let before = session.engine();
    std::fs::write(
        home.path().join("ferry.toml"),
        "file_concurrency = \"many\"\n",
    )
    .unwrap();
    let err = within("a refused reload", ANSWER, session.reload())
        .await
        .unwrap_err();
    assert!(err.message().contains("ferry.toml"), "{err}");
    assert!(Arc::ptr_eq(&before, &session.engine()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reloads_at_once_both_answer_and_leave_one_watcher() {
    let server = S3Server::rclone();
    let home = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().canonicalize().unwrap();
    let session =
        Session::start(FerryHome::at(home.path().into()), s3_env(&server.endpoint)).unwrap();
    let mut rx = session.subscribe();
    watch::add_folder(&session.engine(), &root, FolderOptions::default()).unwrap();

    let (a, b) = within("two reloads at once", ANSWER, async {
        tokio::join!(session.reload(), session.reload())
    })
    .await;
    a.unwrap();
    b.unwrap();
    event(&mut rx, "the folder's first look", scanned(&root)).await;

    // Were two watchers left running, each would take the file.
    std::fs::write(root.join("week 1.pdf"), b"%PDF-1.4 week one").unwrap();
    let done = event(&mut rx, "the watched file's upload", |e| {
        matches!(e, Event::Done { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let jobs = session.engine().jobs().unwrap();
    assert_eq!(jobs.len(), 1, "the file was taken once: {jobs:?}");
    assert!(matches!(done, Event::Done { id, .. } if id == jobs[0].id));
    within("stop", ANSWER, session.stop()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_while_a_large_upload_runs_answer_at_once_and_everything_finishes() {
    const PART: usize = 5 * 1024 * 1024;
    let server = S3Server::rclone();
    let proxy = Proxy::start(&server.endpoint).await;
    let home = tempfile::tempdir().unwrap();
    // 2 MiB/s over 24 MiB: the upload takes about 12 s, far longer than a reload may.
    std::fs::write(
        home.path().join("ferry.toml"),
        format!(
            "part_size = {PART}\nmultipart_threshold = {PART}\npart_concurrency = 2\nbandwidth_limit_kib = 2048\n"
        ),
    )
    .unwrap();
    let files = tempfile::tempdir().unwrap();
    let lecture = files.path().join("lecture 01.mp4");
    let big = data(4 * PART + 4 * 1024 * 1024, 7);
    std::fs::write(&lecture, &big).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().canonicalize().unwrap();

    let session = Session::start(FerryHome::at(home.path().into()), s3_env(&proxy.url())).unwrap();
    let mut rx = session.subscribe();
    let added = session
        .engine()
        .add(
            std::slice::from_ref(&lecture),
            &ferry_core::AddOptions {
                destination: Some("s3"),
                ..Default::default()
            },
        )
        .unwrap();
    let lecture_id = added.queued[0];
    proxy
        .wait_for("the first confirmed part", |seen| {
            seen.iter()
                .any(|s| s.status == 200 && s.part_number().is_some())
        })
        .await;

    // Watch a folder (as the window's "Watch a folder…" does) while the upload runs.
    watch::add_folder(&session.engine(), &root, FolderOptions::default()).unwrap();
    within("a reload for a new folder", ANSWER, session.reload())
        .await
        .unwrap();
    let state = session.engine().job(lecture_id).unwrap().unwrap().state;
    assert_eq!(
        state,
        JobState::Uploading,
        "the reload answered before the upload ended"
    );
    event(&mut rx, "the new folder's first look", scanned(&root)).await;
    std::fs::write(root.join("notes.txt"), b"week one notes").unwrap();

    // Save changed settings (as the window's Settings does) while it still runs.
    let mut toml = std::fs::read_to_string(home.path().join("ferry.toml")).unwrap();
    toml.push_str("file_concurrency = 4\n");
    std::fs::write(home.path().join("ferry.toml"), toml).unwrap();
    within("a reload for new settings", ANSWER, session.reload())
        .await
        .unwrap();
    let state = session.engine().job(lecture_id).unwrap().unwrap().state;
    assert_eq!(
        state,
        JobState::Uploading,
        "still uploading after both reloads"
    );

    // Both the watched file and the running upload finish.
    within("both uploads", Duration::from_secs(90), async {
        loop {
            let jobs = session.engine().jobs().unwrap();
            if jobs.len() == 2 && jobs.iter().all(|j| j.state.is_terminal()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let jobs = session.engine().jobs().unwrap();
    for job in &jobs {
        assert_eq!(job.state, JobState::Done, "{job:?}");
    }
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let lecture_job = jobs.iter().find(|j| j.id == lecture_id).unwrap();
    assert_eq!(checker.sha256(&lecture_job.key), sha256_hex(&big));
    let notes = jobs.iter().find(|j| j.id != lecture_id).unwrap();
    assert_eq!(checker.sha256(&notes.key), sha256_hex(b"week one notes"));

    // No part was sent twice: one PUT per part number, each confirmed.
    let mut parts: BTreeMap<u32, Vec<u16>> = BTreeMap::new();
    for s in proxy.seen() {
        if let Some(n) = s.part_number() {
            parts.entry(n).or_default().push(s.status);
        }
    }
    assert_eq!(parts.len(), 5, "{parts:?}");
    for (n, statuses) in &parts {
        assert_eq!(statuses, &[200], "part {n} was sent once: {statuses:?}");
    }
    within("stop", ANSWER, session.stop()).await;
}
