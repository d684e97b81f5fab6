//! Accounts whose secrets live in the OS keychain (GNOME Keyring's Secret Service, through
//! `scripts/with-keyring.sh`): add an account with the secret on standard input, upload with no
//! secret in the environment, see a wrong secret reported, remove the account; then search
//! everything Ferry wrote and printed for the secret. Without a keychain, Ferry says so and
//! points to the ways out. Each test uses its own account names: the keychain is shared.

use ferry_e2e::checker::Checker;
use ferry_e2e::ferry::{Ferry, Run};
use ferry_e2e::servers::{ACCESS_KEY, S3Server, SECRET_KEY};
use ferry_e2e::{assert_secret_absent, data, sha256_hex};

fn add(ferry: &Ferry, name: &str, endpoint: &str, secret: &str, default: bool) -> Run {
    let mut args = vec![
        "account",
        "add",
        name,
        "--kind",
        "s3",
        "--bucket",
        "course-media",
        "--access-key-id",
        ACCESS_KEY,
        "--endpoint",
        endpoint,
        "--secret-stdin",
    ];
    if default {
        args.push("--default");
    }
    ferry.run_input(&args, &format!("{secret}\n"))
}

#[test]
fn an_account_in_the_keychain_uploads_and_its_secret_is_nowhere_else() {
    let server = S3Server::rclone();
    let mut ferry = Ferry::with_env(&[]);
    ferry.with_keychain();
    let mut outputs: Vec<Run> = Vec::new();

    let added = add(&ferry, "school", &server.endpoint, SECRET_KEY, false);
    assert_eq!(added.code, 0, "{}", added.stderr);
    outputs.push(added);
    let list = ferry.run(&["account", "list"]);
    assert!(
        list.stdout.contains("school") && list.stdout.contains("secret in keychain"),
        "{}",
        list.stdout
    );
    outputs.push(list);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syllabus.pdf");
    let bytes = data(300_000, 21);
    std::fs::write(&path, &bytes).unwrap();
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let line = run.lines().remove(0);
    assert_eq!(line["destination"], "s3");
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(
        checker.sha256(line["key"].as_str().unwrap()),
        sha256_hex(&bytes)
    );
    outputs.push(run);

    // A second account with a wrong secret, made the default: refused, and said so.
    let wrong = "wrong-secret-key-Xx11-0000000000";
    outputs.push(add(&ferry, "typo", &server.endpoint, wrong, true));
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, b"week 1 notes").unwrap();
    let refused = ferry.run_paths(&["upload", "--json"], &[&other]);
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.lines()[0]["error"]["code"],
        "unauthenticated",
        "{}",
        refused.stdout
    );
    outputs.push(refused);
    let removed = ferry.run(&["account", "remove", "typo"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    outputs.push(removed);
    let retried = ferry.run(&["retry", "--failed"]);
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    let resumed = ferry.run(&["resume", "--json"]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    outputs.push(resumed);

    let texts: Vec<&str> = outputs
        .iter()
        .flat_map(|r| [r.stdout.as_str(), r.stderr.as_str()])
        .collect();
    for secret in [SECRET_KEY, wrong] {
        assert_secret_absent(ferry.home.path(), &texts, secret);
    }
    let accounts = std::fs::read_to_string(ferry.home.path().join("accounts.toml")).unwrap();
    assert!(
        accounts.contains("[accounts.school]") && !accounts.contains("typo"),
        "{accounts}"
    );

    // Removing the account removes its keychain entry too.
    assert_eq!(ferry.run(&["account", "remove", "school"]).code, 0);
    let search = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "ferry"])
        .output()
        .unwrap();
    let found = String::from_utf8_lossy(&search.stdout).to_string()
        + &String::from_utf8_lossy(&search.stderr);
    // Other tests' accounts share the keychain (`offline-school`…): only this one's entries.
    assert!(
        !found
            .lines()
            .any(|l| l.trim_start().starts_with("label = school/")),
        "{found}"
    );
}

