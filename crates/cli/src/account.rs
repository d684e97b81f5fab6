//! `ferry account`: add, edit, test, list, set default and remove accounts. Secrets are read
//! from standard input or a prompt without echo, go straight to the OS keychain, and are never
//! printed.

use crate::args::{AccountAction, AccountFields, AccountKindArg};
use ferry_core::CheckOptions;
use ferry_core::accounts::{Account, AccountKind, Accounts};
use ferry_core::config::FerryHome;
use ferry_core::connection::AccountDestinations;
use ferry_core::credentials::Secret;
use ferry_core::keychain::Keychain;
use ferry_core::provider::{Provider, Values};
use ferry_core::{Error, Result};
use std::io::BufRead;
use std::process::ExitCode;

pub async fn run(action: AccountAction) -> Result<ExitCode> {
    let home = FerryHome::from_env()?;
    home.ensure()?;
    let path = home.accounts_file();
    let keychain = Keychain::default();
    match action {
        AccountAction::Add {
            name,
            kind,
            fields,
            default,
            secret_stdin,
        } => {
            let kind = new_kind(&name, kind, fields)?;
            let what = kind.secret_field().replace('_', " ");
            let secret = read_secret(&format!("{what} for {name}: "), secret_stdin)?;
            Accounts::add(&path, &keychain, &name, Account { kind, default }, &secret)?;
            eprintln!(
                "Added account {name}; its {what} is in the OS keychain. `ferry account test {name}` tests it."
            );
            Ok(ExitCode::SUCCESS)
        }
        AccountAction::Edit {
            name,
            fields,
            new_secret,
            secret_stdin,
        } => {
            let secret = if new_secret {
                let all = Accounts::load(&path)?;
                let field = all
                    .accounts
                    .get(&name)
                    .map(|a| a.kind.secret_field())
                    .unwrap_or("secret");
                Some(read_secret(
                    &format!("new {} for {name}: ", field.replace('_', " ")),
                    secret_stdin,
                )?)
            } else {
                None
            };
            Accounts::update(
                &path,
                &keychain,
                &name,
                |kind| edit_kind(&name, kind, fields),
                secret.as_ref(),
            )?;
            eprintln!("Updated account {name}.");
            Ok(ExitCode::SUCCESS)
        }
        AccountAction::Default { name } => {
            Accounts::set_default(&path, &name)?;
            eprintln!("Account {name} is now used for its kind.");
            Ok(ExitCode::SUCCESS)
        }
        AccountAction::Test { name, write } => {
            let account = AccountDestinations::open(&home, &keychain, &name)?;
            let lines = account.test(CheckOptions { write_probe: write }).await;
            println!("{name}:");
            let none = lines.is_empty();
            let all_ok = crate::show_checks(lines);
            Ok(crate::exit(!all_ok || none))
        }
        AccountAction::List { json } => list(&path, &keychain, json),
        AccountAction::Import {
            files,
            from_env,
            aws,
            profile,
            rclone,
            remote,
            rclone_config,
            bucket,
        } => crate::import::run(
            &path,
            &keychain,
            ferry_core::import::sources::Sources {
                files,
                from_env,
                aws,
                profile,
                rclone,
                remote,
                rclone_config,
                bucket,
            },
        ),
        AccountAction::Remove { name } => {
            if Accounts::remove(&path, &keychain, &name)? {
                eprintln!("Removed account {name} and its secret.");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("There is no account {name}.");
                Ok(ExitCode::from(1))
            }
        }
    }
}

