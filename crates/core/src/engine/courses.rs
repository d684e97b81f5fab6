//! Courses through the engine: listing, saving (with the checks only the engine can make: the
//! destination is one it has), renaming everywhere at once, and removing; and what a course
//! sets for the files added to it.

use super::Engine;
use crate::classify::FileKind;
use crate::course::{Course, CourseOptions, key_of};
use crate::destination::Destination;
use crate::keys::{KeyInputs, KeyTemplate};
use crate::queue::CourseRow;
use crate::route::RouteInput;
use crate::watch::{self, FolderOptions};
use crate::{Error, ErrorKind, Result};

/// Where files added to a course (or a folder, or neither) go: each is the first set of the
/// explicit choice, the folder's, the course's, then the settings'.
pub(crate) struct Placement<'a> {
    pub destination: Option<&'a str>,
    pub prefix: &'a str,
    pub template: &'a str,
}

impl Engine {
    /// Every course, by name.
    pub fn courses(&self) -> Result<Vec<Course>> {
        self.queue.courses()?.into_iter().map(from_row).collect()
    }

    /// Every course with how many files were added to it and how many watched folders belong
    /// to it.
    pub fn course_summaries(&self) -> Result<Vec<CourseSummary>> {
        let files = self.queue.course_job_counts()?;
        let folders = watch::folders(self)?;
        Ok(self
            .courses()?
            .into_iter()
            .map(|course| CourseSummary {
                files: files.get(&course.name).copied().unwrap_or(0),
                folders: folders
                    .iter()
                    .filter(|f| f.options.course.as_deref() == Some(course.name.as_str()))
                    .count(),
                course,
            })
            .collect())
    }

    /// The course called `name` (case and surrounding spaces ignored).
    pub fn course(&self, name: &str) -> Result<Course> {
        match self.queue.course(&key_of(name))? {
            Some(row) => from_row(row),
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "there is no course called {:?}; add it first (Courses in the window, or `ferry course add`)",
                    name.trim()
                ),
            )),
        }
    }

    /// Add `course`, or change the one called `previous` (renaming it on its jobs and folders
    /// when the name changed). Refused, with what to do, when the name is taken by another
    /// course, a choice does not check, or its destination is not configured.
    pub fn save_course(&self, course: Course, previous: Option<&str>) -> Result<Course> {
        let course = course.tidied()?;
        if let Some(dest) = &course.options.destination {
            self.destination(dest)
                .map_err(|e| Error::config(format!("course {:?}: {}", course.name, e.message())))?;
        }
        let key = key_of(&course.name);
        let old = match previous {
            Some(name) => Some(self.course(name)?),
            None => None,
        };
        let renamed_from = old.as_ref().map(|c| key_of(&c.name));
        if renamed_from.as_deref() != Some(key.as_str())
            && let Some(taken) = self.queue.course(&key)?
        {
            return Err(Error::input(format!(
                "there is already a course called {:?}; choose another name",
                taken.name
            )));
        }
        let mut folders = Vec::new();
        if let Some(old) = &old
            && old.name != course.name
        {
            for mut folder in watch::folders(self)? {
                if folder.options.course.as_deref() == Some(old.name.as_str()) {
                    folder.options.course = Some(course.name.clone());
                    folders.push((folder.id, options_json(&folder.options)));
                }
            }
        }
        let row = CourseRow {
            name: course.name.clone(),
            options: serde_json::to_string(&course.options).expect("course options serialise"),
        };
        let previous = old.as_ref().map(|c| (key_of(&c.name), c.name.clone()));
        self.queue.save_course(
            &key,
            &row,
            previous.as_ref().map(|(k, n)| (k.as_str(), n.as_str())),
            &folders,
            self.now(),
        )?;
        Ok(course)
    }

    /// Forget the course called `name`; its uploads keep its name in the history. Refused while
    /// a watched folder belongs to it, naming the folder. The course removed.
    pub fn remove_course(&self, name: &str) -> Result<Course> {
        let course = self.course(name)?;
        if let Some(folder) = watch::folders(self)?
            .into_iter()
            .find(|f| f.options.course.as_deref() == Some(course.name.as_str()))
        {
            return Err(Error::new(
                ErrorKind::Precondition,
                format!(
                    "course {:?}: the watched folder {} belongs to it; give the folder another course or stop watching it first",
                    course.name,
                    folder.root.display()
                ),
            ));
        }
        self.queue.remove_course(&key_of(&course.name))?;
        Ok(course)
    }

    /// Where files go, from the most particular choice to the settings: `explicit` (the
    /// command's or the drop's), then the folder's, then the course's.
    pub(crate) fn placement<'a>(
        &'a self,
        explicit: (Option<&'a str>, Option<&'a str>),
        folder: Option<&'a FolderOptions>,
        course: Option<&'a CourseOptions>,
    ) -> Placement<'a> {
        let (destination, prefix) = explicit;
        Placement {
            destination: destination
                .or(folder.and_then(|f| f.destination.as_deref()))
                .or(course.and_then(|c| c.destination.as_deref())),
            prefix: prefix
                .or(folder.and_then(|f| f.prefix.as_deref()))
                .or(course.map(|c| c.prefix.as_str()))
                .unwrap_or(&self.settings.prefix),
            template: folder
                .and_then(|f| f.template.as_deref())
                .or(course.and_then(|c| c.template.as_deref()))
                .unwrap_or(&self.settings.key_template),
        }
    }
}

