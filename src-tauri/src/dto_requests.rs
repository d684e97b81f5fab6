//! Upload requests across the IPC boundary: a request as the Requests screen lists it, and a
//! new one as its form sends it. Nothing secret: the page's credentials stay in the page file.

use ferry_core::request::{Landing, RequestSpec, UploadRequest};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A request as listed.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestRow {
    pub id: String,
    pub title: String,
    pub course: Option<String>,
    #[ts(type = "\"objects\" | \"videos\" | \"images\"")]
    pub to: String,
    /// The bucket destination and folder, for `objects`.
    pub destination: Option<String>,
    pub folder: Option<String>,
    /// Videos need signed links.
    pub signed: bool,
    pub types: Vec<String>,
    #[ts(type = "number")]
    pub max_bytes: u64,
    pub max_files: u32,
    pub max_video_seconds: Option<u32>,
    pub note: Option<String>,
    #[ts(type = "number")]
    pub expires_at: i64,
    pub open: bool,
    #[ts(type = "number | null")]
    pub closed_at: Option<i64>,
    /// Where the page was saved.
    pub page: Option<String>,
    /// The one link to send, when the page was published.
    pub link: Option<String>,
}

impl RequestRow {
    pub fn of(r: &UploadRequest, now: i64) -> Self {
        let (to, destination, folder, signed) = match &r.spec.landing {
            Landing::Objects {
                destination,
                prefix,
            } => (
                "objects",
                Some(destination.clone()),
                Some(prefix.clone()),
                false,
            ),
            Landing::Videos { signed } => ("videos", None, None, *signed),
            Landing::Images => ("images", None, None, false),
        };
        RequestRow {
            id: r.id.clone(),
            title: r.spec.title.clone(),
            course: r.spec.course.clone(),
            to: to.into(),
            destination,
            folder,
            signed,
            types: r.spec.extensions.clone(),
            max_bytes: r.spec.max_bytes,
            max_files: r.spec.max_files,
            max_video_seconds: r.spec.max_video_seconds,
            note: r.spec.note.clone(),
            expires_at: r.spec.expires_at,
            open: r.is_open(now),
            closed_at: r.closed_at,
            page: r.page.as_ref().map(|p| p.display().to_string()),
            link: r.link.clone(),
        }
    }
}

/// A request to make, from the window's form.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewRequestRow {
    pub title: String,
    pub course: Option<String>,
    #[ts(type = "\"objects\" | \"videos\" | \"images\"")]
    pub to: String,
    pub destination: Option<String>,
    pub folder: Option<String>,
    pub public: bool,
    pub types: Vec<String>,
    #[ts(type = "number")]
    pub max_mb: u64,
    pub max_files: u32,
    pub max_minutes: Option<u32>,
    pub open_hours: u32,
    pub note: Option<String>,
    /// Publish the page to this public bucket destination.
    pub publish: Option<String>,
}

impl NewRequestRow {
    /// The spec it asks for, open from `now`; the core checks it.
    pub fn spec(self, now: i64) -> Result<RequestSpec, crate::dto::IpcError> {
        let landing = match self.to.as_str() {
            "videos" => Landing::Videos {
                signed: !self.public,
            },
            "images" => Landing::Images,
            "objects" => Landing::Objects {
                destination: self.destination.unwrap_or_default(),
                prefix: self.folder.unwrap_or_default(),
            },
            other => {
                return Err(crate::dto::IpcError {
                    code: "invalid_input".into(),
                    message: format!("{other:?} is not where a request can land"),
                });
            }
        };
        Ok(RequestSpec {
            title: self.title,
            course: self.course.filter(|c| !c.trim().is_empty()),
            landing,
            extensions: self.types,
            max_bytes: self.max_mb.saturating_mul(1_000_000),
            max_files: self.max_files,
            max_video_seconds: self.max_minutes.map(|m| m.saturating_mul(60)),
            expires_at: now + i64::from(self.open_hours) * 3600,
            note: self.note.filter(|n| !n.trim().is_empty()),
            publish: self.publish.filter(|p| !p.is_empty()),
        })
    }
}
