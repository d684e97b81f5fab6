//! Ferry's own files are the user's alone: folders 0700, files 0600 on Unix. The queue holds
//! file names and links to private videos, the logs the names of every file uploaded; another
//! account on a shared school computer has no business reading them.
//!
//! Invariant: every folder and file Ferry writes under its home is made private when written,
//! and again at each start (for files written by an earlier version, or by SQLite and the log
//! appender, which pick their own modes).

use crate::{Error, Result};
use std::path::Path;

/// Create `dir` (and its parents) and make it the user's alone. A folder that belongs to
/// another account (a `FERRY_HOME` an administrator set up for this user) keeps the mode its
/// owner chose.
pub fn dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::from_io(dir, &e))?;
    match set_mode(dir, 0o700) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            tracing::debug!(dir = %dir.display(), "not ours to make private");
            Ok(())
        }
        other => other.map_err(|e| Error::from_io(dir, &e)),
    }
}

/// Make the file at `path` the user's alone, if it exists (and is the user's to change).
pub fn file(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => match set_mode(path, 0o600) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
            other => other.map_err(|e| Error::from_io(path, &e)),
        },
        _ => Ok(()),
    }
}

/// Write `bytes` to a new file at `path` that only the user can read.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| Error::from_io(path, &e))?;
    f.write_all(bytes).map_err(|e| Error::from_io(path, &e))?;
    // An existing file keeps its old mode through `open`: set it.
    set_mode(path, 0o600).map_err(|e| Error::from_io(path, &e))
}

/// Create the file at `path` if it is missing (empty, the user's alone), so that a writer that
/// opens it later with its own mode (the log appender) finds it private.
pub fn touch(path: &Path) -> Result<()> {
    if !path.exists() {
        write(path, b"")?;
    }
    file(path)
}

/// Every file directly in `dir` made private (the logs).
pub fn files_in(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        file(&entry.path())?;
    }
    Ok(())
}

/// The files Ferry keeps in its folders, by name (a `FERRY_HOME` may hold other files, which
/// are not Ferry's to change).
pub const OWN_FILES: &[&str] = &[
    "ferry.toml",
    "accounts.toml",
    "desktop.toml",
    "ferry.db",
    "ferry.db-wal",
    "ferry.db-shm",
    "ferry.lock",
];

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_and_files_are_the_users_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        super::dir(&dir).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("ferry.toml");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::write(&f, b"y").unwrap();
        assert_eq!(mode(&f), 0o600);
        let g = dir.join("ferry.log");
        std::fs::write(&g, "w").unwrap();
        super::files_in(&dir).unwrap();
        assert_eq!(mode(&g), 0o600);
    }
}
