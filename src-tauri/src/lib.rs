//! The desktop shell: a window, a tray and OS notifications around ferry-core.
//!
//! The shell stays thin: each command is one core call plus a conversion ([`commands`]), the
//! only JSON shapes live in [`dto`], and engine events reach the window through one
//! [`bridge`]. Uploads run in the core's [`ferry_core::session::Session`], which outlives the
//! window: closing it leaves Ferry in the tray (by setting), and a reopened window rebuilds its
//! view from the queue.

mod bridge;
mod commands;
mod dto;
mod dto_jobs;
mod dto_requests;
mod pickers;
mod shell;
mod tray;

use bridge::{Alert, Bridge};
use ferry_core::config::FerryHome;
use ferry_core::session::Session;
use shell::Shell;
use std::sync::Arc;
use tauri::{Manager, WindowEvent};
use tauri_plugin_notification::NotificationExt;

/// Started at login: go straight to the tray, without showing the window.
const BACKGROUND: &str = "--background";

/// Start the app and block until it exits.
pub fn run() {
    // Start-up is measured from here (bench/desktop_bench.mjs reads the log's lines).
    let launched = std::time::Instant::now();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_window(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .arg(BACKGROUND)
                .build(),
        )
        .invoke_handler(tauri::generate_handler![
            commands::jobs::overview,
            commands::jobs::jobs,
            commands::jobs::job_page,
            commands::jobs::job_ids,
            commands::jobs::job_tally,
            commands::jobs::job_facets,
            commands::jobs::subscribe,
            commands::jobs::add_paths,
            commands::jobs::pick,
            commands::jobs::pause,
            commands::jobs::pause_all,
            commands::jobs::retry,
            commands::jobs::resume_all,
            commands::jobs::cancel,
            commands::jobs::delete_remote,
            commands::links::link,
            commands::links::copy_link,
            commands::links::copy_links,
            commands::links::open_link,
            commands::links::export_manifest,
            commands::accounts::accounts,
            commands::accounts::add_account,
            commands::accounts::remove_account,
            commands::accounts::set_default_account,
            commands::accounts::test_account,
            commands::accounts::account_kinds,
            commands::accounts::environment_accounts,
            commands::accounts::import_preview,
            commands::buckets::bucket_settings,
            commands::settings::preview_keys,
            commands::buckets::bucket_apply_cors,
            commands::buckets::bucket_apply_lifecycle,
            commands::jobs::pick_import_file,
            commands::accounts::import_accounts,
            commands::accounts::full_test_account,
            commands::accounts::test_setup,
            commands::live::live_lessons,
            commands::live::create_live_lesson,
            commands::live::live_lesson,
            commands::live::copy_live_key,
            commands::live::delete_live_lesson,
            commands::live::copy_text,
            commands::live::copy_recording_link,
            commands::live::rename_live_lesson,
            commands::requests::requests,
            commands::requests::create_request,
            commands::requests::request_arrivals,
            commands::requests::close_request,
            commands::requests::open_request_page,
            commands::requests::save_request_page,
            commands::videos::edit_videos,
            commands::videos::video_download,
            commands::captions::captions,
            commands::captions::add_caption,
            commands::captions::generate_captions,
            commands::captions::delete_caption,
            commands::courses::courses,
            commands::courses::save_course,
            commands::courses::remove_course,
            commands::courses::preview_course,
            commands::folders::folders,
            commands::folders::add_folder,
            commands::folders::remove_folder,
            commands::folders::folder_deletions,
            commands::folders::confirm_deletions,
            commands::folders::keep_deletions,
            commands::settings::settings,
            commands::settings::save_settings,
            commands::settings::save_prefs,
        ])
        .setup(move |app| {
            let home = FerryHome::from_env()?;
            home.ensure()?;
            ferry_core::log::start(&home, "ferry_core=info,ferry_desktop=info,warn");
            tracing::info!(
                since_launch_ms = launched.elapsed().as_millis() as u64,
                "setup began"
            );
            let env: ferry_core::session::Env = Arc::new(|k: &str| std::env::var(k).ok());
            let began = std::time::Instant::now();
            let session =
                tauri::async_runtime::block_on(async { Session::start(home.clone(), env) })?;
            // Start-up is measured (bench/desktop_bench.mjs reads this line).
            tracing::info!(
                took_ms = began.elapsed().as_millis() as u64,
                "session started"
            );
            let bridge = Bridge::default();
            let shell = Arc::new(Shell::new(home, session.clone(), bridge.clone()));
            app.manage(shell.clone());
            let on_status = tray::install(app.handle())?;
            if std::env::args().any(|a| a == BACKGROUND)
                && let Some(window) = app.get_webview_window("main")
            {
                window.hide()?;
            }
            let handle = app.handle().clone();
            let prefs_of = shell.clone();
            bridge.run(session, on_status, move |alert| {
                if !prefs_of.prefs().notifications {
                    return;
                }
                let (title, body) = match alert {
                    Alert::BatchDone {
                        uploaded,
                        failed: 0,
                    } => (
                        "Uploads finished".to_string(),
                        format!("{uploaded} file(s) uploaded"),
                    ),
                    Alert::BatchDone { uploaded, failed } => (
                        "Uploads finished with failures".to_string(),
                        format!("{uploaded} uploaded, {failed} failed: open Ferry to retry"),
                    ),
                    Alert::JobFailed { name, message } => (format!("{name} failed"), message),
                    Alert::Arrived { sentence } => ("A file arrived".to_string(), sentence),
                };
                // No notification daemon (a bare X server, a CI box) is not worth an error.
                let _ = handle
                    .notification()
                    .builder()
                    .title(title)
                    .body(body)
                    .show();
            });
            tracing::info!(
                since_launch_ms = launched.elapsed().as_millis() as u64,
                "setup done"
            );
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let shell = window.app_handle().state::<Arc<Shell>>();
                if shell.prefs().close_to_tray {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .run(tauri::generate_context!())
        .expect("error while running the Ferry window");
}
