//! Upload requests from the engine: make one (its credentials from the landing's service, its
//! page saved where the teacher said), list, read, close (the page removed).
//!
//! An object store tries its form before handing it out (one byte posted and deleted, see
//! `destination/s3/post_form.rs`), so a store that refuses it is named at once instead of by a
//! sender's failed upload. A store that takes no POST policies (R2) gets one signed PUT link per
//! file instead (`destination/s3/put_link.rs`), tried the same way. Either way the bucket's CORS
//! policy is widened, by Ferry's own rule only, so that a student's browser may send.

use super::Engine;
use crate::destination::bucket::with_page_uploads;
use crate::destination::{Destination, FileRange, ObjectSpec, ObjectStore};
use crate::request::page::{PageData, PageForm, PageLink, PageSlot, render};
use crate::request::{
    FormSpec, Landing, OneTimeSpec, OneTimeUpload, RequestSpec, SlotSpec, UploadRequest, new_id,
    page_key, slot_key,
};
use crate::{Error, ErrorKind, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

impl Engine {
    /// Make a request and its page, saved at `page` (or in Ferry's folder `requests/`).
    pub async fn create_request(
        &self,
        mut spec: RequestSpec,
        page: Option<PathBuf>,
    ) -> Result<UploadRequest> {
        spec.title = spec.title.trim().to_string();
        spec.extensions = spec
            .extensions
            .iter()
            .map(|e| e.trim().trim_start_matches('.').to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        if let Some(c) = &spec.course {
            spec.course = Some(self.course(c)?.name);
        }
        spec.check(self.now())?;
        let id = new_id();
        let data = self.page_data(&id, &spec).await?;
        let path = match page {
            Some(p) => p,
            None => self
                .home
                .data_dir
                .join("requests")
                .join(format!("{id}.html")),
        };
        write_page(&path, &render(&data))?;
        let link = match &spec.publish {
            Some(dest) => match self.publish_page(dest, &id, &path).await {
                Ok(link) => Some(link),
                Err(e) => {
                    let _ = std::fs::remove_file(&path);
                    return Err(e);
                }
            },
            None => None,
        };
        let request = UploadRequest {
            id,
            spec,
            page: Some(path),
            link,
            created_at: self.now(),
            closed_at: None,
        };
        self.queue.add_request(&request)?;
        Ok(request)
    }

    /// Every request, newest first.
    pub fn requests(&self) -> Result<Vec<UploadRequest>> {
        self.queue.requests()
    }

    pub fn request(&self, id: &str) -> Result<UploadRequest> {
        self.queue.request(id)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no upload request {id}; see `ferry request list`"),
            )
        })
    }

    /// The saved page of an open request, to open or copy (Ferry's own file, never a path a
    /// caller names).
    pub fn request_page(&self, id: &str) -> Result<PathBuf> {
        let request = self.request(id)?;
        match request.page {
            Some(page) if request.closed_at.is_none() && page.exists() => Ok(page),
            _ => Err(Error::new(
                ErrorKind::NotFound,
                format!("{id}: its page is gone (the request is closed); make a new request"),
            )),
        }
    }

    /// Close a request: its page is removed, and Stream's unused one-time links are deleted,
    /// so they stop working now. A bucket form's signature and Images' links cannot be taken
    /// back: they stop working at the request's end (at most 7 days, and 6 hours), as
    /// RELIABILITY.md's note on leaked links states.
    pub async fn close_request(&self, id: &str) -> Result<UploadRequest> {
        let request = self.request(id)?;
        if matches!(request.spec.landing, Landing::Videos { .. })
            && let Destination::Videos(store) = self.destination(crate::provider::STREAM)?
        {
            store.drop_unused_uploads(&request.creator()).await?;
        }
        if let (Some(dest), Some(_)) = (&request.spec.publish, &request.link) {
            self.destination(dest)?.delete(&page_key(id)).await?;
        }
        if let Some(page) = &request.page
            && let Err(e) = std::fs::remove_file(page)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(Error::from_io(page, &e));
        }
        self.queue.close_request(id, self.now())?;
        self.request(id)
    }

    /// Put the page in bucket `dest` (which must have a public address) and give its link.
    async fn publish_page(&self, dest: &str, id: &str, page: &Path) -> Result<String> {
        let Destination::Objects(store) = self.destination(dest)? else {
            return Err(Error::input(format!(
                "{dest} is not a bucket; publish the page to a bucket with a public address"
            )));
        };
        if !store.is_public() {
            return Err(Error::input(format!(
                "{dest} has no public address, so students could not open the page; give it one (its public URL in Accounts) or share the page as a file"
            )));
        }
        let bytes = std::fs::read(page).map_err(|e| Error::from_io(page, &e))?;
        let key = page_key(id);
        let spec = ObjectSpec {
            key: key.clone(),
            content_type: "text/html; charset=utf-8".into(),
            hash: blake3::hash(&bytes).to_hex().to_string(),
            display_name: format!("{id}.html"),
            overwrite: true,
            disposition: None,
        };
        let body = FileRange {
            path: page.to_path_buf(),
            offset: 0,
            len: bytes.len() as u64,
            sent: Default::default(),
            pace: None,
            digest: None,
            patches: None,
        };
        store.put(&spec, body).await?;
        store.url(&key, self.settings.link_expiry()).await
    }

    /// What the page carries: the forms or one-time links, and what senders are told.
    async fn page_data(&self, id: &str, spec: &RequestSpec) -> Result<PageData> {
        let mut data = PageData {
            title: spec.title.clone(),
            note: spec.note.clone(),
            course: spec.course.clone(),
            expires_at: spec.expires_at,
            max_bytes: spec.max_bytes,
            max_files: spec.max_files,
            extensions: spec.extensions.clone(),
            kind: "objects",
            key_prefix: String::new(),
            forms: Vec::new(),
            puts: Vec::new(),
            slots: Vec::new(),
        };
        let creator = UploadRequest::creator_of(id);
        let mut meta = serde_json::Map::new();
        // No `name`: Stream names a video after the file sent (the page puts the sender's name
        // in it).
        meta.insert("ferry_request".into(), json!(id));
        if let Some(course) = &spec.course {
            meta.insert("course".into(), json!(course));
        }
        let one_time = OneTimeSpec {
            creator,
            expires_at: spec.expires_at,
            max_seconds: spec.max_video_seconds,
            signed: matches!(spec.landing, Landing::Videos { signed: true }),
            meta,
        };
        match &spec.landing {
            Landing::Objects {
                destination,
                prefix,
            } => {
                let Destination::Objects(store) = self.destination(destination)? else {
                    return Err(Error::input(format!(
                        "{destination} is not a bucket; send the request to an S3 bucket, or to Stream or Images"
                    )));
                };
                data.key_prefix = format!("{}/", prefix.trim_matches('/'));
                let groups = type_groups(spec);
                let origin = self.page_origin(spec).await?;
                match post_forms(store.as_ref(), spec, &data.key_prefix, &groups).await {
                    Ok(forms) => {
                        data.forms = forms;
                        allow_pages(store.as_ref(), &origin, "POST", &[]).await?;
                    }
                    // R2 and stores without POST policies: one signed PUT link per file.
                    Err(e) if e.kind() == ErrorKind::NotSupported => {
                        data.puts = put_slots(store.as_ref(), id, spec, prefix, &groups).await?;
                        allow_pages(store.as_ref(), &origin, "PUT", &PUT_HEADERS).await?;
                    }
                    Err(e) => return Err(e),
                }
            }
            Landing::Videos { .. } => {
                let Destination::Videos(store) = self.destination(crate::provider::STREAM)? else {
                    return Err(Error::config("videos for a request go to Stream"));
                };
                data.kind = "videos";
                data.slots = slots(spec.max_files, || store.one_time_upload(&one_time)).await?;
            }
            Landing::Images => {
                let Destination::Images(store) = self.destination(crate::provider::IMAGES)? else {
                    return Err(Error::config(
                        "images for a request go to Cloudflare Images",
                    ));
                };
                data.kind = "images";
                data.slots = slots(spec.max_files, || store.one_time_upload(&one_time)).await?;
            }
        }
        Ok(data)
    }
}

