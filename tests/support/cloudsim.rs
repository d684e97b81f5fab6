//! `ferry-cloudsim`, the local Cloudflare, started for a test: Images and Stream on one port,
//! Stream's tus upload URLs on a second (the upload origin, which wants the token too), R2 as `rclone serve s3` beside it (with the test keys, so the boto3 checker reads it), and
//! helpers to switch faults on and to read the emulator's API as an independent client would.

use crate::servers::{ACCESS_KEY, BUCKET, SECRET_KEY};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The account id the emulator serves.
pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
/// A token with Images and Stream permissions.
pub const TOKEN: &str = "ferry-test-token-Zx81-images-and-stream";
/// A token with Images permission only.
pub const IMAGES_ONLY: &str = "ferry-test-token-images-only-Qp20";
/// An expired token.
pub const EXPIRED: &str = "ferry-test-token-expired-Lm55";
/// An account-owned token (verified on the account endpoint only).
pub const ACCOUNT_TOKEN: &str = "ferry-test-account-token-Vb73";

/// Path of the `ferry-cloudsim` binary, built once per test run.
pub fn binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| crate::built_binary("ferry-cloudsim", "ferry-cloudsim"))
        .clone()
}

pub struct CloudSim {
    child: Child,
    pub api: String,
    pub base: String,
    /// The upload origin (tus upload URLs).
    pub upload_base: String,
    pub r2_endpoint: String,
    pub data: tempfile::TempDir,
}

impl CloudSim {
    /// Start with videos ready `processing_ms` after their last byte.
    pub fn start(processing_ms: u64) -> CloudSim {
        Self::start_with(processing_ms, 0, None, &[])
    }

    /// Start on `port` (0: any), handing out URLs under `public_base` (a proxy in front).
    pub fn start_at(processing_ms: u64, port: u16, public_base: Option<&str>) -> CloudSim {
        Self::start_with(processing_ms, port, public_base, &[])
    }

    /// [`CloudSim::start_at`] with extra command-line flags.
    pub fn start_with(
        processing_ms: u64,
        port: u16,
        public_base: Option<&str>,
        extra: &[&str],
    ) -> CloudSim {
        let data = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(binary());
        cmd.args(extra);
        cmd.args(["--port", &port.to_string()]);
        if let Some(base) = public_base {
            cmd.args(["--public-base", base]);
        }
        let mut child = cmd
            .args(["--data"])
            .arg(data.path())
            .args([
                "--processing-ms",
                &processing_ms.to_string(),
                "--r2-bucket",
                BUCKET,
            ])
            .env(
                "FERRY_SIM_TOKENS",
                format!("{TOKEN} {IMAGES_ONLY}:images {EXPIRED}:images,stream:expired {ACCOUNT_TOKEN}:images,stream:active:account"),
            )
            .env("FERRY_SIM_R2_KEYS", format!("{ACCESS_KEY},{SECRET_KEY}"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("start ferry-cloudsim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("cloudsim said {line:?}: {e}"));
        CloudSim {
            child,
            api: ready["api"].as_str().unwrap().into(),
            base: ready["base"].as_str().unwrap().into(),
            upload_base: ready["upload_base"].as_str().unwrap().into(),
            r2_endpoint: ready["r2_endpoint"].as_str().unwrap().into(),
            data,
        }
    }

    /// The environment a user sets for this account (the seeds' variable names).
    pub fn env(&self, token: &str) -> Vec<(String, String)> {
        [
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
            ("CLOUDFLARE_API_TOKEN", token),
            ("CLOUDFLARE_API_BASE_URL", &self.api),
            ("CLOUDFLARE_R2_ENDPOINT", &self.r2_endpoint),
            ("CLOUDFLARE_R2_ACCESS_KEY_ID", ACCESS_KEY),
            ("CLOUDFLARE_R2_SECRET_ACCESS_KEY", SECRET_KEY),
            ("CLOUDFLARE_R2_BUCKET_NAME", BUCKET),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Replace the fault rules (JSON array, see the emulator's faults.rs).
    pub fn faults(&self, rules: Value) {
        let out = curl(&[
            "-sf",
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "--data",
            &rules.to_string(),
            &format!("{}/__sim/faults", self.base),
        ]);
        assert_eq!(out.0, 0, "setting faults failed");
    }

    pub fn clear_faults(&self) {
        curl(&[
            "-sf",
            "-X",
            "DELETE",
            &format!("{}/__sim/faults", self.base),
        ]);
    }

    /// How many requests faults have hit so far.
    pub fn fired(&self) -> u64 {
        curl(&["-sf", &format!("{}/__sim/faults", self.base)])
            .1
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// `GET {api}/accounts/{ACCOUNT}/{path}` with the full token: the envelope.
    pub fn get(&self, path: &str) -> Value {
        let (_, body) = curl(&[
            "-s",
            "-H",
            &format!("Authorization: Bearer {TOKEN}"),
            &format!("{}/accounts/{ACCOUNT}/{path}", self.api),
        ]);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// Every video the account holds.
    pub fn videos(&self) -> Vec<Value> {
        self.get("stream")["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every image the account holds.
    pub fn images(&self) -> Vec<Value> {
        self.get("images/v2?per_page=10000")["result"]["images"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for CloudSim {
    fn drop(&mut self) {
        // SIGTERM lets the emulator stop its rclone child.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// Run curl; returns (exit code, body).
pub fn curl(args: &[&str]) -> (i32, String) {
    let out = Command::new("curl").args(args).output().expect("curl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Fetch a URL's bytes and status.
pub fn fetch(url: &str) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", url])
        .output()
        .expect("curl");
    let mut body = out.stdout;
    let pos = body.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let code = String::from_utf8_lossy(&body[pos + 1..])
        .trim()
        .parse()
        .unwrap_or(0);
    body.truncate(pos);
    (code, body)
}

/// The bytes Stream holds for a video, read through the emulator's `/original` route from the
/// video's HLS URL (as Ferry reports it).
pub fn original_bytes(hls_url: &str) -> Vec<u8> {
    fetch(&hls_url.replace("/manifest/video.m3u8", "/original")).1
}
