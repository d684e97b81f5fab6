//! Presigned POST forms (browser uploads with a policy, AWS Signature Version 4): the policy's
//! conditions are what the store enforces for an upload request: the bucket, keys under the
//! request's prefix, a size range, the media type, the sender's name field, and an expiry.
//!
//! The policy document is base64 of `{"expiration", "conditions"}`, signed with the SigV4
//! signing key of its date (AWS: sigv4-HTTPPOSTConstructPolicy, api-facts D.3). Every field the
//! form sends, save the signature, the policy and the file, has a condition, and the file goes
//! last (RESTObjectPOST). R2 takes no POST uploads (api-facts C.5): asked for a form, it says so.

use super::{Flavor, S3Destination};
use crate::request::{FormSpec, PostForm};
use crate::{Error, ErrorKind, Result};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

impl S3Destination {
    /// A form that lets a browser put one file under `spec`'s prefix, within its limits.
    pub(super) async fn post_form(&self, spec: &FormSpec) -> Result<PostForm> {
        if self.config.flavor == Flavor::R2 {
            return Err(Error::new(
                ErrorKind::NotSupported,
                format!(
                    "{} is an R2 bucket, and R2 takes no uploads from a web page with conditions (Cloudflare: presigned POST is not supported); send the request to Stream, Images or an S3 bucket",
                    self.config.name
                ),
            ));
        }
        let url = self.bucket_url().await?;
        let form = sign_form(&url, &self.config, spec, chrono::Utc::now());
        // Tried once before anyone is given it: a store that takes no POST forms, or refuses
        // this one (a wrong clock, keys without the right), is named now, not by a sender.
        let probe = format!("{}.ferry-check-{}", spec.key_prefix, fastrand::u64(..));
        self.try_form(&form, spec, &probe).await?;
        crate::destination::ObjectStore::delete(self, &probe).await?;
        Ok(form)
    }

    /// Post one byte through `form` under `key`, as a sender's browser would; a refusal is
    /// mapped like any of this store's (by its status and S3 error code).
    async fn try_form(&self, form: &PostForm, spec: &FormSpec, key: &str) -> Result<()> {
        let content_type = if spec.content_type.is_empty() {
            "application/octet-stream"
        } else {
            &spec.content_type
        };
        let mut body = reqwest::multipart::Form::new();
        for (name, value) in &form.fields {
            let value = match name.as_str() {
                "key" => key.to_string(),
                "Content-Type" => content_type.to_string(),
                "x-amz-meta-sender" => "Ferry".to_string(),
                _ => value.clone(),
            };
            body = body.text(name.clone(), value);
        }
        let part = reqwest::multipart::Part::bytes(b"x".to_vec())
            .file_name("check")
            .mime_str(content_type)
            .map_err(|e| Error::input(format!("{content_type}: {e}")))?;
        let request = reqwest::Client::new()
            .post(&form.url)
            .multipart(body.part("file", part));
        let Some((status, code, message)) = self.trial(request).await? else {
            return Ok(());
        };
        if status == 501
            || status == 405
            || matches!(code.as_str(), "NotImplemented" | "UnsupportedAlgorithm")
        {
            return Err(Error::new(
                ErrorKind::NotSupported,
                format!(
                    "{} does not take uploads from a web page with conditions (POST policies: HTTP {status} {code}); send the request to an S3 bucket that does (AWS S3, or a store with POST policies), or to Stream or Images",
                    self.config.name
                ),
            ));
        }
        Err(super::errors::from_status(
            status,
            &code,
            &message,
            &self.at(),
            "trying the request's upload form",
        ))
    }

