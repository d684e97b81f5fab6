//! ferry-cloudsim: a local Cloudflare, faithful enough that Ferry's Images and Stream code can
//! be tested end to end and a new user can try Ferry without an account.
//!
//! It serves, on 127.0.0.1, the subset of the Cloudflare API Ferry uses (Images upload, get,
//! list, delete, keys and direct uploads; Stream tus and basic uploads, get, list, delete and
//! playback tokens; token verification), delivery routes so that returned URLs open locally,
//! and, on a second origin of its own (another port, standing for Cloudflare's upload host), the
//! tus upload URLs Stream hands out, and optionally an R2 endpoint (a real S3 server, rclone,
//! started beside it). Replies use Cloudflare's envelope and field names and are checked
//! against Cloudflare's OpenAPI schemas in the tests. Faults can be switched on for tests.
//!
//! Invariant: nothing is acknowledged before it is on disk; a chunk that does not arrive whole
//! is not counted (the tus offset only moves by whole chunks).

mod auth;
mod captions;
mod delivery;
mod direct_upload;
mod downloads;
pub mod envelope;
pub mod faults;
mod image_rules;
mod images;
mod live;
mod mp4;
pub mod r2;
mod r2_cors;
mod r2_rules;
mod sigv4;
mod store;
mod stream;
mod stream_meta;
mod tus;
mod video_edit;

pub use auth::TokenGrant;
pub use faults::FaultRule;

use axum::Router;
use axum::routing::{get, post};
use faults::Faults;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Store;

/// How the emulator is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub account_id: String,
    /// The Images account hash used in delivery URLs (not the account id).
    pub account_hash: String,
    /// The Stream customer code used in playback URLs.
    pub customer_code: String,
    pub tokens: Vec<TokenGrant>,
    pub data_dir: PathBuf,
    /// How long a video takes from "uploaded" to "ready".
    pub processing: Duration,
    /// How long an unfinished tus upload lives (Cloudflare: a day by default).
    pub upload_expiry: Duration,
    /// The Images signing key (`GET /images/v1/keys`).
    pub images_key: String,
    /// The most items one list page holds, whatever `per_page` asks: Cloudflare may answer
    /// with fewer and a `continuation_token`, and a client must follow it. Tests set it low.
    pub list_page_max: Option<usize>,
    pub faults: Vec<FaultRule>,
}

/// The emulator's state, shared by every handler.
pub struct Sim {
    pub config: SimConfig,
    /// `http://127.0.0.1:PORT`, for URLs in replies.
    pub base: String,
    /// The upload origin's base (another port), for tus `Location`s: Cloudflare names an upload
    /// host that is not the API's origin (api-facts B.1).
    pub upload_base: String,
    store: Store,
    images: Mutex<BTreeMap<String, images::ImageRecord>>,
    videos: Mutex<BTreeMap<String, stream::VideoRecord>>,
    /// Stream live inputs, by uid.
    live: Mutex<BTreeMap<String, live::LiveInputRecord>>,
    /// One lock per video being written, so two PATCHes never interleave.
    video_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub faults: Faults,
    /// Secret for Stream playback tokens.
    token_secret: String,
}

impl Sim {
    pub fn new(config: SimConfig, base: String, upload_base: String) -> std::io::Result<Sim> {
        let store = Store::open(&config.data_dir)?;
        let images = store
            .load_all::<images::ImageRecord>("images")
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let videos = store
            .load_all::<stream::VideoRecord>("stream")
            .into_iter()
            .map(|r| (r.uid.clone(), r))
            .collect();
        let live = store
            .load_all::<live::LiveInputRecord>("live")
            .into_iter()
            .map(|r| (r.uid.clone(), r))
            .collect();
        let faults = Faults::default();
        faults.set(config.faults.clone());
        let token_secret = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        Ok(Sim {
            config,
            base,
            upload_base,
            store,
            images: Mutex::new(images),
            videos: Mutex::new(videos),
            live: Mutex::new(live),
            video_locks: Mutex::new(HashMap::new()),
            faults,
            token_secret,
        })
    }

