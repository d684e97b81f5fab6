//! The scheduler, the engine and the session on in-memory destinations
//! ([`crate::destination::memory`]) and the manual clock: every flow, retries, pause, cancel, a
//! crash mid-upload, dedup, the concurrency limit, and the session's hand-over on reload, with
//! no server and no sleeping through backoffs.

use crate::ErrorKind;
use crate::clock::ManualClock;
use crate::config::{FerryHome, Settings};
use crate::destination::memory::{MemoryImages, MemoryObjects, MemoryVideos, Script};
use crate::destination::{Destination, Destinations};
use crate::engine::{AddOptions, Engine};
use crate::events::Event;
use crate::job::{JobId, JobState, UploadJob};
use crate::scheduler::JobFilter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const MIB: usize = 1024 * 1024;

/// A home, three in-memory destinations named as the default routes expect (`r2`, `stream`,
/// `images`), a shared script, and the manual clock.
struct Bench {
    dir: tempfile::TempDir,
    script: Arc<Script>,
    objects: Arc<MemoryObjects>,
    videos: Arc<MemoryVideos>,
    images: Arc<MemoryImages>,
    clock: ManualClock,
}

impl Bench {
    fn new() -> Bench {
        Bench::with_videos(|script| MemoryVideos::new("stream", script, MIB as u64, true))
    }

    fn with_videos(videos: impl FnOnce(&Arc<Script>) -> MemoryVideos) -> Bench {
        let script = Script::new();
        Bench {
            dir: tempfile::tempdir().unwrap(),
            objects: Arc::new(MemoryObjects::new("r2", &script)),
            videos: Arc::new(videos(&script)),
            images: Arc::new(MemoryImages::new("images", &script)),
            script,
            clock: ManualClock::new(SystemTime::now()),
        }
    }

    fn settings() -> Settings {
        Settings {
            multipart_threshold: 5 * MIB as u64,
            part_size: 5 * MIB as u64,
            retry_base_ms: 100,
            ..Settings::default()
        }
    }

    /// An engine on this bench's home (a new one sees the queue the last one left).
    fn engine(&self, settings: Settings) -> Engine {
        let mut destinations = Destinations::default();
        destinations.insert(Destination::Objects(self.objects.clone()));
        destinations.insert(Destination::Videos(self.videos.clone()));
        destinations.insert(Destination::Images(self.images.clone()));
        Engine::with_parts(
            FerryHome::at(self.dir.path().join("home")),
            settings,
            destinations,
            Default::default(),
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }

    /// A session whose engines (the first and every reload's) use this bench's stores and read
    /// the settings from the home, as `Engine::open` does.
    fn session(self: &Arc<Self>) -> Arc<crate::session::Session> {
        let bench = self.clone();
        let open: crate::session::Opener = Arc::new(move |home, _env| {
            let settings = Settings::load(&home.config_file())?;
            let mut destinations = Destinations::default();
            destinations.insert(Destination::Objects(bench.objects.clone()));
            destinations.insert(Destination::Videos(bench.videos.clone()));
            destinations.insert(Destination::Images(bench.images.clone()));
            Engine::with_parts(
                home,
                settings,
                destinations,
                Default::default(),
                Arc::new(bench.clock.clone()),
            )
        });
        let home = FerryHome::at(self.dir.path().join("home"));
        let env: crate::session::Env = Arc::new(|_| None);
        crate::session::Session::start_with(home, env, open).unwrap()
    }

    /// Write ferry.toml (part sizes small enough for multipart on a few MiB).
    fn write_settings(&self, extra: &str) {
        let home = FerryHome::at(self.dir.path().join("home"));
        home.ensure().unwrap();
        std::fs::write(
            home.config_file(),
            format!(
                "multipart_threshold = 5242880\npart_size = 5242880\nretry_base_ms = 100\n{extra}"
            ),
        )
        .unwrap();
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let folder = self.dir.path().join("files");
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A PNG header Ferry's image check reads (64×48), then `len` bytes of payload.
fn png(len: usize) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&64u32.to_be_bytes());
    b.extend_from_slice(&48u32.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    b.extend(data(len, 3));
    b
}

/// An MP4 (`ftyp` box first) of `len` bytes.
fn mp4(len: usize) -> Vec<u8> {
    let mut b = 24u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftypisom\x00\x00\x02\x00isomiso2");
    b.extend(data(len - b.len(), 5));
    b
}

fn add(engine: &Engine, paths: &[&Path]) -> Vec<JobId> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    let intake = engine.add(&paths, &AddOptions::default()).unwrap();
    assert!(intake.rejected.is_empty(), "{:?}", intake.rejected);
    intake.queued
}

/// Run the engine in the background, as a process would.
fn spawn_run(engine: &Arc<Engine>) -> tokio::task::JoinHandle<crate::Result<()>> {
    let engine = engine.clone();
    tokio::spawn(async move { engine.run(JobFilter::All).await })
}

fn job(engine: &Engine, id: JobId) -> UploadJob {
    engine.job(id).unwrap().unwrap()
}

#[tokio::test]
async fn small_files_and_multipart_files_arrive_whole() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    let small = data(1000, 1);
    let large = data(12 * MIB + 5, 2);
    let ids = add(
        &engine,
        &[
            &bench.file("notes.txt", &small),
            &bench.file("lecture.bin", &large),
        ],
    );
    engine.run(JobFilter::All).await.unwrap();
    for (id, bytes) in ids.iter().zip([&small, &large]) {
        let j = job(&engine, *id);
        assert_eq!(j.state, JobState::Done, "{:?}", j.error);
        assert_eq!(bench.objects.object(&j.key).as_ref(), Some(bytes));
    }
    assert_eq!(bench.script.count("put"), 1);
    assert_eq!(
        bench.script.count("upload_part"),
        3,
        "12 MiB in 5 MiB parts"
    );
    assert_eq!(bench.script.count("complete"), 1);
    assert_eq!(bench.objects.open_upload_count(), 0);
}

