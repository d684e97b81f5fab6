//! Watch folders on a real filesystem, uploading to `rclone serve s3`, checked with boto3:
//! files created, written as `.tmp` then renamed, copied slowly, dropped by the thousand,
//! modified, deleted, and added while Ferry was stopped; a restart with nothing changed
//! uploads nothing.

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::Ferry;
use ferry_e2e::servers::S3Server;
use ferry_e2e::watcher::Watcher;
use ferry_e2e::{data, sha256_hex};
use std::io::Write;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn watch_ferry(server: &S3Server) -> Ferry {
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    // A short stable window keeps the tests quick; the rules are the production ones.
    ferry.set("FERRY_WATCH_STABLE_MS", "1500");
    ferry
}

/// Wait until the watcher has compared its folders with the queue once.
fn first_look(watcher: &mut Watcher) {
    watcher.wait_until("the first look", LONG, |s| {
        s.iter().any(|v| v["event"] == "scanned")
    });
}

fn key_of(done: &serde_json::Value) -> String {
    done["key"].as_str().unwrap().to_string()
}

#[test]
fn created_renamed_and_slowly_copied_files_are_each_uploaded_once_when_complete() {
    let server = S3Server::rclone();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let ferry = watch_ferry(&server);
    let root = tempfile::tempdir().unwrap();
    let mut watcher = Watcher::start(&ferry, &[], &[root.path()]);
    first_look(&mut watcher);

    // A plain file, in course and module folders.
    let module = root.path().join("Course A/Module 2");
    std::fs::create_dir_all(&module).unwrap();
    let syllabus = data(40_000, 1);
    std::fs::write(module.join("syllabus.pdf"), &syllabus).unwrap();

    // Written under a temporary name, then renamed into place.
    let handout = data(30_000, 2);
    let tmp = root.path().join("handout.pdf.tmp");
    std::fs::write(&tmp, &handout).unwrap();
    std::fs::rename(&tmp, root.path().join("handout.pdf")).unwrap();

    // A slow copy: 6 MiB in 8 writes, 700 ms apart (5.6 s in all): pauses longer than the
    // poll interval and the event debounce, shorter than the stable window.
    let video = data(6 << 20, 3);
    let mut out = std::fs::File::create(root.path().join("lecture.mp4")).unwrap();
    for (i, chunk) in video.chunks(video.len() / 8).enumerate() {
        out.write_all(chunk).unwrap();
        out.flush().unwrap();
        std::thread::sleep(Duration::from_millis(700));
        if i % 3 == 2 {
            let queued = ferry.status();
            assert!(
                !queued.iter().any(|j| j["name"] == "lecture.mp4"),
                "the video was queued while it was still being copied: {queued:#?}"
            );
        }
    }
    drop(out);

    watcher.wait_until("three uploads", LONG, |s| {
        s.iter().filter(|v| v["event"] == "done").count() >= 3
    });
    watcher.drain_for(Duration::from_secs(2));
    let seen = watcher.stop();
    assert!(
        !seen
            .iter()
            .any(|v| v["event"] == "failed" || v["event"] == "problem"),
        "{seen:#?}"
    );
    let done: Vec<&serde_json::Value> = seen.iter().filter(|v| v["event"] == "done").collect();
    assert_eq!(done.len(), 3, "each file exactly once: {done:#?}");
    for (name, bytes) in [
        ("syllabus.pdf", &syllabus),
        ("handout.pdf", &handout),
        ("lecture.mp4", &video),
    ] {
        let d = done.iter().find(|v| v["name"] == name).expect(name);
        assert_eq!(checker.sha256(&key_of(d)), sha256_hex(bytes), "{name}");
    }
    let syllabus_key = key_of(done.iter().find(|v| v["name"] == "syllabus.pdf").unwrap());
    assert!(
        syllabus_key.contains("course-a/module-2/"),
        "the key keeps the folders relative to the root: {syllabus_key}"
    );
    let keys: Vec<String> = checker.list().into_iter().map(|o| o.key).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains(".tmp")), "{keys:?}");
}

#[test]
fn five_thousand_files_dropped_at_once_are_all_uploaded_once() {
    let server = S3Server::rclone();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let ferry = watch_ferry(&server);
    let root = tempfile::tempdir().unwrap();
    let mut watcher = Watcher::start(&ferry, &[], &[root.path()]);
    first_look(&mut watcher);
    const N: usize = 5_000;
    let drop_dir = root.path().join("week 3");
    std::fs::create_dir(&drop_dir).unwrap();
    for i in 0..N {
        std::fs::write(
            drop_dir.join(format!("exercise-{i:04}.txt")),
            format!("exercise {i}\n"),
        )
        .unwrap();
    }
    watcher.wait_until("5,000 uploads", Duration::from_secs(300), |s| {
        s.iter().filter(|v| v["event"] == "done").count() >= N
    });
    watcher.drain_for(Duration::from_secs(2));
    let seen = watcher.stop();
    assert_eq!(seen.iter().filter(|v| v["event"] == "done").count(), N);
    assert!(!seen.iter().any(|v| v["event"] == "failed"), "no failure");
    let listed = checker.list();
    assert_eq!(listed.len(), N, "every file once, none twice");
    let mut names: Vec<String> = listed
        .iter()
        .map(|o| o.key.rsplit('_').next().unwrap().to_string())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), N);
}

