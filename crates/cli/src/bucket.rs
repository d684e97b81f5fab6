//! `ferry bucket cors|lifecycle`: show a bucket's settings next to what Ferry proposes, and
//! apply them with `--apply`. Only Ferry's own rule is replaced; other rules are kept.

use crate::args::{BucketAction, BucketTarget};
use ferry_core::config::{FerryHome, Settings};
use ferry_core::connection::AccountDestinations;
use ferry_core::destination::Destination;
use ferry_core::destination::ObjectStore;
use ferry_core::destination::bucket::{CorsRule, check_origin, merge_cors};
use ferry_core::keychain::Keychain;
use ferry_core::{Error, Result};
use std::process::ExitCode;
use std::sync::Arc;

/// The object store the command is about, and a label for it.
fn store(target: &BucketTarget) -> Result<(Arc<dyn ObjectStore>, String)> {
    let dest = match &target.account {
        Some(name) => {
            let home = FerryHome::from_env()?;
            AccountDestinations::open(&home, &Keychain::default(), name)?.object_store(name)?
        }
        None => {
            let engine = crate::open_engine()?;
            let name = match &target.to {
                Some(to) => to.clone(),
                None => engine.default_objects().ok_or_else(|| {
                    Error::config(
                        "no R2, S3 or GCS destination is configured; add an account or pass --account NAME",
                    )
                })?,
            };
            engine.destination(&name)?
        }
    };
    match dest {
        Destination::Objects(store) => {
            let label = store.target();
            Ok((store, label))
        }
        other => Err(Error::input(format!(
            "{} is not a bucket; name r2, s3 or gcs",
            other.name()
        ))),
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
            if origins.is_empty() {
                return Err(Error::input(
                    "name the course sites that show these files: --origin https://courses.example.edu (repeatable)",
                ));
            }
            for origin in &origins {
                check_origin(origin).map_err(Error::input)?;
            }
            let (store, label) = store(&target)?;
            let current = store.cors().await?;
            let proposed = merge_cors(&current, CorsRule::for_sites(&origins, allow_upload));
            println!("CORS policy of {label}, now:\n{}", pretty(&current));
            if !apply {
                println!(
                    "Proposed (Ferry's rule \"ferry\" added or replaced, others kept):\n{}\nRun again with --apply to write it.",
                    pretty(&proposed)
                );
                return Ok(ExitCode::SUCCESS);
            }
            store.set_cors(&proposed).await?;
            let written = store.cors().await?;
            println!("Written; the bucket now says:\n{}", pretty(&written));
            Ok(crate::exit(written != proposed))
        }
        BucketAction::Lifecycle {
            target,
            abort_incomplete_days,
            apply,
        } => {
            let (store, label) = store(&target)?;
            let current = store.lifecycle().await?;
            let describe = |l: &ferry_core::destination::bucket::Lifecycle| {
                let ours = match l.abort_incomplete_days {
                    Some(d) => format!("incomplete uploads are aborted after {d} day(s)"),
                    None => "no rule aborts incomplete uploads".to_string(),
                };
                format!(
                    "{ours}; other rules kept as they are: {}",
                    l.other_rules.len()
                )
            };
            println!("Lifecycle of {label}: {}", describe(&current));
            if !apply {
                println!(
                    "Run again with --apply to abort incomplete multipart uploads after {abort_incomplete_days} day(s)."
                );
                return Ok(ExitCode::SUCCESS);
            }
            store.set_abort_incomplete(abort_incomplete_days).await?;
            let written = store.lifecycle().await?;
            println!("Written; now: {}", describe(&written));
            Ok(crate::exit(
                written.abort_incomplete_days != Some(abort_incomplete_days),
            ))
        }
    }
}
