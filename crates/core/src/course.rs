//! Courses: the unit a teacher thinks in. A [`Course`] names where its files go (one destination,
//! or the routing table by kind), the folder they go under in the bucket (the key prefix), an
//! optional key template of its own, and the link format its links are pasted in. A job keeps
//! the name of the course it was added to; a watched folder may belong to one.
//!
//! Invariants: a course's options are checked here before they are stored (a name people type, a
//! prefix made of safe folder names, a template the engine takes), so no stored course can make
//! an upload fail later for its own sake. Courses live in the queue's database beside the jobs
//! that carry their name: renaming one renames it on its jobs and folders in one transaction,
//! and removing one keeps its jobs' history and is refused while a folder still belongs to it.

use crate::keys::{KeyTemplate, slug};
use crate::urlfmt::UrlFormat;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A course and where its files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub name: String,
    pub options: CourseOptions,
}

/// What a course sets for the files added to it. Anything left `None` falls back to the
/// settings (and, for the destination, to routing each file by its kind).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CourseOptions {
    /// Every file of the course goes here (`None`: each where the routing table sends it).
    pub destination: Option<String>,
    /// The folder the course's files go under (`biology-101`); replaces the settings' prefix.
    pub prefix: String,
    /// Key template of its own (`None`: the settings').
    pub template: Option<String>,
    /// How its links are copied (`None`: the window's or the command's choice).
    #[serde(with = "format_name")]
    pub link_format: Option<UrlFormat>,
    /// Ask Stream to generate captions in this language for each video of the course that
    /// arrives without a caption file (`None`: do not).
    pub captions: Option<String>,
    /// Send photos with their location, camera and author details (by default they are
    /// blanked on the way out: [`crate::prepare`]).
    pub keep_metadata: bool,
    /// The longest video the course takes, in minutes: a longer one is refused before any
    /// byte is sent, and Stream is told the same limit (`None`: no limit of its own).
    pub max_video_minutes: Option<u32>,
    /// Photos go as they are: those over Cloudflare Images' limits to the object store at full
    /// size rather than scaled down to fit Images, a HEIC as HEIC rather than as JPEG.
    pub keep_originals: bool,
    /// Send its JPEG photos encoded again at this quality (and PNGs compressed harder), when
    /// that saves a tenth of the size or more (`None`: as they are).
    pub compress_quality: Option<u8>,
}

impl Course {
    /// A new course with the prefix its name suggests (`Biology 101` → `biology-101`).
    pub fn named(name: &str) -> Course {
        Course {
            name: name.trim().to_string(),
            options: CourseOptions {
                prefix: slug(name),
                ..CourseOptions::default()
            },
        }
    }

    /// Check the name and options, and tidy what a person typed: the name trimmed, the prefix
    /// made of slugged folder names (`Biology 101/Term 2` → `biology-101/term-2`), an empty
    /// template taken as none. The destination is checked by the engine, which knows them.
    pub fn tidied(mut self) -> Result<Course> {
        self.name = self.name.trim().to_string();
        check_name(&self.name)?;
        self.options.prefix = tidy_prefix(&self.options.prefix);
        if let Some(t) = &self.options.template {
            if t.trim().is_empty() {
                self.options.template = None;
            } else {
                KeyTemplate::parse(t.trim()).map_err(|e| {
                    Error::input(format!("course {:?}: {}", self.name, e.message()))
                })?;
                self.options.template = Some(t.trim().to_string());
            }
        }
        if self
            .options
            .destination
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            self.options.destination = None;
        }
        self.options.captions = match self.options.captions.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(tag) if crate::captions::is_language_tag(tag) => Some(tag.to_string()),
            Some(tag) => {
                return Err(Error::input(format!(
                    "course {:?}: {tag:?} is not a language to generate captions in; use a code such as en, fr or de",
                    self.name
                )));
            }
        };
        if let Some(q) = self.options.compress_quality
            && !(30..=95).contains(&q)
        {
            return Err(Error::input(format!(
                "course {:?}: a compression quality of {q} is out of range; use 30 (smallest) to 95 (closest to the original), 80 suits most photos",
                self.name
            )));
        }
        Ok(self)
    }
}

