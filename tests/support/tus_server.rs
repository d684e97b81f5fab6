//! The official tus server (@tus/server with its FileStore, from tests/tus-server) on 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct TusServer {
    child: Child,
    /// The creation URL (`http://127.0.0.1:PORT/files`).
    pub endpoint: String,
    pub port: u16,
    pub store: tempfile::TempDir,
}

impl TusServer {
    pub fn start() -> TusServer {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tus-server");
        assert!(
            dir.join("node_modules/@tus/server").exists(),
            "@tus/server is not installed: run scripts/setup.sh --test"
        );
        let store = tempfile::tempdir().unwrap();
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .arg("0")
            .arg(store.path())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node (scripts/setup.sh --test)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("tus server did not start: {line:?}"));
        TusServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}/files"),
            port,
            store,
        }
    }

    /// Uploads the store holds (complete or not).
    pub fn uploads(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.store.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_none())
            .collect()
    }
}

impl Drop for TusServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
