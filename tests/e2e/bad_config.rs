//! Bad configuration and a damaged queue (issue 7's catalogue): each case stops Ferry before it
//! touches anything, with exit code 2 and a message naming the file, the line or the setting,
//! and what to do. A damaged queue is reported with the way out and never reset silently.

use ferry_e2e::ferry::Ferry;
use ferry_e2e::free_port;

fn ferry_offline() -> Ferry {
    // A destination that is never reached: these cases must stop before any network use.
    let port = free_port();
    Ferry::with_env(&[
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "not-used"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", &format!("http://127.0.0.1:{port}")),
        ("S3_BUCKET_NAME", "course-media"),
        ("FERRY_RETRY_ATTEMPTS", "2"),
    ])
}

#[test]
fn each_bad_setting_names_the_file_the_line_and_the_fix() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "prefix = \"a\"\npart_size = \n",
            "missing value",
            &["ferry.toml, line 2", "quoted"],
        ),
        (
            "prefix = \"a\"\n\ncolour = \"blue\"\n",
            "unknown setting",
            &["line 3", "unknown field `colour`", "expected one of"],
        ),
        (
            "key_template = \"{nope}/{name}\"\n",
            "unknown template variable",
            &["{nope}", "known: prefix, kind"],
        ),
        (
            "file_concurrency = 0\n",
            "zero concurrency",
            &["file_concurrency and part_concurrency must be at least 1"],
        ),
        (
            "link_expiry_secs = 9999999\n",
            "signed links over 7 days",
            &["link_expiry_secs must be between 1 and 604800 (7 days)"],
        ),
        (
            "[stream]\nchunk_mib = 500\n",
            "tus chunk over Stream's limit",
            &["stream.chunk_mib must be between 5 and 200"],
        ),
        (
            "[stream]\nscheduled_deletion_days = 3\n",
            "Stream deletion too soon",
            &["scheduled_deletion_days must be between 30 and 1096"],
        ),
        (
            "part_size = \"big\"\n",
            "wrong type",
            &["line 1", "expected a whole number"],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"notes").unwrap();
    for (toml, what, says) in cases {
        let ferry = ferry_offline();
        let config = ferry.home.path().join("ferry.toml");
        std::fs::write(&config, toml).unwrap();
        let run = ferry.run_paths(&["upload", "--json"], &[&file]);
        assert_eq!(run.code, 2, "{what}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("ferry.toml"), "{what}: {}", run.stderr);
        for s in *says {
            assert!(
                run.stderr.contains(s),
                "{what}: expected {s:?} in {}",
                run.stderr
            );
        }
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            *toml,
            "{what}: the file is left as it was"
        );
    }
}

#[test]
fn unknown_or_unconfigured_destinations_say_which_variables_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"notes").unwrap();
    let ferry = ferry_offline();
    for (to, says) in [
        (
            "nowhere",
            "known destinations are images, stream, r2, s3, gcs and tus",
        ),
        (
            "gcs",
            "GCS_BUCKET_NAME, GCS_HMAC_ACCESS_KEY_ID and GCS_HMAC_SECRET",
        ),
        ("images", "CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN"),
    ] {
        let run = ferry.run_paths(&["upload", "--to", to], &[&file]);
        assert_eq!(run.code, 2, "--to {to}: {}", run.stderr);
        assert!(run.stderr.contains(says), "--to {to}: {}", run.stderr);
    }
    assert!(ferry.status().is_empty(), "nothing was queued");
}

/// A damaged database: every command says so with the way out, the file is kept for
/// inspection, and no new queue is started behind the user's back.
#[test]
fn a_damaged_queue_is_reported_with_the_way_out_and_never_reset() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"notes").unwrap();
    let ferry = ferry_offline();
    let db = ferry.home.path().join("ferry.db");
    std::fs::write(
        &db,
        b"this is not a database, it was overwritten by something else",
    )
    .unwrap();
    for args in [
        &["status"][..],
        &["resume"][..],
        &["upload", file.to_str().unwrap()][..],
    ] {
        let run = ferry.run(args);
        assert_ne!(run.code, 0, "{args:?}");
        assert!(
            run.stderr.contains("ferry.db")
                && run.stderr.contains("damaged")
                && run.stderr.contains("move ferry.db aside"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"this is not a database, it was overwritten by something else",
        "the damaged file is kept as it was"
    );
}

/// A server that refuses connections: the job fails as a network error after its retries,
/// naming the file, and stays in the queue for `ferry retry`.
#[test]
fn a_server_that_refuses_connections_fails_the_job_but_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"notes").unwrap();
    let ferry = ferry_offline();
    let run = ferry.run_paths(&["upload", "--json"], &[&file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = &run.lines()[0];
    assert_eq!(line["error"]["code"], "network", "{line}");
    let msg = line["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("notes.txt")
            && msg.contains("could not reach the server")
            && msg.contains("gave up after 2 attempts"),
        "{msg}"
    );
    let status = ferry.status();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0]["state"], "failed", "kept in the queue to retry");
}

/// `ferry retry` without saying which jobs does nothing silently no more: it is a usage error
/// that names both ways to say it.
#[test]
fn retry_without_jobs_says_how_to_name_them() {
    let ferry = Ferry::with_env(&[]);
    let run = ferry.run(&["retry"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("ferry status") && run.stderr.contains("--failed"),
        "{}",
        run.stderr
    );
}
