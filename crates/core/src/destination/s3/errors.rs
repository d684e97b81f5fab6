//! The one place where S3 SDK errors become [`crate::Error`]s.
//!
//! The mapping reads the HTTP status and the S3 error code, keeps a server's `Retry-After`, and
//! writes messages that say what to check (keys, bucket name, the computer's clock).

use crate::retry::parse_retry_after;
use crate::{Error, ErrorKind};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// Describe an SDK failure of `what` (e.g. "uploading part 3") against destination `dest`; the
/// SDK's error stays attached as the source.
pub fn map<E>(err: SdkError<E, HttpResponse>, at: &Where<'_>, what: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    describe(&err, at, what).with_source(err)
}

/// The destination an error happened at, as messages name it: its name, its bucket, and its
/// keys as the user set them (the variables, or the Ferry account that holds them).
#[derive(Debug, Clone, Copy)]
pub struct Where<'a> {
    pub dest: &'a str,
    pub bucket: &'a str,
    pub keys: &'a str,
}

fn describe<E>(err: &SdkError<E, HttpResponse>, at: &Where<'_>, what: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let dest = at.dest;
    match err {
        SdkError::ConstructionFailure(_) => Error::config(format!(
            "{dest}: could not build the request for {what}: {}",
            source_chain(err)
        )),
        SdkError::TimeoutError(_) => Error::new(
            ErrorKind::Timeout,
            format!("{dest}: the server did not answer in time while {what}"),
        ),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Network
            };
            if failure.is_user() {
                return Error::new(
                    ErrorKind::Io,
                    format!(
                        "{dest}: reading the file failed while {what}: {}",
                        source_chain(err)
                    ),
                );
            }
            Error::new(
                kind,
                format!(
                    "{dest}: could not reach the server while {what} ({})",
                    source_chain(err)
                ),
            )
        }
        SdkError::ResponseError(_) => Error::new(
            ErrorKind::Network,
            format!(
                "{dest}: the server's reply was cut off or malformed while {what} ({})",
                source_chain(err)
            ),
        ),
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let retry_after = service
                .raw()
                .headers()
                .get("retry-after")
                .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
            let code = service.err().code().unwrap_or("");
            let server_message = service.err().message().unwrap_or("");
            // A refusal with no error code (a HEAD has no body) may still be the clock: the
            // server's Date header tells, and saying so beats "HTTP 400".
            if matches!(status, 400 | 403) && code.is_empty() {
                let date = service.raw().headers().get("date");
                if let Some(off) = date.and_then(|d| clock_offset(d, std::time::SystemTime::now()))
                {
                    return skewed(dest, off);
                }
            }
            from_status(status, code, server_message, at, what).with_retry_after(retry_after)
        }
        _ => Error::new(
            ErrorKind::Network,
            format!("{dest}: {what} failed: {}", source_chain(err)),
        ),
    }
}

/// SigV4 requests more than 15 minutes off the server's clock are refused.
const MAX_SKEW_SECS: i64 = 15 * 60;

/// How far this computer's clock is from the server's `Date` (seconds, positive when ours is
/// ahead), if more than S3 tolerates.
fn clock_offset(date: &str, now: std::time::SystemTime) -> Option<i64> {
    let server = chrono::DateTime::parse_from_rfc2822(date.trim()).ok()?;
    let ours = chrono::DateTime::<chrono::Utc>::from(now);
    let off = (ours - server.with_timezone(&chrono::Utc)).num_seconds();
    (off.abs() > MAX_SKEW_SECS).then_some(off)
}

fn skewed(dest: &str, off: i64) -> Error {
    let (amount, way) = (
        off.unsigned_abs(),
        if off > 0 { "ahead of" } else { "behind" },
    );
    let amount = if amount >= 3600 {
        format!("{:.1} hours", amount as f64 / 3600.0)
    } else {
        format!("{} minutes", amount / 60)
    };
    Error::new(
        ErrorKind::Unauthenticated,
        format!(
            "{dest}: the server refused the request because this computer's clock is {amount} {way} the server's; set the clock right (turn on automatic time) and retry"
        ),
    )
}

