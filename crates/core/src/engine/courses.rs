//! Courses through the engine: listing, saving (with the checks only the engine can make: the
//! destination is one it has), renaming everywhere at once, and removing; and what a course
//! sets for the files added to it.

use super::Engine;
use crate::course::{Course, CourseOptions, key_of};
use crate::queue::CourseRow;
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
