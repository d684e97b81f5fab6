//! [`BucketSettings`] over the S3 API: HeadBucket (explained with a listing when its bodiless
//! reply says too little), a put+delete probe, Get/PutBucketCors and
//! Get/PutBucketLifecycleConfiguration. Lifecycle rules are merged as SDK values so that rules
//! Ferry does not understand (transitions, tags…) are written back unchanged.

use super::S3Destination;
use crate::destination::bucket::{BucketSettings, CorsRule, FERRY_RULE_ID, Lifecycle};
use crate::{Error, ErrorKind, Result};
use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, CorsConfiguration,
    ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
};

/// Id of Ferry's lifecycle rule.
fn lifecycle_rule_id() -> String {
    format!("{FERRY_RULE_ID}-abort-incomplete-uploads")
}

/// Whether an SDK error carries this S3 error code (e.g. "no configuration yet").
fn has_code<E: ProvideErrorMetadata, R>(
    err: &aws_sdk_s3::error::SdkError<E, R>,
    codes: &[&str],
) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|c| codes.contains(&c))
}

impl S3Destination {
    fn built<T>(
        &self,
        r: std::result::Result<T, aws_sdk_s3::error::BuildError>,
        what: &str,
    ) -> Result<T> {
        r.map_err(|e| Error::input(format!("{}: {what}: {e}", self.config.name)))
    }

    async fn lifecycle_rules(&self) -> Result<Vec<LifecycleRule>> {
        match self
            .client
            .get_bucket_lifecycle_configuration()
            .bucket(&self.config.bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out.rules().to_vec()),
            Err(e) if has_code(&e, &["NoSuchLifecycleConfiguration"]) => Ok(Vec::new()),
            Err(e) => Err(self.err(e, "reading the bucket's lifecycle rules")),
        }
    }
}

#[async_trait]
impl BucketSettings for S3Destination {
    async fn check_bucket(&self) -> Result<()> {
        let head = self
            .client
            .head_bucket()
            .bucket(&self.config.bucket)
            .send()
            .await;
        let Err(head_err) = head else {
            return Ok(());
        };
        let head_err = self.err(head_err, "checking the bucket");
        // HEAD replies carry no error code; a listing's reply does (wrong key, clock skew…).
        let listing = self
            .client
            .list_objects_v2()
            .bucket(&self.config.bucket)
            .max_keys(1)
            .send()
            .await;
        match listing {
            Ok(_) => Err(head_err),
            Err(e) => {
                let listed = self.err(e, "checking the bucket");
                // A key allowed to write but not to list says "access denied" on both; the
                // HEAD's message is then the more honest one.
                if listed.kind() == ErrorKind::PermissionDenied
                    && head_err.kind() != ErrorKind::PermissionDenied
                {
                    Err(head_err)
                } else {
                    Err(listed)
                }
            }
        }
    }

    async fn probe_write(&self) -> Result<()> {
        let key = format!("ferry-check/probe-{:016x}.txt", fastrand::u64(..));
        self.client
            .put_object()
            .bucket(&self.config.bucket)
            .key(&key)
            .content_type("text/plain")
            .body(ByteStream::from_static(
                b"ferry write probe; safe to delete\n",
            ))
            .send()
            .await
            .map_err(|e| self.err(e, "writing a probe object"))?;
        self.client
            .delete_object()
            .bucket(&self.config.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| {
                self.err(e, "deleting the probe object").context(format!(
                    "the probe object {key} was written but could not be deleted"
                ))
            })?;
        Ok(())
    }

    async fn cors(&self) -> Result<Vec<CorsRule>> {
        let out = match self
            .client
            .get_bucket_cors()
            .bucket(&self.config.bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if has_code(&e, &["NoSuchCORSConfiguration"]) => return Ok(Vec::new()),
            Err(e) => return Err(self.err(e, "reading the bucket's CORS policy")),
        };
        Ok(out
            .cors_rules()
            .iter()
            .map(|r| CorsRule {
                id: r.id().map(String::from),
                allowed_origins: r.allowed_origins().to_vec(),
                allowed_methods: r.allowed_methods().to_vec(),
                allowed_headers: r.allowed_headers().to_vec(),
                expose_headers: r.expose_headers().to_vec(),
                max_age_seconds: r.max_age_seconds(),
            })
            .collect())
    }

    async fn set_cors(&self, rules: &[CorsRule]) -> Result<()> {
        let mut sdk_rules = Vec::new();
        for r in rules {
            let rule = aws_sdk_s3::types::CorsRule::builder()
                .set_id(r.id.clone())
                .set_allowed_origins(Some(r.allowed_origins.clone()))
                .set_allowed_methods(Some(r.allowed_methods.clone()))
                .set_allowed_headers(Some(r.allowed_headers.clone()))
                .set_expose_headers(Some(r.expose_headers.clone()))
                .set_max_age_seconds(r.max_age_seconds)
                .build();
            sdk_rules.push(self.built(rule, "a CORS rule")?);
        }
        let config = CorsConfiguration::builder()
            .set_cors_rules(Some(sdk_rules))
            .build();
        let config = self.built(config, "the CORS policy")?;
        self.client
            .put_bucket_cors()
            .bucket(&self.config.bucket)
            .cors_configuration(config)
            .send()
            .await
            .map_err(|e| self.err(e, "writing the bucket's CORS policy"))?;
        Ok(())
    }

    async fn lifecycle(&self) -> Result<Lifecycle> {
        let rules = self.lifecycle_rules().await?;
        let ours = lifecycle_rule_id();
        let abort_incomplete_days = rules
            .iter()
            .find(|r| r.id() == Some(ours.as_str()))
            .filter(|r| r.status() == &ExpirationStatus::Enabled)
            .and_then(|r| r.abort_incomplete_multipart_upload())
            .and_then(|a| a.days_after_initiation());
        let other_rules = rules
            .iter()
            .filter(|r| r.id() != Some(ours.as_str()))
            .map(|r| r.id().unwrap_or("unnamed").to_string())
            .collect();
        Ok(Lifecycle {
            abort_incomplete_days,
            other_rules,
        })
    }

    async fn set_abort_incomplete(&self, days: i32) -> Result<()> {
        if days < 1 {
            return Err(Error::input(
                "incomplete uploads can be aborted after 1 day at the earliest",
            ));
        }
        let ours = lifecycle_rule_id();
        let mut rules: Vec<LifecycleRule> = self
            .lifecycle_rules()
            .await?
            .into_iter()
            .filter(|r| r.id() != Some(ours.as_str()))
            .collect();
        let rule = LifecycleRule::builder()
            .id(&ours)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(days)
                    .build(),
            )
            .build();
        rules.push(self.built(rule, "the lifecycle rule")?);
        let config = BucketLifecycleConfiguration::builder()
            .set_rules(Some(rules))
            .build();
        let config = self.built(config, "the lifecycle rules")?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(&self.config.bucket)
            .lifecycle_configuration(config)
            .send()
            .await
            .map_err(|e| self.err(e, "writing the bucket's lifecycle rules"))?;
        Ok(())
    }
}
