use super::*;
use crate::ErrorKind;
use crate::job::JobNote;

fn new_job(n: usize) -> NewJob {
    NewJob {
        batch: "b1".into(),
        file: FileSnapshot {
            path: PathBuf::from(format!("/course/file-{n}.pdf")),
            size: 1000 + n as u64,
            mtime_ns: 42,
            hash: format!("hash{n}"),
        },
        display_name: format!("file-{n}.pdf"),
        kind: FileKind::Document,
        content_type: "application/pdf".into(),
        destination: "s3".into(),
        target: "s3|http://127.0.0.1:1|bucket".into(),
        key: format!("documents/file-{n}.pdf"),
        force: false,
        overwrite: false,
        inline: false,
        course: None,
        captions: Vec::new(),
    }
}

#[test]
fn enqueue_is_one_transaction_and_round_trips() {
    let q = Queue::open_in_memory().unwrap();
    let jobs: Vec<_> = (0..5000).map(new_job).collect();
    let ids = q.enqueue(&jobs, 7).unwrap();
    assert_eq!(ids.len(), 5000);
    let listed = q.list().unwrap();
    assert_eq!(listed.len(), 5000);
    let j = &listed[3];
    assert_eq!(j.file.path, PathBuf::from("/course/file-3.pdf"));
    assert_eq!(j.state, JobState::Queued);
    assert_eq!(j.kind, FileKind::Document);
    assert_eq!(j.created_at, 7);
    assert!(j.resume.is_none() && j.result.is_none() && j.error.is_none());
}

#[test]
fn transitions_only_from_allowed_states() {
    let q = Queue::open_in_memory().unwrap();
    let id = q.enqueue(&[new_job(1)], 0).unwrap()[0];
    assert!(
        q.transition(id, &[JobState::Queued], JobState::Uploading, 1)
            .unwrap()
    );
    // A second claim of the same job fails: two workers can never both own it.
    assert!(
        !q.transition(id, &[JobState::Queued], JobState::Uploading, 1)
            .unwrap()
    );
    assert_eq!(q.state(id).unwrap(), Some(JobState::Uploading));
}

#[test]
fn parts_are_committed_one_by_one_and_cleared_when_done() {
    let q = Queue::open_in_memory().unwrap();
    let id = q.enqueue(&[new_job(1)], 0).unwrap()[0];
    let resume = ResumeState::S3Multipart {
        upload_id: "u-1".into(),
        part_size: 400,
    };
    q.set_resume(id, Some(&resume), 1).unwrap();
    for n in 1..=2 {
        q.confirm_part(
            id,
            &ConfirmedPart {
                number: n,
                etag: format!("\"e{n}\""),
                size: 400,
            },
            2,
        )
        .unwrap();
    }
    let job = q.get(id).unwrap().unwrap();
    assert_eq!(job.resume, Some(resume));
    assert_eq!(job.bytes_done, 800);
    assert_eq!(q.parts(id).unwrap().len(), 2);

    let result = UploadResult {
        remote_id: "documents/file-1.pdf".into(),
        url: Some("http://x/y".into()),
        links: [("hls".to_string(), "http://x/y.m3u8".to_string())].into(),
    };
    q.finish_done(id, &result, None, 3).unwrap();
    let job = q.get(id).unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.result, Some(result));
    assert_eq!(job.bytes_done, 1001);
    assert!(job.resume.is_none());
    assert!(q.parts(id).unwrap().is_empty());
}

#[test]
fn failed_jobs_keep_resume_state_and_can_be_requeued() {
    let q = Queue::open_in_memory().unwrap();
    let id = q.enqueue(&[new_job(1)], 0).unwrap()[0];
    let resume = ResumeState::S3Multipart {
        upload_id: "u-1".into(),
        part_size: 400,
    };
    q.set_resume(id, Some(&resume), 1).unwrap();
    q.transition(id, &[JobState::Queued], JobState::Uploading, 1)
        .unwrap();
    q.finish_failed(id, &Error::new(ErrorKind::Server, "boom"), 2)
        .unwrap();
    let job = q.get(id).unwrap().unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.error.as_ref().unwrap().code, "server");
    assert_eq!(job.resume, Some(resume));
    assert_eq!(q.requeue(&[id], 3).unwrap(), 1);
    assert_eq!(q.state(id).unwrap(), Some(JobState::Queued));
}

