//! `ferry course` and `ferry manifest`: courses from the command line, and a course's (or every)
//! manifest with links made fresh now. The checks are the engine's, so the window and the CLI
//! refuse the same things with the same words.

use crate::args::{CourseAction, CourseFields, ManifestKind};
use ferry_core::job::UploadJob;
use ferry_core::manifest::ManifestFormat;
use ferry_core::urlfmt::UrlFormat;
use ferry_core::{Course, Engine, Error, Result};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;

/// The jobs of `course` (every job without one), oldest first.
pub fn jobs_of(engine: &Engine, course: Option<&str>) -> Result<Vec<UploadJob>> {
    let jobs = engine.jobs()?;
    match course {
        None => Ok(jobs),
        Some(name) => {
            let course = engine.course(name)?;
            Ok(jobs
                .into_iter()
                .filter(|j| j.course.as_deref() == Some(course.name.as_str()))
                .collect())
        }
    }
}

pub async fn manifest(
    course: Option<&str>,
    format: ManifestKind,
    output: Option<&Path>,
) -> Result<ExitCode> {
    let engine = crate::open_engine()?;
    let jobs = jobs_of(&engine, course)?;
    let format = match format {
        ManifestKind::Csv => ManifestFormat::Csv,
        ManifestKind::Json => ManifestFormat::Json,
    };
    let text = engine.manifest(&jobs, format).await;
    match output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| Error::from_io(path, &e))?;
            eprintln!("Wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(action: CourseAction) -> Result<ExitCode> {
    let engine = crate::open_engine()?;
    match action {
        CourseAction::List { json } => {
            let courses = engine.course_summaries()?;
            if courses.is_empty() && !json {
                println!("No course yet: add one with `ferry course add \"Biology 101\"`.");
            }
            for s in courses {
                if json {
                    let mut value = course_json(&s.course);
                    value["files"] = json!(s.files);
                    value["folders"] = json!(s.folders);
                    println!("{value}");
                } else {
                    println!(
                        "{}; {} file(s), {} watched folder(s)",
                        describe(&s.course),
                        s.files,
                        s.folders
                    );
                }
            }
        }
        CourseAction::Add { name, fields } => {
            let course = apply(Course::named(&name), fields)?;
            let saved = engine.save_course(course, None)?;
            println!("Added {}", describe(&saved));
        }
        CourseAction::Edit {
            name,
            rename,
            fields,
        } => {
            let mut course = engine.course(&name)?;
            if let Some(new_name) = rename {
                course.name = new_name;
            }
            let saved = engine.save_course(apply(course, fields)?, Some(&name))?;
            println!("Saved {}", describe(&saved));
        }
        CourseAction::Remove { name } => {
            let gone = engine.remove_course(&name)?;
            println!(
                "Removed course {:?}; its uploads keep its name in the history.",
                gone.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `fields` set on `course`; an empty value clears a choice.
fn apply(mut course: Course, fields: CourseFields) -> Result<Course> {
    let o = &mut course.options;
    if let Some(to) = fields.to {
        o.destination = Some(to).filter(|t| !t.is_empty());
    }
    if let Some(prefix) = fields.prefix {
        o.prefix = prefix;
    }
    if let Some(template) = fields.template {
        o.template = Some(template).filter(|t| !t.is_empty());
    }
    if let Some(format) = fields.link_format {
        o.link_format = match format.as_str() {
            "" => None,
            text => Some(UrlFormat::parse(text).ok_or_else(|| {
                Error::input(format!(
                    "link format {text:?}: use raw, markdown, html or iframe"
                ))
            })?),
        };
    }
    if let Some(language) = fields.captions {
        o.captions = Some(language).filter(|l| !l.trim().is_empty());
    }
    if let Some(minutes) = fields.max_video_minutes {
        o.max_video_minutes = Some(minutes).filter(|m| *m > 0);
    }
    if let Some(q) = fields.compress {
        o.compress_quality = Some(q).filter(|q| *q > 0);
    }
    if let Some(keep) = fields.keep_originals {
        o.keep_originals = keep == crate::args::YesNo::Yes;
    }
    if let Some(keep) = fields.keep_metadata {
        o.keep_metadata = keep == crate::args::YesNo::Yes;
    }
    Ok(course)
}

fn describe(c: &Course) -> String {
    let to = c
        .options
        .destination
        .as_deref()
        .unwrap_or("each file by its kind");
    let under = if c.options.prefix.is_empty() {
        "the bucket's top".to_string()
    } else {
        format!("{}/", c.options.prefix)
    };
    let mut line = format!("{}: to {to}, under {under}", c.name);
    if let Some(f) = c.options.link_format {
        line.push_str(&format!(", links as {}", f.as_str()));
    }
    if let Some(l) = &c.options.captions {
        line.push_str(&format!(", {l} captions generated for its videos"));
    }
    if let Some(m) = c.options.max_video_minutes {
        line.push_str(&format!(", videos of at most {m} min"));
    }
    if c.options.keep_metadata {
        line.push_str(", photos sent with their location and camera details");
    }
    if let Some(q) = c.options.compress_quality {
        line.push_str(&format!(", photos compressed at quality {q}"));
    }
    if c.options.keep_originals {
        line.push_str(", photos too large for Images kept at full size");
    }
    line
}

fn course_json(c: &Course) -> serde_json::Value {
    json!({
        "name": c.name,
        "destination": c.options.destination,
        "prefix": c.options.prefix,
        "template": c.options.template,
        "link_format": c.options.link_format.map(|f| f.as_str()),
        "captions": c.options.captions,
        "keep_metadata": c.options.keep_metadata,
        "max_video_minutes": c.options.max_video_minutes,
        "keep_originals": c.options.keep_originals,
        "compress_quality": c.options.compress_quality,
    })
}
