//! A full look at a watched folder: every accepted file under the root with its size and
//! mtime, and the paths that could not be read (reported one by one; they never stop the scan).
//!
//! Symbolic links are never followed out of the root: a link to a folder is not entered at all
//! (so loops are impossible), and a link to a file is taken only when the file it points to is
//! inside the root.

use super::filter::PathFilter;
use super::stable::Observed;
use crate::Error;
use crate::fileinfo::mtime_ns;
use std::path::{Path, PathBuf};

/// One file found under a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub path: PathBuf,
    /// `/`-separated, relative to the root.
    pub rel: String,
    pub observed: Observed,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub files: Vec<Seen>,
    pub problems: Vec<(PathBuf, Error)>,
}

/// The path of `path` relative to `root`, `/`-separated; `None` outside the root.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Walk `dir` (the root or a folder under it).
pub fn scan(root: &Path, dir: &Path, filter: &PathFilter) -> Scan {
    let mut out = Scan::default();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                out.problems.push((dir.clone(), Error::from_io(&dir, &e)));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(rel) = relative(root, &path) else {
                continue;
            };
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                if filter.enters(&rel) {
                    stack.push(path);
                }
                continue;
            }
            if !filter.accepts(&rel) {
                continue;
            }
            let meta = if file_type.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&canonical_root) => std::fs::metadata(&target),
                    _ => continue,
                }
            } else {
                entry.metadata()
            };
            match meta {
                Ok(m) if m.is_file() => out.files.push(Seen {
                    path,
                    rel,
                    observed: Observed {
                        size: m.len(),
                        mtime_ns: mtime_ns(&m),
                    },
                }),
                Ok(_) => {}
                Err(e) => out.problems.push((path.clone(), Error::from_io(&path, &e))),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_never_lead_out_of_the_root_and_loops_are_harmless() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.pdf"), b"outside").unwrap();
        let root = tempfile::tempdir().unwrap();
        let course = root.path().join("Course A");
        std::fs::create_dir_all(course.join("Module 2")).unwrap();
        std::fs::write(course.join("Module 2/intro.mp4"), b"video").unwrap();
        std::fs::write(course.join("notes.tmp"), b"partial").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(root.path(), course.join("loop")).unwrap();
            symlink(outside.path().join("secret.pdf"), course.join("escape.pdf")).unwrap();
            symlink(course.join("Module 2/intro.mp4"), course.join("alias.mp4")).unwrap();
        }
        let filter = PathFilter::new(&[], &[], true, &[]).unwrap();
        let found = scan(root.path(), root.path(), &filter);
        let mut rels: Vec<&str> = found.files.iter().map(|s| s.rel.as_str()).collect();
        rels.sort();
        #[cfg(unix)]
        assert_eq!(rels, ["Course A/Module 2/intro.mp4", "Course A/alias.mp4"]);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(
            relative(root.path(), &course.join("Module 2/intro.mp4")).as_deref(),
            Some("Course A/Module 2/intro.mp4")
        );
    }
}
