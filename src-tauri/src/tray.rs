//! The tray icon: status at a glance (idle, uploading n, failures) and the quick actions (open
//! the window, pause or resume everything, quit). Closing the window leaves Ferry here, so
//! uploads keep going.

use crate::bridge::Status;
use crate::shell::Shell;
use std::sync::Arc;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

/// What the status line says.
pub fn status_text(status: Status) -> String {
    match (status.uploading, status.failed) {
        (0, 0) => "Idle".to_string(),
        (0, f) => format!("Idle, {f} failed"),
        (n, 0) => format!("Uploading {n}"),
        (n, f) => format!("Uploading {n}, {f} failed"),
    }
}

pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Build the tray; returns the hook that updates its status.
pub fn install(app: &AppHandle) -> tauri::Result<impl Fn(Status) + Send + 'static> {
    let status = MenuItem::with_id(
        app,
        "status",
        status_text(Status::default()),
        false,
        None::<&str>,
    )?;
    let open = MenuItem::with_id(app, "open", "Open Ferry", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause all", true, None::<&str>)?;
    let resume = MenuItem::with_id(app, "resume", "Resume all", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Ferry", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&status, &separator, &open, &pause, &resume, &quit])?;
    let mut builder = TrayIconBuilder::with_id("ferry")
        .tooltip("Ferry: idle")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_window(app),
            "pause" => with_engine(app, |e| e.pause_all().map(drop)),
            "resume" => with_engine(app, |e| e.resume_all().map(drop)),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let tray = builder.build(app)?;
    Ok(move |s: Status| {
        let text = status_text(s);
        let _ = status.set_text(&text);
        let _ = tray.set_tooltip(Some(format!("Ferry: {}", text.to_lowercase())));
    })
}

fn with_engine(
    app: &AppHandle<Wry>,
    f: impl FnOnce(&ferry_core::Engine) -> ferry_core::Result<()> + Send + 'static,
) {
    let shell = app.state::<Arc<Shell>>().inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = f(&shell.session.engine()) {
            tracing::warn!("tray action: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let s = |uploading, failed| status_text(Status { uploading, failed });
        assert_eq!(s(0, 0), "Idle");
        assert_eq!(s(3, 0), "Uploading 3");
        assert_eq!(s(0, 2), "Idle, 2 failed");
        assert_eq!(s(1, 1), "Uploading 1, 1 failed");
    }
}
