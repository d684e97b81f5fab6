//! The configured destinations, built from each provider's [`Values`] (from the environment or
//! an account, see [`crate::provider`]) and the settings: object stores (R2, S3, GCS), a
//! generic tus server, and Cloudflare Images and Stream. A destination whose values are present
//! but incomplete is kept aside with the reason, so that using it says what is missing instead
//! of "not configured".

use crate::accounts::Accounts;
use crate::config::Settings;
use crate::destination::cloudflare::{
    CloudflareConfig, ImagesDestination, ImagesOptions, StreamDestination, StreamOptions,
};
use crate::destination::s3::S3Destination;
use crate::destination::tus::TusDestination;
use crate::destination::{Destination, Destinations};
use crate::keychain::Keychain;
use crate::provider::{self, IMAGES, PROVIDERS, STREAM, Values};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the providers configure: the destinations, those whose configuration is broken (with
/// why), and the Cloudflare account Images and Stream use.
#[derive(Default)]
pub struct Configured {
    pub destinations: Destinations,
    pub broken: BTreeMap<String, Error>,
    pub cloudflare: Option<CloudflareConfig>,
}

/// Each provider's values: from the environment where it announces the provider, else from the
/// default account of that kind. One source per provider, never a mix of both.
pub fn values(
    env: &dyn Fn(&str) -> Option<String>,
    accounts: &Accounts,
    keychain: &Keychain,
) -> Vec<Result<Values>> {
    let defaults = accounts.defaults();
    PROVIDERS
        .iter()
        .filter_map(|p| {
            if let Some(v) = Values::from_env(p, env) {
                return Some(Ok(v));
            }
            let (name, account) = defaults
                .iter()
                .find(|(_, a)| a.kind.provider().id == p.id)?;
            Some(Values::from_account(name, account, keychain))
        })
        .collect()
}

/// Build the destinations `values` configure.
pub fn build(values: Vec<Result<Values>>, settings: &Settings) -> Configured {
    let mut out = Configured::default();
    for v in values {
        match v {
            Ok(v) => add(&mut out, &v, settings),
            Err(e) => {
                // An account whose secret cannot be read: say so wherever it is used.
                out.broken.entry("account".to_string()).or_insert(e);
            }
        }
    }
    out
}

fn add(out: &mut Configured, v: &Values, settings: &Settings) {
    let broken = |out: &mut Configured, e: Error| {
        for name in v.provider.destinations {
            out.broken.insert(name.to_string(), e.clone());
        }
    };
    match v.provider.id {
        "r2" | "s3" | "gcs" => match provider::objects::config(v) {
            Ok(config) => out
                .destinations
                .insert(Destination::Objects(Arc::new(S3Destination::new(config)))),
            Err(e) => broken(out, e),
        },
        "tus" => match provider::tus::config(v) {
            Ok(config) => out
                .destinations
                .insert(Destination::Videos(Arc::new(TusDestination::new(config)))),
            Err(e) => broken(out, e),
        },
        "cloudflare" => match provider::cloudflare::config(v) {
            Ok(cf) => {
                cloudflare(out, &cf, settings);
                out.cloudflare = Some(cf);
            }
            Err(e) => broken(out, e),
        },
        other => broken(
            out,
            Error::config(format!("no destination is built for provider {other}")),
        ),
    }
}

fn cloudflare(out: &mut Configured, cf: &CloudflareConfig, settings: &Settings) {
    let s = &settings.stream;
    let stream = StreamOptions {
        allowed_origins: s.allowed_origins.clone(),
        require_signed_urls: s.require_signed_urls,
        max_duration_seconds: s.max_duration_seconds,
        thumbnail_timestamp_pct: s.thumbnail_timestamp_pct,
        scheduled_deletion_days: s.scheduled_deletion_days,
        chunk_bytes: s.chunk_mib.map(|m| m * 1024 * 1024),
    };
    out.destinations
        .insert(Destination::Videos(Arc::new(StreamDestination::new(
            STREAM,
            cf.api(),
            stream,
        ))));
    let images = ImagesOptions {
        require_signed_urls: settings.images.require_signed_urls,
        variant: settings.images.variant.clone(),
    };
    out.destinations
        .insert(Destination::Images(Arc::new(ImagesDestination::new(
            IMAGES,
            cf.api(),
            images,
        ))));
}