fn list(path: &std::path::Path, keychain: &Keychain, json: bool) -> Result<ExitCode> {
    let all = Accounts::load(path)?;
    let defaults: Vec<&str> = all.defaults().iter().map(|(n, _)| *n).collect();
    for (name, account) in &all.accounts {
        let in_keychain = matches!(
            keychain.load(name, account.kind.secret_field()),
            Ok(Some(_))
        );
        let fields = serde_json::to_value(&account.kind).unwrap_or_default();
        let in_use = defaults.contains(&name.as_str());
        if json {
            println!(
                "{}",
                serde_json::json!({"name": name, "account": fields, "in_use": in_use, "secret_in_keychain": in_keychain})
            );
        } else {
            let mark = if in_use { "*" } else { " " };
            let keychain_note = if in_keychain {
                "secret in keychain"
            } else {
                "SECRET MISSING from keychain"
            };
            println!(
                "{mark} {name:<16} {:<10} {fields}  ({keychain_note})",
                account.kind.name()
            );
        }
    }
    if all.accounts.is_empty() && !json {
        eprintln!(
            "No accounts. Add one: ferry account add NAME --kind r2 --account-id … --bucket … --access-key-id …"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The flags given, by the provider field they set (`--account-id` sets `account_id`).
fn given(f: AccountFields) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("account_id", f.account_id),
        ("bucket", f.bucket),
        ("access_key_id", f.access_key_id),
        ("region", f.region),
        ("endpoint", f.endpoint),
        ("public_base_url", f.public_base_url),
        ("jurisdiction", f.jurisdiction),
        ("api_base_url", f.api_base_url),
    ]
}

fn flag(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

/// Refuse a flag the provider's accounts do not keep.
fn applies(p: &Provider, key: &str) -> Result<()> {
    if p.account_fields().any(|f| f.key == key && !f.secret) {
        return Ok(());
    }
    Err(Error::input(format!(
        "{} does not apply to a {} account",
        flag(key),
        p.id
    )))
}

/// The fields of a new account of `kind`, read with its provider's description: each required
/// field must be given, a flag of another kind is refused.
fn new_kind(name: &str, kind: AccountKindArg, f: AccountFields) -> Result<AccountKind> {
    let p = kind.provider();
    let mut fields = Vec::new();
    for (key, value) in given(f) {
        if let Some(v) = value {
            applies(p, key).map_err(|e| e.context(format!("account {name}")))?;
            fields.push((key, v));
        }
    }
    let values = Values::from_fields(p, name, fields)?;
    for field in p.account_fields().filter(|f| f.required && !f.secret) {
        if values.get(field.key).is_none() {
            return Err(Error::input(format!(
                "account {name}: {} is required for a {} account ({})",
                flag(field.key),
                p.label,
                field.help
            )));
        }
    }
    AccountKind::from_values(&values)
}

/// Apply the given fields to an existing account. A required field cannot be emptied; an
/// optional one is cleared by an empty value; a field of another kind is refused by name.
fn edit_kind(name: &str, kind: &mut AccountKind, f: AccountFields) -> Result<()> {
    let p = kind.provider();
    let mut fields: std::collections::BTreeMap<&str, String> = kind.fields().into_iter().collect();
    for (key, value) in given(f) {
        let Some(v) = value else { continue };
        applies(p, key).map_err(|e| e.context(format!("account {name}")))?;
        let required = p.field(key).is_some_and(|f| f.required);
        if v.trim().is_empty() {
            if required {
                return Err(Error::input(format!(
                    "account {name}: {} cannot be empty",
                    flag(key)
                )));
            }
            fields.remove(key);
        } else {
            fields.insert(key, v);
        }
    }
    *kind = AccountKind::from_values(&Values::from_fields(p, name, fields)?)?;
    Ok(())
}

/// One line from standard input, or a prompt without echo on the terminal.
fn read_secret(prompt: &str, from_stdin: bool) -> Result<Secret> {
    let text = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::input(format!("reading the secret from standard input: {e}")))?;
        line
    } else {
        rpassword::prompt_password(prompt).map_err(|e| {
            Error::input(format!(
                "reading the secret ({e}); pipe it in with --secret-stdin"
            ))
        })?
    };
    Ok(Secret::new(text.trim_end_matches(['\r', '\n']).to_string()))
}