#[test]
fn dedup_finds_done_content_at_the_same_target_only() {
    let q = Queue::open_in_memory().unwrap();
    let mut other_target = new_job(1);
    other_target.target = "s3|http://elsewhere|bucket".into();
    let ids = q
        .enqueue(&[new_job(1), new_job(1), other_target], 0)
        .unwrap();
    let result = UploadResult {
        remote_id: "k".into(),
        url: None,
        ..UploadResult::default()
    };
    q.finish_done(ids[0], &result, None, 1).unwrap();
    assert_eq!(
        q.done_with_content("hash1", &new_job(1).target, ids[1])
            .unwrap()
            .unwrap()
            .id,
        ids[0]
    );
    assert!(
        q.done_with_content("hash1", "s3|http://elsewhere|bucket", ids[2])
            .unwrap()
            .is_none()
    );
    assert!(
        q.done_with_content("hash1", &new_job(1).target, ids[0])
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_damaged_database_is_reported_not_replaced() {
    let dir = tempdir();
    let path = dir.path().join("ferry.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let err = Queue::open(&path)
        .err()
        .expect("a garbage file must not open");
    assert_eq!(err.kind(), ErrorKind::Queue);
    assert!(err.message().contains("damaged"), "{err}");
    // The file is left as it was for the user to inspect.
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x5a; 8192]);
}

/// A database whose pages were damaged (here: overwritten in the middle, past its schema) still
/// opens, so the window can start without reading it all; the page-by-page check finds the
/// damage, and the file is left as it was.
#[test]
fn a_damaged_page_is_found_by_the_check_not_at_open() {
    let dir = tempdir();
    let path = dir.path().join("ferry.db");
    {
        let q = Queue::open(&path).unwrap();
        let jobs: Vec<_> = (0..400).map(new_job).collect();
        q.enqueue(&jobs, 0).unwrap();
        q.check_integrity().unwrap();
        // Everything into the main file, so the damage below is what SQLite reads.
        q.conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "{} bytes", bytes.len());
    for b in &mut bytes[5 * page..7 * page] {
        *b = 0xa5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let q = Queue::open(&path).expect("the schema is intact: it opens");
    let err = q.check_integrity().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Queue);
    assert!(err.message().contains("damaged"), "{err}");
    drop(q);
    assert_eq!(
        std::fs::read(&path).unwrap()[5 * page],
        0xa5,
        "left as it was"
    );
}

#[test]
fn reopening_keeps_jobs_and_schema() {
    let dir = tempdir();
    let path = dir.path().join("ferry.db");
    {
        let q = Queue::open(&path).unwrap();
        q.enqueue(&[new_job(1)], 0).unwrap();
    }
    let q = Queue::open(&path).unwrap();
    assert_eq!(q.list().unwrap().len(), 1);
}

#[test]
fn many_openers_of_a_new_database_migrate_it_once() {
    // The window and a `ferry` command started together on a fresh install (or just after an
    // update) both find the schema behind; each step must be made once, by one of them.
    for _ in 0..5 {
        let dir = tempdir();
        let path = dir.path().join("ferry.db");
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Queue::open(&path).map(|_| ()))
            })
            .collect();
        for o in openers {
            o.join().unwrap().expect("every opener gets the database");
        }
        let q = Queue::open(&path).unwrap();
        q.enqueue(&[new_job(1)], 0).unwrap();
        assert_eq!(q.list().unwrap().len(), 1);
    }
}

/// A temporary folder, removed when the guard drops.
fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn notes_accumulate_in_a_jobs_history_and_survive_a_requeue() {
    let q = Queue::open_in_memory().unwrap();
    let ids = q.enqueue(&[new_job(1)], 7).unwrap();
    assert!(q.get(ids[0]).unwrap().unwrap().notes.is_empty());
    q.add_note(ids[0], "started again: the server lost the upload", 10)
        .unwrap();
    q.add_note(ids[0], "a second \"quoted\" note", 11).unwrap();
    q.finish_failed(ids[0], &Error::new(ErrorKind::Server, "x"), 12)
        .unwrap();
    q.requeue(&ids, 13).unwrap();
    let notes = q.get(ids[0]).unwrap().unwrap().notes;
    assert_eq!(
        notes,
        vec![
            JobNote {
                at: 10,
                message: "started again: the server lost the upload".into()
            },
            JobNote {
                at: 11,
                message: "a second \"quoted\" note".into()
            },
        ]
    );
}

#[test]
fn a_recording_joins_the_history_once_done_and_is_never_picked() {
    let q = std::sync::Arc::new(Queue::open_in_memory().unwrap());
    let mut job = new_job(1);
    job.file.path = PathBuf::new();
    job.kind = FileKind::Video;
    let result = UploadResult {
        remote_id: "video1".into(),
        url: None,
        links: [(
            "hls".to_string(),
            "https://x/video1/manifest/video.m3u8".to_string(),
        )]
        .into(),
    };
    // Lookers at the same moment (the session's poll and the window) add it once.
    let added: Vec<_> = (0..4)
        .map(|_| {
            let (q, job, result) = (q.clone(), job.clone(), result.clone());
            std::thread::spawn(move || {
                q.add_arrival(&job, &result, Origin::Live("input1"), 5)
                    .unwrap()
            })
        })
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(added.iter().flatten().count(), 1, "{added:?}");
    let id = added.into_iter().flatten().next().unwrap();
    let got = q.get(id).unwrap().unwrap();
    assert_eq!(got.state, JobState::Done);
    assert_eq!(got.live_input.as_deref(), Some("input1"));
    assert_eq!(got.bytes_done, got.file.size);
    assert_eq!(
        got.result.as_ref().unwrap().links["hls"],
        result.links["hls"]
    );
    assert!(
        q.unfinished().unwrap().is_empty(),
        "a done recording is never picked"
    );
    assert_eq!(q.requeue(&[id], 6).unwrap(), 0, "nor queued again");
    // Even failed (a service refused what arrived): there is no file to send.
    q.finish_failed(id, &Error::input("refused"), 7).unwrap();
    assert_eq!(q.requeue(&[id], 8).unwrap(), 0, "a failed arrival stays");
    assert_eq!(
        q.arrived(Origin::Live("input1")).unwrap(),
        ["video1".to_string()].into()
    );
    assert!(q.arrived(Origin::Live("input2")).unwrap().is_empty());
    assert!(
        q.arrived(Origin::Request {
            id: "input1",
            sender: None
        })
        .unwrap()
        .is_empty(),
        "origins are apart"
    );
}
