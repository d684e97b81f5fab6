//! The state the window's commands share: the running [`Session`], the event [`Bridge`], the
//! clipboard and the window's own preferences (desktop.toml, next to ferry.toml; never a
//! secret).

use crate::bridge::Bridge;
use crate::dto::{DesktopPrefs, IpcError, UiEvent};
use ferry_core::config::FerryHome;
use ferry_core::session::Session;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub struct Shell {
    pub home: FerryHome,
    pub session: Arc<Session>,
    pub bridge: Bridge,
    prefs: Mutex<DesktopPrefs>,
    /// Kept for the app's life: on X11 and Wayland the copied text is served by its owner, so
    /// dropping the clipboard would empty it.
    clipboard: Mutex<Option<arboard::Clipboard>>,
}

impl Shell {
    pub fn new(home: FerryHome, session: Arc<Session>, bridge: Bridge) -> Self {
        let prefs = load_prefs(&prefs_file(&home));
        Shell {
            home,
            session,
            bridge,
            prefs: Mutex::new(prefs),
            clipboard: Mutex::new(None),
        }
    }

    pub fn prefs(&self) -> DesktopPrefs {
        self.prefs.lock().expect("prefs lock").clone()
    }

    /// The window's language, for the words the core describes (account fields).
    pub fn lang(&self) -> ferry_core::provider::Lang {
        ferry_core::provider::Lang::parse(&self.prefs().language)
    }

    pub fn set_prefs(&self, prefs: DesktopPrefs) -> Result<(), IpcError> {
        let path = prefs_file(&self.home);
        let text = toml::to_string_pretty(&prefs).map_err(|e| IpcError::internal(e.to_string()))?;
        ferry_core::private::write(&path, text.as_bytes())?;
        *self.prefs.lock().expect("prefs lock") = prefs;
        Ok(())
    }

    /// Reopen the engine after a configuration change and tell the window to reload.
    pub async fn reload(&self) -> Result<(), IpcError> {
        self.session.reload().await?;
        self.bridge.send(UiEvent::Reloaded);
        Ok(())
    }

    pub fn copy(&self, text: &str) -> Result<(), IpcError> {
        let mut guard = self.clipboard.lock().expect("clipboard lock");
        if guard.is_none() {
            *guard = Some(arboard::Clipboard::new().map_err(clipboard_error)?);
        }
        guard
            .as_mut()
            .expect("clipboard just opened")
            .set_text(text.to_string())
            .map_err(clipboard_error)
    }
}

fn clipboard_error(e: arboard::Error) -> IpcError {
    IpcError {
        code: "io".into(),
        message: format!(
            "the clipboard is not available ({e}); select the link and copy it by hand"
        ),
    }
}

fn prefs_file(home: &FerryHome) -> PathBuf {
    home.config_dir.join("desktop.toml")
}

/// The saved preferences; a missing or unreadable file means defaults (they are only looks).
fn load_prefs(path: &std::path::Path) -> DesktopPrefs {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default()
}
