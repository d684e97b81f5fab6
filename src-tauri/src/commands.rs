//! The window's commands. Each is one call into ferry-core plus a conversion to or from a DTO;
//! anything that decides upload semantics lives in the core. Blocking work (hashing files on
//! intake, keychain calls) runs on tokio's blocking pool so the window never stalls.

use crate::dto::*;
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

type Reply<T> = Result<T, IpcError>;

/// Run `f` with the current engine on the blocking pool.
async fn blocking<T: Send + 'static>(
    shell: &Shell,
    f: impl FnOnce(&Engine) -> ferry_core::Result<T> + Send + 'static,
) -> Reply<T> {
    let engine = shell.session.engine();
    tokio::task::spawn_blocking(move || f(&engine))
        .await
        .map_err(|e| IpcError::internal(e.to_string()))?
        .map_err(IpcError::from)
}

fn ids(list: &[i64]) -> Vec<JobId> {
    list.iter().copied().map(JobId).collect()
}

#[tauri::command]
pub async fn overview(shell: State<'_, Arc<Shell>>) -> Reply<Overview> {
    let engine = shell.session.engine();
    let destinations = engine
        .destination_names()
        .into_iter()
        .filter_map(|name| {
            let shape = engine.shape_of(&name).ok()?;
            Some(DestinationInfo {
                name,
                shape: shape.as_str().into(),
            })
        })
        .collect();
    let problems = engine
        .problems()
        .map(|(name, e)| IpcError::from(e.clone().context(format!("destination {name}"))))
        .collect();
    Ok(Overview {
        version: env!("CARGO_PKG_VERSION").into(),
        destinations,
        problems,
        demo: std::env::var_os("FERRY_DEMO").is_some(),
        home: engine.home().data_dir.display().to_string(),
    })
}

#[tauri::command]
pub async fn jobs(shell: State<'_, Arc<Shell>>) -> Reply<Vec<JobRow>> {
    blocking(&shell, |e| {
        Ok(e.jobs()?.iter().map(|j| JobRow::of(j, e)).collect())
    })
    .await
}

/// Start sending engine events to the window over `channel` (replacing an earlier one: a
/// reopened window subscribes again and rebuilds its view from `jobs`).
#[tauri::command]
pub fn subscribe(shell: State<'_, Arc<Shell>>, channel: Channel<UiEvent>) {
    shell.bridge.attach(channel);
}

/// Queue dropped or chosen paths. `everything` also takes what folders hold that is skipped by
/// default (hidden, temporary and system files, private keys); the report lists what was.
#[tauri::command]
pub async fn add_paths(
    shell: State<'_, Arc<Shell>>,
    paths: Vec<String>,
    destination: Option<String>,
    everything: Option<bool>,
) -> Reply<IntakeReport> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    blocking(&shell, move |e| {
        let how = ferry_core::AddOptions {
            destination: destination.as_deref(),
            everything: everything.unwrap_or(false),
            ..Default::default()
        };
        let intake = e.add(&paths, &how)?;
        let queued = intake
            .queued
            .iter()
            .filter_map(|id| e.job(*id).ok().flatten())
            .map(|j| JobRow::of(&j, e))
            .collect();
        Ok(IntakeReport {
            queued,
            rejected: intake
                .rejected
                .into_iter()
                .map(|r| {
                    let path = r.path.display().to_string();
                    let mut error = IpcError::from(r.error);
                    // The window shows the path beside the message: say it once.
                    if let Some(rest) = error.message.strip_prefix(&format!("{path}: ")) {
                        error.message = rest.to_string();
                    }
                    RejectedPath { path, error }
                })
                .collect(),
            notes: intake.notes,
            skipped: intake
                .skipped
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        })
    })
    .await
}

/// The native picker (files, or folders), open while the window keeps working. Returns the
/// chosen paths, empty when the user cancels.
#[tauri::command]
pub async fn pick(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    folders: bool,
) -> Reply<Vec<String>> {
    let language = shell.prefs().language;
    Ok(crate::pickers::open(&app, &language, folders)
        .await
        .into_iter()
        .map(|p| p.display().to_string())
        .collect())
}

