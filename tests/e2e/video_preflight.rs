//! Videos are read before they are sent to Stream: a lecture made by FFmpeg is measured by
//! Ferry as ffprobe (a reader Ferry did not write) measures it; a course's longest video refuses
//! a longer one before any byte reaches Stream, with its length and the limit in words; Stream
//! is told the limit (`maxDurationSeconds`: the course's, else the video's own length and a
//! minute); and a file named like a video that is none is refused before sending.

use ferry_e2e::cloudsim::{self, CloudSim};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::test_video;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A real H.264 MP4 of `seconds`, 320×240, made by FFmpeg's test pattern.
fn lecture(dir: &Path, name: &str, seconds: u32) -> PathBuf {
    test_video(&dir.join(name), seconds, "320x240", 5)
}

/// ffprobe's reading: (duration in seconds, width, height, codec name).
fn ffprobe(path: &Path) -> (f64, u64, u64, String) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["streams"][0];
    (
        v["format"]["duration"].as_str().unwrap().parse().unwrap(),
        s["width"].as_u64().unwrap(),
        s["height"].as_u64().unwrap(),
        s["codec_name"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_video_is_measured_as_ffprobe_measures_it_and_stream_is_told_its_limit() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let video = lecture(dir.path(), "Lecture 7.mp4", 75);
    let (secs, w, h, codec) = ffprobe(&video);
    assert_eq!(codec, "h264");
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let out = ferry.run_paths(&["upload", "--json"], &[&video]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    assert_eq!(job["destination"], "stream");
    let facts = &job["video"];
    assert!(
        (facts["duration_secs"].as_f64().unwrap() - secs).abs() < 0.1,
        "{facts} vs ffprobe {secs}"
    );
    assert_eq!(
        (facts["width"].as_u64(), facts["height"].as_u64()),
        (Some(w), Some(h))
    );
    assert_eq!(facts["codec"], "H.264");
    assert_eq!(facts["container"], "MP4");
    // Stream is told the video's own length and a minute.
    let stream = &sim.videos()[0];
    assert_eq!(stream["maxDurationSeconds"], 75 + 60, "{stream}");
    let status = ferry.run(&["status"]);
    assert!(
        status.stdout.contains("1 min 15 s, 320×240, H.264"),
        "{}",
        status.stdout
    );
}

#[test]
fn a_course_refuses_a_longer_video_before_sending_and_tells_stream_its_limit() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let long = lecture(dir.path(), "Guest talk.mp4", 75);
    let short = lecture(dir.path(), "Warm-up.mp4", 20);
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let add = ferry.run(&["course", "add", "Short clips", "--max-video-minutes", "1"]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    assert!(
        add.stdout.contains("videos of at most 1 min"),
        "{}",
        add.stdout
    );

    let out = ferry.run_paths(
        &["upload", "--json", "--course", "Short clips"],
        &[&long, &short],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let lines = out.lines();
    let refused = lines
        .iter()
        .find(|l| l["name"] == "Guest talk.mp4")
        .unwrap();
    assert_eq!(refused["state"], "failed", "{refused}");
    assert_eq!(refused["error"]["code"], "too_large", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Guest talk.mp4 lasts 1 min 15 s"),
        "{message}"
    );
    assert!(message.contains("at most 1 min. Trim it"), "{message}");
    assert_eq!(
        refused["attempts"], 1,
        "refused at once, not retried: {refused}"
    );
    let videos = sim.videos();
    assert_eq!(
        videos.len(),
        1,
        "only the short one reached Stream: {videos:?}"
    );
    assert_eq!(videos[0]["meta"]["name"], "Warm-up.mp4");
    assert_eq!(
        videos[0]["maxDurationSeconds"], 60,
        "Stream enforces the course's limit too"
    );
}

#[test]
fn a_file_named_like_a_video_that_is_none_is_refused_before_sending() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("Lecture 9.mov");
    std::fs::write(&fake, ferry_e2e::data(300_000, 4)).unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let out = ferry.run_paths(&["upload", "--json"], &[&fake]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    assert_eq!(job["destination"], "stream", "{job}");
    assert_eq!(job["error"]["code"], "unsupported_type", "{job}");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("is not a video stream can take"),
        "{message}"
    );
    assert!(message.contains("export it again as MP4"), "{message}");
    assert!(sim.videos().is_empty(), "nothing reached Stream");
    assert_eq!(job["bytes_done"], 0);
}

#[test]
fn a_webm_longer_than_the_course_allows_is_refused_through_ffprobe() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let long = test_video(&dir.path().join("Seminar.webm"), 75, "160x120", 2);
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let add = ferry.run(&["course", "add", "Short clips", "--max-video-minutes", "1"]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    let out = ferry.run_paths(&["upload", "--json", "--course", "Short clips"], &[&long]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let job = &out.lines()[0];
    assert_eq!(job["error"]["code"], "too_large", "{job}");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Seminar.webm lasts 1 min 15 s"),
        "{message}"
    );
    assert!(sim.videos().is_empty(), "nothing reached Stream");

    // Without ffprobe its length is unknown here: it is sent, and Stream is told the limit.
    ferry.set("FERRY_FFPROBE", "none");
    let again = ferry.run_paths(
        &["upload", "--json", "--course", "Short clips", "--force"],
        &[&long],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let videos = sim.videos();
    assert_eq!(videos.len(), 1, "{videos:?}");
    assert_eq!(videos[0]["maxDurationSeconds"], 60, "{videos:?}");
}