    /// Send a trial upload as a sender's browser would: `None` when the store took it, else its
    /// refusal (status, S3 error code and message from the XML reply).
    pub(super) async fn trial(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<(u16, String, String)>> {
        let reply = request.send().await.map_err(|e| {
            Error::new(ErrorKind::Network, format!("{}: {e}", self.config.name)).with_source(e)
        })?;
        let status = reply.status().as_u16();
        if reply.status().is_success() {
            return Ok(None);
        }
        let text = reply.text().await.unwrap_or_default();
        let tag = |name: &str| {
            text.split(&format!("<{name}>"))
                .nth(1)
                .and_then(|t| t.split(&format!("</{name}>")).next())
                .unwrap_or("")
                .to_string()
        };
        Ok(Some((status, tag("Code"), tag("Message"))))
    }

    /// The bucket's own URL, as the SDK addresses it (path style or virtual host, the region's
    /// endpoint): a presigned request's URL without its key and query.
    async fn bucket_url(&self) -> Result<String> {
        let presign = aws_sdk_s3::presigning::PresigningConfig::expires_in(
            std::time::Duration::from_secs(60),
        )
        .map_err(|e| Error::input(format!("{e}")))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key("k")
            .presigned(presign)
            .await
            .map_err(|e| self.err(e, "finding the bucket's address"))?;
        let uri = req.uri();
        let base = uri.split('?').next().unwrap_or(uri);
        Ok(base.strip_suffix("k").unwrap_or(base).to_string())
    }
}

/// The signed form for `spec` at `now` (pure, so it can be checked field by field).
pub(crate) fn sign_form(
    url: &str,
    config: &super::S3Config,
    spec: &FormSpec,
    now: chrono::DateTime<chrono::Utc>,
) -> PostForm {
    let date = now.format("%Y%m%d").to_string();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        config.access_key_id, config.region
    );
    let expiration = chrono::DateTime::from_timestamp(spec.expires_at, 0)
        .unwrap_or(now)
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string();
    let mut conditions = vec![
        json!({"bucket": config.bucket}),
        json!(["starts-with", "$key", spec.key_prefix]),
        json!(["content-length-range", 1, spec.max_bytes]),
        if spec.content_type.is_empty() {
            json!(["starts-with", "$Content-Type", ""])
        } else {
            json!({"Content-Type": spec.content_type})
        },
        json!(["starts-with", "$x-amz-meta-sender", ""]),
        json!({"success_action_status": "201"}),
        json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        json!({"x-amz-credential": credential}),
        json!({"x-amz-date": amz_date}),
    ];
    let token = config
        .session_token
        .as_ref()
        .map(|t| t.expose().to_string());
    if let Some(t) = &token {
        conditions.push(json!({"x-amz-security-token": t}));
    }
    let policy = json!({"expiration": expiration, "conditions": conditions});
    let policy = base64(policy.to_string().as_bytes());
    let key = signing_key(
        config.secret_access_key.expose(),
        &date,
        &config.region,
        "s3",
    );
    let signature = hex::encode(hmac(&key, policy.as_bytes()));
    // The page fills `key` (prefix, sender, file name), `Content-Type` and the sender's name.
    let mut fields = vec![
        ("key".to_string(), spec.key_prefix.clone()),
        ("Content-Type".to_string(), spec.content_type.clone()),
        ("x-amz-meta-sender".to_string(), String::new()),
        ("success_action_status".to_string(), "201".to_string()),
        (
            "x-amz-algorithm".to_string(),
            "AWS4-HMAC-SHA256".to_string(),
        ),
        ("x-amz-credential".to_string(), credential),
        ("x-amz-date".to_string(), amz_date),
    ];
    if let Some(t) = token {
        fields.push(("x-amz-security-token".to_string(), t));
    }
    fields.push(("policy".to_string(), policy));
    fields.push(("x-amz-signature".to_string(), signature));
    PostForm {
        url: url.to_string(),
        fields,
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// SigV4's signing key: the secret, chained through the date, region, service and terminator.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;

    #[test]
    fn the_signing_key_is_sigv4s() {
        // AWS's worked example ("Examples of how to derive a signing key for Signature
        // Version 4"): this secret, 20120215, us-east-1, iam.
        let k = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(&k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn base64_pads_like_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn every_field_but_the_signature_and_policy_has_a_condition_and_the_limits_are_there() {
        let config = super::super::S3Config {
            name: "s3".into(),
            flavor: Flavor::Aws,
            endpoint: None,
            region: "eu-west-1".into(),
            bucket: "course-media".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("secret"),
            session_token: None,
            path_style: false,
            public_base_url: None,
            keys_named: "test".into(),
        };
        let spec = FormSpec {
            key_prefix: "bio/week-3/".into(),
            content_type: "application/pdf".into(),
            max_bytes: 5_000_000,
            expires_at: 1_800_000_000,
        };
        let now = chrono::DateTime::from_timestamp(1_799_990_000, 0).unwrap();
        let form = sign_form(
            "https://course-media.s3.eu-west-1.amazonaws.com/",
            &config,
            &spec,
            now,
        );
        let field = |k: &str| {
            form.fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(form.fields.last().unwrap().0, "x-amz-signature");
        assert_eq!(field("x-amz-signature").unwrap().len(), 64);
        assert!(!form.fields.iter().any(|(_, v)| v.contains("secret")));
        let policy = field("policy").unwrap();
        let decoded = String::from_utf8(base64_decode(&policy)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(v["expiration"], "2027-01-15T08:00:00.000Z");
        let conditions = v["conditions"].to_string();
        for (name, _) in &form.fields {
            if name != "policy" && name != "x-amz-signature" {
                assert!(
                    conditions.contains(&format!("\"{name}\""))
                        || conditions.contains(&format!("\"${name}\"")),
                    "{name} has no condition: {conditions}"
                );
            }
        }
        assert!(
            conditions.contains("[\"content-length-range\",1,5000000]"),
            "{conditions}"
        );
        assert!(conditions.contains("[\"starts-with\",\"$key\",\"bio/week-3/\"]"));
        assert!(conditions.contains("{\"Content-Type\":\"application/pdf\"}"));
        assert_eq!(
            field("x-amz-credential").unwrap(),
            "AKIDEXAMPLE/20270115/eu-west-1/s3/aws4_request"
        );
    }

    fn base64_decode(text: &str) -> Vec<u8> {
        const TABLE: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = 0u32;
        let mut n = 0;
        let mut out = Vec::new();
        for c in text.bytes().filter(|&c| c != b'=') {
            bits = (bits << 6) | TABLE.iter().position(|&t| t == c).unwrap() as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
            }
        }
        out
    }
}
