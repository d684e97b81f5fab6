//! An HTTP proxy between Ferry and a local server: it records every request (so a test can
//! prove what was, and was not, sent) and injects faults by rule: error statuses with
//! `Retry-After`, stalls, dropped connections, and malformed or misleading replies.
//!
//! The `Host` header is passed through untouched, so SigV4 signatures stay valid.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// The status sent back (0 when the connection was dropped or stalled).
    pub status: u16,
}

impl Seen {
    /// The `partNumber` of an UploadPart request.
    pub fn part_number(&self) -> Option<u32> {
        part_number(&self.method, &self.target)
    }
}

/// The `partNumber` of an UploadPart request (`PUT …?partNumber=N&uploadId=…`).
pub fn part_number(method: &str, target: &str) -> Option<u32> {
    if method != "PUT" {
        return None;
    }
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("partNumber="))
        .and_then(|n| n.parse().ok())
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status (and `Retry-After`, if given) without asking the server.
    Status {
        code: u16,
        retry_after: Option<u32>,
        body: String,
    },
    /// Forward to the server, then replace its reply with a 200 carrying this body.
    ReplaceBody(String),
    /// Hold the request until [`Proxy::release`] (then forward it) or until the client dies.
    Hold,
    /// Drop the connection without a reply.
    Drop,
}

pub type Matcher = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

struct Rule {
    matcher: Matcher,
    fault: Fault,
    remaining: Option<usize>,
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    rules: Mutex<Vec<Rule>>,
    released: std::sync::atomic::AtomicBool,
    release: tokio::sync::Notify,
}

pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Start a proxy to `upstream` (`http://127.0.0.1:PORT`) on a free port.
    pub async fn start(upstream: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let state = Arc::new(State::default());
        let upstream: hyper::Uri = upstream.parse().expect("upstream uri");
        let client: Client<HttpConnector, Incoming> =
            Client::builder(TokioExecutor::new()).build_http();
        let task_state = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let state = task_state.clone();
                let client = client.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        handle(req, state.clone(), client.clone(), upstream.clone())
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Inject `fault` for requests matching `matcher(method, path_and_query)`, `times` times
    /// (`None`: until cleared).
    pub fn inject(
        &self,
        matcher: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
        fault: Fault,
        times: Option<usize>,
    ) {
        self.state.rules.lock().unwrap().push(Rule {
            matcher: Box::new(matcher),
            fault,
            remaining: times,
        });
    }

    /// Let held requests through (to the server) and hold no more.
    pub fn release(&self) {
        self.state
            .released
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.state.release.notify_waiters();
    }

    pub fn clear_faults(&self) {
        self.state.rules.lock().unwrap().clear();
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Wait (at most a minute) until the requests seen satisfy `done`; panic with the log if not.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Seen]) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let seen = self.seen();
            if done(&seen) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what} never happened: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait until a request is being held by a [`Fault::Hold`].
    pub async fn wait_for_hold(&self) {
        self.wait_for("a held request", |seen| seen.iter().any(|s| s.status == 0))
            .await;
    }

    pub fn reset_log(&self) {
        self.state.seen.lock().unwrap().clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed()
}

fn take_fault(state: &State, method: &str, target: &str) -> Option<Fault> {
    let mut rules = state.rules.lock().unwrap();
    for rule in rules.iter_mut() {
        if rule.remaining != Some(0) && (rule.matcher)(method, target) {
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            return Some(rule.fault.clone());
        }
    }
    None
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
    client: Client<HttpConnector, Incoming>,
    upstream: hyper::Uri,
) -> Result<Response<Body>, Box<dyn std::error::Error + Send + Sync>> {
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    let fault = take_fault(&state, &method, &target);
    let record = |status: u16| {
        state.seen.lock().unwrap().push(Seen {
            method: method.clone(),
            target: target.clone(),
            status,
        })
    };
    match fault {
        Some(Fault::Status {
            code,
            retry_after,
            body,
        }) => {
            record(code);
            let mut resp = Response::builder()
                .status(code)
                .header("content-type", "application/xml");
            if let Some(secs) = retry_after {
                resp = resp.header("retry-after", secs.to_string());
            }
            return Ok(resp.body(full(body))?);
        }
        Some(Fault::Hold) => {
            record(0);
            let released = state.release.notified();
            if !state.released.load(std::sync::atomic::Ordering::SeqCst) {
                tokio::select! {
                    _ = released => {}
                    _ = tokio::time::sleep(Duration::from_secs(600)) => return Err("held too long".into()),
                }
            }
        }
        Some(Fault::Drop) => {
            record(0);
            return Err("dropped by the proxy".into());
        }
        Some(Fault::ReplaceBody(_)) | None => {}
    }
    let record = |status: u16| {
        state.seen.lock().unwrap().push(Seen {
            method: method.clone(),
            target: target.clone(),
            status,
        })
    };
    let (mut parts, body) = req.into_parts();
    let uri = format!(
        "http://{}{}",
        upstream.authority().expect("upstream authority"),
        target
    );
    parts.uri = uri.parse()?;
    let upstream_resp = client.request(Request::from_parts(parts, body)).await?;
    let status = upstream_resp.status().as_u16();
    record(status);
    if let Some(Fault::ReplaceBody(text)) = fault {
        let _ = upstream_resp.into_body().collect().await;
        return Ok(Response::builder()
            .status(200)
            .header("content-type", "application/xml")
            .body(full(text))?);
    }
    let (parts, body) = upstream_resp.into_parts();
    Ok(Response::from_parts(
        parts,
        body.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
            .boxed(),
    ))
}
