//! The desktop shell: a window around ferry-core.
//!
//! For now it opens the main window only; commands, the event bridge, the tray and DTOs arrive
//! with the desktop issue. The shell stays thin: anything that compiles without Tauri belongs in
//! ferry-core.

/// Start the app and block until it exits.
pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running the Ferry window");
}
