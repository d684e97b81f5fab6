//! A bucket's own settings, as front ends change them (`ferry bucket cors|lifecycle`): what
//! is there now, what Ferry proposes (its own rule added or replaced, every other rule kept),
//! and writing the proposal, then reading back what the bucket says. Front ends reach a
//! bucket through [`crate::Engine::bucket`] or an account's
//! [`crate::connection::AccountDestinations::bucket`], never the destination itself.

use crate::destination::bucket::{CorsRule, Lifecycle, check_origin, merge_cors};
use crate::destination::{Destination, ObjectStore};
use crate::{Error, Result};
use std::sync::Arc;

/// One object store's bucket.
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
}

impl Bucket {
    /// The bucket of `dest`, or why `dest` has none.
    pub(crate) fn of(dest: Destination) -> Result<Bucket> {
        match dest {
            Destination::Objects(store) => Ok(Bucket { store }),
            other => Err(Error::input(format!(
                "{} is not a bucket; name r2, s3 or gcs",
                other.name()
            ))),
        }
    }

    /// Where it is, without secrets (`r2|https://…|course-media`).
    pub fn label(&self) -> String {
        self.store.target()
    }

    pub async fn cors(&self) -> Result<Vec<CorsRule>> {
        self.store.cors().await
    }

    /// The CORS rules with Ferry's rule for `origins` added or replaced; every origin checked.
    pub async fn proposed_cors(
        &self,
        origins: &[String],
        allow_upload: bool,
    ) -> Result<(Vec<CorsRule>, Vec<CorsRule>)> {
        if origins.is_empty() {
            return Err(Error::input(
                "name the course sites that show these files: --origin https://courses.example.edu (repeatable)",
            ));
        }
        for origin in origins {
            check_origin(origin).map_err(Error::input)?;
        }
        let current = self.store.cors().await?;
        let proposed = merge_cors(&current, CorsRule::for_sites(origins, allow_upload));
        Ok((current, proposed))
    }

    /// Write `rules`; returns what the bucket says afterwards.
    pub async fn set_cors(&self, rules: &[CorsRule]) -> Result<Vec<CorsRule>> {
        self.store.set_cors(rules).await?;
        self.store.cors().await
    }

    pub async fn lifecycle(&self) -> Result<Lifecycle> {
        self.store.lifecycle().await
    }

    /// Make Ferry's rule abort incomplete uploads after `days`; returns the lifecycle after.
    pub async fn set_abort_incomplete(&self, days: i32) -> Result<Lifecycle> {
        self.store.set_abort_incomplete(days).await?;
        self.store.lifecycle().await
    }
}