impl Engine {
    /// The origin the page will be opened from, for the bucket's CORS rule: its published
    /// link's, or any (`*`) for a page shared as a file (a browser sends `Origin: null` for it).
    async fn page_origin(&self, spec: &RequestSpec) -> Result<String> {
        let Some(dest) = &spec.publish else {
            return Ok("*".into());
        };
        let Destination::Objects(store) = self.destination(dest)? else {
            return Ok("*".into());
        };
        let link = store
            .url("ferry-requests/page.html", self.settings.link_expiry())
            .await?;
        Ok(url::Url::parse(&link)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| "*".into()))
    }
}

/// The headers a page's PUT sends besides the simple ones: the signed media type and
/// condition, and the names it keeps with the file.
const PUT_HEADERS: [&str; 3] = ["content-type", "content-disposition", "if-none-match"];

/// The accepted media types, each with the extensions that name it; one group of any type
/// (empty) when the request accepts any file.
fn type_groups(spec: &RequestSpec) -> Vec<(Vec<String>, String)> {
    let types = spec.content_types();
    if types.is_empty() {
        return vec![(Vec::new(), String::new())];
    }
    let mut groups: Vec<(Vec<String>, String)> = Vec::new();
    for (ext, ct) in types {
        match groups.iter_mut().find(|(_, c)| *c == ct) {
            Some((exts, _)) => exts.push(ext),
            None => groups.push((vec![ext], ct)),
        }
    }
    groups
}

