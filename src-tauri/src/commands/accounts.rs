//! Accounts: the form and its kinds, what the environment sets, import with a preview, and
//! the connection and full tests.

use super::*;

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
pub fn environment_accounts(shell: State<'_, Arc<Shell>>) -> Vec<EnvironmentRow> {
    let lang = shell.lang();
    ferry_core::provider::from_environment(&|name| std::env::var(name).ok())
        .into_iter()
        .map(|found| EnvironmentRow {
            kind: found.provider.id.into(),
            label: found.provider.label_in(lang).into(),
            fields: found
                .fields
                .iter()
                .map(|(f, v)| (f.label_in(lang).to_string(), v.clone()))
                .collect(),
            variables: found.variables.iter().map(|v| v.to_string()).collect(),
            secret_set: found.secret_set,
        })
        .collect()
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
    let lang = shell.lang();
    Ok(ImportPreview {
        found: plan
            .found
            .iter()
            .map(|f| {
                let provider = f.account.kind.provider();
                ImportFound {
                    name: f.name.clone(),
                    label: provider.label_in(lang).into(),
                    fields: f
                        .account
                        .kind
                        .fields()
                        .into_iter()
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(k, v)| {
                            let label = provider.field(k).map(|x| x.label_in(lang)).unwrap_or(k);
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
pub fn account_kinds(shell: State<'_, Arc<Shell>>) -> Vec<AccountKindForm> {
    let lang = shell.lang();
    ferry_core::provider::PROVIDERS
        .iter()
        .filter(|p| p.account)
        .map(|p| AccountKindForm::of(p, lang))
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
