//! `ferry live`: live lessons from the command line. Where to stream is printed on request;
//! the stream key and SRT passphrase only with `--key`, never in a list or a log.

use crate::args::LiveAction;
use ferry_core::Result;
use ferry_core::live::{LiveIngest, LiveLesson, NewLiveLesson};
use serde_json::json;
use std::process::ExitCode;

fn lesson_json(l: &LiveLesson) -> serde_json::Value {
    json!({
        "id": l.uid,
        "name": l.name,
        "course": l.course,
        "recording": l.recording,
        "delete_after_days": l.delete_after_days,
        "status": l.status,
        "connected": l.is_connected(),
        "created": l.created,
    })
}

fn describe(l: &LiveLesson) -> String {
    let live = if l.is_connected() {
        "live now"
    } else {
        "not streaming"
    };
    let kept = match (l.recording, l.delete_after_days) {
        (false, _) => "not recorded".to_string(),
        (true, None) => "recorded, kept".to_string(),
        (true, Some(d)) => format!("recorded, deleted after {d} days"),
    };
    let course = l
        .course
        .as_deref()
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    format!("{}  {}{course}: {live}, {kept}", l.uid, l.name)
}

fn print_ingest(ingest: &LiveIngest, key: bool, json_out: bool, lesson: &LiveLesson) {
    if json_out {
        let mut v = lesson_json(lesson);
        v["rtmps_url"] = json!(ingest.rtmps_url);
        v["srt_url"] = json!(ingest.srt_url);
        v["srt_stream_id"] = json!(ingest.srt_stream_id);
        if key {
            v["stream_key"] = json!(ingest.stream_key.expose());
            v["srt_passphrase"] = json!(ingest.srt_passphrase.expose());
            v["webrtc_url"] = json!(ingest.webrtc_url.expose());
        }
        println!("{v}");
        return;
    }
    println!("{}", describe(lesson));
    println!("  RTMPS server: {}", ingest.rtmps_url);
    println!(
        "  SRT server:   {} (stream id {})",
        ingest.srt_url, ingest.srt_stream_id
    );
    if key {
        println!("  Stream key:   {}", ingest.stream_key.expose());
        println!("  SRT passphrase: {}", ingest.srt_passphrase.expose());
        println!("  Keep the key private: whoever has it can stream into this lesson.");
    } else {
        println!(
            "  Stream key:   hidden; `ferry live show {} --key` prints it",
            lesson.uid
        );
    }
}

pub async fn run(action: LiveAction) -> Result<ExitCode> {
    let engine = crate::open_engine()?;
    match action {
        LiveAction::Create {
            name,
            course,
            no_recording,
            delete_after,
            json,
        } => {
            let new = NewLiveLesson {
                name,
                course,
                recording: !no_recording,
                delete_after_days: delete_after,
            };
            let (lesson, ingest) = engine.create_live_lesson(&new).await?;
            print_ingest(&ingest, false, json, &lesson);
        }
        LiveAction::List { json } => {
            let all = engine.live_lessons().await?;
            if all.is_empty() && !json {
                println!(
                    "No live lesson yet: create one with `ferry live create \"Biology 101, week 3\"`."
                );
            }
            for l in &all {
                if json {
                    println!("{}", lesson_json(l));
                } else {
                    println!("{}", describe(l));
                }
            }
        }
        LiveAction::Show { id, key, json } => {
            let (lesson, ingest) = engine.live_lesson(&id).await?;
            print_ingest(&ingest, key, json, &lesson);
            if !json {
                let recordings = engine.live_recordings(&id).await?;
                if !recordings.is_empty() {
                    println!("  Recordings:");
                    for uid in &recordings {
                        match engine.recording_link(uid).await {
                            Ok(link) => println!("    {uid}  {link}"),
                            Err(e) => println!("    {uid}  (no link yet: {})", e.message()),
                        }
                    }
                }
            }
        }
        LiveAction::Delete { id } => {
            engine.delete_live_lesson(&id).await?;
            println!("✓ deleted the live lesson {id} (its recordings stay)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
