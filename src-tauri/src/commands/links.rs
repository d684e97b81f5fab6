//! Links: the text to paste in each format, copying (one or all), opening, and the course
//! manifest with links made at export.

use super::*;

/// `http://` or `https://`, and nothing else.
fn is_web_link(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn url_format(name: &str) -> Reply<UrlFormat> {
    UrlFormat::parse(name).ok_or_else(|| IpcError {
        code: "invalid_input".into(),
        message: format!("unknown link format {name:?}: use raw, markdown, html or iframe"),
    })
}

async fn link_text(
    shell: &Shell,
    id: i64,
    format: &str,
    expires_secs: Option<u64>,
) -> Reply<LinkText> {
    let format = url_format(format)?;
    let engine = shell.session.engine();
    let job = engine.job(JobId(id))?.ok_or_else(|| IpcError {
        code: "not_found".into(),
        message: format!("there is no job {id}"),
    })?;
    let link = engine
        .link(&job, format, expires_secs.map(Duration::from_secs))
        .await?;
    Ok(LinkText {
        text: link.text,
        expires_at: link.expires_at,
    })
}

/// The text to paste for a job: its URL as raw, Markdown, HTML or a Stream embed; a signed
/// link when `expires_secs` is given.
#[tauri::command]
pub async fn link(
    shell: State<'_, Arc<Shell>>,
    id: i64,
    format: String,
    expires_secs: Option<u64>,
) -> Reply<LinkText> {
    link_text(&shell, id, &format, expires_secs).await
}

/// Put a job's link on the system clipboard (from Rust, so it works whatever the webview
/// allows) and return it for the window to show.
#[tauri::command]
pub async fn copy_link(
    shell: State<'_, Arc<Shell>>,
    id: i64,
    format: String,
    expires_secs: Option<u64>,
) -> Reply<LinkText> {
    let link = link_text(&shell, id, &format, expires_secs).await?;
    shell.copy(&link.text)?;
    Ok(link)
}

/// Put the links of the given done jobs on the clipboard, one per line, each in `preferred`
/// where it fits the job and in the job's own default otherwise (a PDF has no player).
#[tauri::command]
pub async fn copy_links(
    shell: State<'_, Arc<Shell>>,
    ids: Vec<i64>,
    preferred: String,
) -> Reply<CopiedLinks> {
    let preferred = url_format(&preferred)?;
    let links = shell
        .session
        .engine()
        .links_of(&self::ids(&ids), preferred)
        .await?;
    let first_expiry = links.iter().filter_map(|l| l.expires_at).min();
    let lines: Vec<&str> = links.iter().map(|l| l.text.as_str()).collect();
    if !lines.is_empty() {
        shell.copy(&lines.join("\n"))?;
    }
    Ok(CopiedLinks {
        count: lines.len() as u32,
        first_expiry,
    })
}

/// Open a job's link in the browser. Only web links are opened: whatever a destination hands
/// back, the system's opener is never asked to run a file or another scheme.
#[tauri::command]
pub async fn open_link(shell: State<'_, Arc<Shell>>, id: i64) -> Reply<()> {
    let url = link_text(&shell, id, "raw", None).await?.text;
    if !is_web_link(&url) {
        return Err(IpcError {
            code: "invalid_input".into(),
            message: format!(
                "job {id}'s link is not a web address ({}…); copy it instead",
                url.chars().take(12).collect::<String>()
            ),
        });
    }
    open::that_detached(&url).map_err(|e| IpcError {
        code: "io".into(),
        // The link may be signed: it stays out of the message; the user can copy it instead.
        message: format!("could not open a browser ({e}); copy the link and paste it into one"),
    })
}

/// Save a manifest (CSV or JSON) of the given done jobs, or of all, where the user picks in
/// the save dialog (the page never names a path). Returns the file written, or `None` when
/// the user cancelled.
#[tauri::command]
pub async fn export_manifest(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    ids: Vec<i64>,
    format: String,
) -> Reply<Option<String>> {
    let format = match format.as_str() {
        "csv" => ManifestFormat::Csv,
        "json" => ManifestFormat::Json,
        other => {
            return Err(IpcError {
                code: "invalid_input".into(),
                message: format!("unknown manifest format {other:?}: use csv or json"),
            });
        }
    };
    // A set: a whole history's export would otherwise compare every job with every id.
    let wanted: std::collections::HashSet<_> = self::ids(&ids).into_iter().collect();
    let jobs = blocking(&shell, move |e| {
        Ok(e.jobs()?
            .into_iter()
            .filter(|j| wanted.is_empty() || wanted.contains(&j.id))
            .collect::<Vec<_>>())
    })
    .await?;
    // Links made now, so the file's links work when it is opened (signed ones until the expiry
    // written beside them).
    let text = shell.session.engine().manifest(&jobs, format).await;
    let ext = match format {
        ManifestFormat::Csv => "csv",
        ManifestFormat::Json => "json",
    };
    let language = shell.prefs().language;
    let chosen =
        crate::pickers::save(&app, &language, &format!("course-manifest.{ext}"), ext).await;
    let Some(target) = chosen else {
        return Ok(None);
    };
    std::fs::write(&target, text).map_err(|e| IpcError::from(Error::from_io(&target, &e)))?;
    Ok(Some(target.display().to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_web_links_are_opened() {
        for ok in [
            "https://imagedelivery.net/a/b/public",
            "HTTP://127.0.0.1:9/x",
        ] {
            assert!(super::is_web_link(ok), "{ok}");
        }
        for refused in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "/usr/bin/xterm",
            "smb://host/share",
            "http:/x",
            "",
        ] {
            assert!(!super::is_web_link(refused), "{refused}");
        }
    }
}
