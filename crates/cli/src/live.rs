//! `ferry live`: live lessons from the command line. Where to stream is printed on request;
//! the stream key and SRT passphrase only with `--key`, never in a list or a log.

use crate::args::LiveAction;
use ferry_core::live::{LiveIngest, LiveLesson, NewLiveLesson, Recording};
use ferry_core::{Engine, Result};
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

fn ingest_json(ingest: &LiveIngest, key: bool, lesson: &LiveLesson) -> serde_json::Value {
    let mut v = lesson_json(lesson);
    v["rtmps_url"] = json!(ingest.rtmps_url);
    v["srt_url"] = json!(ingest.srt_url);
    v["srt_stream_id"] = json!(ingest.srt_stream_id);
    if key {
        v["stream_key"] = json!(ingest.stream_key.expose());
        v["srt_passphrase"] = json!(ingest.srt_passphrase.expose());
        v["webrtc_url"] = json!(ingest.webrtc_url.expose());
    }
    v
}

fn print_ingest(ingest: &LiveIngest, key: bool, lesson: &LiveLesson) {
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

async fn print_recordings(engine: &Engine, recordings: &[Recording]) {
    if recordings.is_empty() {
        return;
    }
    println!("  Recordings (ready ones are also in `ferry status`, like any uploaded video):");
    for r in recordings {
        let name = r.name.as_deref().unwrap_or("recording");
        if !r.ready {
            println!("    {}  {name}: Stream is still preparing it", r.uid);
            continue;
        }
        match engine.recording_link(&r.uid).await {
            Ok(link) => println!("    {}  {name}  {link}", r.uid),
            Err(e) => println!("    {}  {name}  (no link yet: {})", r.uid, e.message()),
        }
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
            if json {
                println!("{}", ingest_json(&ingest, false, &lesson));
            } else {
                print_ingest(&ingest, false, &lesson);
            }
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
            // Reading the recordings also puts the ready ones in the history.
            let recordings = engine.live_recordings(&lesson).await?;
            if json {
                let mut v = ingest_json(&ingest, key, &lesson);
                v["recordings"] = recordings
                    .iter()
                    .map(|r| {
                        json!({"id": r.uid, "name": r.name, "ready": r.ready, "created": r.created})
                    })
                    .collect();
                println!("{v}");
            } else {
                print_ingest(&ingest, key, &lesson);
                print_recordings(&engine, &recordings).await;
            }
        }
        LiveAction::Rename { id, name } => {
            let lesson = engine.rename_live_lesson(&id, &name).await?;
            println!("✓ renamed the live lesson {id} to {:?}", lesson.name);
        }
        LiveAction::Delete { id } => {
            engine.delete_live_lesson(&id).await?;
            println!("✓ deleted the live lesson {id} (its recordings stay)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
