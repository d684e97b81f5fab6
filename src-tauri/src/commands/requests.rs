//! Upload requests in the window: list, make (the page saved in Ferry's folder), what arrived
//! through one, open its page in the browser, save a copy of the page where the teacher wants
//! (to attach or upload to a course site), close.

use super::*;
use crate::dto_requests::{NewRequestRow, RequestRow};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[tauri::command]
pub async fn requests(shell: State<'_, Arc<Shell>>) -> Reply<Vec<RequestRow>> {
    let all = shell.session.engine().requests()?;
    let now = now();
    Ok(all.iter().map(|r| RequestRow::of(r, now)).collect())
}

#[tauri::command]
pub async fn create_request(
    shell: State<'_, Arc<Shell>>,
    request: NewRequestRow,
) -> Reply<RequestRow> {
    let spec = request.spec(now())?;
    let made = shell.session.engine().create_request(spec, None).await?;
    Ok(RequestRow::of(&made, now()))
}

/// What arrived through a request (looking puts new arrivals in the history).
#[tauri::command]
pub async fn request_arrivals(shell: State<'_, Arc<Shell>>, id: String) -> Reply<Vec<JobRow>> {
    let engine = shell.session.engine();
    let jobs = engine.request_arrivals(&id).await?;
    Ok(jobs.iter().map(|j| JobRow::of(j, &engine)).collect())
}

#[tauri::command]
pub async fn close_request(shell: State<'_, Arc<Shell>>, id: String) -> Reply<RequestRow> {
    let closed = shell.session.engine().close_request(&id).await?;
    Ok(RequestRow::of(&closed, now()))
}

/// Open the request's page in the browser, to see what senders will see.
#[tauri::command]
pub async fn open_request_page(shell: State<'_, Arc<Shell>>, id: String) -> Reply<()> {
    let page = shell.session.engine().request_page(&id)?;
    open::that_detached(&page).map_err(|e| IpcError {
        code: "io".into(),
        message: format!(
            "could not open a browser ({e}); the page is {}",
            page.display()
        ),
    })
}

/// Save a copy of the page where the teacher picks; `None` when cancelled.
#[tauri::command]
pub async fn save_request_page(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    id: String,
) -> Reply<Option<String>> {
    let page = shell.session.engine().request_page(&id)?;
    let name = page
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("{id}.html"));
    let language = shell.prefs().language;
    let Some(to) = crate::pickers::save(&app, &language, &name, "html").await else {
        return Ok(None);
    };
    std::fs::copy(&page, &to).map_err(|e| IpcError::from(Error::from_io(&to, &e)))?;
    Ok(Some(to.display().to_string()))
}
