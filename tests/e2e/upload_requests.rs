//! Upload requests end to end: `ferry request create` makes the page; headless Chromium opens
//! it as a student would and sends files to moto (a presigned POST form), ferry-cloudsim's
//! Images and Stream (one-time links); and what the request does not allow is refused by the
//! storage service itself when a sender skips the page's checks (s3s-fs, which enforces POST
//! policies, and the emulator). A store that takes no POST forms (R2, rclone) gets signed PUT
//! links, one numbered key per file.

use ferry_e2e::checker::Checker;
use ferry_e2e::cloudsim::{self, CloudSim};
use ferry_e2e::ferry::Ferry;
use ferry_e2e::media::{mp4, png};
use ferry_e2e::servers::S3Server;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// What the page (a saved file, or its published link) showed after sending `files` as
/// `sender`.
fn drive(page: impl AsRef<std::ffi::OsStr>, sender: &str, files: &[&Path]) -> Value {
    drive_in("en-US", page, sender, files)
}

/// [`drive`] in a browser speaking `locale`.
fn drive_in(
    locale: &str,
    page: impl AsRef<std::ffi::OsStr>,
    sender: &str,
    files: &[&Path],
) -> Value {
    let driver = concat!(env!("CARGO_MANIFEST_DIR"), "/support/page_driver.mjs");
    let out = Command::new("node")
        .env("LOCALE", locale)
        .arg(driver)
        .arg(page)
        .arg(sender)
        .args(files)
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "page driver: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("driver JSON");
    assert_eq!(
        v["errors"],
        serde_json::json!([]),
        "the page ran cleanly: {v}"
    );
    v
}

/// The credentials a saved page carries (its embedded JSON).
fn page_data(page: &Path) -> Value {
    let html = std::fs::read_to_string(page).unwrap();
    let start = html
        .find("<script id=\"data\" type=\"application/json\">")
        .unwrap();
    let rest = &html[start..];
    let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(json).unwrap()
}

fn create(ferry: &Ferry, args: &[&str]) -> Value {
    let mut all = vec!["request", "create", "--json"];
    all.extend_from_slice(args);
    let run = ferry.run(&all);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.lines()[0].clone()
}

