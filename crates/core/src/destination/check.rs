//! "Test connection" for any destination: for Cloudflare, the token and each product's
//! permission; for object stores, the bucket (and, on request, a put+delete probe); for a tus
//! server, that it answers. Each result is a [`CheckLine`] that names what to fix; a check
//! never changes anything except the probe object, which it deletes again.

use crate::destination::Destination;
use crate::destination::cloudflare::{self, CheckLine, CloudflareConfig};
use crate::provider::STREAM;
use crate::{Error, ErrorKind, Result};

/// How far a check goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Also write a tiny object to the bucket and delete it (object stores only).
    pub write_probe: bool,
}

fn line(what: impl Into<String>, outcome: Result<&str>) -> CheckLine {
    match outcome {
        Ok(detail) => CheckLine {
            what: what.into(),
            ok: true,
            detail: detail.into(),
        },
        Err(e) => CheckLine {
            what: what.into(),
            ok: false,
            detail: e.message().to_string(),
        },
    }
}

/// Which destinations a connection test checks, under what label: each once, except Images
/// and Stream, which share one account and token and are checked together once.
pub(crate) fn checked_once<S: AsRef<str>>(names: &[S]) -> Vec<(String, String)> {
    use crate::provider::IMAGES;
    let mut out = Vec::new();
    let mut cloudflare_done = false;
    for name in names.iter().map(AsRef::as_ref) {
        if name == IMAGES || name == STREAM {
            if cloudflare_done {
                continue;
            }
            cloudflare_done = true;
            out.push((format!("cloudflare ({IMAGES}, {STREAM})"), name.to_string()));
        } else {
            out.push((name.to_string(), name.to_string()));
        }
    }
    out
}

/// Check `dest`. Cloudflare products need the account's `cloudflare` configuration.
pub async fn check(
    dest: &Destination,
    cloudflare: Option<&CloudflareConfig>,
    options: CheckOptions,
) -> Result<Vec<CheckLine>> {
    match dest {
        Destination::Videos(d) if d.name() != STREAM => {
            let probe = format!(
                "{}/ferry-check",
                d.target().trim_start_matches("tus|").trim_end_matches('/')
            );
            // Any definite answer (even "no such upload") proves the server is there.
            let outcome = match d.offset(&probe).await {
                Err(e) if e.is_temporary() && e.kind() != ErrorKind::NotFound => Err(e),
                _ => Ok("the tus server answers"),
            };
            Ok(vec![line(d.target(), outcome)])
        }
        Destination::Images(_) | Destination::Videos(_) => {
            let cf = cloudflare.ok_or_else(|| {
                Error::config("CLOUDFLARE_API_TOKEN is not set and no Cloudflare account is added")
            })?;
            Ok(cloudflare::check_account(cf).await)
        }
        Destination::Objects(d) => {
            let what = format!("bucket ({})", d.target());
            let reached = d.check_bucket().await;
            let ok = reached.is_ok();
            let mut lines = vec![line(
                what.clone(),
                reached.map(|_| "reachable with these keys"),
            )];
            if ok && options.write_probe {
                lines.push(line(
                    format!("write ({})", d.target()),
                    d.probe_write()
                        .await
                        .map(|_| "a probe object was written and deleted"),
                ));
            }
            Ok(lines)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_stream_are_checked_once_and_every_other_destination_on_its_own() {
        let got = checked_once(&["images", "r2", "stream", "tus"]);
        let labels: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["cloudflare (images, stream)", "r2", "tus"]);
        assert_eq!(got[0].1, "images");
    }
}