/// A course name as people write it ("Biology 101 — Term 2", "Histoire-géo 4e"): 1 to 80
/// characters, no control characters and no `/` (a name is not a path).
pub fn check_name(name: &str) -> Result<()> {
    let trimmed = name.trim();
    let fits = !trimmed.is_empty()
        && trimmed.chars().count() <= 80
        && !trimmed.chars().any(|c| c.is_control() || c == '/');
    if fits {
        Ok(())
    } else {
        Err(Error::input(format!(
            "course name {name:?}: write 1 to 80 characters, without '/' or line breaks"
        )))
    }
}

/// A prefix as folder names the keys can carry: each part slugged, empty parts dropped.
pub fn tidy_prefix(raw: &str) -> String {
    raw.split('/')
        .map(slug)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// The name the course's options are stored under: case and surrounding spaces ignored, so
/// "Biology 101" and "biology 101 " are one course.
pub(crate) fn key_of(name: &str) -> String {
    name.trim().to_lowercase()
}

/// `UrlFormat` stored by its name (`"iframe"`), so the database stays readable.
mod format_name {
    use crate::urlfmt::UrlFormat;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<UrlFormat>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(f) => s.serialize_some(f.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UrlFormat>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        Ok(text.as_deref().and_then(UrlFormat::parse))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_what_teachers_write_and_prefixes_are_safe_folders() {
        for good in ["Biology 101", "Histoire-géo 4e", "Year 9 — Term 2", "数学"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "   ", "a/b", "line\nbreak", &"x".repeat(81)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Course::named("Biology 101").options.prefix, "biology-101");
        assert_eq!(tidy_prefix("/Biology 101//Term 2/"), "biology-101/term-2");
        assert_eq!(key_of(" Biology 101 "), key_of("biology 101"));
    }

    #[test]
    fn tidying_refuses_a_template_the_engine_refuses_and_drops_empty_choices() {
        let mut course = Course::named("  Physics ");
        course.options.template = Some("{prefix}/{kind}".into());
        let err = course.clone().tidied().unwrap_err();
        assert!(err.message().contains("Physics"), "{err}");
        course.options.template = Some("  ".into());
        course.options.destination = Some(String::new());
        let tidy = course.tidied().unwrap();
        assert_eq!(tidy.name, "Physics");
        assert_eq!(tidy.options.template, None);
        assert_eq!(tidy.options.destination, None);
    }

    #[test]
    fn a_caption_language_is_a_language_tag() {
        let mut course = Course::named("Chemistry");
        course.options.captions = Some(" fr ".into());
        assert_eq!(
            course.clone().tidied().unwrap().options.captions.as_deref(),
            Some("fr")
        );
        course.options.captions = Some(String::new());
        assert_eq!(course.clone().tidied().unwrap().options.captions, None);
        course.options.captions = Some("French".into());
        let err = course.tidied().unwrap_err();
        assert!(err.message().contains("not a language"), "{err}");
    }

    #[test]
    fn options_round_trip_with_the_link_format_by_name() {
        let options = CourseOptions {
            destination: Some("stream".into()),
            prefix: "bio".into(),
            template: None,
            link_format: Some(UrlFormat::Iframe),
            captions: Some("fr".into()),
            keep_metadata: true,
            max_video_minutes: Some(45),
            keep_originals: true,
            compress_quality: Some(80),
        };
        let text = serde_json::to_string(&options).unwrap();
        assert!(text.contains("\"iframe\""), "{text}");
        assert_eq!(
            serde_json::from_str::<CourseOptions>(&text).unwrap(),
            options
        );
        assert_eq!(
            serde_json::from_str::<CourseOptions>("{}").unwrap(),
            CourseOptions::default()
        );
    }
}
