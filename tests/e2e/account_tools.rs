//! Account tools against real servers and a real Secret Service: importing from the AWS CLI's
//! and rclone's files, "test connection" naming what is wrong, editing an account and its
//! secret, the bucket helpers (CORS, lifecycle) checked with boto3 on moto, and a full session
//! with Cloudflare accounts after which no secret is found anywhere Ferry wrote or printed.
//! Account names are unique per test: the keychain is shared.

use ferry_e2e::checker::Checker;
use ferry_e2e::cloudsim::{self, ACCOUNT, CloudSim, EXPIRED, IMAGES_ONLY, TOKEN};
use ferry_e2e::ferry::{Ferry, Run};
use ferry_e2e::servers::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use ferry_e2e::{assert_secret_absent, data, media};
use serde_json::json;

fn keychain_ferry() -> Ferry {
    let mut ferry = Ferry::with_env(&[]);
    ferry.with_keychain();
    ferry
}

fn ok(run: &Run) {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

fn add_s3(ferry: &Ferry, name: &str, endpoint: &str, secret: &str) -> Run {
    ferry.run_input(
        &[
            "account",
            "add",
            name,
            "--kind",
            "s3",
            "--bucket",
            BUCKET,
            "--access-key-id",
            ACCESS_KEY,
            "--endpoint",
            endpoint,
            "--secret-stdin",
        ],
        &format!("{secret}\n"),
    )
}

#[test]
fn aws_and_rclone_files_are_imported_and_what_is_skipped_is_explained() {
    let server = S3Server::rclone();
    let mut ferry = keychain_ferry();
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(
        &credentials,
        format!(
            "[tools-aws]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n\n\
             [tools-temp]\naws_access_key_id = ASIATEMP\naws_secret_access_key = t\naws_session_token = s\n\
             [tools-half]\naws_access_key_id = AKIAHALF\n\
             orphan line\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &config,
        format!(
            "[profile tools-aws]\nregion = eu-west-3\nendpoint_url = {}\n",
            server.endpoint
        ),
    )
    .unwrap();
    ferry
        .set("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap())
        .set("AWS_CONFIG_FILE", config.to_str().unwrap());

    // Without a bucket nothing is taken, and the reason says what to pass.
    let no_bucket = ferry.run(&["account", "import", "--aws"]);
    assert_eq!(no_bucket.code, 1, "{}", no_bucket.stdout);
    assert!(
        no_bucket.stdout.contains(
            "skipped: aws profile tools-aws: AWS profiles name no bucket; pass --bucket NAME"
        ),
        "{}",
        no_bucket.stdout
    );

    let run = ferry.run(&["account", "import", "--aws", "--bucket", BUCKET]);
    ok(&run);
    for expected in [
        "took: account aws-tools-aws (s3)",
        "skipped: aws profile tools-temp: temporary session credentials expire",
        "skipped: aws profile tools-half: missing aws_secret_access_key",
        "credentials:11: not `key = value`",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
    let test = ferry.run(&["account", "test", "aws-tools-aws", "--write"]);
    ok(&test);
    assert!(
        test.stdout.contains("✓ bucket") && test.stdout.contains("✓ write"),
        "{}",
        test.stdout
    );
    assert!(
        Checker::new(&server.endpoint, &server.bucket)
            .list()
            .is_empty(),
        "the write probe deleted its object"
    );

    // rclone: the S3 remote is taken, the others explained; a missing file names itself.
    let rclone_conf = dir.path().join("rclone.conf");
    std::fs::write(
        &rclone_conf,
        format!(
            "[tools-rclone]\ntype = s3\nprovider = Other\naccess_key_id = {ACCESS_KEY}\nsecret_access_key = {SECRET_KEY}\nendpoint = {}\n\n\
             [tools-drive]\ntype = drive\n\n[tools-env]\ntype = s3\nenv_auth = true\n",
            server.endpoint
        ),
    )
    .unwrap();
    let conf = rclone_conf.to_str().unwrap();
    let run = ferry.run(&[
        "account",
        "import",
        "--rclone",
        "--rclone-config",
        conf,
        "--bucket",
        BUCKET,
    ]);
    ok(&run);
    for expected in [
        "took: account rclone-tools-rclone (s3)",
        "skipped: rclone remote tools-drive: type drive is not S3-compatible",
        "skipped: rclone remote tools-env: takes its keys from the environment",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
    ok(&ferry.run(&["account", "default", "rclone-tools-rclone"]));
    let path = dir.path().join("week 1.pdf");
    let bytes = data(70_000, 5);
    std::fs::write(&path, &bytes).unwrap();
    let up = ferry.run_paths(&["upload", "--json"], &[&path]);
    ok(&up);
    let missing = ferry.run(&[
        "account",
        "import",
        "--rclone",
        "--rclone-config",
        "/nonexistent/rclone.conf",
        "--bucket",
        BUCKET,
    ]);
    assert_ne!(missing.code, 0);
    assert!(
        missing.stderr.contains("/nonexistent/rclone.conf"),
        "{}",
        missing.stderr
    );

    let accounts = std::fs::read_to_string(ferry.home.path().join("accounts.toml")).unwrap();
    assert!(!accounts.contains(SECRET_KEY), "{accounts}");
    let outputs = [
        run.stdout.as_str(),
        run.stderr.as_str(),
        test.stdout.as_str(),
        up.stdout.as_str(),
        up.stderr.as_str(),
    ];
    assert_secret_absent(ferry.home.path(), &outputs, SECRET_KEY);
    for name in ["aws-tools-aws", "rclone-tools-rclone"] {
        ok(&ferry.run(&["account", "remove", name]));
    }
}

#[test]
fn account_test_names_what_is_wrong_and_edit_fixes_it() {
    let server = S3Server::rclone();
    let ferry = keychain_ferry();
    ok(&add_s3(
        &ferry,
        "tools-typo",
        &server.endpoint,
        "not-the-secret",
    ));
    let refused = ferry.run(&["account", "test", "tools-typo"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused.stdout.contains("✗ bucket") && refused.stdout.contains("was refused"),
        "{}",
        refused.stdout
    );

    // A new secret, from standard input, replaces the one in the keychain.
    ok(&ferry.run_input(
        &[
            "account",
            "edit",
            "tools-typo",
            "--new-secret",
            "--secret-stdin",
        ],
        &format!("{SECRET_KEY}\n"),
    ));
    ok(&ferry.run(&["account", "test", "tools-typo"]));

    ok(&ferry.run(&[
        "account",
        "edit",
        "tools-typo",
        "--bucket",
        "no-such-bucket",
    ]));
    let wrong_bucket = ferry.run(&["account", "test", "tools-typo"]);
    assert_eq!(wrong_bucket.code, 1);
    assert!(
        wrong_bucket
            .stdout
            .contains("bucket \"no-such-bucket\" does not exist"),
        "{}",
        wrong_bucket.stdout
    );
    let not_for_s3 = ferry.run(&["account", "edit", "tools-typo", "--jurisdiction", "eu"]);
    assert_eq!(not_for_s3.code, 2);
    assert!(
        not_for_s3
            .stderr
            .contains("--jurisdiction does not apply to a s3 account"),
        "{}",
        not_for_s3.stderr
    );
    let emptied = ferry.run(&["account", "edit", "tools-typo", "--bucket", ""]);
    assert_eq!(emptied.code, 2, "{}", emptied.stderr);
    let unknown = ferry.run(&["account", "test", "tools-nobody"]);
    assert_ne!(unknown.code, 0);
    assert!(unknown.stderr.contains("no account tools-nobody"));
    ok(&ferry.run(&["account", "remove", "tools-typo"]));

    // Cloudflare: the missing permission and the expired token are named.
    let sim = CloudSim::start(200);
    for (name, token, expected) in [
        (
            "tools-cf-images",
            IMAGES_ONLY,
            "✗ Stream: the token lacks the \"Stream: Edit\" permission",
        ),
        ("tools-cf-expired", EXPIRED, "✗ API token"),
        ("tools-cf-good", TOKEN, "✓ Stream"),
    ] {
        ok(&ferry.run_input(
            &[
                "account",
                "add",
                name,
                "--kind",
                "cloudflare",
                "--account-id",
                ACCOUNT,
                "--api-base-url",
                &sim.api,
                "--secret-stdin",
            ],
            &format!("{token}\n"),
        ));
        let test = ferry.run(&["account", "test", name]);
        assert!(test.stdout.contains(expected), "{name}: {}", test.stdout);
        assert_eq!(test.code, i32::from(token != TOKEN), "{}", test.stdout);
        ok(&ferry.run(&["account", "remove", name]));
    }
}

#[test]
fn bucket_helpers_write_ferrys_rules_and_keep_the_others() {
    let server = S3Server::moto();
    let checker = Checker::new(&server.endpoint, &server.bucket);
    // Rules someone else wrote before.
    checker.put_cors(&json!([{"ID": "lms", "AllowedOrigins": ["https://lms.example"], "AllowedMethods": ["PUT"]}]));
    checker.put_lifecycle(&json!([{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 30}}]));
    let ferry = keychain_ferry();
    ok(&add_s3(&ferry, "tools-moto", &server.endpoint, SECRET_KEY));

    let needs_origin = ferry.run(&["bucket", "cors", "--account", "tools-moto"]);
    assert_eq!(needs_origin.code, 2);
    assert!(
        needs_origin.stderr.contains("--origin"),
        "{}",
        needs_origin.stderr
    );
    let bad_origin = ferry.run(&[
        "bucket",
        "cors",
        "--account",
        "tools-moto",
        "--origin",
        "courses.example.edu/x",
    ]);
    assert_eq!(bad_origin.code, 2, "{}", bad_origin.stderr);

    let show = ferry.run(&[
        "bucket",
        "cors",
        "--account",
        "tools-moto",
        "--origin",
        "https://courses.example.edu",
    ]);
    ok(&show);
    assert!(show.stdout.contains("Proposed"), "{}", show.stdout);
    assert_eq!(
        checker.cors().as_array().unwrap().len(),
        1,
        "showing changes nothing"
    );

    let apply = ferry.run(&[
        "bucket",
        "cors",
        "--account",
        "tools-moto",
        "--origin",
        "https://courses.example.edu",
        "--apply",
    ]);
    ok(&apply);
    let rules = checker.cors();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[0]["ID"], "lms");
    let ours = &rules[1];
    assert_eq!(
        ours["AllowedOrigins"],
        json!(["https://courses.example.edu"])
    );
    assert_eq!(ours["AllowedMethods"], json!(["GET", "HEAD"]));
    assert_eq!(ours["ExposeHeaders"], json!(["ETag", "Content-Length"]));
    assert_eq!(ours["MaxAgeSeconds"], 3600);
    // Applying again replaces Ferry's rule instead of adding a second one.
    ok(&ferry.run(&[
        "bucket",
        "cors",
        "--account",
        "tools-moto",
        "--origin",
        "https://new.example.edu",
        "--apply",
    ]));
    let rules = checker.cors();
    assert_eq!(rules.as_array().unwrap().len(), 2, "{rules}");
    assert_eq!(
        rules[1]["AllowedOrigins"],
        json!(["https://new.example.edu"])
    );

    let lifecycle = ferry.run(&["bucket", "lifecycle", "--account", "tools-moto"]);
    ok(&lifecycle);
    assert!(
        lifecycle
            .stdout
            .contains("no rule aborts incomplete uploads"),
        "{}",
        lifecycle.stdout
    );
    for days in ["3", "2"] {
        let apply = ferry.run(&[
            "bucket",
            "lifecycle",
            "--account",
            "tools-moto",
            "--abort-incomplete-days",
            days,
            "--apply",
        ]);
        ok(&apply);
        assert!(
            apply
                .stdout
                .contains(&format!("aborted after {days} day(s)")),
            "{}",
            apply.stdout
        );
    }
    let rules = checker.lifecycle();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[0]["ID"], "expire-tmp");
    assert_eq!(rules[0]["Expiration"]["Days"], 30);
    assert_eq!(
        rules[1]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"],
        2
    );
    ok(&ferry.run(&["account", "remove", "tools-moto"]));
}

#[test]
fn a_full_session_with_cloudflare_accounts_leaves_no_secret_anywhere() {
    let sim = CloudSim::start(300);
    let ferry = keychain_ferry();
    let mut outputs: Vec<Run> = Vec::new();
    let add_cf = |token: &str| {
        ferry.run_input(
            &[
                "account",
                "add",
                "tools-session-cf",
                "--kind",
                "cloudflare",
                "--account-id",
                ACCOUNT,
                "--api-base-url",
                &sim.api,
                "--secret-stdin",
            ],
            &format!("{token}\n"),
        )
    };
    let added = add_cf(TOKEN);
    ok(&added);
    outputs.push(added);
    let r2 = ferry.run_input(
        &[
            "account",
            "add",
            "tools-session-r2",
            "--kind",
            "r2",
            "--account-id",
            ACCOUNT,
            "--bucket",
            BUCKET,
            "--access-key-id",
            ACCESS_KEY,
            "--endpoint",
            &sim.r2_endpoint,
            "--secret-stdin",
        ],
        &format!("{SECRET_KEY}\n"),
    );
    ok(&r2);
    outputs.push(r2);
    let check = ferry.run(&["check"]);
    ok(&check);
    outputs.push(check);

    let dir = tempfile::tempdir().unwrap();
    let (image, _) = media::png(dir.path(), "cover.png", 64, 48, 5_000);
    let (video, _) = media::mp4(dir.path(), "lecture 1.mp4", 300_000, 8);
    let pdf = dir.path().join("syllabus.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 syllabus").unwrap();
    let up = ferry.run_paths(&["upload", "--json"], &[&image, &video, &pdf]);
    ok(&up);
    let destinations: Vec<String> = up
        .lines()
        .iter()
        .map(|l| l["destination"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(destinations, ["images", "stream", "r2"], "{}", up.stdout);
    outputs.push(up);

    // The token expires: the upload fails saying so; a new token is stored and the job retried.
    let expired = add_cf(EXPIRED);
    ok(&expired);
    outputs.push(expired);
    let (handout, _) = media::png(dir.path(), "handout.png", 20, 20, 2_000);
    let refused = ferry.run_paths(&["upload", "--json"], &[&handout]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert_eq!(refused.lines()[0]["error"]["code"], "unauthenticated");
    outputs.push(refused);
    let renewed = ferry.run_input(
        &[
            "account",
            "edit",
            "tools-session-cf",
            "--new-secret",
            "--secret-stdin",
        ],
        &format!("{TOKEN}\n"),
    );
    ok(&renewed);
    outputs.push(renewed);
    ok(&ferry.run(&["retry", "--failed"]));
    let resumed = ferry.run(&["resume", "--json"]);
    ok(&resumed);
    outputs.push(resumed);
    for id in ["1", "2", "3"] {
        let url = ferry.run(&["url", id]);
        ok(&url);
        assert_eq!(cloudsim::fetch(url.stdout.trim()).0, 200, "{}", url.stdout);
        outputs.push(url);
    }
    let list = ferry.run(&["account", "list", "--json"]);
    outputs.push(list);
    let status = ferry.run(&["status", "--json"]);
    outputs.push(status);

    let texts: Vec<&str> = outputs
        .iter()
        .flat_map(|r| [r.stdout.as_str(), r.stderr.as_str()])
        .collect();
    for secret in [TOKEN, EXPIRED, SECRET_KEY] {
        assert_secret_absent(ferry.home.path(), &texts, secret);
    }
    for name in ["tools-session-cf", "tools-session-r2"] {
        ok(&ferry.run(&["account", "remove", name]));
    }
}