#[tokio::test]
async fn temporary_failures_are_retried_after_a_backoff_and_the_job_finishes() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    bench.script.fail("put", ErrorKind::Server, 2);
    let mut events = engine.subscribe();
    let ids = add(&engine, &[&bench.file("a.txt", b"alpha")]);
    engine.run(JobFilter::All).await.unwrap();
    assert_eq!(job(&engine, ids[0]).state, JobState::Done);
    assert_eq!(
        bench.script.count("put"),
        3,
        "two failures, then the success"
    );
    let slept = bench.clock.slept();
    assert_eq!(slept.len(), 2, "one backoff per failure: {slept:?}");
    assert!(
        slept.iter().all(|d| *d <= Duration::from_secs(60)),
        "{slept:?}"
    );
    // Each wait is announced for the job, with how long it lasts and why.
    let mut waits = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::Retrying {
            id,
            attempt,
            attempts,
            delay,
            code,
            ..
        } = event
        {
            assert_eq!(id, ids[0]);
            assert_eq!(code, ErrorKind::Server.code());
            waits.push((attempt, attempts, delay));
        }
    }
    let announced: Vec<_> = waits.iter().map(|w| w.2).collect();
    assert_eq!(announced, slept, "every wait announced, as long as it was");
    assert_eq!(waits[0].0, 1);
    assert_eq!(waits[1].0, 2);
    assert!(waits.iter().all(|w| w.1 == 6), "{waits:?}");
}

#[tokio::test]
async fn a_refused_credential_fails_at_once_and_keeps_the_job() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    bench.script.fail("put", ErrorKind::Unauthenticated, 1);
    let ids = add(&engine, &[&bench.file("a.txt", b"alpha")]);
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, ids[0]);
    assert_eq!(j.state, JobState::Failed);
    assert_eq!(j.error.unwrap().code, "unauthenticated");
    assert_eq!(
        bench.script.count("put"),
        1,
        "no retry can fix a refused key"
    );
    assert!(bench.clock.slept().is_empty());
    assert!(bench.objects.keys().is_empty());
    // Fixed, a retry finishes it.
    engine.retry(&ids).unwrap();
    engine.run(JobFilter::All).await.unwrap();
    assert_eq!(job(&engine, ids[0]).state, JobState::Done);
}

#[tokio::test]
async fn identical_files_are_sent_once() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    let bytes = data(4000, 9);
    let ids = add(
        &engine,
        &[
            &bench.file("one.txt", &bytes),
            &bench.file("two.txt", &bytes),
        ],
    );
    engine.run(JobFilter::All).await.unwrap();
    let (a, b) = (job(&engine, ids[0]), job(&engine, ids[1]));
    assert_eq!((a.state, b.state), (JobState::Done, JobState::Done));
    assert_eq!(bench.script.count("put"), 1, "{:?}", bench.script.calls());
    assert_eq!(b.duplicate_of, Some(a.id));
    assert_eq!(a.result.unwrap().url, b.result.unwrap().url);
}

