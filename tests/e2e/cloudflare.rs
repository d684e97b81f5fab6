//! Cloudflare Images, Stream and R2 through the local emulator (ferry-cloudsim), as a user with
//! the seeds' variables would use them: routing by kind, delivery URLs that open, resume after
//! `kill -9` mid-video, signed links, and clear errors for bad tokens, missing permissions,
//! 429/5xx, malformed replies and oversize images — with nothing lost from the queue.

use ferry_e2e::checker::Checker;
use ferry_e2e::cloudsim::{self, CloudSim, fetch};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{mp4, png};
use ferry_e2e::servers::BUCKET;
use ferry_e2e::sha256_hex;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

fn by_name<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no line for {name}: {lines:?}"))
}

#[test]
fn each_kind_goes_to_its_service_and_every_url_opens() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let (video, video_bytes) = mp4(dir.path(), "Leçon 1 intro.mp4", 12 * MIB + 777, 1);
    let (image, image_bytes) = png(dir.path(), "cover.png", 640, 480, 40_000);
    let pdf = dir.path().join("syllabus.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% course syllabus\n").unwrap();

    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_STREAM_CHUNK_MIB", "5").set(
        "FERRY_STREAM_ALLOWED_ORIGINS",
        "course.example.com,localhost:5173",
    );
    let run = ferry.run_paths(&["upload", "--json"], &[&video, &image, &pdf]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = run.lines();

    // Video → Stream, processed, with every playback link.
    let v = by_name(&lines, "Leçon 1 intro.mp4");
    assert_eq!(v["destination"], "stream");
    assert_eq!(v["state"], "done");
    let hls = v["url"].as_str().unwrap();
    assert!(hls.ends_with("/manifest/video.m3u8"), "{hls}");
    for link in ["hls", "dash", "iframe", "thumbnail", "watch"] {
        let url = v["links"][link]
            .as_str()
            .unwrap_or_else(|| panic!("no {link} link: {v}"));
        assert_eq!(fetch(url).0, 200, "{link} {url}");
    }
    let (code, manifest) = fetch(hls);
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&manifest).starts_with("#EXTM3U"));
    let original = hls.replace("/manifest/video.m3u8", "/original");
    assert!(
        fetch(&original).1 == video_bytes,
        "Stream holds other bytes"
    );
    let videos = sim.videos();
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0]["uid"], v["key"]);
    assert_eq!(videos[0]["meta"]["name"], "Leçon 1 intro.mp4");
    assert_eq!(
        videos[0]["allowedOrigins"],
        json!(["course.example.com", "localhost:5173"])
    );
    assert_eq!(videos[0]["status"]["state"], "ready");

    // Image → Images, under the key template as its id, variant URL opens to our bytes.
    let i = by_name(&lines, "cover.png");
    assert_eq!(i["destination"], "images");
    let id = i["key"].as_str().unwrap();
    assert!(
        id.starts_with("images/") && id.ends_with("_cover.png"),
        "{id}"
    );
    let url = i["url"].as_str().unwrap();
    assert!(url.ends_with("/public"), "{url}");
    assert!(fetch(url).1 == image_bytes, "Images holds other bytes");
    assert!(i["links"]["thumbnail"].is_string());
    assert_eq!(sim.images().len(), 1);

    // Everything else → R2, checked by boto3.
    let p = by_name(&lines, "syllabus.pdf");
    assert_eq!(p["destination"], "r2");
    let checker = Checker::new(&sim.r2_endpoint, BUCKET);
    let key = p["key"].as_str().unwrap();
    assert_eq!(
        checker.sha256(key),
        sha256_hex(&std::fs::read(&pdf).unwrap())
    );

    // The same files again: recognised, nothing sent twice.
    let again = ferry.run_paths(&["upload", "--json"], &[&video, &image, &pdf]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.lines().iter().all(|l| l["deduplicated"] == true),
        "{}",
        again.stdout
    );
    assert_eq!(sim.videos().len(), 1);
    assert_eq!(sim.images().len(), 1);
    assert_eq!(checker.list().len(), 1);

    // Copyable forms.
    let embed = ferry.run(&["url", &v["id"].to_string(), "--format", "iframe"]);
    assert!(
        embed.stdout.contains("<iframe src=\"") && embed.stdout.contains("/iframe\""),
        "{}",
        embed.stdout
    );
    let md = ferry.run(&["url", &i["id"].to_string(), "--format", "markdown"]);
    assert!(md.stdout.starts_with("![cover.png]("), "{}", md.stdout);

    // The API token and the R2 secret are nowhere in what Ferry wrote or printed.
    for secret in [cloudsim::TOKEN, ferry_e2e::servers::SECRET_KEY] {
        ferry_e2e::assert_secret_absent(
            ferry.home.path(),
            &[
                &run.stdout,
                &run.stderr,
                &again.stdout,
                &again.stderr,
                &embed.stdout,
                &md.stdout,
            ],
            secret,
        );
    }
}