    pub fn api_base(&self) -> String {
        format!("{}/client/v4", self.base)
    }

    fn video_lock(&self, uid: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.video_locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(uid.to_string()).or_default().clone()
    }
}

/// All routes.
pub fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/user/tokens/verify", get(auth::verify_user))
        .route(
            "/accounts/{account}/tokens/verify",
            get(auth::verify_account),
        )
        .route(
            "/accounts/{account}/images/v1",
            post(images::upload).get(images::list_v1),
        )
        .route("/accounts/{account}/images/v1/keys", get(images::keys))
        .route(
            "/accounts/{account}/images/v1/{*id}",
            get(images::get_or_blob)
                .delete(images::delete)
                .patch(images::edit),
        )
        .route("/accounts/{account}/images/v2", get(images::list_v2))
        .route(
            "/accounts/{account}/images/v2/direct_upload",
            post(images::direct_upload),
        )
        .route(
            "/accounts/{account}/stream",
            post(stream::create).get(stream::list),
        )
        .route(
            "/accounts/{account}/stream/direct_upload",
            post(direct_upload::create),
        )
        .route(
            "/accounts/{account}/stream/live_inputs",
            post(live::create).get(live::list),
        )
        .route(
            "/accounts/{account}/stream/live_inputs/{uid}",
            get(live::get).put(live::update).delete(live::delete),
        )
        .route(
            "/accounts/{account}/stream/live_inputs/{uid}/videos",
            get(live::videos),
        )
        .route(
            "/accounts/{account}/stream/{uid}",
            get(stream::get)
                .delete(stream::delete)
                .post(video_edit::edit),
        )
        .route(
            "/accounts/{account}/stream/{uid}/token",
            post(stream::token),
        )
        .route(
            "/accounts/{account}/stream/{uid}/downloads",
            post(downloads::create)
                .get(downloads::get)
                .delete(downloads::delete),
        )
        .route(
            "/accounts/{account}/stream/{uid}/captions",
            get(captions::list),
        )
        .route(
            "/accounts/{account}/stream/{uid}/captions/{language}",
            get(captions::get)
                .put(captions::upload)
                .delete(captions::delete),
        )
        .route(
            "/accounts/{account}/stream/{uid}/captions/{language}/generate",
            post(captions::generate),
        )
        .route(
            "/accounts/{account}/stream/{uid}/captions/{language}/vtt",
            get(captions::vtt),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(no_route);
    Router::new()
        .nest("/client/v4", api)
        .route(
            "/images-upload/{hash}/{id}",
            post(direct_upload::image_upload).options(direct_upload::preflight),
        )
        .route(
            "/stream-upload/{uid}",
            post(direct_upload::upload).options(direct_upload::preflight),
        )
        .route("/imagedelivery/{hash}/{*rest}", get(delivery::image))
        .route("/stream-delivery/{id}/{*rest}", get(delivery::video))
        .route("/__sim/live/{uid}/recording", post(live::record))
        .route("/__sim/live/{uid}/status", post(live::set_status))
        .route(
            "/__sim/faults",
            post(set_faults).delete(clear_faults).get(fault_count),
        )
        .route("/__sim/health", get(|| async { "ok" }))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(sim)
}

/// The upload origin's routes: the tus upload URLs only. They want the API token, except for
/// uploads created with `direct_user=true`, whose URL is the credential.
pub fn upload_router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route(
            "/tus/{uid}",
            axum::routing::patch(tus::patch)
                .head(tus::head)
                .delete(tus::terminate)
                .options(tus::options),
        )
        .route("/__sim/health", get(|| async { "ok" }))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(sim)
}

/// What Cloudflare's API router answers for a path or method it has no route for: HTTP 400 with
/// 7003 "Could not route to …, perhaps your object identifier is invalid?" and 7000 "No route
/// for that URI" (api-facts A.8; seen in github.com/zanjie1999/cloudflare-api-v4-ddns/issues/4
/// and github.com/lukesUbuntu/cloudflare-api/issues/4), never a product's "not found".
async fn no_route(uri: axum::http::Uri) -> envelope::ApiError {
    envelope::ApiError::bad_request(
        7003,
        format!(
            "Could not route to {}, perhaps your object identifier is invalid?",
            uri.path()
        ),
    )
    .also(7000, "No route for that URI")
}