#[test]
fn changes_while_stopped_are_caught_up_and_an_unchanged_restart_uploads_nothing() {
    let server = S3Server::rclone();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let ferry = watch_ferry(&server);
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("notes.txt"), b"week 1 notes").unwrap();
    std::fs::write(root.path().join("plan.pdf"), b"%PDF-1.4 plan v1").unwrap();
    std::fs::write(root.path().join(".DS_Store"), b"litter").unwrap();

    // Files already there when watching starts are uploaded.
    let mut watcher = Watcher::start(&ferry, &[], &[root.path()]);
    watcher.wait_until("two uploads", LONG, |s| {
        s.iter().filter(|v| v["event"] == "done").count() >= 2
    });
    // A modified file is uploaded again as a new version; a deleted one stays remote.
    std::fs::write(root.path().join("plan.pdf"), b"%PDF-1.4 plan v2, revised").unwrap();
    std::fs::remove_file(root.path().join("notes.txt")).unwrap();
    watcher.wait_until("the new version and the deletion", LONG, |s| {
        s.iter().filter(|v| v["event"] == "done").count() >= 3
            && s.iter().any(|v| v["event"] == "deleted")
    });
    let deleted = watcher.events("deleted")[0].clone();
    assert_eq!(deleted["remote_pending"], false);
    let seen = watcher.stop();
    assert_eq!(seen.iter().filter(|v| v["event"] == "done").count(), 3);
    assert_eq!(checker.list().len(), 3, "v1, v2 and the notes");

    // While Ferry is stopped: a new file, and a file touched without changing its content.
    std::fs::write(root.path().join("quiz.pdf"), b"%PDF-1.4 quiz").unwrap();
    let plan = root.path().join("plan.pdf");
    let bytes = std::fs::read(&plan).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&plan, &bytes).unwrap();

    // Started again with no folder named: the remembered folder is watched.
    let mut watcher = Watcher::start(&ferry, &[], &[]);
    watcher.wait_until("the new file", LONG, |s| {
        s.iter().any(|v| v["event"] == "done")
    });
    watcher.drain_for(Duration::from_secs(3));
    let seen = watcher.stop();
    let done: Vec<&serde_json::Value> = seen.iter().filter(|v| v["event"] == "done").collect();
    assert_eq!(done.len(), 1, "{done:#?}");
    assert_eq!(done[0]["name"], "quiz.pdf");
    assert_eq!(checker.list().len(), 4);

    // Nothing changed: nothing is queued or uploaded.
    let mut watcher = Watcher::start(&ferry, &[], &[]);
    first_look(&mut watcher);
    watcher.drain_for(Duration::from_secs(3));
    let seen = watcher.stop();
    let scanned = seen.iter().find(|v| v["event"] == "scanned").unwrap();
    assert_eq!(scanned["pending"], 0, "{scanned}");
    assert!(
        !seen
            .iter()
            .any(|v| v["event"] == "queued" || v["event"] == "done"),
        "{seen:#?}"
    );
    assert_eq!(checker.list().len(), 4);
    let listed = ferry.run(&["watch", "--list"]);
    assert!(
        listed
            .stdout
            .contains(root.path().canonicalize().unwrap().to_str().unwrap()),
        "{}",
        listed.stdout
    );
}

