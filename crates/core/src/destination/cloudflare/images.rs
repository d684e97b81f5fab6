//! Cloudflare Images as an [`ImageStore`]: multipart uploads to `POST /images/v1` (the file
//! streamed from disk, Ferry's content hash in `metadata`, a custom id from the key template
//! unless signed URLs are required), lookups, deletion, and signed delivery URLs
//! (HMAC-SHA256 over path and `exp`, with the account's signing key).

use super::api::{Api, Product};
use crate::destination::{FileRange, ImageLimits, ImageSpec, ImageStore, StoredImage};
use crate::{Error, Result};
use async_trait::async_trait;
use futures_util::stream;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::OnceCell;

/// The most pages of 1,000 a lookup by content reads (a million images).
const MAX_LIST_PAGES: usize = 1000;

/// Cloudflare's limits for stored images.
pub const LIMITS: ImageLimits = ImageLimits {
    max_bytes: 10 * 1024 * 1024,
    max_side: 12_000,
    max_pixels: 100_000_000,
};

#[derive(Debug, Clone)]
pub struct ImagesOptions {
    pub require_signed_urls: bool,
    /// The variant whose URL is handed back (`public` on a new account).
    pub variant: String,
}

impl Default for ImagesOptions {
    fn default() -> Self {
        ImagesOptions {
            require_signed_urls: false,
            variant: "public".into(),
        }
    }
}

pub struct ImagesDestination {
    name: String,
    api: Api,
    options: ImagesOptions,
    signing_key: OnceCell<String>,
}

impl ImagesDestination {
    pub fn new(name: &str, api: Api, options: ImagesOptions) -> Self {
        ImagesDestination {
            name: name.to_string(),
            api,
            options,
            signing_key: OnceCell::new(),
        }
    }

    pub(super) fn api(&self) -> &Api {
        &self.api
    }

    fn image_url(&self, id: &str) -> url::Url {
        self.api.account_url(&format!("images/v1/{}", id_path(id)))
    }

    async fn key(&self) -> Result<&String> {
        self.signing_key
            .get_or_try_init(|| async {
                let req = self.api.http.get(self.api.account_url("images/v1/keys"));
                let result = self
                    .api
                    .call(req, Product::Images, "reading the image signing key")
                    .await?;
                result["keys"]
                    .as_array()
                    .and_then(|keys| {
                        keys.iter()
                            .find(|k| k["name"] == "default")
                            .or_else(|| keys.first())
                    })
                    .and_then(|k| k["value"].as_str())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error::config(
                            "Cloudflare Images has no signing key; create one under Images > Keys",
                        )
                    })
            })
            .await
    }
}