#[test]
fn without_a_keychain_ferry_says_so_and_names_the_ways_out() {
    let server = S3Server::rclone();
    let mut ferry = Ferry::with_env(&[]);
    ferry.with_keychain();
    assert_eq!(
        add(
            &ferry,
            "offline-school",
            &server.endpoint,
            SECRET_KEY,
            false
        )
        .code,
        0
    );
    // The same home, but no session bus: the keychain is out of reach.
    ferry.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, b"hello").unwrap();
    let run = ferry.run_paths(&["upload"], &[&path]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("OS keychain") && run.stderr.contains("environment variables"),
        "{}",
        run.stderr
    );
    assert!(
        !std::fs::read_to_string(ferry.home.path().join("accounts.toml"))
            .unwrap()
            .contains(SECRET_KEY)
    );
    // Environment variables keep working without a keychain.
    ferry
        .set("S3_BUCKET_NAME", "course-media")
        .set("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .set("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .set("AWS_REGION", "us-east-1")
        .set("AWS_ENDPOINT_URL", &server.endpoint);
    let run = ferry.run_paths(&["upload"], &[&path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Clean the keychain for the next tests.
    ferry.unset("S3_BUCKET_NAME");
    let mut again = Ferry::with_env(&[]);
    again.with_keychain();
    again.home = ferry.home;
    assert_eq!(again.run(&["account", "remove", "offline-school"]).code, 0);
}

#[test]
fn a_dotenv_file_is_imported_saying_what_was_taken_and_skipped() {
    let server = S3Server::rclone();
    let mut ferry = Ferry::with_env(&[]);
    ferry.with_keychain();
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    // Seed 002's names for R2, a partial S3 set, and a line that is not a variable.
    std::fs::write(
        &env_file,
        format!(
            "# storage\nR2_ACCOUNT_ID=0123456789abcdef\nR2_BUCKET_NAME=course-media\nR2_ACCESS_KEY_ID={ACCESS_KEY}\nR2_SECRET_ACCESS_KEY=\"{SECRET_KEY}\"\nR2_ENDPOINT_URL={}\nS3_BUCKET_NAME=other\nthis is not a variable\n",
            server.endpoint
        ),
    )
    .unwrap();
    let run = ferry.run(&["account", "import", env_file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("took: account r2 (r2)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("skipped: s3: missing AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("skipped: ") && run.stdout.contains(".env:8"),
        "the bad line is named: {}",
        run.stdout
    );

    let path = dir.path().join("handout.pdf");
    std::fs::write(&path, b"%PDF-1.4 handout").unwrap();
    let up = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(up.code, 0, "{}\n{}", up.stdout, up.stderr);
    assert_eq!(up.lines()[0]["destination"], "r2");
    assert_secret_absent(
        ferry.home.path(),
        &[&run.stdout, &run.stderr, &up.stdout, &up.stderr],
        SECRET_KEY,
    );

    let missing = ferry.run(&["account", "import", "/nonexistent/.env"]);
    assert_ne!(missing.code, 0);
    assert!(
        missing.stderr.contains("/nonexistent/.env"),
        "{}",
        missing.stderr
    );
    assert_eq!(ferry.run(&["account", "remove", "r2"]).code, 0);
}

/// Each provider takes its settings from one source. An R2 account keeps its own account id
/// when the environment names another Cloudflare account for Images and Stream (before, the
/// environment's id won and the bucket was looked for in the wrong account); and a keychain
/// account's missing piece is named as the account's, not as an environment variable.
#[test]
fn an_r2_account_keeps_its_own_account_id_beside_a_cloudflare_environment() {
    let mut ferry = Ferry::with_env(&[
        ("CLOUDFLARE_ACCOUNT_ID", "0000000000000000000000000000ccff"),
        ("CLOUDFLARE_API_TOKEN", "env-token-for-images"),
        ("CLOUDFLARE_API_BASE_URL", "http://127.0.0.1:9/client/v4"),
    ]);
    ferry.with_keychain();
    let added = ferry.run_input(
        &[
            "account",
            "add",
            "school-r2-own-id",
            "--kind",
            "r2",
            "--account-id",
            "1111111111111111111111111111aaaa",
            "--bucket",
            "course-media",
            "--access-key-id",
            "AKR2",
            "--secret-stdin",
        ],
        "r2-secret-value\n",
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let check = ferry.run(&["check", "r2"]);
    assert!(
        check.stdout.contains(
            "r2|https://1111111111111111111111111111aaaa.r2.cloudflarestorage.com|course-media"
        ),
        "{}\n{}",
        check.stdout,
        check.stderr
    );
    assert!(!check.stdout.contains("ccff.r2.cloudflarestorage.com"));
    let removed = ferry.run(&["account", "remove", "school-r2-own-id"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
}

/// Google Cloud Storage as an account (its HMAC secret in the keychain), from the same provider
/// description as the environment's `GCS_*` names; here against rclone's S3 server standing in
/// for Cloud Storage's XML API.
#[test]
fn a_gcs_account_in_the_keychain_uploads() {
    let server = S3Server::rclone();
    let mut ferry = Ferry::with_env(&[]);
    ferry.with_keychain();
    let added = ferry.run_input(
        &[
            "account",
            "add",
            "school-gcs",
            "--kind",
            "gcs",
            "--bucket",
            "course-media",
            "--access-key-id",
            ACCESS_KEY,
            "--endpoint",
            &server.endpoint,
            "--secret-stdin",
        ],
        &format!("{SECRET_KEY}\n"),
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let refused = ferry.run_input(
        &[
            "account",
            "add",
            "bad-gcs",
            "--kind",
            "gcs",
            "--bucket",
            "b",
            "--region",
            "x",
            "--secret-stdin",
        ],
        "s\n",
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("--region does not apply to a gcs account"),
        "{}",
        refused.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reading list.pdf");
    let bytes = data(200_000, 31);
    std::fs::write(&path, &bytes).unwrap();
    let run = ferry.run_paths(&["upload", "--json", "--to", "gcs"], &[&path]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let line = run.lines().remove(0);
    assert_eq!(line["destination"], "gcs");
    let checker = Checker::new(&server.endpoint, &server.bucket);
    assert_eq!(
        checker.sha256(line["key"].as_str().unwrap()),
        sha256_hex(&bytes)
    );
    let removed = ferry.run(&["account", "remove", "school-gcs"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
}
