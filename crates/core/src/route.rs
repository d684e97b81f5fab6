//! Routing: which destination each file goes to, as data evaluated in order (seed 000's table).
//! Images go to the image destination when one is configured and the image fits its limits,
//! videos to the video destination, everything else (and images that do not fit, by setting)
//! to the default object store. A file given an explicit destination that cannot take it is
//! refused with the reason.

use crate::classify::FileKind;
use crate::destination::{Destination, Destinations};
use crate::imagecheck;
use crate::provider::{IMAGES, STREAM};
use crate::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What routing needs to know about a file.
pub struct RouteInput<'a> {
    pub path: &'a Path,
    /// The path relative to the folder it came from (`Course A/Module 2/intro.mp4`), or the
    /// file name for a loose file; route globs match it.
    pub rel: &'a str,
    pub kind: FileKind,
    pub content_type: &'a str,
    pub size: u64,
    /// A photo over Images' limits may be scaled down to fit it (the settings' `[images] fit`,
    /// unless its course keeps originals).
    pub fit: bool,
}

/// The destination name that stands for "the default object store" (R2, S3 or GCS).
pub const OBJECTS: &str = "objects";

/// One routing rule (`[[routes]]` in ferry.toml, or a watched folder's own). Every condition
/// given must hold; none given matches every file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kind: Vec<FileKind>,
    /// Extensions, without the dot, case-insensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ext: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// A destination name, or `objects` for the default object store.
    pub to: String,
    /// Key template for the files this rule takes (default: the settings' template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// When the destination refuses the file (too large, wrong format), try the next rule
    /// instead of failing.
    #[serde(default = "yes")]
    pub fallthrough: bool,
    /// Serve markup this rule takes (HTML, SVG, XML) inline. By default an object store serves
    /// it as a download (`Content-Disposition: attachment`), so a page or an SVG uploaded with
    /// course files cannot run scripts on the bucket's domain when opened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inline: bool,
}

fn yes() -> bool {
    true
}

impl RouteRule {
    fn to(to: &str, kinds: &[FileKind]) -> RouteRule {
        RouteRule {
            kind: kinds.to_vec(),
            ext: Vec::new(),
            glob: None,
            min_size: None,
            max_size: None,
            to: to.into(),
            template: None,
            fallthrough: true,
            inline: false,
        }
    }

    /// Seed 000's table: images to Images, videos to Stream, everything else (and images
    /// Images refuses, when `oversize_to_objects`) to the default object store.
    pub fn defaults(oversize_to_objects: bool) -> Vec<RouteRule> {
        vec![
            RouteRule {
                fallthrough: oversize_to_objects,
                ..RouteRule::to(IMAGES, &[FileKind::Image])
            },
            RouteRule::to(STREAM, &[FileKind::Video]),
            RouteRule::to(OBJECTS, &[]),
        ]
    }

    /// Check the rule's glob and template once, when settings are loaded.
    pub fn validate(&self) -> Result<()> {
        if let Some(g) = &self.glob {
            globset::Glob::new(g)
                .map_err(|e| Error::config(format!("route glob {g:?} is not a valid glob: {e}")))?;
        }
        if let Some(t) = &self.template {
            crate::keys::KeyTemplate::parse(t)?;
        }
        if self.to.trim().is_empty() {
            return Err(Error::config("a route needs `to`, a destination name"));
        }
        Ok(())
    }

    pub fn matches(&self, file: &RouteInput<'_>) -> bool {
        if !self.kind.is_empty() && !self.kind.contains(&file.kind) {
            return false;
        }
        if !self.ext.is_empty() {
            let ext = file
                .path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if !self
                .ext
                .iter()
                .any(|x| x.trim_start_matches('.').eq_ignore_ascii_case(&ext))
            {
                return false;
            }
        }
        if self.min_size.is_some_and(|m| file.size < m)
            || self.max_size.is_some_and(|m| file.size > m)
        {
            return false;
        }
        match &self.glob {
            Some(g) => globset::Glob::new(g)
                .map(|g| g.compile_matcher().is_match(file.rel))
                .unwrap_or(false),
            None => true,
        }
    }
}

/// Where a file goes: the destination, the rule's own key template if any, and a note when it
/// went past a rule whose destination refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub destination: String,
    pub template: Option<String>,
    /// The rule serves markup inline.
    pub inline: bool,
    pub note: Option<String>,
}

/// What routing asks of the configured destinations.
pub struct Judge<'a> {
    /// A rule's `to` as a configured destination name (`None`: not configured, the rule is
    /// skipped).
    pub resolve: &'a dyn Fn(&str) -> Option<String>,
    /// Whether that destination takes the file.
    pub accepts: &'a dyn Fn(&str, &RouteInput<'_>) -> Result<()>,
    /// Whether its links are public (they never expire and need no signature).
    pub public: &'a dyn Fn(&str) -> bool,
}

