//! R2's own multipart rules, in front of the S3 server that stands for R2 (`rclone serve s3`,
//! which does not enforce them): a small reverse proxy that forwards every request untouched
//! (the `Host` header too, so SigV4 signatures stay valid) and refuses, as R2 does, what a
//! generic S3 server lets through. Sources (api-facts C.4):
//! - part numbers 1 to 10,000, and no part over 5 GiB − 5 MiB
//!   (developers.cloudflare.com/r2/platform/limits/);
//! - every part but the last the same size, at least 5 MiB, the last no larger than the others
//!   (developers.cloudflare.com/r2/objects/multipart-objects/), checked when the upload is
//!   completed; R2 answers `400 InvalidPart` "All non-trailing parts must have the same
//!   length." (seen in github.com/apache/opendal/issues/2904 and
//!   github.com/risingwavelabs/risingwave/issues/21637) and `EntityTooSmall` for a short part.
//!
//! - an object assembled from parts keeps the multipart ETag (the MD5 of the parts' MD5s, then
//!   `-N`) on HEAD and GET, where rclone would answer the MD5 of the whole object
//!   (developers.cloudflare.com/r2/objects/multipart-objects/, api-facts C.4). Kept in memory:
//!   after an emulator restart such objects answer rclone's ETag again.
//!
//! - `If-None-Match: *` on PutObject and CompleteMultipartUpload: 412 `PreconditionFailed` when
//!   the key exists (developers.cloudflare.com/r2/api/s3/extensions/, api-facts C.4); rclone
//!   ignores the condition and would overwrite.
//! - CORS as R2 does it, in [`crate::r2_cors`].
//!
//! Error replies use the S3 XML error shape R2 answers with.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

type Body = BoxBody<Bytes, hyper::Error>;
type Failure = Box<dyn std::error::Error + Send + Sync>;

const MIB: u64 = 1024 * 1024;
/// The smallest part but the last.
pub const MIN_PART: u64 = 5 * MIB;
/// The largest part (5 GiB − 5 MiB).
pub const MAX_PART: u64 = 5 * 1024 * MIB - 5 * MIB;
pub const MAX_PARTS: u32 = 10_000;
/// The largest CompleteMultipartUpload body read (10,000 parts of XML fit easily).
const COMPLETE_BODY_CAP: usize = 4 * MIB as usize;

/// Part sizes seen per upload id, by part number; and the multipart ETag of each object path
/// assembled from parts.
#[derive(Default)]
struct Parts(
    Mutex<HashMap<String, BTreeMap<u32, u64>>>,
    Mutex<HashMap<String, String>>,
);

/// What the rules layer keeps besides the parts: the buckets' CORS rules, where rclone keeps
/// the objects (to answer a condition), the account's key (to check the signature of what is
/// answered here), and the keys being written under a condition.
struct Front {
    parts: Parts,
    cors: crate::r2_cors::Cors,
    root: std::path::PathBuf,
    access_key: String,
    secret_key: String,
    writing: Mutex<std::collections::HashSet<std::path::PathBuf>>,
}

/// Start the rules layer on a free port of 127.0.0.1 in front of `upstream`
/// (`http://127.0.0.1:PORT`, serving the folder `root`); returns its base URL.
pub async fn start(
    upstream: &str,
    root: &std::path::Path,
    access_key: &str,
    secret_key: &str,
) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let upstream: hyper::Uri = upstream
        .parse()
        .map_err(|e| std::io::Error::other(format!("upstream {upstream}: {e}")))?;
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build_http();
    let front = Arc::new(Front {
        parts: Parts::default(),
        cors: Default::default(),
        root: root.to_path_buf(),
        access_key: access_key.to_string(),
        secret_key: secret_key.to_string(),
        writing: Default::default(),
    });
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (client, upstream, front) = (client.clone(), upstream.clone(), front.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    handle(req, client.clone(), upstream.clone(), front.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(format!("http://{addr}"))
}

fn query(target: &str, name: &str) -> Option<String> {
    let q = target.split_once('?')?.1;
    q.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.to_string())
    })
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(
            Full::new(Bytes::from(xml))
                .map_err(|never| match never {})
                .boxed(),
        )
        .unwrap_or_default()
}

/// The payload length of a part: the decoded length of an aws-chunked body, or Content-Length.
fn part_len(headers: &hyper::HeaderMap) -> Option<u64> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    header("x-amz-decoded-content-length").or_else(|| header("content-length"))
}

fn reply(status: StatusCode, headers: Vec<(String, String)>, body: String) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(k, v);
    }
    b.body(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    )
    .unwrap_or_default()
}

