//! Intake: from paths a user gave to jobs in the queue.
//!
//! Folders are walked recursively (symbolic links to folders are not followed, so loops are
//! impossible); each file is checked, hashed, sniffed and given its key; then all jobs are queued
//! in one transaction. A path that cannot be taken is reported with its reason and does not stop
//! the others.

use crate::classify;
use crate::fileinfo;
use crate::job::NewJob;
use crate::keys::{KeyInputs, KeyTemplate, rand6, slug};
use crate::{Error, ErrorKind, Result};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// A file found under a path the user gave, with the folder structure above it (relative to the
/// folder the user named) that becomes part of its key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: PathBuf,
    pub folders: Vec<String>,
}

/// A path that could not be queued, and why.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub path: PathBuf,
    pub error: Error,
}

/// Expand `paths` into files. Folders contribute their own name and sub-folders to the prefix.
pub fn collect(paths: &[PathBuf]) -> (Vec<FoundFile>, Vec<Rejected>) {
    let mut found = Vec::new();
    let mut rejected = Vec::new();
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                rejected.push(Rejected {
                    path: path.clone(),
                    error: Error::from_io(path, &e),
                });
                continue;
            }
        };
        if meta.is_dir() {
            let root_name = path
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let before = found.len();
            walk(path, &mut vec![root_name], &mut found, &mut rejected);
            if found.len() == before && !rejected.iter().any(|r| r.path.starts_with(path)) {
                rejected.push(Rejected {
                    path: path.clone(),
                    error: Error::input(format!(
                        "{}: the folder has no files to upload",
                        path.display()
                    )),
                });
            }
        } else {
            found.push(FoundFile {
                path: path.clone(),
                folders: Vec::new(),
            });
        }
    }
    (found, rejected)
}

fn walk(
    dir: &Path,
    folders: &mut Vec<String>,
    found: &mut Vec<FoundFile>,
    rejected: &mut Vec<Rejected>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            rejected.push(Rejected {
                path: dir.to_path_buf(),
                error: Error::from_io(dir, &e),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            folders.push(entry.file_name().to_string_lossy().into_owned());
            walk(&path, folders, found, rejected);
            folders.pop();
        } else if file_type.is_symlink() {
            // A link to a file is followed; a link to a folder is not (no loops, no escapes).
            if path.is_file() {
                found.push(FoundFile {
                    path,
                    folders: folders.clone(),
                });
            }
        } else {
            found.push(FoundFile {
                path,
                folders: folders.clone(),
            });
        }
    }
}

/// Everything intake needs besides the file.
///
/// The job comes back without a destination: the engine routes it by kind, type and size.
pub struct IntakeOptions<'a> {
    pub batch: &'a str,
    pub prefix: &'a str,
    pub template: &'a KeyTemplate,
    pub when: DateTime<Utc>,
    pub force: bool,
}

/// Check, hash and classify one file, and render its key.
pub fn prepare(
    file: &FoundFile,
    opts: &IntakeOptions<'_>,
    rng: &mut fastrand::Rng,
) -> Result<NewJob> {
    let absolute = std::path::absolute(&file.path).map_err(|e| Error::from_io(&file.path, &e))?;
    let (snapshot, head) = fileinfo::snapshot_with_head(&absolute, classify::SNIFF_BYTES)?;
    if snapshot.size == 0 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: the file is empty (0 bytes); check that it was saved or copied completely",
                absolute.display()
            ),
        ));
    }
    let display_name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (content_type, kind) = classify::classify(&head, &display_name);
    let key = render_key(
        file,
        &display_name,
        kind,
        &snapshot.hash,
        opts,
        opts.template,
        rng,
    );
    Ok(NewJob {
        batch: opts.batch.to_string(),
        file: snapshot,
        display_name,
        kind,
        content_type,
        destination: String::new(),
        target: String::new(),
        key,
        force: opts.force,
        overwrite: false,
    })
}

/// The key of a file under `template`: the prefix, then the file's folders (slugged), then
/// the template's own parts.
pub fn render_key(
    file: &FoundFile,
    display_name: &str,
    kind: classify::FileKind,
    hash: &str,
    opts: &IntakeOptions<'_>,
    template: &KeyTemplate,
    rng: &mut fastrand::Rng,
) -> String {
    let mut prefix_parts: Vec<String> = opts
        .prefix
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    prefix_parts.extend(
        file.folders
            .iter()
            .map(|f| slug(f))
            .filter(|s| !s.is_empty()),
    );
    let prefix = prefix_parts.join("/");
    template.render(&KeyInputs {
        prefix: &prefix,
        kind,
        file_name: display_name,
        when: opts.when,
        rand6: &rand6(rng),
        hash,
    })
}

/// The path of a found file relative to where it was found (`Course A/Module 2/intro.mp4`).
pub fn relative_name(file: &FoundFile, display_name: &str) -> String {
    let mut parts = file.folders.clone();
    parts.push(display_name.to_string());
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_with_their_structure() {
        let root = std::env::temp_dir().join(format!("ferry-intake-{}", fastrand::u64(..)));
        let course = root.join("Course A");
        std::fs::create_dir_all(course.join("Module 2")).unwrap();
        std::fs::write(course.join("syllabus.pdf"), b"%PDF-1.4").unwrap();
        std::fs::write(course.join("Module 2").join("intro.txt"), b"hello").unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&root, course.join("loop")).unwrap();

        let (found, rejected) =
            collect(&[course.clone(), root.join("missing.pdf"), root.join("empty")]);
        let mut got: Vec<_> = found
            .iter()
            .map(|f| {
                (
                    f.path.file_name().unwrap().to_string_lossy().into_owned(),
                    f.folders.join("/"),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("intro.txt".into(), "Course A/Module 2".into()),
                ("syllabus.pdf".into(), "Course A".into())
            ]
        );
        assert_eq!(rejected.len(), 2);
        assert_eq!(rejected[0].error.kind(), ErrorKind::NotFound);
        assert!(rejected[1].error.message().contains("no files"));

        let template = KeyTemplate::parse("{prefix}/{kind}/{name}").unwrap();
        let opts = IntakeOptions {
            batch: "b",
            prefix: "Spring",
            template: &template,
            when: Utc::now(),
            force: false,
        };
        let intro = found
            .iter()
            .find(|f| f.path.ends_with("intro.txt"))
            .unwrap();
        let job = prepare(intro, &opts, &mut fastrand::Rng::with_seed(1)).unwrap();
        assert_eq!(
            job.key,
            "Spring/course-a/module-2/documents/intro.txt".replace("Spring", "spring")
        );
        assert_eq!(job.content_type, "text/plain");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn empty_files_are_refused_with_a_reason() {
        let path = std::env::temp_dir().join(format!("ferry-empty-{}.pdf", fastrand::u64(..)));
        std::fs::write(&path, b"").unwrap();
        let template = KeyTemplate::parse("{name}").unwrap();
        let opts = IntakeOptions {
            batch: "b",
            prefix: "",
            template: &template,
            when: Utc::now(),
            force: false,
        };
        let err = prepare(
            &FoundFile {
                path: path.clone(),
                folders: vec![],
            },
            &opts,
            &mut fastrand::Rng::new(),
        )
        .unwrap_err();
        assert!(err.message().contains("empty"), "{err}");
        std::fs::remove_file(path).unwrap();
    }
}