/// A course and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseSummary {
    pub course: Course,
    /// Files added to it (every job carrying its name, in any state).
    pub files: usize,
    /// Watched folders that belong to it.
    pub folders: usize,
}

/// What a sample file of one kind would become in a course: where it goes and under which key,
/// its link where it can be known before the upload, or why it would be refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseSample {
    pub kind: FileKind,
    pub file_name: &'static str,
    /// The destination it would go to, its key there and its link; or the reason it would not.
    pub outcome: std::result::Result<SamplePlace, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplePlace {
    pub destination: String,
    pub key: String,
    /// The link (a bucket's, without a signature); `None` where the service names it at upload
    /// (an Images id, a Stream video).
    pub url: Option<String>,
    /// Links to it are signed and stop working after a while.
    pub signed: bool,
}

const SAMPLES: [(FileKind, &str, &str, u64); 3] = [
    (
        FileKind::Document,
        "Week 1 notes.pdf",
        "application/pdf",
        2_000_000,
    ),
    (FileKind::Image, "cell diagram.png", "image/png", 400_000),
    (FileKind::Video, "Lecture 1.mp4", "video/mp4", 300_000_000),
];

impl Engine {
    /// What `course` (saved or being edited) makes of a sample document, image and video added
    /// now: routed and keyed as an upload would be, so a teacher sees where files will land
    /// while typing. A template the engine refuses is an error here too.
    pub async fn preview_course(&self, course: &Course) -> Result<Vec<CourseSample>> {
        let course = course.clone().tidied()?;
        let place = self.placement((None, None), None, Some(&course.options));
        let template = KeyTemplate::parse(place.template)?;
        let routing = self.routing(&[]);
        let when = chrono::DateTime::<chrono::Utc>::from(self.clock.now());
        let image = self.sample_image()?;
        let mut out = Vec::new();
        for (kind, file_name, content_type, size) in SAMPLES {
            // Images' pre-flight reads the header: the image sample is a real (tiny) PNG.
            let path = match kind {
                FileKind::Image => image.as_path(),
                _ => std::path::Path::new(file_name),
            };
            let input = RouteInput {
                path,
                rel: file_name,
                kind,
                content_type,
                size,
                fit: self.settings.images.fit && !course.options.keep_originals,
            };
            let chosen = match place.destination {
                Some(name) => routing
                    .accepts(name, &input)
                    .map(|()| (name.to_string(), None)),
                None => routing.choose(&input).map(|c| (c.destination, c.template)),
            };
            let outcome = match chosen {
                // The row names the sample: the reason alone, without the path in front.
                Err(e) => Err(e
                    .message()
                    .strip_prefix(&format!("{}: ", path.display()))
                    .unwrap_or(e.message())
                    .to_string()),
                Ok((name, routed_template)) => {
                    let template = match routed_template {
                        Some(t) => KeyTemplate::parse(&t)?,
                        None => template.clone(),
                    };
                    let key = template.render(&KeyInputs {
                        prefix: place.prefix,
                        kind,
                        file_name,
                        when,
                        rand6: "k3x9qa",
                        hash: "0f3a9c2e5b7d1146",
                    });
                    self.sample_place(name, key).await
                }
            };
            out.push(CourseSample {
                kind,
                file_name,
                outcome,
            });
        }
        Ok(out)
    }

    /// A 640×480 PNG header in Ferry's data folder, for routing the image sample.
    fn sample_image(&self) -> Result<std::path::PathBuf> {
        let path = self.home.data_dir.join("sample-image.png");
        if !path.exists() {
            let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
            png.extend_from_slice(b"IHDR");
            png.extend_from_slice(&640u32.to_be_bytes());
            png.extend_from_slice(&480u32.to_be_bytes());
            png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
            crate::private::write(&path, &png)?;
        }
        Ok(path)
    }

    async fn sample_place(
        &self,
        name: String,
        key: String,
    ) -> std::result::Result<SamplePlace, String> {
        let dest = self
            .destination(&name)
            .map_err(|e| e.message().to_string())?;
        let signed = !dest.is_public();
        let url = match &dest {
            Destination::Objects(_) => dest
                .url(&key, std::time::Duration::from_secs(3600))
                .await
                .ok()
                .map(|u| u.split('?').next().unwrap_or_default().to_string()),
            _ => None,
        };
        Ok(SamplePlace {
            destination: name,
            key,
            url,
            signed,
        })
    }
}

fn from_row(row: CourseRow) -> Result<Course> {
    let options = serde_json::from_str(&row.options).map_err(|e| {
        Error::new(
            ErrorKind::Queue,
            format!(
                "the settings of course {:?} cannot be read ({e}); open the course and save it again",
                row.name
            ),
        )
    })?;
    Ok(Course {
        name: row.name,
        options,
    })
}

fn options_json(options: &FolderOptions) -> String {
    serde_json::to_string(options).expect("folder options serialise")
}
