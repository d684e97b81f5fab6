//! Finding a job and the links it hands back: its delivery URL, a fresh signed link, or the
//! text to paste in each format. A link is given only for a finished upload.

use super::Engine;
use crate::destination::Destination;
use crate::job::{JobId, JobState, UploadJob};
use crate::urlfmt::{UrlFormat, format_url};
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

    /// The delivery URL of a done job, and how long it lasts when it expires. `expires` asks
    /// for a link that stops working after that long: only a private destination can give one,
    /// and no longer than it allows; a public destination is refused rather than handing back a
    /// permanent link under an expiring label. Without `expires`, a private destination's link
    /// lasts the configured lifetime (within what it allows).
    async fn delivery_url(
        &self,
        job: &UploadJob,
        expires: Option<Duration>,
    ) -> Result<(String, Option<Duration>)> {
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
            let dest = dest.ok_or_else(|| not_configured(job))?;
            check_lifetime(job, &dest, asked)?;
            return Ok((dest.url(&key, asked).await?, Some(asked)));
        }
        match dest {
            Some(dest) if signed(job, &dest) => {
                let lifetime = self.settings.link_expiry().min(dest.max_link_lifetime());
                Ok((dest.url(&key, lifetime).await?, Some(lifetime)))
            }
            _ => job
                .result
                .as_ref()
                .and_then(|r| r.url.clone())
                .map(|url| (url, None))
                .ok_or_else(|| not_configured(job)),
        }
    }

    /// The ways a done job's link can be pasted: the formats that fit what it is and where it
    /// went, the default first, and whether its links stop working after a while.
    pub fn link_choices(&self, job: &UploadJob) -> LinkChoices {
        let formats = if is_stream_video(job) {
            vec![UrlFormat::Iframe, UrlFormat::Raw, UrlFormat::Markdown]
        } else {
            vec![UrlFormat::Raw, UrlFormat::Html, UrlFormat::Markdown]
        };
        let expiring = self
            .destinations
            .get(&job.destination)
            .is_some_and(|d| signed(job, &d));
        LinkChoices { formats, expiring }
    }

    /// The link to paste for a done job, in `format`; `expires` asks for a signed link of that
    /// lifetime. A Stream video is pasted as its player: its link is the watch page (an HLS
    /// playlist opens in no browser but Safari) and its HTML the player embed, both signed when
    /// the video needs it. Only Stream videos have a player to embed.
    pub async fn link(
        &self,
        job: &UploadJob,
        format: UrlFormat,
        expires: Option<Duration>,
    ) -> Result<Link> {
        let (url, lasts) = self.delivery_url(job, expires).await?;
        let expires_at = lasts.map(|d| self.now() + d.as_secs() as i64);
        let text = if is_stream_video(job) {
            let page = |name: &str| {
                player_page(&url, name)
                    .or_else(|| job.result.as_ref()?.links.get(name).cloned())
                    .unwrap_or_else(|| url.clone())
            };
            match format {
                UrlFormat::Iframe | UrlFormat::Html => format_url(
                    &page("iframe"),
                    &job.display_name,
                    job.kind,
                    UrlFormat::Iframe,
                ),
                UrlFormat::Raw | UrlFormat::Markdown => {
                    format_url(&page("watch"), &job.display_name, job.kind, format)
                }
            }
        } else if format == UrlFormat::Iframe {
            return Err(Error::input(format!(
                "{}: only Stream videos have an embeddable player; copy the link or the HTML instead",
                job.display_name
            )));
        } else {
            format_url(&url, &job.display_name, job.kind, format)
        };
        Ok(Link { text, expires_at })
    }
}

