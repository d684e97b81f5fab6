//! The queue: what the window shows at start, adding files (dropped or picked), the native
//! pickers, and the controls (pause, retry, cancel, delete from the cloud).

use super::*;

#[tauri::command]
pub async fn overview(shell: State<'_, Arc<Shell>>) -> Reply<Overview> {
    let engine = shell.session.engine();
    let destinations = engine
        .destination_names()
        .into_iter()
        .filter_map(|name| {
            let shape = engine.shape_of(&name).ok()?;
            Some(DestinationInfo {
                public: engine.is_public(&name),
                bounds_request_size: engine.bounds_request_size(&name),
                name,
                shape: shape.as_str().into(),
            })
        })
        .collect();
    let problems = engine
        .problems()
        .map(|(name, e)| IpcError::from(e.clone().context(format!("destination {name}"))))
        .collect();
    Ok(Overview {
        version: env!("CARGO_PKG_VERSION").into(),
        destinations,
        problems,
        demo: std::env::var_os("FERRY_DEMO").is_some(),
        home: engine.home().data_dir.display().to_string(),
    })
}

/// Every job at once. The window reads pages (`job_page`); this stays for the real-window
/// tests, which ask for a job's whole row.
#[tauri::command]
pub async fn jobs(shell: State<'_, Arc<Shell>>) -> Reply<Vec<JobRow>> {
    blocking(&shell, |e| {
        Ok(e.jobs()?.iter().map(|j| JobRow::of(j, e)).collect())
    })
    .await
}

/// One page of a screen's jobs, newest first, with how many its filters match.
#[tauri::command]
pub async fn job_page(
    shell: State<'_, Arc<Shell>>,
    query: JobQueryRow,
    offset: u64,
    limit: u64,
) -> Reply<JobPageRow> {
    let query = query.query()?;
    // A page is what a screen shows: a few hundred rows, never the whole history.
    let limit = limit.min(1000);
    blocking(&shell, move |e| {
        Ok(JobPageRow::of(e.job_page(&query, offset, limit)?, e))
    })
    .await
}

/// The ids of every job a screen's filters match (copy every link, export a manifest).
#[tauri::command]
pub async fn job_ids(shell: State<'_, Arc<Shell>>, query: JobQueryRow) -> Reply<Vec<i64>> {
    let query = query.query()?;
    blocking(&shell, move |e| {
        Ok(e.job_ids(&query)?.into_iter().map(|id| id.0).collect())
    })
    .await
}

/// The counts beside the screens' names.
#[tauri::command]
pub async fn job_tally(shell: State<'_, Arc<Shell>>) -> Reply<JobTallyRow> {
    blocking(&shell, |e| Ok(e.job_tally()?.into())).await
}

/// The choices the History filters offer.
#[tauri::command]
pub async fn job_facets(shell: State<'_, Arc<Shell>>) -> Reply<JobFacetsRow> {
    blocking(&shell, |e| Ok(e.job_facets()?.into())).await
}

/// Start sending engine events to the window over `channel` (replacing an earlier one: a
/// reopened window subscribes again and rebuilds its view from `jobs`).
#[tauri::command]
pub fn subscribe(shell: State<'_, Arc<Shell>>, channel: Channel<UiEvent>) {
    // Start-up is measured (bench/desktop_bench.mjs reads this line).
    tracing::info!("window subscribed");
    shell.bridge.attach(channel);
}

/// Queue dropped or chosen paths. `everything` also takes what folders hold that is skipped by
/// default (hidden, temporary and system files, private keys); the report lists what was.
#[tauri::command]
pub async fn add_paths(
    shell: State<'_, Arc<Shell>>,
    paths: Vec<String>,
    destination: Option<String>,
    everything: Option<bool>,
    course: Option<String>,
) -> Reply<IntakeReport> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    blocking(&shell, move |e| {
        let how = ferry_core::AddOptions {
            destination: destination.as_deref(),
            everything: everything.unwrap_or(false),
            course: course.as_deref().filter(|c| !c.trim().is_empty()),
            ..Default::default()
        };
        let intake = e.add(&paths, &how)?;
        let queued = intake
            .queued
            .iter()
            .filter_map(|id| e.job(*id).ok().flatten())
            .map(|j| JobRow::of(&j, e))
            .collect();
        Ok(IntakeReport {
            queued,
            rejected: intake
                .rejected
                .into_iter()
                .map(|r| {
                    let path = r.path.display().to_string();
                    let mut error = IpcError::from(r.error);
                    // The window shows the path beside the message: say it once.
                    if let Some(rest) = error.message.strip_prefix(&format!("{path}: ")) {
                        error.message = rest.to_string();
                    }
                    RejectedPath { path, error }
                })
                .collect(),
            notes: intake.notes,
            skipped: intake
                .skipped
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        })
    })
    .await
}

/// The native picker (files, or folders), open while the window keeps working. Returns the
/// chosen paths, empty when the user cancels.
#[tauri::command]
pub async fn pick(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
    folders: bool,
) -> Reply<Vec<String>> {
    let language = shell.prefs().language;
    Ok(crate::pickers::open(&app, &language, folders)
        .await
        .into_iter()
        .map(|p| p.display().to_string())
        .collect())
}

/// The file to import accounts from, chosen in the native dialog; `None` when cancelled.
#[tauri::command]
pub async fn pick_import_file(
    app: tauri::AppHandle,
    shell: State<'_, Arc<Shell>>,
) -> Reply<Option<String>> {
    let language = shell.prefs().language;
    Ok(crate::pickers::open_import(&app, &language)
        .await
        .map(|p| p.display().to_string()))
}

#[tauri::command]
pub async fn pause(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let ids = self::ids(&ids);
    blocking(&shell, move |e| e.pause(&ids)).await
}

#[tauri::command]
pub async fn pause_all(shell: State<'_, Arc<Shell>>) -> Reply<usize> {
    blocking(&shell, |e| e.pause_all()).await
}

/// Resume paused jobs, or retry failed and cancelled ones: both put them back in the queue.
#[tauri::command]
pub async fn retry(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let ids = self::ids(&ids);
    blocking(&shell, move |e| e.retry(&ids)).await
}

#[tauri::command]
pub async fn resume_all(shell: State<'_, Arc<Shell>>) -> Reply<usize> {
    blocking(&shell, |e| e.resume_all()).await
}

#[tauri::command]
pub async fn cancel(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let engine = shell.session.engine();
    Ok(engine.cancel(&self::ids(&ids)).await?)
}

#[tauri::command]
pub async fn delete_remote(shell: State<'_, Arc<Shell>>, ids: Vec<i64>) -> Reply<usize> {
    let engine = shell.session.engine();
    Ok(engine.delete_remote(&self::ids(&ids)).await?)
}
