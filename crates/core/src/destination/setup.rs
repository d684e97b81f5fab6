//! The configured destinations, built once from the environment (the seeds' variable names)
//! and the settings: object stores (R2, S3, GCS), a generic tus server, and Cloudflare Images
//! and Stream. A destination whose variables are present but incomplete is kept aside with the
//! reason, so that using it says what is missing instead of "not configured".

use crate::config::Settings;
use crate::destination::cloudflare::{
    CloudflareConfig, ImagesDestination, ImagesOptions, StreamDestination, StreamOptions,
};
use crate::destination::s3::{S3Config, S3Destination};
use crate::destination::tus::TusDestination;
use crate::destination::{Destination, Destinations};
use crate::engine::{IMAGES, STREAM};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Destinations from `env`, and those whose configuration is broken, with why.
pub fn from_env(
    env: &dyn Fn(&str) -> Option<String>,
    settings: &Settings,
) -> (Destinations, BTreeMap<String, Error>) {
    let mut destinations = Destinations::default();
    let mut broken = BTreeMap::new();
    type FromEnv = fn(&dyn Fn(&str) -> Option<String>) -> Result<Option<S3Config>>;
    let sources: [(&str, FromEnv); 3] = [
        ("r2", S3Config::r2_from_env),
        ("s3", S3Config::s3_from_env),
        ("gcs", S3Config::gcs_from_env),
    ];
    for (name, from_env) in sources {
        match from_env(env) {
            Ok(Some(config)) => {
                destinations.insert(Destination::Objects(Arc::new(S3Destination::new(config))))
            }
            Ok(None) => {}
            Err(e) => {
                broken.insert(name.to_string(), e);
            }
        }
    }
    match TusDestination::from_env(env) {
        Ok(Some(tus)) => destinations.insert(Destination::Videos(Arc::new(tus))),
        Ok(None) => {}
        Err(e) => {
            broken.insert("tus".to_string(), e);
        }
    }
    match CloudflareConfig::from_env(env) {
        Ok(Some(cf)) => {
            let s = &settings.stream;
            let stream = StreamOptions {
                allowed_origins: s.allowed_origins.clone(),
                require_signed_urls: s.require_signed_urls,
                max_duration_seconds: s.max_duration_seconds,
                thumbnail_timestamp_pct: s.thumbnail_timestamp_pct,
                scheduled_deletion_days: s.scheduled_deletion_days,
                chunk_bytes: s.chunk_mib.map(|m| m * 1024 * 1024),
            };
            destinations.insert(Destination::Videos(Arc::new(StreamDestination::new(
                STREAM,
                cf.api(),
                stream,
            ))));
            let images = ImagesOptions {
                require_signed_urls: settings.images.require_signed_urls,
                variant: settings.images.variant.clone(),
            };
            destinations.insert(Destination::Images(Arc::new(ImagesDestination::new(
                IMAGES,
                cf.api(),
                images,
            ))));
        }
        Ok(None) => {}
        Err(e) => {
            broken.insert(IMAGES.to_string(), e.clone());
            broken.insert(STREAM.to_string(), e);
        }
    }
    (destinations, broken)
}
