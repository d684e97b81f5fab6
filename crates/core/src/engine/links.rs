//! Finding a job and the links it hands back: its delivery URL, a fresh signed link, or the
//! text to paste in each format. A link is given only for a finished upload.

use super::Engine;
use crate::destination::Destination;
use crate::job::{JobId, JobState, UploadJob};
use crate::{Error, ErrorKind, Result};
use std::path::Path;
use std::time::Duration;

impl Engine {
    /// A job by id, or the latest done job for a local path.
    pub fn find(&self, target: &str) -> Result<UploadJob> {
        if let Ok(n) = target.parse::<i64>()
            && let Some(job) = self.queue.get(JobId(n))?
        {
            return Ok(job);
        }
        let path = Path::new(target);
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.queue.latest_done_for_path(&absolute)?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("{target}: no job with that number and no finished upload of that file; see `ferry status`"))
        })
    }

    /// The delivery URL of a done job. `expires` asks for a link that stops working after that
    /// long: only a private destination can give one, and no longer than it allows; a public
    /// destination is refused rather than handing back a permanent link under an expiring
    /// label. Without `expires`, a private destination's link lasts the configured lifetime
    /// (within what it allows).
    pub async fn url(&self, job: &UploadJob, expires: Option<Duration>) -> Result<String> {
        if job.state != JobState::Done {
            return Err(Error::new(
                ErrorKind::Precondition,
                format!(
                    "{}: not uploaded yet (state: {}); run `ferry resume` first",
                    job.file.path.display(),
                    job.state.as_str()
                ),
            ));
        }
        let key = job
            .result
            .as_ref()
            .map(|r| r.remote_id.clone())
            .unwrap_or_else(|| job.key.clone());
        let dest = self.destinations.get(&job.destination);
        if let Some(asked) = expires {
            let dest = dest.ok_or_else(|| {
                Error::config(format!(
                    "destination {:?} is not configured, so no link can be signed",
                    job.destination
                ))
            })?;
            check_lifetime(job, &dest, asked)?;
            return dest.url(&key, asked).await;
        }
        match dest {
            Some(dest) if !dest.is_public() => {
                let lifetime = self.settings.link_expiry().min(dest.max_link_lifetime());
                dest.url(&key, lifetime).await
            }
            Some(dest @ Destination::Videos(_))
                if job.result.as_ref().is_none_or(|r| r.url.is_none()) =>
            {
                dest.url(&key, self.settings.link_expiry()).await
            }
            _ => job
                .result
                .as_ref()
                .and_then(|r| r.url.clone())
                .ok_or_else(|| {
                    Error::config(format!(
                        "destination {:?} is not configured, so no link can be signed",
                        job.destination
                    ))
                }),
        }
    }

    /// The link to paste for a done job, in `format`; `expires` asks for a signed link of that
    /// lifetime. Only Stream videos have a player to embed.
    pub async fn link(
        &self,
        job: &UploadJob,
        format: crate::urlfmt::UrlFormat,
        expires: Option<Duration>,
    ) -> Result<String> {
        use crate::urlfmt::{UrlFormat, format_url};
        let url = match format {
            UrlFormat::Iframe => {
                if job.state != JobState::Done {
                    return self.url(job, expires).await;
                }
                job.result
                    .as_ref()
                    .and_then(|r| r.links.get("iframe").cloned())
                    .ok_or_else(|| {
                        Error::input(format!(
                            "{}: only Stream videos have an embeddable player; copy the HTML link instead",
                            job.display_name
                        ))
                    })?
            }
            _ => self.url(job, expires).await?,
        };
        Ok(format_url(&url, &job.display_name, job.kind, format))
    }
}

/// Whether `dest` can give `job` a link that stops working after `asked`.
fn check_lifetime(job: &UploadJob, dest: &Destination, asked: Duration) -> Result<()> {
    if dest.is_public() {
        return Err(Error::new(
            ErrorKind::Precondition,
            format!(
                "{}: {} gives public links, which never expire, so no expiring link can be made; copy the plain link, or keep files you share for a limited time in a private destination (a bucket without a public URL, or Images/Stream with signed links)",
                job.display_name, job.destination
            ),
        ));
    }
    let max = dest.max_link_lifetime();
    if asked > max || asked.is_zero() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{}: a link from {} can last from 1 second to {}; choose a lifetime in that range",
                job.display_name,
                job.destination,
                describe(max)
            ),
        ));
    }
    Ok(())
}

/// `7 days`, `24 hours`, `90 minutes`.
fn describe(d: Duration) -> String {
    let secs = d.as_secs();
    if secs.is_multiple_of(86_400) && secs >= 2 * 86_400 {
        format!("{} days", secs / 86_400)
    } else if secs.is_multiple_of(3600) {
        format!("{} hours", secs / 3600)
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}
