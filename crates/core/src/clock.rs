//! Time, passed in.
//!
//! Retry delays, backoff and (later) stable-file windows depend on time. They take a [`Clock`] so
//! that tests can drive them with [`ManualClock`] without sleeping, while the engine uses
//! [`SystemClock`].

use std::future::Future;
use std::pin::Pin;
#[cfg(test)]
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + 'static {
    /// Wall-clock time, for timestamps and key templates.
    fn now(&self) -> SystemTime;
    /// A future that completes after `delay`.
    fn sleep(&self, delay: Duration) -> Sleep;

    /// Whole seconds since the Unix epoch, as stored in the queue.
    fn unix_secs(&self) -> i64 {
        self.now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, delay: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// A clock that only moves when told to. `sleep` returns at once and records the delay, so a
/// test can assert the exact schedule of retries.
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

#[cfg(test)]
#[derive(Debug)]
struct ManualState {
    now: SystemTime,
    slept: Vec<Duration>,
}

#[cfg(test)]
impl ManualClock {
    pub fn new(start: SystemTime) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualState {
                now: start,
                slept: Vec::new(),
            })),
        }
    }

    /// Every delay passed to `sleep` so far, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.inner.lock().expect("clock lock").slept.clone()
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.inner.lock().expect("clock lock").now
    }

    fn sleep(&self, delay: Duration) -> Sleep {
        let mut state = self.inner.lock().expect("clock lock");
        state.slept.push(delay);
        state.now += delay;
        Box::pin(std::future::ready(()))
    }
}
