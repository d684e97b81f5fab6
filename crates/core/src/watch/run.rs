//! The live watch over several folders: file events from the OS (notify, debounced) mark files
//! as pending; a steady poll hands files that stayed unchanged for their window to
//! [`super::take`]; a full comparison with the records runs at start, after an event overflow
//! or any doubt (a folder vanished, a watch could not be set), and periodically, so nothing
//! that arrived unseen is missed.

use super::filter::PathFilter;
use super::scan::{Seen, relative};
use super::stable::{Observed, StableFiles, StableRule};
use super::{WatchedFolder, gone, reconcile, take};
use crate::engine::Engine;
use crate::events::Event;
use crate::fileinfo::mtime_ns;
use crate::{Error, ErrorKind, Result};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer_opt};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// How often due and confirmed deletions are looked at.
const DELETIONS_EVERY: Duration = Duration::from_secs(1);

/// Timings of the watch.
#[derive(Debug, Clone, Copy)]
pub struct WatchTiming {
    pub stable: StableRule,
    /// How often pending files are looked at.
    pub poll: Duration,
    /// How often every folder is compared with its records in full.
    pub rescan_every: Duration,
    /// How long the OS's events are gathered before they are handed over.
    pub debounce: Duration,
    /// How long a file must stay gone from a mirroring folder before its remote copy is deleted
    /// (a file moved away and back, or restored from the trash, keeps its links).
    pub delete_grace: Duration,
}

impl Default for WatchTiming {
    fn default() -> Self {
        WatchTiming {
            stable: StableRule::default(),
            poll: Duration::from_millis(250),
            rescan_every: Duration::from_secs(600),
            debounce: Duration::from_millis(200),
            delete_grace: Duration::from_secs(600),
        }
    }
}

impl WatchTiming {
    /// Defaults, with `FERRY_WATCH_STABLE_MS` (the base window), `FERRY_WATCH_RESCAN_SECS` and
    /// `FERRY_WATCH_DELETE_GRACE_SECS` from `env` when set.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let mut t = WatchTiming::default();
        let num = |k: &str| -> Result<Option<u64>> {
            env(k)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| Error::config(format!("{k}={v:?} is not a whole number")))
                })
                .transpose()
        };
        if let Some(ms) = num("FERRY_WATCH_STABLE_MS")? {
            t.stable.base_ms = ms;
        }
        if let Some(secs) = num("FERRY_WATCH_RESCAN_SECS")? {
            t.rescan_every = Duration::from_secs(secs.max(1));
        }
        if let Some(secs) = num("FERRY_WATCH_DELETE_GRACE_SECS")? {
            t.delete_grace = Duration::from_secs(secs);
        }
        Ok(t)
    }
}

struct Folder {
    folder: WatchedFolder,
    filter: PathFilter,
}

