//! The upload bandwidth limit: one budget shared by every body in flight, so the limit holds for
//! Ferry as a whole however many files and parts are moving.
//!
//! It is a virtual clock (GCRA): each block of bytes moves the "next free" instant forward by
//! the time those bytes take at the limit, and the sender waits until its block's slot. Unused
//! time is banked for at most [`BURST`], so a pause does not turn into a flood afterwards.
//!
//! The limit can change while bodies are moving (a setting saved in the window): a session's
//! engines share one `Pace`, so uploads that carry on across a reload obey the new limit too.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How much idle time may be spent at once after a pause.
pub const BURST: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub struct Pace {
    /// 0: no limit.
    bytes_per_sec: AtomicU64,
    next: Mutex<Option<Instant>>,
}

impl Pace {
    /// A limit of `bytes_per_sec` (at least 1).
    pub fn new(bytes_per_sec: u64) -> Self {
        Pace {
            bytes_per_sec: AtomicU64::new(bytes_per_sec.max(1)),
            next: Mutex::new(None),
        }
    }

    /// No limit, until [`Pace::set_limit`] sets one.
    pub fn unlimited() -> Self {
        Pace {
            bytes_per_sec: AtomicU64::new(0),
            next: Mutex::new(None),
        }
    }

    /// Change the limit for every body in flight; 0 lifts it.
    pub fn set_limit(&self, bytes_per_sec: u64) {
        self.bytes_per_sec.store(bytes_per_sec, Ordering::Relaxed);
    }

    /// The limit; 0 when there is none.
    pub fn bytes_per_sec(&self) -> u64 {
        self.bytes_per_sec.load(Ordering::Relaxed)
    }

    /// Account for `n` bytes sent now; returns how long to wait before sending more.
    pub fn delay(&self, n: u64) -> Duration {
        self.delay_at(n, Instant::now())
    }

    /// [`Pace::delay`] with the time passed in.
    pub fn delay_at(&self, n: u64, now: Instant) -> Duration {
        let rate = self.bytes_per_sec();
        if rate == 0 {
            return Duration::ZERO;
        }
        let cost = Duration::from_secs_f64(n as f64 / rate as f64);
        let mut next = self.next.lock().expect("pace lock");
        let floor = now.checked_sub(BURST).unwrap_or(now);
        let start = next.map_or(floor, |t| t.max(floor));
        let end = start + cost;
        *next = Some(end);
        end.saturating_duration_since(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_across_senders_and_a_pause_banks_only_a_burst() {
        let pace = Pace::new(1000);
        let t0 = Instant::now() + Duration::from_secs(10);
        // The first 250 bytes ride on the banked burst; the rest wait their turn.
        assert_eq!(pace.delay_at(250, t0), Duration::ZERO);
        assert_eq!(pace.delay_at(500, t0), Duration::from_millis(500));
        // A second sender at the same instant queues behind the first.
        assert_eq!(pace.delay_at(500, t0), Duration::from_millis(1000));
        // After a long pause only BURST is banked.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(pace.delay_at(250, later), Duration::ZERO);
        assert_eq!(pace.delay_at(1000, later), Duration::from_millis(1000));
    }

    #[test]
    fn over_a_long_run_the_rate_is_the_limit() {
        let pace = Pace::new(64 * 1024);
        let t0 = Instant::now();
        let mut now = t0;
        let mut sent = 0u64;
        while sent < 10 * 64 * 1024 {
            now += pace.delay_at(16 * 1024, now);
            sent += 16 * 1024;
        }
        let secs = (now - t0).as_secs_f64();
        assert!((9.7..=10.0).contains(&secs), "10 s of budget took {secs}");
        // A new limit applies to what comes next; no limit costs nothing.
        pace.set_limit(128 * 1024);
        assert_eq!(pace.delay_at(128 * 1024, now), Duration::from_secs(1));
        pace.set_limit(0);
        assert_eq!(pace.delay_at(u64::MAX, now), Duration::ZERO);
    }
}
