//! Watched folders: listing, editing (what an edit does not touch is kept), and held deletions.

use super::*;

fn policy_name(p: ChangePolicy) -> &'static str {
    match p {
        ChangePolicy::NewVersion => "new-version",
        ChangePolicy::Ignore => "ignore",
        ChangePolicy::Overwrite => "overwrite",
    }
}

#[tauri::command]
pub async fn folders(shell: State<'_, Arc<Shell>>) -> Reply<Vec<FolderRow>> {
    blocking(&shell, |e| {
        watch::folders(e)?
            .into_iter()
            .map(|f| {
                let synced = watch::synced(e, &f)?;
                Ok(FolderRow {
                    root: f.root.display().to_string(),
                    destination: f.options.destination,
                    prefix: f.options.prefix,
                    template: f.options.template,
                    on_change: policy_name(f.options.on_change).into(),
                    mirror_deletions: f.options.mirror_deletions,
                    include: f.options.include,
                    exclude: f.options.exclude,
                    default_ignores: f.options.default_ignores,
                    course: f.options.course,
                    synced_at: synced.map(|s| s.at),
                    synced_files: synced.map(|s| s.files as u32),
                })
            })
            .collect()
    })
    .await
}

/// Watch a folder (or change its options), then restart the watcher with it.
#[tauri::command]
pub async fn add_folder(shell: State<'_, Arc<Shell>>, folder: FolderRow) -> Reply<()> {
    let on_change = match folder.on_change.as_str() {
        "ignore" => ChangePolicy::Ignore,
        "overwrite" => ChangePolicy::Overwrite,
        _ => ChangePolicy::NewVersion,
    };
    let blank = |o: Option<String>| o.filter(|s| !s.trim().is_empty());
    let globs = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect()
    };
    let root = PathBuf::from(folder.root);
    blocking(&shell, move |e| {
        // What the window does not show (routing rules given from the CLI) is kept as it was.
        watch::edit_folder(e, &root, |o| {
            o.destination = blank(folder.destination);
            o.prefix = blank(folder.prefix);
            o.template = blank(folder.template);
            o.include = globs(folder.include);
            o.exclude = globs(folder.exclude);
            o.default_ignores = folder.default_ignores;
            o.on_change = on_change;
            o.mirror_deletions = folder.mirror_deletions;
            o.course = blank(folder.course);
        })
        .map(|_| ())
    })
    .await?;
    shell.reload().await
}

#[tauri::command]
pub async fn remove_folder(shell: State<'_, Arc<Shell>>, root: String) -> Reply<bool> {
    let removed = blocking(&shell, move |e| {
        watch::remove_folder(e, &PathBuf::from(root))
    })
    .await?;
    shell.reload().await?;
    Ok(removed)
}

/// The remote copies of a folder's gone files that wait: after the grace period, or for the
/// user's word when many went at once.
#[tauri::command]
pub async fn folder_deletions(
    shell: State<'_, Arc<Shell>>,
    root: String,
) -> Reply<Vec<DeletionRow>> {
    blocking(&shell, move |e| {
        Ok(watch::deletions::pending(e, &PathBuf::from(root))?
            .into_iter()
            .map(|d| DeletionRow {
                path: d.rel_path,
                state: match d.fate {
                    RemoteFate::Held => "held",
                    RemoteFate::Confirmed => "confirmed",
                    _ => "due",
                }
                .into(),
                gone_at: d.deleted_at,
            })
            .collect())
    })
    .await
}

/// Delete the copies held back for a folder (the user confirmed).
#[tauri::command]
pub async fn confirm_deletions(shell: State<'_, Arc<Shell>>, root: String) -> Reply<usize> {
    blocking(&shell, move |e| {
        watch::deletions::confirm(e, &PathBuf::from(root))
    })
    .await
}

/// Keep the copies held back for a folder.
#[tauri::command]
pub async fn keep_deletions(shell: State<'_, Arc<Shell>>, root: String) -> Reply<usize> {
    blocking(&shell, move |e| {
        watch::deletions::keep(e, &PathBuf::from(root))
    })
    .await
}
