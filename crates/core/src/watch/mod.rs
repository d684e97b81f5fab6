//! Watched folders: teachers keep course material in folders, and Ferry ships what lands
//! there. This module holds a [`WatchedFolder`] (its root and options, kept in the queue's
//! database), the comparison of a folder with what Ferry already took ([`reconcile`]), and the
//! step that queues stable files ([`take`]); [`run`] is the live loop over file events.
//!
//! Invariants: a file is queued only once it is stable ([`stable`]); a file whose size and mtime
//! match its record is never looked at again, and one whose content matches its record is never
//! uploaded again; the record and the job are written in one transaction.

pub mod deletions;
pub mod filter;
pub mod run;
pub mod scan;
pub mod stable;

use crate::engine::{Engine, Preparation};
use crate::events::Event;
use crate::intake::FoundFile;
use crate::job::{FileSnapshot, JobId};
use crate::keys::KeyTemplate;
use crate::{Error, ErrorKind, Result};
use filter::PathFilter;
use scan::Seen;
use serde::{Deserialize, Serialize};
use stable::StableFiles;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What happens when a file Ferry already uploaded changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangePolicy {
    /// Upload the new content as a new object (a new key; the old one stays).
    #[default]
    NewVersion,
    /// Keep the first upload; changes are noted, not uploaded.
    Ignore,
    /// Replace the earlier upload at the same key (object stores; elsewhere a new version).
    Overwrite,
}

/// A watched folder's options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FolderOptions {
    /// Destination for every file (`None`: the routing table decides per file).
    pub destination: Option<String>,
    /// Key prefix (`None`: the settings' prefix).
    pub prefix: Option<String>,
    /// Key template (`None`: the settings' template).
    pub template: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Skip temporary and system files ([`filter::DEFAULT_IGNORES`]).
    pub default_ignores: bool,
    pub on_change: ChangePolicy,
    /// Delete the remote copy when a file is deleted from the folder (off by default).
    pub mirror_deletions: bool,
    /// Routing rules tried before ferry.toml's (see [`crate::route::RouteRule`]).
    pub routes: Vec<crate::route::RouteRule>,
    /// The course the folder's files belong to (its name): its destination, prefix and
    /// template apply where the folder leaves them open.
    pub course: Option<String>,
}

impl Default for FolderOptions {
    fn default() -> Self {
        FolderOptions {
            destination: None,
            prefix: None,
            template: None,
            include: Vec::new(),
            exclude: Vec::new(),
            default_ignores: true,
            on_change: ChangePolicy::NewVersion,
            mirror_deletions: false,
            routes: Vec::new(),
            course: None,
        }
    }
}

/// A folder Ferry watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedFolder {
    pub id: i64,
    /// Absolute and canonical.
    pub root: PathBuf,
    pub options: FolderOptions,
}

impl WatchedFolder {
    pub fn filter(&self) -> Result<PathFilter> {
        PathFilter::new(
            &self.options.include,
            &self.options.exclude,
            self.options.default_ignores,
            &[],
        )
    }
}

/// Watch `root`, or change its options: `edit` sets what the caller knows on the options the
/// folder has (the defaults for a new folder). Options the caller does not touch (routing rules
/// given from the CLI, patterns a form does not show) are kept, so an edit never widens what a
/// folder uploads by accident.
pub fn edit_folder(
    engine: &Engine,
    root: &Path,
    edit: impl FnOnce(&mut FolderOptions),
) -> Result<WatchedFolder> {
    let canonical = root.canonicalize().map_err(|e| Error::from_io(root, &e))?;
    let mut options = folders(engine)?
        .into_iter()
        .find(|f| f.root == canonical)
        .map(|f| f.options)
        .unwrap_or_default();
    edit(&mut options);
    add_folder(engine, root, options)
}

/// Start watching `root` with `options` (or replace its options). The folder must exist.
pub fn add_folder(engine: &Engine, root: &Path, options: FolderOptions) -> Result<WatchedFolder> {
    let meta = std::fs::metadata(root).map_err(|e| Error::from_io(root, &e))?;
    if !meta.is_dir() {
        return Err(Error::input(format!(
            "{}: is a file; watch the folder that holds it",
            root.display()
        )));
    }
    let root = root.canonicalize().map_err(|e| Error::from_io(root, &e))?;
    if let Some(dest) = &options.destination {
        engine.destination(dest)?;
    }
    if let Some(t) = &options.template {
        KeyTemplate::parse(t)?;
    }
    PathFilter::new(
        &options.include,
        &options.exclude,
        options.default_ignores,
        &[],
    )?;
    let text = serde_json::to_string(&options).map_err(|e| Error::config(e.to_string()))?;
    let id = engine
        .queue()
        .watch_folder(&root, &text, engine.unix_now())?;
    Ok(WatchedFolder { id, root, options })
}

