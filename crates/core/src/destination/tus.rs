//! Any tus 1.0 server as a [`VideoStore`] (destination `tus`, see [`crate::provider::tus`]): the
//! same resumable flow as Stream without Cloudflare's chunk rules or processing. An upload is
//! ready as soon as its last byte is in; its URL is the upload URL. Useful for self-hosted tus
//! servers (tusd, @tus/server) and for measuring Ferry's tus client against other clients.

use crate::destination::{FileRange, Processing, VideoSpec, VideoStore, VideoUpload};
use crate::{Error, ErrorKind, Result};
use async_trait::async_trait;
use ferry_tus::{ChunkPolicy, Client, Metadata, TusError};
use reqwest::header::HeaderMap;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

pub struct TusDestination {
    name: String,
    endpoint: Url,
    client: Client,
    chunks: ChunkPolicy,
}

impl TusDestination {
    /// The server these settings name ([`crate::provider::tus`]).
    pub fn new(config: crate::provider::tus::TusConfig) -> Self {
        let mut chunks = ChunkPolicy::ANY;
        if let Some(mib) = config.chunk_mib {
            chunks = chunks.preferring(mib.max(1) * 1024 * 1024);
        }
        TusDestination {
            name: crate::provider::TUS.into(),
            endpoint: config.endpoint,
            client: Client::new(Client::default_http()),
            chunks,
        }
    }
}

/// A tus failure as an engine error: the kind from the one retry rule
/// ([`crate::destination::tus_kind`]), the message naming what was being done.
fn map(err: TusError, what: &str) -> Error {
    let kind = crate::destination::tus_kind(&err);
    let retry_after = match &err {
        TusError::Status { retry_after, .. } => retry_after.map(Duration::from_secs),
        _ => None,
    };
    let detail = match &err {
        TusError::Status { status, body, .. } => {
            let body: String = body.chars().take(300).collect();
            format!("the tus server answered HTTP {status}: {body}")
        }
        other => other.to_string(),
    };
    Error::new(kind, format!("tus: {detail} (while {what})"))
        .with_retry_after(retry_after)
        .with_source(err)
}

fn parse(text: &str) -> Result<Url> {
    Url::parse(text).map_err(|e| Error::protocol(format!("bad upload URL {text:?}: {e}")))
}

#[async_trait]
impl VideoStore for TusDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        format!("tus|{}", self.endpoint)
    }

    fn chunks(&self) -> ChunkPolicy {
        self.chunks
    }

    fn max_size(&self) -> u64 {
        u64::MAX
    }

    fn requires_signed_urls(&self) -> bool {
        false
    }

    fn videos_only(&self) -> bool {
        false
    }

    fn processes(&self) -> bool {
        false
    }

    async fn create(&self, spec: &VideoSpec) -> Result<VideoUpload> {
        let meta = Metadata::new()
            .with("filename", &spec.file_name)
            .with("filetype", &spec.content_type)
            .with("name", &spec.name)
            .with("ferryhash", &spec.hash);
        let created = self
            .client
            .create(&self.endpoint, spec.size, &meta, &HeaderMap::new())
            .await
            .map_err(|e| map(e, "creating the upload"))?;
        let url = created.url.to_string();
        Ok(VideoUpload {
            media_id: url.clone(),
            upload_url: url,
        })
    }

    async fn offset(&self, upload_url: &str) -> Result<Option<u64>> {
        match self.client.status(&parse(upload_url)?).await {
            Ok(s) => Ok(Some(s.offset)),
            Err(TusError::Gone(_)) => Ok(None),
            // A garbled reply stays a protocol error: the scheduler asks again, as it does
            // for any question.
            Err(e) => Err(map(e, "asking for the offset")),
        }
    }

    async fn send(&self, upload_url: &str, offset: u64, body: FileRange) -> Result<u64> {
        self.client
            .patch(&parse(upload_url)?, offset, body.into())
            .await
            .map_err(|e| map(e, &format!("sending bytes {offset}+")))
    }

    async fn abandon(&self, upload: &VideoUpload) -> Result<()> {
        self.client
            .terminate(&parse(&upload.upload_url)?)
            .await
            .map_err(|e| map(e, "terminating the upload"))
    }

    async fn processing(&self, media_id: &str) -> Result<Processing> {
        match self.offset(media_id).await? {
            Some(_) => Ok(Processing::Ready {
                links: BTreeMap::new(),
            }),
            None => Err(Error::new(
                ErrorKind::NotFound,
                "tus: the finished upload is gone",
            )),
        }
    }

    async fn delete(&self, media_id: &str) -> Result<()> {
        self.client
            .terminate(&parse(media_id)?)
            .await
            .map_err(|e| map(e, "deleting the upload"))
    }

    async fn url(&self, media_id: &str, _expires: Duration) -> Result<String> {
        Ok(media_id.to_string())
    }
}
