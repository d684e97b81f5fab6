//! `ferry inspect`: what a photo reveals and what Ferry removes before sending it, without
//! uploading anything; `--save` writes the prepared copies (the photos never change).

use ferry_core::Error;
use ferry_core::prepare::{self, Prepared};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(
    paths: &[std::path::PathBuf],
    save: Option<&Path>,
    json: bool,
) -> Result<ExitCode, Error> {
    if let Some(dir) = save {
        std::fs::create_dir_all(dir).map_err(|e| Error::from_io(dir, &e))?;
    }
    let mut failed = false;
    for (path, result) in paths.iter().zip(each(paths, save)) {
        match result {
            Ok(Inspected {
                prepared,
                saved,
                video,
            }) => {
                if json {
                    println!(
                        "{}",
                        json!({ "path": path, "prepared": prepared, "saved": saved, "video": video })
                    );
                } else {
                    let as_jpeg = saved.is_none()
                        && prepare::heif::is_heic_file(path)
                        && prepare::heif::decoder().is_some();
                    let jpeg = if as_jpeg {
                        "; sent as a JPEG copy (--save writes it)"
                    } else {
                        ""
                    };
                    println!("{}: {}{jpeg}", path.display(), sentence(prepared.as_ref()));
                    if let Some(s) = saved {
                        println!("  prepared copy: {}", s.display());
                    }
                    if let Some(v) = video {
                        println!("  its video, as its own file: {}", v.display());
                    }
                }
            }
            Err(e) => {
                failed = true;
                if json {
                    println!(
                        "{}",
                        json!({ "path": path, "error": { "code": e.kind().code(), "message": e.message() } })
                    );
                } else {
                    eprintln!("ferry: {e}");
                }
            }
        }
    }
    Ok(crate::exit(failed))
}

/// [`one`] for every path, on as many threads as the machine has cores (decoding a HEIC photo
/// takes a core for a second), the results in the order of `paths`.
fn each(paths: &[PathBuf], save: Option<&Path>) -> Vec<Result<Inspected, Error>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Inspected, Error>>>> =
        paths.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(paths.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let done = one(path, save);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(done);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every path was inspected")
        })
        .collect()
}

/// What inspecting one file found and wrote.
struct Inspected {
    prepared: Option<Prepared>,
    /// The prepared copy `--save` wrote.
    saved: Option<PathBuf>,
    /// A motion photo's video, written as its own file beside the copy.
    video: Option<PathBuf>,
}

fn one(path: &Path, save: Option<&Path>) -> Result<Inspected, Error> {
    if path.is_dir() {
        return Err(Error::input(format!(
            "{} is a folder; name the photos in it",
            path.display()
        )));
    }
    let (patches, mut prepared) = prepare::prepare(path).map_err(|e| Error::from_io(path, &e))?;
    if prepared.is_none() {
        let named = prepare::names_in(path).map_err(|e| Error::from_io(path, &e))?;
        prepared = (!named.is_empty()).then(|| Prepared {
            named,
            ..Default::default()
        });
    }
    if prepare::heif::is_heic_file(path) {
        return heic(path, save, prepared);
    }
    let mut saved_video = None;
    let saved = match (save, path.file_name()) {
        (Some(dir), Some(name)) => {
            let dest = dir.join(name);
            let motion = prepared.as_ref().and_then(|p| p.motion);
            prepare::save_copy(path, &patches, motion.map(|m| m.still_bytes), &dest)
                .map_err(|e| Error::from_io(&dest, &e))?;
            if let Some(m) = motion {
                // The video inside a motion photo, as its own file beside the still.
                let video = dest.with_extension("motion.mp4");
                prepare::save_motion_video(path, &m, &video)
                    .map_err(|e| Error::from_io(&video, &e))?;
                saved_video = Some(video);
            }
            Some(dest)
        }
        _ => None,
    };
    Ok(Inspected {
        prepared,
        saved,
        video: saved_video,
    })
}

/// A HEIC photo: an upload sends a JPEG copy of it, which `--save` writes (`IMG_1.jpg`).
fn heic(path: &Path, save: Option<&Path>, prepared: Option<Prepared>) -> Result<Inspected, Error> {
    if prepare::heif::decoder().is_none() {
        eprintln!("ferry: {}", prepare::heif::no_decoder_note(path));
    }
    let (Some(dir), Some(stem)) = (save, path.file_stem()) else {
        return Ok(Inspected {
            prepared,
            saved: None,
            video: None,
        });
    };
    let dest = dir.join(stem).with_extension("jpg");
    if dest.exists() && std::fs::canonicalize(&dest).ok() == std::fs::canonicalize(path).ok() {
        return Err(Error::input(format!(
            "{} is the photo itself; save the JPEG copy in another folder",
            dest.display()
        )));
    }
    let (made, hash) = prepare::heif::save_jpeg(path, &dest)?;
    let mut report = prepared.unwrap_or_default();
    report.hash = hash;
    report.bytes = 0;
    report.converted = Some(made);
    Ok(Inspected {
        prepared: Some(report),
        saved: Some(dest),
        video: None,
    })
}

fn sentence(prepared: Option<&Prepared>) -> String {
    match prepared {
        None => "nothing to remove; sent as it is".into(),
        Some(p) if p.bytes == 0 => p.describe(),
        Some(p) => format!(
            "{} before sending ({} bytes blanked; the file itself is not changed)",
            p.describe(),
            p.bytes
        ),
    }
}
