//! `ferry inspect`: what a photo reveals and what Ferry removes before sending it, without
//! uploading anything; `--save` writes the prepared copies (the photos never change).

use ferry_core::Error;
use ferry_core::prepare::{self, Prepared};
use serde_json::json;
use std::path::Path;
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
    for path in paths {
        match one(path, save) {
            Ok((prepared, saved)) => {
                if json {
                    println!(
                        "{}",
                        json!({ "path": path, "prepared": prepared, "saved": saved })
                    );
                } else {
                    println!("{}: {}", path.display(), sentence(prepared.as_ref()));
                    if let Some(s) = saved {
                        println!("  prepared copy: {}", s.display());
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

fn one(
    path: &Path,
    save: Option<&Path>,
) -> Result<(Option<Prepared>, Option<std::path::PathBuf>), Error> {
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
    let saved = match (save, path.file_name()) {
        (Some(dir), Some(name)) => {
            let dest = dir.join(name);
            prepare::save_copy(path, &patches, &dest).map_err(|e| Error::from_io(&dest, &e))?;
            Some(dest)
        }
        _ => None,
    };
    Ok((prepared, saved))
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
