//! The tus requests. Each method is one HTTP exchange and returns what the server confirmed;
//! the caller persists it. Headers given with [`Client::with_headers`] (an API token) go only
//! where their [`HeaderScope`] allows: the origin they were given for and, when the caller says
//! so, https hosts under named domains (Cloudflare answers a Stream creation with an upload URL
//! on another of its hosts, which wants the token too). Any other host never sees them.

use crate::body::{FilePiece, FileReadError};
use crate::error::TusError;
use crate::metadata::Metadata;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use std::time::Duration;
use url::Url;

pub const TUS_VERSION: &str = "1.0.0";
const TUS_RESUMABLE: &str = "tus-resumable";
const UPLOAD_OFFSET: &str = "upload-offset";
const UPLOAD_LENGTH: &str = "upload-length";
const OFFSET_STREAM: &str = "application/offset+octet-stream";

/// A new upload.
#[derive(Debug, Clone)]
pub struct Created {
    /// Where the upload lives: always absolute.
    pub url: Url,
    /// The creation reply's headers (Stream's `stream-media-id` is among them).
    pub headers: HeaderMap,
}

/// What HEAD says about an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadStatus {
    pub offset: u64,
    pub length: Option<u64>,
}

/// Where a client's extra headers (credentials) may be sent.
#[derive(Debug, Clone)]
pub struct HeaderScope {
    origin: url::Origin,
    /// Hosts under these domains get the headers over https only.
    https_domains: Vec<String>,
    /// Any loopback host gets them (an emulator standing for the upload host on its own port);
    /// set only when the origin itself is on loopback.
    loopback: bool,
}

impl HeaderScope {
    /// Exactly `url`'s scheme, host and port.
    pub fn origin(url: &Url) -> HeaderScope {
        HeaderScope {
            origin: url.origin(),
            https_domains: Vec::new(),
            loopback: false,
        }
    }

    /// Also https URLs on `domain` or any host under it.
    pub fn and_https_domain(mut self, domain: &str) -> HeaderScope {
        self.https_domains
            .push(domain.trim_matches('.').to_ascii_lowercase());
        self
    }

    /// Also other ports of loopback, when the origin is on loopback (never otherwise).
    pub fn and_loopback_when_local(mut self, origin: &Url) -> HeaderScope {
        self.loopback = is_loopback(origin);
        self
    }

    pub fn covers(&self, url: &Url) -> bool {
        if self.origin == url.origin() {
            return true;
        }
        if self.loopback && is_loopback(url) {
            return true;
        }
        url.scheme() == "https"
            && url.host_str().is_some_and(|host| {
                let host = host.to_ascii_lowercase();
                self.https_domains
                    .iter()
                    .any(|d| host == *d || host.ends_with(&format!(".{d}")))
            })
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    headers: HeaderMap,
    scope: Option<HeaderScope>,
}

impl Client {
    pub fn new(http: reqwest::Client) -> Self {
        Client {
            http,
            headers: HeaderMap::new(),
            scope: None,
        }
    }

    /// An HTTP client with the timeouts a long upload wants: a quick connect, and a read
    /// timeout so that a server that takes a request and never answers does not hang us.
    pub fn default_http() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    }

    /// Send `headers` with every request to `origin`'s scheme, host and port.
    pub fn with_headers(self, headers: HeaderMap, origin: &Url) -> Self {
        self.with_scoped_headers(headers, HeaderScope::origin(origin))
    }

    /// Send `headers` with every request to a URL `scope` covers.
    pub fn with_scoped_headers(mut self, headers: HeaderMap, scope: HeaderScope) -> Self {
        self.headers = headers;
        self.scope = Some(scope);
        self
    }