/// Map an HTTP status and S3 error code. Also used for errors embedded in a 200 reply.
pub fn from_status(
    status: u16,
    code: &str,
    server_message: &str,
    at: &Where<'_>,
    what: &str,
) -> Error {
    let (dest, bucket) = (at.dest, at.bucket);
    let detail = match (code, server_message) {
        ("", "") => format!("HTTP {status}"),
        (code, "") => format!("HTTP {status} {code}"),
        (code, message) => format!("HTTP {status} {code}: {message}"),
    };
    let (kind, message) = match (status, code) {
        (_, "RequestTimeTooSkewed") => (
            ErrorKind::Unauthenticated,
            format!(
                "{dest}: the server refused the request because this computer's clock is off; set the clock right (automatic time) and retry"
            ),
        ),
        (_, "ExpiredToken" | "TokenRefreshRequired") => (
            ErrorKind::Unauthenticated,
            format!("{dest}: the credentials have expired; create new keys and update them"),
        ),
        (
            _,
            "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "InvalidToken"
            | "AuthorizationHeaderMalformed",
        )
        | (401, _) => (
            ErrorKind::Unauthenticated,
            format!(
                "{dest}: the access key or secret key was refused ({detail}); check {}",
                at.keys
            ),
        ),
        (_, "NoSuchBucket") => (
            ErrorKind::NotFound,
            format!(
                "{dest}: bucket {bucket:?} does not exist; check the bucket name (and the endpoint or region)"
            ),
        ),
        (_, "AccessDenied" | "AllAccessDisabled") | (403, _) => (
            ErrorKind::PermissionDenied,
            format!(
                "{dest}: access denied to bucket {bucket:?} while {what}; the keys need read and write permission on it"
            ),
        ),
        (_, "NoSuchUpload") => (
            ErrorKind::UploadLost,
            format!(
                "{dest}: the server no longer has the unfinished multipart upload (it was aborted, or expired) while {what}"
            ),
        ),
        (_, "InvalidPart") => (
            ErrorKind::UploadLost,
            format!(
                "{dest}: the server cannot assemble the parts it had confirmed (InvalidPart: one is missing or damaged on its side) while {what}"
            ),
        ),
        (_, "InvalidBucketName") => (
            ErrorKind::InvalidConfig,
            format!(
                "{dest}: {bucket:?} is not a valid bucket name (3 to 63 lower-case letters, digits, dots and hyphens); correct the bucket in the account"
            ),
        ),
        (501, _) | (_, "NotImplemented") => (
            ErrorKind::NotSupported,
            format!("{dest}: the server does not support {what} ({detail})"),
        ),
        (404, _) | (_, "NoSuchKey" | "NotFound") => (
            ErrorKind::NotFound,
            format!("{dest}: not found while {what}"),
        ),
        (412, _) | (_, "PreconditionFailed") => (
            ErrorKind::Precondition,
            format!("{dest}: an object already exists at that key; it was not overwritten"),
        ),
        (_, "EntityTooLarge") | (413, _) => (
            ErrorKind::TooLarge,
            format!("{dest}: the file is larger than the server accepts ({detail})"),
        ),
        (429, _) | (_, "SlowDown" | "TooManyRequests") => (
            ErrorKind::RateLimited,
            format!("{dest}: the server asked to slow down while {what}"),
        ),
        (200..=299, "") => (
            ErrorKind::Network,
            format!(
                "{dest}: the server's reply was malformed while {what} (HTTP {status} with a body that is not S3 XML)"
            ),
        ),
        (s, _) if s >= 500 || matches!(code, "InternalError" | "ServiceUnavailable") => (
            ErrorKind::Server,
            format!("{dest}: the server failed while {what} ({detail})"),
        ),
        _ => (
            ErrorKind::Protocol,
            format!("{dest}: the server refused {what} ({detail})"),
        ),
    };
    Error::new(kind, message)
}

fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const R2_BUCKET: Where<'static> = Where {
        dest: "r2",
        bucket: "bucket",
        keys: "the keys of account school (Accounts)",
    };

    #[test]
    fn the_sdks_error_is_kept_as_the_source() {
        let err: SdkError<aws_sdk_s3::operation::head_object::HeadObjectError, HttpResponse> =
            SdkError::timeout_error("no reply within 30 s");
        let mapped = map(err, &R2_BUCKET, "checking the object");
        assert_eq!(mapped.kind(), ErrorKind::Timeout);
        assert!(std::error::Error::source(&mapped).is_some());
        assert!(format!("{mapped:?}").contains("source"), "{mapped:?}");
    }

    #[test]
    fn status_table() {
        let cases = [
            (
                403,
                "InvalidAccessKeyId",
                ErrorKind::Unauthenticated,
                "check the keys",
            ),
            (
                403,
                "SignatureDoesNotMatch",
                ErrorKind::Unauthenticated,
                "check the keys",
            ),
            (
                403,
                "RequestTimeTooSkewed",
                ErrorKind::Unauthenticated,
                "clock",
            ),
            (400, "ExpiredToken", ErrorKind::Unauthenticated, "expired"),
            (
                403,
                "AccessDenied",
                ErrorKind::PermissionDenied,
                "permission",
            ),
            (404, "NoSuchBucket", ErrorKind::NotFound, "does not exist"),
            (
                412,
                "PreconditionFailed",
                ErrorKind::Precondition,
                "not overwritten",
            ),
            (429, "", ErrorKind::RateLimited, "slow down"),
            (503, "SlowDown", ErrorKind::RateLimited, "slow down"),
            (500, "InternalError", ErrorKind::Server, "HTTP 500"),
            (200, "InternalError", ErrorKind::Server, "server failed"),
            (200, "", ErrorKind::Network, "malformed"),
            (400, "InvalidPart", ErrorKind::UploadLost, "cannot assemble"),
            (
                400,
                "InvalidBucketName",
                ErrorKind::InvalidConfig,
                "not a valid bucket name",
            ),
            (
                501,
                "NotImplemented",
                ErrorKind::NotSupported,
                "does not support",
            ),
            (501, "", ErrorKind::NotSupported, "does not support"),
            (404, "NoSuchUpload", ErrorKind::UploadLost, "no longer has"),
            (400, "InvalidPartOrder", ErrorKind::Protocol, "refused"),
        ];
        for (status, code, kind, phrase) in cases {
            let err = from_status(status, code, "", &R2_BUCKET, "uploading");
            assert_eq!(err.kind(), kind, "{status} {code}");
            assert!(err.message().contains(phrase), "{status} {code}: {err}");
        }
    }

    #[test]
    fn a_clock_far_from_the_servers_is_named_with_the_offset() {
        use std::time::{Duration, UNIX_EPOCH};
        // Tue, 01 Dec 2026 10:00:00 GMT
        let server = "Tue, 01 Dec 2026 10:00:00 GMT";
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(1_796_119_200 + secs);
        assert_eq!(clock_offset(server, at(0)), None);
        assert_eq!(clock_offset(server, at(14 * 60)), None);
        let behind = 1_796_119_200 - 2 * 3600;
        let off = clock_offset(server, UNIX_EPOCH + Duration::from_secs(behind)).unwrap();
        assert_eq!(off, -7200);
        let msg = skewed("s3", off).to_string();
        assert!(msg.contains("2.0 hours behind"), "{msg}");
        assert!(
            skewed("r2", 1200)
                .to_string()
                .contains("20 minutes ahead of")
        );
        assert_eq!(clock_offset("not a date", at(0)), None);
    }
}