/// R2's own answers (CORS, conditions), then the request forwarded and its reply's CORS
/// headers made R2's.
async fn handle(
    req: Request<Incoming>,
    client: Client<HttpConnector, Body>,
    upstream: hyper::Uri,
    front: Arc<Front>,
) -> Result<Response<Body>, Failure> {
    let path = req.uri().path().to_string();
    let bucket = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let origin = req
        .headers()
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let method = req.method().clone();
    if method == hyper::Method::OPTIONS {
        return Ok(match front.cors.preflight(&bucket, req.headers()) {
            Some(headers) => reply(StatusCode::OK, headers, String::new()),
            None => s3_error(
                StatusCode::FORBIDDEN,
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed.",
            ),
        });
    }
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let is_cors = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "cors" || p == "cors="));
    if is_cors {
        return cors_config(req, &front, &bucket).await;
    }
    let conditional = req
        .headers()
        .get("if-none-match")
        .is_some_and(|v| v.as_bytes() == b"*");
    let upload_id = query(&target, "uploadId");
    let writes_object = (method == hyper::Method::PUT && upload_id.is_none())
        || (method == hyper::Method::POST && upload_id.is_some());
    let held = if conditional && writes_object {
        let key = percent_decode(path.trim_start_matches('/'));
        let file = front.root.join(&key);
        let mut writing = front.writing.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_file() || writing.contains(&file) {
            let mut refusal = s3_error(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            );
            // A refusal carries the CORS headers too, so a page can read it.
            front.cors.decorate(
                &bucket,
                origin.as_deref(),
                method.as_str(),
                refusal.headers_mut(),
            );
            return Ok(refusal);
        }
        writing.insert(file.clone());
        Some(file)
    } else {
        None
    };
    let answer = forward(req, client, upstream, &front.parts).await;
    if let Some(file) = held {
        front
            .writing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&file);
    }
    let mut answer = answer?;
    front.cors.decorate(
        &bucket,
        origin.as_deref(),
        method.as_str(),
        answer.headers_mut(),
    );
    Ok(answer)
}

/// `%XX` escapes of a path decoded (keys as rclone stores them).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && text.is_char_boundary(i + 3)
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// PutBucketCors, GetBucketCors and DeleteBucketCors, answered here once the signature holds.
async fn cors_config(
    req: Request<Incoming>,
    front: &Front,
    bucket: &str,
) -> Result<Response<Body>, Failure> {
    let (head, body) = req.into_parts();
    if let Err((code, message)) = crate::sigv4::check(&head, &front.access_key, &front.secret_key) {
        return Ok(s3_error(StatusCode::FORBIDDEN, code, message));
    }
    match head.method {
        hyper::Method::PUT => {
            let bytes = read_capped(body).await?;
            match crate::r2_cors::parse(&String::from_utf8_lossy(&bytes)) {
                Ok(rules) => {
                    front.cors.set(bucket, Some(rules));
                    Ok(reply(StatusCode::OK, vec![], String::new()))
                }
                Err(message) => Ok(s3_error(StatusCode::BAD_REQUEST, "MalformedXML", message)),
            }
        }
        hyper::Method::GET => Ok(match front.cors.get(bucket) {
            Some(rules) => reply(
                StatusCode::OK,
                vec![("content-type".into(), "application/xml".into())],
                crate::r2_cors::to_xml(&rules),
            ),
            None => s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchCORSConfiguration",
                "The CORS configuration does not exist",
            ),
        }),
        hyper::Method::DELETE => {
            front.cors.set(bucket, None);
            Ok(reply(StatusCode::NO_CONTENT, vec![], String::new()))
        }
        _ => Ok(s3_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )),
    }
}

