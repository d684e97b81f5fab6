//! Cloudflare Images: upload (v1, multipart `file` or `url`), get, blob, edit, delete, list
//! (v1 and v2 with continuation), signing keys, and direct creator uploads (v2) with their
//! one-time upload URL. Limits are enforced as documented: 10 MB, 12,000 px per side, 100
//! megapixels, PNG/JPEG/GIF/WebP/SVG/AVIF only, 1024 bytes of metadata, custom-id rules.

use crate::auth::{Scope, require};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::image_rules::{
    MAX_BYTES, VARIANTS, check_custom_id, check_image, fetch, parse_metadata,
};
use crate::{Sim, now_rfc3339, random_uuid};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageRecord {
    pub id: String,
    pub filename: String,
    pub uploaded: String,
    pub require_signed: bool,
    pub meta: Value,
    pub creator: Option<String>,
    /// A direct-upload slot not yet filled.
    pub draft: bool,
    pub content_type: String,
    pub size: u64,
    /// Until when a draft's one-time URL works.
    pub expiry: Option<String>,
}

impl ImageRecord {
    fn to_json(&self, sim: &Sim) -> Value {
        let mut v = json!({
            "id": self.id,
            "filename": self.filename,
            "uploaded": self.uploaded,
            "requireSignedURLs": self.require_signed,
            "variants": VARIANTS.iter().map(|variant| format!(
                "{}/imagedelivery/{}/{}/{}", sim.base, sim.config.account_hash, encode_id(&self.id), variant
            )).collect::<Vec<_>>(),
            "meta": self.meta,
        });
        if let Some(c) = &self.creator {
            v["creator"] = json!(c);
        }
        if self.draft {
            v["draft"] = json!(true);
            v.as_object_mut().map(|o| o.remove("variants"));
        }
        v
    }
}

/// `%` in a custom id is written `%25` in delivery URLs; spaces and other bytes that are not
/// URL-safe are escaped the same way.
fn encode_id(id: &str) -> String {
    id.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The fields of an upload form.
#[derive(Default)]
struct UploadForm {
    file: Option<(String, Vec<u8>)>,
    url: Option<String>,
    metadata: Option<String>,
    require_signed: Option<bool>,
    id: Option<String>,
    creator: Option<String>,
    expiry: Option<String>,
}

async fn read_form(mut form: Multipart) -> Result<UploadForm, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(5400, format!("Bad request: malformed multipart body: {e}"))
    };
    let mut out = UploadForm::default();
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or("").to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > MAX_BYTES {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        7011,
                        "Request entity is too large: images must be 10 MB or smaller",
                    ));
                }
            }
            out.file = Some((filename, bytes));
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        match name.as_str() {
            "url" => out.url = Some(text),
            "metadata" => out.metadata = Some(text),
            "requireSignedURLs" => {
                out.require_signed = Some(match text.trim() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(ApiError::bad_request(
                            5400,
                            format!(
                                "Bad request: requireSignedURLs must be true or false, not {other:?}"
                            ),
                        ));
                    }
                })
            }
            "id" => out.id = Some(text),
            "creator" => out.creator = Some(text),
            "expiry" => out.expiry = Some(text),
            _ => {}
        }
    }
    Ok(out)
}

/// `POST /accounts/{account_id}/images/v1`.
pub async fn upload(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    form: Multipart,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    let form = read_form(form).await?;
    let (filename, bytes) = match (form.file, form.url) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                5400,
                "Bad request: give either file or url, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                5400,
                "Bad request: a file or a url is required",
            ));
        }
        (Some(file), None) => file,
        (None, Some(url)) => (
            url.rsplit('/').next().unwrap_or("image").to_string(),
            fetch(&url).await?,
        ),
    };
    let content_type = check_image(&bytes)?;
    let meta = parse_metadata(form.metadata.as_deref())?;
    let require_signed = form.require_signed.unwrap_or(false);
    let id = choose_id(form.id, require_signed)?;
    let record = ImageRecord {
        id: id.clone(),
        filename: filename.chars().take(255).collect(),
        uploaded: now_rfc3339(),
        require_signed,
        meta,
        creator: form.creator,
        draft: false,
        content_type,
        size: bytes.len() as u64,
        expiry: None,
    };
    {
        let images = sim.images.lock().unwrap_or_else(|e| e.into_inner());
        if images.contains_key(&id) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                5409,
                format!("Resource already exists: an image with id {id} exists"),
            ));
        }
    }
    store_image(&sim, record.clone(), &bytes)?;
    Ok(ok(record.to_json(&sim)))
}

