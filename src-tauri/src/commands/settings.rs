//! Settings: the form, saving it (start at login included), window preferences, and key
//! template previews.

use super::*;
use ferry_core::config::Settings;

/// What `template` makes of sample course files (with `prefix`, else the settings' prefix), or
/// the engine's reason for refusing it, while the user types.
#[tauri::command]
pub fn preview_keys(
    shell: State<'_, Arc<Shell>>,
    template: String,
    prefix: Option<String>,
) -> KeyPreview {
    let prefix = prefix.unwrap_or_else(|| shell.session.engine().settings().prefix.clone());
    let variables = ferry_core::TEMPLATE_VARIABLES
        .iter()
        .map(|v| format!("{{{v}}}"))
        .collect();
    match ferry_core::preview_keys(&template, &prefix) {
        Ok(shown) => KeyPreview {
            samples: shown
                .into_iter()
                .map(|(_, name, key)| (name.to_string(), key))
                .collect(),
            error: None,
            variables,
        },
        Err(e) => KeyPreview {
            samples: Vec::new(),
            error: Some(e.message().to_string()),
            variables,
        },
    }
}

fn autostart_error(e: tauri_plugin_autostart::Error) -> IpcError {
    IpcError {
        code: "io".into(),
        message: format!("could not change starting at login: {e}"),
    }
}

#[tauri::command]
pub async fn settings(app: tauri::AppHandle, shell: State<'_, Arc<Shell>>) -> Reply<SettingsForm> {
    // The file's own values: an override from the environment is not the user's setting.
    let edit = SettingsEdit::of(&Settings::load_file(&shell.home.config_file())?);
    Ok(SettingsForm {
        file_concurrency: edit.file_concurrency as u32,
        part_concurrency: edit.part_concurrency as u32,
        bandwidth_limit_kib: edit.bandwidth_limit_kib,
        key_template: edit.key_template,
        link_expiry_secs: edit.link_expiry_secs,
        stream_allowed_origins: edit.stream_allowed_origins,
        stream_require_signed_urls: edit.stream_require_signed_urls,
        prefix: edit.prefix,
        default_destination: edit.default_destination,
        part_size_mib: edit.part_size / (1024 * 1024),
        retry_attempts: edit.retry_attempts,
        start_at_login: app.autolaunch().is_enabled().unwrap_or(false),
        desktop: shell.prefs(),
    })
}

/// Save the settings: the window's preferences at once, the engine's into ferry.toml (checked
/// first; a bad value is refused and nothing changes), then reopen the engine.
#[tauri::command]
pub async fn save_settings(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    form: SettingsForm,
) -> Reply<SettingsSaved> {
    let began = std::time::Instant::now();
    let autostart = app.autolaunch();
    if autostart.is_enabled().unwrap_or(false) != form.start_at_login {
        if form.start_at_login {
            autostart.enable().map_err(autostart_error)?;
        } else {
            autostart.disable().map_err(autostart_error)?;
        }
    }
    let edit = SettingsEdit {
        file_concurrency: form.file_concurrency as usize,
        part_concurrency: form.part_concurrency as usize,
        bandwidth_limit_kib: form.bandwidth_limit_kib,
        key_template: form.key_template,
        link_expiry_secs: form.link_expiry_secs,
        stream_allowed_origins: form.stream_allowed_origins,
        stream_require_signed_urls: form.stream_require_signed_urls,
        prefix: form.prefix,
        default_destination: form.default_destination,
        part_size: form.part_size_mib * 1024 * 1024,
        retry_attempts: form.retry_attempts,
    };
    let mut saved = SettingsSaved {
        origins_changed: Vec::new(),
    };
    if edit != SettingsEdit::of(&Settings::load_file(&shell.home.config_file())?) {
        saved.origins_changed = edit
            .apply(&shell.home.config_file())?
            .into_iter()
            .map(|t| OriginChange {
                given: t.given.trim().to_string(),
                kept: t.origin,
            })
            .collect();
        shell.reload().await?;
    }
    shell.set_prefs(form.desktop)?;
    tracing::info!(
        took_ms = began.elapsed().as_millis() as u64,
        "settings saved"
    );
    Ok(saved)
}

/// Save the window's own preferences (theme, language, the welcome seen…); the engine is not
/// touched.
#[tauri::command]
pub fn save_prefs(shell: State<'_, Arc<Shell>>, prefs: DesktopPrefs) -> Reply<()> {
    shell.set_prefs(prefs)
}
