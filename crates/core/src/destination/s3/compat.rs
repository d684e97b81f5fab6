//! Small repairs of replies from S3-compatible servers that the AWS SDK is too strict to read.
//!
//! The SDK checks the XML root element of each reply. `rclone serve s3` (gofakes3) answers
//! CreateMultipartUpload with `<InitiateMultipartUpload>` instead of S3's
//! `<InitiateMultipartUploadResult>`; everything inside is the same. This HTTP-layer wrapper
//! renames that root for that one operation and passes everything else through untouched.

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

/// The SDK's default HTTPS client, wrapped with the repairs.
pub fn client() -> SharedHttpClient {
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();
    SharedHttpClient::new(CompatClient { inner })
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

fn is_create_multipart(request: &HttpRequest) -> bool {
    request.method() == "POST"
        && request
            .uri()
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|p| p == "uploads" || p == "uploads="))
}

impl HttpConnector for CompatConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let repair = is_create_multipart(&request);
        let call = self.inner.call(request);
        if !repair {
            return call;
        }
        HttpConnectorFuture::new(async move {
            let response = call.await?;
            if response.status().as_u16() != 200 {
                return Ok(response);
            }
            let (status, headers) = (response.status(), response.headers().clone());
            // The reply to CreateMultipartUpload is a few hundred bytes.
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(ConnectorError::io)?
                .to_bytes();
            let fixed = rename_root(&body);
            let mut repaired =
                aws_smithy_runtime_api::http::Response::new(status, SdkBody::from(fixed));
            *repaired.headers_mut() = headers;
            repaired.headers_mut().remove("content-length");
            Ok(repaired)
        })
    }
}

fn rename_root(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    if text.contains("<InitiateMultipartUploadResult") || !text.contains("<InitiateMultipartUpload")
    {
        return body.to_vec();
    }
    text.replace(
        "<InitiateMultipartUpload>",
        "<InitiateMultipartUploadResult>",
    )
    .replace(
        "<InitiateMultipartUpload ",
        "<InitiateMultipartUploadResult ",
    )
    .replace(
        "</InitiateMultipartUpload>",
        "</InitiateMultipartUploadResult>",
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_wrong_root_is_renamed() {
        let gofakes3 = b"<?xml version=\"1.0\"?>\n<InitiateMultipartUpload><Bucket>b</Bucket><UploadId>u</UploadId></InitiateMultipartUpload>";
        let fixed = String::from_utf8(rename_root(gofakes3)).unwrap();
        assert!(fixed.contains("<InitiateMultipartUploadResult><Bucket>b</Bucket>"));
        assert!(fixed.ends_with("</InitiateMultipartUploadResult>"));
        let aws = b"<InitiateMultipartUploadResult xmlns=\"x\"><UploadId>u</UploadId></InitiateMultipartUploadResult>";
        assert_eq!(rename_root(aws), aws.to_vec());
    }
}
