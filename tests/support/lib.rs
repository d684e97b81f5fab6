//! Support for Ferry's end-to-end tests: real S3 servers on 127.0.0.1 ([`servers`]), an
//! independent checker that reads them with boto3 ([`checker`]), a proxy that counts requests
//! and injects faults ([`proxy`]), a runner for the `ferry` binary ([`ferry`]), and what the
//! crash, fault and power-loss campaigns share ([`campaign`]).

pub mod campaign;
pub mod checker;
pub mod cloudsim;
pub mod ferry;
pub mod media;
pub mod proxy;
pub mod servers;
pub mod tus_server;
pub mod watcher;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Build a workspace package once (debug) and return the path of its binary `name`.
pub fn built_binary(package: &str, name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", package])
        .current_dir(&root)
        .status()
        .unwrap_or_else(|e| panic!("cargo build -p {package}: {e}"));
    assert!(status.success(), "building {package} failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("debug").join(name)
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Deterministic pseudo-random bytes, so a failing test can be rerun with the same data.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand_lite(seed);
    (0..len).map(|_| (rng() >> 24) as u8).collect()
}

fn fastrand_lite(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state
    }
}

/// SHA-256 of a file's bytes, as the checker reports it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Panic if `secret` appears in any file under `root` or in any of `outputs`.
pub fn assert_secret_absent(root: &std::path::Path, outputs: &[&str], secret: &str) {
    for out in outputs {
        assert!(
            !out.contains(secret),
            "the secret appears in Ferry's output"
        );
    }
    let mut stack = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files += 1;
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "the secret appears in {}",
                    path.display()
                );
            }
        }
    }
    assert!(files > 0, "nothing to search under {}", root.display());
}
