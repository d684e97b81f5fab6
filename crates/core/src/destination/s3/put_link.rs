//! Presigned PUT links for an upload request's page, where the store takes no POST policies
//! (R2: "POST is not supported", api-facts C.5). Each link writes one fixed key until the
//! request's end (SigV4 query signing, at most 7 days, api-facts D.2), with the file's media
//! type signed (a PUT with another `Content-Type` fails `SignatureDoesNotMatch`) and
//! `If-None-Match: *` signed, so a slot is written once and a file sent cannot be replaced by
//! a second PUT (R2 honours the condition, api-facts C.4: 412 `PreconditionFailed`).
//!
//! What a PUT link cannot bound is the size: S3's signature covers no length range. Ferry
//! removes what arrives over the request's limit (`engine/arrivals.rs`); RELIABILITY.md says
//! what a leaked page allows meanwhile.

use super::S3Destination;
use crate::request::{PutLink, SlotSpec};
use crate::{Error, Result};
use aws_sdk_s3::presigning::PresigningConfig;
use std::time::Duration;

impl S3Destination {
    /// One link per spec, after a link for a check key beside the first was tried (one byte
    /// put and deleted): a store that refuses signed PUTs (a wrong clock, keys without the
    /// right) is named now, not by a sender.
    pub(super) async fn put_links(&self, specs: &[SlotSpec]) -> Result<Vec<PutLink>> {
        let Some(first) = specs.first() else {
            return Ok(Vec::new());
        };
        let folder = first.key.rsplit_once('/').map_or("", |(f, _)| f);
        let probe = SlotSpec {
            key: format!("{folder}/.ferry-check-{}", fastrand::u64(..)),
            ..first.clone()
        };
        let trial = self.sign_put(&probe).await?;
        self.try_link(&trial).await?;
        crate::destination::ObjectStore::delete(self, &probe.key).await?;
        let mut out = Vec::with_capacity(specs.len());
        for spec in specs {
            out.push(self.sign_put(spec).await?);
        }
        Ok(out)
    }

    async fn sign_put(&self, spec: &SlotSpec) -> Result<PutLink> {
        let left = spec.expires_at - chrono::Utc::now().timestamp();
        let lasts = Duration::from_secs(left.max(1) as u64);
        if lasts > super::MAX_PRESIGN {
            return Err(Error::input(
                "an upload link can last at most 7 days (the longest a store honours its signature)",
            ));
        }
        let presign = PresigningConfig::expires_in(lasts)
            .map_err(|e| Error::input(format!("invalid link lifetime: {e}")))?;
        let mut req = self
            .client
            .put_object()
            .bucket(&self.config.bucket)
            .key(&spec.key)
            .if_none_match("*");
        if !spec.content_type.is_empty() {
            req = req.content_type(&spec.content_type);
        }
        let signed = req
            .presigned(presign)
            .await
            .map_err(|e| self.err(e, "signing an upload link"))?;
        let headers = signed
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(PutLink {
            url: signed.uri().to_string(),
            headers,
        })
    }

    /// Put one byte through `link` as a sender's browser would; a refusal is mapped like any of
    /// this store's (by its status and S3 error code).
    async fn try_link(&self, link: &PutLink) -> Result<()> {
        let mut request = reqwest::Client::new().put(&link.url).body(b"x".to_vec());
        for (k, v) in &link.headers {
            request = request.header(k, v);
        }
        match self.trial(request).await? {
            None => Ok(()),
            Some((status, code, message)) => Err(super::errors::from_status(
                status,
                &code,
                &message,
                &self.at(),
                "trying the request's upload link",
            )),
        }
    }
}