/// The file to import accounts from, chosen in the native dialog; `None` when cancelled.
#[tauri::command]
pub async fn pick_import_file(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
) -> Reply<Option<String>> {
    let language = shell.prefs().language;
    Ok(crate::pickers::open_import(&app, &language)
        .await
        .map(|p| p.display().to_string()))
}

#[tauri::command]
pub async fn pause(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let ids = self::ids(&ids);
    blocking(&shell, move |e| e.pause(&ids)).await
}

#[tauri::command]
pub async fn pause_all(shell: State<'_, Arc<Shell>>) -> Reply<usize> {
    blocking(&shell, |e| e.pause_all()).await
}

/// Resume paused jobs, or retry failed and cancelled ones: both put them back in the queue.
#[tauri::command]
pub async fn retry(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let ids = self::ids(&ids);
    blocking(&shell, move |e| e.retry(&ids)).await
}

#[tauri::command]
pub async fn resume_all(shell: State<'_, Arc<Shell>>) -> Reply<usize> {
    blocking(&shell, |e| e.resume_all()).await
}

#[tauri::command]
pub async fn cancel(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let engine = shell.session.engine();
    Ok(engine.cancel(&self::ids(&ids)).await?)
}

#[tauri::command]
pub async fn delete_remote(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let engine = shell.session.engine();
    Ok(engine.delete_remote(&self::ids(&ids)).await?)
}