fn now_ms(engine: &Engine) -> u64 {
    engine
        .clock()
        .now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Size and mtime of a regular file (through a link), `None` for anything else or nothing.
fn look(path: &Path) -> Option<Observed> {
    let meta = std::fs::metadata(path).ok()?;
    meta.is_file().then(|| Observed {
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
    })
}

/// Run hashing and queueing off the async workers when the runtime has several.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Watch `folders` until `stop` resolves. Files are queued; uploading is the scheduler's job
/// (see [`Engine::run`]).
pub async fn run(
    engine: &Engine,
    folders: Vec<WatchedFolder>,
    timing: WatchTiming,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    let mut watched = Vec::new();
    for folder in folders {
        let filter = folder.filter()?;
        watched.push(Folder { folder, filter });
    }
    // Deepest roots first, so a path is matched to the most specific folder.
    watched.sort_by_key(|f| std::cmp::Reverse(f.folder.root.components().count()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer_opt::<_, notify::RecommendedWatcher, _>(
        timing.debounce,
        None,
        move |result: DebounceEventResult| {
            let _ = tx.send(result);
        },
        notify_debouncer_full::RecommendedCache::new(),
        notify::Config::default().with_follow_symlinks(false),
    )
    .map_err(|e| Error::new(ErrorKind::Io, format!("cannot watch folders: {e}")))?;
    for f in &watched {
        if let Err(e) = debouncer.watch(&f.folder.root, RecursiveMode::Recursive) {
            let hint = if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                "; raise fs.inotify.max_user_watches. Until then the folder is compared in full periodically"
            } else {
                "; the folder is compared in full periodically instead"
            };
            engine.emit(Event::FolderProblem {
                path: f.folder.root.clone(),
                message: format!("cannot watch for changes ({e}){hint}"),
            });
        }
    }

    let mut pending = StableFiles::new(timing.stable);
    let mut rescan: BTreeSet<usize> = (0..watched.len()).collect();
    let mut poll = tokio::time::interval(timing.poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut full = tokio::time::interval(timing.rescan_every);
    full.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    full.tick().await;
    let mut deletions = tokio::time::interval(DELETIONS_EVERY);
    deletions.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        for i in std::mem::take(&mut rescan) {
            let f = &watched[i];
            if let Err(e) = reconcile(
                engine,
                &f.folder,
                &f.filter,
                None,
                &mut pending,
                now_ms(engine),
            )
            .await
            {
                engine.emit(Event::FolderProblem {
                    path: f.folder.root.clone(),
                    message: e.message().to_string(),
                });
            }
        }
        tokio::select! {
            _ = &mut stop => break,
            Some(result) = rx.recv() => {
                let events = match result {
                    Ok(events) => events,
                    Err(errors) => {
                        // Overflowed or failed watches: look at everything again.
                        for e in errors {
                            tracing::warn!(error = %e, "watch error; rescanning");
                        }
                        rescan.extend(0..watched.len());
                        continue;
                    }
                };
                let mut paths = BTreeSet::new();
                for event in events {
                    if event.need_rescan() {
                        rescan.extend(0..watched.len());
                    }
                    if event.kind.is_access() {
                        continue;
                    }
                    paths.extend(event.paths.iter().cloned());
                }
                for path in paths {
                    on_path(engine, &watched, &path, &mut pending, &mut rescan).await?;
                }
            }
            _ = poll.tick() => {
                let ready = pending.poll(now_ms(engine), look);
                if !ready.is_empty() {
                    queue_ready(engine, &watched, ready);
                }
            }
            _ = full.tick() => rescan.extend(0..watched.len()),
            _ = deletions.tick() => {
                for f in &watched {
                    if let Err(e) = super::deletions::carry_out(engine, &f.folder, timing.delete_grace).await {
                        engine.emit(Event::FolderProblem {
                            path: f.folder.root.clone(),
                            message: e.message().to_string(),
                        });
                    }
                }
            }
        }
    }
    debouncer.stop();
    Ok(())
}

/// Something happened at `path`: a file to wait on, a folder to look into, or something gone.
async fn on_path(
    engine: &Engine,
    watched: &[Folder],
    path: &Path,
    pending: &mut StableFiles,
    rescan: &mut BTreeSet<usize>,
) -> Result<()> {
    let Some((i, f)) = watched
        .iter()
        .enumerate()
        .find(|(_, f)| path.starts_with(&f.folder.root))
    else {
        return Ok(());
    };
    let Some(rel) = relative(&f.folder.root, path) else {
        // The root itself changed (renamed, deleted, re-created): look again in full.
        rescan.insert(i);
        return Ok(());
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            // A folder moved in brings files that raise no event of their own.
            if f.filter.enters(&rel) {
                reconcile(
                    engine,
                    &f.folder,
                    &f.filter,
                    Some(path),
                    pending,
                    now_ms(engine),
                )
                .await?;
            }
        }
        Ok(_) => {
            if f.filter.accepts(&rel) {
                pending.observe(path.to_path_buf(), now_ms(engine));
            }
        }
        Err(e) => {
            pending.forget(path);
            if e.kind() != std::io::ErrorKind::NotFound || !f.folder.root.is_dir() {
                // Unreadable, or the whole folder went away: not a deletion; look again.
                rescan.insert(i);
            } else if engine.queue().file_record(f.folder.id, &rel)?.is_some() {
                gone(engine, &f.folder, &rel).await?;
            } else {
                // Perhaps a folder that held recorded files.
                rescan.insert(i);
            }
        }
    }
    Ok(())
}

/// Queue files that became stable, folder by folder.
fn queue_ready(engine: &Engine, watched: &[Folder], ready: Vec<(PathBuf, Observed)>) {
    let mut by_folder: BTreeMap<usize, Vec<Seen>> = BTreeMap::new();
    for (path, observed) in ready {
        let Some((i, f)) = watched
            .iter()
            .enumerate()
            .find(|(_, f)| path.starts_with(&f.folder.root))
        else {
            continue;
        };
        let Some(rel) = relative(&f.folder.root, &path) else {
            continue;
        };
        by_folder.entry(i).or_default().push(Seen {
            path,
            rel,
            observed,
        });
    }
    for (i, files) in by_folder {
        let f = &watched[i];
        // In batches, so a thousand-file drop is hashed and held in memory a slice at a time,
        // and uploads start while the rest is still being looked at.
        for files in files.chunks(TAKE_BATCH) {
            queue_batch(engine, f, files);
        }
    }
}

/// Files queued per transaction.
const TAKE_BATCH: usize = 500;

fn queue_batch(engine: &Engine, f: &Folder, files: &[Seen]) {
    {
        if let Err(e) = blocking(|| take(engine, &f.folder, files)) {
            // The queue could not be written (disk full…): the files stay unrecorded and are
            // found again by the next full comparison.
            engine.emit(Event::FolderProblem {
                path: f.folder.root.clone(),
                message: format!("could not queue {} file(s): {}", files.len(), e.message()),
            });
        }
    }
}
