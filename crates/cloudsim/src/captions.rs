//! Stream captions: upload a WebVTT file per language, generate one with AI, list, read the
//! WebVTT back, delete. The rules, as strict as Cloudflare's:
//!
//! - the language is a BCP 47 tag (developers.cloudflare.com/stream/edit-videos/adding-captions/:
//!   "The `<LANGUAGE_TAG>` must adhere to the BCP 47 format"), and one caption per language
//!   (cloudflare-python `resources/stream/captions/language/language.py`: "One caption or
//!   subtitle file per language is allowed"): a second upload replaces the first;
//! - an upload is a multipart form with a `file` field holding WebVTT (the same SDK file:
//!   "The WebVTT file containing the caption or subtitle content"); a body that is not WebVTT
//!   (it must open with `WEBVTT`, W3C WebVTT §4.1) is refused;
//! - generation needs a video that is ready ("A video must be uploaded and in a ready state
//!   before captions can be generated", the adding-captions page), in a language Stream's
//!   speech-to-text knows: English, and since 2025-01-30 cs, nl, fr, de, it, ja, ko, pl, pt, ru,
//!   es (developers.cloudflare.com/changelog/2025-01-30-stream-generated-captions-new-languages/);
//!   a generated caption is `inprogress`, then `ready` once the emulator's processing time has
//!   passed;
//! - each caption has a label in its own language ("if sent tr, the label Türkçe will be
//!   created; if sent de, the label Deutsch", the adding-captions page).

use crate::auth::{Scope, require};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::stream::{VideoRecord, internal, save, video_or_404 as video};
use crate::{Sim, now_rfc3339};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

/// Languages Stream generates captions in (see the module's sources).
pub const GENERATED_LANGUAGES: &[&str] = &[
    "en", "cs", "nl", "fr", "de", "it", "ja", "ko", "pl", "pt", "ru", "es",
];

/// Caption files are small; Cloudflare names no limit, so the emulator takes what an hour of
/// dense subtitles needs many times over and refuses beyond.
const MAX_CAPTION_BYTES: usize = 10 * 1024 * 1024;

/// One caption track of a video.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaptionRecord {
    pub language: String,
    pub generated: bool,
    /// When generation was asked (generated captions only): ready after the processing time.
    pub asked: Option<String>,
    /// The WebVTT text (for a generated caption, made when it becomes ready).
    pub vtt: String,
}

impl CaptionRecord {
    fn status(&self, sim: &Sim) -> &'static str {
        let Some(asked) = self
            .asked
            .as_deref()
            .and_then(|a| chrono::DateTime::parse_from_rfc3339(a).ok())
        else {
            return "ready";
        };
        let elapsed = (chrono::Utc::now() - asked.with_timezone(&chrono::Utc))
            .to_std()
            .unwrap_or_default();
        if elapsed >= sim.config.processing {
            "ready"
        } else {
            "inprogress"
        }
    }

    fn to_json(&self, sim: &Sim) -> Value {
        json!({
            "language": self.language,
            "label": label(&self.language),
            "generated": self.generated,
            "status": self.status(sim),
        })
    }
}

/// A label in the language itself, as Stream makes one; a tag the emulator does not know keeps
/// its tag as its label.
pub fn label(language: &str) -> String {
    let primary = language.split('-').next().unwrap_or(language);
    let known = match primary.to_ascii_lowercase().as_str() {
        "en" => "English",
        "fr" => "Français",
        "de" => "Deutsch",
        "es" => "Español",
        "it" => "Italiano",
        "nl" => "Nederlands",
        "pt" => "Português",
        "pl" => "Polski",
        "cs" => "Čeština",
        "ru" => "Русский",
        "ja" => "日本語",
        "ko" => "한국어",
        "tr" => "Türkçe",
        "ar" => "العربية",
        "zh" => "中文",
        _ => return language.to_string(),
    };
    known.to_string()
}

/// BCP 47's shape (RFC 5646 §2.1): a 2–3 letter primary language (or 4–8 for a registered
/// one), then subtags of 1–8 letters or digits.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let first_ok = (2..=8).contains(&first.len()) && first.chars().all(|c| c.is_ascii_alphabetic());
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn checked_language(language: &str) -> Result<(), ApiError> {
    if is_language_tag(language) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            10005,
            format!("{language:?} is not a BCP 47 language tag"),
        ))
    }
}