/// `http://` or `https://`, and nothing else.
fn is_web_link(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn url_format(name: &str) -> Reply<UrlFormat> {
    UrlFormat::parse(name).ok_or_else(|| IpcError {
        code: "invalid_input".into(),
        message: format!("unknown link format {name:?}: use raw, markdown, html or iframe"),
    })
}

async fn link_text(
    shell: &Shell,
    id: i64,
    format: &str,
    expires_secs: Option<u64>,
) -> Reply<LinkText> {
    let format = url_format(format)?;
    let engine = shell.session.engine();
    let job = engine.job(JobId(id))?.ok_or_else(|| IpcError {
        code: "not_found".into(),
        message: format!("there is no job {id}"),
    })?;
    let link = engine
        .link(&job, format, expires_secs.map(Duration::from_secs))
        .await?;
    Ok(LinkText {
        text: link.text,
        expires_at: link.expires_at,
    })
}

/// The text to paste for a job: its URL as raw, Markdown, HTML or a Stream embed; a signed
/// link when `expires_secs` is given.
#[tauri::command]
pub async fn link(
    shell: State<'_, Arc<Shell>>,
    id: i64,
    format: String,
    expires_secs: Option<u64>,
) -> Reply<LinkText> {
    link_text(&shell, id, &format, expires_secs).await
}

/// Put a job's link on the system clipboard (from Rust, so it works whatever the webview
/// allows) and return it for the window to show.
#[tauri::command]
pub async fn copy_link(
    shell: State<'_, Arc<Shell>>,
    id: i64,
    format: String,
    expires_secs: Option<u64>,
) -> Reply<LinkText> {
    let link = link_text(&shell, id, &format, expires_secs).await?;
    shell.copy(&link.text)?;
    Ok(link)
}

/// Put the links of the given done jobs on the clipboard, one per line, each in `preferred`
/// where it fits the job and in the job's own default otherwise (a PDF has no player).
#[tauri::command]
pub async fn copy_links(
    shell: State<'_, Arc<Shell>>,
    ids: Vec<i64>,
    preferred: String,
) -> Reply<CopiedLinks> {
    let preferred = url_format(&preferred)?;
    let links = shell
        .session
        .engine()
        .links_of(&self::ids(&ids), preferred)
        .await?;
    let first_expiry = links.iter().filter_map(|l| l.expires_at).min();
    let lines: Vec<&str> = links.iter().map(|l| l.text.as_str()).collect();
    if !lines.is_empty() {
        shell.copy(&lines.join("\n"))?;
    }
    Ok(CopiedLinks {
        count: lines.len() as u32,
        first_expiry,
    })
}

/// Open a job's link in the browser. Only web links are opened: whatever a destination hands
/// back, the system's opener is never asked to run a file or another scheme.
#[tauri::command]
pub async fn open_link(shell: State<'_, Arc<Shell>>, id: i64) -> Reply<()> {
    let url = link_text(&shell, id, "raw", None).await?.text;
    if !is_web_link(&url) {
        return Err(IpcError {
            code: "invalid_input".into(),
            message: format!(
                "job {id}'s link is not a web address ({}…); copy it instead",
                url.chars().take(12).collect::<String>()
            ),
        });
    }
    open::that_detached(&url).map_err(|e| IpcError {
        code: "io".into(),
        // The link may be signed: it stays out of the message; the user can copy it instead.
        message: format!("could not open a browser ({e}); copy the link and paste it into one"),
    })
}

/// Save a manifest (CSV or JSON) of the given done jobs, or of all, where the user picks in
/// the save dialog (the page never names a path). Returns the file written, or `None` when
/// the user cancelled.
#[tauri::command]
pub async fn export_manifest(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    ids: Vec<i64>,
    format: String,
) -> Reply<Option<String>> {
    let format = match format.as_str() {
        "csv" => ManifestFormat::Csv,
        "json" => ManifestFormat::Json,
        other => {
            return Err(IpcError {
                code: "invalid_input".into(),
                message: format!("unknown manifest format {other:?}: use csv or json"),
            });
        }
    };
    let wanted = self::ids(&ids);
    let jobs = blocking(&shell, move |e| {
        Ok(e.jobs()?
            .into_iter()
            .filter(|j| wanted.is_empty() || wanted.contains(&j.id))
            .collect::<Vec<_>>())
    })
    .await?;
    // Links made now, so the file's links work when it is opened (signed ones until the expiry
    // written beside them).
    let text = shell.session.engine().manifest(&jobs, format).await;
    let ext = match format {
        ManifestFormat::Csv => "csv",
        ManifestFormat::Json => "json",
    };
    let language = shell.prefs().language;
    let chosen =
        crate::pickers::save(&app, &language, &format!("course-manifest.{ext}"), ext).await;
    let Some(target) = chosen else {
        return Ok(None);
    };
    std::fs::write(&target, text).map_err(|e| IpcError::from(Error::from_io(&target, &e)))?;
    Ok(Some(target.display().to_string()))
}

// ---- accounts ----

#[tauri::command]
pub async fn accounts(shell: State<'_, Arc<Shell>>) -> Reply<Vec<AccountRow>> {
    let all = Accounts::load(&shell.home.accounts_file())?;
    let defaults: Vec<String> = all.defaults().iter().map(|(n, _)| n.to_string()).collect();
    Ok(all
        .accounts
        .iter()
        .map(|(name, account)| {
            let mut fields = std::collections::BTreeMap::new();
            if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&account.kind) {
                for (k, v) in map {
                    if let (true, Some(s)) = (k != "kind", v.as_str()) {
                        fields.insert(k, s.to_string());
                    }
                }
            }
            AccountRow {
                name: name.clone(),
                kind: account.kind.name().into(),
                is_default: defaults.contains(name),
                fields,
            }
        })
        .collect())
}

/// What the environment Ferry was started in sets up (shown read-only beside the accounts: an
/// account of the same kind is not used while the environment sets that provider).
#[tauri::command]
pub fn environment_accounts() -> Vec<EnvironmentRow> {
    ferry_core::provider::from_environment(&|name| std::env::var(name).ok())
        .into_iter()
        .map(|found| EnvironmentRow {
            kind: found.provider.id.into(),
            label: found.provider.label.into(),
            fields: found
                .fields
                .iter()
                .map(|(f, v)| (f.label.to_string(), v.clone()))
                .collect(),
            variables: found.variables.iter().map(|v| v.to_string()).collect(),
            secret_set: found.secret_set,
        })
        .collect()
}

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

