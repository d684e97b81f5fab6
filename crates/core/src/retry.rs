//! When to try again, and after how long.
//!
//! Exponential backoff with full jitter, capped, and a server's `Retry-After` honoured as a
//! floor (never cut short by jitter). Permanent errors are never retried. The policy is a pure
//! function of the attempt number and a random draw, so its schedule is tested without sleeping.

use crate::clock::Clock;
use crate::{Error, Result};
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest server-requested wait honoured; a longer `Retry-After` fails the attempt
    /// instead of blocking the queue for hours.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1` after `error` on attempt `attempt` (1-based), or
    /// `None` when giving up. `unit` is a uniform draw in [0, 1).
    pub fn delay(&self, attempt: u32, error: &Error, unit: f64) -> Option<Duration> {
        self.delay_if(attempt, error, unit, error.is_temporary())
    }

    /// [`RetryPolicy::delay`] for an error the caller judged worth retrying (`retryable`).
    fn delay_if(
        &self,
        attempt: u32,
        error: &Error,
        unit: f64,
        retryable: bool,
    ) -> Option<Duration> {
        if !retryable || attempt >= self.max_attempts {
            return None;
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16));
        let ceiling = exp.min(self.max_delay);
        let jittered = ceiling.mul_f64(unit.clamp(0.0, 1.0));
        match error.retry_after() {
            Some(asked) if asked > self.max_retry_after => None,
            Some(asked) => Some(asked.max(jittered)),
            None => Some(jittered),
        }
    }

    /// Run `op` until it succeeds, fails permanently, or attempts run out. Attempts count from 1.
    /// `waiting` hears of each wait before it starts.
    pub async fn run<T, F, Fut>(
        &self,
        clock: &dyn Clock,
        rng: &mut fastrand::Rng,
        waiting: &(dyn Fn(Wait<'_>) + Sync),
        op: F,
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.run_judged(clock, rng, Error::is_temporary, waiting, op)
            .await
    }

    /// Run a question (a request that changes nothing: HEAD, a GET, a list): besides temporary
    /// errors, a reply that broke the protocol (a proxy's page in place of the server's) is
    /// worth asking again, since asking twice costs nothing. A write's garbled reply is not
    /// retried blindly; its caller asks the server what happened instead.
    pub async fn run_question<T, F, Fut>(
        &self,
        clock: &dyn Clock,
        rng: &mut fastrand::Rng,
        waiting: &(dyn Fn(Wait<'_>) + Sync),
        op: F,
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.run_judged(
            clock,
            rng,
            |e| e.is_temporary() || e.kind() == crate::ErrorKind::Protocol,
            waiting,
            op,
        )
        .await
    }

    async fn run_judged<T, F, Fut>(
        &self,
        clock: &dyn Clock,
        rng: &mut fastrand::Rng,
        retryable: fn(&Error) -> bool,
        waiting: &(dyn Fn(Wait<'_>) + Sync),
        mut op: F,
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 1;
        loop {
            match op(attempt).await {
                Ok(value) => return Ok(value),
                Err(err) => match self.delay_if(attempt, &err, rng.f64(), retryable(&err)) {
                    Some(delay) => {
                        tracing::debug!(attempt, ?delay, error = %err, "retrying");
                        waiting(Wait {
                            failed_attempt: attempt,
                            attempts: self.max_attempts,
                            delay,
                            error: &err,
                        });
                        clock.sleep(delay).await;
                        attempt += 1;
                    }
                    None if retryable(&err) => {
                        return Err(err.note(format!(
                            "gave up after {attempt} attempts; check the connection, then retry"
                        )));
                    }
                    None => return Err(err),
                },
            }
        }
    }
}

/// A wait before trying again: which attempt failed, of how many, how long until the next, and
/// why.
#[derive(Debug, Clone, Copy)]
pub struct Wait<'a> {
    pub failed_attempt: u32,
    pub attempts: u32,
    pub delay: Duration,
    pub error: &'a Error,
}

/// Parse an HTTP `Retry-After` value: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let now = chrono::DateTime::<chrono::Utc>::from(now);
    (when.with_timezone(&chrono::Utc) - now)
        .to_std()
        .ok()
        .or(Some(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::clock::ManualClock;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn backoff_table() {
        let server = Error::new(ErrorKind::Server, "503");
        let p = policy();
        // (attempt, unit draw, expected delay)
        let cases = [
            (1, 1.0, Some(1_000)),
            (2, 1.0, Some(2_000)),
            (3, 1.0, Some(4_000)),
            (4, 1.0, Some(5_000)), // capped
            (4, 0.5, Some(2_500)), // jitter scales within the cap
            (2, 0.0, Some(0)),
            (5, 1.0, None), // attempts exhausted
        ];
        for (attempt, unit, want) in cases {
            assert_eq!(
                p.delay(attempt, &server, unit)
                    .map(|d| d.as_millis() as u64),
                want,
                "attempt {attempt} unit {unit}"
            );
        }
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        for kind in [
            ErrorKind::Unauthenticated,
            ErrorKind::NotFound,
            ErrorKind::Precondition,
        ] {
            assert_eq!(
                policy().delay(1, &Error::new(kind, "x"), 0.5),
                None,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_floor_and_has_a_ceiling() {
        let p = policy();
        let limited = Error::new(ErrorKind::RateLimited, "429")
            .with_retry_after(Some(Duration::from_secs(7)));
        assert_eq!(p.delay(1, &limited, 0.9), Some(Duration::from_secs(7)));
        let too_long = Error::new(ErrorKind::RateLimited, "429")
            .with_retry_after(Some(Duration::from_secs(3600)));
        assert_eq!(p.delay(1, &too_long, 0.9), None);
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("12", now), Some(Duration::from_secs(12)));
        let date =
            chrono::DateTime::<chrono::Utc>::from(now + Duration::from_secs(30)).to_rfc2822();
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[tokio::test]
    async fn run_sleeps_the_schedule_then_succeeds() {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let mut rng = fastrand::Rng::with_seed(1);
        let mut calls = 0;
        let out = policy()
            .run(&clock, &mut rng, &|_| {}, |attempt| {
                calls += 1;
                async move {
                    if attempt < 3 {
                        Err(Error::new(ErrorKind::RateLimited, "slow down")
                            .with_retry_after(Some(Duration::from_secs(2))))
                    } else {
                        Ok(attempt)
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!(out, 3);
        assert_eq!(calls, 3);
        let slept = clock.slept();
        assert_eq!(slept.len(), 2);
        assert!(
            slept.iter().all(|d| *d >= Duration::from_secs(2)),
            "{slept:?}"
        );
    }

    #[tokio::test]
    async fn run_gives_up_on_permanent_errors_at_once() {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let mut rng = fastrand::Rng::with_seed(1);
        let err = policy()
            .run(&clock, &mut rng, &|_| {}, |_| async {
                Err::<(), _>(Error::new(ErrorKind::Unauthenticated, "bad key"))
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert!(clock.slept().is_empty());
    }

    /// A garbled reply (a protocol error) is asked again when the request was a question, and
    /// never when it was a write; its kind is the same either way.
    #[tokio::test]
    async fn a_garbled_reply_is_asked_again_only_for_a_question() {
        let garbled = || Error::new(ErrorKind::Protocol, "a proxy's page");
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let mut rng = fastrand::Rng::with_seed(1);
        let mut calls = 0;
        let answered = policy()
            .run_question(&clock, &mut rng, &|_| {}, |attempt| {
                calls += 1;
                async move {
                    if attempt < 3 {
                        Err(garbled())
                    } else {
                        Ok(attempt)
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!((answered, calls), (3, 3));
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let err = policy()
            .run(&clock, &mut rng, &|_| {}, |_| async {
                Err::<(), _>(garbled())
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "not relabelled");
        assert!(
            clock.slept().is_empty(),
            "a write is not sent again blindly"
        );
    }
}
