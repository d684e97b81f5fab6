//! Every S3 request is bounded, whatever the server does: it must be answered within a deadline
//! (a request carrying a body gets more time the bigger the body, at a floor rate far below any
//! real link, so only a server that stopped answering trips it), and a reply's body is read up to
//! a cap (the largest reply Ferry asks for, a ListParts page, is well under it). The SDK's own
//! timeouts cover connecting and stalled streams; this covers the rest: a server that takes the
//! request and never answers, or answers without end.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use std::time::Duration;

/// Time for a request without a body (HEAD, ListParts, Complete…) to be answered.
const ANSWER: Duration = Duration::from_secs(120);
/// Slowest rate a body is allowed before its request is given up (then retried).
const FLOOR_BYTES_PER_SEC: u64 = 8 * 1024;
/// The largest reply body read (a ListParts page of 1,000 parts is about 200 KB).
pub const REPLY_CAP: usize = 16 << 20;

/// `inner`, with every request bounded.
pub fn wrap(inner: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Bounded { inner })
}

/// The deadline of a request with a body of `len` bytes.
pub fn deadline(len: u64) -> Duration {
    ANSWER + Duration::from_secs(len / FLOOR_BYTES_PER_SEC)
}

#[derive(Debug)]
struct Bounded {
    inner: SharedHttpClient,
}

impl HttpClient for Bounded {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BoundedConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct BoundedConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for BoundedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let len = request
            .headers()
            .get("content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let limit = deadline(len);
        let call = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let response = tokio::time::timeout(limit, call).await.map_err(|_| {
                ConnectorError::timeout(format!("no answer within {} s", limit.as_secs()).into())
            })??;
            let (status, headers) = (response.status(), response.headers().clone());
            let body = http_body_util::Limited::new(response.into_body(), REPLY_CAP);
            let mut capped =
                aws_smithy_runtime_api::http::Response::new(status, SdkBody::from_body_1_x(body));
            *capped.headers_mut() = headers;
            Ok(capped)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bigger_body_gets_more_time_at_a_floor_rate() {
        assert_eq!(super::deadline(0).as_secs(), 120);
        // A 16 MiB part may take 34 minutes more: 8 KiB/s, far below any real link.
        assert_eq!(super::deadline(16 << 20).as_secs(), 120 + 2048);
    }
}
