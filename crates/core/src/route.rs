//! Routing: which destination each file goes to, as data evaluated in order (seed 000's table).
//! Images go to the image destination when one is configured and the image fits its limits,
//! videos to the video destination, everything else (and images that do not fit, by setting)
//! to the default object store. A file given an explicit destination that cannot take it is
//! refused with the reason.

use crate::classify::FileKind;
use crate::destination::{Destination, Destinations};
use crate::imagecheck;
use crate::{Error, ErrorKind, Result};
use std::path::Path;

/// What routing needs to know about a file.
pub struct RouteInput<'a> {
    pub path: &'a Path,
    pub kind: FileKind,
    pub content_type: &'a str,
    pub size: u64,
}

pub struct Routing<'a> {
    pub destinations: &'a Destinations,
    /// The object store for everything else (`r2`, `s3`…), if any is configured.
    pub objects: Option<String>,
    pub images: Option<String>,
    pub videos: Option<String>,
    /// Images that do not fit the image destination go to `objects` instead of failing.
    pub oversize_to_objects: bool,
}

impl Routing<'_> {
    /// The destination for a file when the user named none, and a note when the file goes
    /// somewhere other than its kind's usual place (an image over the Images limits).
    pub fn choose(&self, file: &RouteInput<'_>) -> Result<(String, Option<String>)> {
        let mut note = None;
        if file.kind == FileKind::Image
            && let Some(images) = &self.images
        {
            match self.accepts(images, file) {
                Ok(()) => return Ok((images.clone(), None)),
                Err(e) if self.oversize_to_objects && self.objects.is_some() => {
                    note = Some(format!(
                        "{} (sent to {} instead)",
                        e.message(),
                        self.objects.as_deref().unwrap_or_default()
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        if file.kind == FileKind::Video
            && let Some(videos) = &self.videos
        {
            return Ok((videos.clone(), None));
        }
        let objects = self.objects.clone().ok_or_else(|| {
            Error::config(format!(
                "{}: no destination takes {} files; configure R2 (CLOUDFLARE_R2_* variables) or S3",
                file.path.display(),
                file.kind.as_str()
            ))
        })?;
        Ok((objects, note))
    }

    /// Whether destination `name` can take the file.
    pub fn accepts(&self, name: &str, file: &RouteInput<'_>) -> Result<()> {
        match self.destinations.get(name) {
            Some(Destination::Images(d)) => {
                if file.kind != FileKind::Image {
                    return Err(Error::new(
                        ErrorKind::UnsupportedType,
                        format!(
                            "{}: {name} takes images and this is a {} file; send it to R2 or S3",
                            file.path.display(),
                            file.kind.as_str()
                        ),
                    ));
                }
                imagecheck::check(file.path, file.content_type, file.size, &d.limits())
            }
            Some(Destination::Videos(d)) => {
                if d.videos_only() && file.kind != FileKind::Video {
                    return Err(Error::new(
                        ErrorKind::UnsupportedType,
                        format!(
                            "{}: {name} takes videos and this is a {} file; send it to R2 or S3",
                            file.path.display(),
                            file.kind.as_str()
                        ),
                    ));
                }
                if file.size > d.max_size() {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!(
                            "{}: {} bytes is over the {} bytes {name} accepts",
                            file.path.display(),
                            file.size,
                            d.max_size()
                        ),
                    ));
                }
                Ok(())
            }
            Some(Destination::Objects(_)) => Ok(()),
            None => Err(Error::config(format!(
                "destination {name:?} is not configured"
            ))),
        }
    }
}
