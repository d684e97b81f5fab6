//! What people send through upload requests joins the history: each file that arrived (an
//! object under the request's folder, a video or an image made with its one-time links) becomes
//! a done job of the request's course, named with its sender, once, whoever looks first (the
//! session every few minutes, `ferry request show`, the Requests screen). A request that has
//! ended is closed on the way (its page removed), and followed one more day for uploads that
//! were under way at its end and videos Stream is still preparing.

use super::Engine;
use crate::classify::{FileKind, kind_of};
use crate::destination::Destination;
use crate::events::Event;
use crate::job::{FileSnapshot, NewJob, UploadJob, UploadResult};
use crate::queue::Origin;
use crate::request::{Arrival, Landing, UploadRequest};
use crate::{Error, Result};
use std::path::PathBuf;

/// How long after its end a request is still looked at.
const FOLLOW_AFTER_SECS: i64 = 86_400;

impl Engine {
    /// Look for everything that arrives by itself: live lessons' recordings (with a Stream
    /// account) and what came through upload requests; how many joined the history. Both are
    /// looked at even when one fails (the first failure is returned).
    pub async fn sync_arrivals(&self) -> Result<usize> {
        let live = if self.has_live_lessons() {
            self.sync_live_recordings().await
        } else {
            Ok(0)
        };
        let requests = self.sync_request_arrivals().await;
        Ok(live? + requests?)
    }

    /// Look at every request worth following; returns how many arrivals joined the history.
    pub async fn sync_request_arrivals(&self) -> Result<usize> {
        let now = self.now();
        let mut added = 0;
        let mut first_failure = None;
        for request in self.queue.requests()? {
            let ended = request
                .closed_at
                .unwrap_or(i64::MAX)
                .min(request.spec.expires_at);
            if now > ended + FOLLOW_AFTER_SECS {
                continue;
            }
            let closing = if request.closed_at.is_none() && now >= request.spec.expires_at {
                self.close_request(&request.id).await.map(|_| 0)
            } else {
                Ok(0)
            };
            // One request's failure (its bucket unreachable) does not stop the others'.
            let taken = match closing {
                Ok(_) => self.take_arrivals(&request).await,
                Err(e) => Err(e),
            };
            match taken {
                Ok(n) => added += n,
                Err(e) => {
                    first_failure.get_or_insert(e.context(format!("request {}", request.id)));
                }
            }
        }
        first_failure.map_or(Ok(added), Err)
    }

    /// What arrived through request `id`, oldest first; looking puts new arrivals in the
    /// history.
    pub async fn request_arrivals(&self, id: &str) -> Result<Vec<UploadJob>> {
        let mut request = self.request(id)?;
        if request.closed_at.is_none() && self.now() >= request.spec.expires_at {
            request = self.close_request(id).await?;
        }
        self.take_arrivals(&request).await?;
        self.queue.request_jobs(id)
    }

    /// Put what arrived through `request` and is not in the history yet there; how many.
    async fn take_arrivals(&self, request: &UploadRequest) -> Result<usize> {
        let known = self.queue.arrived(Origin::Request {
            id: &request.id,
            sender: None,
        })?;
        let (dest, arrivals) = self.arrivals_of(request, &known).await?;
        let mut added = 0;
        for a in arrivals
            .into_iter()
            .filter(|a| (a.ready || a.refused.is_some()) && !known.contains(&a.remote_id))
        {
            let result = self.arrival_result(&dest, &a).await?;
            let job = new_job(request, &dest, &a);
            let Some(id) = self.queue.add_arrival(
                &job,
                &result,
                Origin::Request {
                    id: &request.id,
                    sender: a.sender.as_deref(),
                },
                self.now(),
            )?
            else {
                continue;
            };
            added += 1;
            if let Some(why) = &a.refused {
                // The service took the file, then refused it: a failed job saying why, with
                // its remote copy's id so it can be deleted; never sent again (no local file).
                let error = Error::new(
                    crate::ErrorKind::UnsupportedType,
                    format!(
                        "{}'s {} was refused by {}: {why}; ask them to send a shorter or other file",
                        a.sender.as_deref().unwrap_or("Someone"),
                        a.file_name,
                        dest.name()
                    ),
                );
                self.queue.finish_failed(id, &error, self.now())?;
                self.emit(Event::Failed {
                    id,
                    code: error.kind().code(),
                    message: error.to_string(),
                });
                continue;
            }
            self.emit(Event::Done {
                id,
                result,
                duplicate_of: None,
            });
            self.emit(Event::Arrived {
                id,
                sender: a.sender.clone(),
                file: a.file_name.clone(),
                request: request.spec.title.clone(),
            });
        }
        Ok(added)
    }

