//! `ferry request`: upload requests from the command line. The page is saved to a file to
//! share; nothing secret is printed (the page holds signatures and one-time links only).

use crate::args::{RequestAction, parse_duration};
use ferry_core::request::{Landing, RequestSpec, UploadRequest};
use ferry_core::{Error, Result};
use serde_json::json;
use std::process::ExitCode;

fn request_json(r: &UploadRequest, now: i64) -> serde_json::Value {
    let (to, folder, signed) = match &r.spec.landing {
        Landing::Objects {
            destination,
            prefix,
        } => (destination.as_str(), Some(prefix.as_str()), None),
        Landing::Videos { signed } => ("stream", None, Some(*signed)),
        Landing::Images => ("images", None, None),
    };
    json!({
        "id": r.id,
        "title": r.spec.title,
        "course": r.spec.course,
        "to": to,
        "folder": folder,
        "signed": signed,
        "types": r.spec.extensions,
        "max_bytes": r.spec.max_bytes,
        "max_files": r.spec.max_files,
        "max_video_seconds": r.spec.max_video_seconds,
        "expires_at": r.spec.expires_at,
        "open": r.is_open(now),
        "page": r.page,
        "link": r.link,
        "created_at": r.created_at,
        "closed_at": r.closed_at,
    })
}

fn when(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn describe(r: &UploadRequest, now: i64) -> String {
    let state = if r.closed_at.is_some() {
        "closed".to_string()
    } else if r.is_open(now) {
        format!("open until {}", when(r.spec.expires_at))
    } else {
        "ended".to_string()
    };
    let to = match &r.spec.landing {
        Landing::Objects {
            destination,
            prefix,
        } => format!("{destination}:{prefix}/"),
        Landing::Videos { signed: true } => "Stream (private videos)".into(),
        Landing::Videos { signed: false } => "Stream".into(),
        Landing::Images => "Images".into(),
    };
    format!("{}  {} → {to}: {state}", r.id, r.spec.title)
}

pub async fn run(action: RequestAction) -> Result<ExitCode> {
    let engine = crate::open_engine()?;
    let now = chrono::Utc::now().timestamp();
    match action {
        RequestAction::Create(args) => {
            let crate::args::NewRequestArgs {
                title,
                course,
                to,
                folder,
                video,
                public,
                image,
                types,
                max_mb,
                max_files,
                max_minutes,
                open_for,
                note,
                page,
                publish,
                json,
            } = *args;
            let landing = match (to, video, image) {
                (Some(destination), _, _) => Landing::Objects {
                    destination,
                    prefix: folder.ok_or_else(|| {
                        Error::input(
                            "name the folder what arrives lands in: --folder biology/week-3",
                        )
                    })?,
                },
                (None, true, _) => Landing::Videos { signed: !public },
                (None, false, true) => Landing::Images,
                (None, false, false) => {
                    return Err(Error::input(
                        "say where files land: --to s3 --folder FOLDER, --video (Stream) or --image (Images)",
                    ));
                }
            };
            let lasts = parse_duration(&open_for).map_err(Error::input)?;
            let spec = RequestSpec {
                title,
                course,
                landing,
                extensions: types,
                max_bytes: max_mb.saturating_mul(1_000_000),
                max_files,
                max_video_seconds: max_minutes.map(|m| m.saturating_mul(60)),
                expires_at: now + lasts.as_secs() as i64,
                note,
                publish,
            };
            let made = engine.create_request(spec, page).await?;
            if json {
                println!("{}", request_json(&made, now));
            } else {
                println!("✓ {}", describe(&made, now));
                if let Some(link) = &made.link {
                    println!("  Link to send: {link}");
                } else if let Some(page) = &made.page {
                    println!("  Page: {}", page.display());
                    println!(
                        "  Share this page (by email or your course site): whoever opens it can send files within its limits until it ends or you close it."
                    );
                }
            }
        }
        RequestAction::List { json } => {
            let all = engine.requests()?;
            if all.is_empty() && !json {
                println!(
                    "No upload request yet: `ferry request create \"Week 3 essays\" --to s3 --folder biology/week-3`."
                );
            }
            for r in &all {
                if json {
                    println!("{}", request_json(r, now));
                } else {
                    println!("{}", describe(r, now));
                }
            }
        }
        RequestAction::Show { id, json } => {
            // Looking puts what arrived since the last look in the history (and closes a
            // request past its end).
            let arrived = engine.request_arrivals(&id).await?;
            let r = engine.request(&id)?;
            if json {
                let mut v = request_json(&r, now);
                v["arrived"] = arrived.iter().map(crate::report::job_json).collect();
                println!("{v}");
            } else {
                println!("{}", describe(&r, now));
                if let Some(page) = &r.page {
                    println!("  Page: {}", page.display());
                }
                if arrived.is_empty() {
                    println!("  Nothing arrived yet.");
                } else {
                    println!("  Arrived ({}, also in `ferry status`):", arrived.len());
                    for job in &arrived {
                        println!(
                            "    {}  from {}  ({})",
                            job.display_name,
                            job.sender.as_deref().unwrap_or("someone"),
                            crate::report::human_size(job.file.size)
                        );
                    }
                }
            }
        }
        RequestAction::Close { id } => {
            let r = engine.close_request(&id).await?;
            println!(
                "✓ closed {}: its page is removed; links already shared stop working at {}",
                r.id,
                when(r.spec.expires_at)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