/// When a folder was last compared whole with what Ferry took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    /// Unix seconds.
    pub at: i64,
    /// Files it held then (those its filters take).
    pub files: usize,
}

/// When `folder` was last compared whole (kept across restarts); `None` before its first look.
pub fn synced(engine: &Engine, folder: &WatchedFolder) -> Result<Option<Synced>> {
    Ok(engine
        .queue()
        .synced(folder.id)?
        .map(|(at, files)| Synced { at, files }))
}

/// Every watched folder.
pub fn folders(engine: &Engine) -> Result<Vec<WatchedFolder>> {
    engine
        .queue()
        .watched_folders()?
        .into_iter()
        .map(|row| {
            let options = serde_json::from_str(&row.options).map_err(|e| {
                Error::new(
                    ErrorKind::Queue,
                    format!(
                        "the options of watched folder {} cannot be read ({e}); add it again with `ferry watch --add`",
                        row.root.display()
                    ),
                )
            })?;
            Ok(WatchedFolder {
                id: row.id,
                root: row.root,
                options,
            })
        })
        .collect()
}

pub fn remove_folder(engine: &Engine, root: &Path) -> Result<bool> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    engine.queue().forget_folder(&root)
}

/// What [`take`] did.
#[derive(Debug, Default)]
pub struct Taken {
    pub queued: Vec<JobId>,
    /// Files whose content Ferry already had (touched, or changed back); recorded, not queued.
    pub unchanged: usize,
    pub rejected: usize,
}

/// Queue stable files of `folder`: new content becomes a job (routed and keyed with the path
/// relative to the root), known content only updates its record.
pub fn take(engine: &Engine, folder: &WatchedFolder, files: &[Seen]) -> Result<Taken> {
    // A course that cannot be read leaves the folder on its own options rather than stalling
    // it; saving a course or folder in the window or the CLI shows the reason.
    let course = match folder.options.course.as_deref().map(|n| engine.course(n)) {
        Some(Ok(course)) => Some(course),
        Some(Err(e)) => {
            tracing::warn!(folder = %folder.root.display(), error = %e, "watched folder: its course is unavailable");
            None
        }
        None => None,
    };
    let place = engine.placement(
        (None, None),
        Some(&folder.options),
        course.as_ref().map(|c| &c.options),
    );
    let template = KeyTemplate::parse(place.template)?;
    let found: Vec<FoundFile> = files
        .iter()
        .map(|s| {
            let mut folders: Vec<String> = s.rel.split('/').map(str::to_string).collect();
            folders.pop();
            FoundFile {
                path: s.path.clone(),
                folders,
                within: Some(folder.root.clone()),
            }
        })
        .collect();
    let prepared = engine.prepare(
        &found,
        &Preparation {
            destination: place.destination,
            routes: &folder.options.routes,
            prefix: place.prefix,
            template: &template,
            force: false,
            everything: !folder.options.default_ignores,
            course: course.as_ref().map(|c| c.name.as_str()),
        },
    );
    let mut taken = Taken {
        rejected: prepared.rejected.len(),
        ..Taken::default()
    };
    for rejected in prepared.rejected {
        tracing::warn!(path = %rejected.path.display(), error = %rejected.error, "watched file not taken");
        engine.emit(Event::FolderProblem {
            path: rejected.path,
            message: rejected.error.message().to_string(),
        });
    }
    let queue = engine.queue();
    let mut jobs = Vec::new();
    let mut unchanged: Vec<(String, FileSnapshot)> = Vec::new();
    for (index, mut job) in prepared.jobs {
        let rel = files[index].rel.clone();
        let record = queue.file_record(folder.id, &rel)?;
        let known = record.as_ref().is_some_and(|r| !r.deleted);
        // Content whose remote copy was deleted with its file is uploaded again if it returns.
        let same = record.as_ref().is_some_and(|r| {
            r.hash == job.file.hash
                && !(r.deleted && r.remote == Some(crate::queue::RemoteFate::Done))
        });
        if same || (known && folder.options.on_change == ChangePolicy::Ignore) {
            unchanged.push((rel, job.file.clone()));
        } else {
            if known && folder.options.on_change == ChangePolicy::Overwrite {
                let earlier = record.as_ref().and_then(|r| r.job_id);
                if let Some(key) = replaceable_key(engine, earlier, &job.destination)? {
                    job.key = key;
                    job.overwrite = true;
                }
            }
            jobs.push((rel, job));
        }
    }
    // Caption files that travel with a video of this look are taken with it: recorded, so the
    // next look does not send them on their own.
    for (index, file) in prepared.attached {
        unchanged.push((files[index].rel.clone(), file));
    }
    taken.unchanged = unchanged.len();
    taken.queued = queue.enqueue_watched(folder.id, &jobs, &unchanged, engine.unix_now())?;
    if !taken.queued.is_empty() {
        engine.emit(Event::FolderQueued {
            root: folder.root.clone(),
            ids: taken.queued.clone(),
        });
        engine.wake();
    }
    Ok(taken)
}