async fn forward(
    req: Request<Incoming>,
    client: Client<HttpConnector, Body>,
    upstream: hyper::Uri,
    parts: &Parts,
) -> Result<Response<Body>, Failure> {
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    let upload_id = query(&target, "uploadId");
    let method = req.method().clone();
    let mut completing = false;
    let (mut head, body) = req.into_parts();
    let body: Body = match (&method, &upload_id) {
        (&hyper::Method::PUT, Some(id)) => {
            let number: Option<u32> = query(&target, "partNumber").and_then(|n| n.parse().ok());
            let Some(number) = number.filter(|n| (1..=MAX_PARTS).contains(n)) else {
                return Ok(s3_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidArgument",
                    "Part number must be an integer between 1 and 10000, inclusive",
                ));
            };
            let len = part_len(&head.headers);
            if let Some(len) = len {
                if len > MAX_PART {
                    return Ok(s3_error(
                        StatusCode::BAD_REQUEST,
                        "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed object size.",
                    ));
                }
                parts
                    .0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(id.clone())
                    .or_default()
                    .insert(number, len);
            }
            body.boxed()
        }
        (&hyper::Method::POST, Some(id)) => {
            let bytes = read_capped(body).await?;
            if let Some(refusal) = check_complete(parts, id, &bytes) {
                return Ok(refusal);
            }
            completing = true;
            Full::new(bytes).map_err(|never| match never {}).boxed()
        }
        (&hyper::Method::DELETE, Some(id)) => {
            parts.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
            body.boxed()
        }
        _ => body.boxed(),
    };
    head.uri = format!(
        "http://{}{target}",
        upstream.authority().ok_or("upstream without authority")?
    )
    .parse()?;
    let path = target.split('?').next().unwrap_or_default().to_string();
    let resp = client.request(Request::from_parts(head, body)).await?;
    let ok = resp.status().is_success();
    if completing && ok {
        if let Some(id) = &upload_id {
            parts.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        }
        // The reply names the assembled object's ETag: keep it for HEAD and GET.
        let (head, body) = resp.into_parts();
        let bytes = body.collect().await?.to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        if let Some(etag) = text
            .split("<ETag>")
            .nth(1)
            .and_then(|r| r.split("</ETag>").next())
        {
            let etag = etag.replace("&#34;", "\"").replace("&quot;", "\"");
            multipart_etags(parts).insert(path, etag);
        }
        return Ok(Response::from_parts(
            head,
            Full::new(bytes).map_err(|never| match never {}).boxed(),
        ));
    }
    let simple_write =
        upload_id.is_none() && (method == hyper::Method::PUT || method == hyper::Method::DELETE);
    if ok && simple_write {
        multipart_etags(parts).remove(&path);
    }
    let mut resp = resp.map(BodyExt::boxed);
    if ok
        && (method == hyper::Method::HEAD || method == hyper::Method::GET)
        && let Some(etag) = multipart_etags(parts).get(&path)
        && let Ok(v) = hyper::header::HeaderValue::from_str(etag)
    {
        resp.headers_mut().insert(hyper::header::ETAG, v);
    }
    Ok(resp)
}

fn multipart_etags(parts: &Parts) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
    parts.1.lock().unwrap_or_else(|e| e.into_inner())
}

async fn read_capped(body: Incoming) -> Result<Bytes, Failure> {
    let mut body = body;
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            out.extend_from_slice(data);
            if out.len() > COMPLETE_BODY_CAP {
                return Err("CompleteMultipartUpload body too large".into());
            }
        }
    }
    Ok(Bytes::from(out))
}

/// The part numbers a CompleteMultipartUpload body lists, in order.
fn listed_parts(xml: &str) -> Vec<u32> {
    xml.split("<PartNumber>")
        .skip(1)
        .filter_map(|rest| rest.split("</PartNumber>").next()?.trim().parse().ok())
        .collect()
}

/// R2's refusal of a completion, if its parts break R2's size rules.
fn check_complete(parts: &Parts, id: &str, body: &[u8]) -> Option<Response<Body>> {
    let listed = listed_parts(&String::from_utf8_lossy(body));
    let known = parts.0.lock().unwrap_or_else(|e| e.into_inner());
    let sizes: Vec<u64> = listed
        .iter()
        .map(|n| known.get(id).and_then(|p| p.get(n)).copied())
        .collect::<Option<Vec<_>>>()?;
    let (last, rest) = sizes.split_last()?;
    let Some(first) = rest.first() else {
        return None; // one part: any size
    };
    if rest.iter().any(|s| s != first) || last > first {
        return Some(s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidPart",
            "All non-trailing parts must have the same length.",
        ));
    }
    if *first < MIN_PART {
        return Some(s3_error(
            StatusCode::BAD_REQUEST,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed object size.",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(sizes: &[u64]) -> Parts {
        let parts = Parts::default();
        let map = sizes
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32 + 1, *s))
            .collect();
        parts.0.lock().unwrap().insert("u".into(), map);
        parts
    }

    fn complete(n: usize) -> Vec<u8> {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for i in 1..=n {
            xml.push_str(&format!(
                "<Part><PartNumber>{i}</PartNumber><ETag>\"x\"</ETag></Part>"
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        xml.into_bytes()
    }

    #[test]
    fn r2s_part_rules() {
        let ok = [
            vec![MIN_PART, MIN_PART, 10],
            vec![8 * MIB, 8 * MIB, 8 * MIB],
            vec![3],
        ];
        for sizes in ok {
            assert!(
                check_complete(&with(&sizes), "u", &complete(sizes.len())).is_none(),
                "{sizes:?}"
            );
        }
        let refused = [
            vec![6 * MIB, 5 * MIB, 1],
            vec![MIN_PART, MIN_PART, MIN_PART + 1],
            vec![MIB, MIB, 10],
        ];
        for sizes in refused {
            let r = check_complete(&with(&sizes), "u", &complete(sizes.len()));
            assert_eq!(
                r.map(|r| r.status()),
                Some(StatusCode::BAD_REQUEST),
                "{sizes:?}"
            );
        }
    }
}
