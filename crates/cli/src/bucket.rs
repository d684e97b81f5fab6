//! `ferry bucket cors|lifecycle`: show a bucket's settings next to what Ferry proposes, and
//! apply them with `--apply`. Only Ferry's own rule is replaced; other rules are kept.

use crate::args::{BucketAction, BucketTarget};
use ferry_core::Lifecycle;
use ferry_core::Result;
use ferry_core::bucket::Bucket;
use ferry_core::config::{FerryHome, Settings};
use ferry_core::connection::AccountDestinations;
use ferry_core::keychain::Keychain;
use std::process::ExitCode;

/// The bucket the command is about: an account's, or the engine's (`--to`, else the default).
fn bucket(target: &BucketTarget) -> Result<Bucket> {
    match &target.account {
        Some(name) => {
            let home = FerryHome::from_env()?;
            AccountDestinations::open(&home, &Keychain::default(), name)?.bucket(name)
        }
        None => crate::open_engine()?.bucket(target.to.as_deref()),
    }
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

pub async fn run(action: BucketAction) -> Result<ExitCode> {
    match action {
        BucketAction::Cors {
            target,
            origins,
            allow_upload,
            apply,
        } => {
            let origins = if origins.is_empty() {
                let home = FerryHome::from_env()?;
                Settings::load(&home.config_file())?.stream.allowed_origins
            } else {
                origins
            };
            let bucket = bucket(&target)?;
            let label = bucket.label();
            let (current, proposed) = bucket.proposed_cors(&origins, allow_upload).await?;
            println!("CORS policy of {label}, now:\n{}", pretty(&current));
            if !apply {
                println!(
                    "Proposed (Ferry's rule \"ferry\" added or replaced, others kept):\n{}\nRun again with --apply to write it.",
                    pretty(&proposed)
                );
                return Ok(ExitCode::SUCCESS);
            }
            let written = bucket.set_cors(&proposed).await?;
            println!("Written; the bucket now says:\n{}", pretty(&written));
            Ok(crate::exit(written != proposed))
        }
        BucketAction::Lifecycle {
            target,
            abort_incomplete_days,
            apply,
        } => {
            let bucket = bucket(&target)?;
            let current = bucket.lifecycle().await?;
            let describe = |l: &Lifecycle| {
                let ours = match l.abort_incomplete_days {
                    Some(d) => format!("incomplete uploads are aborted after {d} day(s)"),
                    None => "no rule aborts incomplete uploads".to_string(),
                };
                format!(
                    "{ours}; other rules kept as they are: {}",
                    l.other_rules.len()
                )
            };
            println!("Lifecycle of {}: {}", bucket.label(), describe(&current));
            if !apply {
                println!(
                    "Run again with --apply to abort incomplete multipart uploads after {abort_incomplete_days} day(s)."
                );
                return Ok(ExitCode::SUCCESS);
            }
            let written = bucket.set_abort_incomplete(abort_incomplete_days).await?;
            println!("Written; now: {}", describe(&written));
            Ok(crate::exit(
                written.abort_incomplete_days != Some(abort_incomplete_days),
            ))
        }
    }
}
