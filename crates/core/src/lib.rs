//! ferry-core: Ferry's headless engine.
//!
//! Files come in through [`intake`], become [`job::UploadJob`]s in the persistent [`queue`],
//! and the [`scheduler`] moves their bytes to a [`destination`], recording resume state as it
//! goes. Front ends talk to the [`engine::Engine`] and listen to [`events::Event`]s. This crate
//! knows nothing of Tauri or of any user interface.

pub mod accounts;
pub mod classify;
pub mod clock;
pub mod config;
pub mod connection;
pub mod credentials;
pub mod destination;
pub mod digest;
pub mod engine;
pub mod error;
pub mod events;
pub mod fileinfo;
pub mod hashing;
pub mod imagecheck;
pub mod import;
pub mod intake;
pub mod job;
pub mod keychain;
pub mod keys;
pub mod manifest;
pub mod memory;
pub mod origins;
pub mod pace;
pub mod parts;
pub mod private;
pub mod provider;
pub mod queue;
pub mod retry;
pub mod route;
pub mod scheduler;
pub mod session;
pub mod urlfmt;
pub mod watch;

pub use engine::{AddOptions, Engine, Intake};
pub use error::{Error, ErrorKind, Result};
