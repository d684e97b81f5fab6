//! What Ferry refuses, so that a school can trust it (issue 14): it never makes a link look
//! private when it is not, never lets a private file fall through to a public place, never
//! follows a link out of a folder the teacher chose, never uploads hidden files and secrets
//! found in a folder unless asked, and never deletes what is still in use. Each test names the
//! file in its message and loses nothing.

use ferry_e2e::checker::Checker;
use ferry_e2e::cloudsim::{self, CloudSim};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::png;
use ferry_e2e::servers::{BUCKET, S3Server};

/// A link that says it expires must expire: a public bucket refuses to make one (its links are
/// permanent), and a private one refuses a lifetime over what the service signs.
#[test]
fn an_expiring_link_is_refused_where_links_never_expire_or_would_outlive_the_limit() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("handout.txt");
    std::fs::write(&path, b"Week 3: read chapter 4.\n").unwrap();

    let mut public = Ferry::s3(&server.endpoint, &server.bucket);
    public.set("S3_PUBLIC_BASE_URL", "https://media.example.edu");
    assert_eq!(public.run_paths(&["upload", "--json"], &[&path]).code, 0);
    let plain = public.run(&["url", "1"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(
        plain.stdout.starts_with("https://media.example.edu/"),
        "{}",
        plain.stdout
    );
    let refused = public.run(&["url", "1", "--expires", "1h"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused.stdout.is_empty(),
        "no link printed: {}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("handout.txt") && refused.stderr.contains("never expire"),
        "{}",
        refused.stderr
    );

    let private = Ferry::s3(&server.endpoint, &server.bucket);
    assert_eq!(private.run_paths(&["upload", "--json"], &[&path]).code, 0);
    let week = private.run(&["url", "1", "--expires", "7d"]);
    assert_eq!(week.code, 0, "{}", week.stderr);
    assert!(
        week.stdout.contains("X-Amz-Expires=604800"),
        "{}",
        week.stdout
    );
    let too_long = private.run(&["url", "1", "--expires", "8d"]);
    assert_eq!(too_long.code, 2, "{}", too_long.stdout);
    assert!(
        too_long.stderr.contains("handout.txt") && too_long.stderr.contains("7 days"),
        "{}",
        too_long.stderr
    );
}

/// Private stays private: with signed links required for Images, an image Images refuses (too
/// wide, with fitting it to Images turned off) is not sent on to a public R2 bucket; it fails
/// saying how to send it. To a private bucket it may go.
#[test]
fn an_image_private_images_refuse_never_falls_through_to_a_public_bucket() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (wide, _) = png(dir.path(), "class photo.png", 13_000, 400, 9_000);
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry
        .set("FERRY_IMAGES_REQUIRE_SIGNED_URLS", "1")
        .set("FERRY_IMAGES_FIT", "0")
        .set("CLOUDFLARE_R2_PUBLIC_BASE_URL", "https://media.example.edu");
    let run = ferry.run_paths(&["upload", "--json"], &[&wide]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = &run.lines()[0];
    let msg = line["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("class photo.png")
            && msg.contains("12000 px")
            && msg.contains("private")
            && msg.contains("--to"),
        "{msg}"
    );
    let checker = Checker::new(&sim.r2_endpoint, BUCKET);
    assert!(
        checker.list().is_empty(),
        "nothing went to the public bucket"
    );
    assert!(sim.images().is_empty());

    // The same image to a private bucket (presigned links) is fine.
    let mut private = ferry.fresh();
    private.unset("CLOUDFLARE_R2_PUBLIC_BASE_URL");
    let run = private.run_paths(&["upload", "--json"], &[&wide]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.lines()[0]["destination"], "r2");
}

fn names_in(checker: &Checker) -> Vec<String> {
    let mut names: Vec<String> = checker
        .list()
        .into_iter()
        .map(|o| o.key.rsplit('/').next().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// A dropped folder: a link to a file inside it is taken, a link leaving it is refused with a
/// message naming both ends, and the file it points to never reaches the bucket.
#[cfg(unix)]
#[test]
fn a_link_out_of_a_dropped_folder_is_refused_and_one_inside_is_taken() {
    use std::os::unix::fs::symlink;
    let server = S3Server::rclone();
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("Course");
    let outside = dir.path().join("private");
    std::fs::create_dir_all(&course).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(course.join("notes.pdf"), b"%PDF-1.4 the notes").unwrap();
    std::fs::write(outside.join("grades.csv"), b"alice,12\nbob,15\n").unwrap();
    symlink(course.join("notes.pdf"), course.join("same notes.pdf")).unwrap();
    symlink(outside.join("grades.csv"), course.join("syllabus.pdf")).unwrap();

    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(&["upload", "--json"], &[&course]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let lines = run.lines();
    let refused = lines
        .iter()
        .find(|l| l["state"] == "failed")
        .expect("the outward link is refused");
    let msg = refused["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("syllabus.pdf")
            && msg.contains("grades.csv")
            && msg.contains("outside the folder"),
        "{msg}"
    );
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let listed = checker.list();
    assert!(
        listed
            .iter()
            .all(|o| checker.sha256(&o.key) != ferry_e2e::sha256_hex(b"alice,12\nbob,15\n")),
        "the grades never left the computer: {listed:?}"
    );
    assert!(
        names_in(&checker).iter().any(|n| n.ends_with("notes.pdf")),
        "{listed:?}"
    );
}

/// Dotfiles, version-control folders, editor leftovers and private keys inside a dropped folder
/// are left out and listed; `--no-default-ignores` takes them too.
#[test]
fn hidden_files_and_private_keys_in_a_dropped_folder_are_left_out_and_listed() {
    let server = S3Server::rclone();
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("Robotics");
    std::fs::create_dir_all(course.join(".git")).unwrap();
    std::fs::write(course.join("lesson 1.pdf"), b"%PDF-1.4 lesson").unwrap();
    std::fs::write(
        course.join(".env"),
        b"CLOUDFLARE_API_TOKEN=do-not-publish\n",
    )
    .unwrap();
    std::fs::write(course.join(".git/config"), b"[core]\n").unwrap();
    std::fs::write(course.join("lesson 1.pdf~"), b"editor backup").unwrap();
    std::fs::write(
        course.join("robot_deploy"),
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap();

    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(&["upload", "--json"], &[&course]);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(
        names_in(&checker).len(),
        1,
        "only the lesson: {:?}",
        checker.list()
    );
    assert!(
        names_in(&checker)[0].ends_with("lesson-1.pdf"),
        "{:?}",
        checker.list()
    );
    for name in [".env", ".git", "lesson 1.pdf~"] {
        assert!(
            run.stderr.contains(name),
            "{name} is listed as skipped: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("--no-default-ignores"),
        "{}",
        run.stderr
    );
    let key = run
        .lines()
        .into_iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("robot_deploy"))
        .expect("the key is reported");
    assert_eq!(key["state"], "failed");
    assert!(
        key["error"]["message"]
            .as_str()
            .unwrap()
            .contains("private key"),
        "{key}"
    );

    let everything = ferry.fresh();
    let run = everything.run_paths(&["upload", "--json", "--no-default-ignores"], &[&course]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.lines().len(), 5, "{}", run.stdout);
}

/// A watched folder: a link that appears while Ferry watches (the live event path, not only the
/// full comparison) and leads out of the folder is refused; nothing of it is uploaded.
#[cfg(unix)]
#[test]
fn a_link_leaving_a_watched_folder_is_never_followed() {
    use ferry_e2e::watcher::Watcher;
    let server = S3Server::rclone();
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry.set("FERRY_WATCH_STABLE_MS", "300");
    let root = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    let key = home.path().join(".ssh/id_rsa");
    // Written from parts so that the repository never holds a key's header line.
    let header = ["-----BEGIN RSA", "PRIVATE KEY-----"].join(" ");
    std::fs::write(&key, format!("{header}\nMIIEpAIBAAKCAQEA\n")).unwrap();

    let mut watcher = Watcher::start(&ferry, &[], &[root.path()]);
    watcher.wait_until("the first look", std::time::Duration::from_secs(60), |s| {
        s.iter().any(|v| v["event"] == "scanned")
    });
    std::os::unix::fs::symlink(&key, root.path().join("notes.pdf")).unwrap();
    std::fs::write(root.path().join("plan.pdf"), b"%PDF-1.4 plan").unwrap();
    watcher.wait_until(
        "the plan and the refusal",
        std::time::Duration::from_secs(60),
        |s| {
            s.iter().any(|v| v["event"] == "done")
                && s.iter().any(|v| {
                    v["event"] == "problem"
                        && v["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("outside the folder"))
                })
        },
    );
    watcher.drain_for(std::time::Duration::from_secs(2));
    let seen = watcher.stop();
    let done: Vec<_> = seen.iter().filter(|v| v["event"] == "done").collect();
    assert_eq!(done.len(), 1, "only the plan: {done:#?}");
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.list().len(), 1, "{:?}", checker.list());
}

/// A watch of `root` that mirrors deletions, with quick timings for tests.
fn mirroring(server: &S3Server, grace_secs: &str) -> Ferry {
    let mut ferry = Ferry::s3(&server.endpoint, &server.bucket);
    ferry
        .set("FERRY_WATCH_STABLE_MS", "300")
        .set("FERRY_WATCH_RESCAN_SECS", "1")
        .set("FERRY_WATCH_DELETE_GRACE_SECS", grace_secs);
    ferry
}

fn write_course(root: &std::path::Path, n: usize) {
    for i in 0..n {
        std::fs::write(
            root.join(format!("handout {i}.pdf")),
            format!("%PDF-1.4 handout {i}"),
        )
        .unwrap();
    }
}

fn until_done(watcher: &mut ferry_e2e::watcher::Watcher, n: usize) {
    watcher.wait_until("the uploads", std::time::Duration::from_secs(60), |s| {
        s.iter().filter(|v| v["event"] == "done").count() >= n
    });
}

/// A mirroring folder whose drive goes away (the folder vanishes, then every file seems gone)
/// deletes nothing remotely; back again, nothing is uploaded twice.
#[test]
fn a_folder_that_goes_away_deletes_nothing() {
    let server = S3Server::rclone();
    let ferry = mirroring(&server, "0");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("USB course");
    std::fs::create_dir_all(&root).unwrap();
    write_course(&root, 3);
    let mut watcher = ferry_e2e::watcher::Watcher::start(&ferry, &["--mirror-deletions"], &[&root]);
    until_done(&mut watcher, 3);
    // Unplugged: the folder is gone (moved away here, as an unmount leaves no folder).
    std::fs::rename(&root, dir.path().join("elsewhere")).unwrap();
    watcher.wait_until(
        "the folder reported missing",
        std::time::Duration::from_secs(30),
        |s| {
            s.iter().any(|v| {
                v["event"] == "problem"
                    && v["message"].as_str().is_some_and(|m| m.contains("missing"))
            })
        },
    );
    watcher.drain_for(std::time::Duration::from_secs(3));
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.list().len(), 3, "every remote copy is still there");
    std::fs::rename(dir.path().join("elsewhere"), &root).unwrap();
    watcher.drain_for(std::time::Duration::from_secs(3));
    let seen = watcher.stop();
    assert!(
        !seen
            .iter()
            .any(|v| v["event"] == "deleted" || v["event"] == "remote_deleted"),
        "{seen:#?}"
    );
    assert_eq!(
        seen.iter().filter(|v| v["event"] == "done").count(),
        3,
        "nothing uploaded twice"
    );
    assert_eq!(checker.list().len(), 3);
}

/// Many files gone at once wait for the user; confirmed, they go; a single deletion goes after
/// the grace period, and a file back within it keeps its copy.
#[test]
fn many_deletions_at_once_wait_for_confirmation_and_a_file_back_in_time_keeps_its_copy() {
    let server = S3Server::rclone();
    let ferry = mirroring(&server, "2");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Biology");
    std::fs::create_dir_all(&root).unwrap();
    write_course(&root, 8);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let mut watcher = ferry_e2e::watcher::Watcher::start(&ferry, &["--mirror-deletions"], &[&root]);
    until_done(&mut watcher, 8);

    // Moved away and back within the grace period: nothing is deleted.
    let h0 = root.join("handout 0.pdf");
    std::fs::rename(&h0, dir.path().join("h0")).unwrap();
    watcher.wait_until(
        "the deletion noticed",
        std::time::Duration::from_secs(30),
        |s| s.iter().any(|v| v["event"] == "deleted"),
    );
    std::fs::rename(dir.path().join("h0"), &h0).unwrap();
    watcher.drain_for(std::time::Duration::from_secs(4));
    assert_eq!(
        checker.list().len(),
        8,
        "the copy of a file back in time is kept"
    );

    // Five files at once: held for the user.
    for i in 1..6 {
        std::fs::remove_file(root.join(format!("handout {i}.pdf"))).unwrap();
    }
    watcher.wait_until(
        "the deletions held",
        std::time::Duration::from_secs(30),
        |s| s.iter().any(|v| v["event"] == "deletions_held"),
    );
    watcher.drain_for(std::time::Duration::from_secs(4));
    let seen = watcher.stop();
    assert!(
        !seen.iter().any(|v| v["event"] == "remote_deleted"),
        "{seen:#?}"
    );
    assert_eq!(checker.list().len(), 8, "nothing deleted without the user");
    let held = seen
        .iter()
        .find(|v| v["event"] == "deletions_held")
        .unwrap();
    assert_eq!(held["paths"].as_array().unwrap().len(), 5, "{held}");
    let listed = ferry.run(&["watch", "--list"]);
    assert!(
        listed.stdout.contains("handout 3.pdf") && listed.stdout.contains("held"),
        "{}",
        listed.stdout
    );

    // Confirmed: they go at the next watch.
    let confirmed = ferry.run(&["watch", "--confirm-deletions"]);
    assert_eq!(confirmed.code, 0, "{}", confirmed.stderr);
    let mut watcher = ferry_e2e::watcher::Watcher::start(&ferry, &[], &[]);
    watcher.wait_until(
        "the confirmed deletions",
        std::time::Duration::from_secs(30),
        |s| s.iter().filter(|v| v["event"] == "remote_deleted").count() >= 5,
    );
    watcher.stop();
    assert_eq!(checker.list().len(), 3);
}

/// An object another job still links to is never deleted: deleting one of two jobs that share
/// an object is refused naming the other; together they go.
#[test]
fn an_object_another_job_links_to_is_not_deleted_alone() {
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("syllabus.pdf");
    std::fs::write(&path, b"%PDF-1.4 syllabus").unwrap();
    let copy = files.path().join("syllabus (copy).pdf");
    std::fs::write(&copy, b"%PDF-1.4 syllabus").unwrap();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    assert_eq!(ferry.run_paths(&["upload", "--json"], &[&path]).code, 0);
    let second = ferry.run_paths(&["upload", "--json"], &[&copy]);
    assert_eq!(second.lines()[0]["deduplicated"], true, "{}", second.stdout);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(checker.list().len(), 1);

    let refused = ferry.run(&["delete", "1"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("job 2") && refused.stderr.contains("syllabus (copy).pdf"),
        "{}",
        refused.stderr
    );
    assert_eq!(checker.list().len(), 1, "nothing deleted");
    let alone = ferry.run(&["delete", "2"]);
    assert_ne!(alone.code, 0);
    assert!(alone.stderr.contains("job 1"), "{}", alone.stderr);

    let together = ferry.run(&["delete", "1", "2"]);
    assert_eq!(together.code, 0, "{}", together.stderr);
    assert!(checker.list().is_empty());
    let states: Vec<_> = ferry.status().iter().map(|j| j["state"].clone()).collect();
    assert_eq!(states, ["deleted", "deleted"]);
}

/// Ferry's folders are 0700 and its files 0600: the queue, the settings, the logs, SQLite's
/// companions.
#[cfg(unix)]
#[test]
fn ferrys_own_files_are_the_users_alone() {
    use std::os::unix::fs::PermissionsExt;
    let server = S3Server::rclone();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("notes.txt");
    std::fs::write(&path, b"week 5 notes").unwrap();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    assert_eq!(ferry.run_paths(&["upload", "--json"], &[&path]).code, 0);
    let mut seen = 0;
    let mut stack = vec![ferry.home.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let meta = entry.metadata().unwrap();
            let mode = meta.permissions().mode() & 0o777;
            if meta.is_dir() {
                assert_eq!(mode, 0o700, "{}", entry.path().display());
                stack.push(entry.path());
            } else {
                assert_eq!(mode, 0o600, "{}", entry.path().display());
            }
            seen += 1;
        }
    }
    assert!(
        seen >= 4,
        "the queue, its WAL, the lock and the log were looked at ({seen})"
    );
}

/// A key over the 1,024 bytes stores take is refused when the file is taken, naming it, and
/// nothing is sent.
#[test]
fn a_key_longer_than_stores_take_is_refused_at_intake() {
    let server = S3Server::rclone();
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().join("Course");
    for i in 0..5 {
        deep = deep.join(format!("{i} {}", "very long module title ".repeat(9)));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("reading.pdf"), b"%PDF-1.4 reading").unwrap();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(&["upload", "--json"], &[&dir.path().join("Course")]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let msg = run.lines()[0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("reading.pdf") && msg.contains("1024 bytes"),
        "{msg}"
    );
    assert!(
        Checker::new(&server.endpoint, &server.bucket)
            .list()
            .is_empty()
    );
}

/// Markup a browser would run (a quiz page, an SVG diagram) is stored as a download, so its
/// link cannot run scripts on the bucket's domain; a route may choose to serve it inline.
fn markup_is_stored_as_a_download(server: &S3Server) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("quiz.html");
    std::fs::write(&page, b"<html><script>alert(1)</script></html>").unwrap();
    let svg = dir.path().join("diagram.svg");
    std::fs::write(
        &svg,
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
    )
    .unwrap();
    let pdf = dir.path().join("notes.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 notes").unwrap();
    let ferry = Ferry::s3(&server.endpoint, &server.bucket);
    let run = ferry.run_paths(&["upload", "--json"], &[&page, &svg, &pdf]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let checker = Checker::new(&server.endpoint, &server.bucket);
    for line in run.lines() {
        let head = checker.head(line["key"].as_str().unwrap());
        let name = line["name"].as_str().unwrap();
        let disposition = head["content_disposition"].as_str().unwrap_or_default();
        if name == "notes.pdf" {
            assert_eq!(disposition, "", "{head}");
        } else {
            assert!(
                disposition.starts_with("attachment;") && disposition.contains(name),
                "{name}: {head}"
            );
        }
    }

    // A route that serves the course's pages inline.
    let inline = ferry.fresh();
    std::fs::write(
        inline.home.path().join("ferry.toml"),
        "[[routes]]\next = [\"html\"]\nto = \"objects\"\ninline = true\n",
    )
    .unwrap();
    let run = inline.run_paths(&["upload", "--json", "--force"], &[&page]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let head = checker.head(run.lines()[0]["key"].as_str().unwrap());
    assert!(head["content_disposition"].is_null(), "{head}");
}

#[test]
fn markup_is_stored_as_a_download_rclone() {
    markup_is_stored_as_a_download(&S3Server::rclone());
}

#[test]
fn markup_is_stored_as_a_download_moto() {
    markup_is_stored_as_a_download(&S3Server::moto());
}

/// A failure while sending a video names the file and what to do, never its upload URL (Stream's
/// are tokenised) nor anything of it.
#[test]
fn a_failed_video_upload_never_shows_its_upload_url() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = ferry_e2e::media::mp4(dir.path(), "lecture 9.mp4", 3 << 20, 9);
    sim.faults(serde_json::json!([{"path_contains": "/tus/", "method": "PATCH", "drop": true}]));
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_RETRY_ATTEMPTS", "1");
    let run = ferry.run_paths(&["upload", "--json"], &[&video]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let msg = run.lines()[0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("lecture 9.mp4"), "{msg}");
    let uid = sim.videos()[0]["uid"].as_str().unwrap().to_string();
    for text in [&msg, &run.stderr] {
        assert!(
            !text.contains(&uid) && !text.contains("/tus/"),
            "no upload URL: {text}"
        );
    }
    let log = std::fs::read_to_string(ferry.home.path().join("logs/ferry.log")).unwrap_or_default();
    assert!(!log.contains("/tus/"), "nor in the log");
}

/// Rewrite `path` in place (same size), then put its modification time back, as a tool that
/// copies dates over does: only the bytes tell it changed.
fn rewrite_in_place(path: &std::path::Path, at: usize, with: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(at as u64)).unwrap();
    f.write_all(with).unwrap();
    f.set_times(std::fs::FileTimes::new().set_modified(modified))
        .unwrap();
}

/// A file rewritten in place while it is sent (same size and date) is caught by hashing what
/// was sent: nothing is published, and the file as it is now goes up, at once when the change
/// policy says restart, on retry otherwise.
async fn rewritten_while_sent(server: S3Server) {
    use ferry_e2e::proxy::{Fault, Proxy, part_number};
    const PART: usize = 5 << 20;
    let checker = Checker::new(&server.endpoint, &server.bucket);
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("lecture 7.mp4");
    for restart in [false, true] {
        let original = ferry_e2e::data(4 * PART, if restart { 71 } else { 70 });
        std::fs::write(&path, &original).unwrap();
        // A proxy per round: a released hold stays released.
        let proxy = Proxy::start(&server.endpoint).await;
        proxy.inject(
            |method, target| part_number(method, target) == Some(3),
            Fault::Hold,
            Some(1),
        );
        let mut ferry = Ferry::s3(&proxy.url(), &server.bucket);
        ferry
            .multipart_parts(PART)
            .set("FERRY_PART_CONCURRENCY", "1");
        if restart {
            std::fs::write(
                ferry.home.path().join("ferry.toml"),
                "on_change = \"restart\"\n",
            )
            .unwrap();
        }
        let child = ferry.spawn(&["upload", "--json"], &[&path]);
        proxy.wait_for_hold().await;
        // Part 4 is not sent yet: its bytes change on disk, size and date kept.
        rewrite_in_place(&path, 3 * PART + 100, b"CHANGED IN PLACE");
        let now = std::fs::read(&path).unwrap();
        proxy.release();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let job = &ferry.status()[0];
        if restart {
            assert!(out.status.success(), "{stdout}");
            assert_eq!(job["state"], "done", "{job}");
            assert!(
                job["notes"]
                    .to_string()
                    .contains("changed while it was sent"),
                "{job}"
            );
            assert_eq!(
                checker.sha256(job["key"].as_str().unwrap()),
                ferry_e2e::sha256_hex(&now)
            );
        } else {
            assert_eq!(job["state"], "failed", "{job}");
            let msg = job["error"]["message"].as_str().unwrap();
            assert!(
                msg.contains("lecture 7.mp4") && msg.contains("changed while Ferry sent it"),
                "{msg}"
            );
            assert!(checker.list().is_empty(), "nothing published");
            assert!(checker.pending_uploads().is_empty(), "nothing left open");
            // A retry sends the file as it is now.
            proxy.clear_faults();
            assert_eq!(ferry.run(&["retry", "1"]).code, 0);
            let run = ferry.run(&["resume", "--json"]);
            assert_eq!(run.code, 0, "{}", run.stdout);
            let job = &ferry.status()[0];
            assert_eq!(
                checker.sha256(job["key"].as_str().unwrap()),
                ferry_e2e::sha256_hex(&now)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_rewritten_in_place_while_sent_is_caught_rclone() {
    rewritten_while_sent(S3Server::rclone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_rewritten_in_place_while_sent_is_caught_moto() {
    rewritten_while_sent(S3Server::moto()).await;
}

/// Files a folder's new filters leave out are not deletions: their copies stay.
#[test]
fn a_filter_change_deletes_nothing() {
    let server = S3Server::rclone();
    let ferry = mirroring(&server, "0");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("History");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("essay.pdf"), b"%PDF-1.4 essay").unwrap();
    std::fs::write(root.join("notes.txt"), b"draft notes").unwrap();
    let mut watcher = ferry_e2e::watcher::Watcher::start(&ferry, &["--mirror-deletions"], &[&root]);
    until_done(&mut watcher, 2);
    watcher.stop();
    // The same folder, now leaving text files out.
    let mut watcher = ferry_e2e::watcher::Watcher::start(
        &ferry,
        &["--mirror-deletions", "--exclude", "*.txt"],
        &[&root],
    );
    watcher.wait_until("the first look", std::time::Duration::from_secs(30), |s| {
        s.iter().any(|v| v["event"] == "scanned")
    });
    watcher.drain_for(std::time::Duration::from_secs(3));
    let seen = watcher.stop();
    assert!(
        !seen
            .iter()
            .any(|v| v["event"] == "deleted" || v["event"] == "remote_deleted"),
        "{seen:#?}"
    );
    assert_eq!(
        Checker::new(&server.endpoint, &server.bucket).list().len(),
        2
    );
}
