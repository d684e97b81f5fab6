//! Upload requests from the engine: make one (its credentials from the landing's service, its
//! page saved where the teacher said), list, read, close (the page removed).
//!
//! An object store tries its form before handing it out (one byte posted and deleted, see
//! `destination/s3/post_form.rs`), so a store that takes no POST policies, or refuses this one,
//! is named at once instead of by a sender's failed upload.

use super::Engine;
use crate::destination::{Destination, FileRange, ObjectSpec};
use crate::request::page::{PageData, PageForm, render};
use crate::request::{
    FormSpec, Landing, OneTimeSpec, OneTimeUpload, RequestSpec, UploadRequest, new_id, page_key,
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
                let types = spec.content_types();
                let groups: Vec<(Vec<String>, String)> = if types.is_empty() {
                    vec![(Vec::new(), String::new())]
                } else {
                    let mut groups: Vec<(Vec<String>, String)> = Vec::new();
                    for (ext, ct) in types {
                        match groups.iter_mut().find(|(_, c)| *c == ct) {
                            Some((exts, _)) => exts.push(ext),
                            None => groups.push((vec![ext], ct)),
                        }
                    }
                    groups
                };
                for (extensions, content_type) in groups {
                    let form = store
                        .upload_form(&FormSpec {
                            key_prefix: data.key_prefix.clone(),
                            content_type: content_type.clone(),
                            max_bytes: spec.max_bytes,
                            expires_at: spec.expires_at,
                        })
                        .await?;
                    data.forms.push(PageForm {
                        extensions,
                        content_type,
                        form,
                    });
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