// ---- a bucket's own settings ----

/// The bucket of `account`, or the one uploads go to now.
fn bucket_of(shell: &Shell, account: Option<&str>) -> Reply<ferry_core::bucket::Bucket> {
    Ok(match account {
        Some(name) => {
            AccountDestinations::open(&shell.home, &Keychain::default(), name)?.bucket(name)?
        }
        None => shell.session.engine().bucket(None)?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A bucket's CORS and lifecycle rules now, and Ferry's CORS rule for the course sites
/// `origins` (the settings' allowed origins when none are given). Nothing is written.
#[tauri::command]
pub async fn bucket_settings(
    shell: State<'_, Arc<Shell>>,
    account: Option<String>,
    origins: Vec<String>,
) -> Reply<BucketView> {
    let bucket = bucket_of(&shell, account.as_deref())?;
    let origins = if origins.is_empty() {
        shell
            .session
            .engine()
            .settings()
            .stream
            .allowed_origins
            .clone()
    } else {
        origins
    };
    let now = bucket.cors().await?;
    let (proposed, why) = match bucket.proposed_cors(&origins, false).await {
        Ok((_, proposed)) => (Some(json(&proposed)), None),
        Err(e) if e.kind() == ferry_core::ErrorKind::InvalidInput => {
            (None, Some(e.message().to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let lifecycle = bucket.lifecycle().await?;
    Ok(BucketView {
        label: bucket.label(),
        cors_now: json(&now),
        cors_proposed: proposed,
        cors_why: why,
        abort_days: lifecycle.abort_incomplete_days,
        other_rules: lifecycle.other_rules,
    })
}

/// Write Ferry's CORS rule for `origins` (other rules kept); returns the rules the bucket then
/// reports.
#[tauri::command]
pub async fn bucket_apply_cors(
    shell: State<'_, Arc<Shell>>,
    account: Option<String>,
    origins: Vec<String>,
) -> Reply<String> {
    let bucket = bucket_of(&shell, account.as_deref())?;
    let (_, proposed) = bucket.proposed_cors(&origins, false).await?;
    Ok(json(&bucket.set_cors(&proposed).await?))
}

/// Make Ferry's lifecycle rule abort unfinished uploads after `days` (other rules kept).
#[tauri::command]
pub async fn bucket_apply_lifecycle(
    shell: State<'_, Arc<Shell>>,
    account: Option<String>,
    days: i32,
) -> Reply<Option<i32>> {
    let bucket = bucket_of(&shell, account.as_deref())?;
    Ok(bucket
        .set_abort_incomplete(days)
        .await?
        .abort_incomplete_days)
}

fn import_sources(request: &ImportRequest) -> Reply<ferry_core::import::sources::Sources> {
    use ferry_core::import::sources::Sources;
    let path = request
        .path
        .as_ref()
        .filter(|p| !p.trim().is_empty())
        .map(PathBuf::from);
    let bucket = request.bucket.clone().filter(|b| !b.trim().is_empty());
    Ok(match request.from.as_str() {
        "dotenv" => Sources {
            files: vec![path.ok_or_else(|| IpcError {
                code: "invalid_input".into(),
                message: "choose the .env file to import".into(),
            })?],
            ..Sources::default()
        },
        "aws" => Sources {
            aws: true,
            bucket,
            ..Sources::default()
        },
        "rclone" => Sources {
            rclone: true,
            rclone_config: path,
            bucket,
            ..Sources::default()
        },
        other => {
            return Err(IpcError {
                code: "invalid_input".into(),
                message: format!("there is nothing to import from {other:?}"),
            });
        }
    })
}

/// What importing from `request` would add and skip, without writing anything. Secrets stay in
/// Rust: the preview names each account and its plain fields only.
#[tauri::command]
pub async fn import_preview(
    shell: State<'_, Arc<Shell>>,
    request: ImportRequest,
) -> Reply<ImportPreview> {
    let sources = import_sources(&request)?;
    let plan = ferry_core::import::sources::plan_from(&sources)?;
    let existing = Accounts::load(&shell.home.accounts_file())?;
    Ok(ImportPreview {
        found: plan
            .found
            .iter()
            .map(|f| {
                let provider = f.account.kind.provider();
                ImportFound {
                    name: f.name.clone(),
                    label: provider.label.into(),
                    fields: f
                        .account
                        .kind
                        .fields()
                        .into_iter()
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(k, v)| {
                            let label = provider.field(k).map(|x| x.label).unwrap_or(k);
                            (label.to_string(), v)
                        })
                        .collect(),
                    replaces: existing.accounts.contains_key(&f.name),
                }
            })
            .collect(),
        skipped: plan.skipped,
    })
}

/// Import from `request`: every account found is added (its secret to the OS keychain), then
/// the engine reopens with them. Returns the names added.
#[tauri::command]
pub async fn import_accounts(
    shell: State<'_, Arc<Shell>>,
    request: ImportRequest,
) -> Reply<Vec<String>> {
    let sources = import_sources(&request)?;
    let plan = ferry_core::import::sources::plan_from(&sources)?;
    plan.apply(&shell.home.accounts_file(), &Keychain::default())?;
    shell.reload().await?;
    Ok(plan.found.iter().map(|f| f.name.clone()).collect())
}

/// The kinds of account the form offers, each with its fields, from the core's provider
/// descriptions (the same ones the CLI, import and the engine's messages read).
#[tauri::command]
pub fn account_kinds() -> Vec<AccountKindForm> {
    ferry_core::provider::PROVIDERS
        .iter()
        .filter(|p| p.account)
        .map(|p| AccountKindForm::from(*p))
        .collect()
}

/// Store a new account (its secret in the OS keychain) and reopen the engine with it.
#[tauri::command]
pub async fn add_account(shell: State<'_, Arc<Shell>>, account: NewAccount) -> Reply<()> {
    // Read with the provider's description, as the CLI and import do.
    let provider = ferry_core::provider::provider(&account.kind)
        .filter(|p| p.account)
        .ok_or_else(|| IpcError {
            code: "invalid_input".into(),
            message: format!("there is no kind of account called {:?}", account.kind),
        })?;
    let values = ferry_core::provider::Values::from_fields(
        provider,
        &account.name,
        account.fields.iter().map(|(k, v)| (k.as_str(), v.clone())),
    )?;
    if let Some(field) = provider
        .account_fields()
        .find(|f| f.required && !f.secret && values.get(f.key).is_none())
    {
        return Err(IpcError {
            code: "invalid_input".into(),
            message: format!(
                "account {}: the {} is required ({})",
                account.name,
                field.label.to_lowercase(),
                field.help
            ),
        });
    }
    let kind = AccountKind::from_values(&values)?;
    let secret = ferry_core::credentials::Secret::new(account.secret);
    let path = shell.home.accounts_file();
    let name = account.name;
    let default = account.make_default;
    tokio::task::spawn_blocking(move || {
        Accounts::add(
            &path,
            &Keychain::default(),
            &name,
            Account { kind, default },
            &secret,
        )
    })
    .await
    .map_err(|e| IpcError::internal(e.to_string()))??;
    shell.reload().await
}

#[tauri::command]
pub async fn remove_account(shell: State<'_, Arc<Shell>>, name: String) -> Reply<bool> {
    let path = shell.home.accounts_file();
    let removed =
        tokio::task::spawn_blocking(move || Accounts::remove(&path, &Keychain::default(), &name))
            .await
            .map_err(|e| IpcError::internal(e.to_string()))??;
    shell.reload().await?;
    Ok(removed)
}

#[tauri::command]
pub async fn set_default_account(shell: State<'_, Arc<Shell>>, name: String) -> Reply<()> {
    Accounts::set_default(&shell.home.accounts_file(), &name)?;
    shell.reload().await
}

#[tauri::command]
pub async fn test_account(shell: State<'_, Arc<Shell>>, name: String) -> Reply<Vec<CheckRow>> {
    let home = shell.home.clone();
    let account = tokio::task::spawn_blocking(move || {
        AccountDestinations::open(&home, &Keychain::default(), &name)
    })
    .await
    .map_err(|e| IpcError::internal(e.to_string()))??;
    Ok(rows(account.test(CheckOptions::default()).await))
}

/// The full test of an account: a small file to each of its destinations, its link opened,
/// then deleted (`ferry check --deep`). Runs the connection test first and stops there if it
/// fails, so a wrong token is named rather than tried three times.
#[tauri::command]
pub async fn full_test_account(shell: State<'_, Arc<Shell>>, name: String) -> Reply<Vec<CheckRow>> {
    let home = shell.home.clone();
    let account = tokio::task::spawn_blocking(move || {
        AccountDestinations::open(&home, &Keychain::default(), &name)
    })
    .await
    .map_err(|e| IpcError::internal(e.to_string()))??;
    let mut lines = account.test(CheckOptions::default()).await;
    if lines.iter().all(|l| l.ok) {
        lines.extend(account.round_trip(Default::default()).await);
    }
    Ok(rows(lines))
}

/// Test the setup the engine uses now (accounts, the environment, or the demo cloud); with
/// `full`, also the full test of each destination.
#[tauri::command]
pub async fn test_setup(shell: State<'_, Arc<Shell>>, full: bool) -> Reply<Vec<CheckRow>> {
    let engine = shell.session.engine();
    let mut lines: Vec<_> = engine
        .check_named(&[], CheckOptions::default())
        .await?
        .into_iter()
        .flat_map(|(_, lines)| lines)
        .collect();
    if full && lines.iter().all(|l| l.ok) {
        for name in engine.destination_names() {
            lines.extend(engine.round_trip(&name, Default::default()).await?);
        }
    }
    Ok(rows(lines))
}

fn rows(lines: Vec<ferry_core::CheckLine>) -> Vec<CheckRow> {
    lines
        .into_iter()
        .map(|l| CheckRow {
            what: l.what,
            ok: l.ok,
            detail: l.detail,
        })
        .collect()
}

// ---- watched folders ----

fn policy_name(p: ChangePolicy) -> &'static str {
    match p {
        ChangePolicy::NewVersion => "new-version",
        ChangePolicy::Ignore => "ignore",
        ChangePolicy::Overwrite => "overwrite",
    }
}

#[tauri::command]
pub async fn folders(shell: State<'_, Arc<Shell>>) -> Reply<Vec<FolderRow>> {
    blocking(&shell, |e| {
        Ok(watch::folders(e)?
            .into_iter()
            .map(|f| FolderRow {
                root: f.root.display().to_string(),
                destination: f.options.destination,
                prefix: f.options.prefix,
                template: f.options.template,
                on_change: policy_name(f.options.on_change).into(),
                mirror_deletions: f.options.mirror_deletions,
                include: f.options.include,
                exclude: f.options.exclude,
                default_ignores: f.options.default_ignores,
            })
            .collect())
    })
    .await
}

/// Watch a folder (or change its options), then restart the watcher with it.
#[tauri::command]
pub async fn add_folder(shell: State<'_, Arc<Shell>>, folder: FolderRow) -> Reply<()> {
    let on_change = match folder.on_change.as_str() {
        "ignore" => ChangePolicy::Ignore,
        "overwrite" => ChangePolicy::Overwrite,
        _ => ChangePolicy::NewVersion,
    };
    let blank = |o: Option<String>| o.filter(|s| !s.trim().is_empty());
    let globs = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect()
    };
    let root = PathBuf::from(folder.root);
    blocking(&shell, move |e| {
        // What the window does not show (routing rules given from the CLI) is kept as it was.
        watch::edit_folder(e, &root, |o| {
            o.destination = blank(folder.destination);
            o.prefix = blank(folder.prefix);
            o.template = blank(folder.template);
            o.include = globs(folder.include);
            o.exclude = globs(folder.exclude);
            o.default_ignores = folder.default_ignores;
            o.on_change = on_change;
            o.mirror_deletions = folder.mirror_deletions;
        })
        .map(|_| ())
    })
    .await?;
    shell.reload().await
}

#[tauri::command]
pub async fn remove_folder(shell: State<'_, Arc<Shell>>, root: String) -> Reply<bool> {
    let removed = blocking(&shell, move |e| {
        watch::remove_folder(e, &PathBuf::from(root))
    })
    .await?;
    shell.reload().await?;
    Ok(removed)
}

/// The remote copies of a folder's gone files that wait: after the grace period, or for the
/// user's word when many went at once.
#[tauri::command]
pub async fn folder_deletions(
    shell: State<'_, Arc<Shell>>,
    root: String,
) -> Reply<Vec<DeletionRow>> {
    blocking(&shell, move |e| {
        Ok(watch::deletions::pending(e, &PathBuf::from(root))?
            .into_iter()
            .map(|d| DeletionRow {
                path: d.rel_path,
                state: match d.fate {
                    RemoteFate::Held => "held",
                    RemoteFate::Confirmed => "confirmed",
                    _ => "due",
                }
                .into(),
                gone_at: d.deleted_at,
            })
            .collect())
    })
    .await
}

/// Delete the copies held back for a folder (the user confirmed).
#[tauri::command]
pub async fn confirm_deletions(shell: State<'_, Arc<Shell>>, root: String) -> Reply<usize> {
    blocking(&shell, move |e| {
        watch::deletions::confirm(e, &PathBuf::from(root))
    })
    .await
}

/// Keep the copies held back for a folder.
#[tauri::command]
pub async fn keep_deletions(shell: State<'_, Arc<Shell>>, root: String) -> Reply<usize> {
    blocking(&shell, move |e| {
        watch::deletions::keep(e, &PathBuf::from(root))
    })
    .await
}

// ---- settings ----

fn autostart_error(e: tauri_plugin_autostart::Error) -> IpcError {
    IpcError {
        code: "io".into(),
        message: format!("could not change starting at login: {e}"),
    }
}

#[tauri::command]
pub async fn settings(app: tauri::AppHandle, shell: State<'_, Arc<Shell>>) -> Reply<SettingsForm> {
    let engine = shell.session.engine();
    let edit = SettingsEdit::of(engine.settings());
    Ok(SettingsForm {
        file_concurrency: edit.file_concurrency as u32,
        part_concurrency: edit.part_concurrency as u32,
        bandwidth_limit_kib: edit.bandwidth_limit_kib,
        key_template: edit.key_template,
        link_expiry_secs: edit.link_expiry_secs,
        stream_allowed_origins: edit.stream_allowed_origins,
        stream_require_signed_urls: edit.stream_require_signed_urls,
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
    };
    let engine = shell.session.engine();
    let mut saved = SettingsSaved {
        origins_changed: Vec::new(),
    };
    if edit != SettingsEdit::of(engine.settings()) {
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
    Ok(saved)
}

/// Save the window's own preferences (theme, language, the welcome seen…); the engine is not
/// touched.
#[tauri::command]
pub fn save_prefs(shell: State<'_, Arc<Shell>>, prefs: DesktopPrefs) -> Reply<()> {
    shell.set_prefs(prefs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_web_links_are_opened() {
        for ok in [
            "https://imagedelivery.net/a/b/public",
            "HTTP://127.0.0.1:9/x",
        ] {
            assert!(super::is_web_link(ok), "{ok}");
        }
        for refused in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "/usr/bin/xterm",
            "smb://host/share",
            "http:/x",
            "",
        ] {
            assert!(!super::is_web_link(refused), "{refused}");
        }
    }
}
