//! How results look on the terminal and as JSON lines. The JSON fields are a contract that
//! scripts and later tests rely on: `path`, `destination`, `state`, `key`, `url`, `error`.

use ferry_core::Rejected;
use ferry_core::job::{JobState, UploadJob};
use serde_json::{Value, json};

pub fn job_json(job: &UploadJob) -> Value {
    let error = job
        .error
        .as_ref()
        .map(|e| json!({ "code": e.code, "message": e.message }));
    let key = job
        .result
        .as_ref()
        .map(|r| r.remote_id.clone())
        .unwrap_or_else(|| job.key.clone());
    json!({
        "id": job.id.0,
        "path": job.file.path.to_string_lossy(),
        "name": job.display_name,
        "destination": job.destination,
        "course": job.course,
        "live_lesson": job.live_input,
        "request": job.request,
        "sender": job.sender,
        "state": job.state.as_str(),
        "key": key,
        "url": job.result.as_ref().and_then(|r| r.url.clone()),
        "links": job.result.as_ref().map(|r| r.links.clone()).unwrap_or_default(),
        "size": job.file.size,
        "bytes_done": job.bytes_done,
        "content_type": job.content_type,
        "kind": job.kind.as_str(),
        "hash": job.file.hash,
        "deduplicated": job.duplicate_of.is_some(),
        "duplicate_of": job.duplicate_of.map(|j| j.0),
        "attempts": job.attempts,
        "error": error,
        "prepared": job.prepared,
        "video": job.media,
        "notes": job.notes.iter().map(|n| json!({ "at": n.at, "message": n.message })).collect::<Vec<_>>(),
    })
}

/// Say what was left out of folders, and how to take it too.
pub fn skipped(paths: &[std::path::PathBuf]) {
    if paths.is_empty() {
        return;
    }
    const SHOWN: usize = 5;
    let names: Vec<String> = paths
        .iter()
        .take(SHOWN)
        .map(|p| p.display().to_string())
        .collect();
    let more = paths.len().saturating_sub(SHOWN);
    eprintln!(
        "ferry: skipped {} hidden, temporary or system file(s) in the folders: {}{}; add them on their own, or use --no-default-ignores, to upload them too",
        paths.len(),
        names.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
}

pub fn rejected_json(rejected: &Rejected, destination: &str) -> Value {
    json!({
        "id": null,
        "path": rejected.path.to_string_lossy(),
        "destination": destination,
        "state": "failed",
        "key": null,
        "url": null,
        "error": { "code": rejected.error.kind().code(), "message": rejected.error.message() },
    })
}

pub fn job_line(job: &UploadJob) -> String {
    match job.state {
        JobState::Done => {
            let dup = if job.duplicate_of.is_some() {
                " (already uploaded)"
            } else {
                ""
            };
            format!("✓ {} → {}{}", job.file.path.display(), done_tail(job), dup)
        }
        // Error messages already name the file.
        JobState::Failed => format!(
            "✗ {}",
            job.error
                .as_ref()
                .map(|e| e.message.as_str())
                .unwrap_or("failed")
        ),
        state => format!("· {} [{}]", job.file.path.display(), state.as_str()),
    }
}

/// A finished job's link, then what preparing found ("location removed", a video's length).
fn done_tail(job: &UploadJob) -> String {
    let url = job
        .result
        .as_ref()
        .and_then(|r| r.url.clone())
        .unwrap_or_default();
    match (&job.prepared, &job.media) {
        (Some(p), _) => format!("{url}  ({})", p.describe()),
        (None, Some(v)) => format!("{url}  ({})", v.describe()),
        (None, None) => url,
    }
}

pub fn status_line(job: &UploadJob) -> String {
    let pct = (job.bytes_done * 100)
        .checked_div(job.file.size)
        .unwrap_or(100);
    let tail = match job.state {
        JobState::Done => done_tail(job),
        JobState::Failed => job
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    format!(
        "{:>5}  {:<10} {:>3}%  {:>10}  {:<6} {}  {}",
        job.id.0,
        job.state.as_str(),
        pct,
        human_size(job.file.size),
        job.destination,
        job.display_name,
        tail
    )
}

pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