#[tokio::test]
async fn a_crash_before_completion_resumes_without_sending_a_part_again() {
    let bench = Bench::new();
    let large = data(12 * MIB, 4);
    let path = bench.file("capture.bin", &large);
    let id = {
        let engine = Arc::new(bench.engine(Bench::settings()));
        let id = add(&engine, &[&path])[0];
        let hold = bench.script.hold("complete");
        let running = spawn_run(&engine);
        hold.arrivals(1).await;
        // The process dies here: every part is with the server, the completion is not.
        running.abort();
        let _ = running.await;
        id
    };
    bench.script.release("complete");
    assert_eq!(bench.script.count("upload_part"), 3);
    let engine = bench.engine(Bench::settings());
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(bench.script.count("upload_part"), 3, "no part sent twice");
    assert!(
        bench.script.count("list_parts") >= 1,
        "the server was asked"
    );
    assert_eq!(bench.objects.object(&j.key), Some(large));
}

#[tokio::test]
async fn cancelling_mid_upload_leaves_nothing_behind() {
    let bench = Bench::new();
    let engine = Arc::new(bench.engine(Settings {
        part_concurrency: 1,
        ..Bench::settings()
    }));
    let id = add(&engine, &[&bench.file("big.bin", &data(12 * MIB, 6))])[0];
    let hold = bench.script.hold("upload_part");
    let running = spawn_run(&engine);
    hold.arrivals(1).await;
    assert_eq!(engine.cancel(&[id]).await.unwrap(), 1);
    bench.script.release("upload_part");
    running.await.unwrap().unwrap();
    assert_eq!(job(&engine, id).state, JobState::Cancelled);
    assert_eq!(
        bench.objects.open_upload_count(),
        0,
        "the upload was aborted"
    );
    assert!(bench.objects.keys().is_empty());
}

#[tokio::test]
async fn a_paused_upload_continues_later_from_its_confirmed_parts() {
    let bench = Bench::new();
    let engine = Arc::new(bench.engine(Settings {
        part_concurrency: 1,
        ..Bench::settings()
    }));
    let bytes = data(12 * MIB, 7);
    let id = add(&engine, &[&bench.file("big.bin", &bytes)])[0];
    let hold = bench.script.hold("upload_part");
    let running = spawn_run(&engine);
    hold.arrivals(1).await;
    engine.pause(&[id]).unwrap();
    bench.script.release("upload_part");
    running.await.unwrap().unwrap();
    assert_eq!(job(&engine, id).state, JobState::Paused);
    let sent_before = bench.script.count("upload_part");
    assert!(sent_before < 3, "paused before the last part");
    engine.retry(&[id]).unwrap();
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(
        bench.script.count("upload_part"),
        3,
        "only the parts not yet confirmed were sent: {:?}",
        bench.script.calls()
    );
    assert_eq!(bench.objects.object(&j.key), Some(bytes));
}

#[tokio::test]
async fn no_more_files_than_allowed_are_sent_at_once() {
    let bench = Bench::new();
    let engine = Arc::new(bench.engine(Settings {
        file_concurrency: 2,
        ..Bench::settings()
    }));
    let paths: Vec<PathBuf> = (0..6)
        .map(|i| bench.file(&format!("f{i}.txt"), &data(500, 100 + i)))
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let ids = add(&engine, &refs);
    let hold = bench.script.hold("put");
    let running = spawn_run(&engine);
    hold.arrivals(2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        bench.script.count("put"),
        2,
        "a third file waits for a slot"
    );
    bench.script.release("put");
    running.await.unwrap().unwrap();
    assert!(
        ids.iter()
            .all(|id| job(&engine, *id).state == JobState::Done)
    );
    assert_eq!(bench.script.max_in_flight(), 2);
}

#[tokio::test]
async fn a_video_goes_in_chunks_then_waits_for_processing() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    let bytes = mp4(3 * MIB + 17);
    let id = add(&engine, &[&bench.file("lesson.mp4", &bytes)])[0];
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(j.destination, "stream");
    assert_eq!(
        bench.script.count("send"),
        4,
        "3 MiB + 17 bytes in 1 MiB chunks"
    );
    assert!(bench.script.count("processing") >= 3, "polled until ready");
    let media = j.result.unwrap().remote_id;
    assert_eq!(bench.videos.video(&media), Some(bytes));
}