impl Engine {
    /// The links of the done jobs among `ids`, in order, each in its course's link format, else
    /// in `preferred`, where it fits the job and in the job's own default otherwise (a PDF has
    /// no player); other jobs are left out.
    pub async fn links_of(&self, ids: &[JobId], preferred: UrlFormat) -> Result<Vec<Link>> {
        let course_formats: std::collections::HashMap<String, UrlFormat> = self
            .courses()?
            .into_iter()
            .filter_map(|c| c.options.link_format.map(|f| (c.name, f)))
            .collect();
        let mut out = Vec::new();
        for id in ids {
            let Some(job) = self.job(*id)? else { continue };
            if job.state != JobState::Done {
                continue;
            }
            let preferred = job
                .course
                .as_ref()
                .and_then(|c| course_formats.get(c).copied())
                .unwrap_or(preferred);
            let formats = self.link_choices(&job).formats;
            let format = if formats.contains(&preferred) {
                preferred
            } else {
                formats[0]
            };
            out.push(self.link(&job, format, None).await?);
        }
        Ok(out)
    }

    /// A manifest of `jobs` (done ones only) whose links work now: each is made fresh (a signed
    /// one lasts the configured lifetime, and its expiry is written beside it; a Stream video's
    /// is its watch page). A job whose link cannot be made now keeps the one recorded at upload.
    pub async fn manifest(
        &self,
        jobs: &[UploadJob],
        format: crate::manifest::ManifestFormat,
    ) -> String {
        use crate::manifest::{entries, render, rfc3339};
        let mut listed = entries(jobs);
        let by_id: std::collections::HashMap<JobId, &UploadJob> =
            jobs.iter().map(|j| (j.id, j)).collect();
        for entry in &mut listed {
            let Some(job) = by_id.get(&entry.job) else {
                continue;
            };
            match self.link(job, UrlFormat::Raw, None).await {
                Ok(link) => {
                    entry.url = link.text;
                    entry.expires_at = link.expires_at.map(rfc3339);
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "manifest: kept the recorded link")
                }
            }
        }
        render(&listed, format)
    }
}

/// A link ready to paste, and when it stops working (Unix seconds; `None`: it does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub text: String,
    pub expires_at: Option<i64>,
}

/// How a done job's link can be pasted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkChoices {
    /// The formats that fit the job, the default first.
    pub formats: Vec<UrlFormat>,
    /// Its destination is private: every link is signed and stops working after a while.
    pub expiring: bool,
}

/// A Stream video, which has a player (a tus server's video is a plain file).
fn is_stream_video(job: &UploadJob) -> bool {
    job.result
        .as_ref()
        .is_some_and(|r| r.links.contains_key("iframe"))
}

/// Stream's `watch` or `iframe` page beside an HLS playlist URL, keeping its id or its signed
/// token (Cloudflare: a token stands in for the video id in every playback URL).
fn player_page(hls: &str, page: &str) -> Option<String> {
    let base = hls
        .split('?')
        .next()?
        .strip_suffix("/manifest/video.m3u8")?;
    Some(format!("{base}/{page}"))
}

fn not_configured(job: &UploadJob) -> Error {
    Error::config(format!(
        "destination {:?} is not configured, so no link can be signed",
        job.destination
    ))
}

/// Whether `job`'s links are signed each time they are given, and so stop working after a
/// while: its destination is private, or it is a video made private after upload (its stored
/// plain link was dropped then, see `edit_videos`).
fn signed(job: &UploadJob, dest: &Destination) -> bool {
    !dest.is_public()
        || (matches!(dest, Destination::Videos(_))
            && job.result.as_ref().is_none_or(|r| r.url.is_none()))
}

/// Whether `dest` can give `job` a link that stops working after `asked`.
fn check_lifetime(job: &UploadJob, dest: &Destination, asked: Duration) -> Result<()> {
    if !signed(job, dest) {
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

#[cfg(test)]
mod tests {
    use super::player_page;

    #[test]
    fn the_player_sits_beside_the_playlist_with_its_id_or_token() {
        let base = "https://customer-abc.cloudflarestream.com";
        assert_eq!(
            player_page(&format!("{base}/uid123/manifest/video.m3u8"), "iframe").as_deref(),
            Some(&*format!("{base}/uid123/iframe"))
        );
        assert_eq!(
            player_page(
                &format!("{base}/eyJ.tok.en/manifest/video.m3u8?x=1"),
                "watch"
            )
            .as_deref(),
            Some(&*format!("{base}/eyJ.tok.en/watch"))
        );
        assert_eq!(
            player_page(&format!("{base}/uid123/video.mp4"), "watch"),
            None
        );
    }
}
