//! Mirrored deletions, carried out with care: links already pasted into courses point at the
//! remote copies, so a copy is deleted only when the teacher's deletion is certain.
//!
//! Invariants: a remote copy is deleted only when its file was found gone (not unreadable, not
//! filtered out) from a folder that is present; when the file is still gone after the grace
//! period; when the deletion is not one of many at once (those are held until the user confirms
//! or keeps them: a drive unplugged, a folder emptied by mistake); and when no other upload still
//! uses the same remote object (the engine refuses those). Every step is recorded with the file,
//! so a restart picks up where it stopped.

use super::WatchedFolder;
use crate::engine::Engine;
use crate::events::Event;
use crate::queue::{PendingDeletion, RemoteFate};
use crate::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// More gone files than this at once always wait for the user.
pub const MASS_FILES: usize = 10;

/// Whether `count` deletions in a folder of `known` files are "many at once": more than
/// [`MASS_FILES`], or three or more that are over a quarter of the folder.
pub fn is_mass(count: usize, known: usize) -> bool {
    count > MASS_FILES || (count >= 3 && count * 4 > known)
}

/// Whether `path` is really gone: its folder is there and the path does not exist.
pub fn is_gone(root: &Path, path: &Path) -> bool {
    root.is_dir()
        && matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// Hold many deletions at once, and carry out those whose time has come.
pub async fn carry_out(engine: &Engine, folder: &WatchedFolder, grace: Duration) -> Result<()> {
    let queue = engine.queue();
    if !folder.options.mirror_deletions {
        // Mirroring was turned off meanwhile: what was planned is kept.
        queue.set_remote_fate(
            folder.id,
            None,
            &[RemoteFate::Due, RemoteFate::Held, RemoteFate::Confirmed],
            RemoteFate::Kept,
        )?;
        return Ok(());
    }
    let due = queue.pending_deletions(folder.id, &[RemoteFate::Due])?;
    if !due.is_empty() && is_mass(due.len(), queue.record_count(folder.id)?) {
        queue.set_remote_fate(folder.id, None, &[RemoteFate::Due], RemoteFate::Held)?;
        let mut paths: Vec<PathBuf> = queue
            .pending_deletions(folder.id, &[RemoteFate::Held])?
            .iter()
            .map(|d| folder.root.join(&d.rel_path))
            .collect();
        paths.sort();
        engine.emit(Event::FolderDeletionsHeld {
            root: folder.root.clone(),
            paths,
        });
        return Ok(());
    }
    let now = engine.unix_now();
    let ready = queue
        .pending_deletions(folder.id, &[RemoteFate::Due, RemoteFate::Confirmed])?
        .into_iter()
        .filter(|d| {
            d.fate == RemoteFate::Confirmed || d.deleted_at + grace.as_secs() as i64 <= now
        });
    for d in ready {
        delete_one(engine, folder, &d).await?;
    }
    Ok(())
}

async fn delete_one(engine: &Engine, folder: &WatchedFolder, d: &PendingDeletion) -> Result<()> {
    let queue = engine.queue();
    let path = folder.root.join(&d.rel_path);
    let keep = |fate| queue.set_remote_fate(folder.id, Some(&d.rel_path), &[d.fate], fate);
    if !is_gone(&folder.root, &path) {
        // Back (the next look takes it again), or the folder is away: nothing is deleted.
        keep(RemoteFate::Kept)?;
        return Ok(());
    }
    match engine.delete_remote(&[d.job_id]).await {
        Ok(_) => {
            keep(RemoteFate::Done)?;
            engine.emit(Event::FolderRemoteDeleted { path });
        }
        Err(e) if e.is_temporary() => {
            // Left due: tried again at the next look.
            engine.emit(Event::FolderProblem {
                path,
                message: format!(
                    "deleted locally; deleting the remote copy failed for now and will be tried again: {}",
                    e.message()
                ),
            });
        }
        Err(e) => {
            keep(RemoteFate::Kept)?;
            engine.emit(Event::FolderProblem {
                path,
                message: format!("deleted locally; the remote copy was kept: {}", e.message()),
            });
        }
    }
    Ok(())
}

/// The remote copies of `root`'s gone files that wait: due after the grace period, held for the
/// user, or confirmed.
pub fn pending(engine: &Engine, root: &Path) -> Result<Vec<PendingDeletion>> {
    let folder = folder_at(engine, root)?;
    engine.queue().pending_deletions(
        folder.id,
        &[RemoteFate::Due, RemoteFate::Held, RemoteFate::Confirmed],
    )
}

/// The user confirms the held deletions of `root`: they are carried out at the next look.
/// Returns how many.
pub fn confirm(engine: &Engine, root: &Path) -> Result<usize> {
    let folder = folder_at(engine, root)?;
    engine
        .queue()
        .set_remote_fate(folder.id, None, &[RemoteFate::Held], RemoteFate::Confirmed)
}

/// The user keeps the remote copies of `root`'s held deletions. Returns how many.
pub fn keep(engine: &Engine, root: &Path) -> Result<usize> {
    let folder = folder_at(engine, root)?;
    engine
        .queue()
        .set_remote_fate(folder.id, None, &[RemoteFate::Held], RemoteFate::Kept)
}

fn folder_at(engine: &Engine, root: &Path) -> Result<WatchedFolder> {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    super::folders(engine)?
        .into_iter()
        .find(|f| f.root == canonical || f.root == root)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "{} is not a watched folder; see `ferry watch --list`",
                    root.display()
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::is_mass;

    #[test]
    fn many_at_once_means_more_than_ten_or_three_and_a_quarter() {
        assert!(!is_mass(1, 1), "one file of one is one teacher's deletion");
        assert!(!is_mass(2, 4));
        assert!(is_mass(3, 8), "3 of 8");
        assert!(!is_mass(3, 12), "3 of 12 is a quarter");
        assert!(!is_mass(10, 1000));
        assert!(is_mass(11, 1000));
    }
}