/// The key of an earlier upload that a new version may replace: a done upload to the same
/// object store. Images and videos get new ids whatever the policy.
fn replaceable_key(
    engine: &Engine,
    earlier: Option<JobId>,
    destination: &str,
) -> Result<Option<String>> {
    let Some(id) = earlier else {
        return Ok(None);
    };
    let Some(old) = engine.job(id)? else {
        return Ok(None);
    };
    let object_store = matches!(
        engine.destination(destination),
        Ok(crate::destination::Destination::Objects(_))
    );
    Ok(match (&old.result, old.state) {
        (Some(result), crate::job::JobState::Done)
            if object_store && old.destination == destination && old.duplicate_of.is_none() =>
        {
            Some(result.remote_id.clone())
        }
        _ => None,
    })
}

/// Compare `folder` with its records: new and changed files go to `pending` (to be queued once
/// stable), files gone since they were taken are handled as deletions. `dir` limits the look
/// to a part of the folder (a sub-folder that appeared).
///
/// A record is a deletion only when its file is certainly gone: the folder itself is there,
/// every folder above the file was read, and the file does not exist (a file now filtered out,
/// or one that cannot be read, is not a deletion). A folder that is missing (an unplugged drive,
/// a dropped network share) deletes nothing.
pub async fn reconcile(
    engine: &Engine,
    folder: &WatchedFolder,
    filter: &PathFilter,
    dir: Option<&Path>,
    pending: &mut StableFiles,
    now_ms: u64,
) -> Result<usize> {
    let started = std::time::Instant::now();
    let root = folder.root.clone();
    if !root.is_dir() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "{}: the folder is missing or cannot be read (an unplugged drive or a dropped network share?); nothing in it is treated as deleted while it is away",
                root.display()
            ),
        ));
    }
    let within = dir.map(Path::to_path_buf).unwrap_or_else(|| root.clone());
    let walk_filter = filter.clone();
    let (scan, records) = {
        let walk = tokio::task::spawn_blocking(move || scan::scan(&root, &within, &walk_filter));
        let records = engine.queue().file_records(folder.id)?;
        let scan = walk
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("scanning stopped: {e}")))?;
        (scan, records)
    };
    let unread: Vec<PathBuf> = scan.problems.iter().map(|(p, _)| p.clone()).collect();
    for (path, err) in scan.problems {
        engine.emit(Event::FolderProblem {
            path,
            message: err.message().to_string(),
        });
    }
    let mut seen = HashSet::with_capacity(scan.files.len());
    let mut changed = 0;
    for file in &scan.files {
        seen.insert(file.rel.as_str());
        let current = records.get(&file.rel).is_some_and(|r| {
            !r.deleted && r.size == file.observed.size && r.mtime_ns == file.observed.mtime_ns
        });
        if !current {
            pending.observe(file.path.clone(), now_ms);
            changed += 1;
        }
    }
    if dir.is_none() {
        for (rel, record) in &records {
            if record.deleted || seen.contains(rel.as_str()) {
                continue;
            }
            let path = folder.root.join(rel);
            let under_unread = unread.iter().any(|u| path.starts_with(u));
            if !under_unread && deletions::is_gone(&folder.root, &path) {
                gone(engine, folder, rel).await?;
            }
        }
    }
    if dir.is_none() {
        engine
            .queue()
            .set_synced(folder.id, engine.unix_now(), scan.files.len())?;
    }
    engine.emit(Event::FolderScanned {
        root: folder.root.clone(),
        files: scan.files.len(),
        pending: changed,
        took_ms: started.elapsed().as_millis() as u64,
    });
    Ok(changed)
}

/// A file Ferry took is gone: note it. When the folder mirrors deletions, its remote copy is
/// due for deletion after the grace period ([`deletions::carry_out`]); otherwise it is kept.
pub async fn gone(engine: &Engine, folder: &WatchedFolder, rel: &str) -> Result<()> {
    let mirror = folder.options.mirror_deletions;
    let Some(record) = engine
        .queue()
        .mark_deleted(folder.id, rel, mirror, engine.unix_now())?
    else {
        return Ok(());
    };
    if record.deleted {
        return Ok(());
    }
    engine.emit(Event::FolderFileDeleted {
        path: folder.root.join(rel),
        remote_pending: mirror && record.job_id.is_some(),
    });
    Ok(())
}
