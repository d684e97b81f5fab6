//! Video for courses, end to end against ferry-cloudsim through the `ferry` binary: captions
//! (files added, converted, generated, deleted; caption files travelling with their video, in
//! a drop and in a watched folder), live lessons (their stream key nowhere Ferry writes), and
//! videos changed after upload, one at a time or by course. Stream's side is always read from
//! the emulator, not through Ferry.

use ferry_e2e::cloudsim::{self, CloudSim, fetch};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{mp4, png};
use serde_json::json;
use std::time::Duration;

const MIB: usize = 1024 * 1024;

/// Captions, as a teacher adds them from the command line: a SubRip file named for its language
/// becomes WebVTT on the video (read back from the emulator, not through Ferry), generated
/// captions are asked for and become ready, a second file in the same language replaces the
/// first, and what cannot work is refused with what to do.
#[test]
fn captions_are_added_generated_listed_and_deleted() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "Lecture 4.mp4", MIB + 7, 4);
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let run = ferry.run_paths(&["upload", "--json"], &[&video]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let uid = sim.videos()[0]["uid"].as_str().unwrap().to_string();
    let video_arg = video.to_str().unwrap();

    let srt = dir.path().join("Lecture 4.fr.srt");
    std::fs::write(
        &srt,
        "1\r\n00:00:01,000 --> 00:00:02,500\r\nBonjour, la classe\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nOuvrez vos cahiers\r\n",
    )
    .unwrap();
    let added = ferry.run(&[
        "captions",
        "add",
        video_arg,
        srt.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(added.code, 0, "{}\n{}", added.stdout, added.stderr);
    let caption = &added.lines()[0];
    assert_eq!(caption["language"], "fr", "{caption}");
    assert_eq!(caption["label"], "Français");
    assert_eq!(caption["status"], "ready");
    let (code, vtt) = cloudsim::curl(&[
        "-s",
        "-w",
        "\n%{http_code}",
        "-H",
        &format!("Authorization: Bearer {}", cloudsim::TOKEN),
        &format!(
            "{}/accounts/{}/stream/{uid}/captions/fr/vtt",
            sim.api,
            cloudsim::ACCOUNT
        ),
    ]);
    assert_eq!(code, 0);
    assert!(vtt.ends_with("\n200"), "{vtt}");
    assert!(
        vtt.starts_with("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nBonjour, la classe\n"),
        "{vtt}"
    );

    // Generated captions in English: in progress, then ready.
    let generated = ferry.run(&["captions", "generate", video_arg, "--json"]);
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    assert_eq!(generated.lines()[0]["status"], "inprogress");
    assert_eq!(generated.lines()[0]["generated"], true);
    std::thread::sleep(std::time::Duration::from_millis(400));
    let listed = ferry.run(&["captions", "list", video_arg, "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let mut languages: Vec<(String, String)> = listed
        .lines()
        .iter()
        .map(|c| {
            (
                c["language"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    languages.sort();
    assert_eq!(
        languages,
        [("en".into(), "ready".into()), ("fr".into(), "ready".into())]
    );

    // A second French file replaces the first: one caption per language.
    let vtt_file = dir.path().join("better.vtt");
    std::fs::write(
        &vtt_file,
        "WEBVTT\n\n00:00:00.500 --> 00:00:01.000\nSalut\n",
    )
    .unwrap();
    let again = ferry.run(&[
        "captions",
        "add",
        video_arg,
        vtt_file.to_str().unwrap(),
        "--language",
        "fr",
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        ferry
            .run(&["captions", "list", video_arg, "--json"])
            .lines()
            .len(),
        2
    );

    // Refusals, each naming the file and what to do.
    let not_vtt = dir.path().join("notes.vtt");
    std::fs::write(&not_vtt, "some notes").unwrap();
    let refused = ferry.run(&["captions", "add", video_arg, not_vtt.to_str().unwrap()]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("notes.vtt") && refused.stderr.contains("WebVTT"),
        "{}",
        refused.stderr
    );
    let unknown = ferry.run(&["captions", "generate", video_arg, "--language", "la"]);
    assert_ne!(unknown.code, 0);
    assert!(
        unknown.stderr.contains("Lecture 4.mp4") && unknown.stderr.contains("cannot be generated"),
        "{}",
        unknown.stderr
    );
    let bad_tag = ferry.run(&["captions", "generate", video_arg, "--language", "French"]);
    assert!(
        bad_tag.stderr.contains("not a language tag"),
        "{}",
        bad_tag.stderr
    );

    let deleted = ferry.run(&["captions", "delete", video_arg, "en"]);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    let left = ferry.run(&["captions", "list", video_arg, "--json"]);
    assert_eq!(left.lines().len(), 1);
    assert_eq!(left.lines()[0]["language"], "fr");
}

/// Generating captions needs a video Stream has finished processing, as on Cloudflare; an
/// image's job has no captions at all.
#[test]
fn captions_wait_for_a_ready_video_and_belong_to_videos_only() {
    let sim = CloudSim::start(60_000);
    let dir = tempfile::tempdir().unwrap();
    let (video, _) = mp4(dir.path(), "Slow.mp4", MIB, 5);
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    // Queue and send it, without waiting for Stream's processing to end.
    let child = ferry.spawn(&["upload", "--json"], &[&video]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while sim
        .videos()
        .first()
        .is_none_or(|v| v["status"]["state"] == "pendingupload")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the video never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    let uid = sim.videos()[0]["uid"].as_str().unwrap().to_string();
    // The emulator refuses generation before the video is ready (Ferry's own check waits for
    // "done", so ask the emulator directly).
    let (_, body) = cloudsim::curl(&[
        "-s",
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {}", cloudsim::TOKEN),
        &format!(
            "{}/accounts/{}/stream/{uid}/captions/en/generate",
            sim.api,
            cloudsim::ACCOUNT
        ),
    ]);
    assert!(body.contains("must be ready"), "{body}");
    // Ferry says the video is not uploaded yet.
    let early = ferry.run(&["captions", "generate", "1"]);
    assert_ne!(early.code, 0);
    assert!(
        early.stderr.contains("not uploaded yet"),
        "{}",
        early.stderr
    );

    let (image, _) = png(dir.path(), "board.png", 64, 48, 2000);
    let other = ferry.fresh();
    let run = other.run_paths(&["upload", "--json"], &[&image]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let refused = other.run(&["captions", "list", image.to_str().unwrap()]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("keeps no captions"),
        "{}",
        refused.stderr
    );
}

/// Caption files dropped with their video travel with it: `lecture.fr.srt` and
/// `lecture.en.vtt` beside `lecture.mp4` become the video's French and English captions once
/// Stream has it ready (read back from the emulator), and are not uploaded as files of their
/// own; a broken one is noted in the job's history without failing the video. Beside a video
/// sent to a bucket, a caption file is a file like any other.
#[test]
fn caption_files_beside_a_video_become_its_captions() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("Week 6");
    std::fs::create_dir(&course).unwrap();
    mp4(&course, "lecture.mp4", MIB + 3, 6);
    std::fs::write(
        course.join("lecture.fr.srt"),
        "1\n00:00:00,000 --> 00:00:01,000\nBonjour\n",
    )
    .unwrap();
    std::fs::write(
        course.join("lecture.en.vtt"),
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHello\n",
    )
    .unwrap();
    std::fs::write(course.join("lecture.de.vtt"), "not captions at all").unwrap();
    std::fs::write(course.join("handout.pdf"), "%PDF-1.4 handout").unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let run = ferry.run_paths(&["upload", "--json"], &[&course]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let names: Vec<String> = run
        .lines()
        .iter()
        .map(|l| {
            l["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["handout.pdf", "lecture.mp4"],
        "caption files are not jobs of their own"
    );
    assert!(
        run.stderr
            .contains("lecture.fr.srt: goes with lecture.mp4 as its fr captions"),
        "{}",
        run.stderr
    );
    let uid = sim.videos()[0]["uid"].as_str().unwrap().to_string();
    let caps = sim.get(&format!("stream/{uid}/captions"))["result"].clone();
    let mut langs: Vec<&str> = caps
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["language"].as_str().unwrap())
        .collect();
    langs.sort();
    assert_eq!(langs, ["en", "fr"], "{caps}");
    let status = ferry.run(&["status", "--json"]);
    let video = status
        .lines()
        .into_iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("lecture.mp4"))
        .unwrap();
    assert_eq!(
        video["state"], "done",
        "a bad caption does not fail the video: {video}"
    );
    let notes = video["notes"].to_string();
    assert!(
        notes.contains("lecture.de.vtt: not added as captions") && notes.contains("WebVTT"),
        "{notes}"
    );
    assert!(
        notes.contains("lecture.fr.srt: added as the video's fr captions"),
        "{notes}"
    );

    // Beside a video sent to a bucket, the caption file is a file like any other.
    let other = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let run = other.run_paths(
        &["upload", "--json", "--to", "r2"],
        &[&course.join("lecture.mp4"), &course.join("lecture.en.vtt")],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.lines().len(), 2, "{}", run.stdout);
}

/// In a watched folder, a caption file beside a video travels with it once, and a later look
/// does not send it on its own.
#[test]
fn a_watched_folders_caption_file_goes_with_its_video_once() {
    use ferry_e2e::watcher::Watcher;
    let sim = CloudSim::start(300);
    let root = tempfile::tempdir().unwrap();
    mp4(root.path(), "lesson.mp4", MIB + 5, 9);
    std::fs::write(
        root.path().join("lesson.fr.vtt"),
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nBonjour\n",
    )
    .unwrap();
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_WATCH_STABLE_MS", "1000");
    let long = Duration::from_secs(60);
    let mut watcher = Watcher::start(&ferry, &[], &[root.path()]);
    watcher.wait_until("the video", long, |s| {
        s.iter().any(|v| v["event"] == "done")
    });
    watcher.drain_for(Duration::from_secs(2));
    let seen = watcher.stop();
    let done: Vec<_> = seen.iter().filter(|v| v["event"] == "done").collect();
    assert_eq!(done.len(), 1, "{done:#?}");
    assert_eq!(done[0]["name"], "lesson.mp4");
    let uid = sim.videos()[0]["uid"].as_str().unwrap().to_string();
    let caps = sim.get(&format!("stream/{uid}/captions"))["result"].clone();
    assert_eq!(caps[0]["language"], "fr", "{caps}");

    let mut watcher = Watcher::start(&ferry, &[], &[]);
    watcher.wait_until("the first look", long, |s| {
        s.iter().any(|v| v["event"] == "scanned")
    });
    watcher.drain_for(Duration::from_secs(3));
    let seen = watcher.stop();
    assert!(
        !seen
            .iter()
            .any(|v| v["event"] == "queued" || v["event"] == "done"),
        "the caption file is not sent on its own later: {seen:#?}"
    );
}

/// Live lessons from the command line: created recorded for a course, listed, where to stream
/// shown with the key hidden unless asked, the key matching Stream's and appearing nowhere Ferry
/// writes, a finished recording listed with the lesson, refusals with what to do, deletion.
#[test]
fn live_lessons_are_created_shown_with_their_key_on_request_and_deleted() {
    let sim = CloudSim::start(300);
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry.set("FERRY_LOG", "ferry_core=debug,ferry_cli=debug,info");
    assert_eq!(ferry.run(&["course", "add", "Biology 101"]).code, 0);
    let created = ferry.run(&[
        "live",
        "create",
        "Week 3: cells",
        "--course",
        "biology 101",
        "--delete-after",
        "60",
        "--json",
    ]);
    assert_eq!(created.code, 0, "{}\n{}", created.stdout, created.stderr);
    let lesson = created.lines()[0].clone();
    let id = lesson["id"].as_str().unwrap().to_string();
    assert_eq!(lesson["course"], "Biology 101", "{lesson}");
    assert_eq!(lesson["recording"], true);
    assert_eq!(lesson["connected"], false);
    assert_eq!(lesson["rtmps_url"], "rtmps://live.cloudflare.com:443/live/");
    assert!(
        lesson.get("stream_key").is_none(),
        "no key unless asked: {lesson}"
    );

    // Stream's own view (not through Ferry): recorded, deleted after 60 days, the key.
    let stream = sim.get(&format!("stream/live_inputs/{id}"))["result"].clone();
    assert_eq!(stream["recording"]["mode"], "automatic", "{stream}");
    assert_eq!(stream["deleteRecordingAfterDays"], 60.0);
    assert_eq!(stream["meta"]["course"], "Biology 101");
    let key = stream["rtmps"]["streamKey"].as_str().unwrap().to_string();
    let passphrase = stream["srt"]["passphrase"].as_str().unwrap().to_string();

    let shown = ferry.run(&["live", "show", &id]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown
            .stdout
            .contains("rtmps://live.cloudflare.com:443/live/"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("--key"), "{}", shown.stdout);
    let with_key = ferry.run(&["live", "show", &id, "--key"]);
    assert!(with_key.stdout.contains(&key), "{}", with_key.stdout);
    assert!(with_key.stdout.contains(&passphrase));

    let listed = ferry.run(&["live", "list", "--json"]);
    assert_eq!(listed.lines().len(), 1);
    assert_eq!(listed.lines()[0]["name"], "Week 3: cells");
    // (renamed further down)

    // A recording made (the emulator stands in for a class streamed and ended).
    let (code, _) = cloudsim::curl(&[
        "-sf",
        "-X",
        "POST",
        &format!("{}/__sim/live/{id}/recording", sim.base),
    ]);
    assert_eq!(code, 0);
    let shown = ferry.run(&["live", "show", &id]);
    assert!(shown.stdout.contains("Recordings ("), "{}", shown.stdout);
    let watch = shown
        .stdout
        .split_whitespace()
        .find(|w| w.ends_with("/watch"))
        .unwrap_or_else(|| panic!("a watch link: {}", shown.stdout))
        .to_string();
    assert_eq!(fetch(&watch).0, 200, "{watch}");

    // The recording is in the history like any uploaded video, once however often it is seen,
    // with its course and a link that plays.
    assert_eq!(ferry.run(&["live", "show", &id]).code, 0);
    let status = ferry.run(&["status", "--json"]);
    let recorded: Vec<_> = status
        .lines()
        .into_iter()
        .filter(|l| l["live_lesson"] == id.as_str())
        .collect();
    assert_eq!(recorded.len(), 1, "{}", status.stdout);
    let job = &recorded[0];
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["name"], "Week 3: cells (recording)");
    assert_eq!(job["course"], "Biology 101");
    assert_eq!(job["kind"], "video");
    let url = ferry.run(&["url", &job["id"].to_string()]);
    assert_eq!(url.code, 0, "{}", url.stderr);
    assert_eq!(fetch(url.stdout.trim()).0, 200, "{}", url.stdout);
    let by_course = ferry.run(&["status", "--json", "--course", "Biology 101"]);
    assert!(
        by_course
            .lines()
            .iter()
            .any(|l| l["live_lesson"] == id.as_str()),
        "{}",
        by_course.stdout
    );

    // An encoder connecting is what Stream then reports.
    let (code, _) = cloudsim::curl(&[
        "-sf",
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"status":"connected"}"#,
        &format!("{}/__sim/live/{id}/status", sim.base),
    ]);
    assert_eq!(code, 0);
    let on_air = ferry.run(&["live", "show", &id, "--json"]);
    assert_eq!(on_air.lines()[0]["connected"], true, "{}", on_air.stdout);
    let said = ferry.run(&["live", "show", &id]);
    assert!(said.stdout.contains("live now"), "{}", said.stdout);

    // A new name changes the name only: the course, the recording and its days stay.
    let renamed = ferry.run(&["live", "rename", &id, "Week 3: cells and tissues"]);
    assert_eq!(renamed.code, 0, "{}", renamed.stderr);
    let stream = sim.get(&format!("stream/live_inputs/{id}"))["result"].clone();
    assert_eq!(
        stream["meta"]["name"], "Week 3: cells and tissues",
        "{stream}"
    );
    assert_eq!(stream["meta"]["course"], "Biology 101");
    assert_eq!(stream["recording"]["mode"], "automatic");
    assert_eq!(stream["deleteRecordingAfterDays"], 60.0);
    assert_eq!(stream["rtmps"]["streamKey"], key.as_str());
    let blank = ferry.run(&["live", "rename", &id, " "]);
    assert!(blank.stderr.contains("needs a name"), "{}", blank.stderr);

    // Refusals, with what to do.
    let short = ferry.run(&["live", "create", "Quiz", "--delete-after", "7"]);
    assert_ne!(short.code, 0);
    assert!(
        short.stderr.contains("30 days at the earliest"),
        "{}",
        short.stderr
    );
    let nameless = ferry.run(&["live", "create", "  "]);
    assert!(
        nameless.stderr.contains("needs a name"),
        "{}",
        nameless.stderr
    );
    let no_course = ferry.run(&["live", "create", "Lab", "--course", "Chemistry"]);
    assert_ne!(no_course.code, 0);

    // The key and the passphrase are nowhere Ferry wrote (queue, settings, log), nor in what it
    // printed without --key.
    let outputs = [
        created.stdout.as_str(),
        created.stderr.as_str(),
        listed.stdout.as_str(),
        shown.stdout.as_str(),
        shown.stderr.as_str(),
    ];
    ferry_e2e::assert_secret_absent(ferry.home.path(), &outputs, &key);
    ferry_e2e::assert_secret_absent(ferry.home.path(), &outputs, &passphrase);

    let deleted = ferry.run(&["live", "delete", &id]);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    assert_eq!(ferry.run(&["live", "list", "--json"]).lines().len(), 0);
    assert_eq!(sim.videos().len(), 1, "the recording stays");
}

/// Videos changed after upload, as the emulator then holds them: one made private (its link
/// copied afterwards is signed and plays), a course's videos given a deletion date, embedding
/// sites (a pasted address kept as its host), a thumbnail moment and a title; what Stream
/// would refuse is refused first, with what to choose.
#[test]
fn uploaded_videos_are_changed_one_at_a_time_or_by_course() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let (one, _) = mp4(dir.path(), "Lecture 7.mp4", MIB + 1, 7);
    let (two, _) = mp4(dir.path(), "Lecture 8.mp4", MIB + 2, 8);
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    assert_eq!(ferry.run(&["course", "add", "Physics"]).code, 0);
    let run = ferry.run_paths(&["upload", "--json", "--course", "Physics"], &[&one, &two]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let video = |name: &str| {
        sim.videos()
            .into_iter()
            .find(|v| v["meta"]["name"] == name)
            .unwrap_or_else(|| panic!("no video {name}"))
    };
    let one_arg = one.to_str().unwrap();

    let edited = ferry.run(&[
        "video",
        "edit",
        one_arg,
        "--signed",
        "--origins",
        "https://lms.example.edu/course/7, school.example.org",
        "--thumbnail-at",
        "0.25",
        "--title",
        "Lecture 7: optics",
    ]);
    assert_eq!(edited.code, 0, "{}\n{}", edited.stdout, edited.stderr);
    let v = video("Lecture 7: optics");
    assert_eq!(v["requireSignedURLs"], true, "{v}");
    assert_eq!(
        v["allowedOrigins"],
        json!(["lms.example.edu", "school.example.org"])
    );
    assert_eq!(v["thumbnailTimestampPct"], 0.25);
    assert_eq!(
        v["meta"]["course"], "Physics",
        "the rest of meta stays: {v}"
    );
    // Its link is now signed, and plays.
    let url = ferry.run(&["url", one_arg]);
    assert_eq!(url.code, 0, "{}", url.stderr);
    let link = url.stdout.trim().to_string();
    assert!(
        !link.contains(v["uid"].as_str().unwrap()),
        "a signed link carries a token, not the id: {link}"
    );
    assert_eq!(fetch(&link).0, 200, "{link}");
    // A private video's links expire, and say so, though the destination is public.
    assert!(
        url.stderr.contains("stops working at"),
        "a signed link tells when it ends: {}",
        url.stderr
    );
    let short = ferry.run(&["url", one_arg, "--expires", "2h"]);
    assert_eq!(short.code, 0, "{}", short.stderr);
    assert_eq!(fetch(short.stdout.trim()).0, 200, "{}", short.stdout);
    let public = ferry.run(&["url", two.to_str().unwrap(), "--expires", "2h"]);
    assert_ne!(public.code, 0, "a public video has no expiring link");
    assert!(public.stderr.contains("never expire"), "{}", public.stderr);

    let by_course = ferry.run(&[
        "video",
        "edit",
        "--course",
        "physics",
        "--delete-after",
        "90",
    ]);
    assert_eq!(by_course.code, 0, "{}", by_course.stderr);
    assert!(
        by_course.stdout.contains("Changed 2 video(s)."),
        "{}",
        by_course.stdout
    );
    for name in ["Lecture 7: optics", "Lecture 8.mp4"] {
        assert!(video(name)["scheduledDeletion"].is_string(), "{name}");
    }
    let kept = ferry.run(&["video", "edit", "--course", "Physics", "--keep"]);
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert!(video("Lecture 8.mp4").get("scheduledDeletion").is_none());

    for (args, words) in [
        (
            vec!["video", "edit", one_arg, "--delete-after", "10"],
            "30 to 1,096 days",
        ),
        (
            vec!["video", "edit", one_arg, "--thumbnail-at", "3"],
            "from 0 to 1",
        ),
        (vec!["video", "edit", one_arg], "nothing to change"),
        (
            vec![
                "video",
                "edit",
                "--course",
                "Physics",
                "--origins",
                "https://",
            ],
            "origin",
        ),
    ] {
        let refused = ferry.run(&args);
        assert_ne!(refused.code, 0, "{args:?}");
        assert!(
            refused.stderr.contains(words),
            "{args:?}: {}",
            refused.stderr
        );
    }
}

/// A course set to generate captions asks Stream for them for each of its videos that comes
/// without a caption file; a video with its own file gets that file, not generated ones.
#[test]
fn a_course_set_to_generate_captions_asks_for_them_for_its_videos() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let refused = ferry.run(&["course", "add", "Chemistry", "--captions", "French"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("not a language"),
        "{}",
        refused.stderr
    );
    let added = ferry.run(&["course", "add", "Chemistry", "--captions", "fr"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let listed = ferry.run(&["course", "list", "--json"]);
    assert_eq!(listed.lines()[0]["captions"], "fr");

    let (bare, _) = mp4(dir.path(), "lab 1.mp4", MIB + 4, 11);
    let own = dir.path().join("with file");
    std::fs::create_dir(&own).unwrap();
    mp4(&own, "lab 2.mp4", MIB + 5, 12);
    std::fs::write(
        own.join("lab 2.en.vtt"),
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHello\n",
    )
    .unwrap();
    let run = ferry.run_paths(
        &["upload", "--json", "--course", "Chemistry"],
        &[&bare, &own],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let captions_of = |name: &str| -> Vec<(String, bool)> {
        let v = sim
            .videos()
            .into_iter()
            .find(|v| v["meta"]["name"] == name)
            .unwrap_or_else(|| panic!("no video {name}"));
        let uid = v["uid"].as_str().unwrap().to_string();
        sim.get(&format!("stream/{uid}/captions"))["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["language"].as_str().unwrap().to_string(),
                    c["generated"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(captions_of("lab 1.mp4"), [("fr".to_string(), true)]);
    assert_eq!(captions_of("lab 2.mp4"), [("en".to_string(), false)]);
    let status = ferry.run(&["status", "--json"]);
    let bare_job = status
        .lines()
        .into_iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("lab 1.mp4"))
        .unwrap();
    assert!(
        bare_job["notes"]
            .to_string()
            .contains("asked Stream for fr captions"),
        "{bare_job}"
    );
}

/// An MP4 download for offline viewing: asked for, made by Stream (in progress, then ready), its
/// link serving the video's bytes, then removed; a video still being processed is refused.
#[test]
fn a_videos_mp4_download_is_made_fetched_and_removed() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let (video, bytes) = mp4(dir.path(), "Lab safety.mp4", MIB + 9, 13);
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let run = ferry.run_paths(&["upload", "--json"], &[&video]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let arg = video.to_str().unwrap();
    let made = ferry.run(&["video", "download", arg, "--json"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert_eq!(
        made.lines()[0]["download"]["ready"],
        false,
        "{}",
        made.stdout
    );
    std::thread::sleep(Duration::from_millis(400));
    let again = ferry.run(&["video", "download", arg, "--json"]);
    let download = again.lines()[0]["download"].clone();
    assert_eq!(download["ready"], true, "{download}");
    let url = download["url"].as_str().unwrap();
    let (status, got) = fetch(url);
    assert_eq!(status, 200, "{url}");
    assert_eq!(got, bytes, "the download serves the video's bytes");
    let off = ferry.run(&["video", "download", arg, "--off"]);
    assert_eq!(off.code, 0, "{}", off.stderr);
    assert_eq!(fetch(url).0, 404, "removed");
}
