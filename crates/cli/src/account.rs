//! `ferry account`: add, list and remove accounts. Secrets are read from standard input or a
//! prompt without echo, go straight to the OS keychain, and are never printed.

use crate::args::{AccountAction, AccountKindArg};
use ferry_core::accounts::{Account, AccountKind, Accounts};
use ferry_core::config::FerryHome;
use ferry_core::credentials::Secret;
use ferry_core::keychain::Keychain;
use ferry_core::{Error, Result};
use std::io::BufRead;
use std::process::ExitCode;

pub fn run(action: AccountAction) -> Result<ExitCode> {
    let home = FerryHome::from_env()?;
    home.ensure()?;
    let path = home.accounts_file();
    let keychain = Keychain::default();
    match action {
        AccountAction::Add {
            name,
            kind,
            account_id,
            bucket,
            access_key_id,
            region,
            endpoint,
            public_base_url,
            jurisdiction,
            api_base_url,
            default,
            secret_stdin,
        } => {
            let need = |v: Option<String>, flag: &str| {
                v.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                    Error::input(format!(
                        "account {name}: --{flag} is required for this kind"
                    ))
                })
            };
            let kind = match kind {
                AccountKindArg::Cloudflare => AccountKind::Cloudflare {
                    account_id: need(account_id, "account-id")?,
                    api_base_url,
                },
                AccountKindArg::R2 => AccountKind::R2 {
                    account_id: need(account_id, "account-id")?,
                    bucket: need(bucket, "bucket")?,
                    access_key_id: need(access_key_id, "access-key-id")?,
                    public_base_url,
                    endpoint,
                    jurisdiction,
                },
                AccountKindArg::S3 => AccountKind::S3 {
                    bucket: need(bucket, "bucket")?,
                    region: region.unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: need(access_key_id, "access-key-id")?,
                    endpoint,
                    public_base_url,
                },
            };
            let what = kind.secret_field().replace('_', " ");
            let secret = read_secret(&format!("{what} for {name}: "), secret_stdin)?;
            Accounts::add(&path, &keychain, &name, Account { kind, default }, &secret)?;
            eprintln!(
                "Added account {name}; its {what} is in the OS keychain. `ferry check` tests it."
            );
            Ok(ExitCode::SUCCESS)
        }
        AccountAction::List { json } => {
            let all = Accounts::load(&path)?;
            let defaults: Vec<&str> = all.defaults().iter().map(|(n, _)| *n).collect();
            for (name, account) in &all.accounts {
                let in_keychain = matches!(
                    keychain.load(name, account.kind.secret_field()),
                    Ok(Some(_))
                );
                let fields = serde_json::to_value(&account.kind).unwrap_or_default();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"name": name, "account": fields, "in_use": defaults.contains(&name.as_str()), "secret_in_keychain": in_keychain})
                    );
                } else {
                    let mark = if defaults.contains(&name.as_str()) {
                        "*"
                    } else {
                        " "
                    };
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
        AccountAction::Import { files, from_env } => {
            let mut vars = ferry_core::import::Variables::default();
            if from_env || files.is_empty() {
                vars.values = std::env::vars().collect();
            }
            for file in &files {
                let text = std::fs::read_to_string(file).map_err(|e| Error::from_io(file, &e))?;
                let read = ferry_core::import::parse_dotenv(file, &text);
                vars.values.extend(read.values);
                vars.problems.extend(read.problems);
            }
            for problem in &vars.problems {
                eprintln!("skipped line {problem}");
            }
            let plan = ferry_core::import::plan(&vars.values);
            for found in &plan.found {
                Accounts::add(
                    &path,
                    &keychain,
                    &found.name,
                    found.account.clone(),
                    &found.secret,
                )?;
                println!(
                    "took: account {} ({}), its {} now in the OS keychain",
                    found.name,
                    found.account.kind.name(),
                    found.account.kind.secret_field().replace('_', " ")
                );
            }
            for skipped in &plan.skipped {
                println!("skipped: {skipped}");
            }
            if plan.found.is_empty() {
                eprintln!(
                    "Nothing imported: no complete set of CLOUDFLARE_*, CLOUDFLARE_R2_*/R2_* or S3_BUCKET_NAME + AWS_* variables."
                );
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
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