    fn request(&self, method: Method, url: &Url) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method, url.clone())
            .header(TUS_RESUMABLE, TUS_VERSION);
        if self.scope.as_ref().is_some_and(|s| s.covers(url)) {
            req = req.headers(self.headers.clone());
        }
        req
    }

    /// Create an upload of `length` bytes at `endpoint`. `extra` adds headers (such as
    /// `Upload-Creator`).
    pub async fn create(
        &self,
        endpoint: &Url,
        length: u64,
        metadata: &Metadata,
        extra: &HeaderMap,
    ) -> Result<Created, TusError> {
        let mut req = self
            .request(Method::POST, endpoint)
            .header(UPLOAD_LENGTH, length.to_string())
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .headers(extra.clone());
        if !metadata.is_empty() {
            req = req.header("upload-metadata", metadata.encode());
        }
        let resp = send(req).await?;
        if resp.status() != StatusCode::CREATED {
            return Err(status_error(resp).await);
        }
        let location = header_str(resp.headers(), "location")
            .ok_or_else(|| TusError::Protocol("201 Created without a Location header".into()))?;
        let url = endpoint.join(location).map_err(|e| {
            TusError::Protocol(format!(
                "the Location header ({} characters) is not a URL: {e}",
                location.len()
            ))
        })?;
        Ok(Created {
            url,
            headers: resp.headers().clone(),
        })
    }

    /// Where the upload at `url` stands.
    pub async fn status(&self, url: &Url) -> Result<UploadStatus, TusError> {
        let resp = send(self.request(Method::HEAD, url)).await?;
        match resp.status() {
            // tus says 404, 410 or 403 for an upload the server does not know.
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::FORBIDDEN => {
                return Err(TusError::Gone(resp.status().as_u16()));
            }
            s if s.is_success() => {}
            _ => return Err(status_error(resp).await),
        }
        let offset = number(resp.headers(), UPLOAD_OFFSET)?
            .ok_or_else(|| TusError::Protocol("HEAD reply without Upload-Offset".into()))?;
        let length = number(resp.headers(), UPLOAD_LENGTH)?;
        Ok(UploadStatus { offset, length })
    }

    /// Send `piece` at `offset`; returns the server's new offset.
    pub async fn patch(&self, url: &Url, offset: u64, piece: FilePiece) -> Result<u64, TusError> {
        let len = piece.len;
        let req = self
            .request(Method::PATCH, url)
            .header(UPLOAD_OFFSET, offset.to_string())
            .header(reqwest::header::CONTENT_TYPE, OFFSET_STREAM)
            .header(reqwest::header::CONTENT_LENGTH, len.to_string())
            .body(piece.into_body());
        let resp = send(req).await?;
        match resp.status() {
            StatusCode::CONFLICT => return Err(TusError::OffsetMismatch),
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                return Err(TusError::Gone(resp.status().as_u16()));
            }
            s if s.is_success() => {}
            _ => return Err(status_error(resp).await),
        }
        let new = number(resp.headers(), UPLOAD_OFFSET)?
            .ok_or_else(|| TusError::Protocol("PATCH reply without Upload-Offset".into()))?;
        if new < offset || new > offset + len {
            return Err(TusError::Protocol(format!(
                "PATCH of {len} bytes at {offset} answered with offset {new}"
            )));
        }
        Ok(new)
    }

    /// Terminate the upload (tus `termination` extension). An upload already gone is fine.
    pub async fn terminate(&self, url: &Url) -> Result<(), TusError> {
        let resp = send(self.request(Method::DELETE, url)).await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(()),
            _ => Err(status_error(resp).await),
        }
    }
}

async fn send(req: reqwest::RequestBuilder) -> Result<Response, TusError> {
    req.send().await.map_err(|e| {
        // A failure reading the local file travels inside the body error; name it as such.
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = source {
            if let Some(f) = s.downcast_ref::<FileReadError>() {
                return TusError::File(std::io::Error::new(f.0.kind(), f.0.to_string()));
            }
            source = s.source();
        }
        TusError::Network(describe(&e))
    })
}

fn describe(e: &reqwest::Error) -> String {
    crate::redact::error_text(e)
}

/// How much of an error reply's body is kept for the message.
const ERROR_BODY_CAP: usize = 64 * 1024;

async fn status_error(resp: Response) -> TusError {
    let status = resp.status().as_u16();
    let retry_after = header_str(resp.headers(), "retry-after").and_then(|v| v.trim().parse().ok());
    let body = read_capped(resp, ERROR_BODY_CAP).await;
    let body: String = String::from_utf8_lossy(&body).chars().take(2000).collect();
    TusError::Status {
        status,
        body,
        retry_after,
    }
}

