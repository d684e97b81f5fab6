//! Captions of a finished Stream video: list, add a file the teacher chooses in the native
//! dialog (the page never names a path to read), ask Stream to generate them, delete one.

use super::*;
use crate::dto::CaptionRow;

/// The engine names a video by its job number (or its file's path).
fn video_of(id: i64) -> String {
    id.to_string()
}

#[tauri::command]
pub async fn captions(shell: State<'_, Arc<Shell>>, id: i64) -> Reply<Vec<CaptionRow>> {
    let video = video_of(id);
    let (_, list) = shell.session.engine().captions(&video).await?;
    Ok(list.into_iter().map(CaptionRow::from).collect())
}

/// Choose a caption file and add it; `None` when the dialog was cancelled. The language is the
/// one given, else the one in the file's name, else English.
#[tauri::command]
pub async fn add_caption(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    id: i64,
    language: Option<String>,
) -> Reply<Option<CaptionRow>> {
    let video = video_of(id);
    let lang = shell.prefs().language;
    let Some(file) = crate::pickers::open_caption(&app, &lang).await else {
        return Ok(None);
    };
    let language = language.filter(|l| !l.trim().is_empty());
    let caption = shell
        .session
        .engine()
        .add_caption(&video, &file, language.as_deref())
        .await?;
    Ok(Some(caption.into()))
}

#[tauri::command]
pub async fn generate_captions(
    shell: State<'_, Arc<Shell>>,
    id: i64,
    language: String,
) -> Reply<CaptionRow> {
    let video = video_of(id);
    let caption = shell
        .session
        .engine()
        .generate_captions(&video, &language)
        .await?;
    Ok(caption.into())
}

#[tauri::command]
pub async fn delete_caption(shell: State<'_, Arc<Shell>>, id: i64, language: String) -> Reply<()> {
    let video = video_of(id);
    shell
        .session
        .engine()
        .delete_caption(&video, &language)
        .await?;
    Ok(())
}
