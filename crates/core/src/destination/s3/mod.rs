//! Amazon S3 and everything that speaks its API: Cloudflare R2, Google Cloud Storage (XML API
//! with HMAC keys), and other S3-compatible stores.
//!
//! The SDK's own retries are off: the scheduler retries, so that `Retry-After` and the job's
//! attempt count are honoured in one place. Bodies stream from disk ([`body::FileRangeBody`]).

mod arrivals;
mod body;
mod bounds;
mod bucket;
mod compat;
pub mod config;
pub(crate) mod errors;
mod etag;
mod post_form;
mod put_link;

use crate::destination::{
    Capabilities, Completion, FileRange, ObjectSpec, ObjectStore, OpenUpload, RemoteObject,
};
use crate::job::ConfirmedPart;
use crate::{Error, ErrorKind, Result};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    StalledStreamProtectionConfig, retry::RetryConfig, timeout::TimeoutConfig,
};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_types::body::SdkBody;
pub use config::{Flavor, S3Config};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Metadata key holding the content's blake3 hash.
const HASH_META: &str = "ferry-blake3";
/// Presigned URLs live at most 7 days (SigV4 limit).
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct S3Destination {
    config: S3Config,
    client: Client,
    /// Set once the bucket is known to exist, so a 404 on HEAD means "no such object" without
    /// asking again.
    bucket_seen: AtomicBool,
}

impl S3Destination {
    pub fn new(config: S3Config) -> Self {
        let credentials = Credentials::new(
            config.access_key_id.clone(),
            config.secret_access_key.expose().to_string(),
            config
                .session_token
                .as_ref()
                .map(|t| t.expose().to_string()),
            None,
            "ferry",
        );
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(config.path_style)
            .http_client(compat::client())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .build(),
            )
            // A connection that stops moving bytes for this long is dead; the part is retried.
            .stalled_stream_protection(
                StalledStreamProtectionConfig::enabled()
                    .grace_period(Duration::from_secs(30))
                    .build(),
            );
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        if config.checksums_when_required() {
            builder = builder
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        }
        S3Destination {
            client: Client::from_conf(builder.build()),
            config,
            bucket_seen: AtomicBool::new(false),
        }
    }

    /// This destination, as its error messages name it.
    fn at(&self) -> errors::Where<'_> {
        errors::Where {
            dest: &self.config.name,
            bucket: &self.config.bucket,
            keys: &self.config.keys_named,
        }
    }

    fn err<E>(
        &self,
        err: aws_sdk_s3::error::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
        what: &str,
    ) -> Error
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        errors::map(err, &self.at(), what)
    }

    async fn body(&self, range: FileRange) -> Result<ByteStream> {
        let path = range.path.clone();
        let body = body::FileRangeBody::open(range)
            .await
            .map_err(|e| Error::from_io(&path, &e))?;
        Ok(ByteStream::new(SdkBody::from_body_1_x(body)))
    }

    /// A HEAD reply has no body, so its errors say less than other replies: a 404 may be a
    /// missing object or a missing bucket, a 403 a refused key or a missing permission. Ask a
    /// question whose reply does carry an S3 error code, only when the answer matters.
    async fn explain_bodiless(&self, key: &str, err: Error) -> Result<RemoteObject> {
        match err.kind() {
            ErrorKind::NotFound if self.bucket_seen.load(Ordering::Relaxed) => {
                Ok(RemoteObject::Absent)
            }
            ErrorKind::NotFound => {
                let bucket = self
                    .client
                    .head_bucket()
                    .bucket(&self.config.bucket)
                    .send()
                    .await;
                match bucket.map_err(|e| self.err(e, "checking the bucket")) {
                    Ok(_) => {
                        self.bucket_seen.store(true, Ordering::Relaxed);
                        Ok(RemoteObject::Absent)
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        Err(errors::from_status(404, "NoSuchBucket", "", &self.at(), ""))
                    }
                    Err(e) => Err(e),
                }
            }
            // A refused HEAD has no body to name the reason (an invalid bucket name, the
            // wrong region, a missing permission); a listing's refusal has one.
            ErrorKind::PermissionDenied | ErrorKind::Protocol => {
                let listing = self
                    .client
                    .list_objects_v2()
                    .bucket(&self.config.bucket)
                    .prefix(key)
                    .max_keys(1)
                    .send()
                    .await;
                match listing {
                    Ok(_) => Err(err),
                    Err(e) => Err(self.err(e, "checking whether the object exists")),
                }
            }
            _ => Err(err),
        }
    }

    fn public_url(&self, key: &str) -> Option<String> {
        self.config
            .public_base_url
            .as_ref()
            .map(|base| format!("{base}/{}", encode_key(key)))
    }
}

