//! Which files under a watched folder are Ferry's business: include and exclude globs over the
//! path relative to the root, and the default ignores for temporary and system files (partial
//! downloads, editor and Office lock files, OS litter, dotfiles), which a folder may turn off.
//!
//! A temporary name is ignored, not forgotten: when the file is renamed into place, the new
//! name is judged afresh.

use crate::{Error, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

/// Ignored unless a folder turns the defaults off. Globs match the file name or any folder in
/// the relative path.
pub const DEFAULT_IGNORES: &[&str] = &[
    "*.part",
    "*.partial",
    "*.crdownload",
    "*.download",
    "*.tmp",
    "*.temp",
    "*.swp",
    "*~",
    "~$*",
    ".~lock.*",
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    ".*",
];

#[derive(Debug, Clone)]
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: GlobSet,
    /// Matched against each component (file and folder names) on its own.
    ignore: GlobSet,
}

fn set(patterns: &[String], what: &str) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p)
            .map_err(|e| Error::config(format!("{what} pattern {p:?} is not a valid glob: {e}")))?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| Error::config(format!("{what} patterns: {e}")))
}

impl PathFilter {
    /// `include` empty means everything; `extra_ignores` add to (or, without the defaults,
    /// replace) the default ignores.
    pub fn new(
        include: &[String],
        exclude: &[String],
        default_ignores: bool,
        extra_ignores: &[String],
    ) -> Result<Self> {
        let mut ignores: Vec<String> = if default_ignores {
            DEFAULT_IGNORES.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
        ignores.extend(extra_ignores.iter().cloned());
        Ok(PathFilter {
            include: if include.is_empty() {
                None
            } else {
                Some(set(include, "include")?)
            },
            exclude: set(exclude, "exclude")?,
            ignore: set(&ignores, "ignore")?,
        })
    }

    /// Whether the file at `rel` (relative to the root, `/`-separated) is to be uploaded.
    pub fn accepts(&self, rel: &str) -> bool {
        if rel.split('/').any(|part| self.ignore.is_match(part)) {
            return false;
        }
        if self.exclude.is_match(rel) {
            return false;
        }
        self.include.as_ref().is_none_or(|s| s.is_match(rel))
    }

    /// Whether a folder at `rel` can hold accepted files (ignored folders are not walked).
    pub fn enters(&self, rel: &str) -> bool {
        !rel.split('/').any(|part| self.ignore.is_match(part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_ignores_and_globs_decide_case_by_case() {
        let f = PathFilter::new(&[], &["**/drafts/**".into()], true, &[]).unwrap();
        let cases = [
            ("Course A/Module 2/intro.mp4", true),
            ("syllabus.pdf", true),
            ("lecture.mp4.part", false),
            ("video.crdownload", false),
            ("upload.tmp", false),
            ("~$notes.docx", false),
            (".~lock.slides.odp#", false),
            (".DS_Store", false),
            ("Course A/Thumbs.db", false),
            ("Course A/.git/config", false),
            ("notes.txt~", false),
            ("Course A/drafts/idea.pdf", false),
            ("Course A/final/idea.pdf", true),
        ];
        for (rel, expected) in cases {
            assert_eq!(f.accepts(rel), expected, "{rel}");
        }
        assert!(!f.enters("Course A/.cache"));
        assert!(f.enters("Course A/Module 2"));

        let only_pdf =
            PathFilter::new(&["**/*.pdf".into(), "*.pdf".into()], &[], false, &[]).unwrap();
        assert!(only_pdf.accepts("a/b.pdf"));
        assert!(only_pdf.accepts("b.pdf"));
        assert!(!only_pdf.accepts("b.mp4"));
        assert!(
            only_pdf.accepts(".hidden.pdf"),
            "defaults off: dotfiles too"
        );
        assert!(PathFilter::new(&["[".into()], &[], true, &[]).is_err());
    }
}