/// The id for a new image: the custom one (checked; not allowed with signed URLs) or a new one.
fn choose_id(custom: Option<String>, require_signed: bool) -> Result<String, ApiError> {
    match custom {
        Some(id) => {
            check_custom_id(&id)?;
            if require_signed {
                return Err(ApiError::bad_request(
                    5411,
                    "The Custom ID is invalid: images with a custom ID cannot require signed URLs",
                ));
            }
            Ok(id)
        }
        None => Ok(random_uuid()),
    }
}

fn store_image(sim: &Sim, record: ImageRecord, bytes: &[u8]) -> Result<(), ApiError> {
    let internal = |e: std::io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            10002,
            format!("storage failed: {e}"),
        )
    };
    std::fs::write(sim.store.blob("images", &record.id), bytes).map_err(internal)?;
    sim.store
        .save("images", &record.id, &record)
        .map_err(internal)?;
    sim.images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(record.id.clone(), record);
    Ok(())
}

fn find(sim: &Sim, id: &str) -> Result<ImageRecord, ApiError> {
    sim.images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(5404, "Image not found"))
}

/// `GET /images/v1/{id}` and `GET /images/v1/{id}/blob`.
pub async fn get_or_blob(
    State(sim): State<Arc<Sim>>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    if let Some(id) = id.strip_suffix("/blob") {
        let record = find(&sim, id)?;
        let bytes = std::fs::read(sim.store.blob("images", id))
            .map_err(|_| ApiError::not_found(5404, "Image not found"))?;
        return Ok(([(header::CONTENT_TYPE, record.content_type)], bytes).into_response());
    }
    let record = find(&sim, &id)?;
    Ok(ok(record.to_json(&sim)))
}

/// `DELETE /images/v1/{id}`.
pub async fn delete(
    State(sim): State<Arc<Sim>>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    find(&sim, &id)?;
    sim.images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    sim.store.remove("images", &id);
    Ok(ok(json!({})))
}

#[derive(Deserialize)]
pub struct EditBody {
    metadata: Option<Value>,
    #[serde(rename = "requireSignedURLs")]
    require_signed: Option<bool>,
    /// Cloudflare's SDK sends `creator` too (cloudflare-python 5.x
    /// `types/images/v1_edit_params.py`; OAS24's `images_image_patch_request` predates it).
    creator: Option<String>,
}

/// `PATCH /images/v1/{id}`.
pub async fn edit(
    State(sim): State<Arc<Sim>>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<EditBody>,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    let mut record = find(&sim, &id)?;
    if let Some(c) = body.creator {
        record.creator = Some(c);
    }
    if let Some(m) = body.metadata {
        record.meta = m;
    }
    if let Some(r) = body.require_signed {
        record.require_signed = r;
    }
    let _ = sim.store.save("images", &id, &record);
    sim.images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, record.clone());
    Ok(ok(record.to_json(&sim)))
}

#[derive(Deserialize)]
pub struct ListV1 {
    page: Option<usize>,
    per_page: Option<usize>,
}

/// `GET /images/v1?page&per_page` (deprecated by Cloudflare, kept for old clients).
pub async fn list_v1(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListV1>,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    // OAS24 `images-list-images`: per_page from 10 to 10,000 (api-facts A.4); out of range is
    // refused, not clamped.
    let per_page = q.per_page.unwrap_or(1000);
    if !(10..=10_000).contains(&per_page) {
        return Err(ApiError::bad_request(
            5400,
            "Bad request: per_page must be between 10 and 10000",
        ));
    }
    let page = q.page.unwrap_or(1).max(1);
    let images: Vec<Value> = stored(&sim)
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| r.to_json(&sim))
        .collect();
    Ok(ok(json!({ "images": images })))
}

fn stored(sim: &Sim) -> Vec<ImageRecord> {
    let mut all: Vec<ImageRecord> = sim
        .images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .filter(|r| !r.draft)
        .cloned()
        .collect();
    all.sort_by(|a, b| (&a.uploaded, &a.id).cmp(&(&b.uploaded, &b.id)));
    all
}

#[derive(Deserialize)]
pub struct ListV2 {
    continuation_token: Option<String>,
    per_page: Option<usize>,
    sort_order: Option<String>,
}

