//! Where ferry-cloudsim is as strict as Cloudflare, and Ferry copes as it must with the real
//! service (issue 15): scheduled deletion at Stream's 30-day minimum, custom image ids with
//! slashes, every way a token can be refused, the API router's answer to a path it cannot
//! route, Images list bounds and rate-limit headers. (Image lookups past the first list page are
//! tested in the core, against the emulator run in process.) Each rule here cites its source in
//! the emulator's code and in tests/reference/README.md.

use ferry_e2e::cloudsim::{self, ACCOUNT, CloudSim, TOKEN, curl};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{mp4, png};
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

/// curl with the status on the last line: (status, headers and body).
fn call(args: &[&str]) -> (u16, String) {
    let (_, out) = curl(&[&["-s", "-i", "-w", "\n%{http_code}"], args].concat());
    let (text, code) = out.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), text.to_string())
}

fn body(text: &str) -> Value {
    let start = text.find("\r\n\r\n").map(|i| i + 4).unwrap_or(0);
    serde_json::from_str(&text[start..]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn codes(v: &Value) -> Vec<u64> {
    let mut out = Vec::new();
    for e in v["errors"].as_array().into_iter().flatten() {
        out.push(e["code"].as_u64().unwrap());
        for c in e["error_chain"].as_array().into_iter().flatten() {
            out.push(c["code"].as_u64().unwrap());
        }
    }
    out
}

#[test]
fn a_video_set_to_go_after_30_days_is_accepted_and_lands_on_day_30_or_later() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "term.mp4", 2 * MIB, 3);
    let mut ferry = Ferry::cloudflare(&sim, TOKEN);
    // Origins as a teacher pastes them: whole addresses become the hosts Stream takes.
    ferry.set(
        "FERRY_STREAM_ALLOWED_ORIGINS",
        "https://Course.Example.com/lesson/1, localhost:5173",
    );
    std::fs::write(
        ferry.home.path().join("ferry.toml"),
        "[stream]\nscheduled_deletion_days = 30\n",
    )
    .unwrap();
    let run = ferry.run_paths(&["upload", "--json"], &[&video]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let v = &sim.videos()[0];
    assert_eq!(
        v["allowedOrigins"],
        json!(["course.example.com", "localhost:5173"])
    );
    let created = chrono_like(v["created"].as_str().unwrap());
    let deletion = chrono_like(v["scheduledDeletion"].as_str().unwrap());
    assert!(
        deletion - created >= 30 * 86_400,
        "scheduledDeletion {} is less than 30 days after created {}",
        v["scheduledDeletion"],
        v["created"]
    );
}

/// Seconds since the epoch of an RFC 3339 time (whole seconds are enough here).
fn chrono_like(text: &str) -> i64 {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", text, "+%s"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn the_emulator_refuses_a_deletion_short_of_30_days_after_created() {
    let sim = CloudSim::start(100);
    let soon = std::process::Command::new("date")
        .args(["-u", "-d", "+30 days -5 seconds", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    let soon = String::from_utf8_lossy(&soon.stdout).trim().to_string();
    let encoded = std::process::Command::new("sh")
        .args(["-c", &format!("printf %s '{soon}' | base64 -w0")])
        .output()
        .unwrap();
    let (status, text) = call(&[
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {TOKEN}"),
        "-H",
        "Tus-Resumable: 1.0.0",
        "-H",
        "Upload-Length: 100",
        "-H",
        &format!(
            "Upload-Metadata: scheduleddeletion {}",
            String::from_utf8_lossy(&encoded.stdout)
        ),
        &format!("{}/accounts/{ACCOUNT}/stream", sim.api),
    ]);
    assert_eq!(status, 400, "{text}");
}

#[test]
fn custom_image_ids_with_slashes_upload_open_and_delete() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (image, bytes) = png(dir.path(), "cover 100%.png", 64, 64, 5_000);
    let ferry = Ferry::cloudflare(&sim, TOKEN);
    let run = ferry.run_paths(
        &["upload", "--json", "--prefix", "Biology 101/week 1"],
        &[&image],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let job = &run.lines()[0];
    let id = sim.images()[0]["id"].as_str().unwrap().to_string();
    assert!(id.contains('/'), "the custom id is a path: {id}");
    let (code, served) = cloudsim::fetch(job["url"].as_str().unwrap());
    assert_eq!(code, 200);
    assert!(served == bytes);
    let del = ferry.run(&["delete", &job["id"].to_string()]);
    assert_eq!(del.code, 0, "{}", del.stderr);
    assert!(sim.images().is_empty(), "deleted through its path");
}

#[test]
fn every_token_refusal_carries_cloudflares_codes_and_ferry_says_fix_the_token() {
    let sim = CloudSim::start(100);
    let url = format!("{}/accounts/{ACCOUNT}/images/v1", sim.api);
    // No header: 9106 on a product endpoint, 1001 on token verification.
    let (s, text) = call(&[&url]);
    assert_eq!((s, codes(&body(&text))), (400, vec![9106]), "{text}");
    let (s, text) = call(&[&format!("{}/user/tokens/verify", sim.api)]);
    assert_eq!((s, codes(&body(&text))), (400, vec![1001]), "{text}");
    // A malformed header: 6003 with 6111 in its error_chain.
    let (s, text) = call(&["-H", "Authorization: Token abc", &url]);
    assert_eq!((s, codes(&body(&text))), (400, vec![6003, 6111]), "{text}");
    // An unknown token: 10000 at 401.
    let (s, text) = call(&["-H", "Authorization: Bearer nope", &url]);
    assert_eq!((s, codes(&body(&text))), (401, vec![10000]), "{text}");

    // Ferry with a token pasted with a space inside: malformed, and it says so.
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = png(dir.path(), "a.png", 16, 16, 1_000);
    for (token, says) in [
        ("two words", "not in a form Cloudflare reads"),
        ("not-a-token", "does not accept the API token"),
    ] {
        let ferry = Ferry::cloudflare(&sim, token);
        let run = ferry.run_paths(&["upload", "--json"], &[&image]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let job = &run.lines()[0];
        assert_eq!(job["error"]["code"], "unauthenticated", "{job}");
        let message = job["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
        assert!(message.contains("CLOUDFLARE_API_TOKEN"), "{message}");
        assert!(!message.contains(token), "the token is never repeated");
        assert_eq!(ferry.status()[0]["state"], "failed", "kept in the queue");
    }
}

#[test]
fn the_router_images_lists_and_rate_limits_answer_as_cloudflare_does() {
    let sim = CloudSim::start(100);
    let auth = format!("Authorization: Bearer {TOKEN}");
    // A path or method the API has no route for: 7003 and 7000, not a product's "not found".
    for args in [vec!["-H", &auth, "-X", "PUT"], vec!["-H", &auth]] {
        let path = if args.len() == 4 {
            format!("{}/accounts/{ACCOUNT}/images/v1/some-id", sim.api)
        } else {
            format!("{}/accounts/{ACCOUNT}/images/v3/whatever", sim.api)
        };
        let (s, text) = call(&[args.as_slice(), &[path.as_str()]].concat());
        assert_eq!((s, codes(&body(&text))), (400, vec![7003, 7000]), "{text}");
    }
    // Images v1 list: per_page from 10 to 10,000, refused outside.
    let (s, _) = call(&[
        "-H",
        &auth,
        &format!("{}/accounts/{ACCOUNT}/images/v1?per_page=5", sim.api),
    ]);
    assert_eq!(s, 400);
    // A 429 carries Cloudflare's rate-limit headers.
    sim.faults(json!([{"path_contains": "/images/v1", "status": 429, "retry_after": 2}]));
    let (s, text) = call(&[
        "-H",
        &auth,
        &format!("{}/accounts/{ACCOUNT}/images/v1", sim.api),
    ]);
    sim.clear_faults();
    assert_eq!(s, 429);
    let head = text.to_lowercase();
    for h in [
        "retry-after: 2",
        "x-ratelimit-limit: 1200",
        "x-ratelimit-remaining: 0",
        "x-ratelimit-reset: ",
    ] {
        assert!(head.contains(h), "{h} in {text}");
    }
}

/// R2's own multipart rules, which the S3 server behind the emulator does not enforce: a client
/// other than Ferry (boto3) is refused where R2 refuses it, and Ferry's multipart uploads pass.
#[test]
fn the_emulators_r2_refuses_what_r2_refuses_and_ferrys_parts_pass() {
    let sim = CloudSim::start(100);
    let script = r#"
import sys, boto3, botocore
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], region_name="auto")
bucket = sys.argv[4]
def attempt(sizes, number=None):
    up = s3.create_multipart_upload(Bucket=bucket, Key="parts.bin")["UploadId"]
    parts = []
    try:
        for i, size in enumerate(sizes, 1):
            n = number or i
            etag = s3.upload_part(Bucket=bucket, Key="parts.bin", UploadId=up, PartNumber=n, Body=b"x" * size)["ETag"]
            parts.append({"PartNumber": n, "ETag": etag})
        s3.complete_multipart_upload(Bucket=bucket, Key="parts.bin", UploadId=up, MultipartUpload={"Parts": parts})
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
MIB = 1024 * 1024
print(attempt([6 * MIB, 5 * MIB, 100]))
print(attempt([1 * MIB, 1 * MIB, 100]))
print(attempt([100], number=10001))
print(attempt([5 * MIB, 5 * MIB, 100]))
import hashlib
md5s = b"".join(hashlib.md5(b"x" * n).digest() for n in [5 * MIB, 5 * MIB, 100])
want = '"' + hashlib.md5(md5s).hexdigest() + '-3"'
got = s3.head_object(Bucket=bucket, Key="parts.bin")["ETag"]
print("etag " + ("ok" if got == want else got + " != " + want))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &sim.r2_endpoint])
        .args([
            ferry_e2e::servers::ACCESS_KEY,
            ferry_e2e::servers::SECRET_KEY,
            ferry_e2e::servers::BUCKET,
        ])
        .output()
        .expect("python3 with boto3");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "InvalidPart",
            "EntityTooSmall",
            "InvalidArgument",
            "ok",
            "etag ok"
        ],
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Ferry's parts are equal but the last: R2 takes them.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("lecture notes.pdf");
    let bytes = ferry_e2e::data(17 * MIB + 123, 5);
    std::fs::write(&doc, &bytes).unwrap();
    let mut ferry = Ferry::cloudflare(&sim, TOKEN);
    ferry.multipart_parts(5 * MIB);
    let run = ferry.run_paths(&["upload", "--json"], &[&doc]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let job = &run.lines()[0];
    let checker = ferry_e2e::checker::Checker::new(&sim.r2_endpoint, ferry_e2e::servers::BUCKET);
    assert_eq!(
        checker.sha256(job["key"].as_str().unwrap()),
        ferry_e2e::sha256_hex(&bytes)
    );
}

/// `ferry check --deep`: the full test a teacher or IT admin runs once with a real token. It
/// uploads to Images, Stream (over tus, resuming between two chunks) and R2, opens each link,
/// deletes everything it made, and says what to fix when a step fails.
#[test]
fn the_full_test_uploads_opens_and_cleans_up_everywhere() {
    let sim = CloudSim::start(300);
    let ferry = Ferry::cloudflare(&sim, TOKEN);
    let run = ferry.run(&["check", "--deep"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for step in [
        "images: upload a small image",
        "images: open the delivery link: the same bytes came back",
        "images: delete it: deleted",
        "stream: send a 6 MiB video in two chunks: every byte arrived; the second chunk resumed from the server's offset (5242880 bytes)",
        "stream: wait until it plays",
        "stream: open the playback link: the HLS manifest is served",
        "stream: delete it: deleted",
        "r2: upload a small file",
        "r2: open its link: the same bytes came back",
        "r2: delete it: deleted",
    ] {
        assert!(
            run.stdout.contains(&format!("✓ {step}")),
            "{step}\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains('✗'), "{}", run.stdout);
    assert!(sim.images().is_empty(), "no image left behind");
    assert!(sim.videos().is_empty(), "no video left behind");
    let checker = ferry_e2e::checker::Checker::new(&sim.r2_endpoint, ferry_e2e::servers::BUCKET);
    assert!(checker.list().is_empty(), "no object left behind");
    assert!(ferry.status().is_empty(), "the full test queues nothing");

    // A token that may not use Stream: the check names the permission and the full test waits.
    let ferry = Ferry::cloudflare(&sim, cloudsim::IMAGES_ONLY);
    let run = ferry.run(&["check", "--deep"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("✗ Stream: the token lacks the \"Stream: Edit\" permission"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("full test skipped: fix the problems above first"),
        "{}",
        run.stdout
    );
}