/// Post `body` through a page's first form as a client that ignores the page: `key` and
/// `content_type` as given. Returns the status and the service's reply.
fn post_form(data: &Value, key: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let form = &data["forms"][0];
    let mut args: Vec<String> = vec![
        "-s".into(),
        "-o".into(),
        "-".into(),
        "-w".into(),
        "\n%{http_code}".into(),
    ];
    for pair in form["fields"].as_array().unwrap() {
        let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        let value = match name {
            "key" => key,
            "Content-Type" => content_type,
            "x-amz-meta-sender" => "intruder",
            _ => value,
        };
        args.push("-F".into());
        args.push(format!("{name}={value}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload");
    std::fs::write(&file, body).unwrap();
    args.push("-F".into());
    args.push(format!("file=@{};type={content_type}", file.display()));
    args.push(form["url"].as_str().unwrap().into());
    let out = Command::new("curl").args(&args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (reply, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), reply.to_string())
}

#[test]
fn a_bucket_request_is_sent_to_from_a_phone_and_its_limits_are_the_stores() {
    // moto: the page in Chromium (moto answers the browser's CORS questions).
    let moto = S3Server::moto();
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::s3(&moto.endpoint, &moto.bucket);
    assert_eq!(ferry.run(&["course", "add", "Biology 101"]).code, 0);
    let page = dir.path().join("week-3.html");
    let made = create(
        &ferry,
        &[
            "Week 3 essays",
            "--course",
            "biology 101",
            "--to",
            "s3",
            "--folder",
            "biology/week-3",
            "--types",
            "pdf,txt",
            "--max-mb",
            "1",
            "--open-for",
            "2h",
            "--page",
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(made["course"], "Biology 101");
    assert_eq!(made["open"], true);
    let essay = dir.path().join("essay.pdf");
    std::fs::write(&essay, b"%PDF-1.4 my essay").unwrap();
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, b"\x89PNG not accepted").unwrap();
    let shown = drive(&page, "Zoë Martin", &[&essay, &photo]);
    assert_eq!(shown["title"], "Week 3 essays");
    let sent = shown["sent"].as_array().unwrap();
    assert_eq!(sent[0]["state"], "sent", "{shown}");
    assert_eq!(sent[1]["state"], "refused", "{shown}");
    // A French browser gets the page in French; the file goes the same way.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, b"mes notes").unwrap();
    let en_francais = drive_in("fr-FR", &page, "Léa Dubois", &[&notes]);
    assert!(
        en_francais["rules"]
            .as_str()
            .unwrap()
            .starts_with("Acceptés"),
        "{en_francais}"
    );
    assert_eq!(en_francais["sent"][0]["state"], "sent", "{en_francais}");
    assert!(
        en_francais["sent"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Envoyé")
    );
    let checker = Checker::new(&moto.endpoint, &moto.bucket);
    let keys: Vec<String> = checker.list().into_iter().map(|o| o.key).collect();
    assert_eq!(
        keys,
        vec![
            "biology/week-3/Lea-Dubois/notes.txt".to_string(),
            "biology/week-3/Zoe-Martin/essay.pdf".to_string()
        ],
        "the test upload was removed"
    );
    let head = checker.head("biology/week-3/Zoe-Martin/essay.pdf");
    assert_eq!(head["content_type"], "application/pdf", "{head}");
    assert_eq!(head["metadata"]["sender"], "Zo%C3%AB%20Martin", "{head}");

    let listed = ferry.run(&["request", "list", "--json"]);
    assert_eq!(listed.lines().len(), 1);
    let id = made["id"].as_str().unwrap();
    // What arrived is in the history, with its sender and course, once however often looked at.
    let shown = ferry.run(&["request", "show", id, "--json"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(ferry.run(&["request", "show", id]).code, 0);
    let arrived = shown.lines()[0]["arrived"].clone();
    assert_eq!(arrived.as_array().unwrap().len(), 2, "{arrived}");
    let essay = arrived
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "essay.pdf")
        .unwrap_or_else(|| panic!("the essay: {arrived}"));
    assert_eq!(essay["sender"], "Zoë Martin", "{arrived}");
    assert_eq!(essay["state"], "done");
    assert_eq!(essay["course"], "Biology 101");
    assert_eq!(essay["kind"], "document");
    assert!(arrived.to_string().contains("Léa Dubois"), "{arrived}");
    let status = ferry.run(&["status", "--json"]);
    let from_request: Vec<_> = status
        .lines()
        .into_iter()
        .filter(|l| l["request"] == id && l["name"] == "essay.pdf")
        .collect();
    assert_eq!(from_request.len(), 1, "{}", status.stdout);
    let link = ferry.run(&["url", &from_request[0]["id"].to_string()]);
    assert_eq!(link.code, 0, "{}", link.stderr);
    assert_eq!(
        cloudsim::fetch(link.stdout.trim()).1,
        b"%PDF-1.4 my essay",
        "its (signed) link serves what was sent"
    );
    let closed = ferry.run(&["request", "close", id]);
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    assert!(!page.exists(), "closing removes the page");
    assert_eq!(
        ferry.run(&["request", "show", id, "--json"]).lines()[0]["open"],
        false
    );
}

#[test]
fn what_a_request_does_not_allow_is_refused_by_the_store_not_the_page() {
    // s3s-fs enforces POST policies as S3 does: a client that skips the page gets no further.
    let s3s = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::s3(&s3s.endpoint, &s3s.bucket);
    let page = dir.path().join("slides.html");
    create(
        &ferry,
        &[
            "Slides for the course",
            "--to",
            "s3",
            "--folder",
            "shared/slides",
            "--types",
            "pdf",
            "--max-mb",
            "1",
            "--page",
            page.to_str().unwrap(),
        ],
    );
    let data = page_data(&page);
    let ok = post_form(
        &data,
        "shared/slides/ada/deck.pdf",
        "application/pdf",
        b"%PDF small",
    );
    assert_eq!(ok.0, 201, "{}", ok.1);
    let too_big = post_form(
        &data,
        "shared/slides/ada/big.pdf",
        "application/pdf",
        &vec![b'x'; 1_000_001],
    );
    assert_eq!(too_big.0, 400, "{}", too_big.1);
    assert!(too_big.1.contains("EntityTooLarge"), "{}", too_big.1);
    let wrong_type = post_form(
        &data,
        "shared/slides/ada/page.html",
        "text/html",
        b"<script>",
    );
    assert_eq!(wrong_type.0, 400, "{}", wrong_type.1);
    let elsewhere = post_form(&data, "private/grades.pdf", "application/pdf", b"%PDF");
    assert_eq!(elsewhere.0, 400, "{}", elsewhere.1);
    assert!(elsewhere.1.contains("starts-with"), "{}", elsewhere.1);

    // rclone serve s3 takes no SigV4 POST and keeps no CORS policy: a page could not send
    // there, which is said when the request is made, with the rule to add, not by a student.
    let rclone = S3Server::rclone();
    let ferry = Ferry::s3(&rclone.endpoint, &rclone.bucket);
    let refused = ferry.run(&[
        "request",
        "create",
        "Slides",
        "--to",
        "s3",
        "--folder",
        "x",
        "--page",
        dir.path().join("r.html").to_str().unwrap(),
    ]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("CORS policy allows PUT"),
        "{}",
        refused.stderr
    );
    assert!(!dir.path().join("r.html").exists());
}

/// `curl -X PUT` through a page's link as a client that ignores the page: the body, and
/// the headers as given. Returns the status and the service's reply.
fn put_link(link: &Value, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload");
    std::fs::write(&file, body).unwrap();
    let mut args: Vec<String> = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", "PUT"]
        .map(String::from)
        .to_vec();
    for (k, v) in headers {
        args.push("-H".into());
        args.push(format!("{k}: {v}"));
    }
    args.push("--data-binary".into());
    args.push(format!("@{}", file.display()));
    args.push(link["url"].as_str().unwrap().into());
    let out = Command::new("curl").args(&args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (reply, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), reply.to_string())
}

/// R2 takes no POST policies (api-facts C.5): a request landing there gets one numbered key per
/// file, each with signed PUT links. Students send from the page in Chromium (a second browser
/// finds the first key taken and moves on); R2 itself (the emulator, as strict) refuses another
/// media type, a second write to a key and a page from an origin the bucket's CORS does not
/// allow; what a PUT link cannot bound, the size, Ferry takes back out of the bucket.
#[test]
fn an_r2_request_sends_through_signed_put_links_within_r2_s_limits() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let page = dir.path().join("week-4.html");
    let made = create(
        &ferry,
        &[
            "Week 4 slides",
            "--to",
            "r2",
            "--folder",
            "bio/week-4",
            "--types",
            "pdf",
            "--max-mb",
            "1",
            "--max-files",
            "4",
            "--page",
            page.to_str().unwrap(),
        ],
    );
    let id = made["id"].as_str().unwrap().to_string();
    let data = page_data(&page);
    let slots = data["puts"].as_array().unwrap().clone();
    assert_eq!(slots.len(), 4, "{data}");
    assert_eq!(slots[0]["key"], format!("bio/week-4/{id}-001"));

    let essay = dir.path().join("Leçon 1.pdf");
    std::fs::write(&essay, b"%PDF-1.4 my slides").unwrap();
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, b"\x89PNG not accepted").unwrap();
    let shown = drive(&page, "Zoë Martin", &[&essay, &photo]);
    assert_eq!(shown["sent"][0]["state"], "sent", "{shown}");
    assert_eq!(shown["sent"][1]["state"], "refused", "{shown}");
    // Another browser knows nothing of the first: key 001 is taken (412), 002 takes the file.
    let notes = dir.path().join("notes.pdf");
    std::fs::write(&notes, b"%PDF-1.4 notes").unwrap();
    let second = drive(&page, "Léa Dubois", &[&notes]);
    assert_eq!(second["sent"][0]["state"], "sent", "{second}");

    // The service's limits, for a client that skips the page.
    let link = |n: usize| slots[n]["links"][0].clone();
    let signed = |n: usize| -> Vec<(String, String)> {
        link(n)["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_string(),
                    h[1].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let as_pairs = |h: &[(String, String)]| -> Vec<(String, String)> { h.to_vec() };
    let mut html = as_pairs(&signed(2));
    for h in html.iter_mut() {
        if h.0.eq_ignore_ascii_case("content-type") {
            h.1 = "text/html".into();
        }
    }
    let html: Vec<(&str, &str)> = html.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let wrong_type = put_link(&link(2), &html, b"<script>");
    assert_eq!(wrong_type.0, 403, "{}", wrong_type.1);
    assert!(
        wrong_type.1.contains("SignatureDoesNotMatch"),
        "{}",
        wrong_type.1
    );
    let own = signed(0);
    let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let again = put_link(&link(0), &own, b"%PDF replaced");
    assert_eq!(again.0, 412, "a sent file cannot be replaced: {}", again.1);
    let preflight = cloudsim::curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        "OPTIONS",
        "-H",
        "Origin: null",
        "-H",
        "Access-Control-Request-Method: DELETE",
        link(3)["url"].as_str().unwrap(),
    ]);
    assert_eq!(preflight.1, "403", "CORS lets pages PUT, nothing else");
    // Over the size: R2 cannot refuse it through a PUT link; Ferry removes it when it looks.
    let big = signed(3);
    let big: Vec<(&str, &str)> = big.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let over = put_link(&link(3), &big, &vec![b'x'; 1_200_000]);
    assert_eq!(over.0, 200, "{}", over.1);

    let shown = ferry.run(&["request", "show", &id, "--json"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let arrived = shown.lines()[0]["arrived"].clone();
    let all = arrived.as_array().unwrap();
    assert_eq!(all.len(), 3, "{arrived}");
    let slides = all
        .iter()
        .find(|a| a["name"] == "Leçon 1.pdf")
        .unwrap_or_else(|| panic!("{arrived}"));
    assert_eq!(slides["sender"], "Zoë Martin", "{arrived}");
    assert_eq!(slides["state"], "done");
    assert_eq!(slides["kind"], "document");
    assert!(arrived.to_string().contains("Léa Dubois"), "{arrived}");
    let refused = all
        .iter()
        .find(|a| a["state"] == "failed")
        .unwrap_or_else(|| panic!("{arrived}"));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("more than the 1.0 MB"),
        "{refused}"
    );
    let checker = Checker::new(&sim.r2_endpoint, ferry_e2e::servers::BUCKET);
    let keys: Vec<String> = checker.list().into_iter().map(|o| o.key).collect();
    assert_eq!(
        keys,
        vec![
            format!("bio/week-4/{id}-001"),
            format!("bio/week-4/{id}-002")
        ],
        "the oversize file is gone, and so is Ferry's trial upload"
    );
    let head = checker.head(&format!("bio/week-4/{id}-001"));
    assert_eq!(head["content_type"], "application/pdf", "{head}");
    let status = ferry.run(&["status", "--json"]);
    let job = status
        .lines()
        .into_iter()
        .find(|l| l["request"] == id.as_str() && l["name"] == "Leçon 1.pdf")
        .unwrap_or_else(|| panic!("{}", status.stdout));
    let link = ferry.run(&["url", &job["id"].to_string()]);
    assert_eq!(link.code, 0, "{}", link.stderr);
    assert_eq!(cloudsim::fetch(link.stdout.trim()).1, b"%PDF-1.4 my slides");
}

#[test]
fn images_and_videos_arrive_through_one_time_links() {
    let sim = CloudSim::start(300);
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);

    let page = dir.path().join("photos.html");
    let made = create(
        &ferry,
        &[
            "Field trip photos",
            "--image",
            "--max-files",
            "2",
            "--max-mb",
            "5",
            "--open-for",
            "3h",
            "--page",
            page.to_str().unwrap(),
        ],
    );
    let creator = format!("ferry-{}", made["id"].as_str().unwrap());
    let (photo, _) = png(dir.path(), "heron.png", 64, 48, 2000);
    let shown = drive(&page, "Sam Lee", &[&photo]);
    assert_eq!(shown["sent"][0]["state"], "sent", "{shown}");
    let image = sim
        .images()
        .into_iter()
        .find(|i| i["creator"] == creator.as_str())
        .unwrap_or_else(|| panic!("an image from {creator}"));
    assert_eq!(image["filename"], "Sam-Lee - heron.png", "{image}");
    let shown = ferry.run(&["request", "show", made["id"].as_str().unwrap(), "--json"]);
    let arrived = &shown.lines()[0]["arrived"];
    assert_eq!(arrived[0]["sender"], "Sam Lee", "{arrived}");
    assert_eq!(arrived[0]["name"], "heron.png");
    assert_eq!(arrived[0]["kind"], "image");
    // A used link takes nothing more, whoever tries.
    let data = page_data(&page);
    let used = data["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == image["id"])
        .unwrap();
    let (_, code) = cloudsim::curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-F",
        &format!("file=@{}", photo.display()),
        used["url"].as_str().unwrap(),
    ]);
    assert_eq!(code, "404", "a used one-time link");

    let page = dir.path().join("videos.html");
    let made = create(
        &ferry,
        &[
            "Lab demos",
            "--video",
            "--max-files",
            "2",
            "--max-mb",
            "50",
            "--max-minutes",
            "10",
            "--page",
            page.to_str().unwrap(),
        ],
    );
    let creator = format!("ferry-{}", made["id"].as_str().unwrap());
    let (clip, _) = mp4(dir.path(), "demo.mp4", 200_000, 3);
    let shown = drive(&page, "Sam Lee", &[&clip]);
    assert_eq!(shown["sent"][0]["state"], "sent", "{shown}");
    let video = sim
        .videos()
        .into_iter()
        .find(|v| v["creator"] == creator.as_str() && v["status"]["state"] != "pendingupload")
        .unwrap_or_else(|| panic!("a video from {creator}"));
    assert_eq!(
        video["requireSignedURLs"], true,
        "private unless said: {video}"
    );
    assert_eq!(video["maxDurationSeconds"], 600);
    assert_eq!(video["meta"]["ferry_request"], made["id"]);
    // Once Stream has it ready, it is in the history, from its sender.
    std::thread::sleep(std::time::Duration::from_millis(400));
    let shown = ferry.run(&["request", "show", made["id"].as_str().unwrap(), "--json"]);
    let arrived = &shown.lines()[0]["arrived"];
    assert_eq!(arrived[0]["sender"], "Sam Lee", "{arrived}");
    assert_eq!(arrived[0]["name"], "demo.mp4");
    assert_eq!(arrived[0]["kind"], "video");
    // A used link is refused by Stream itself.
    let data = page_data(&page);
    let post = |url: &str| {
        let out = Command::new("curl")
            .args([
                "-s",
                "-w",
                "\n%{http_code}",
                "-F",
                &format!("file=@{}", clip.display()),
                url,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let slots: Vec<&str> = data["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["url"].as_str().unwrap())
        .collect();
    let used = slots
        .iter()
        .find(|u| u.ends_with(video["uid"].as_str().unwrap()))
        .unwrap();
    assert!(post(used).ends_with("400"), "a used link");
    // Closing the request deletes the link nobody used: it stops working at once.
    let unused = slots
        .iter()
        .find(|u| !u.ends_with(video["uid"].as_str().unwrap()))
        .unwrap();
    let closed = ferry.run(&["request", "close", made["id"].as_str().unwrap()]);
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    assert!(
        post(unused).ends_with("400"),
        "an unused link after closing"
    );
    let from_request: Vec<_> = sim
        .videos()
        .into_iter()
        .filter(|v| v["creator"] == creator.as_str())
        .collect();
    assert_eq!(
        from_request.len(),
        1,
        "only what arrived stays: {from_request:?}"
    );
}

/// A request past its end is closed by the next look (its page removed), even if nobody closed
/// it; the look is made here with the clock moved past the end (libfaketime, Ferry alone).
#[test]
fn an_ended_request_is_closed_and_its_page_removed() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let page = dir.path().join("photos.html");
    let made = create(
        &ferry,
        &[
            "Photos",
            "--image",
            "--max-files",
            "1",
            "--open-for",
            "1h",
            "--page",
            page.to_str().unwrap(),
        ],
    );
    let id = made["id"].as_str().unwrap();
    assert!(page.exists());
    ferry
        .set("LD_PRELOAD", &libfaketime())
        .set("FAKETIME", "+2h")
        .set("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let later = ferry.run(&["request", "show", id, "--json"]);
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert_eq!(later.lines()[0]["open"], false, "{}", later.stdout);
    assert!(later.lines()[0]["closed_at"].is_i64());
    assert!(!page.exists(), "an ended request's page is removed");
}

fn libfaketime() -> String {
    [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ]
    .iter()
    .map(|d| Path::new(d).join("faketime/libfaketime.so.1"))
    .find(|p| p.exists())
    .expect("libfaketime is not installed: run scripts/setup.sh --test")
    .display()
    .to_string()
}

/// A request published to a bucket with a public address: one link to send, opened by the
/// student's browser from the bucket, and removed from it when the request is closed.
#[test]
fn a_published_request_is_one_link_and_closing_takes_it_down() {
    let moto = S3Server::moto();
    // The bucket is public, as a teacher's course bucket is: anyone may read its objects.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}/*"}}]}}"#,
        moto.bucket
    );
    let made_public = Command::new("python3")
        .args([
            "-c",
            "import boto3,sys; boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='k', aws_secret_access_key='s', region_name='us-east-1').put_bucket_policy(Bucket=sys.argv[2], Policy=sys.argv[3])",
            &moto.endpoint,
            &moto.bucket,
            &policy,
        ])
        .status()
        .unwrap();
    assert!(made_public.success());
    let dir = tempfile::tempdir().unwrap();
    let mut ferry = Ferry::s3(&moto.endpoint, &moto.bucket);
    ferry.set(
        "S3_PUBLIC_BASE_URL",
        &format!("{}/{}", moto.endpoint, moto.bucket),
    );
    let made = create(
        &ferry,
        &[
            "Slides",
            "--to",
            "s3",
            "--folder",
            "shared/slides",
            "--types",
            "pdf",
            "--publish",
            "s3",
            "--page",
            dir.path().join("p.html").to_str().unwrap(),
        ],
    );
    let link = made["link"].as_str().expect("a link to send").to_string();
    assert!(link.starts_with(&moto.endpoint), "{link}");
    let deck = dir.path().join("deck.pdf");
    std::fs::write(&deck, b"%PDF-1.4 deck").unwrap();
    let shown = drive(&link, "Ada", &[&deck]);
    assert_eq!(shown["sent"][0]["state"], "sent", "{shown}");
    assert!(
        Checker::new(&moto.endpoint, &moto.bucket)
            .list()
            .iter()
            .any(|o| o.key == "shared/slides/Ada/deck.pdf")
    );
    let closed = ferry.run(&["request", "close", made["id"].as_str().unwrap()]);
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    assert_eq!(cloudsim::fetch(&link).0, 404, "the published page is gone");

    // A bucket without a public address cannot publish: said before anything is shared.
    let private = Ferry::s3(&moto.endpoint, &moto.bucket);
    let refused = private.run(&[
        "request",
        "create",
        "Slides",
        "--to",
        "s3",
        "--folder",
        "x",
        "--publish",
        "s3",
        "--page",
        dir.path().join("q.html").to_str().unwrap(),
    ]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("no public address"),
        "{}",
        refused.stderr
    );
    assert!(!dir.path().join("q.html").exists(), "no page left behind");
}

/// A form signed by a computer whose clock is two hours off is refused by the store itself
/// (SigV4 dates, like any request's), and Ferry's own trial upload meets the refusal first: the
/// teacher is told to set the clock, and no page that could not work is handed out.
#[test]
fn a_wrong_clock_is_named_before_any_page_is_handed_out() {
    let s3s = S3Server::s3s_fs();
    let dir = tempfile::tempdir().unwrap();
    let mut ferry = Ferry::s3(&s3s.endpoint, &s3s.bucket);
    ferry
        .set("LD_PRELOAD", &libfaketime())
        .set("FAKETIME", "-2h")
        .set("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let page = dir.path().join("late.html");
    let refused = ferry.run(&[
        "request",
        "create",
        "Late",
        "--to",
        "s3",
        "--folder",
        "x",
        "--open-for",
        "1h",
        "--page",
        page.to_str().unwrap(),
    ]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(refused.stderr.contains("clock"), "{}", refused.stderr);
    assert!(!page.exists(), "no page for a form the store refuses");
    assert_eq!(
        ferry.run(&["request", "list", "--json"]).lines().len(),
        0,
        "nor a request"
    );
}

/// After its end a credential is refused by the service, whatever the page says: an ended POST
/// policy (the same policy Ferry writes, its `expiration` passed: boto3 signs one that ends in
/// two seconds) on s3s-fs, and an ended Stream one-time link on the emulator.
#[test]
fn ended_policies_and_links_are_refused_by_the_service() {
    let s3s = S3Server::s3s_fs();
    let script = r#"
import boto3, sys, time, requests
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4], region_name="us-east-1", config=Config(signature_version="s3v4"))
post = s3.generate_presigned_post(sys.argv[2], "x/late.pdf", Fields={"Content-Type": "application/pdf"}, Conditions=[["content-length-range", 1, 100], {"Content-Type": "application/pdf"}], ExpiresIn=2)
time.sleep(3)
r = requests.post(post["url"], data=post["fields"], files={"file": ("late.pdf", b"%PDF", "application/pdf")})
print(r.status_code, r.text)
"#;
    let out = Command::new("python3")
        .args(["-c", script, &s3s.endpoint, &s3s.bucket])
        .args([
            ferry_e2e::servers::ACCESS_KEY,
            ferry_e2e::servers::SECRET_KEY,
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("403") || said.starts_with("400"),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.to_lowercase().contains("expired"), "{said}");

    let sim = CloudSim::start(100);
    let soon = Command::new("date")
        .args(["-u", "-d", "+2 seconds", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    let soon = String::from_utf8_lossy(&soon.stdout).trim().to_string();
    let body = format!(r#"{{"maxDurationSeconds": 60, "expiry": "{soon}"}}"#);
    let (_, reply) = cloudsim::curl(&[
        "-s",
        "-H",
        &format!("Authorization: Bearer {}", cloudsim::TOKEN),
        "-H",
        "content-type: application/json",
        "-d",
        &body,
        &format!(
            "{}/accounts/{}/stream/direct_upload",
            sim.api,
            cloudsim::ACCOUNT
        ),
    ]);
    let reply: Value = serde_json::from_str(&reply).unwrap();
    let url = reply["result"]["uploadURL"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let dir = tempfile::tempdir().unwrap();
    let (clip, _) = mp4(dir.path(), "late.mp4", 10_000, 1);
    let (_, code) = cloudsim::curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-F",
        &format!("file=@{}", clip.display()),
        &url,
    ]);
    assert_eq!(code, "400", "an ended one-time link");
}

/// An MP4 of `seconds` (a movie header and some media data).
fn mp4_lasting(seconds: u32) -> Vec<u8> {
    let boxed = |kind: &[u8], body: &[u8]| {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    };
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&(seconds * 1000).to_be_bytes());
    [
        boxed(b"ftyp", b"isom\0\0\0\0isomiso2mp41"),
        boxed(b"moov", &boxed(b"mvhd", &mvhd)),
        boxed(b"mdat", &[5u8; 20_000]),
    ]
    .concat()
}

/// A video longer than the request allows is taken by the one-time link, then refused by Stream
/// while it is processed (`maxDurationSeconds`): it joins the history as a failure that says
/// who sent what and why, which cannot be sent again from here; a short one arrives.
#[test]
fn a_video_longer_than_the_request_allows_is_refused_by_stream() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    let page = dir.path().join("demos.html");
    let made = create(
        &ferry,
        &[
            "Demos",
            "--video",
            "--max-files",
            "2",
            "--max-minutes",
            "1",
            "--page",
            page.to_str().unwrap(),
        ],
    );
    let id = made["id"].as_str().unwrap();
    let long = dir.path().join("long.mp4");
    std::fs::write(&long, mp4_lasting(150)).unwrap();
    let short = dir.path().join("short.mp4");
    std::fs::write(&short, mp4_lasting(40)).unwrap();
    let shown = drive(&page, "Sam Lee", &[&long, &short]);
    assert_eq!(
        shown["sent"][0]["state"], "sent",
        "the link takes it: {shown}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let video = sim
        .videos()
        .into_iter()
        .find(|v| v["meta"]["name"] == "Sam-Lee - long.mp4")
        .unwrap();
    assert_eq!(
        video["status"]["errorReasonCode"], "ERR_DURATION_EXCEED_CONSTRAINT",
        "{video}"
    );

    let arrived = ferry.run(&["request", "show", id, "--json"]).lines()[0]["arrived"].clone();
    let find = |name: &str| {
        arrived
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}: {arrived}"))
    };
    let refused = find("long.mp4");
    assert_eq!(refused["state"], "failed", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Sam Lee") && message.contains("longer than the request allows"),
        "{message}"
    );
    assert_eq!(find("short.mp4")["state"], "done");
    let retried = ferry.run(&["retry", &refused["id"].to_string()]);
    let status = ferry.run(&["status", "--json"]);
    let still = status
        .lines()
        .into_iter()
        .find(|l| l["name"] == "long.mp4")
        .unwrap();
    assert_eq!(
        still["state"], "failed",
        "no file to send again: {}",
        retried.stdout
    );
}
