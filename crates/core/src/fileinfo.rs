//! Looking at local files: what they are now, and whether they are still what was queued.
//!
//! Hashing ([`crate::hashing`]) streams the file through small buffers, so memory stays flat
//! whatever the size.

use crate::job::FileSnapshot;
use crate::{Error, ErrorKind, Result};
use std::path::Path;
use std::time::UNIX_EPOCH;

/// Size and modification time of a regular file.
pub fn stat(path: &Path) -> Result<(u64, i64)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::from_io(path, &e))?;
    if meta.is_dir() {
        return Err(Error::input(format!(
            "{}: is a folder, not a file",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{}: not a regular file (device, socket or pipe); only files can be uploaded",
            path.display()
        )));
    }
    Ok((meta.len(), mtime_ns(&meta)))
}

/// Open a queued file to send its bytes, without following a link in its last component: a
/// job's path is checked when the file is taken (a link's target is resolved then, and must be
/// inside the folder it was found in), so a file swapped for a link afterwards is refused
/// rather than followed to wherever it points now.
pub fn open_exact(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{} was replaced by a link after it was added; Ferry does not follow it. Add the file again",
                    path.display()
                ),
            );
        }
        e
    })
}

/// Modification time in nanoseconds since the Unix epoch (0 when the system has none).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Read and hash a file, returning its snapshot. The size recorded is the number of bytes
/// actually hashed, and the file is stat'ed again afterwards so a file growing during the read
/// is caught here rather than uploaded half-written.
pub fn snapshot(path: &Path) -> Result<FileSnapshot> {
    snapshot_with_head(path, 0).map(|(snapshot, _)| snapshot)
}

/// [`snapshot`], also keeping the first `head_len` bytes (for sniffing the content type) so the
/// file is read once.
pub fn snapshot_with_head(path: &Path, head_len: usize) -> Result<(FileSnapshot, Vec<u8>)> {
    let (size_before, mtime_before) = stat(path)?;
    let hashed = crate::hashing::hash_file(path, size_before, head_len)
        .map_err(|e| Error::from_io(path, &e))?;
    let (read_total, head) = (hashed.read, hashed.head);
    let (size_after, mtime_after) = stat(path)?;
    if read_total != size_before || size_after != size_before || mtime_after != mtime_before {
        return Err(Error::new(
            ErrorKind::Precondition,
            format!(
                "{}: the file is still being written (its size or date changed while Ferry read it); add it again once it is complete",
                path.display()
            ),
        ));
    }
    let snapshot = FileSnapshot {
        path: path.to_path_buf(),
        size: read_total,
        mtime_ns: mtime_before,
        hash: hashed.hex,
    };
    Ok((snapshot, head))
}

/// Fail unless the file on disk still has the size and date it had when it was queued.
pub fn ensure_unchanged(snapshot: &FileSnapshot) -> Result<()> {
    let path = &snapshot.path;
    let (size, mtime_ns) = match stat(path) {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "{}: the file was deleted or moved while it was being uploaded; nothing was published",
                    path.display()
                ),
            ));
        }
        Err(e) => return Err(e),
    };
    if size != snapshot.size || mtime_ns != snapshot.mtime_ns {
        return Err(Error::new(
            ErrorKind::Precondition,
            format!(
                "{}: the file changed while it was being uploaded (size {} → {}); nothing was published — retry to upload the new version",
                path.display(),
                snapshot.size,
                size
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in its own temporary folder, removed when the guard drops.
    fn temp_file(content: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lesson.bin");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    #[test]
    fn snapshot_hashes_the_whole_file() {
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (_dir, path) = temp_file(&content);
        let snap = snapshot(&path).unwrap();
        assert_eq!(snap.size, content.len() as u64);
        assert_eq!(snap.hash, blake3::hash(&content).to_hex().to_string());
        let (again, head) = snapshot_with_head(&path, 8192).unwrap();
        assert_eq!(again, snap);
        assert_eq!(head, content[..8192]);
        ensure_unchanged(&snap).unwrap();
    }

    #[test]
    fn changes_and_deletions_are_detected() {
        let (_dir, path) = temp_file(b"version one");
        let snap = snapshot(&path).unwrap();
        std::fs::write(&path, b"version two, longer").unwrap();
        let err = ensure_unchanged(&snap).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Precondition);
        assert!(err.message().contains("changed"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let err = ensure_unchanged(&snap).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.message().contains("deleted or moved"), "{err}");
    }

    #[test]
    fn folders_are_not_files() {
        let err = stat(&std::env::temp_dir()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("folder"));
    }
}

#[cfg(all(test, unix))]
mod open_tests {
    #[test]
    fn a_file_swapped_for_a_link_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notes.pdf");
        std::fs::write(&file, b"%PDF-1.4 notes").unwrap();
        assert!(super::open_exact(&file).is_ok());
        let secret = dir.path().join("id_rsa");
        std::fs::write(&secret, b"-----BEGIN OPENSSH PRIVATE KEY-----").unwrap();
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(&secret, &file).unwrap();
        let err = super::open_exact(&file).unwrap_err();
        assert!(err.to_string().contains("replaced by a link"), "{err}");
    }
}
