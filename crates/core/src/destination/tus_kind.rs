//! The one tus retry rule, as the engine's error kinds: [`ferry_tus::decide`] says what a tus
//! failure calls for, and [`kind_of`] gives the kind that makes the scheduler do exactly that
//! (a kind is temporary exactly when `decide` says retry). Both tus destinations (Stream and
//! any tus server) map their failures through it, so they cannot disagree.

use crate::ErrorKind;
use ferry_tus::{Decision, TusError, decide};

/// The engine's kind for a tus failure.
pub(crate) fn kind_of(err: &TusError) -> ErrorKind {
    match (decide(err), err) {
        (_, TusError::File(_)) => ErrorKind::Io,
        (Decision::Restart, _) => ErrorKind::NotFound,
        (Decision::Reconcile, TusError::OffsetMismatch) => ErrorKind::Precondition,
        (Decision::Reconcile, _) => ErrorKind::Protocol,
        (Decision::Retry, TusError::Network(_)) => ErrorKind::Network,
        (Decision::Retry, TusError::Status { status: 429, .. }) => ErrorKind::RateLimited,
        (Decision::Retry, TusError::Status { status: 408, .. }) => ErrorKind::Timeout,
        (Decision::Retry, _) => ErrorKind::Server,
        (Decision::Fail, TusError::Status { status: 401, .. }) => ErrorKind::Unauthenticated,
        (Decision::Fail, TusError::Status { status: 403, .. }) => ErrorKind::PermissionDenied,
        (Decision::Fail, TusError::Status { status: 413, .. }) => ErrorKind::TooLarge,
        (Decision::Fail, TusError::Status { status: 415, .. }) => ErrorKind::UnsupportedType,
        (Decision::Fail, _) => ErrorKind::InvalidInput,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every status a tus server may answer: the kind is temporary exactly when the rule says
    /// retry.
    #[test]
    fn the_kind_follows_the_one_rule() {
        let mut errors = vec![
            TusError::Network("reset".into()),
            TusError::Gone(404),
            TusError::Gone(410),
            TusError::OffsetMismatch,
            TusError::Protocol("no Upload-Offset".into()),
            TusError::File(std::io::Error::other("gone")),
        ];
        for status in (200..=599).step_by(1) {
            errors.push(TusError::Status {
                status,
                body: String::new(),
                retry_after: None,
            });
        }
        for err in &errors {
            assert_eq!(
                kind_of(err).is_temporary(),
                decide(err) == Decision::Retry,
                "{err:?}"
            );
        }
    }
}
