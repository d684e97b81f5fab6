//! Live lessons in the window: list, create, read one (where to stream and its recordings),
//! copy its stream key to the clipboard (from Rust: the key never reaches the page), delete.

use super::*;
use crate::dto::{LiveLessonRow, NewLiveRow, RecordingRow};
use ferry_core::live::NewLiveLesson;

#[tauri::command]
pub async fn live_lessons(shell: State<'_, Arc<Shell>>) -> Reply<Vec<LiveLessonRow>> {
    let all = shell.session.engine().live_lessons().await?;
    Ok(all.iter().map(LiveLessonRow::from).collect())
}

#[tauri::command]
pub async fn create_live_lesson(
    shell: State<'_, Arc<Shell>>,
    lesson: NewLiveRow,
) -> Reply<LiveLessonRow> {
    let new = NewLiveLesson {
        name: lesson.name,
        course: lesson.course.filter(|c| !c.trim().is_empty()),
        recording: lesson.recording,
        delete_after_days: lesson.delete_after_days,
    };
    let (created, ingest) = shell.session.engine().create_live_lesson(&new).await?;
    let mut row = LiveLessonRow::from(&created);
    row.rtmps_url = Some(ingest.rtmps_url);
    row.srt_url = Some(ingest.srt_url);
    Ok(row)
}

#[tauri::command]
pub async fn live_lesson(shell: State<'_, Arc<Shell>>, id: String) -> Reply<LiveLessonRow> {
    let engine = shell.session.engine();
    let (lesson, ingest) = engine.live_lesson(&id).await?;
    let mut row = LiveLessonRow::from(&lesson);
    row.rtmps_url = Some(ingest.rtmps_url);
    row.srt_url = Some(ingest.srt_url);
    row.recordings = engine
        .live_recordings(&lesson)
        .await?
        .iter()
        .map(RecordingRow::from)
        .collect();
    Ok(row)
}

/// Put the lesson's stream key on the clipboard, for pasting into OBS or an encoder.
#[tauri::command]
pub async fn copy_live_key(shell: State<'_, Arc<Shell>>, id: String) -> Reply<()> {
    let (_, ingest) = shell.session.engine().live_lesson(&id).await?;
    shell.copy(ingest.stream_key.expose())
}

#[tauri::command]
pub async fn rename_live_lesson(
    shell: State<'_, Arc<Shell>>,
    id: String,
    name: String,
) -> Reply<LiveLessonRow> {
    let lesson = shell
        .session
        .engine()
        .rename_live_lesson(&id, &name)
        .await?;
    Ok(LiveLessonRow::from(&lesson))
}

#[tauri::command]
pub async fn delete_live_lesson(shell: State<'_, Arc<Shell>>, id: String) -> Reply<()> {
    shell.session.engine().delete_live_lesson(&id).await?;
    Ok(())
}

/// Put text the page shows (a server address) on the clipboard.
#[tauri::command]
pub async fn copy_text(shell: State<'_, Arc<Shell>>, text: String) -> Reply<()> {
    shell.copy(&text)
}

/// Put a recording's watch link on the clipboard (signed when videos need it); returns it.
#[tauri::command]
pub async fn copy_recording_link(shell: State<'_, Arc<Shell>>, id: String) -> Reply<String> {
    let link = shell.session.engine().recording_link(&id).await?;
    shell.copy(&link)?;
    Ok(link)
}
