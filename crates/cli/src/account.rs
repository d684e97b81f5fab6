//! `ferry account`: add, edit, test, list, set default and remove accounts. Secrets are read
//! from standard input or a prompt without echo, go straight to the OS keychain, and are never
//! printed.

use crate::args::{AccountAction, AccountFields, AccountKindArg};
use ferry_core::accounts::{Account, AccountKind, Accounts};
use ferry_core::config::FerryHome;
use ferry_core::connection::AccountDestinations;
use ferry_core::credentials::Secret;
use ferry_core::destination::check::CheckOptions;
use ferry_core::keychain::Keychain;
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
            let mut failed = false;
            for line in &lines {
                failed |= !line.ok;
                let mark = if line.ok { "✓" } else { "✗" };
                println!("  {mark} {}: {}", line.what, line.detail);
            }
            Ok(crate::exit(failed || lines.is_empty()))
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
            crate::import::Sources {
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

/// The fields of a new account of `kind`; each required one must be given.
fn new_kind(name: &str, kind: AccountKindArg, f: AccountFields) -> Result<AccountKind> {
    let need = |v: Option<String>, flag: &str| {
        v.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            Error::input(format!(
                "account {name}: --{flag} is required for this kind"
            ))
        })
    };
    let kind = match kind {
        AccountKindArg::Cloudflare => AccountKind::Cloudflare {
            account_id: need(f.account_id, "account-id")?,
            api_base_url: f.api_base_url,
        },
        AccountKindArg::R2 => AccountKind::R2 {
            account_id: need(f.account_id, "account-id")?,
            bucket: need(f.bucket, "bucket")?,
            access_key_id: need(f.access_key_id, "access-key-id")?,
            public_base_url: f.public_base_url,
            endpoint: f.endpoint,
            jurisdiction: f.jurisdiction,
        },
        AccountKindArg::S3 => AccountKind::S3 {
            bucket: need(f.bucket, "bucket")?,
            region: f.region.unwrap_or_else(|| "us-east-1".into()),
            access_key_id: need(f.access_key_id, "access-key-id")?,
            endpoint: f.endpoint,
            public_base_url: f.public_base_url,
        },
    };
    Ok(kind)
}

/// Apply the given fields to an existing account. A required field cannot be emptied; an
/// optional one is cleared by an empty value; a field of another kind is refused by name.
fn edit_kind(name: &str, kind: &mut AccountKind, f: AccountFields) -> Result<()> {
    fn required(slot: &mut String, value: Option<String>, flag: &str, name: &str) -> Result<()> {
        match value {
            Some(v) if v.trim().is_empty() => Err(Error::input(format!(
                "account {name}: --{flag} cannot be empty"
            ))),
            Some(v) => {
                *slot = v;
                Ok(())
            }
            None => Ok(()),
        }
    }
    fn optional(slot: &mut Option<String>, value: Option<String>) {
        if let Some(v) = value {
            *slot = (!v.trim().is_empty()).then_some(v);
        }
    }
    let kind_name = kind.name();
    let refuse = |flag: &str, given: bool| {
        if given {
            Err(Error::input(format!(
                "account {name}: --{flag} does not apply to a {kind_name} account"
            )))
        } else {
            Ok(())
        }
    };
    match kind {
        AccountKind::Cloudflare {
            account_id,
            api_base_url,
        } => {
            refuse("bucket", f.bucket.is_some())?;
            refuse("access-key-id", f.access_key_id.is_some())?;
            refuse("region", f.region.is_some())?;
            refuse("endpoint", f.endpoint.is_some())?;
            refuse("public-base-url", f.public_base_url.is_some())?;
            refuse("jurisdiction", f.jurisdiction.is_some())?;
            required(account_id, f.account_id, "account-id", name)?;
            optional(api_base_url, f.api_base_url);
        }
        AccountKind::R2 {
            account_id,
            bucket,
            access_key_id,
            public_base_url,
            endpoint,
            jurisdiction,
        } => {
            refuse("region", f.region.is_some())?;
            refuse("api-base-url", f.api_base_url.is_some())?;
            required(account_id, f.account_id, "account-id", name)?;
            required(bucket, f.bucket, "bucket", name)?;
            required(access_key_id, f.access_key_id, "access-key-id", name)?;
            optional(public_base_url, f.public_base_url);
            optional(endpoint, f.endpoint);
            optional(jurisdiction, f.jurisdiction);
        }
        AccountKind::S3 {
            bucket,
            region,
            access_key_id,
            endpoint,
            public_base_url,
        } => {
            refuse("account-id", f.account_id.is_some())?;
            refuse("jurisdiction", f.jurisdiction.is_some())?;
            refuse("api-base-url", f.api_base_url.is_some())?;
            required(bucket, f.bucket, "bucket", name)?;
            required(region, f.region, "region", name)?;
            required(access_key_id, f.access_key_id, "access-key-id", name)?;
            optional(endpoint, f.endpoint);
            optional(public_base_url, f.public_base_url);
        }
    }
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