/// `GET /images/v2?continuation_token&per_page&sort_order`.
pub async fn list_v2(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListV2>,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    let per_page = q.per_page.unwrap_or(1000);
    if !(10..=10_000).contains(&per_page) {
        return Err(ApiError::bad_request(
            5400,
            "Bad request: per_page must be between 10 and 10000",
        ));
    }
    let mut all = stored(&sim);
    if q.sort_order.as_deref() != Some("asc") {
        all.reverse();
    }
    let per_page = sim
        .config
        .list_page_max
        .map_or(per_page, |m| per_page.min(m));
    let start: usize = match q.continuation_token.as_deref() {
        None | Some("") => 0,
        Some(t) => t
            .parse()
            .map_err(|_| ApiError::bad_request(5400, "Bad request: invalid continuation_token"))?,
    };
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(per_page)
        .map(|r| r.to_json(&sim))
        .collect();
    let next = (start + per_page < all.len()).then(|| (start + per_page).to_string());
    Ok(ok(json!({ "images": page, "continuation_token": next })))
}

/// `GET /images/v1/keys`.
pub async fn keys(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    Ok(ok(
        json!({"keys": [{"name": "default", "value": sim.config.images_key}]}),
    ))
}

/// `POST /images/v2/direct_upload`: reserve an id and hand out a one-time upload URL.
pub async fn direct_upload(
    State(sim): State<Arc<Sim>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    form: Multipart,
) -> ApiResult {
    require(&sim, &headers, &account, Scope::Images)?;
    let form = read_form(form).await?;
    let require_signed = form.require_signed.unwrap_or(false);
    let id = choose_id(form.id, require_signed)?;
    let now = chrono::Utc::now();
    let expiry = match form.expiry.as_deref() {
        None => now + chrono::Duration::minutes(30),
        Some(t) => {
            let t = chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| {
                    ApiError::bad_request(5400, "Bad request: expiry must be an RFC 3339 date")
                })?
                .with_timezone(&chrono::Utc);
            if t < now + chrono::Duration::minutes(2) || t > now + chrono::Duration::hours(6) {
                return Err(ApiError::bad_request(
                    5400,
                    "Bad request: expiry must be between 2 minutes and 6 hours from now",
                ));
            }
            t
        }
    };
    let record = ImageRecord {
        id: id.clone(),
        filename: String::new(),
        uploaded: now_rfc3339(),
        require_signed,
        meta: parse_metadata(form.metadata.as_deref())?,
        creator: form.creator,
        draft: true,
        content_type: String::new(),
        size: 0,
        expiry: Some(expiry.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    };
    let _ = sim.store.save("images", &id, &record);
    sim.images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), record);
    Ok(ok(json!({
        "id": id,
        "uploadURL": format!("{}/images-upload/{}/{}", sim.base, sim.config.account_hash, encode_id(&id)),
    })))
}

/// `POST upload.imagedelivery.net/{hash}/{id}`: the one-time, unauthenticated upload.
pub async fn one_time_upload(
    State(sim): State<Arc<Sim>>,
    Path((hash, id)): Path<(String, String)>,
    form: Multipart,
) -> ApiResult {
    let draft = find(&sim, &id)?;
    let expired = draft
        .expiry
        .as_deref()
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
        .is_some_and(|e| e < chrono::Utc::now());
    if hash != sim.config.account_hash || !draft.draft || expired {
        return Err(ApiError::not_found(
            5404,
            "This upload URL is not valid or has been used",
        ));
    }
    let form = read_form(form).await?;
    let Some((filename, bytes)) = form.file else {
        return Err(ApiError::bad_request(
            5400,
            "Bad request: the form needs a file field",
        ));
    };
    let content_type = check_image(&bytes)?;
    let record = ImageRecord {
        filename,
        uploaded: now_rfc3339(),
        draft: false,
        content_type,
        size: bytes.len() as u64,
        expiry: None,
        ..draft
    };
    store_image(&sim, record.clone(), &bytes)?;
    Ok(ok(record.to_json(&sim)))
}

/// What delivery needs to know about an image.
pub fn for_delivery(sim: &Sim, id: &str) -> Option<(ImageRecord, std::path::PathBuf)> {
    let record = sim
        .images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(id)
        .cloned()?;
    if record.draft {
        return None;
    }
    Some((record, sim.store.blob("images", id)))
}

pub fn is_variant(name: &str) -> bool {
    VARIANTS.contains(&name)
}
