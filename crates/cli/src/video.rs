//! `ferry video edit`: change uploaded videos' settings on Stream. The checks and the words are
//! the engine's.

use crate::args::VideoAction;
use ferry_core::Result;
use ferry_core::VideoEdit;
use std::process::ExitCode;

pub async fn run(action: VideoAction) -> Result<ExitCode> {
    let engine = crate::open_engine()?;
    match action {
        VideoAction::Edit {
            videos,
            course,
            signed,
            public,
            origins,
            thumbnail_at,
            delete_after,
            keep,
            title,
        } => {
            let edit = VideoEdit {
                require_signed_urls: match (signed, public) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
                allowed_origins: origins.map(|o| {
                    o.split(',')
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(str::to_string)
                        .collect()
                }),
                thumbnail_pct: thumbnail_at,
                delete_after_days: match (delete_after, keep) {
                    (Some(d), _) => Some(Some(d)),
                    (None, true) => Some(None),
                    _ => None,
                },
                title,
            };
            let changed = engine
                .edit_videos(&videos, course.as_deref(), &edit)
                .await?;
            for job in &changed {
                println!("✓ {}", job.file.path.display());
            }
            println!("Changed {} video(s).", changed.len());
        }
        VideoAction::Download { video, off, json } => {
            let made = engine.set_video_download(&video, !off).await?;
            match (made, json) {
                (None, true) => println!("{}", serde_json::json!({ "download": null })),
                (None, false) => println!("✓ the MP4 download is removed"),
                (Some(d), true) => println!(
                    "{}",
                    serde_json::json!({ "download": { "ready": d.ready, "url": d.url } })
                ),
                (Some(d), false) if d.ready => println!("✓ MP4 download: {}", d.url),
                (Some(d), false) => println!(
                    "Stream is making the MP4; run this again in a few minutes for its link ({})",
                    d.url
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
