//! Changing uploaded videos' settings on Stream from the window: one video from its dialog, or
//! every uploaded video of a course.

use super::*;

/// Change uploaded videos (the jobs `ids`, and with `course` every uploaded video of it);
/// returns how many changed.
#[tauri::command]
pub async fn edit_videos(
    shell: State<'_, Arc<Shell>>,
    ids: Vec<i64>,
    course: Option<String>,
    edit: crate::dto::VideoEditRow,
) -> Reply<u32> {
    let targets: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let changed = shell
        .session
        .engine()
        .edit_videos(&targets, course.as_deref(), &edit.into())
        .await?;
    shell.bridge.send(crate::dto::UiEvent::Reloaded);
    Ok(changed.len() as u32)
}

/// Make (`on`) or remove a video's MP4 download; returns it after the change.
#[tauri::command]
pub async fn video_download(
    shell: State<'_, Arc<Shell>>,
    id: i64,
    on: bool,
) -> Reply<Option<crate::dto::DownloadRow>> {
    let made = shell
        .session
        .engine()
        .set_video_download(&id.to_string(), on)
        .await?;
    Ok(made.map(|d| crate::dto::DownloadRow {
        ready: d.ready,
        url: d.url,
    }))
}
