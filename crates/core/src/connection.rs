//! One account on its own: the destinations it alone configures (the environment is not
//! consulted, so a test says something about the account, not about the shell), and "test
//! connection" over them. Bucket helpers use the same destinations.

use crate::accounts::Accounts;
use crate::config::{FerryHome, Settings};
use crate::destination::check::{self, CheckOptions};
use crate::destination::cloudflare::{CheckLine, CloudflareConfig};
use crate::destination::{Destination, Destinations};
use crate::keychain::Keychain;
use crate::{Error, Result};

/// What one account configures.
pub struct AccountDestinations {
    pub destinations: Destinations,
    pub cloudflare: Option<CloudflareConfig>,
}

impl AccountDestinations {
    /// The account `name` in `home`, its secret read from `keychain`.
    pub fn open(home: &FerryHome, keychain: &Keychain, name: &str) -> Result<Self> {
        let settings = Settings::load(&home.config_file())?;
        let accounts = Accounts::load(&home.accounts_file())?;
        let account = accounts.accounts.get(name).ok_or_else(|| {
            Error::new(
                crate::ErrorKind::NotFound,
                format!("there is no account {name}; `ferry account list` shows them"),
            )
        })?;
        let values = crate::provider::Values::from_account(name, account, keychain)?;
        let configured = crate::destination::setup::build(vec![Ok(values)], &settings);
        if let Some((_, err)) = configured.broken.into_iter().next() {
            return Err(err);
        }
        Ok(AccountDestinations {
            destinations: configured.destinations,
            cloudflare: configured.cloudflare,
        })
    }

    /// The account's bucket (R2, S3 or GCS), for the bucket helpers.
    pub fn bucket(&self, name: &str) -> Result<crate::bucket::Bucket> {
        crate::bucket::Bucket::of(self.object_store(name)?)
    }

    /// The account's object store (R2, S3 or GCS).
    fn object_store(&self, name: &str) -> Result<Destination> {
        self.destinations
            .names()
            .filter_map(|n| self.destinations.get(n))
            .find(|d| matches!(d, Destination::Objects(_)))
            .ok_or_else(|| {
                Error::input(format!(
                    "account {name} has no bucket (it is a Cloudflare Images/Stream account); name an R2 or S3 account"
                ))
            })
    }

    /// The full test of every destination the account configures (upload, open, delete).
    pub async fn round_trip(
        &self,
        options: crate::destination::round_trip::RoundTripOptions,
    ) -> Vec<CheckLine> {
        let mut lines = Vec::new();
        for name in self.destinations.names() {
            if let Some(dest) = self.destinations.get(name) {
                lines.extend(crate::destination::round_trip::round_trip(&dest, options).await);
            }
        }
        lines
    }

    /// Test every destination the account configures. Images and Stream share one token and
    /// are checked once.
    pub async fn test(&self, options: CheckOptions) -> Vec<CheckLine> {
        let mut lines = Vec::new();
        let names: Vec<&str> = self.destinations.names().collect();
        for (_, name) in check::checked_once(&names) {
            let Some(dest) = self.destinations.get(&name) else {
                continue;
            };
            match check::check(&dest, self.cloudflare.as_ref(), options).await {
                Ok(found) => lines.extend(found),
                Err(e) => lines.push(CheckLine {
                    what: name.to_string(),
                    ok: false,
                    detail: e.message().to_string(),
                }),
            }
        }
        lines
    }
}
