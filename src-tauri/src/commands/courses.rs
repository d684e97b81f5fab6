//! Courses: the list (with how many files and folders each has), saving (a rename reaches the
//! course's uploads and folders), removing, and the live preview of where a course's files go.

use super::*;
use ferry_core::{Course, CourseOptions};

fn course_of(row: CourseRow) -> Reply<Course> {
    let link_format = match row.link_format.as_deref() {
        None | Some("") => None,
        Some(name) => Some(UrlFormat::parse(name).ok_or_else(|| {
            IpcError::from(Error::input(format!("unknown link format {name:?}")))
        })?),
    };
    Ok(Course {
        name: row.name,
        options: CourseOptions {
            destination: row.destination,
            prefix: row.prefix,
            template: row.template,
            link_format,
            captions: row.captions,
            keep_metadata: row.keep_metadata,
            max_video_minutes: row.max_video_minutes,
            keep_originals: row.keep_originals,
            compress_quality: row.compress_quality,
        },
    })
}

fn row_of(course: Course, files: u32, folders: u32) -> CourseRow {
    CourseRow {
        name: course.name,
        destination: course.options.destination,
        prefix: course.options.prefix,
        template: course.options.template,
        link_format: course.options.link_format.map(|f| f.as_str().to_string()),
        captions: course.options.captions,
        keep_metadata: course.options.keep_metadata,
        max_video_minutes: course.options.max_video_minutes,
        keep_originals: course.options.keep_originals,
        compress_quality: course.options.compress_quality,
        files,
        folders,
    }
}

#[tauri::command]
pub async fn courses(shell: State<'_, Arc<Shell>>) -> Reply<Vec<CourseRow>> {
    blocking(&shell, |e| {
        Ok(e.course_summaries()?
            .into_iter()
            .map(|s| row_of(s.course, s.files as u32, s.folders as u32))
            .collect())
    })
    .await
}

/// Add a course, or change the one called `previous`; the course as saved (tidied).
#[tauri::command]
pub async fn save_course(
    shell: State<'_, Arc<Shell>>,
    course: CourseRow,
    previous: Option<String>,
) -> Reply<CourseRow> {
    let course = course_of(course)?;
    blocking(&shell, move |e| {
        e.save_course(course, previous.as_deref())
            .map(|c| row_of(c, 0, 0))
    })
    .await
}

#[tauri::command]
pub async fn remove_course(shell: State<'_, Arc<Shell>>, name: String) -> Reply<()> {
    blocking(&shell, move |e| e.remove_course(&name).map(|_| ())).await
}

/// Where a sample document, image and video would go in `course` (as typed so far).
#[tauri::command]
pub async fn preview_course(
    shell: State<'_, Arc<Shell>>,
    course: CourseRow,
) -> Reply<CoursePreview> {
    let course = course_of(course)?;
    let engine = shell.session.engine();
    Ok(match engine.preview_course(&course).await {
        Ok(samples) => CoursePreview {
            samples: samples
                .into_iter()
                .map(|s| {
                    let (destination, key, url, signed, error) = match s.outcome {
                        Ok(p) => (Some(p.destination), Some(p.key), p.url, p.signed, None),
                        Err(why) => (None, None, None, false, Some(why)),
                    };
                    CourseSampleRow {
                        file: s.file_name.to_string(),
                        kind: s.kind.as_str().to_string(),
                        destination,
                        key,
                        url,
                        signed,
                        error,
                    }
                })
                .collect(),
            error: None,
        },
        Err(e) => CoursePreview {
            samples: Vec::new(),
            error: Some(e.message().to_string()),
        },
    })
}
