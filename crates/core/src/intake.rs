//! Intake: from paths a user gave to jobs in the queue.
//!
//! Folders are walked recursively (symbolic links to folders are not followed, so loops are
//! impossible); each file is checked, hashed, sniffed and given its key; then all jobs are queued
//! in one transaction. A path that cannot be taken is reported with its reason and does not stop
//! the others.
//!
//! Invariant: nothing the user did not choose is uploaded. A file found inside a folder (added,
//! dropped or watched) must really be inside it: a symbolic link is followed only to a target
//! within the folder, checked on the canonical path when the file is taken (and the job keeps
//! that canonical path, which the upload opens without following links). Inside folders, hidden,
//! temporary and system files are skipped (and listed), and a file that holds a private key is
//! refused, unless the user asks for everything; a file named on its own is the user's choice.

use crate::classify;
use crate::fileinfo;
use crate::job::NewJob;
use crate::keys::{KeyInputs, KeyTemplate, rand6, slug};
use crate::watch::filter::PathFilter;
use crate::{Error, ErrorKind, Result};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// A file found under a path the user gave, with the folder structure above it (relative to the
/// folder the user named) that becomes part of its key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: PathBuf,
    pub folders: Vec<String>,
    /// The canonical folder the file was found in, which it may not leave through a link;
    /// `None` for a file the user named on its own.
    pub within: Option<PathBuf>,
}

/// A path that could not be queued, and why.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub path: PathBuf,
    pub error: Error,
}

/// What [`collect`] found under the paths it was given.
#[derive(Debug, Default)]
pub struct Collected {
    pub found: Vec<FoundFile>,
    pub rejected: Vec<Rejected>,
    /// Hidden, temporary and system files and folders inside the folders, left out (a folder
    /// stands for everything in it).
    pub skipped: Vec<PathBuf>,
}

/// Expand `paths` into files. Folders contribute their own name and sub-folders to the prefix.
/// With `everything`, nothing inside a folder is skipped.
pub fn collect(paths: &[PathBuf], everything: bool) -> Collected {
    let filter = PathFilter::new(&[], &[], !everything, &[]).expect("the default ignores parse");
    let mut out = Collected::default();
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                out.rejected.push(Rejected {
                    path: path.clone(),
                    error: Error::from_io(path, &e),
                });
                continue;
            }
        };
        if meta.is_dir() {
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            let root_name = canonical
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let before = (out.found.len(), out.skipped.len());
            let walk = Walk {
                root: path,
                within: &canonical,
                filter: &filter,
            };
            walk.dir(path, &mut vec![root_name], &mut out);
            let nothing = out.found.len() == before.0
                && !out.rejected.iter().any(|r| r.path.starts_with(path));
            if nothing {
                let why = if out.skipped.len() > before.1 {
                    "the folder holds only hidden, temporary or system files, which were left out; add them on their own (or ask for everything) if you mean to upload them"
                } else {
                    "the folder has no files to upload"
                };
                out.rejected.push(Rejected {
                    path: path.clone(),
                    error: Error::input(format!("{}: {why}", path.display())),
                });
            }
        } else {
            out.found.push(FoundFile {
                path: path.clone(),
                folders: Vec::new(),
                within: None,
            });
        }
    }
    out
}

/// One folder the user gave, being walked.
struct Walk<'a> {
    root: &'a Path,
    within: &'a Path,
    filter: &'a PathFilter,
}

impl Walk<'_> {
    fn dir(&self, dir: &Path, folders: &mut Vec<String>, out: &mut Collected) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                out.rejected.push(Rejected {
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
            let rel = crate::watch::scan::relative(self.root, &path).unwrap_or_default();
            if file_type.is_dir() {
                if !self.filter.enters(&rel) {
                    out.skipped.push(path);
                    continue;
                }
                folders.push(entry.file_name().to_string_lossy().into_owned());
                self.dir(&path, folders, out);
                folders.pop();
                continue;
            }
            if !self.filter.accepts(&rel) {
                out.skipped.push(path);
                continue;
            }
            // A link to a folder is not followed (no loops); a link to a file is checked
            // against the folder when the file is taken.
            if file_type.is_symlink() && path.is_dir() {
                continue;
            }
            out.found.push(FoundFile {
                path,
                folders: folders.clone(),
                within: Some(self.within.to_path_buf()),
            });
        }
    }
}

