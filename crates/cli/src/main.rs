//! `ferry`: Ferry's engine without a window.
//!
//! Exit codes: 0 when everything asked for succeeded, 1 when any file failed, 2 for usage or
//! configuration errors. Results go to standard output (one JSON object per line with
//! `--json`); progress and diagnostics go to standard error.

mod account;
mod args;
mod bucket;
mod captions;
mod course;
mod import;
mod inspect;
mod live;
mod progress;
mod report;
mod request;
mod video;
mod watch;

use args::{Cli, Command, Format};
use clap::Parser;
use ferry_core::AddOptions;
use ferry_core::CheckOptions;
use ferry_core::JobFilter;
use ferry_core::config::FerryHome;
use ferry_core::events::Event;
use ferry_core::job::{JobError, JobId, JobState, UploadJob};
use ferry_core::urlfmt::UrlFormat;
use ferry_core::{Engine, Error, ErrorKind};
use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

fn main() -> ExitCode {
    ferry_core::memory::limit_arenas();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferry: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ferry: {err}");
            ExitCode::from(match err.kind() {
                ErrorKind::InvalidConfig | ErrorKind::InvalidInput => 2,
                _ => 1,
            })
        }
    }
}

pub(crate) fn open_engine() -> Result<Engine, Error> {
    let home = FerryHome::from_env()?;
    home.ensure()?;
    ferry_core::log::start(&home, "ferry_core=info,ferry_cli=info,warn");
    let engine = Engine::open(home, &|k| std::env::var(k).ok().filter(|v| !v.is_empty()))?;
    // A damaged database is named before any command touches it.
    engine.check_queue()?;
    Ok(engine)
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Upload {
            to,
            prefix,
            course,
            force,
            no_default_ignores,
            json,
            paths,
        } => {
            let engine = open_engine()?;
            let destination = to.clone().unwrap_or_default();
            let intake = engine.add(
                &paths,
                &AddOptions {
                    destination: to.as_deref(),
                    prefix: prefix.as_deref(),
                    course: course.as_deref(),
                    force,
                    everything: no_default_ignores,
                },
            )?;
            for note in &intake.notes {
                eprintln!("ferry: {note}");
            }
            report::skipped(&intake.skipped);
            let ids: HashSet<JobId> = intake.queued.iter().copied().collect();
            let run = drive(&engine, JobFilter::Only(ids), json).await?;
            let mut failed = !run.finished;
            for job in intake
                .queued
                .iter()
                .filter_map(|id| engine.job(*id).ok().flatten())
            {
                print_job(&job, json, &run.unrecorded);
                failed |= job.state != JobState::Done;
            }
            for rejected in &intake.rejected {
                if json {
                    println!("{}", report::rejected_json(rejected, &destination));
                } else {
                    println!("✗ {}", rejected.error);
                }
                failed = true;
            }
            Ok(exit(failed))
        }
        Command::Resume { json } => {
            let engine = open_engine()?;
            let before: Vec<JobId> = engine
                .jobs()?
                .iter()
                .filter(|j| !j.state.is_terminal() && j.state != JobState::Paused)
                .map(|j| j.id)
                .collect();
            if before.is_empty() && !json {
                eprintln!("Nothing to resume: every job is finished.");
            }
            let run = drive(&engine, JobFilter::All, json).await?;
            let mut failed = !run.finished;
            for id in before {
                if let Some(job) = engine.job(id)? {
                    print_job(&job, json, &run.unrecorded);
                    failed |= job.state != JobState::Done;
                }
            }
            Ok(exit(failed))
        }
        Command::Status { course, json } => {
            let engine = open_engine()?;
            let jobs = course::jobs_of(&engine, course.as_deref())?;
            if json {
                for job in &jobs {
                    println!("{}", report::job_json(job));
                }
            } else if jobs.is_empty() {
                println!("The queue is empty.");
            } else {
                for job in &jobs {
                    println!("{}", report::status_line(job));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { paths, save, json } => inspect::run(&paths, save.as_deref(), json),
        Command::Url {
            target,
            format,
            expires,
        } => {
            let engine = open_engine()?;
            let expires = expires
                .map(|e| args::parse_duration(&e))
                .transpose()
                .map_err(Error::input)?;
            let job = engine.find(&target)?;
            let format = match format {
                Format::Raw => UrlFormat::Raw,
                Format::Markdown => UrlFormat::Markdown,
                Format::Html => UrlFormat::Html,
                Format::Iframe => UrlFormat::Iframe,
            };
            let link = engine.link(&job, format, expires).await?;
            println!("{}", link.text);
            if let Some(when) = link
                .expires_at
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            {
                eprintln!(
                    "This link stops working at {} (UTC).",
                    when.format("%Y-%m-%d %H:%M")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Account { action } => account::run(action).await,
        Command::Course { action } => course::run(action),
        Command::Captions { action } => captions::run(action).await,
        Command::Live { action } => live::run(action).await,
        Command::Request { action } => request::run(action).await,
        Command::Video { action } => video::run(action).await,
        Command::Manifest {
            course,
            format,
            output,
        } => course::manifest(course.as_deref(), format, output.as_deref()).await,
        Command::Bucket { action } => bucket::run(action).await,
        Command::Watch {
            dirs,
            folder,
            list,
            forget,
            confirm_deletions,
            keep_deletions,
            json,
        } => {
            let held = match (confirm_deletions, keep_deletions) {
                (true, _) => Some(watch::Held::Confirm),
                (_, true) => Some(watch::Held::Keep),
                _ => None,
            };
            watch::run(watch::WatchArgs {
                dirs,
                options: folder.into(),
                list,
                forget,
                held,
                json,
            })
            .await
        }
        Command::Check {
            destinations,
            write,
            deep,
        } => {
            let engine = open_engine()?;
            let mut failed = false;
            for (group, lines) in engine
                .check_named(&destinations, CheckOptions { write_probe: write })
                .await?
            {
                println!("{group}:");
                failed |= !show_checks(lines);
            }
            let round_trip_names = if destinations.is_empty() {
                engine.destination_names()
            } else {
                destinations
            };
            if deep && !failed {
                println!("full test (everything made here is deleted again):");
                for name in &round_trip_names {
                    failed |= !show_checks(engine.round_trip(name, Default::default()).await?);
                }
            } else if deep {
                println!("full test skipped: fix the problems above first");
            }
            Ok(exit(failed))
        }
        Command::Pause { ids, all } => {
            let engine = open_engine()?;
            let n = if all {
                engine.pause_all()?
            } else {
                engine.pause(&to_ids(&ids))?
            };
            eprintln!("Paused {n} job(s). `ferry retry ID` and `ferry resume` continue them.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel { ids } => {
            let engine = open_engine()?;
            let n = engine.cancel(&to_ids(&ids)).await?;
            eprintln!("Cancelled {n} job(s).");
            Ok(exit(n != ids.len()))
        }
        Command::Delete { ids } => {
            let engine = open_engine()?;
            let n = engine.delete_remote(&to_ids(&ids)).await?;
            eprintln!("Deleted {n} upload(s) from their destination.");
            Ok(exit(n != ids.len()))
        }
        Command::Retry { ids, failed } => {
            if ids.is_empty() && !failed {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "say which jobs to retry: their ids (see `ferry status`) or --failed for every failed job",
                ));
            }
            let engine = open_engine()?;
            let ids = if failed {
                engine
                    .jobs()?
                    .iter()
                    .filter(|j| j.state == JobState::Failed)
                    .map(|j| j.id)
                    .collect()
            } else {
                to_ids(&ids)
            };
            let n = engine.retry(&ids)?;
            eprintln!("Queued {n} job(s) again; run `ferry resume` to upload them.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Run the engine with progress bars, stopping cleanly on Ctrl-C. Returns false if interrupted.
/// What a run did: whether it ran to the end (not interrupted), and the failures the queue
/// could not record (a full disk under the database), to report all the same.
struct Driven {
    finished: bool,
    unrecorded: HashMap<JobId, JobError>,
}

/// Run the engine with progress bars, stopping cleanly on Ctrl-C.
async fn drive(engine: &Engine, filter: JobFilter, quiet: bool) -> Result<Driven, Error> {
    let bars = progress::spawn(engine, quiet);
    let mut events = engine.subscribe();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    // Collects failures while the run goes; once told to stop, takes what is still buffered.
    let collector = tokio::spawn(async move {
        use tokio::sync::broadcast::error::{RecvError, TryRecvError};
        let mut failures: HashMap<JobId, JobError> = HashMap::new();
        let mut take = |event: Event| {
            if let Event::Failed { id, code, message } = event {
                let code = code.to_string();
                failures.insert(id, JobError { code, message });
            }
        };
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => take(event),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                },
                _ = &mut stopped => loop {
                    match events.try_recv() {
                        Ok(event) => take(event),
                        Err(TryRecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                },
            }
            if stopped.is_terminated() {
                break;
            }
        }
        failures
    });
    let result = tokio::select! {
        r = engine.run(filter) => r.map(|_| true),
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\nInterrupted. Progress is saved; run `ferry resume` to continue.");
            Ok(false)
        }
    };
    let _ = stop.send(());
    let unrecorded = collector.await.unwrap_or_default();
    if let Some(bars) = bars {
        bars.abort();
    }
    Ok(Driven {
        finished: result?,
        unrecorded,
    })
}

/// Print a job; a failure the queue could not record is shown from the run's events.
fn print_job(job: &UploadJob, json: bool, unrecorded: &HashMap<JobId, JobError>) {
    let mut job = job.clone();
    if job.error.is_none()
        && job.state != JobState::Done
        && let Some(error) = unrecorded.get(&job.id)
    {
        job.error = Some(error.clone());
    }
    if json {
        println!("{}", report::job_json(&job));
    } else {
        println!("{}", report::job_line(&job));
    }
}

fn to_ids(ids: &[i64]) -> Vec<JobId> {
    ids.iter().map(|n| JobId(*n)).collect()
}

pub(crate) fn exit(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Print check lines, one per step; whether all passed.
fn show_checks(lines: Vec<ferry_core::CheckLine>) -> bool {
    let mut ok = true;
    for line in lines {
        let mark = if line.ok { "✓" } else { "✗" };
        ok &= line.ok;
        println!("  {mark} {}: {}", line.what, line.detail);
    }
    ok
}
