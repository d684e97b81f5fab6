//! `ferry watch --json` as a child process: its event lines are read on a thread and can be
//! waited for; it is stopped with SIGTERM, as a service manager would.

use crate::ferry::Ferry;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub struct Watcher {
    child: Child,
    lines: Receiver<Value>,
    /// Every event seen so far.
    pub seen: Vec<Value>,
}

impl Watcher {
    /// Start `ferry watch --json` on `dirs` (plus `args`).
    pub fn start(ferry: &Ferry, args: &[&str], dirs: &[&Path]) -> Watcher {
        let mut all = vec!["watch", "--json"];
        all.extend_from_slice(args);
        let mut child = ferry.spawn(&all, dirs);
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        Watcher {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Wait until `done(&seen)` holds, reading events; panics with what was seen on timeout.
    pub fn wait_until(&mut self, what: &str, timeout: Duration, done: impl Fn(&[Value]) -> bool) {
        let deadline = Instant::now() + timeout;
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) => self.seen.push(v),
                Err(RecvTimeoutError::Timeout) => {
                    let tail: Vec<&Value> = self.seen.iter().rev().take(20).collect();
                    panic!("timed out waiting for {what}; last events: {tail:#?}");
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.child.kill();
                    let err = self
                        .child
                        .stderr
                        .take()
                        .map(|mut e| {
                            let mut s = String::new();
                            std::io::Read::read_to_string(&mut e, &mut s).ok();
                            s
                        })
                        .unwrap_or_default();
                    panic!("ferry watch ended while waiting for {what}: {err}");
                }
            }
        }
    }

    /// Read events for `period` (to show that nothing more happens).
    pub fn drain_for(&mut self, period: Duration) {
        let deadline = Instant::now() + period;
        while let Ok(v) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(v);
        }
    }

    /// Events of one kind (`queued`, `done`, `failed`, `problem`, `deleted`, `scanned`).
    pub fn events(&self, kind: &str) -> Vec<&Value> {
        self.seen.iter().filter(|v| v["event"] == kind).collect()
    }

    /// `done` events for a file name.
    pub fn done_for(&self, name: &str) -> Vec<&Value> {
        self.events("done")
            .into_iter()
            .filter(|v| v["name"] == name)
            .collect()
    }

    /// SIGTERM, then wait; the exit status must be success.
    pub fn stop(mut self) -> Vec<Value> {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let status = self.child.wait().expect("wait for ferry watch");
        self.drain_for(Duration::from_millis(100));
        assert!(status.success(), "ferry watch exited with {status}");
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