/// Evaluate `rules` in order. A refusal ends the search unless the rule falls through; a file a
/// private destination refused never falls through to a public one (private stays private).
pub fn evaluate(rules: &[RouteRule], file: &RouteInput<'_>, judge: &Judge<'_>) -> Result<Choice> {
    let mut refused: Option<(String, Error)> = None;
    for rule in rules.iter().filter(|r| r.matches(file)) {
        let Some(name) = (judge.resolve)(&rule.to) else {
            continue;
        };
        match (judge.accepts)(&name, file) {
            Ok(()) => {
                if let Some((private, why)) = &refused
                    && !(judge.public)(private)
                    && (judge.public)(&name)
                {
                    return Err(stays_private(file, private, why, &name));
                }
                let note =
                    refused.map(|(_, e)| format!("{} (sent to {name} instead)", e.message()));
                return Ok(Choice {
                    destination: name,
                    template: rule.template.clone(),
                    inline: rule.inline,
                    note,
                });
            }
            Err(e) if rule.fallthrough => {
                refused.get_or_insert((name, e));
            }
            Err(e) => return Err(e),
        }
    }
    Err(match refused {
        Some((_, e)) => e,
        None => Error::config(format!(
            "{}: no destination takes {} files; configure R2 (CLOUDFLARE_R2_* variables) or S3, or add a route",
            file.path.display(),
            file.kind.as_str()
        )),
    })
}

/// A file a private destination refused, that the next rule would have made public.
fn stays_private(file: &RouteInput<'_>, private: &str, why: &Error, public: &str) -> Error {
    Error::new(
        ErrorKind::Precondition,
        format!(
            "{}: {} (links to {private} are private, signed and expiring, and the next place, {public}, is public, so it was not sent there); send it to a private bucket with `--to` or a route, or turn off signed links for {private}",
            file.path.display(),
            why.message()
                .strip_prefix(&format!("{}: ", file.path.display()))
                .unwrap_or(why.message()),
        ),
    )
}

pub struct Routing<'a> {
    pub destinations: &'a Destinations,
    /// The object store for everything else (`r2`, `s3`…), if any is configured.
    pub objects: Option<String>,
    /// The rules, in order: a watched folder's own, then ferry.toml's, then the defaults.
    pub rules: Vec<RouteRule>,
}

