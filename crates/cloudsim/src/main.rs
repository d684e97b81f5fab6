//! `ferry-cloudsim`: run the local Cloudflare. Prints one JSON line with its addresses once it
//! listens, then serves until interrupted.

use clap::Parser;
use ferry_cloudsim::{FaultRule, Sim, SimConfig, TokenGrant, r2::R2};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "ferry-cloudsim",
    about = "A local Cloudflare (Images, Stream, R2) for Ferry's tests and demos"
)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where uploads are kept.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = "0123456789abcdef0123456789abcdef")]
    account_id: String,
    #[arg(long, default_value = "ferrysimhash0000000000")]
    account_hash: String,
    #[arg(long, default_value = "ferrysim")]
    customer_code: String,
    /// A token the API accepts: VALUE[:SCOPES[:STATUS]], scopes `images,stream` (default
    /// both), status active|disabled|expired. Repeatable. Also read from FERRY_SIM_TOKENS
    /// (space-separated), so that tokens stay out of process listings.
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// Milliseconds from "uploaded" to "ready" for a video.
    #[arg(long, default_value_t = 3000)]
    processing_ms: u64,
    /// Seconds an unfinished video upload lives before it expires.
    #[arg(long, default_value_t = 86_400)]
    upload_expiry_secs: u64,
    /// Images signing key.
    #[arg(long, default_value = "ferry-cloudsim-images-key")]
    images_key: String,
    /// The most items one Images v2 list page holds (Cloudflare may return fewer than
    /// per_page; clients must follow continuation_token).
    #[arg(long)]
    list_page_max: Option<usize>,
    /// A fault rule as JSON (see faults.rs). Repeatable.
    #[arg(long = "fault")]
    faults: Vec<String>,
    /// The base URL clients reach the emulator at, used in the URLs it hands out (upload and
    /// delivery); default `http://127.0.0.1:PORT`. Tests set it to a proxy in front.
    #[arg(long)]
    public_base: Option<String>,
    /// Port on 127.0.0.1 for the upload origin (tus upload URLs); 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    upload_port: u16,
    /// The base URL clients reach the upload origin at; default `http://127.0.0.1:UPLOAD_PORT`.
    #[arg(long)]
    public_upload_base: Option<String>,
    /// Also start an R2 endpoint (rclone serve s3) with this bucket.
    #[arg(long)]
    r2_bucket: Option<String>,
    /// R2 keys as ACCESS,SECRET; also read from FERRY_SIM_R2_KEYS.
    #[arg(long, env = "FERRY_SIM_R2_KEYS", hide_env_values = true)]
    r2_keys: Option<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("ferry-cloudsim: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let mut specs = args.tokens.clone();
    if let Ok(env) = std::env::var("FERRY_SIM_TOKENS") {
        specs.extend(env.split_whitespace().map(str::to_string));
    }
    if specs.is_empty() {
        return Err("give at least one --token (or FERRY_SIM_TOKENS)".into());
    }
    let tokens = specs
        .iter()
        .map(|s| TokenGrant::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let faults = args
        .faults
        .iter()
        .map(|f| serde_json::from_str::<FaultRule>(f).map_err(|e| format!("--fault {f}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let base = args
        .public_base
        .clone()
        .map(|b| b.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
    let uploads = tokio::net::TcpListener::bind(("127.0.0.1", args.upload_port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.upload_port))?;
    let upload_port = uploads.local_addr().map_err(|e| e.to_string())?.port();
    let upload_base = args
        .public_upload_base
        .clone()
        .map(|b| b.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://127.0.0.1:{upload_port}"));
    let config = SimConfig {
        account_id: args.account_id.clone(),
        account_hash: args.account_hash.clone(),
        customer_code: args.customer_code,
        tokens,
        data_dir: args.data.join("cloudflare"),
        processing: Duration::from_millis(args.processing_ms),
        upload_expiry: Duration::from_secs(args.upload_expiry_secs),
        images_key: args.images_key,
        list_page_max: args.list_page_max,
        faults,
    };
    let sim = Arc::new(
        Sim::new(config, base.clone(), upload_base.clone())
            .map_err(|e| format!("data directory: {e}"))?,
    );
    let r2 = match &args.r2_bucket {
        Some(bucket) => {
            let keys = args
                .r2_keys
                .clone()
                .unwrap_or_else(|| "ferrysimaccesskey,ferrysimsecretkey0123456789".into());
            let (ak, sk) = keys
                .split_once(',')
                .ok_or("--r2-keys must be ACCESS,SECRET")?;
            Some(
                R2::start(&args.data.join("r2"), bucket, ak, sk)
                    .await
                    .map_err(|e| e.to_string())?,
            )
        }
        None => None,
    };
    let ready = serde_json::json!({
        "api": sim.api_base(),
        "base": base,
        "upload_base": upload_base,
        "account_id": args.account_id,
        "account_hash": args.account_hash,
        "r2_endpoint": r2.as_ref().map(|r| r.endpoint.clone()),
        "r2_bucket": r2.as_ref().map(|r| r.bucket.clone()),
    });
    println!("{ready}");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    // Returning drops the R2 child (kill_on_drop), so rclone never outlives the emulator.
    let result = tokio::select! {
        served = ferry_cloudsim::serve(sim.clone(), listener) => served.map_err(|e| e.to_string()),
        served = ferry_cloudsim::serve_uploads(sim, uploads) => served.map_err(|e| e.to_string()),
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = term.recv() => Ok(()),
    };
    drop(r2);
    result
}