/// The file to read for `file`: its absolute path, or, for a link, the canonical path of its
/// target. A file found in a folder must resolve inside that folder.
pub fn source_of(file: &FoundFile) -> Result<PathBuf> {
    let absolute = std::path::absolute(&file.path).map_err(|e| Error::from_io(&file.path, &e))?;
    let is_link = std::fs::symlink_metadata(&absolute).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link && file.within.is_none() {
        return Ok(absolute);
    }
    let Ok(canonical) = absolute.canonicalize() else {
        // A dangling link or a loop: the snapshot says so with its own message.
        return Ok(absolute);
    };
    if let Some(root) = &file.within
        && !canonical.starts_with(root)
    {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: is a link to {}, outside the folder {}; Ferry never follows a link out of a folder you chose. Add {} itself if you mean to upload it",
                absolute.display(),
                canonical.display(),
                root.display(),
                canonical.display()
            ),
        ));
    }
    Ok(if is_link { canonical } else { absolute })
}

/// Whether the first bytes of a file are a private key (PEM, OpenSSH, PuTTY).
pub fn holds_private_key(head: &[u8]) -> bool {
    // On bytes: most files are not text, and decoding them first cost more than the check.
    let head = &head[..head.len().min(4096)];
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let text = &head[start..];
    (text.starts_with(b"-----BEGIN") && memchr::memmem::find(text, b"PRIVATE KEY-----").is_some())
        || text.starts_with(b"PuTTY-User-Key-File-")
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
    /// Take secrets found in folders too (the user asked for everything).
    pub everything: bool,
}

/// Check, hash and classify one file, and render its key.
pub fn prepare(
    file: &FoundFile,
    opts: &IntakeOptions<'_>,
    rng: &mut fastrand::Rng,
) -> Result<NewJob> {
    let source = source_of(file)?;
    let (snapshot, head) = fileinfo::snapshot_with_head(&source, classify::SNIFF_BYTES)?;
    if snapshot.size == 0 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: the file is empty (0 bytes); check that it was saved or copied completely",
                source.display()
            ),
        ));
    }
    if file.within.is_some() && !opts.everything && holds_private_key(&head) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: holds a private key, a secret that must not be published; it was not uploaded. Add it on its own if you really mean to",
                file.path.display()
            ),
        ));
    }
    let link_name = std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone());
    let display_name = link_name
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
        inline: false,
        course: None,
        captions: Vec::new(),
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
    fn private_keys_are_told_from_their_first_bytes() {
        // Made from parts, so that no file in the project looks like it holds a key.
        let pem = |kind: &str, body: &str| format!("-----BEGIN {kind}PRIVATE KEY-----\n{body}");
        assert!(holds_private_key(
            format!("\n  {}", pem("OPENSSH ", "b3Bl")).as_bytes()
        ));
        assert!(holds_private_key(pem("RSA ", "MIIE").as_bytes()));
        assert!(holds_private_key(b"PuTTY-User-Key-File-3: ssh-ed25519\n"));
        assert!(!holds_private_key(b"-----BEGIN CERTIFICATE-----\nMIID"));
        assert!(!holds_private_key(
            format!("notes: {}", pem("RSA ", "")).as_bytes()
        ));
        assert!(!holds_private_key(&[0xFF, 0xD8, 0xFF, 0xE0, 0x80, 0x81]));
    }

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

        let Collected {
            found, rejected, ..
        } = collect(
            &[course.clone(), root.join("missing.pdf"), root.join("empty")],
            false,
        );
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
            everything: false,
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
            everything: false,
        };
        let err = prepare(
            &FoundFile {
                path: path.clone(),
                folders: vec![],
                within: None,
            },
            &opts,
            &mut fastrand::Rng::new(),
        )
        .unwrap_err();
        assert!(err.message().contains("empty"), "{err}");
        std::fs::remove_file(path).unwrap();
    }
}
