// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Before GTK, WebKit or tokio start their threads.
    ferry_core::memory::limit_arenas();
    ferry_desktop::run();
}
