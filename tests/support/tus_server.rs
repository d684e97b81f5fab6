//! Two independent tus servers on 127.0.0.1: the official one (@tus/server with its FileStore,
//! tests/tus-server/server.mjs) and tuspyserver (FastAPI, tests/tus-server/tuspy_server.py). A
//! client that works with one server only has learned that server's quirks; the conformance
//! suite runs against both. Each stores an upload's bytes in a file named by the upload's id.

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

/// Which tus server implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TusImpl {
    /// @tus/server 2 with @tus/file-store (Node).
    Node,
    /// tuspyserver 4.4 (Python, FastAPI under uvicorn). Refuses HEAD on an upload created
    /// without `filename` and `filetype` metadata.
    Python,
}

impl TusImpl {
    pub const ALL: [TusImpl; 2] = [TusImpl::Node, TusImpl::Python];
}

impl TusServer {
    /// The official server (@tus/server).
    pub fn start() -> TusServer {
        TusServer::start_impl(TusImpl::Node)
    }

    pub fn start_impl(which: TusImpl) -> TusServer {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tus-server");
        let store = tempfile::tempdir().unwrap();
        let mut command = match which {
            TusImpl::Node => {
                assert!(
                    dir.join("node_modules/@tus/server").exists(),
                    "@tus/server is not installed: run scripts/setup.sh --test"
                );
                let mut c = Command::new("node");
                c.arg(dir.join("server.mjs"));
                c
            }
            TusImpl::Python => {
                // The project venv's python (scripts/env.sh puts it first on PATH).
                let mut c = Command::new("python3");
                c.arg(dir.join("tuspy_server.py"));
                c
            }
        };
        let mut child = command
            .arg("0")
            .arg(store.path())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the tus server's runtime (scripts/setup.sh --test)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "the {which:?} tus server did not start ({line:?}); run the tests with scripts/env.sh sourced, whose Python has tuspyserver (scripts/setup.sh --test)"
                )
            });
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
