//! What arrived in a bucket through an upload request: the objects under its folder
//! (ListObjectsV2, every page) and the sender's name the page stored with each
//! (`x-amz-meta-sender`, percent-encoded by the page so that any name travels as ASCII, or
//! `Content-Disposition`'s `sender*` for PUT links, where no unsigned `x-amz-*` header may go).

use super::S3Destination;
use crate::Result;
use crate::destination::ArrivalLabel;

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

    /// The sender and file names the page stored: `x-amz-meta-sender` (POST forms, the file
    /// name is the key's last segment) or `Content-Disposition` (PUT links, whose keys are
    /// numbered), and the media type the store kept.
    pub(super) async fn object_label(&self, key: &str) -> Result<ArrivalLabel> {
        let out = self
            .client
            .head_object()
            .bucket(&self.config.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.err(e, "reading who sent it"))?;
        let (from_disposition, file_name) = out
            .content_disposition()
            .map(crate::request::from_disposition)
            .unwrap_or_default();
        let sender = out
            .metadata()
            .and_then(|m| m.get("sender"))
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .or(from_disposition)
            .filter(|s| !s.trim().is_empty());
        Ok(ArrivalLabel {
            sender,
            file_name,
            content_type: out.content_type().map(str::to_string),
        })
    }
}
