//! `ferry watch`: remember folders, then watch them and upload what lands there until Ctrl-C
//! or SIGTERM. The watcher and the uploader run side by side; stopping drops in-flight work
//! whose confirmed parts are already in the queue, so `ferry resume` (or the next watch)
//! continues it.

use crate::args::{FolderArgs, OnChange};
use ferry_core::JobFilter;
use ferry_core::RemoteFate;
use ferry_core::events::Event;
use ferry_core::watch::run::WatchTiming;
use ferry_core::watch::{self, ChangePolicy, FolderOptions};
use ferry_core::{Engine, Error, Result};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::sync::broadcast::error::RecvError;

pub struct WatchArgs {
    pub dirs: Vec<PathBuf>,
    pub options: FolderOptions,
    pub list: bool,
    pub forget: bool,
    /// Settle the deletions held for confirmation in `dirs` (or every folder), then exit.
    pub held: Option<Held>,
    pub json: bool,
}

/// What to do with remote copies held back because many files went at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Confirm,
    Keep,
}

impl From<FolderArgs> for FolderOptions {
    fn from(a: FolderArgs) -> Self {
        FolderOptions {
            destination: a.to,
            prefix: a.prefix,
            template: a.template,
            include: a.include,
            exclude: a.exclude,
            default_ignores: !a.no_default_ignores,
            on_change: match a.on_change {
                OnChange::NewVersion => ChangePolicy::NewVersion,
                OnChange::Ignore => ChangePolicy::Ignore,
                OnChange::Overwrite => ChangePolicy::Overwrite,
            },
            mirror_deletions: a.mirror_deletions,
            routes: Vec::new(),
            course: a.course,
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

pub async fn run(args: WatchArgs) -> Result<ExitCode> {
    let engine = crate::open_engine()?;
    if args.list {
        for f in watch::folders(&engine)? {
            let to = f.options.destination.as_deref().unwrap_or("routed by kind");
            println!("{}  ({to})", f.root.display());
            for d in watch::deletions::pending(&engine, &f.root)? {
                let when = match d.fate {
                    RemoteFate::Held => {
                        "held: confirm with --confirm-deletions, or --keep-deletions".to_string()
                    }
                    RemoteFate::Confirmed => "confirmed: deleted at the next look".to_string(),
                    _ => "deleted after the grace period unless the file comes back".to_string(),
                };
                println!("    remote copy of {}: {when}", d.rel_path);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(held) = args.held {
        let roots = if args.dirs.is_empty() {
            watch::folders(&engine)?
                .into_iter()
                .map(|f| f.root)
                .collect()
        } else {
            args.dirs.clone()
        };
        for root in roots {
            let n = match held {
                Held::Confirm => watch::deletions::confirm(&engine, &root)?,
                Held::Keep => watch::deletions::keep(&engine, &root)?,
            };
            let what = if held == Held::Confirm {
                "will be deleted the next time Ferry watches it"
            } else {
                "are kept"
            };
            eprintln!("{}: {n} remote cop(ies) held back {what}.", root.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.forget {
        let mut missing = false;
        for dir in &args.dirs {
            if watch::remove_folder(&engine, dir)? {
                eprintln!("No longer watching {}.", dir.display());
            } else {
                eprintln!("{} was not watched.", dir.display());
                missing = true;
            }
        }
        return Ok(crate::exit(missing));
    }
    for dir in &args.dirs {
        let folder = watch::add_folder(&engine, dir, args.options.clone())?;
        eprintln!("Watching {}.", folder.root.display());
    }
    let folders = watch::folders(&engine)?;
    if folders.is_empty() {
        return Err(Error::input(
            "no folder to watch: name one, e.g. ferry watch ~/Courses",
        ));
    }
    engine.ensure_configured()?;
    let timing = WatchTiming::from_env(&|k| std::env::var(k).ok())?;
    let printer = print_events(&engine, args.json);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let watcher = watch::run::run(&engine, folders, timing, stopped(stop_rx.clone()));
    let uploader = async {
        let mut stop = stop_rx.clone();
        loop {
            tokio::select! {
                r = engine.run(JobFilter::All) => r?,
                _ = stop.wait_for(|s| *s) => break,
            }
            tokio::select! {
                _ = engine.queued() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        Ok::<(), Error>(())
    };
    let signal = async {
        interrupted().await;
        eprintln!("\nStopping; progress is saved. `ferry watch` or `ferry resume` continues.");
        let _ = stop_tx.send(true);
        Ok::<(), Error>(())
    };
    let result = tokio::try_join!(watcher, uploader, signal);
    printer.abort();
    result.map(|_| ExitCode::SUCCESS)
}

/// Print what happens: queued files, results, problems.
fn print_events(engine: &Engine, json: bool) -> tokio::task::JoinHandle<()> {
    let mut rx = engine.subscribe();
    let jobs = engine.job_reader();
    tokio::spawn(async move {
        loop {
            let event = match rx.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let line = match event {
                Event::FolderQueued { root, ids } => {
                    json!({"event": "queued", "folder": root, "jobs": ids.iter().map(|i| i.0).collect::<Vec<_>>()})
                }
                Event::FolderProblem { path, message } => {
                    json!({"event": "problem", "path": path, "message": message})
                }
                Event::FolderFileDeleted {
                    path,
                    remote_pending,
                } => json!({"event": "deleted", "path": path, "remote_pending": remote_pending}),
                Event::FolderRemoteDeleted { path } => {
                    json!({"event": "remote_deleted", "path": path})
                }
                Event::FolderDeletionsHeld { root, paths } => {
                    json!({"event": "deletions_held", "folder": root, "paths": paths})
                }
                Event::FolderScanned {
                    root,
                    files,
                    pending,
                    took_ms,
                } => {
                    json!({"event": "scanned", "folder": root, "files": files, "pending": pending, "took_ms": took_ms})
                }
                Event::Done { id, .. } | Event::Failed { id, .. } => match jobs(id) {
                    Some(job) => {
                        let mut v = crate::report::job_json(&job);
                        v["event"] = json!(job.state.as_str());
                        v
                    }
                    None => continue,
                },
                Event::Notice { message, .. } => json!({"event": "notice", "message": message}),
                _ => continue,
            };
            if json {
                println!("{line}");
            } else {
                println!("{}", human(&line));
            }
        }
    })
}

fn human(v: &serde_json::Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    match v["event"].as_str().unwrap_or_default() {
        "queued" => format!(
            "queued {} file(s) from {}",
            v["jobs"].as_array().map_or(0, Vec::len),
            s("folder")
        ),
        "problem" => format!("✗ {}: {}", s("path"), s("message")),
        "deleted" => format!(
            "deleted locally: {}{}",
            s("path"),
            if v["remote_pending"] == true {
                " (its remote copy goes too once the grace period has passed, unless it comes back)"
            } else {
                " (the remote copy is kept)"
            }
        ),
        "remote_deleted" => format!("deleted the remote copy of {}", s("path")),
        "deletions_held" => format!(
            "{} file(s) went from {} at once: their remote copies are kept until you run `ferry watch --confirm-deletions` (or --keep-deletions)",
            v["paths"].as_array().map_or(0, Vec::len),
            s("folder")
        ),
        "scanned" => format!(
            "looked at {}: {} file(s), {} new or changed",
            s("folder"),
            v["files"],
            v["pending"]
        ),
        "done" => format!("✓ {} → {}", s("path"), s("url")),
        "failed" => format!(
            "✗ {}: {}",
            s("path"),
            v["error"]["message"].as_str().unwrap_or_default()
        ),
        _ => format!("ferry: {}", s("message")),
    }
}
