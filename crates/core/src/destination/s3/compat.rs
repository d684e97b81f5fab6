//! Small repairs of replies from S3-compatible servers that the AWS SDK is too strict to read.
//!
//! The SDK checks the XML root element of each reply, and some servers name it differently
//! while everything inside is the same. This HTTP-layer wrapper renames the root of the replies
//! listed in [`ROOT_FIXES`] and passes everything else through untouched.

use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;

/// Which request a fix applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    /// `POST ?uploads`
    CreateMultipartUpload,
    /// `GET ?uploadId=…`
    ListParts,
}

/// (operation, root element some servers send, root element S3 sends).
const ROOT_FIXES: &[(Operation, &str, &str)] = &[
    // rclone serve s3 (gofakes3)
    (
        Operation::CreateMultipartUpload,
        "InitiateMultipartUpload",
        "InitiateMultipartUploadResult",
    ),
    // moto
    (Operation::ListParts, "ListPartsResponse", "ListPartsResult"),
];

/// The SDK's default HTTPS client, bounded ([`super::bounds`]) and wrapped with the repairs.
pub fn client() -> SharedHttpClient {
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();
    SharedHttpClient::new(CompatClient {
        inner: super::bounds::wrap(inner),
    })
}

#[derive(Debug)]
struct CompatClient {
    inner: SharedHttpClient,
}

impl HttpClient for CompatClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CompatConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct CompatConnector {
    inner: SharedHttpConnector,
}

fn operation(request: &HttpRequest) -> Option<Operation> {
    let query = request.uri().split_once('?')?.1;
    let has = |name: &str| {
        query.split('&').any(|p| {
            p == name
                || p.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('='))
        })
    };
    match request.method() {
        "POST" if has("uploads") => Some(Operation::CreateMultipartUpload),
        "GET" if has("uploadId") => Some(Operation::ListParts),
        _ => None,
    }
}

impl HttpConnector for CompatConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let fixes: Vec<(&'static str, &'static str)> = match operation(&request) {
            Some(op) => ROOT_FIXES
                .iter()
                .filter(|(o, _, _)| *o == op)
                .map(|(_, w, r)| (*w, *r))
                .collect(),
            None => Vec::new(),
        };
        let call = self.inner.call(request);
        if fixes.is_empty() {
            return call;
        }
        HttpConnectorFuture::new(async move {
            let response = call.await?;
            if response.status().as_u16() != 200 {
                return Ok(response);
            }
            let (status, headers) = (response.status(), response.headers().clone());
            // These replies are small (ListParts: at most 1,000 parts, about 200 KB).
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(ConnectorError::io)?
                .to_bytes();
            let fixed = fixes.iter().fold(body.to_vec(), |b, (wrong, right)| {
                rename_root(&b, wrong, right)
            });
            let mut repaired =
                aws_smithy_runtime_api::http::Response::new(status, SdkBody::from(fixed));
            *repaired.headers_mut() = headers;
            repaired.headers_mut().remove("content-length");
            Ok(repaired)
        })
    }
}

fn rename_root(body: &[u8], wrong: &str, right: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    if text.contains(&format!("<{right}")) || !text.contains(&format!("<{wrong}")) {
        return body.to_vec();
    }
    text.replacen(&format!("<{wrong}>"), &format!("<{right}>"), 1)
        .replacen(&format!("<{wrong} "), &format!("<{right} "), 1)
        .replacen(&format!("</{wrong}>"), &format!("</{right}>"), 1)
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_wrong_root_is_renamed() {
        let (wrong, right) = ("InitiateMultipartUpload", "InitiateMultipartUploadResult");
        let gofakes3 = b"<?xml version=\"1.0\"?>\n<InitiateMultipartUpload><Bucket>b</Bucket><UploadId>u</UploadId></InitiateMultipartUpload>";
        let fixed = String::from_utf8(rename_root(gofakes3, wrong, right)).unwrap();
        assert!(fixed.contains("<InitiateMultipartUploadResult><Bucket>b</Bucket>"));
        assert!(fixed.ends_with("</InitiateMultipartUploadResult>"));
        let aws = b"<InitiateMultipartUploadResult xmlns=\"x\"><UploadId>u</UploadId></InitiateMultipartUploadResult>";
        assert_eq!(rename_root(aws, wrong, right), aws.to_vec());
        let moto = b"<ListPartsResponse xmlns=\"x\"><Part><PartNumber>1</PartNumber></Part></ListPartsResponse>";
        let fixed =
            String::from_utf8(rename_root(moto, "ListPartsResponse", "ListPartsResult")).unwrap();
        assert_eq!(
            fixed,
            "<ListPartsResult xmlns=\"x\"><Part><PartNumber>1</PartNumber></Part></ListPartsResult>"
        );
    }
}