#[test]
fn routes_folder_options_and_slugs_shape_the_keys() {
    let server = S3Server::rclone();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let ferry = watch_ferry(&server);
    // A rule from ferry.toml: PDFs keep their name under the folder path, no date or random part.
    std::fs::write(
        ferry.home.path().join("ferry.toml"),
        "[[routes]]\next = [\"pdf\"]\nto = \"objects\"\ntemplate = \"{prefix}/{name}\"\n",
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let handouts = root.path().join("Course A/Week 1 (Intro)");
    let private = root.path().join("Course A/private");
    std::fs::create_dir_all(&handouts).unwrap();
    std::fs::create_dir_all(&private).unwrap();
    std::fs::write(handouts.join("Reading List.pdf"), b"%PDF-1.4 readings").unwrap();
    std::fs::write(handouts.join("notes.txt"), b"notes").unwrap();
    std::fs::write(private.join("answers.pdf"), b"%PDF-1.4 answers").unwrap();
    let mut watcher = Watcher::start(
        &ferry,
        &["--prefix", "Biology 101", "--exclude", "**/private/**"],
        &[root.path()],
    );
    watcher.wait_until("two uploads", LONG, |s| {
        s.iter().filter(|v| v["event"] == "done").count() >= 2
    });
    watcher.drain_for(Duration::from_secs(2));
    let seen = watcher.stop();
    let mut keys: Vec<String> = checker.list().into_iter().map(|o| o.key).collect();
    keys.sort();
    assert_eq!(keys.len(), 2, "{keys:?} {seen:#?}");
    assert_eq!(
        keys[0],
        "biology-101/course-a/week-1-intro/Reading-List.pdf"
    );
    assert!(
        keys[1].starts_with("biology-101/course-a/week-1-intro/documents/")
            && keys[1].ends_with("_notes.txt"),
        "the default template for the rest: {}",
        keys[1]
    );
}

/// Stopping the watch mid-upload keeps the confirmed parts: `ferry resume` sends only the rest.
/// Then, with deletions mirrored (the folder's options updated), deleting the file deletes its
/// object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_mid_upload_resumes_and_mirrored_deletions_delete_remotely() {
    use ferry_e2e::proxy::{Fault, Proxy, part_number};
    const PART: usize = 5 << 20;
    let server = S3Server::rclone();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let proxy = Proxy::start(&server.endpoint).await;
    proxy.inject(
        |method, target| part_number(method, target) >= Some(2),
        Fault::Hold,
        None,
    );
    let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
    ferry
        .set("FERRY_WATCH_STABLE_MS", "300")
        .multipart_parts(PART);
    let root = tempfile::tempdir().unwrap();
    let bytes = data(3 * PART, 11);
    let path = root.path().join("lecture.mov");
    std::fs::write(&path, &bytes).unwrap();
    let watcher = Watcher::start(&ferry, &[], &[root.path()]);
    proxy.wait_for_hold().await;
    // Stop only once part 1 is confirmed (the server answered it), so that the resume has a
    // confirmed part to skip; on a busy machine the hold can come first.
    let deadline = std::time::Instant::now() + LONG;
    while !proxy
        .seen()
        .iter()
        .any(|s| s.part_number() == Some(1) && s.status == 200)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "part 1 was never confirmed: {:?}",
            proxy.seen()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Let the process commit the confirmation it just received.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let seen = watcher.stop();
    assert!(!seen.iter().any(|v| v["event"] == "done"), "{seen:#?}");

    proxy.clear_faults();
    proxy.release();
    let resumed = ferry.run(&["resume", "--json"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    let line = resumed.lines().remove(0);
    assert_eq!(line["state"], "done");
    let key = line["key"].as_str().unwrap();
    assert_eq!(checker.sha256(key), sha256_hex(&bytes));
    let part1_sent = proxy
        .seen()
        .iter()
        .filter(|s| s.part_number() == Some(1))
        .count();
    assert_eq!(part1_sent, 1, "the confirmed part was not sent again");
    assert!(checker.pending_uploads().is_empty());

    // The same folder, now mirroring deletions: the watch uploads nothing more, and a
    // deletion removes the object.
    ferry.set("FERRY_WATCH_DELETE_GRACE_SECS", "0");
    let mut watcher = Watcher::start(&ferry, &["--mirror-deletions"], &[root.path()]);
    first_look(&mut watcher);
    std::fs::remove_file(&path).unwrap();
    watcher.wait_until("the deletion", LONG, |s| {
        s.iter().any(|v| v["event"] == "remote_deleted")
    });
    let seen = watcher.stop();
    let deleted = seen.iter().find(|v| v["event"] == "deleted").unwrap();
    assert_eq!(deleted["remote_pending"], true, "{seen:#?}");
    assert!(checker.list().is_empty());
    assert!(!seen.iter().any(|v| v["event"] == "done"));
}

/// A folder set to overwrite replaces its file's object at the same key, content and all, even
/// when the content goes back to an earlier version.
#[test]
fn a_folder_set_to_overwrite_replaces_the_object_at_the_same_key() {
    let server = S3Server::rclone();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let ferry = watch_ferry(&server);
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("schedule.pdf");
    let versions: [&[u8]; 3] = [b"%PDF-1.4 v1", b"%PDF-1.4 v2, longer", b"%PDF-1.4 v1"];
    std::fs::write(&path, versions[0]).unwrap();
    let mut watcher = Watcher::start(&ferry, &["--on-change", "overwrite"], &[root.path()]);
    for (n, version) in versions.iter().enumerate() {
        if n > 0 {
            std::fs::write(&path, version).unwrap();
        }
        watcher.wait_until("the upload", LONG, |s| {
            s.iter().filter(|v| v["event"] == "done").count() > n
        });
        let listed = checker.list();
        assert_eq!(listed.len(), 1, "one object, replaced: {listed:?}");
        assert_eq!(
            checker.sha256(&listed[0].key),
            sha256_hex(version),
            "version {n}"
        );
    }
    let seen = watcher.stop();
    let keys: Vec<&str> = seen
        .iter()
        .filter(|v| v["event"] == "done")
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}
