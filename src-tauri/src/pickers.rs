//! The native file dialogs: open files or folders, and save a manifest.
//!
//! Invariant: a dialog never blocks the event loop. Tauri's dialog plugin builds the dialog on
//! the main thread and waits for the answer on a thread of its own, so the window keeps
//! painting and answering while the dialog is open; the command awaits the answer on a
//! channel. (Calling a blocking dialog from the main thread froze the window for good.)

use std::path::PathBuf;
use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tokio::sync::oneshot;

/// Titles in the window's language.
fn title(language: &str, what: What) -> &'static str {
    match (language, what) {
        ("fr", What::Files) => "Ajouter des fichiers à envoyer",
        ("fr", What::Folders) => "Choisir un dossier",
        ("fr", What::Save) => "Enregistrer le manifeste du cours",
        ("fr", What::Import) => "Choisir le fichier d'où importer des comptes",
        ("fr", What::Caption) => "Choisir un fichier de sous-titres (.vtt ou .srt)",
        (_, What::Files) => "Add files to upload",
        (_, What::Folders) => "Choose a folder",
        (_, What::Save) => "Save the course manifest",
        (_, What::Import) => "Choose the file to import accounts from",
        (_, What::Caption) => "Choose a caption file (.vtt or .srt)",
    }
}

#[derive(Clone, Copy)]
enum What {
    Files,
    Folders,
    Save,
    Import,
    Caption,
}

fn builder(app: &AppHandle, language: &str, what: What) -> FileDialogBuilder<tauri::Wry> {
    let mut dialog = app.dialog().file().set_title(title(language, what));
    // Open in the user's own folder rather than GTK's "Recent" list, where a typed folder path
    // cannot be chosen.
    if let Ok(home) = app.path().home_dir() {
        dialog = dialog.set_directory(home);
    }
    // Modal to the window, so it opens in front of it.
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    dialog
}

fn paths(chosen: Option<Vec<FilePath>>) -> Vec<PathBuf> {
    chosen
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect()
}

/// Files (or folders) the user chose; empty when the dialog was cancelled or closed.
pub async fn open(app: &AppHandle, language: &str, folders: bool) -> Vec<PathBuf> {
    let (tx, rx) = oneshot::channel();
    let send = move |chosen: Option<Vec<FilePath>>| {
        let _ = tx.send(paths(chosen));
    };
    if folders {
        builder(app, language, What::Folders).pick_folders(send);
    } else {
        builder(app, language, What::Files).pick_files(send);
    }
    rx.await.unwrap_or_default()
}

/// The one file to import accounts from (a `.env`, rclone's configuration); `None` when the
/// dialog was cancelled. Hidden files are listed: a `.env` is one.
pub async fn open_import(app: &AppHandle, language: &str) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    builder(app, language, What::Import).pick_file(move |chosen| {
        let _ = tx.send(chosen.and_then(|p| p.into_path().ok()));
    });
    rx.await.ok().flatten()
}

/// A caption file (WebVTT or SubRip) for a video; `None` when cancelled.
pub async fn open_caption(app: &AppHandle, language: &str) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    builder(app, language, What::Caption)
        .add_filter("WebVTT, SubRip", &["vtt", "srt", "VTT", "SRT"])
        .pick_file(move |chosen| {
            let _ = tx.send(chosen.and_then(|p| p.into_path().ok()));
        });
    rx.await.ok().flatten()
}

/// Where to save a file named `name` (extension `ext`); `None` when cancelled.
pub async fn save(app: &AppHandle, language: &str, name: &str, ext: &str) -> Option<PathBuf> {
    let (tx, rx) = oneshot::channel();
    builder(app, language, What::Save)
        .set_file_name(name)
        .add_filter(ext, &[ext])
        .save_file(move |chosen| {
            let _ = tx.send(chosen.and_then(|p| p.into_path().ok()));
        });
    rx.await.ok().flatten()
}
