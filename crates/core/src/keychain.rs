//! The OS keychain, where Ferry keeps secrets: the Secret Service on Linux (GNOME Keyring,
//! KWallet), the Keychain on macOS, the Credential Manager on Windows, through the `keyring`
//! crate with each native backend compiled in.
//!
//! Entries are namespaced per profile: service `ferry`, user `<profile>/<field>` (for example
//! `course-cloud/api_token`). Values go in and come out as [`Secret`]s, which never print. When no
//! keychain is reachable, the error says so and lists the ways out; nothing ever falls back to a
//! plaintext file.

use crate::credentials::Secret;
use crate::{Error, ErrorKind, Result};

/// The keychain service name of every Ferry entry.
pub const SERVICE: &str = "ferry";

/// A handle on the OS keychain (cheap; entries are opened per call).
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain {
            service: SERVICE.to_string(),
        }
    }
}

impl Keychain {
    /// Entries under another service name (tests keep theirs apart).
    pub fn with_service(service: &str) -> Self {
        Keychain {
            service: service.to_string(),
        }
    }

    fn entry(&self, profile: &str, field: &str) -> Result<keyring::Entry> {
        if profile.is_empty() || profile.contains('/') || field.is_empty() {
            return Err(Error::input(format!(
                "profile {profile:?} / field {field:?}: names must be non-empty and without '/'"
            )));
        }
        keyring::Entry::new(&self.service, &format!("{profile}/{field}"))
            .map_err(|e| map(e, profile, field))
    }

    /// Store (or replace) a secret.
    pub fn store(&self, profile: &str, field: &str, secret: &Secret) -> Result<()> {
        self.entry(profile, field)?
            .set_password(secret.expose())
            .map_err(|e| map(e, profile, field))
    }

    /// The secret, or `None` if there is none.
    pub fn load(&self, profile: &str, field: &str) -> Result<Option<Secret>> {
        match self.entry(profile, field)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map(e, profile, field)),
        }
    }

    /// Delete a secret; `false` if there was none.
    pub fn remove(&self, profile: &str, field: &str) -> Result<bool> {
        match self.entry(profile, field)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map(e, profile, field)),
        }
    }

    /// Whether a keychain is reachable and unlocked: write, read back and delete a probe entry.
    pub fn probe(&self) -> Result<()> {
        let probe = Secret::new(format!("probe-{:016x}", fastrand::u64(..)));
        self.store("ferry-probe", "probe", &probe)?;
        let back = self.load("ferry-probe", "probe")?;
        self.remove("ferry-probe", "probe")?;
        if back.as_ref() != Some(&probe) {
            return Err(Error::new(
                ErrorKind::Io,
                "the OS keychain did not give back what was stored in it",
            ));
        }
        Ok(())
    }
}

/// The way out when no keychain works, for messages.
pub const NO_KEYCHAIN_HELP: &str = "Ferry keeps secrets only in the OS keychain. On Linux that is a Secret Service (GNOME Keyring or KWallet) on the session D-Bus, unlocked: log in to a desktop session, or start one with `dbus-run-session` and unlock `gnome-keyring-daemon`. Without a keychain, the CLI still works with secrets in environment variables (CLOUDFLARE_API_TOKEN, CLOUDFLARE_R2_SECRET_ACCESS_KEY, AWS_SECRET_ACCESS_KEY…). Ferry never writes secrets to a plain file.";

fn map(e: keyring::Error, profile: &str, field: &str) -> Error {
    let what = format!("the {field} of profile {profile:?}");
    match e {
        keyring::Error::NoStorageAccess(inner) => Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "cannot use the OS keychain for {what} (it is locked or unreachable: {inner}). {NO_KEYCHAIN_HELP}"
            ),
        ),
        keyring::Error::PlatformFailure(inner) => Error::new(
            ErrorKind::InvalidConfig,
            format!("the OS keychain failed for {what} ({inner}). {NO_KEYCHAIN_HELP}"),
        ),
        keyring::Error::TooLong(name, max) => Error::input(format!(
            "{what}: {name} is longer than the keychain allows ({max})"
        )),
        keyring::Error::Invalid(name, why) => {
            Error::input(format!("{what}: {name} is invalid: {why}"))
        }
        keyring::Error::BadEncoding(_) => Error::new(
            ErrorKind::Io,
            format!("{what} in the OS keychain is not text; store it again"),
        ),
        keyring::Error::Ambiguous(_) => Error::new(
            ErrorKind::Io,
            format!(
                "the OS keychain holds several entries for {what}; remove them and store it again"
            ),
        ),
        other => Error::new(
            ErrorKind::Io,
            format!("the OS keychain failed for {what}: {other}"),
        ),
    }
}