async fn set_faults(
    axum::extract::State(sim): axum::extract::State<Arc<Sim>>,
    axum::Json(rules): axum::Json<Vec<FaultRule>>,
) -> &'static str {
    sim.faults.set(rules);
    "ok"
}

async fn clear_faults(axum::extract::State(sim): axum::extract::State<Arc<Sim>>) -> &'static str {
    sim.faults.set(Vec::new());
    "ok"
}

async fn fault_count(axum::extract::State(sim): axum::extract::State<Arc<Sim>>) -> String {
    sim.faults.fired().to_string()
}

/// Serve on `listener` until the process ends. Faults are applied before routing; a "drop"
/// fault closes the connection without a reply (hyper does that when the service fails).
pub async fn serve(sim: Arc<Sim>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = router(sim.clone());
    serve_router(sim, app, listener).await
}

/// Serve the upload origin on `listener` (faults apply there too).
pub async fn serve_uploads(
    sim: Arc<Sim>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let app = upload_router(sim.clone());
    serve_router(sim, app, listener).await
}

async fn serve_router(
    sim: Arc<Sim>,
    app: Router,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    use hyper_util::rt::TokioIo;
    use tower::ServiceExt;
    loop {
        let (socket, _) = listener.accept().await?;
        let app = app.clone();
        let sim = sim.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    let sim = sim.clone();
                    async move {
                        let hit = sim.faults.hit(req.method().as_str(), req.uri().path());
                        if let Some(hit) = hit {
                            if hit.delay_ms > 0 {
                                tokio::time::sleep(Duration::from_millis(hit.delay_ms)).await;
                            }
                            if hit.drop {
                                return Err(std::io::Error::other("fault: connection dropped"));
                            }
                            if let (Some(status), Some(body)) = (hit.status, hit.body.clone()) {
                                let mut resp = axum::response::IntoResponse::into_response(body);
                                *resp.status_mut() = axum::http::StatusCode::from_u16(status)
                                    .unwrap_or(axum::http::StatusCode::OK);
                                return Ok(resp);
                            }
                            if let Some(status) = hit.status {
                                let status = axum::http::StatusCode::from_u16(status)
                                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
                                let mut err = envelope::ApiError::new(
                                    status,
                                    fault_code(status),
                                    fault_message(status),
                                );
                                err.retry_after = hit.retry_after;
                                if status == axum::http::StatusCode::TOO_MANY_REQUESTS {
                                    err.extra.rate_limit = Some(rate_limit(hit.retry_after));
                                }
                                return Ok(axum::response::IntoResponse::into_response(err));
                            }
                        }
                        let req = req.map(axum::body::Body::new);
                        app.oneshot(req).await.map_err(|e| match e {})
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}

/// Cloudflare's rate-limit headers for a 429: 1,200 requests per 5 minutes per user, none left,
/// reset when the wait ends (api-facts A.9, developers.cloudflare.com/fundamentals/api/
/// reference/limits/).
fn rate_limit(retry_after: Option<u64>) -> (u32, u32, String) {
    let reset = chrono::Utc::now() + chrono::Duration::seconds(retry_after.unwrap_or(300) as i64);
    (
        1200,
        0,
        reset.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    )
}

fn fault_code(status: axum::http::StatusCode) -> u32 {
    match status.as_u16() {
        429 => 971,
        _ => 10002,
    }
}

fn fault_message(status: axum::http::StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "Please wait and consider throttling your request speed",
        _ => "An internal error occurred",
    }
}

/// A stable 64-bit hash (FNV-1a) for file names and ids; not for security.
pub fn short_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// 32 lowercase hex characters, like Stream uids and tus ids.
pub fn random_hex32() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// A random UUID v4 string, like Cloudflare's image ids.
pub fn random_uuid() -> String {
    let a = fastrand::u128(..);
    let a = (a & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{a:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Now, as Cloudflare writes dates.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
