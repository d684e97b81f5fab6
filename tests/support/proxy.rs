//! An HTTP proxy between Ferry and a local server: it records every request (so a test can
//! prove what was, and was not, sent) and injects faults by rule: error statuses with
//! `Retry-After`, holds and stalls, slow links, connections cut mid-request or mid-reply,
//! replies lost after the server acted, and malformed or misleading replies. A seeded
//! [`Proxy::chaos`] mode picks faults at random and counts them by kind.
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
    /// Read this many bytes of the request body, then cut the connection (a reset mid-body).
    CutRequest(usize),
    /// Let the server act, then cut the connection without a reply (the reply is lost).
    LoseReply,
    /// Let the server act, then send the reply's head and half its body and cut the connection
    /// (a truncated reply). A reply with no body is lost whole.
    CutReply,
    /// Wait this long before passing the request on.
    Stall(Duration),
    /// Pass the request body on at this many bytes a second.
    Slow(u64),
}

/// A fault the chaos mode may pick, with its name (for the tally) and how many requests in a
/// row it hits (a burst).
#[derive(Clone)]
pub struct ChaosFault {
    pub name: &'static str,
    pub fault: Fault,
    pub burst: usize,
}

/// Reproducible from the seed, up to the order in which concurrent requests arrive.
struct Chaos {
    rng: crate::campaign::SeededRng,
    per_mille: u64,
    faults: Vec<ChaosFault>,
}

pub type Matcher = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

struct Rule {
    matcher: Matcher,
    fault: Fault,
    remaining: Option<usize>,
    /// Counted under this name in the chaos tally.
    tally: Option<&'static str>,
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    rules: Mutex<Vec<Rule>>,
    released: std::sync::atomic::AtomicBool,
    release: tokio::sync::Notify,
    chaos: Mutex<Option<Chaos>>,
    tally: Mutex<std::collections::BTreeMap<&'static str, usize>>,
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
            tally: None,
        });
    }

    /// From now on, give `per_mille` of the requests no rule matches a fault picked at random
    /// (seeded) from `faults`.
    pub fn chaos(&self, seed: u64, per_mille: u64, faults: Vec<ChaosFault>) {
        *self.state.chaos.lock().unwrap() = Some(Chaos {
            rng: crate::campaign::SeededRng(seed),
            per_mille,
            faults,
        });
    }

    /// Stop picking faults at random (rules stay).
    pub fn calm(&self) {
        *self.state.chaos.lock().unwrap() = None;
    }

    /// How many faults of each kind chaos injected.
    pub fn tally(&self) -> std::collections::BTreeMap<&'static str, usize> {
        self.state.tally.lock().unwrap().clone()
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

/// A client for slowed bodies (the shared one is typed for bodies as they arrive).
fn slow_client() -> Client<HttpConnector, ChannelBody> {
    Client::builder(TokioExecutor::new()).build_http()
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
            if let Some(name) = rule.tally {
                *state.tally.lock().unwrap().entry(name).or_default() += 1;
            }
            return Some(rule.fault.clone());
        }
    }
    let mut chaos = state.chaos.lock().unwrap();
    let chaos = chaos.as_mut()?;
    if chaos.faults.is_empty() || chaos.rng.next_u64() % 1000 >= chaos.per_mille {
        return None;
    }
    let index = (chaos.rng.next_u64() % chaos.faults.len() as u64) as usize;
    let pick = chaos.faults[index].clone();
    *state.tally.lock().unwrap().entry(pick.name).or_default() += 1;
    if pick.burst > 1 {
        rules.push(Rule {
            matcher: Box::new(|_, _| true),
            fault: pick.fault.clone(),
            remaining: Some(pick.burst - 1),
            tally: Some(pick.name),
        });
    }
    Some(pick.fault)
}

/// A reply body fed from a channel, so that it can be paced or cut.
struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Bytes, BoxError>>);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, BoxError>>> {
        self.0
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(hyper::body::Frame::data)))
    }
}

/// The request body passed on at `rate` bytes a second, in 16 KiB steps.
fn slowed(mut body: Incoming, rate: u64) -> ChannelBody {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                let _ = tx.send(Err("client went away".into())).await;
                return;
            };
            let Ok(mut data) = frame.into_data() else {
                continue;
            };
            while !data.is_empty() {
                let step = data.split_to(data.len().min(16 * 1024));
                tokio::time::sleep(Duration::from_secs_f64(step.len() as f64 / rate as f64)).await;
                if tx.send(Ok(step)).await.is_err() {
                    return;
                }
            }
        }
    });
    ChannelBody(rx)
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
        Some(Fault::CutRequest(after)) => {
            record(0);
            let mut body = req.into_body();
            let mut read = 0;
            while read < after {
                match body.frame().await {
                    Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                    _ => break,
                }
            }
            return Err("cut mid-request by the proxy".into());
        }
        Some(Fault::Stall(wait)) => tokio::time::sleep(wait).await,
        Some(Fault::ReplaceBody(_) | Fault::LoseReply | Fault::CutReply | Fault::Slow(_))
        | None => {}
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
    let upstream_resp = match fault {
        Some(Fault::Slow(rate)) => {
            let slow = slowed(body, rate);
            slow_client()
                .request(Request::from_parts(parts, slow))
                .await?
        }
        _ => client.request(Request::from_parts(parts, body)).await?,
    };
    let status = upstream_resp.status().as_u16();
    record(status);
    if let Some(Fault::LoseReply | Fault::CutReply) = fault {
        let (head, body) = upstream_resp.into_parts();
        let bytes = body.collect().await?.to_bytes();
        if matches!(fault, Some(Fault::LoseReply)) || bytes.len() < 2 {
            return Err("reply lost by the proxy".into());
        }
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let half = bytes.slice(..bytes.len() / 2);
        tokio::spawn(async move {
            let _ = tx.send(Ok(half)).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tx.send(Err("reply cut by the proxy".into())).await;
        });
        return Ok(Response::from_parts(head, ChannelBody(rx).boxed()));
    }
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
