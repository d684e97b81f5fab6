//! `ferry captions`: a video's captions on Cloudflare Stream from the command line. The checks
//! and the words are the engine's, so the window and the CLI say the same.

use crate::args::CaptionsAction;
use ferry_core::Result;
use ferry_core::captions::Caption;
use serde_json::json;
use std::process::ExitCode;

fn caption_json(c: &Caption) -> serde_json::Value {
    json!({
        "language": c.language,
        "label": c.label,
        "generated": c.generated,
        "status": c.status.as_str(),
    })
}

fn describe(c: &Caption) -> String {
    let how = if c.generated { "generated" } else { "uploaded" };
    let state = match c.status.as_str() {
        "ready" => "ready",
        "error" => "failed: generate again, or add a file",
        _ => "being made by Stream",
    };
    format!("{} ({}): {how}, {state}", c.language, c.label)
}

pub async fn run(action: CaptionsAction) -> Result<ExitCode> {
    let engine = crate::open_engine()?;
    match action {
        CaptionsAction::List { video, json } => {
            let (job, list) = engine.captions(&video).await?;
            if json {
                for c in &list {
                    println!("{}", caption_json(c));
                }
            } else if list.is_empty() {
                println!(
                    "{}: no captions yet; add a file with `ferry captions add {video} FILE.vtt`, or `ferry captions generate {video}`",
                    job.file.path.display()
                );
            } else {
                for c in &list {
                    println!("{}", describe(c));
                }
            }
        }
        CaptionsAction::Add {
            video,
            file,
            language,
            json,
        } => {
            let c = engine
                .add_caption(&video, &file, language.as_deref())
                .await?;
            if json {
                println!("{}", caption_json(&c));
            } else {
                println!("✓ {} → {}", file.display(), describe(&c));
            }
        }
        CaptionsAction::Generate {
            video,
            language,
            json,
        } => {
            let c = engine.generate_captions(&video, &language).await?;
            if json {
                println!("{}", caption_json(&c));
            } else {
                println!("✓ asked Stream for captions: {}", describe(&c));
            }
        }
        CaptionsAction::Delete { video, language } => {
            engine.delete_caption(&video, &language).await?;
            println!("✓ deleted the {language} captions");
        }
    }
    Ok(ExitCode::SUCCESS)
}