#[tokio::test]
async fn a_video_upload_the_server_forgot_starts_again_and_says_so() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    bench.script.fail("send", ErrorKind::NotFound, 1);
    let bytes = mp4(2 * MIB);
    let id = add(&engine, &[&bench.file("lesson.mp4", &bytes)])[0];
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(bench.script.count("create"), 2, "a new upload");
    assert!(
        j.notes
            .iter()
            .any(|n| n.message.contains("starting it again")),
        "{:?}",
        j.notes
    );
    assert_eq!(
        bench.videos.video(&j.result.unwrap().remote_id),
        Some(bytes)
    );
}

#[tokio::test]
async fn a_plain_tus_server_ends_the_job_with_the_last_byte() {
    let bench = Bench::with_videos(|s| MemoryVideos::new("stream", s, MIB as u64, false));
    let engine = bench.engine(Bench::settings());
    // Any question after the last byte would fail: none may be asked.
    bench.script.fail("offset", ErrorKind::InvalidInput, 10);
    bench.script.fail("processing", ErrorKind::InvalidInput, 10);
    let id = add(&engine, &[&bench.file("lesson.mp4", &mp4(MIB + 1))])[0];
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(bench.script.count("offset"), 0);
    assert_eq!(bench.script.count("processing"), 0);
}

#[tokio::test]
async fn an_image_goes_to_images_under_its_key() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    let id = add(&engine, &[&bench.file("cover.png", &png(2000))])[0];
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(j.destination, "images");
    assert_eq!(bench.images.ids(), [j.result.unwrap().remote_id]);
    assert!(
        bench.script.count("find") >= 1,
        "the id was checked free first"
    );
}

#[tokio::test]
async fn an_image_whose_reply_was_lost_is_found_again_not_sent_twice() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    bench.script.lose_reply("upload", 1);
    let id = add(&engine, &[&bench.file("cover.png", &png(3000))])[0];
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(
        bench.script.count("upload"),
        1,
        "{:?}",
        bench.script.calls()
    );
    assert_eq!(bench.images.ids().len(), 1);
}

#[tokio::test]
async fn an_object_whose_reply_was_lost_is_recognised_not_sent_twice() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    bench.script.lose_reply("put", 1);
    bench.script.lose_reply("complete", 1);
    let small = data(2000, 11);
    let large = data(11 * MIB, 12);
    let ids = add(
        &engine,
        &[&bench.file("s.txt", &small), &bench.file("l.bin", &large)],
    );
    engine.run(JobFilter::All).await.unwrap();
    for (id, bytes) in ids.iter().zip([&small, &large]) {
        let j = job(&engine, *id);
        assert_eq!(j.state, JobState::Done, "{:?}", j.error);
        assert_eq!(bench.objects.object(&j.key).as_ref(), Some(bytes));
    }
    assert_eq!(bench.script.count("put"), 1, "{:?}", bench.script.calls());
    assert_eq!(bench.script.count("upload_part"), 3, "no part sent twice");
}

#[tokio::test]
async fn a_video_upload_that_expired_while_ferry_was_down_starts_again() {
    let bench = Bench::new();
    let bytes = mp4(3 * MIB);
    let path = bench.file("lesson.mp4", &bytes);
    let id = {
        let engine = Arc::new(bench.engine(Bench::settings()));
        let id = add(&engine, &[&path])[0];
        let hold = bench.script.hold("send");
        let running = spawn_run(&engine);
        hold.arrivals(1).await;
        running.abort();
        let _ = running.await;
        id
    };
    bench.script.release("send");
    bench.videos.expire_all();
    assert_eq!(bench.videos.count(), 0, "the unfinished upload expired");
    let engine = bench.engine(Bench::settings());
    engine.run(JobFilter::All).await.unwrap();
    let j = job(&engine, id);
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(bench.script.count("create"), 2);
    assert!(
        j.notes.iter().any(|n| n.message.contains("expired")),
        "{:?}",
        j.notes
    );
    assert_eq!(
        bench.videos.video(&j.result.unwrap().remote_id),
        Some(bytes)
    );
    assert_eq!(bench.videos.count(), 1);
}

