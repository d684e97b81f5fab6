//! ferry-tus: a tus 1.0.0 client — the protocol and nothing else.
//!
//! It creates uploads (`POST` with `Upload-Length` and `Upload-Metadata`), asks where an upload
//! stands (`HEAD`), sends bytes (`PATCH`, streamed from disk in bounded pieces) and terminates
//! uploads (`DELETE`). It knows no queue and no database: every call hands back the state the
//! caller must persist (the upload URL and the offset the server confirmed) so that a crash can
//! resume from there. What to do about a failure is a pure function, [`decide`], so the caller's
//! retry loop and the tests agree on it.

mod body;
mod chunks;
mod client;
mod error;
mod metadata;
pub mod redact;

pub use body::{FilePiece, Observer, Pacer};
pub use chunks::ChunkPolicy;
pub use client::{Client, Created, HeaderScope, TUS_VERSION, UploadStatus, headers};
pub use error::{Decision, TusError, decide};
pub use metadata::Metadata;
pub use reqwest;
pub use url::Url;
