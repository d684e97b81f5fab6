//! The image flow (Cloudflare Images): checked against the destination's limits first, then
//! sent in one form upload under a custom id from the key template (a numbered variant when the
//! id is taken by other content). Sending is marked in the queue first, so that after a crash
//! the image is looked for (by id, or by content hash for private images) instead of sent twice.

use super::{Inner, Outcome, Progress};
use crate::destination::{FileRange, ImageSpec, ImageStore, StoredImage};
use crate::job::{ResumeState, UploadJob, UploadResult};
use crate::keys::numbered_variant;
use crate::{Error, ErrorKind, Result};
use crate::{fileinfo, imagecheck};
use std::sync::atomic::Ordering;

impl Inner {
    pub(super) async fn upload_image(
        &self,
        job: &UploadJob,
        dest: &dyn ImageStore,
        progress: &Progress,
    ) -> Result<Outcome> {
        let mut job = job.clone();
        if self.must_take_new_version(&job)? {
            job = self.take_new_version(job).await?;
        }
        let checked = imagecheck::check(
            &job.file.path,
            &job.content_type,
            job.file.size,
            &dest.limits(),
        );
        match checked {
            Ok(()) => self.send_image(job, dest, progress).await,
            Err(e) if e.kind() == ErrorKind::TooLarge && self.may_fit(&job)? => {
                let fitted = self.fitted_copy(&job, &dest.limits()).await?;
                let path = fitted.file.path.clone();
                let sent = self.send_image(fitted, dest, progress).await;
                // The copy is only for this upload; a crash before here leaves it to the next
                // run of this job, which makes it again under the same name.
                let _ = std::fs::remove_file(&path);
                sent
            }
            Err(e) => Err(e),
        }
    }

    /// Send `job`'s file (the photo, or its fitted copy) to Images.
    async fn send_image(
        &self,
        job: UploadJob,
        dest: &dyn ImageStore,
        progress: &Progress,
    ) -> Result<Outcome> {
        if matches!(job.resume, Some(ResumeState::ImagePost)) && !dest.custom_ids() {
            // A private image has a server-chosen id: look for our content among recent ones.
            if let Some(found) = self.asking(|_| dest.find_by_hash(&job.file.hash)).await? {
                return self.image_done(dest, found).await;
            }
        }
        let id = if dest.custom_ids() {
            match self.free_image_id(&job, dest).await? {
                IdChoice::Free(id) => Some(id),
                IdChoice::Ours(found) => return self.image_done(dest, found).await,
            }
        } else {
            None
        };
        self.queue
            .set_resume(job.id, Some(&ResumeState::ImagePost), self.now())?;
        let spec = ImageSpec {
            id: id.clone(),
            file_name: job.display_name.clone(),
            content_type: job.content_type.clone(),
            hash: job.file.hash.clone(),
        };
        let counter = progress.start_part(1);
        progress.sent_restart();
        let hasher = crate::digest::RangeHasher::shared(0, job.file.size, job.file.size);
        let sent = self
            .retrying(|attempt| {
                counter.store(0, Ordering::Relaxed);
                let body = FileRange::new(&job.file.path, 0, job.file.size, &counter)
                    .paced(&self.pace)
                    .hashed(&hasher)
                    .prepared(&job.patches);
                let (spec, id, hash) = (&spec, &id, job.file.hash.as_str());
                async move {
                    // A failed attempt may have stored the image and lost the reply: look
                    // before sending the bytes again.
                    if attempt > 1
                        && let Some(id) = id
                        && let Some(found) = dest.find(id).await?
                        && found.hash.as_deref() == Some(hash)
                    {
                        return Ok(found);
                    }
                    dest.upload(spec, body).await
                }
            })
            .await;
        progress.end_part(1, sent.as_ref().ok().map(|_| job.file.size));
        let stored = match sent {
            Ok(s) => s,
            Err(err) => {
                fileinfo::ensure_unchanged(&job.file)?;
                // A lost reply to an upload that happened: the image is there, with our hash.
                if let Some(id) = &id
                    && let Ok(Some(found)) = dest.find(id).await
                    && found.hash.as_deref() == Some(job.file.hash.as_str())
                {
                    return self.image_done(dest, found).await;
                }
                return Err(err);
            }
        };
        if let Err(changed) = fileinfo::ensure_unchanged(&job.file) {
            // What was sent may mix versions of the file: take it back.
            let _ = self.retrying(|_| dest.delete(&stored.id)).await;
            return Err(changed);
        }
        progress.sent_range(&hasher);
        if let Some(changed) = self.sent_differs(&job, progress).await? {
            // Rewritten while read: take it back, and keep the new version for a retry (an
            // image is one request; the retry policy decides when to send it again).
            let _ = self.retrying(|_| dest.delete(&stored.id)).await;
            self.take_new_version(job).await?;
            return Err(changed);
        }
        self.image_done(dest, stored).await
    }

    async fn image_done(&self, dest: &dyn ImageStore, image: StoredImage) -> Result<Outcome> {
        // Making the link asks the API for the image's variants: a question, so retried.
        let expiry = self.settings.link_expiry();
        let url = self.asking(|_| dest.url(&image.id, expiry)).await?;
        Ok(Outcome::Done(
            UploadResult {
                remote_id: image.id,
                url: Some(url),
                links: image.variants,
            },
            None,
        ))
    }

    /// The job's key as an image id, or a numbered variant of it when another image holds it.
    async fn free_image_id(&self, job: &UploadJob, dest: &dyn ImageStore) -> Result<IdChoice> {
        for n in 0..1000u32 {
            let id = if n == 0 {
                job.key.clone()
            } else {
                numbered_variant(&job.key, n)
            };
            let found = self.asking(|_| dest.find(&id)).await?;
            if n > 0
                && (found.is_none()
                    || found.as_ref().and_then(|f| f.hash.as_deref())
                        == Some(job.file.hash.as_str()))
            {
                self.queue.set_key(job.id, &id, self.now())?;
            }
            match found {
                None => return Ok(IdChoice::Free(id)),
                Some(f) if f.hash.as_deref() == Some(job.file.hash.as_str()) => {
                    return Ok(IdChoice::Ours(f));
                }
                Some(_) => continue,
            }
        }
        Err(Error::new(
            ErrorKind::Precondition,
            format!("every variant of image id {} is taken", job.key),
        ))
    }
}

enum IdChoice {
    Free(String),
    Ours(StoredImage),
}
