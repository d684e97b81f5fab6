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
/// wide) is not sent on to a public R2 bucket; it fails saying how to send it. To a private
/// bucket it may go.
#[test]
fn an_image_private_images_refuse_never_falls_through_to_a_public_bucket() {
    let sim = CloudSim::start(100);
    let dir = tempfile::tempdir().unwrap();
    let (wide, _) = png(dir.path(), "class photo.png", 13_000, 400, 9_000);
    let mut ferry = Ferry::cloudflare(&sim, cloudsim::TOKEN);
    ferry
        .set("FERRY_IMAGES_REQUIRE_SIGNED_URLS", "1")
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
