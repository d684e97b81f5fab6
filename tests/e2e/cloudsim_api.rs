//! ferry-cloudsim is faithful: its replies validate against Cloudflare's OpenAPI schemas,
//! Cloudflare's official Python SDK calls every endpoint it serves and parses every answer, a
//! third-party tus client (tuspy) uploads to its Stream upload origin, and it enforces Stream's
//! chunk rules, case-insensitive metadata keys, the Images limits and token checks.

use ferry_e2e::cloudsim::{ACCOUNT, CloudSim, EXPIRED, IMAGES_ONLY, TOKEN, curl};
use ferry_e2e::media::{mp4, png};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const MIB: usize = 1024 * 1024;

/// One recorded exchange: which spec entry it answers, the status and the JSON body.
struct Exchange {
    path: &'static str,
    method: &'static str,
    status: u16,
    body: Value,
}

/// curl with a status line appended; returns (status, body as JSON).
fn call(args: &[&str]) -> (u16, Value) {
    let mut all = vec!["-s", "-w", "\n%{http_code}"];
    all.extend_from_slice(args);
    let (_, out) = curl(&all);
    let (body, code) = out.rsplit_once('\n').unwrap();
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    (code.trim().parse().unwrap(), json)
}

fn auth(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

fn validate(exchanges: &[Exchange]) {
    let cases: Vec<Value> = exchanges
        .iter()
        .map(|e| json!({"path": e.path, "method": e.method, "status": e.status, "body": e.body}))
        .collect();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new("python3")
        .arg(format!("{root}/support/openapi_check.py"))
        .arg(format!(
            "{root}/reference/cloudflare-openapi-images-stream-tokens.json"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 with jsonschema");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&cases).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("checker prints JSON");
    assert_eq!(report["checked"], exchanges.len());
    assert!(
        out.status.success(),
        "replies that break Cloudflare's schemas: {:#}",
        report["failures"]
    );
}

#[test]
fn replies_match_cloudflares_openapi_schemas() {
    let sim = CloudSim::start(50);
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = png(dir.path(), "logo.png", 64, 64, 2_000);
    let (video, _) = mp4(dir.path(), "clip.mp4", 6 * MIB + 10, 2);
    let api = |p: &str| format!("{}/accounts/{ACCOUNT}/{p}", sim.api);
    let mut ex = Vec::new();
    let mut record = |path, method, (status, body): (u16, Value)| {
        ex.push(Exchange {
            path,
            method,
            status,
            body: body.clone(),
        });
        (status, body)
    };

    record(
        "/user/tokens/verify",
        "get",
        call(&[
            "-H",
            &auth(TOKEN),
            &format!("{}/user/tokens/verify", sim.api),
        ]),
    );
    let (s, up) = record(
        "/accounts/{account_id}/images/v1",
        "post",
        call(&[
            "-H",
            &auth(TOKEN),
            "-F",
            &format!("file=@{}", image.display()),
            "-F",
            "metadata={\"course\":\"A\"}",
            &api("images/v1"),
        ]),
    );
    assert_eq!(s, 200, "{up}");
    let id = up["result"]["id"].as_str().unwrap().to_string();
    record(
        "/accounts/{account_id}/images/v1/{image_id}",
        "get",
        call(&["-H", &auth(TOKEN), &api(&format!("images/v1/{id}"))]),
    );
    record(
        "/accounts/{account_id}/images/v2",
        "get",
        call(&["-H", &auth(TOKEN), &api("images/v2?per_page=10")]),
    );
    record(
        "/accounts/{account_id}/images/v1/keys",
        "get",
        call(&["-H", &auth(TOKEN), &api("images/v1/keys")]),
    );
    let (_, direct) = record(
        "/accounts/{account_id}/images/v2/direct_upload",
        "post",
        call(&[
            "-H",
            &auth(TOKEN),
            "-F",
            "metadata={}",
            &api("images/v2/direct_upload"),
        ]),
    );
    let upload_url = direct["result"]["uploadURL"].as_str().unwrap().to_string();
    // The one-time URL takes a file without a token, once.
    let (s, _) = call(&["-F", &format!("file=@{}", image.display()), &upload_url]);
    assert_eq!(s, 200);
    let (s, _) = call(&["-F", &format!("file=@{}", image.display()), &upload_url]);
    assert_eq!(s, 404, "a one-time URL works once");
    record(
        "/accounts/{account_id}/images/v1/{image_id}",
        "delete",
        call(&[
            "-X",
            "DELETE",
            "-H",
            &auth(TOKEN),
            &api(&format!("images/v1/{id}")),
        ]),
    );
    // Failures use the same envelope.
    let (s, bad) = record(
        "/accounts/{account_id}/images/v1",
        "post",
        call(&[
            "-H",
            &auth("wrong-token"),
            "-F",
            &format!("file=@{}", image.display()),
            &api("images/v1"),
        ]),
    );
    assert_eq!(s, 401);
    assert_eq!(bad["errors"][0]["code"], 10000);
    let (s, _) = record(
        "/accounts/{account_id}/images/v1",
        "post",
        call(&[
            "-H",
            &auth(TOKEN),
            "-F",
            &format!("file=@{}", video.display()),
            &api("images/v1"),
        ]),
    );
    assert_eq!(s, 415, "a video is not an image");

    // Stream: a tus upload by a third-party client, then the video API.
    let tuspy = Command::new("python3")
        .args([
            "-c",
            r#"
import sys
from tusclient import client
c = client.TusClient(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
u = c.uploader(sys.argv[3], chunk_size=5 * 1024 * 1024, metadata={"name": "clip.mp4"})
u.upload()
print(u.url)
"#,
        ])
        .arg(api("stream"))
        .arg(TOKEN)
        .arg(&video)
        .output()
        .expect("python3 with tuspy");
    assert!(
        tuspy.status.success(),
        "tuspy failed: {}",
        String::from_utf8_lossy(&tuspy.stderr)
    );
    let (_, list) = record(
        "/accounts/{account_id}/stream",
        "get",
        call(&["-H", &auth(TOKEN), &api("stream")]),
    );
    assert_eq!(list["result"].as_array().unwrap().len(), 1);
    let uid = list["result"][0]["uid"].as_str().unwrap().to_string();
    assert_eq!(list["result"][0]["size"], 6 * MIB as u64 + 10);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let (_, video_json) = record(
        "/accounts/{account_id}/stream/{identifier}",
        "get",
        call(&["-H", &auth(TOKEN), &api(&format!("stream/{uid}"))]),
    );
    assert_eq!(video_json["result"]["readyToStream"], true, "{video_json}");
    assert_eq!(video_json["result"]["meta"]["name"], "clip.mp4");
    record(
        "/accounts/{account_id}/stream/{identifier}/token",
        "post",
        call(&[
            "-X",
            "POST",
            "-H",
            &auth(TOKEN),
            &api(&format!("stream/{uid}/token")),
        ]),
    );
    let (s, _) = record(
        "/accounts/{account_id}/stream/{identifier}",
        "get",
        call(&[
            "-H",
            &auth(TOKEN),
            &api("stream/00000000000000000000000000000000"),
        ]),
    );
    assert_eq!(s, 404);
    let (s, _) = record(
        "/accounts/{account_id}/stream",
        "get",
        call(&["-H", &auth(EXPIRED), &api("stream")]),
    );
    assert_eq!(s, 401);
    let (s, live) = record(
        "/accounts/{account_id}/stream/live_inputs",
        "post",
        call(&[
            "-H",
            &auth(TOKEN),
            "-H",
            "Content-Type: application/json",
            "-d",
            "{\"meta\":{\"name\":\"Week 3\"},\"recording\":{\"mode\":\"automatic\"},\"deleteRecordingAfterDays\":45}",
            &api("stream/live_inputs"),
        ]),
    );
    assert_eq!(s, 200, "{live}");
    record(
        "/accounts/{account_id}/stream/live_inputs",
        "get",
        call(&["-H", &auth(TOKEN), &api("stream/live_inputs")]),
    );
    validate(&ex);
}

#[test]
fn stream_enforces_chunk_rules_and_reads_metadata_keys_in_any_case() {
    let sim = CloudSim::start(50);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "rules.mp4", 12 * MIB, 4);
    let create = |meta: &str, query: &str| {
        let out = Command::new("curl")
            .args([
                "-s",
                "-i",
                "-X",
                "POST",
                "-H",
                &auth(TOKEN),
                "-H",
                "Tus-Resumable: 1.0.0",
            ])
            .args([
                "-H",
                &format!("Upload-Length: {}", 12 * MIB),
                "-H",
                &format!("Upload-Metadata: {meta}"),
            ])
            .arg(format!("{}/accounts/{ACCOUNT}/stream{query}", sim.api))
            .output()
            .unwrap();
        let head = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(head.starts_with("HTTP/1.1 201"), "{head}");
        assert!(
            head.to_lowercase().contains("\nupload-expires: "),
            "the creation reply says when the upload expires: {head}"
        );
        let header = |name: &str| {
            head.lines()
                .find(|l| l.to_lowercase().starts_with(&format!("{name}:")))
                .map(|l| l.split_once(':').unwrap().1.trim().to_string())
                .unwrap()
        };
        (header("location"), header("stream-media-id"))
    };
    // "NAME" and "RequireSignedURLs" as a user of the camelCase docs would write them.
    let (location, uid) = create(
        "NAME Y2FzZS5tcDQ=,RequireSignedURLs,AllowedOrigins ZXhhbXBsZS5jb20=",
        "",
    );
    // The upload URL is on another origin than the API, as Cloudflare's is (api-facts B.1).
    assert!(!location.starts_with(&sim.base), "{location}");
    assert!(location.starts_with(&sim.upload_base), "{location}");
    let send = |location: &str, token: Option<&str>, offset: usize, len: usize| {
        let mut curl = Command::new("curl");
        curl.args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH"]);
        if let Some(token) = token {
            curl.args(["-H", &auth(token)]);
        }
        let out = curl
            .args([
                "-H",
                "Tus-Resumable: 1.0.0",
                "-H",
                "Content-Type: application/offset+octet-stream",
            ])
            .args(["-H", &format!("Upload-Offset: {offset}")])
            .args(["--data-binary", "@-"])
            .arg(location)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let bytes = std::fs::read(&video).unwrap();
        let mut out = out;
        out.stdin
            .take()
            .unwrap()
            .write_all(&bytes[offset..offset + len])
            .unwrap();
        String::from_utf8(out.wait_with_output().unwrap().stdout).unwrap()
    };
    let patch = |offset: usize, len: usize| send(&location, Some(TOKEN), offset, len);
    // The upload origin wants the token, as Cloudflare's does for uploads made with one.
    assert_eq!(send(&location, None, 0, 5 * MIB), "400", "no token");
    assert_eq!(send(&location, Some("wrong-token"), 0, 5 * MIB), "401");
    assert_eq!(
        send(&location, Some(IMAGES_ONLY), 0, 5 * MIB),
        "403",
        "a token without Stream permission"
    );
    assert_eq!(
        patch(0, 4 * MIB),
        "400",
        "a non-final chunk under 5 MiB is refused"
    );
    assert_eq!(
        patch(0, 5 * MIB + 1),
        "400",
        "a non-final chunk off the 256 KiB grid is refused"
    );
    assert_eq!(patch(0, 5 * MIB), "204");
    assert_eq!(patch(0, 5 * MIB), "409", "a stale offset is a conflict");
    assert_eq!(patch(5 * MIB, 5 * MIB), "204");
    assert_eq!(
        patch(10 * MIB, 2 * MIB),
        "204",
        "the final chunk may be short"
    );
    let (_, v) = call(&[
        "-H",
        &auth(TOKEN),
        &format!("{}/accounts/{ACCOUNT}/stream/{uid}", sim.api),
    ]);
    assert_eq!(v["result"]["meta"]["name"], "case.mp4");
    assert_eq!(v["result"]["requireSignedURLs"], true);
    assert_eq!(v["result"]["allowedOrigins"], json!(["example.com"]));
    assert_ne!(
        v["result"]["status"]["state"], "pendingupload",
        "processing starts when the last byte lands"
    );

    // A request without Tus-Resumable is refused the tus way.
    let (s, _) = call(&[
        "-X",
        "PATCH",
        "-H",
        "Content-Type: application/offset+octet-stream",
        "-H",
        "Upload-Offset: 0",
        &location,
    ]);
    assert_eq!(s, 412);

    // A direct_user upload's URL is the credential: no token there.
    let (direct, _) = create("name ZGlyZWN0Lm1wNA==", "?direct_user=true");
    assert_eq!(send(&direct, None, 0, 5 * MIB), "204");
}

#[test]
fn basic_uploads_limits_and_the_processing_states() {
    let sim = CloudSim::start(1500);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "basic.mp4", 3 * MIB, 8);
    let (big, _) = png(dir.path(), "big.png", 1000, 1000, 10 * MIB + 1);
    let api = |p: &str| format!("{}/accounts/{ACCOUNT}/{p}", sim.api);

    // Images: over 10 MB is refused by the server too (not only by Ferry's pre-flight).
    let (s, body) = call(&[
        "-H",
        &auth(TOKEN),
        "-F",
        &format!("file=@{}", big.display()),
        &api("images/v1"),
    ]);
    assert_eq!(s, 413, "{body}");
    assert_eq!(body["success"], false);

    // Stream: a basic multipart upload (under 200 MB) without tus.
    let (s, body) = call(&[
        "-H",
        &auth(TOKEN),
        "-F",
        &format!("file=@{}", video.display()),
        &api("stream"),
    ]);
    assert_eq!(s, 200, "{body}");
    let uid = body["result"]["uid"].as_str().unwrap().to_string();
    assert_eq!(body["result"]["size"], 3 * MIB as u64);

    // pendingupload (none here: basic uploads arrive whole) → queued → inprogress → ready.
    let mut states = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, v) = call(&["-H", &auth(TOKEN), &api(&format!("stream/{uid}"))]);
        let state = v["result"]["status"]["state"].as_str().unwrap().to_string();
        if states.last() != Some(&state) {
            states.push(state.clone());
        }
        if state == "ready" {
            assert_eq!(v["result"]["readyToStream"], true);
            assert!(v["result"]["thumbnail"].is_string() && v["result"]["preview"].is_string());
            break;
        }
        assert_eq!(v["result"]["readyToStream"], false, "{v}");
        assert!(
            std::time::Instant::now() < deadline,
            "never ready: {states:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(states, ["queued", "inprogress", "ready"]);

    // A tus upload is `pendingupload` until its last byte.
    let out = Command::new("curl")
        .args([
            "-s",
            "-i",
            "-X",
            "POST",
            "-H",
            &auth(TOKEN),
            "-H",
            "Tus-Resumable: 1.0.0",
            "-H",
            "Upload-Length: 10",
        ])
        .arg(api("stream"))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    let uid = head
        .lines()
        .find_map(|l| l.strip_prefix("stream-media-id:"))
        .unwrap()
        .trim()
        .to_string();
    let (_, v) = call(&["-H", &auth(TOKEN), &api(&format!("stream/{uid}"))]);
    assert_eq!(v["result"]["status"]["state"], "pendingupload");
}

/// Cloudflare's own client (the `cloudflare` package on PyPI, types generated from Cloudflare's
/// OpenAPI) against every endpoint the emulator serves: tokens, Images v1 and v2 (custom paths,
/// edit with creator, blobs, keys, continuation), direct uploads (Images and Stream), Stream tus creation (the bytes
/// by tuspy on the upload origin), get, list with limit and after, playback tokens, delete, and
/// the refusals (wrong, unauthorised and malformed tokens; an unknown path).
#[test]
fn cloudflares_official_sdk_agrees_with_the_emulator() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = png(dir.path(), "cover.png", 64, 64, 4_000);
    let (video, _) = mp4(dir.path(), "clip.mp4", 6 * MIB + 10, 9);
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/support/sdk_check.py"))
        .args([&sim.api, ACCOUNT, TOKEN, IMAGES_ONLY])
        .arg(&image)
        .arg(&video)
        .output()
        .expect("python3 with the cloudflare SDK (scripts/setup.sh --test)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("all SDK checks passed"), "{report}");
    assert!(
        report.contains("ok   stream.direct_upload.create"),
        "{report}"
    );
}