impl Routing<'_> {
    /// The destination for a file when the user named none.
    pub fn choose(&self, file: &RouteInput<'_>) -> Result<Choice> {
        let resolve = |to: &str| {
            if to == OBJECTS {
                self.objects.clone()
            } else {
                self.destinations.get(to).is_some().then(|| to.to_string())
            }
        };
        let public = |name: &str| self.destinations.get(name).is_none_or(|d| d.is_public());
        let judge = Judge {
            resolve: &resolve,
            accepts: &|name, f| self.accepts(name, f),
            public: &public,
        };
        evaluate(&self.rules, file, &judge)
    }

    /// Whether destination `name` can take the file.
    pub fn accepts(&self, name: &str, file: &RouteInput<'_>) -> Result<()> {
        match self.destinations.get(name) {
            Some(Destination::Images(d)) => {
                if file.kind != FileKind::Image {
                    return Err(Error::new(
                        ErrorKind::UnsupportedType,
                        format!(
                            "{}: {name} takes images and this is a {} file; send it to R2 or S3",
                            file.path.display(),
                            file.kind.as_str()
                        ),
                    ));
                }
                match imagecheck::check(file.path, file.content_type, file.size, &d.limits()) {
                    // Over the limits but fittable: the upload sends a fitted copy.
                    Err(e)
                        if e.kind() == ErrorKind::TooLarge
                            && file.fit
                            && crate::prepare::fit::can_fit(file.content_type) =>
                    {
                        Ok(())
                    }
                    checked => checked,
                }
            }
            Some(Destination::Videos(d)) => {
                if d.videos_only() && file.kind != FileKind::Video {
                    return Err(Error::new(
                        ErrorKind::UnsupportedType,
                        format!(
                            "{}: {name} takes videos and this is a {} file; send it to R2 or S3",
                            file.path.display(),
                            file.kind.as_str()
                        ),
                    ));
                }
                if file.size > d.max_size() {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!(
                            "{}: {} bytes is over the {} bytes {name} accepts",
                            file.path.display(),
                            file.size,
                            d.max_size()
                        ),
                    ));
                }
                Ok(())
            }
            Some(Destination::Objects(_)) => Ok(()),
            None => Err(Error::config(format!(
                "destination {name:?} is not configured"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Destinations configured in a test, and which of them are private; Images takes up to
    /// 10 MB.
    fn run(
        rules: &[RouteRule],
        configured: &[&str],
        private: &[&str],
        kind: FileKind,
        rel: &str,
        size: u64,
    ) -> Result<Choice> {
        let path = Path::new("/c").join(rel);
        let file = RouteInput {
            path: &path,
            rel,
            kind,
            content_type: "",
            size,
            fit: false,
        };
        let resolve = |to: &str| {
            let to = if to == OBJECTS { "r2" } else { to };
            configured.contains(&to).then(|| to.to_string())
        };
        let accepts = |name: &str, f: &RouteInput<'_>| {
            if name == IMAGES && f.size > 10_000_000 {
                Err(Error::new(
                    ErrorKind::TooLarge,
                    "over the 10 MB Images limit",
                ))
            } else {
                Ok(())
            }
        };
        evaluate(
            rules,
            &file,
            &Judge {
                resolve: &resolve,
                accepts: &accepts,
                public: &|name| !private.contains(&name),
            },
        )
    }

    #[test]
    fn the_default_table_is_seed_000() {
        let all = ["images", "stream", "r2"];
        let rules = RouteRule::defaults(true);
        let cases: &[(&[&str], FileKind, u64, Option<&str>)] = &[
            (&all, FileKind::Image, 1_000, Some("images")),
            (&all, FileKind::Image, 20_000_000, Some("r2")),
            (&all, FileKind::Video, 1_000, Some("stream")),
            (&all, FileKind::Document, 1_000, Some("r2")),
            (&all, FileKind::Archive, 1_000, Some("r2")),
            (&["r2"], FileKind::Image, 1_000, Some("r2")),
            (&["r2"], FileKind::Video, 1_000, Some("r2")),
            (&["images", "stream"], FileKind::Document, 1_000, None),
        ];
        for (configured, kind, size, expected) in cases {
            let got = run(&rules, configured, &[], *kind, "a.bin", *size)
                .ok()
                .map(|c| c.destination);
            assert_eq!(
                got.as_deref(),
                *expected,
                "{kind:?} {size} with {configured:?}"
            );
        }
        let note = run(&rules, &all, &[], FileKind::Image, "big.png", 20_000_000)
            .unwrap()
            .note;
        assert!(note.unwrap().contains("sent to r2 instead"));
        let strict = RouteRule::defaults(false);
        let err = run(&strict, &all, &[], FileKind::Image, "big.png", 20_000_000).unwrap_err();
        assert!(err.message().contains("10 MB"));
    }

    #[test]
    fn a_file_a_private_destination_refuses_never_lands_somewhere_public() {
        let rules = RouteRule::defaults(true);
        let all = ["images", "stream", "r2"];
        // Private images, public bucket: refused, saying why and how to send it.
        let err = run(
            &rules,
            &all,
            &["images"],
            FileKind::Image,
            "big.png",
            20_000_000,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Precondition);
        let msg = err.message();
        assert!(msg.contains("/c/big.png") && msg.contains("10 MB"), "{msg}");
        assert!(msg.contains("private") && msg.contains("--to"), "{msg}");
        // Private images, private bucket (presigned links): allowed, with the note.
        let ok = run(
            &rules,
            &all,
            &["images", "r2"],
            FileKind::Image,
            "big.png",
            20_000_000,
        )
        .unwrap();
        assert_eq!(ok.destination, "r2");
        // Public images falling to a public bucket: as before.
        assert_eq!(
            run(&rules, &all, &[], FileKind::Image, "big.png", 20_000_000)
                .unwrap()
                .destination,
            "r2"
        );
    }

    #[test]
    fn rules_by_extension_glob_and_size_come_first_with_their_templates() {
        let rules: Vec<RouteRule> =
            toml::from_str::<std::collections::BTreeMap<String, Vec<RouteRule>>>(
                r#"
[[routes]]
glob = "**/drafts/**"
to = "s3"
[[routes]]
ext = ["PDF"]
max_size = 5000
to = "objects"
template = "{prefix}/handouts/{name}"
[[routes]]
kind = ["video"]
min_size = 100
to = "objects"
"#,
            )
            .unwrap()
            .remove("routes")
            .unwrap()
            .into_iter()
            .chain(RouteRule::defaults(true))
            .collect();
        for r in &rules {
            r.validate().unwrap();
        }
        let all = ["images", "stream", "r2", "s3"];
        let pick = |kind, rel: &str, size| run(&rules, &all, &[], kind, rel, size).unwrap();
        assert_eq!(
            pick(FileKind::Document, "Course A/drafts/x.pdf", 10).destination,
            "s3"
        );
        let pdf = pick(FileKind::Document, "Course A/week1.pdf", 10);
        assert_eq!(pdf.destination, "r2");
        assert_eq!(pdf.template.as_deref(), Some("{prefix}/handouts/{name}"));
        assert_eq!(
            pick(FileKind::Document, "Course A/big.pdf", 9000).template,
            None
        );
        assert_eq!(pick(FileKind::Video, "v.mp4", 1000).destination, "r2");
        assert_eq!(pick(FileKind::Video, "v.mp4", 10).destination, "stream");
        assert!(
            RouteRule {
                glob: Some("[".into()),
                ..RouteRule::to("r2", &[])
            }
            .validate()
            .is_err()
        );
    }
}