#[test]
fn kill_during_a_stream_upload_resumes_the_same_video() {
    let sim = CloudSim::start(200);
    let dir = tempfile::tempdir().unwrap();
    let (video, bytes) = mp4(dir.path(), "lecture.mp4", 26 * MIB + 5, 7); // 6 chunks of 5 MiB
    // The third PATCH hangs: the kill finds two chunks confirmed and one in flight.
    sim.faults(json!([{"path_contains": "/tus/", "method": "PATCH", "skip": 2, "count": 1, "delay_ms": 600000, "drop": true}]));
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_STREAM_CHUNK_MIB", "5");
    let mut child = ferry.spawn(&["upload", "--json"], &[&video]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while sim.fired() < 1 {
        assert!(
            Instant::now() < deadline,
            "the upload never reached the third chunk"
        );
        assert!(child.try_wait().unwrap().is_none(), "ferry exited early");
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = ferry.status();
    assert_eq!(before[0]["state"], "uploading");
    assert_eq!(
        before[0]["bytes_done"],
        10 * MIB as u64,
        "two chunks are committed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // Count what the resumed run sends.
    sim.faults(json!([{"path_contains": "/tus/", "method": "PATCH"}]));
    let resumed = ferry.run(&["resume", "--json"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    let line = &resumed.lines()[0];
    assert_eq!(line["state"], "done");
    assert_eq!(sim.fired(), 4, "only chunks 3 to 6 are sent again");
    let videos = sim.videos();
    assert_eq!(videos.len(), 1, "one video, not two");
    assert_eq!(videos[0]["uid"], line["key"]);
    let original = line["url"]
        .as_str()
        .unwrap()
        .replace("/manifest/video.m3u8", "/original");
    assert!(
        fetch(&original).1 == bytes,
        "the resumed video has other bytes"
    );
    assert_eq!(line["attempts"], 2);
}

#[test]
fn bad_tokens_and_missing_permissions_say_what_to_fix_and_lose_nothing() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "week1.mp4", 2 * MIB, 3);

    let ferry = Ferry::cloudflare(&sim, cloudsim::EXPIRED);
    let run = ferry.run_paths(&["upload", "--json"], &[&video]);
    assert_eq!(run.code, 1);
    let line = &run.lines()[0];
    assert_eq!(line["state"], "failed");
    assert_eq!(line["error"]["code"], "unauthenticated");
    let msg = line["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("week1.mp4") && msg.contains("CLOUDFLARE_API_TOKEN"),
        "{msg}"
    );
    assert!(!run.stdout.contains(cloudsim::EXPIRED) && !run.stderr.contains(cloudsim::EXPIRED));

    // With a token that may use Images only, Stream names the missing permission.
    let mut limited = Ferry::cloudflare(&sim, cloudsim::IMAGES_ONLY);
    limited.home = tempfile::tempdir().unwrap();
    let run = limited.run_paths(&["upload", "--json"], &[&video]);
    let line = &run.lines()[0];
    assert_eq!(line["error"]["code"], "permission_denied");
    assert!(
        line["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Stream: Edit"),
        "{line}"
    );
    let check = limited.run(&["check"]);
    assert_eq!(check.code, 1);
    assert!(
        check.stdout.contains("✓ Images") && check.stdout.contains("✗ Stream"),
        "{}",
        check.stdout
    );

    // An account-owned token is verified on the account endpoint.
    let mut account = Ferry::cloudflare(&sim, cloudsim::ACCOUNT_TOKEN);
    account.home = tempfile::tempdir().unwrap();
    let check = account.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(
        check.stdout.contains("✓ API token: valid and active"),
        "{}",
        check.stdout
    );
    let expired = Ferry::cloudflare(&sim, cloudsim::EXPIRED)
        .fresh()
        .run(&["check"]);
    assert_eq!(expired.code, 1);
    assert!(
        expired.stdout.contains("✗ API token: the token is expired"),
        "{}",
        expired.stdout
    );

    // Fix the token: the failed job is still queued and goes through.
    let fixed = {
        let mut f = Ferry::cloudflare(&sim, cloudsim::TOKEN);
        f.home = ferry.home;
        f
    };
    assert_eq!(fixed.run(&["retry", "--failed"]).code, 0);
    let run = fixed.run(&["resume", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.lines()[0]["state"], "done");
    assert_eq!(sim.videos().len(), 1);
}

#[test]
fn rate_limits_server_errors_and_dropped_connections_are_ridden_out() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (video, bytes) = mp4(dir.path(), "talk.mp4", 11 * MIB, 5);
    let (image, _) = png(dir.path(), "slide.png", 800, 600, 10_000);
    sim.faults(json!([
        {"path_contains": "/stream", "method": "POST", "status": 429, "retry_after": 1, "count": 2},
        {"path_contains": "/tus/", "method": "PATCH", "status": 503, "count": 3},
        {"path_contains": "/images/v1", "method": "POST", "status": 502, "count": 2},
        {"path_contains": "/stream/", "method": "GET", "drop": true, "count": 2},
    ]));
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_STREAM_CHUNK_MIB", "5");
    let started = Instant::now();
    let run = ferry.run_paths(&["upload", "--json"], &[&video, &image]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(sim.fired(), 9, "every fault was met and ridden out");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After was honoured"
    );
    let v = by_name(&run.lines(), "talk.mp4").clone();
    let original = v["url"]
        .as_str()
        .unwrap()
        .replace("/manifest/video.m3u8", "/original");
    assert!(fetch(&original).1 == bytes);
    assert_eq!(sim.videos().len(), 1, "retries did not create extra videos");
    assert_eq!(sim.images().len(), 1, "retries did not create extra images");
}

#[test]
fn a_malformed_reply_fails_clearly_and_a_retry_finishes_the_job() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (image, bytes) = png(dir.path(), "diagram.png", 300, 300, 5_000);
    sim.faults(json!([{"path_contains": "/images/v1", "method": "POST", "status": 200, "body": "<html>upstream gateway</html>", "count": 1}]));
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let run = ferry.run_paths(&["upload", "--json"], &[&image]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = &run.lines()[0];
    assert_eq!(line["error"]["code"], "protocol", "{line}");
    let msg = line["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("diagram.png") && msg.contains("envelope"),
        "{msg}"
    );
    assert_eq!(ferry.run(&["retry", "--failed"]).code, 0);
    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let url = run.lines()[0]["url"].as_str().unwrap().to_string();
    assert!(fetch(&url).1 == bytes);
    assert_eq!(sim.images().len(), 1);
}

#[test]
fn private_videos_and_images_get_signed_links() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "exam.mp4", MIB, 9);
    let (image, bytes) = png(dir.path(), "answers.png", 100, 100, 3_000);
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry
        .set("FERRY_STREAM_REQUIRE_SIGNED_URLS", "1")
        .set("FERRY_IMAGES_REQUIRE_SIGNED_URLS", "1");
    let run = ferry.run_paths(&["upload", "--json"], &[&video, &image]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.lines();

    let v = by_name(&lines, "exam.mp4");
    let uid = v["key"].as_str().unwrap();
    let signed = v["url"].as_str().unwrap();
    assert!(
        !signed.contains(uid),
        "the token replaces the uid: {signed}"
    );
    assert_eq!(fetch(signed).0, 200);
    let unsigned = format!("{}/stream-delivery/{uid}/manifest/video.m3u8", sim.base);
    assert_eq!(
        fetch(&unsigned).0,
        403,
        "a private video does not play without a token"
    );
    // A video is pasted as its player, signed like its playlist: the link is the watch page,
    // the HTML and the embed are the player's iframe (a <video> of an HLS playlist plays only
    // in Safari).
    let fresh = ferry.run(&["url", &v["id"].to_string(), "--expires", "2h"]);
    let watch = fresh.stdout.trim();
    assert!(watch.ends_with("/watch") && !watch.contains(uid), "{watch}");
    assert_eq!(fetch(watch).0, 200);
    assert!(fresh.stderr.contains("stops working"), "{}", fresh.stderr);
    for format in ["html", "iframe"] {
        let embed = ferry.run(&["url", &v["id"].to_string(), "--format", format]);
        assert_eq!(embed.code, 0, "{}", embed.stderr);
        let src = embed.stdout.split("src=\"").nth(1).unwrap();
        let src = src.split('"').next().unwrap();
        assert!(src.ends_with("/iframe") && !src.contains(uid), "{src}");
        let (code, page) = fetch(src);
        assert_eq!(code, 200, "{format}: {src}");
        assert!(
            String::from_utf8_lossy(&page).contains("<video"),
            "{format}"
        );
    }
    let bare_player = format!("{}/stream-delivery/{uid}/iframe", sim.base);
    assert_eq!(fetch(&bare_player).0, 403, "the player needs the token too");
    // An image has no player to embed.
    let i = by_name(&lines, "answers.png");
    let no_embed = ferry.run(&["url", &i["id"].to_string(), "--format", "iframe"]);
    assert_eq!(no_embed.code, 2, "{}", no_embed.stdout);
    assert!(
        no_embed.stderr.contains("only Stream videos"),
        "{}",
        no_embed.stderr
    );
    // Stream signs playback for at most 24 hours: a longer "expiring" link is refused, not
    // quietly shortened.
    let long = ferry.run(&["url", &v["id"].to_string(), "--expires", "2d"]);
    assert_eq!(long.code, 2, "{}", long.stdout);
    assert!(long.stderr.contains("24 hours"), "{}", long.stderr);

    let i = by_name(&lines, "answers.png");
    let url = i["url"].as_str().unwrap();
    assert!(url.contains("exp=") && url.contains("sig="), "{url}");
    assert!(fetch(url).1 == bytes);
    let bare = url.split('?').next().unwrap();
    assert_eq!(fetch(bare).0, 403);
    let tampered = url.replace("exp=", "exp=1");
    assert_eq!(fetch(&tampered).0, 403);
}

#[test]
fn images_over_the_limits_go_to_r2_or_fail_with_the_limit_named() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (wide, _) = png(dir.path(), "panorama.png", 13_000, 400, 9_000);
    let (heavy, _) = png(dir.path(), "poster.png", 2000, 2000, 11 * MIB);
    // Fitting them to Images is turned off: they go to R2 at full size, as the teacher chose.
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_IMAGES_FIT", "0");
    let run = ferry.run_paths(&["upload", "--json"], &[&wide, &heavy]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in run.lines() {
        assert_eq!(line["destination"], "r2", "{line}");
        assert_eq!(line["state"], "done");
    }
    assert_eq!(sim.images().len(), 0);

    assert!(
        run.stderr.contains("panorama.png") && run.stderr.contains("sent to r2 instead"),
        "{}",
        run.stderr
    );

    let mut forced = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    forced.set("FERRY_IMAGES_FIT", "0");
    let run = forced.run_paths(&["upload", "--json", "--to", "images"], &[&wide, &heavy]);
    assert_eq!(run.code, 1);
    let text = run.stdout;
    assert!(
        text.contains("panorama.png") && text.contains("12000 px per side"),
        "{text}"
    );
    assert!(
        text.contains("poster.png") && text.contains("10 MB limit"),
        "{text}"
    );
}

#[test]
fn a_video_stream_cannot_process_fails_with_streams_reason() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    // An MPEG transport stream's packet syncs around garbage: Ferry's pre-flight takes the
    // container, Stream finds no video in it while processing and refuses it.
    let path = dir.path().join("broken lecture.ts");
    let mut bytes = ferry_e2e::data(188 * 1600, 11);
    for packet in bytes.chunks_mut(188) {
        packet[0] = 0x47;
    }
    std::fs::write(&path, bytes).unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let run = ferry.run_paths(&["upload", "--json"], &[&path]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = &run.lines()[0];
    assert_eq!(line["destination"], "stream");
    assert_eq!(line["error"]["code"], "unsupported_type");
    let msg = line["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("broken lecture.ts") && msg.contains("ERR_NON_VIDEO"),
        "{msg}"
    );
}

#[test]
fn an_upload_that_expired_starts_again_and_says_so() {
    let sim = CloudSim::start_with(100, 0, None, &["--upload-expiry-secs", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let (video, bytes) = mp4(dir.path(), "seminar.mp4", 12 * MIB, 12);
    sim.faults(json!([{"path_contains": "/tus/", "method": "PATCH", "skip": 1, "count": 1, "delay_ms": 600000, "drop": true}]));
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_STREAM_CHUNK_MIB", "5");
    let mut child = ferry.spawn(&["upload", "--json"], &[&video]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while sim.fired() < 1 {
        assert!(
            Instant::now() < deadline,
            "the upload never reached the second chunk"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    sim.clear_faults();
    std::thread::sleep(Duration::from_millis(2500)); // the unfinished upload expires
    let run = ferry.run(&["resume", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("seminar.mp4") && run.stderr.contains("starting it again"),
        "{}",
        run.stderr
    );
    let line = &run.lines()[0];
    let original = line["url"]
        .as_str()
        .unwrap()
        .replace("/manifest/video.m3u8", "/original");
    assert!(fetch(&original).1 == bytes);
    let videos = sim.videos();
    assert_eq!(
        videos.len(),
        1,
        "the expired upload is gone, the new one is there"
    );
    assert_eq!(videos[0]["uid"], line["key"]);
}

/// A video added to a course carries the course in Stream's `meta` beside its name and file
/// name, so the course library can be found in Stream too.
#[test]
fn a_course_video_carries_its_course_in_streams_meta() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "Lecture 3.mp4", MIB + 11, 3);
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let added = ferry.run(&["course", "add", "Histoire-géo 4e"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let run = ferry.run_paths(
        &["upload", "--json", "--course", "Histoire-géo 4e"],
        &[&video],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let videos = sim.videos();
    assert_eq!(
        videos[0]["meta"]["course"], "Histoire-géo 4e",
        "{}",
        videos[0]
    );
    assert_eq!(videos[0]["meta"]["name"], "Lecture 3.mp4");
    assert_eq!(videos[0]["meta"]["filename"], "Lecture 3.mp4");
}
