//! AWS Signature Version 4, checked for the few R2 requests the emulator answers itself rather
//! than forwarding to rclone (a bucket's CORS policy): the `Authorization` header's signature
//! recomputed from the request (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
//! A request without one, with another key, or whose signature differs is refused as R2 would
//! (403 `SignatureDoesNotMatch` / `InvalidAccessKeyId`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Why a request is not signed by the account's key: an S3 error code and its message.
pub type Refusal = (&'static str, &'static str);

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Check `head`'s header signature against `access_key`/`secret_key`.
pub fn check(
    head: &hyper::http::request::Parts,
    access_key: &str,
    secret_key: &str,
) -> Result<(), Refusal> {
    const DENIED: Refusal = (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    );
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    let auth = header("authorization").ok_or(("AccessDenied", "Access Denied"))?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or(DENIED)?;
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    };
    let credential = field("Credential").ok_or(DENIED)?;
    let signed_headers = field("SignedHeaders").ok_or(DENIED)?;
    let signature = field("Signature").ok_or(DENIED)?;
    let (key, scope) = credential.split_once('/').ok_or(DENIED)?;
    if key != access_key {
        return Err((
            "InvalidAccessKeyId",
            "The Access Key Id you provided does not exist in our records.",
        ));
    }
    let parts: Vec<&str> = scope.split('/').collect();
    let [date, region, service, "aws4_request"] = parts[..] else {
        return Err(DENIED);
    };
    let amz_date = header("x-amz-date").ok_or(DENIED)?;
    let payload = header("x-amz-content-sha256").unwrap_or("UNSIGNED-PAYLOAD");
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let value = if name == "host" {
            head.uri
                .authority()
                .map(|a| a.as_str())
                .or(header("host"))
                .unwrap_or("")
        } else {
            header(name).unwrap_or("")
        };
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let mut query: Vec<String> = head
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => format!("{k}={v}"),
            None => format!("{p}="),
        })
        .collect();
    query.sort();
    let canonical = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{payload}",
        head.method,
        head.uri.path(),
        query.join("&"),
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{secret_key}").as_bytes(), date.as_bytes());
    for part in [region, service, "aws4_request"] {
        k = hmac(&k, part.as_bytes());
    }
    if hex::encode(hmac(&k, to_sign.as_bytes())) == signature {
        Ok(())
    } else {
        Err(DENIED)
    }
}
