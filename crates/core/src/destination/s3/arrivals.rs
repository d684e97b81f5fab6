//! What arrived in a bucket through an upload request: the objects under its folder
//! (ListObjectsV2, every page) and the sender's name the page stored with each
//! (`x-amz-meta-sender`, percent-encoded by the page so that any name travels as ASCII).

use super::S3Destination;
use crate::Result;

impl S3Destination {
    pub(super) async fn objects_under(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.config.bucket)
                .prefix(prefix)
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| self.err(e, "listing what arrived"))?;
            for o in page.contents() {
                if let Some(key) = o.key() {
                    out.push((key.to_string(), o.size().unwrap_or(0).max(0) as u64));
                }
            }
            match page.next_continuation_token() {
                Some(next)
                    if page.is_truncated() == Some(true) && token.as_deref() != Some(next) =>
                {
                    token = Some(next.to_string())
                }
                _ => return Ok(out),
            }
        }
    }

    pub(super) async fn object_sender(&self, key: &str) -> Result<Option<String>> {
        let out = self
            .client
            .head_object()
            .bucket(&self.config.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.err(e, "reading who sent it"))?;
        Ok(out
            .metadata()
            .and_then(|m| m.get("sender"))
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .filter(|s| !s.trim().is_empty()))
    }
}