/// One POST form per media type (the store checks the type named in the form).
async fn post_forms(
    store: &dyn ObjectStore,
    spec: &RequestSpec,
    key_prefix: &str,
    groups: &[(Vec<String>, String)],
) -> Result<Vec<PageForm>> {
    let mut forms = Vec::new();
    for (extensions, content_type) in groups {
        let form = store
            .upload_form(&FormSpec {
                key_prefix: key_prefix.to_string(),
                content_type: content_type.clone(),
                max_bytes: spec.max_bytes,
                expires_at: spec.expires_at,
            })
            .await?;
        forms.push(PageForm {
            extensions: extensions.clone(),
            content_type: content_type.clone(),
            form,
        });
    }
    Ok(forms)
}

/// `max_files` numbered keys, each with one PUT link per media type: whichever type a sender's
/// file has, its slot is written once.
async fn put_slots(
    store: &dyn ObjectStore,
    id: &str,
    spec: &RequestSpec,
    prefix: &str,
    groups: &[(Vec<String>, String)],
) -> Result<Vec<PageSlot>> {
    let mut specs = Vec::new();
    for n in 1..=spec.max_files {
        for (_, content_type) in groups {
            specs.push(SlotSpec {
                key: slot_key(prefix, id, n),
                content_type: content_type.clone(),
                expires_at: spec.expires_at,
            });
        }
    }
    let mut links = store.upload_links(&specs).await?.into_iter();
    let mut slots = Vec::new();
    for n in 1..=spec.max_files {
        let mut slot = PageSlot {
            key: slot_key(prefix, id, n),
            links: Vec::new(),
        };
        for (extensions, content_type) in groups {
            let link = links
                .next()
                .ok_or_else(|| Error::config("the store signed fewer links than asked"))?;
            slot.links.push(PageLink {
                extensions: extensions.clone(),
                content_type: content_type.clone(),
                link,
            });
        }
        slots.push(slot);
    }
    Ok(slots)
}

/// Let pages opened from `origin` send `method` requests to the bucket: Ferry's request-page
/// CORS rule widened if no rule allows it yet. A store without CORS policies needs none; keys
/// that may not read or change them are named with the rule to add by hand.
async fn allow_pages(
    store: &dyn ObjectStore,
    origin: &str,
    method: &str,
    headers: &[&str],
) -> Result<()> {
    let unable = |e: Error| {
        if e.kind() == ErrorKind::NotSupported {
            return None;
        }
        Some(Error::new(
            e.kind(),
            format!(
                "students' browsers may not send files to {} until its CORS policy allows {method} from {origin} (headers: {}); Ferry could not set it: {e}. Add that rule in the bucket's settings, or use keys that may change them",
                store.name(),
                if headers.is_empty() {
                    "none".to_string()
                } else {
                    headers.join(", ")
                },
            ),
        ))
    };
    let current = match store.cors().await {
        Ok(rules) => rules,
        Err(e) => return unable(e).map_or(Ok(()), Err),
    };
    if let Some(rules) = with_page_uploads(&current, origin, method, headers)
        && let Err(e) = store.set_cors(&rules).await
    {
        return unable(e).map_or(Ok(()), Err);
    }
    Ok(())
}

/// `n` one-time links, made one after another (each is a request to the API).
async fn slots<F, Fut>(n: u32, mut make: F) -> Result<Vec<OneTimeUpload>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<OneTimeUpload>>,
{
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(make().await?);
    }
    Ok(out)
}

/// Save the page, its folder made if need be.
fn write_page(path: &Path, html: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::from_io(dir, &e))?;
    }
    std::fs::write(path, html).map_err(|e| Error::from_io(path, &e))
}
