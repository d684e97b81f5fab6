//! The window's commands. Each is one call into ferry-core plus a conversion to or from a DTO;
//! anything that decides upload semantics lives in the core. Blocking work (hashing files on
//! intake, keychain calls) runs on tokio's blocking pool so the window never stalls. One module
//! per concern: jobs (queue, pickers, controls), links (copy, open, manifest), accounts (form,
//! environment, import, tests), buckets, courses, folders, settings (and key previews).

pub mod accounts;
pub mod buckets;
pub mod captions;
pub mod courses;
pub mod folders;
pub mod jobs;
pub mod links;
pub mod live;
pub mod requests;
pub mod settings;
pub mod videos;

use crate::dto::*;
use crate::dto_jobs::*;
use crate::shell::Shell;
use ferry_core::CheckOptions;
use ferry_core::RemoteFate;
use ferry_core::accounts::{Account, AccountKind, Accounts};
use ferry_core::config::SettingsEdit;
use ferry_core::connection::AccountDestinations;
use ferry_core::job::JobId;
use ferry_core::keychain::Keychain;
use ferry_core::manifest::ManifestFormat;
use ferry_core::urlfmt::UrlFormat;
use ferry_core::watch::{self, ChangePolicy};
use ferry_core::{Engine, Error};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tauri::State;
use tauri::ipc::Channel;
use tauri_plugin_autostart::ManagerExt;

pub(crate) type Reply<T> = Result<T, IpcError>;

/// Run `f` with the current engine on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    shell: &Shell,
    f: impl FnOnce(&Engine) -> ferry_core::Result<T> + Send + 'static,
) -> Reply<T> {
    let engine = shell.session.engine();
    tokio::task::spawn_blocking(move || f(&engine))
        .await
        .map_err(|e| IpcError::internal(e.to_string()))?
        .map_err(IpcError::from)
}

pub(crate) fn ids(list: &[i64]) -> Vec<JobId> {
    list.iter().copied().map(JobId).collect()
}
