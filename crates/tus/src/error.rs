//! tus failures and what to do about each one. [`decide`] is the single place that says whether
//! a failure is worth retrying, needs the server's offset first, or means starting over.

use reqwest::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum TusError {
    /// The request never got a reply: connection refused or reset, timeout, DNS.
    #[error("network error: {0}")]
    Network(String),
    /// The server has no such upload any more (404, 410, or 403 on HEAD): it expired or was
    /// terminated.
    #[error("the server no longer has this upload (HTTP {0})")]
    Gone(u16),
    /// The offset we sent is not the server's (409).
    #[error("the server's offset differs from ours (HTTP 409)")]
    OffsetMismatch,
    /// Any other reply we did not want.
    #[error("HTTP {status}: {body}")]
    Status {
        status: u16,
        body: String,
        /// `Retry-After`, in seconds, when the server sent one.
        retry_after: Option<u64>,
    },
    /// A reply that breaks the protocol (a missing `Location`, a non-numeric offset…).
    #[error("the server broke the tus protocol: {0}")]
    Protocol(String),
    /// Reading the local file failed.
    #[error("reading the file failed: {0}")]
    File(#[from] std::io::Error),
}

/// What the caller should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send the same request again after a backoff.
    Retry,
    /// Ask the server for its offset (HEAD), then continue from there.
    Reconcile,
    /// The upload is gone: create a new one (and tell the user).
    Restart,
    /// Nothing a retry can fix.
    Fail,
}

/// The retry rule: network errors, 5xx, 408 and 429 retry, and so does a success without what
/// tus requires (a proxy's page in place of the server's reply; asking again costs at most an
/// empty upload the server expires); 409 reconciles; a vanished upload starts again; other
/// 4xx fail; a reply that breaks the protocol reconciles.
pub fn decide(err: &TusError) -> Decision {
    match err {
        TusError::Network(_) => Decision::Retry,
        TusError::OffsetMismatch => Decision::Reconcile,
        TusError::Gone(_) => Decision::Restart,
        TusError::Status { status, .. } => {
            let s = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if s.is_server_error()
                || s.is_success()
                || s == StatusCode::TOO_MANY_REQUESTS
                || s == StatusCode::REQUEST_TIMEOUT
            {
                Decision::Retry
            } else {
                Decision::Fail
            }
        }
        // A garbled reply may be a proxy hiccup; the offset on the server tells the truth.
        TusError::Protocol(_) => Decision::Reconcile,
        TusError::File(_) => Decision::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> TusError {
        TusError::Status {
            status: code,
            body: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn the_retry_rule() {
        assert_eq!(decide(&TusError::Network("reset".into())), Decision::Retry);
        assert_eq!(decide(&status(500)), Decision::Retry);
        assert_eq!(decide(&status(503)), Decision::Retry);
        assert_eq!(decide(&status(429)), Decision::Retry);
        assert_eq!(decide(&status(408)), Decision::Retry);
        assert_eq!(decide(&status(200)), Decision::Retry, "a proxy's page");
        assert_eq!(decide(&TusError::OffsetMismatch), Decision::Reconcile);
        assert_eq!(decide(&TusError::Gone(404)), Decision::Restart);
        assert_eq!(decide(&TusError::Gone(410)), Decision::Restart);
        assert_eq!(decide(&status(400)), Decision::Fail);
        assert_eq!(decide(&status(401)), Decision::Fail);
        assert_eq!(decide(&status(403)), Decision::Fail);
        assert_eq!(decide(&status(413)), Decision::Fail);
        assert_eq!(
            decide(&TusError::File(std::io::Error::other("x"))),
            Decision::Fail
        );
    }
}