/// A custom id as a URL path. Custom ids are paths ("any number of subpaths"), and Cloudflare's
/// docs write their slashes as slashes (api-facts A.6, developers.cloudflare.com/images/storage/
/// upload-images/upload-custom-path/); an encoded `%2F` is nowhere documented. So each segment
/// is escaped on its own and the slashes stay; `%` becomes `%25`, as the docs ask.
fn id_path(id: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    id.split('/')
        .map(|segment| percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

pub(super) fn stored(v: &Value) -> Result<StoredImage> {
    let id = v["id"]
        .as_str()
        .ok_or_else(|| Error::protocol("Cloudflare Images returned an image without an id"))?
        .to_string();
    let mut variants = BTreeMap::new();
    for url in v["variants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let name = url.rsplit('/').next().unwrap_or("public").to_string();
        variants.insert(name, url.to_string());
    }
    // The specs call it `meta`; some documentation examples say `metadata`.
    let meta = if v["meta"].is_object() {
        &v["meta"]
    } else {
        &v["metadata"]
    };
    Ok(StoredImage {
        id,
        variants,
        hash: meta["ferry_hash"].as_str().map(str::to_string),
        size: meta["ferry_size"].as_u64(),
    })
}

fn file_stream(body: FileRange) -> reqwest::Body {
    const BLOCK: usize = 256 * 1024;
    let s = stream::try_unfold(
        (body, None::<tokio::fs::File>, 0u64),
        |(body, file, done)| async move {
            if done >= body.len {
                return Ok(None);
            }
            let mut file = match file {
                Some(f) => f,
                None => {
                    let mut f = tokio::fs::File::from_std(crate::fileinfo::open_exact(&body.path)?);
                    f.seek(SeekFrom::Start(body.offset)).await?;
                    f
                }
            };
            let want = (body.len - done).min(BLOCK as u64) as usize;
            let mut buf = vec![0u8; want];
            file.read_exact(&mut buf).await?;
            body.deliver(body.offset + done, &mut buf);
            body.sent.fetch_add(want as u64, Ordering::Relaxed);
            if let Some(pace) = &body.pace {
                let wait = pace.delay(want as u64);
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            Ok::<_, std::io::Error>(Some((
                bytes::Bytes::from(buf),
                (body, Some(file), done + want as u64),
            )))
        },
    );
    reqwest::Body::wrap_stream(s)
}

#[async_trait]
impl ImageStore for ImagesDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        format!("images|{}|{}", self.api.base, self.api.account_id)
    }

    fn limits(&self) -> ImageLimits {
        LIMITS
    }

    fn custom_ids(&self) -> bool {
        // Cloudflare refuses custom ids on private images.
        !self.options.require_signed_urls
    }

    fn requires_signed_urls(&self) -> bool {
        self.options.require_signed_urls
    }

    async fn find(&self, id: &str) -> Result<Option<StoredImage>> {
        let req = self.api.http.get(self.image_url(id));
        match self
            .api
            .call(req, Product::Images, "looking up an image")
            .await
        {
            Ok(v) if v["draft"].as_bool() == Some(true) => Ok(None),
            Ok(v) => stored(&v).map(Some),
            Err(e) if e.kind() == crate::ErrorKind::NotFound => Ok(None),
            // A garbled reply stays a protocol error: the scheduler asks again, as it does for
            // any question (an upload's garbled reply is not retried blindly).
            Err(e) => Err(e),
        }
    }

    /// Newest first, page after page (Images v2 `continuation_token`): an account with more
    /// than a page of images still finds ours, however many were uploaded since.
    async fn find_by_hash(&self, hash: &str) -> Result<Option<StoredImage>> {
        let mut token: Option<String> = None;
        let mut seen_tokens = std::collections::HashSet::new();
        for _ in 0..MAX_LIST_PAGES {
            let mut query = vec![
                ("per_page", "1000".to_string()),
                ("sort_order", "desc".into()),
            ];
            if let Some(t) = &token {
                query.push(("continuation_token", t.clone()));
            }
            let req = self
                .api
                .http
                .get(self.api.account_url("images/v2"))
                .query(&query);
            let result = self
                .api
                .call(req, Product::Images, "listing the account's images")
                .await?;
            for image in result["images"].as_array().into_iter().flatten() {
                let s = stored(image)?;
                if s.hash.as_deref() == Some(hash) {
                    return Ok(Some(s));
                }
            }
            match result["continuation_token"]
                .as_str()
                .filter(|t| !t.is_empty())
            {
                // A token seen before would loop forever: the list is over as far as we can tell.
                Some(next) if seen_tokens.insert(next.to_string()) => token = Some(next.into()),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    async fn upload(&self, spec: &ImageSpec, body: FileRange) -> Result<StoredImage> {
        let len = body.len;
        let name: String = spec.file_name.chars().take(200).collect();
        let metadata = json!({ "ferry_hash": spec.hash, "ferry_size": len, "name": name });
        let part = reqwest::multipart::Part::stream_with_length(file_stream(body), len)
            .file_name(spec.file_name.clone())
            .mime_str(&spec.content_type)
            .map_err(|e| Error::input(format!("content type {}: {e}", spec.content_type)))?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("metadata", metadata.to_string())
            .text(
                "requireSignedURLs",
                self.options.require_signed_urls.to_string(),
            );
        if let Some(id) = &spec.id {
            form = form.text("id", id.clone());
        }
        let req = self
            .api
            .http
            .post(self.api.account_url("images/v1"))
            .multipart(form);
        let result = self
            .api
            .call(
                req,
                Product::Images,
                &format!("uploading {}", spec.file_name),
            )
            .await?;
        stored(&result)
    }

    async fn delete(&self, id: &str) -> Result<()> {
        let req = self.api.http.delete(self.image_url(id));
        self.api
            .call(req, Product::Images, "deleting the image")
            .await
            .map(|_| ())
    }

    async fn sent_by(&self, creator: &str) -> Result<Vec<crate::request::Arrival>> {
        self.images_sent_by(creator).await
    }

    async fn one_time_upload(
        &self,
        spec: &crate::request::OneTimeSpec,
    ) -> Result<crate::request::OneTimeUpload> {
        self.direct_upload(spec).await
    }

    async fn url(&self, id: &str, expires: Duration) -> Result<String> {
        let image = self.find(id).await?.ok_or_else(|| {
            Error::new(
                crate::ErrorKind::NotFound,
                format!("Cloudflare Images has no image {id}"),
            )
        })?;
        let url = image
            .variants
            .get(&self.options.variant)
            .or_else(|| image.variants.values().next())
            .cloned()
            .ok_or_else(|| {
                Error::protocol("Cloudflare Images returned an image without variants")
            })?;
        if !self.options.require_signed_urls {
            return Ok(url);
        }
        let exp = chrono::Utc::now().timestamp() + expires.as_secs() as i64;
        Ok(sign(&url, self.key().await?, exp))
    }
}

/// Sign an image delivery URL: `sig` = hex HMAC-SHA256(key, path + "?" + query-with-exp).
pub fn sign(url: &str, key: &str, exp: i64) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    parsed
        .query_pairs_mut()
        .append_pair("exp", &exp.to_string());
    let to_sign = format!("{}?{}", parsed.path(), parsed.query().unwrap_or_default());
    let mut mac = <Hmac<Sha256>>::new_from_slice(key.as_bytes()).expect("hmac takes any key");
    mac.update(to_sign.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    parsed.query_pairs_mut().append_pair("sig", &sig);
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_keep_their_slashes_and_escape_the_rest() {
        assert_eq!(
            id_path("course/week 1/100% cover.png"),
            "course/week%201/100%25%20cover.png"
        );
        assert_eq!(id_path("leçon/a?b#c.png"), "le%C3%A7on/a%3Fb%23c.png");
    }

    #[test]
    fn signing_follows_cloudflares_recipe() {
        let signed = sign(
            "https://imagedelivery.net/hash/id/public",
            "secret",
            1631289275,
        );
        let (base, sig) = signed.split_once("&sig=").unwrap();
        assert_eq!(
            base,
            "https://imagedelivery.net/hash/id/public?exp=1631289275"
        );
        let mut mac = <Hmac<Sha256>>::new_from_slice(b"secret").unwrap();
        mac.update(b"/hash/id/public?exp=1631289275");
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
    }
}