/// `GET /accounts/{account_id}/stream/{uid}/captions`.
pub async fn list(
    State(sim): State<Arc<Sim>>,
    Path((account, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let record = video(&sim, &uid)?;
    let all: Vec<Value> = record.captions.iter().map(|c| c.to_json(&sim)).collect();
    Ok(ok(all))
}

/// `GET /accounts/{account_id}/stream/{uid}/captions/{language}`.
pub async fn get(
    State(sim): State<Arc<Sim>>,
    Path((account, uid, language)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let record = video(&sim, &uid)?;
    let caption = one(&record, &language)?;
    Ok(ok(caption.to_json(&sim)))
}

fn one<'a>(record: &'a VideoRecord, language: &str) -> Result<&'a CaptionRecord, ApiError> {
    record
        .captions
        .iter()
        .find(|c| c.language.eq_ignore_ascii_case(language))
        .ok_or_else(|| ApiError::not_found(10003, "Caption not found"))
}

/// `PUT /accounts/{account_id}/stream/{uid}/captions/{language}`: a multipart form whose `file`
/// field holds WebVTT.
pub async fn upload(
    State(sim): State<Arc<Sim>>,
    Path((account, uid, language)): Path<(String, String, String)>,
    headers: HeaderMap,
    mut form: Multipart,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    checked_language(&language)?;
    let lock = sim.video_lock(&uid);
    let _held = lock.lock().await;
    let mut record = video(&sim, &uid)?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(10005, format!("malformed multipart body: {e}"))
    };
    let mut text: Option<Vec<u8>> = None;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_CAPTION_BYTES {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    10005,
                    "the caption file is too large",
                ));
            }
        }
        text = Some(bytes);
    }
    let bytes = text.ok_or_else(|| ApiError::bad_request(10005, "the form needs a file field"))?;
    let vtt = String::from_utf8(bytes)
        .ok()
        .filter(|t| t.trim_start_matches('\u{feff}').starts_with("WEBVTT"))
        .ok_or_else(|| {
            ApiError::bad_request(
                10005,
                "the caption file must be WebVTT (it opens with WEBVTT)",
            )
        })?;
    record
        .captions
        .retain(|c| !c.language.eq_ignore_ascii_case(&language));
    let caption = CaptionRecord {
        language: language.clone(),
        generated: false,
        asked: None,
        vtt,
    };
    record.captions.push(caption.clone());
    record.modified = now_rfc3339();
    save(&sim, record).map_err(internal)?;
    Ok(ok(caption.to_json(&sim)))
}

/// `POST /accounts/{account_id}/stream/{uid}/captions/{language}/generate`.
pub async fn generate(
    State(sim): State<Arc<Sim>>,
    Path((account, uid, language)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    checked_language(&language)?;
    let lock = sim.video_lock(&uid);
    let _held = lock.lock().await;
    let mut record = video(&sim, &uid)?;
    if !GENERATED_LANGUAGES
        .iter()
        .any(|l| l.eq_ignore_ascii_case(&language))
    {
        return Err(ApiError::bad_request(
            10005,
            format!(
                "captions cannot be generated in {language:?}; supported: {}",
                GENERATED_LANGUAGES.join(", ")
            ),
        ));
    }
    if !record.is_ready(&sim) {
        return Err(ApiError::bad_request(
            10005,
            "the video must be ready before captions can be generated",
        ));
    }
    record
        .captions
        .retain(|c| !c.language.eq_ignore_ascii_case(&language));
    let caption = CaptionRecord {
        language: language.to_ascii_lowercase(),
        generated: true,
        asked: Some(now_rfc3339()),
        vtt: format!(
            "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n[{}: captions generated by ferry-cloudsim]\n",
            label(&language)
        ),
    };
    record.captions.push(caption.clone());
    record.modified = now_rfc3339();
    save(&sim, record).map_err(internal)?;
    Ok(ok(caption.to_json(&sim)))
}

/// `DELETE /accounts/{account_id}/stream/{uid}/captions/{language}`: the result is an empty
/// string (cloudflare-python `LanguageDeleteResponse = str`).
pub async fn delete(
    State(sim): State<Arc<Sim>>,
    Path((account, uid, language)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Stream)?;
    let lock = sim.video_lock(&uid);
    let _held = lock.lock().await;
    let mut record = video(&sim, &uid)?;
    one(&record, &language)?;
    record
        .captions
        .retain(|c| !c.language.eq_ignore_ascii_case(&language));
    record.modified = now_rfc3339();
    save(&sim, record).map_err(internal)?;
    Ok(ok(""))
}

/// `GET /accounts/{account_id}/stream/{uid}/captions/{language}/vtt`: the WebVTT text itself
/// (`VttGetResponse = str`), once the caption is ready.
pub async fn vtt(
    State(sim): State<Arc<Sim>>,
    Path((account, uid, language)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require(&sim, &headers, &account, Scope::Stream)?;
    let record = video(&sim, &uid)?;
    let caption = one(&record, &language)?;
    if caption.status(&sim) != "ready" {
        return Err(ApiError::not_found(10003, "Caption not ready"));
    }
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/vtt; charset=utf-8")],
        caption.vtt.clone(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_have_bcp47s_shape() {
        for good in ["en", "fr", "pt-BR", "zh-Hant-TW", "es-419"] {
            assert!(is_language_tag(good), "{good}");
        }
        for bad in [
            "",
            "e",
            "english language",
            "fr_FR",
            "123",
            "en-",
            "fr-toolongsubtag",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn labels_are_in_their_own_language() {
        assert_eq!(label("tr"), "Türkçe");
        assert_eq!(label("de"), "Deutsch");
        assert_eq!(label("fr-CA"), "Français");
        assert_eq!(label("xx"), "xx");
    }
}