/// Percent-encode a key for a URL path, keeping `/` between segments.
pub fn encode_key(key: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    key.split('/')
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[async_trait]
impl ObjectStore for S3Destination {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn target(&self) -> String {
        self.config.target()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            parts: self.config.part_rules(),
            conditional_writes: matches!(self.config.flavor, Flavor::Aws | Flavor::R2),
        }
    }

    async fn head(&self, key: &str) -> Result<RemoteObject> {
        match self
            .client
            .head_object()
            .bucket(&self.config.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                self.bucket_seen.store(true, Ordering::Relaxed);
                Ok(RemoteObject::Present {
                    size: out.content_length().unwrap_or(0).max(0) as u64,
                    hash: out.metadata().and_then(|m| m.get(HASH_META)).cloned(),
                })
            }
            Err(err) => {
                let err = self.err(err, "checking whether the object exists");
                self.explain_bodiless(key, err).await
            }
        }
    }

    async fn put(&self, spec: &ObjectSpec, range: FileRange) -> Result<()> {
        let len = range.len;
        let mut req = self
            .client
            .put_object()
            .bucket(&self.config.bucket)
            .key(&spec.key)
            .content_type(&spec.content_type)
            .set_content_disposition(spec.disposition.clone())
            .content_length(len as i64)
            .metadata(HASH_META, &spec.hash)
            .body(self.body(range).await?);
        if self.capabilities().conditional_writes && !spec.overwrite {
            req = req.if_none_match("*");
        }
        req.send().await.map_err(|e| self.err(e, "uploading"))?;
        Ok(())
    }

    async fn create_multipart(&self, spec: &ObjectSpec) -> Result<String> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(&self.config.bucket)
            .key(&spec.key)
            .content_type(&spec.content_type)
            .set_content_disposition(spec.disposition.clone())
            .metadata(HASH_META, &spec.hash)
            .send()
            .await
            .map_err(|e| self.err(e, "starting a multipart upload"))?;
        out.upload_id().map(str::to_string).ok_or_else(|| {
            Error::protocol(format!(
                "{}: the server started a multipart upload but sent no upload id",
                self.config.name
            ))
        })
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        range: FileRange,
    ) -> Result<String> {
        let len = range.len;
        let what = format!("uploading part {number}");
        let out = self
            .client
            .upload_part()
            .bucket(&self.config.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number as i32)
            .content_length(len as i64)
            .body(self.body(range).await?)
            .send()
            .await
            .map_err(|e| self.err(e, &what))?;
        // Sending a part again replaces it, so a reply without its ETag (a proxy's page) is
        // worth a retry; a server that never sends one fails after the retries, saying so.
        out.e_tag().map(str::to_string).ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                format!(
                    "{}: the server accepted part {number} but sent no ETag",
                    self.config.name
                ),
            )
        })
    }

    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Option<Vec<ConfirmedPart>>> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut req = self
                .client
                .list_parts()
                .bucket(&self.config.bucket)
                .key(key)
                .upload_id(upload_id);
            if let Some(m) = &marker {
                req = req.part_number_marker(m);
            }
            let out = match req.send().await {
                Ok(out) => out,
                Err(e) => {
                    let err = self.err(e, "listing uploaded parts");
                    if matches!(err.kind(), ErrorKind::UploadLost | ErrorKind::NotFound) {
                        return Ok(None);
                    }
                    return Err(err);
                }
            };
            for p in out.parts() {
                // A part listed without its ETag keeps an empty one: the scheduler takes the
                // ETag it recorded for that part, or sends the part again.
                if let Some(n) = p.part_number() {
                    parts.push(ConfirmedPart {
                        number: n as u32,
                        etag: p.e_tag().unwrap_or_default().to_string(),
                        size: p.size().unwrap_or(0).max(0) as u64,
                    });
                }
            }
            match (out.is_truncated(), out.next_part_number_marker()) {
                (Some(true), Some(next)) if marker.as_deref() != Some(next) => {
                    marker = Some(next.to_string())
                }
                _ => break,
            }
        }
        parts.sort_by_key(|p| p.number);
        parts.dedup_by_key(|p| p.number);
        Ok(Some(parts))
    }

    async fn open_uploads(&self, key: &str) -> Result<Vec<OpenUpload>> {
        let mut open = Vec::new();
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let out = self
                .client
                .list_multipart_uploads()
                .bucket(&self.config.bucket)
                .prefix(key)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone())
                .send()
                .await
                .map_err(|e| self.err(e, "listing open multipart uploads"))?;
            for u in out.uploads() {
                if let (Some(k), Some(id)) = (u.key(), u.upload_id())
                    && k == key
                {
                    open.push(OpenUpload {
                        upload_id: id.to_string(),
                        initiated: u.initiated().map(|t| t.secs()),
                    });
                }
            }
            let next = (
                out.next_key_marker().map(str::to_string),
                out.next_upload_id_marker().map(str::to_string),
            );
            if out.is_truncated() != Some(true) || next == (key_marker.clone(), id_marker.clone()) {
                break;
            }
            (key_marker, id_marker) = next;
        }
        Ok(open)
    }

    async fn complete_multipart(
        &self,
        spec: &ObjectSpec,
        upload_id: &str,
        parts: &[ConfirmedPart],
    ) -> Result<Completion> {
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|p| {
                        CompletedPart::builder()
                            .part_number(p.number as i32)
                            .e_tag(&p.etag)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let mut req = self
            .client
            .complete_multipart_upload()
            .bucket(&self.config.bucket)
            .key(&spec.key)
            .upload_id(upload_id)
            .multipart_upload(completed);
        if self.capabilities().conditional_writes && !spec.overwrite {
            req = req.if_none_match("*");
        }
        let out = req
            .send()
            .await
            .map_err(|e| self.err(e, "completing the multipart upload"))?;
        // S3 can answer 200 and still fail, with the error in the body. The SDK surfaces most
        // of those as errors; a reply without the object's ETag is treated as one too.
        if out.e_tag().is_none() && out.key().is_none() {
            return Err(Error::new(
                ErrorKind::Server,
                format!(
                    "{}: the server's reply to completing the upload had no result; will check and retry",
                    self.config.name
                ),
            ));
        }
        Ok(match etag::check(out.e_tag().unwrap_or_default(), parts) {
            etag::EtagCheck::Matches => Completion::Proven,
            etag::EtagCheck::Unknown => Completion::Acknowledged,
            etag::EtagCheck::Mismatch(why) => Completion::Doubtful(why),
        })
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.config.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.err(e, "aborting the multipart upload");
                if matches!(err.kind(), ErrorKind::UploadLost | ErrorKind::NotFound) {
                    Ok(())
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.config.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.err(e, "deleting the object"))?;
        Ok(())
    }

    async fn url(&self, key: &str, expires: Duration) -> Result<String> {
        if let Some(url) = self.public_url(key) {
            return Ok(url);
        }
        if expires > MAX_PRESIGN {
            return Err(Error::input("a presigned link can last at most 7 days"));
        }
        let presign = PresigningConfig::expires_in(expires)
            .map_err(|e| Error::input(format!("invalid link lifetime: {e}")))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(key)
            .presigned(presign)
            .await
            .map_err(|e| self.err(e, "signing a download link"))?;
        Ok(req.uri().to_string())
    }

    fn is_public(&self) -> bool {
        self.config.public_base_url.is_some()
    }

    fn takes_post_forms(&self) -> bool {
        self.config.flavor != Flavor::R2
    }

    async fn list_under(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        self.objects_under(prefix).await
    }

    async fn label_of(&self, key: &str) -> Result<crate::destination::ArrivalLabel> {
        self.object_label(key).await
    }

    async fn upload_form(
        &self,
        spec: &crate::request::FormSpec,
    ) -> Result<crate::request::PostForm> {
        self.post_form(spec).await
    }

    async fn upload_links(
        &self,
        specs: &[crate::request::SlotSpec],
    ) -> Result<Vec<crate::request::PutLink>> {
        self.put_links(specs).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_per_segment() {
        assert_eq!(
            encode_key("course-a/documents/Café (1).pdf"),
            "course-a/documents/Caf%C3%A9%20%281%29.pdf"
        );
        assert_eq!(encode_key("a/b~c_d.e-f"), "a/b~c_d.e-f");
    }
}
