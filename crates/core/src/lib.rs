//! ferry-core: Ferry's headless engine.
//!
//! Files come in through [`intake`], become [`job::UploadJob`]s in the persistent [`queue`],
//! and the [`scheduler`] moves their bytes to a [`destination`], recording resume state as it
//! goes. Front ends talk to the [`engine::Engine`] and listen to [`events::Event`]s. This crate
//! knows nothing of Tauri or of any user interface.

pub mod accounts;
pub mod bucket;
pub mod captions;
pub(crate) mod classify;
pub(crate) mod clock;
pub mod config;
pub mod connection;
pub mod course;
pub mod credentials;
pub(crate) mod destination;
pub(crate) mod digest;
pub mod engine;
pub mod error;
pub mod events;
pub(crate) mod fileinfo;
pub(crate) mod hashing;
pub(crate) mod imagecheck;
pub mod import;
pub(crate) mod intake;
pub mod job;
pub mod keychain;
pub(crate) mod keys;
pub mod live;
pub mod log;
pub mod manifest;
pub mod memory;
pub(crate) mod origins;
pub(crate) mod pace;
pub(crate) mod parts;
pub mod prepare;
pub mod private;
pub mod provider;
pub(crate) mod queue;
pub mod request;
pub(crate) mod retry;
pub(crate) mod route;
pub(crate) mod scheduler;
pub mod session;
pub mod urlfmt;
pub mod watch;

pub use classify::FileKind;
pub use course::{Course, CourseOptions};
pub use destination::bucket::{CorsRule, Lifecycle};
pub use destination::check::CheckOptions;
pub use destination::cloudflare::CheckLine;
pub use destination::{Shape, VideoDownload, VideoEdit};
pub use engine::{
    AddOptions, CourseSample, CourseSummary, Engine, Intake, Link, LinkChoices, SamplePlace,
};
pub use error::{Error, ErrorKind, Result};
pub use intake::Rejected;
pub use keys::{TEMPLATE_VARIABLES, preview as preview_keys};
pub use queue::{CourseFilter, JobFacets, JobPage, JobQuery, JobTally, RemoteFate};
pub use scheduler::JobFilter;