    /// The landing's destination, and what its service lists for `request` (objects not in
    /// `known` get their sender read).
    async fn arrivals_of(
        &self,
        request: &UploadRequest,
        known: &std::collections::HashSet<String>,
    ) -> Result<(Destination, Vec<Arrival>)> {
        Ok(match &request.spec.landing {
            Landing::Objects {
                destination,
                prefix,
            } => {
                let dest = self.destination(destination)?;
                let Destination::Objects(store) = &dest else {
                    return Err(Error::input(format!("{destination} is not a bucket")));
                };
                let mut out = Vec::new();
                let folder = format!("{}/", prefix.trim_matches('/'));
                for (key, size) in store.list_under(&folder).await? {
                    // Ferry's own test upload, removed at once, may be listed in between.
                    if known.contains(&key) || key.contains(".ferry-check-") {
                        continue;
                    }
                    let label = store.label_of(&key).await?;
                    let file_name = label
                        .file_name
                        .unwrap_or_else(|| key.rsplit('/').next().unwrap_or(&key).to_string());
                    let refused = if size > request.spec.max_bytes {
                        // A PUT link cannot bound the size (its signature covers none): what
                        // came over the request's limit is taken out of the bucket.
                        store.delete(&key).await?;
                        Some(format!(
                            "it was {}, more than the {} this request takes; Ferry removed it from the bucket",
                            crate::prepare::fit::size_words(size),
                            crate::prepare::fit::size_words(request.spec.max_bytes)
                        ))
                    } else {
                        None
                    };
                    out.push(Arrival {
                        content_type: label
                            .content_type
                            .filter(|t| !t.is_empty() && t != "application/octet-stream")
                            .or_else(|| {
                                mime_guess::from_path(&file_name)
                                    .first_raw()
                                    .map(str::to_string)
                            }),
                        remote_id: key,
                        file_name,
                        sender: label.sender,
                        size,
                        ready: true,
                        refused,
                        links: Default::default(),
                    });
                }
                (dest, out)
            }
            Landing::Videos { .. } => {
                let dest = self.destination(crate::provider::STREAM)?;
                let Destination::Videos(store) = &dest else {
                    return Err(Error::config("videos for a request go to Stream"));
                };
                let sent = store.sent_by(&request.creator()).await?;
                (dest, sent)
            }
            Landing::Images => {
                let dest = self.destination(crate::provider::IMAGES)?;
                let Destination::Images(store) = &dest else {
                    return Err(Error::config(
                        "images for a request go to Cloudflare Images",
                    ));
                };
                let sent = store.sent_by(&request.creator()).await?;
                (dest, sent)
            }
        })
    }

    /// The links an arrival keeps: a bucket's plain link when it is public (a private one's
    /// are signed when asked for), a video's player links (plain only when it is public), an
    /// image's variants.
    async fn arrival_result(&self, dest: &Destination, a: &Arrival) -> Result<UploadResult> {
        let url = match dest {
            Destination::Objects(_) if dest.is_public() => {
                Some(dest.url(&a.remote_id, self.settings.link_expiry()).await?)
            }
            Destination::Objects(_) => None,
            Destination::Videos(_) => None,
            Destination::Images(_) if dest.is_public() => a
                .links
                .get("public")
                .or_else(|| a.links.values().next())
                .cloned(),
            Destination::Images(_) => None,
        };
        Ok(UploadResult {
            remote_id: a.remote_id.clone(),
            url,
            links: a.links.clone(),
        })
    }
}

/// The done job an arrival becomes.
fn new_job(request: &UploadRequest, dest: &Destination, a: &Arrival) -> NewJob {
    let kind = match &request.spec.landing {
        Landing::Videos { .. } => FileKind::Video,
        Landing::Images => FileKind::Image,
        Landing::Objects { .. } => a.content_type.as_deref().map_or(FileKind::Other, kind_of),
    };
    NewJob {
        batch: format!("request-{}", request.id),
        file: FileSnapshot {
            path: PathBuf::new(),
            size: a.size,
            mtime_ns: 0,
            hash: format!("{}:{}", dest.name(), a.remote_id),
        },
        display_name: a.file_name.clone(),
        kind,
        content_type: a
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into()),
        destination: dest.name().to_string(),
        target: dest.target(),
        key: a.remote_id.clone(),
        force: false,
        overwrite: false,
        inline: false,
        course: request.spec.course.clone(),
        captions: Vec::new(),
    }
}
