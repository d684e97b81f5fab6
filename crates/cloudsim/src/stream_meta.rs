//! Stream's rules for a video's settings, as Cloudflare applies them: the `Upload-Metadata`
//! keys of a tus creation (matched in any case, values base64) and the checks an edit shares
//! with them (thumbnail moment, scheduled deletion, maximum duration).

use crate::envelope::ApiError;
use crate::stream::VideoRecord;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

/// A thumbnail time is a fraction of the video's duration, 0 to 1 (OAS24
/// `stream_thumbnailTimestampPct`).
pub(crate) fn checked_thumbnail(pct: f64) -> Result<f64, ApiError> {
    if (0.0..=1.0).contains(&pct) {
        Ok(pct)
    } else {
        Err(ApiError::bad_request(
            10005,
            "thumbnailTimestampPct must be a number from 0 to 1",
        ))
    }
}

/// A scheduled deletion: 30 to 1,096 days after `created`, to the second. Cloudflare refuses a
/// time short of 30 days however slightly (api-facts B.2; OAS24 stream_scheduledDeletion).
pub(crate) fn checked_deletion(record: &VideoRecord, text: &str) -> Result<String, ApiError> {
    let when = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|_| ApiError::bad_request(10005, "scheduledDeletion must be an RFC 3339 date"))?;
    let created = chrono::DateTime::parse_from_rfc3339(&record.created)
        .map(|c| c.with_timezone(&chrono::Utc))
        .unwrap_or_else(|_| chrono::Utc::now());
    let after = when.with_timezone(&chrono::Utc) - created;
    if after < chrono::Duration::days(30) || after > chrono::Duration::days(1096) {
        return Err(ApiError::bad_request(
            10005,
            "scheduledDeletion must be at least 30 days and at most 1096 days after the video's creation",
        ));
    }
    Ok(text.to_string())
}

/// Apply tus Upload-Metadata (keys case-insensitive) to a new record.
pub(crate) fn apply_metadata(record: &mut VideoRecord, header: &str) -> Result<(), ApiError> {
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = pair.splitn(2, ' ');
        let key = it.next().unwrap_or_default();
        let value = match it.next().map(str::trim) {
            None | Some("") => None,
            Some(b64) => Some(
                STANDARD
                    .decode(b64)
                    .ok()
                    .and_then(|raw| String::from_utf8(raw).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            10005,
                            format!("Upload-Metadata value for {key} is not valid base64"),
                        )
                    })?,
            ),
        };
        let text = value.clone().unwrap_or_default();
        match key.to_ascii_lowercase().as_str() {
            "name" => {
                record.meta.insert("name".into(), json!(text));
            }
            "requiresignedurls" => record.require_signed = true,
            "allowedorigins" => {
                record.allowed_origins = text
                    .split(',')
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
                    .collect();
            }
            "thumbnailtimestamppct" => {
                let pct: f64 = text.parse().map_err(|_| {
                    ApiError::bad_request(
                        10005,
                        "thumbnailtimestamppct must be a number from 0 to 1",
                    )
                })?;
                record.thumbnail_pct = checked_thumbnail(pct)?;
            }
            "scheduleddeletion" => {
                record.scheduled_deletion = Some(checked_deletion(record, &text)?);
            }
            "maxdurationseconds" => {
                let secs: i64 = text.parse().map_err(|_| {
                    ApiError::bad_request(10005, "maxdurationseconds must be a whole number")
                })?;
                if !(1..=21600).contains(&secs) {
                    return Err(ApiError::bad_request(
                        10005,
                        "maxdurationseconds must be from 1 to 21600",
                    ));
                }
                record.max_duration = Some(secs);
            }
            "expiry" | "watermark" => {}
            other => {
                record.meta.insert(other.to_string(), json!(text));
            }
        }
    }
    Ok(())
}
