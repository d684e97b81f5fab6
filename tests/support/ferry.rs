//! Running the real `ferry` binary with an isolated `FERRY_HOME` and a destination's
//! environment, as a user would.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// Path of the `ferry` binary, built once per test run.
pub fn binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| crate::built_binary("ferry-cli", "ferry"))
        .clone()
}

pub struct Ferry {
    pub home: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// Run as the unprivileged `nobody` user when the tests run as root, so that file
    /// permissions apply to Ferry.
    unprivileged: bool,
}

/// The result of one `ferry` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON lines.
    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Ferry {
    /// Ferry with destination `s3` pointing at `endpoint`/`bucket`, fast retries for tests.
    pub fn s3(endpoint: &str, bucket: &str) -> Ferry {
        let env = [
            ("AWS_ACCESS_KEY_ID", crate::servers::ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", crate::servers::SECRET_KEY),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", endpoint),
            ("S3_BUCKET_NAME", bucket),
            ("FERRY_RETRY_BASE_MS", "50"),
        ];
        Ferry {
            home: tempfile::tempdir().expect("FERRY_HOME"),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            unprivileged: false,
        }
    }

    /// Ferry with a Cloudflare account on the local emulator (Images, Stream and R2), using
    /// `token`, with fast retries for tests.
    pub fn cloudflare(sim: &crate::cloudsim::CloudSim, token: &str) -> Ferry {
        let mut env = sim.env(token);
        env.push(("FERRY_RETRY_BASE_MS".into(), "50".into()));
        Ferry {
            home: tempfile::tempdir().expect("FERRY_HOME"),
            env,
            unprivileged: false,
        }
    }

    /// The same configuration with an empty FERRY_HOME (a new user, a new queue).
    pub fn fresh(&self) -> Ferry {
        Ferry {
            home: tempfile::tempdir().expect("FERRY_HOME"),
            env: self.env.clone(),
            unprivileged: false,
        }
    }

    /// Ferry with only `env` set (plus fast retries).
    pub fn with_env(env: &[(&str, &str)]) -> Ferry {
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.push(("FERRY_RETRY_BASE_MS".into(), "50".into()));
        Ferry {
            home: tempfile::tempdir().expect("FERRY_HOME"),
            env,
            unprivileged: false,
        }
    }

    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    /// Use multipart uploads with parts of `part` bytes for any file of at least that size.
    pub fn multipart_parts(&mut self, part: usize) -> &mut Self {
        self.set("FERRY_MULTIPART_THRESHOLD", &part.to_string())
            .set("FERRY_PART_SIZE", &part.to_string())
    }

    /// Reach the test session's Secret Service (scripts/with-keyring.sh starts it).
    pub fn with_keychain(&mut self) -> &mut Self {
        let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect(
            "no D-Bus session: run the tests through scripts/with-keyring.sh (scripts/test.sh does)",
        );
        self.set("DBUS_SESSION_BUS_ADDRESS", &bus)
    }

    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Run Ferry as `nobody` from now on (when the tests run as root); returns false if that is
    /// not possible here.
    pub fn unprivileged(&mut self) -> bool {
        if !running_as_root() {
            return true;
        }
        if Command::new("setpriv").arg("--version").output().is_err() {
            return false;
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode;
        let _ = std::fs::set_permissions(self.home.path(), mode(0o777));
        // The build folder may sit under a home `nobody` cannot enter: run a copy from here.
        let copy = self.home.path().join("ferry-unprivileged");
        if std::fs::copy(binary(), &copy).is_err()
            || std::fs::set_permissions(&copy, mode(0o755)).is_err()
        {
            return false;
        }
        self.unprivileged = true;
        true
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = if self.unprivileged {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(self.home.path().join("ferry-unprivileged"));
            c
        } else {
            Command::new(binary())
        };
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("FERRY_HOME", self.home.path());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run ferry")
            .into()
    }

    /// Run with `input` on standard input.
    pub fn run_input(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ferry");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().expect("run ferry").into()
    }

    pub fn run_paths(&self, args: &[&str], paths: &[&Path]) -> Run {
        let mut cmd = self.command(args);
        cmd.args(paths);
        cmd.stdin(Stdio::null()).output().expect("run ferry").into()
    }

    pub fn spawn(&self, args: &[&str], paths: &[&Path]) -> Child {
        let mut cmd = self.command(args);
        cmd.args(paths)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("spawn ferry")
    }

    /// `ferry status --json`.
    pub fn status(&self) -> Vec<Value> {
        let run = self.run(&["status", "--json"]);
        assert_eq!(run.code, 0, "status failed: {}", run.stderr);
        run.lines()
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}