/// At most `cap` bytes of a reply's body (the rest is not read): a broken server's endless reply
/// cannot fill memory.
async fn read_capped(mut resp: Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = cap.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= cap {
            break;
        }
    }
    body
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn number(headers: &HeaderMap, name: &str) -> Result<Option<u64>, TusError> {
    match header_str(headers, name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| TusError::Protocol(format!("{name} {v:?} is not a number"))),
    }
}

/// Build a header map from pairs; panics only on names or values that can never be valid.
pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.insert(k, v);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTP server that records the request head and answers 201 with `location`.
    async fn recorder(location: &'static str) -> (Url, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/files", listener.local_addr().unwrap())).unwrap();
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let mut head = Vec::new();
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = sock.read(&mut buf).await.unwrap();
                head.extend_from_slice(&buf[..n]);
            }
            let reply = format!(
                "HTTP/1.1 201 Created\r\nLocation: {location}\r\nTus-Resumable: 1.0.0\r\nContent-Length: 0\r\n\r\n"
            );
            sock.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&head).to_lowercase()
        });
        (url, task)
    }

    #[tokio::test]
    async fn auth_headers_go_to_their_origin_only() {
        let (url, seen) = recorder("/files/abc").await;
        let client = Client::new(reqwest::Client::new())
            .with_headers(headers(&[("authorization", "Bearer s3cr3t")]), &url);
        let created = client
            .create(&url, 5, &Metadata::new(), &HeaderMap::new())
            .await
            .unwrap();
        assert_eq!(
            created.url.path(),
            "/files/abc",
            "a relative Location is resolved"
        );
        let head = seen.await.unwrap();
        assert!(head.contains("authorization: bearer s3cr3t"), "{head}");
        assert!(head.contains("tus-resumable: 1.0.0"), "{head}");
        assert!(head.contains("upload-length: 5"), "{head}");

        let (other, seen) = recorder("http://127.0.0.1:9/elsewhere").await;
        let stranger = Url::parse("https://api.example.invalid/").unwrap();
        let client = Client::new(reqwest::Client::new())
            .with_headers(headers(&[("authorization", "Bearer s3cr3t")]), &stranger);
        let created = client
            .create(&other, 5, &Metadata::new(), &HeaderMap::new())
            .await
            .unwrap();
        assert_eq!(
            created.url.as_str(),
            "http://127.0.0.1:9/elsewhere",
            "an absolute Location is followed"
        );
        let head = seen.await.unwrap();
        assert!(!head.contains("authorization"), "{head}");
    }

    #[test]
    fn a_scope_covers_its_origin_https_hosts_of_its_domains_and_local_ports_for_local_apis() {
        let api = Url::parse("https://api.cloudflare.com/client/v4/").unwrap();
        let scope = HeaderScope::origin(&api)
            .and_https_domain("cloudflare.com")
            .and_loopback_when_local(&api);
        let yes = [
            "https://api.cloudflare.com/client/v4/accounts/a/stream/x",
            "https://edge-production.gateway.api.cloudflare.com/client/v4/accounts/a/media/u?tusv2=true",
            "https://CLOUDFLARE.com/x",
        ];
        let no = [
            "http://edge-production.gateway.api.cloudflare.com/x",
            "https://cloudflare.com.evil.example/x",
            "https://evilcloudflare.com/x",
            "https://upload.example.com/tus/u",
            "http://127.0.0.1:9000/tus/u",
        ];
        for u in yes {
            assert!(scope.covers(&Url::parse(u).unwrap()), "{u}");
        }
        for u in no {
            assert!(!scope.covers(&Url::parse(u).unwrap()), "{u}");
        }
        let local = Url::parse("http://127.0.0.1:8787/client/v4/").unwrap();
        let scope = HeaderScope::origin(&local).and_loopback_when_local(&local);
        assert!(scope.covers(&Url::parse("http://127.0.0.1:8788/tus/u").unwrap()));
        assert!(!scope.covers(&Url::parse("http://10.0.0.1:8788/tus/u").unwrap()));
    }
}