async fn until_done(engine: &Engine, id: JobId) -> UploadJob {
    for _ in 0..3000 {
        let j = job(engine, id);
        if j.state.is_terminal() {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id:?} did not finish: {:?}", job(engine, id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_hands_over_without_waiting_or_sending_anything_twice() {
    let bench = Arc::new(Bench::new());
    bench.write_settings("part_concurrency = 1\n");
    let large = data(12 * MIB, 21);
    let big = bench.file("lecture.bin", &large);
    let hold = bench.script.hold("upload_part");
    let session = bench.session();
    let big_id = add(&session.engine(), &[&big])[0];
    hold.arrivals(1).await;

    // A settings change while a part is held: the reload returns at once.
    bench.write_settings("part_concurrency = 1\nfile_concurrency = 3\n");
    tokio::time::timeout(Duration::from_secs(5), session.reload())
        .await
        .expect("a reload never waits on an upload")
        .unwrap();
    assert_eq!(session.engine().settings().file_concurrency, 3);

    // The new engine takes new work while the old one still holds its part.
    let small = bench.file("notes.txt", b"week 1 notes");
    let small_id = add(&session.engine(), &[&small])[0];
    let j = until_done(&session.engine(), small_id).await;
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(job(&session.engine(), big_id).state, JobState::Uploading);

    bench.script.release("upload_part");
    let j = until_done(&session.engine(), big_id).await;
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(bench.objects.object(&j.key), Some(large));
    assert_eq!(
        bench.script.count("upload_part"),
        3,
        "no part sent by both engines: {:?}",
        bench.script.calls()
    );
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_returns_at_once_and_the_next_session_finishes_the_work() {
    let bench = Arc::new(Bench::new());
    bench.write_settings("part_concurrency = 1\n");
    let large = data(11 * MIB, 22);
    let path = bench.file("capture.bin", &large);
    let hold = bench.script.hold("upload_part");
    let session = bench.session();
    let id = add(&session.engine(), &[&path])[0];
    hold.arrivals(1).await;
    tokio::time::timeout(Duration::from_secs(5), session.stop())
        .await
        .expect("stop never waits on an upload");
    bench.script.release("upload_part");

    let session = bench.session();
    let j = until_done(&session.engine(), id).await;
    assert_eq!(j.state, JobState::Done, "{:?}", j.error);
    assert_eq!(bench.objects.object(&j.key), Some(large));
    session.stop().await;
}

/// The session checks the job database beside its start rather than before it; a damaged one
/// is reported and nothing is uploaded from it (the queued files stay queued, untouched).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_on_a_damaged_queue_uploads_nothing() {
    let bench = Arc::new(Bench::new());
    bench.write_settings("");
    let files: Vec<PathBuf> = (0..300)
        .map(|i| {
            bench.file(
                &format!("notes-{i:03}.txt"),
                format!("notes {i}").as_bytes(),
            )
        })
        .collect();
    {
        let engine = bench.engine(Bench::settings());
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        assert_eq!(add(&engine, &refs).len(), 300);
    }
    let db = FerryHome::at(bench.dir.path().join("home")).database();
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 12 * 4096, "{} bytes", bytes.len());
    // The last pages: the newest rows, which starting the session does not read.
    let end = bytes.len();
    for b in &mut bytes[end - 2 * 4096..end - 4096] {
        *b = 0xa5;
    }
    std::fs::write(&db, &bytes).unwrap();

    let session = bench.session();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        bench.objects.keys().is_empty(),
        "nothing uploaded from a damaged queue: {:?}",
        bench.objects.keys()
    );
    let err = session.engine().check_queue().unwrap_err();
    assert!(err.message().contains("damaged"), "{err}");
    session.stop().await;
}

#[tokio::test]
async fn editing_a_watched_folder_keeps_what_the_edit_does_not_touch() {
    use crate::watch::{self, ChangePolicy, FolderOptions};
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    let folder = bench.dir.path().join("Chemistry");
    std::fs::create_dir_all(&folder).unwrap();
    let rule: crate::route::RouteRule = toml::from_str("to = \"r2\"\next = [\"pdf\"]").unwrap();
    let options = FolderOptions {
        exclude: vec!["*.docx".into()],
        default_ignores: false,
        routes: vec![rule.clone()],
        ..FolderOptions::default()
    };
    watch::add_folder(&engine, &folder, options).unwrap();
    watch::edit_folder(&engine, &folder, |o| o.on_change = ChangePolicy::Ignore).unwrap();
    let kept = &watch::folders(&engine).unwrap()[0].options;
    assert_eq!(kept.on_change, ChangePolicy::Ignore, "the edit applies");
    assert_eq!(kept.exclude, ["*.docx"], "what it leaves out is kept");
    assert!(!kept.default_ignores);
    assert_eq!(kept.routes, [rule], "its routing rules are kept");
}

mod courses;
mod folders;
