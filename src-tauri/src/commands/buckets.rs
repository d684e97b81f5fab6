//! A bucket's own settings: course sites (CORS) and unfinished uploads (lifecycle).

use super::*;

/// The bucket of `account`, or the one uploads go to now.
fn bucket_of(shell: &Shell, account: Option<&str>) -> Reply<ferry_core::bucket::Bucket> {
    Ok(match account {
        Some(name) => {
            AccountDestinations::open(&shell.home, &Keychain::default(), name)?.bucket(name)?
        }
        None => shell.session.engine().bucket(None)?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A bucket's CORS and lifecycle rules now, and Ferry's CORS rule for the course sites
/// `origins` (the settings' allowed origins when none are given). Nothing is written.
#[tauri::command]
pub async fn bucket_settings(
    shell: State<'_, Arc<Shell>>,
    account: Option<String>,
    origins: Vec<String>,
) -> Reply<BucketView> {
    let bucket = bucket_of(&shell, account.as_deref())?;
    let origins = if origins.is_empty() {
        shell
            .session
            .engine()
            .settings()
            .stream
            .allowed_origins
            .clone()
    } else {
        origins
    };
    let now = bucket.cors().await?;
    let (proposed, why) = match bucket.proposed_cors(&origins, false).await {
        Ok((_, proposed)) => (Some(json(&proposed)), None),
        Err(e) if e.kind() == ferry_core::ErrorKind::InvalidInput => {
            (None, Some(e.message().to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let lifecycle = bucket.lifecycle().await?;
    Ok(BucketView {
        label: bucket.label(),
        cors_now: json(&now),
        cors_proposed: proposed,
        cors_why: why,
        abort_days: lifecycle.abort_incomplete_days,
        other_rules: lifecycle.other_rules,
    })
}

/// Write Ferry's CORS rule for `origins` (other rules kept); returns the rules the bucket then
/// reports.
#[tauri::command]
pub async fn bucket_apply_cors(
    shell: State<'_, Arc<Shell>>,
    account: Option<String>,
    origins: Vec<String>,
) -> Reply<String> {
    let bucket = bucket_of(&shell, account.as_deref())?;
    let (_, proposed) = bucket.proposed_cors(&origins, false).await?;
    Ok(json(&bucket.set_cors(&proposed).await?))
}

/// Make Ferry's lifecycle rule abort unfinished uploads after `days` (other rules kept).
#[tauri::command]
pub async fn bucket_apply_lifecycle(
    shell: State<'_, Arc<Shell>>,
    account: Option<String>,
    days: i32,
) -> Reply<Option<i32>> {
    let bucket = bucket_of(&shell, account.as_deref())?;
    Ok(bucket
        .set_abort_incomplete(days)
        .await?
        .abort_incomplete_days)
}
