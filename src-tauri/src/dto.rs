//! What crosses the IPC boundary, and nothing else. Each type is converted by hand from the
//! core's own, so the core never learns about JSON shapes the UI wants, and no secret can reach
//! the webview: the only DTO that carries one ([`NewAccount`]) is deserialise-only and its
//! secret goes straight into the core's `Secret`.
//!
//! The TypeScript side (`ui/src/lib/bindings.ts`) is generated from these types by ts-rs; a test
//! fails when it is stale.

use ferry_core::Engine;
use ferry_core::events::Event;
use ferry_core::job::{JobState, UploadJob};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// A failure as the UI sees it: `code` is a closed set the UI may branch on, `message` says
/// what happened, to which file, and what to do.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl From<ferry_core::Error> for IpcError {
    fn from(e: ferry_core::Error) -> Self {
        IpcError {
            code: e.kind().code().to_string(),
            message: e.to_string(),
        }
    }
}

impl IpcError {
    pub fn internal(message: impl Into<String>) -> Self {
        IpcError {
            code: "internal".into(),
            message: message.into(),
        }
    }
}

/// One row of the queue and history.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobRow {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub path: String,
    /// The folder the file was added from (its parent), for filtering by course.
    pub folder: String,
    #[ts(type = "\"image\" | \"video\" | \"audio\" | \"document\" | \"archive\" | \"other\"")]
    pub kind: String,
    pub destination: String,
    pub key: String,
    #[ts(type = "number")]
    pub size: u64,
    #[ts(type = "number")]
    pub bytes_done: u64,
    #[ts(
        type = "\"queued\" | \"uploading\" | \"processing\" | \"paused\" | \"done\" | \"failed\" | \"cancelled\" | \"deleted\""
    )]
    pub state: String,
    pub error: Option<IpcError>,
    pub url: Option<String>,
    pub links: BTreeMap<String, String>,
    #[ts(type = "number | null")]
    pub duplicate_of: Option<i64>,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number")]
    pub updated_at: i64,
    /// The link formats that fit this job, the default first; empty until it is done.
    #[ts(type = "Array<\"raw\" | \"markdown\" | \"html\" | \"iframe\">")]
    pub formats: Vec<String>,
    /// Its destination is private: each link copied is signed and stops working after a while.
    pub expiring: bool,
    /// The course it was added to.
    pub course: Option<String>,
    /// A finished video on a service that keeps captions (Stream): the window offers them.
    pub captions: bool,
    /// A live lesson's recording, made by Stream: there is no local file.
    pub recorded_live: bool,
    /// Sent through an upload request, by this person (as they wrote their name).
    pub sender: Option<String>,
    /// Sent through an upload request (its id): there is no local file.
    pub request: Option<String>,
    /// What was blanked in the photo before it was sent, in the order said.
    #[ts(type = "Array<\"location\" | \"camera\" | \"author\" | \"other\">")]
    pub removed: Vec<String>,
    /// People a document names (its author, last editor): it is sent as it is.
    pub named: Vec<String>,
    /// The photo was over Images' limits and a smaller copy went ("8000×6000, 18.2 MB →
    /// 6000×4500, 6.1 MB").
    pub fitted: Option<String>,
    /// The course asked for compression and a smaller copy went ("8.1 MB → 2.3 MB").
    pub compressed: Option<String>,
    /// A HEIC photo went as a JPEG copy ("4032×3024, 2.4 MB → 4032×3024, 3.1 MB").
    pub converted: Option<String>,
    /// A motion photo went as its still; the size of the video left out of it ("2.1 MB").
    pub motion_left_out: Option<String>,
    /// What the video is, read before it was sent ("12 min 34 s · 1920×1080 · H.264").
    pub video: Option<String>,
}

impl JobRow {
    /// The row of `j`, with the link choices `engine` gives it.
    pub fn of(j: &UploadJob, engine: &Engine) -> Self {
        let mut row = JobRow::from(j);
        if j.state == JobState::Done {
            let choices = engine.link_choices(j);
            row.formats = choices
                .formats
                .iter()
                .map(|f| f.as_str().to_string())
                .collect();
            row.expiring = choices.expiring;
            row.captions = engine.keeps_captions(j);
        }
        row
    }
}

impl From<&UploadJob> for JobRow {
    fn from(j: &UploadJob) -> Self {
        let result = j.result.clone().unwrap_or_default();
        let path = j.file.path.display().to_string();
        let bytes_done = if j.state == JobState::Done {
            j.file.size
        } else {
            j.bytes_done.min(j.file.size)
        };
        JobRow {
            id: j.id.0,
            name: j.display_name.clone(),
            folder: j
                .file
                .path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            kind: j.kind.as_str().to_string(),
            destination: j.destination.clone(),
            key: if result.remote_id.is_empty() {
                j.key.clone()
            } else {
                result.remote_id
            },
            size: j.file.size,
            bytes_done,
            state: j.state.as_str().to_string(),
            // The row names the file: its message starts with what happened, not the path.
            error: j.error.as_ref().map(|e| IpcError {
                code: e.code.clone(),
                message: e
                    .message
                    .strip_prefix(&format!("{path}: "))
                    .unwrap_or(&e.message)
                    .to_string(),
            }),
            url: result.url,
            links: result.links,
            duplicate_of: j.duplicate_of.map(|d| d.0),
            created_at: j.created_at,
            updated_at: j.updated_at,
            formats: Vec::new(),
            expiring: false,
            course: j.course.clone(),
            captions: false,
            recorded_live: j.live_input.is_some(),
            sender: j.sender.clone(),
            request: j.request.clone(),
            removed: j.prepared.as_ref().map(removed_of).unwrap_or_default(),
            named: j
                .prepared
                .as_ref()
                .map(|p| p.named.clone())
                .unwrap_or_default(),
            video: j.media.as_ref().map(|m| m.describe().replace(", ", " · ")),
            fitted: j
                .prepared
                .as_ref()
                .and_then(|p| p.fitted.as_ref())
                .map(|f| f.describe()),
            compressed: j
                .prepared
                .as_ref()
                .and_then(|p| p.compressed.as_ref())
                .map(|c| c.describe()),
            converted: j
                .prepared
                .as_ref()
                .and_then(|p| p.converted.as_ref())
                .map(|c| c.describe()),
            motion_left_out: j
                .prepared
                .as_ref()
                .and_then(|p| p.motion)
                .map(|m| ferry_core::prepare::fit::size_words(m.video_bytes)),
            path,
        }
    }
}

/// The words for what preparing a photo removed.
fn removed_of(p: &ferry_core::prepare::Prepared) -> Vec<String> {
    [
        (p.location, "location"),
        (p.device, "camera"),
        (p.author, "author"),
        (p.other || p.unreadable, "other"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, w)| w.to_string())
    .collect()
}

/// A link to paste, and when it stops working.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LinkText {
    pub text: String,
    /// Unix seconds; `None`: the link does not expire.
    #[ts(type = "number | null")]
    pub expires_at: Option<i64>,
}

/// Several links copied at once, one per line.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CopiedLinks {
    pub count: u32,
    /// When the first of them stops working (Unix seconds); `None`: none expires.
    #[ts(type = "number | null")]
    pub first_expiry: Option<i64>,
}

/// A path that could not be queued.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RejectedPath {
    pub path: String,
    pub error: IpcError,
}

/// What adding files did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IntakeReport {
    pub queued: Vec<JobRow>,
    pub rejected: Vec<RejectedPath>,
    pub notes: Vec<String>,
    /// Hidden, temporary and system files and folders left out of the folders added.
    pub skipped: Vec<String>,
}

/// A configured destination.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DestinationInfo {
    pub name: String,
    /// `objects`, `images` or `videos`.
    pub shape: String,
    /// Its links are public (anyone can open them): a request's page can be published there.
    pub public: bool,
    /// A bucket that refuses a request page's file over the size itself (a POST policy); R2
    /// cannot (its pages get PUT links), and Ferry removes what comes over instead.
    #[serde(rename = "boundsRequestSize")]
    pub bounds_request_size: bool,
}

/// What the window needs on start.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub version: String,
    pub destinations: Vec<DestinationInfo>,
    /// Destinations whose configuration is broken, with the reason.
    pub problems: Vec<IpcError>,
    /// Running against the local demo cloud (ferry-cloudsim), not a real account.
    pub demo: bool,
    pub home: String,
}

/// Engine → UI, over the window's channel. Progress is throttled per job; state changes are
/// sent as whole rows read back from the queue after they were committed.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UiEvent {
    Job {
        job: Box<JobRow>,
    },
    #[serde(rename_all = "camelCase")]
    Progress {
        #[ts(type = "number")]
        id: i64,
        #[ts(type = "number")]
        bytes_done: u64,
        #[ts(type = "number")]
        total: u64,
    },
    Processing {
        #[ts(type = "number")]
        id: i64,
        pct: Option<u8>,
    },
    Notice {
        #[ts(type = "number | null")]
        id: Option<i64>,
        message: String,
    },
    /// A request for the job failed for a reason that may pass; it is tried again in `in_ms`.
    #[serde(rename_all = "camelCase")]
    Retrying {
        #[ts(type = "number")]
        id: i64,
        attempt: u32,
        attempts: u32,
        #[ts(type = "number")]
        in_ms: u64,
        code: String,
        message: String,
    },
    #[serde(rename_all = "camelCase")]
    Folder {
        root: String,
        files: u32,
        pending: u32,
        #[ts(type = "number")]
        took_ms: u64,
    },
    Problem {
        path: Option<String>,
        message: String,
    },
    /// A watched folder queued files: read the queue again to show them.
    Queued {
        count: u32,
    },
    /// A watched folder's deletions changed: read them again. `held` files went at once and
    /// their copies wait for the user.
    Deletions {
        path: String,
        held: u32,
    },
    /// The engine was reopened (accounts, settings or folders changed), or events were missed
    /// (the window fell behind): reload everything from the queue.
    Reloaded,
}

impl UiEvent {
    /// The UI form of `event`, reading the job's row where the event names a state change.
    pub fn from_event(event: &Event, row: &dyn Fn(i64) -> Option<JobRow>) -> Option<UiEvent> {
        Some(match event {
            Event::Progress {
                id,
                bytes_done,
                total,
            } => UiEvent::Progress {
                id: id.0,
                bytes_done: *bytes_done,
                total: *total,
            },
            Event::Processing { id, pct } => UiEvent::Processing {
                id: id.0,
                pct: *pct,
            },
            Event::Started { id, .. }
            | Event::Done { id, .. }
            | Event::Failed { id, .. }
            | Event::Paused { id }
            | Event::Cancelled { id } => UiEvent::Job {
                job: Box::new(row(id.0)?),
            },
            Event::Notice { id, message } => UiEvent::Notice {
                id: Some(id.0),
                message: message.clone(),
            },
            Event::Retrying {
                id,
                attempt,
                attempts,
                delay,
                code,
                message,
            } => UiEvent::Retrying {
                id: id.0,
                attempt: *attempt,
                attempts: *attempts,
                in_ms: delay.as_millis() as u64,
                code: code.to_string(),
                message: message.clone(),
            },
            Event::FolderScanned {
                root,
                files,
                pending,
                took_ms,
            } => UiEvent::Folder {
                root: root.display().to_string(),
                files: *files as u32,
                pending: *pending as u32,
                took_ms: *took_ms,
            },
            Event::FolderQueued { ids, .. } => UiEvent::Queued {
                count: ids.len() as u32,
            },
            Event::FolderProblem { path, message } => UiEvent::Problem {
                path: Some(path.display().to_string()),
                message: message.clone(),
            },
            Event::FolderFileDeleted {
                path,
                remote_pending,
            } => {
                if *remote_pending {
                    // Shown on the folder's card (due, or held for the user), not one toast per
                    // file.
                    UiEvent::Deletions {
                        path: path.display().to_string(),
                        held: 0,
                    }
                } else {
                    UiEvent::Notice {
                        id: None,
                        message: format!(
                            "{} was deleted from its folder; the uploaded copy is kept",
                            path.display()
                        ),
                    }
                }
            }
            Event::FolderRemoteDeleted { path } => UiEvent::Notice {
                id: None,
                message: format!("the copy in the cloud of {} was deleted", path.display()),
            },
            Event::FolderDeletionsHeld { root, paths } => UiEvent::Deletions {
                path: root.display().to_string(),
                held: paths.len() as u32,
            },
            Event::Arrived {
                id,
                sender,
                file,
                request,
            } => UiEvent::Notice {
                id: Some(id.0),
                message: arrival_sentence(sender.as_deref(), file, request),
            },
            Event::Problem { message } => UiEvent::Problem {
                path: None,
                message: message.clone(),
            },
        })
    }
}

/// "Zoë Martin sent essay.pdf through “Week 3 essays”", for a toast or a notification.
pub fn arrival_sentence(sender: Option<&str>, file: &str, request: &str) -> String {
    format!(
        "{} sent {file} through “{request}”",
        sender.unwrap_or("Someone")
    )
}

/// An account as listed: its non-secret fields only.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountRow {
    pub name: String,
    /// `cloudflare`, `r2` or `s3`.
    pub kind: String,
    pub is_default: bool,
    /// Non-secret fields by name (account id, bucket, region, endpoint…).
    pub fields: BTreeMap<String, String>,
}

/// A provider the environment sets: shown read-only, with the variables that set it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRow {
    /// The provider's id (`cloudflare`, `r2`…) and its name for people.
    pub kind: String,
    pub label: String,
    /// Plain fields set, as (label, value); never the secret.
    pub fields: Vec<(String, String)>,
    /// The environment variables that set it, by name.
    pub variables: Vec<String>,
    pub secret_set: bool,
}

/// A bucket's settings as the window shows them: rules as readable JSON, with Ferry's proposal.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BucketView {
    /// Where it is (`r2|https://…|course-media`), without secrets.
    pub label: String,
    /// The CORS rules now, as JSON.
    pub cors_now: String,
    /// The rules with Ferry's rule for the course sites, as JSON; `None` with `cors_why` when
    /// no proposal can be made (no site named, or one that is not a site).
    pub cors_proposed: Option<String>,
    pub cors_why: Option<String>,
    /// Days after which Ferry's lifecycle rule aborts unfinished uploads, if it is there.
    pub abort_days: Option<i32>,
    /// The bucket's other lifecycle rules, left alone.
    pub other_rules: Vec<String>,
}

/// What a key template makes of sample files, or why it is refused.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyPreview {
    /// (sample file name, its key); empty when the template is refused.
    pub samples: Vec<(String, String)>,
    /// Why the engine refuses the template, in its words.
    pub error: Option<String>,
    /// The variables a template may use.
    pub variables: Vec<String>,
}

/// Where the window imports accounts from.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    /// `dotenv` (a `.env` file at `path`), `aws` (the AWS CLI's files) or `rclone` (its
    /// configuration, at `path` or where rclone keeps it).
    pub from: String,
    pub path: Option<String>,
    /// The bucket the AWS or rclone credentials are for (their files name none).
    pub bucket: Option<String>,
}

/// What an import would do: the accounts it would add (never their secrets) and what it skips.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    pub found: Vec<ImportFound>,
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportFound {
    pub name: String,
    /// The provider's name for people.
    pub label: String,
    /// Plain fields as (label, value).
    pub fields: Vec<(String, String)>,
    /// An account of this name exists and would be replaced.
    pub replaces: bool,
}

/// A kind of account the form offers, from the core's provider description.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountKindForm {
    /// `cloudflare`, `r2`, `s3`.
    pub id: String,
    pub label: String,
    /// Every field an account keeps, the secret last.
    pub fields: Vec<FieldForm>,
}

/// One field of the account form.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldForm {
    pub key: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    /// Asked in a password box, kept in the OS keychain, never shown again.
    pub secret: bool,
}

impl AccountKindForm {
    /// The form for provider `p`, its words in `lang`.
    pub fn of(p: &ferry_core::provider::Provider, lang: ferry_core::provider::Lang) -> Self {
        let mut fields: Vec<FieldForm> = p
            .account_fields()
            .map(|f| FieldForm {
                key: f.key.into(),
                label: f.label_in(lang).into(),
                help: f.help_in(lang).into(),
                required: f.required,
                secret: f.secret,
            })
            .collect();
        fields.sort_by_key(|f| f.secret);
        AccountKindForm {
            id: p.id.into(),
            label: p.label_in(lang).into(),
            fields,
        }
    }
}

/// A new account from the form. Deserialise-only: the secret never travels back.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewAccount {
    pub name: String,
    pub kind: String,
    pub fields: BTreeMap<String, String>,
    pub secret: String,
    pub make_default: bool,
}

/// One line of an account test.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CheckRow {
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

/// A watched folder.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FolderRow {
    pub root: String,
    /// `None`: routed by kind.
    pub destination: Option<String>,
    pub prefix: Option<String>,
    pub template: Option<String>,
    /// `new-version`, `ignore` or `overwrite`.
    pub on_change: String,
    pub mirror_deletions: bool,
    /// Only files matching one of these globs are taken (empty: all).
    #[serde(default)]
    pub include: Vec<String>,
    /// Files matching one of these globs are left out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Hidden, temporary and system files are left out.
    #[serde(default = "yes")]
    pub default_ignores: bool,
    /// The course the folder's files belong to.
    #[serde(default)]
    pub course: Option<String>,
    /// When Ferry last compared the whole folder with what it took (Unix seconds), and how many
    /// files it held; kept across restarts. Ignored when saved.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub synced_at: Option<i64>,
    #[serde(default)]
    pub synced_files: Option<u32>,
}

/// A course as the window shows and edits it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseRow {
    pub name: String,
    /// `None`: each file by its kind.
    pub destination: Option<String>,
    /// The folder its files go under (`biology-101`).
    pub prefix: String,
    /// A key template of its own (`None`: the settings').
    pub template: Option<String>,
    /// `raw`, `markdown`, `html`, `iframe`; `None`: the window's default.
    #[ts(type = "\"raw\" | \"markdown\" | \"html\" | \"iframe\" | null")]
    pub link_format: Option<String>,
    /// Generate captions in this language for its videos that come without a caption file.
    #[serde(default)]
    pub captions: Option<String>,
    /// Send its photos with their location, camera and author details (blanked by default).
    #[serde(default)]
    pub keep_metadata: bool,
    /// The longest video it takes, in minutes (`None`: no limit of its own).
    #[serde(default)]
    pub max_video_minutes: Option<u32>,
    /// Photos over Images' limits go to the object store at full size, not fitted to Images.
    #[serde(default)]
    pub keep_originals: bool,
    /// Send its photos compressed at this JPEG quality (30–95); `None`: as they are.
    #[serde(default)]
    pub compress_quality: Option<u8>,
    /// Files added to it (in the history), and folders that belong to it; ignored when saved.
    #[serde(default)]
    pub files: u32,
    #[serde(default)]
    pub folders: u32,
}

/// One sample file in a course's preview: where it would go, its key and link, or why not.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseSampleRow {
    pub file: String,
    #[ts(type = "\"image\" | \"video\" | \"audio\" | \"document\" | \"archive\" | \"other\"")]
    pub kind: String,
    pub destination: Option<String>,
    pub key: Option<String>,
    /// The link where it is known before upload (a bucket's); otherwise the service names it.
    pub url: Option<String>,
    /// Links to it are signed and stop working after a while.
    pub signed: bool,
    /// Why it would be refused.
    pub error: Option<String>,
}

/// What a course (as typed so far) makes of sample files, or why it is refused.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CoursePreview {
    pub samples: Vec<CourseSampleRow>,
    pub error: Option<String>,
}

fn yes() -> bool {
    true
}

/// The remote copy of a file gone from a mirroring folder, waiting for its fate.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeletionRow {
    /// Relative to the folder.
    pub path: String,
    /// `due` (after the grace period), `held` (waiting for the user) or `confirmed`.
    pub state: String,
    /// When the file was found gone (Unix seconds).
    #[ts(type = "number")]
    pub gone_at: i64,
}

/// An allowed origin the settings kept in another form (a pasted address keeps its host).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OriginChange {
    pub given: String,
    pub kept: String,
}

/// What saving the settings changed on the way.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsSaved {
    pub origins_changed: Vec<OriginChange>,
}

/// The settings the window edits (ferry.toml for the engine, desktop.toml for the window).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsForm {
    pub file_concurrency: u32,
    pub part_concurrency: u32,
    /// Upload bandwidth limit in KiB/s; 0: none.
    #[ts(type = "number")]
    pub bandwidth_limit_kib: u64,
    pub key_template: String,
    #[ts(type = "number")]
    pub link_expiry_secs: u64,
    pub stream_allowed_origins: Vec<String>,
    pub stream_require_signed_urls: bool,
    /// The folder new files go under when no course or folder says otherwise.
    pub prefix: String,
    /// Where files that are not images or videos go; `None`: the first store set up.
    pub default_destination: Option<String>,
    #[ts(type = "number")]
    pub part_size_mib: u64,
    pub retry_attempts: u32,
    /// Ferry starts (in the tray) when the user logs in. The OS holds this one.
    pub start_at_login: bool,
    pub desktop: DesktopPrefs,
}

/// The window's own preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct DesktopPrefs {
    /// `system`, `light` or `dark`.
    pub theme: String,
    /// `en` or `fr`.
    pub language: String,
    /// Closing the window keeps uploads going from the tray.
    pub close_to_tray: bool,
    pub notifications: bool,
    /// `raw`, `markdown`, `html`, `iframe`.
    pub link_format: String,
    /// The first-run welcome was seen (kept here, with Ferry's home, rather than in the
    /// webview's storage).
    pub welcome_done: bool,
    /// The course files dropped next go to (the last one chosen); empty: none.
    pub course: String,
}

impl Default for DesktopPrefs {
    fn default() -> Self {
        DesktopPrefs {
            theme: "system".into(),
            language: "en".into(),
            close_to_tray: true,
            notifications: true,
            link_format: "raw".into(),
            welcome_done: false,
            course: String::new(),
        }
    }
}

/// One caption track of a video, as the window lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaptionRow {
    /// BCP 47 tag: `en`, `fr`, `pt-BR`.
    pub language: String,
    /// Its name in its own language ("Français").
    pub label: String,
    /// Made by Stream from the video's speech rather than from a file.
    pub generated: bool,
    #[ts(type = "\"ready\" | \"inprogress\" | \"error\"")]
    pub status: String,
}

impl From<ferry_core::captions::Caption> for CaptionRow {
    fn from(c: ferry_core::captions::Caption) -> Self {
        CaptionRow {
            language: c.language,
            label: c.label,
            generated: c.generated,
            status: c.status.as_str().to_string(),
        }
    }
}

/// A live lesson as the window lists it; its stream key never comes here (Copy puts it on the
/// clipboard from Rust).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LiveLessonRow {
    pub id: String,
    pub name: String,
    pub course: Option<String>,
    pub recording: bool,
    #[ts(type = "number | null")]
    pub delete_after_days: Option<u32>,
    /// Someone is streaming into it now.
    pub connected: bool,
    pub created: String,
    /// Where to stream (no secret in them): filled when one lesson is read.
    pub rtmps_url: Option<String>,
    pub srt_url: Option<String>,
    /// Its recordings: filled when one lesson is read.
    pub recordings: Vec<RecordingRow>,
}

/// A recording of a live lesson.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordingRow {
    /// The Stream video id.
    pub id: String,
    pub name: Option<String>,
    /// Ready to watch (and in the history); otherwise Stream is still preparing it.
    pub ready: bool,
    /// When the lesson started (RFC 3339).
    pub created: String,
}

impl From<&ferry_core::live::Recording> for RecordingRow {
    fn from(r: &ferry_core::live::Recording) -> Self {
        RecordingRow {
            id: r.uid.clone(),
            name: r.name.clone(),
            ready: r.ready,
            created: r.created.clone(),
        }
    }
}

impl From<&ferry_core::live::LiveLesson> for LiveLessonRow {
    fn from(l: &ferry_core::live::LiveLesson) -> Self {
        LiveLessonRow {
            id: l.uid.clone(),
            name: l.name.clone(),
            course: l.course.clone(),
            recording: l.recording,
            delete_after_days: l.delete_after_days,
            connected: l.is_connected(),
            created: l.created.clone(),
            rtmps_url: None,
            srt_url: None,
            recordings: Vec::new(),
        }
    }
}

/// A live lesson to create.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewLiveRow {
    pub name: String,
    pub course: Option<String>,
    pub recording: bool,
    #[ts(type = "number | null")]
    pub delete_after_days: Option<u32>,
}

/// Changes to uploaded videos; `null` leaves a setting as it is.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VideoEditRow {
    /// `true`: only signed links play it; `false`: anyone with the link.
    pub require_signed_urls: Option<bool>,
    /// Sites that may embed the player (`[]`: any).
    pub allowed_origins: Option<Vec<String>>,
    pub thumbnail_pct: Option<f32>,
    #[ts(type = "number | null")]
    pub delete_after_days: Option<u32>,
    /// Cancel a scheduled deletion.
    pub keep: bool,
    pub title: Option<String>,
}

impl From<VideoEditRow> for ferry_core::VideoEdit {
    fn from(e: VideoEditRow) -> Self {
        ferry_core::VideoEdit {
            require_signed_urls: e.require_signed_urls,
            allowed_origins: e.allowed_origins,
            thumbnail_pct: e.thumbnail_pct,
            delete_after_days: match (e.delete_after_days, e.keep) {
                (Some(d), _) => Some(Some(d)),
                (None, true) => Some(None),
                _ => None,
            },
            title: e.title.filter(|t| !t.trim().is_empty()),
        }
    }
}

/// A video's MP4 download: its link, and whether Stream has finished making it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DownloadRow {
    pub ready: bool,
    pub url: String,
}

/// Every type the UI uses, as TypeScript declarations.
#[cfg(test)]
pub fn typescript() -> String {
    let decls = [
        IpcError::decl(),
        JobRow::decl(),
        crate::dto_jobs::JobQueryRow::decl(),
        crate::dto_jobs::JobPageRow::decl(),
        crate::dto_jobs::JobTallyRow::decl(),
        crate::dto_jobs::JobFacetsRow::decl(),
        LinkText::decl(),
        CopiedLinks::decl(),
        RejectedPath::decl(),
        IntakeReport::decl(),
        DestinationInfo::decl(),
        Overview::decl(),
        UiEvent::decl(),
        AccountRow::decl(),
        EnvironmentRow::decl(),
        BucketView::decl(),
        KeyPreview::decl(),
        ImportRequest::decl(),
        ImportPreview::decl(),
        ImportFound::decl(),
        NewAccount::decl(),
        CheckRow::decl(),
        FolderRow::decl(),
        CourseRow::decl(),
        CaptionRow::decl(),
        LiveLessonRow::decl(),
        RecordingRow::decl(),
        NewLiveRow::decl(),
        crate::dto_requests::RequestRow::decl(),
        crate::dto_requests::NewRequestRow::decl(),
        VideoEditRow::decl(),
        DownloadRow::decl(),
        CourseSampleRow::decl(),
        CoursePreview::decl(),
        DeletionRow::decl(),
        SettingsForm::decl(),
        AccountKindForm::decl(),
        FieldForm::decl(),
        OriginChange::decl(),
        SettingsSaved::decl(),
        DesktopPrefs::decl(),
    ];
    let mut out = String::from(
        "// Generated from src-tauri/src/dto.rs by ts-rs. Do not edit: run\n// `FERRY_WRITE_BINDINGS=1 cargo test -p ferry-desktop bindings` after changing the DTOs.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings.ts");
        let want = super::typescript();
        if std::env::var_os("FERRY_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run FERRY_WRITE_BINDINGS=1 cargo test -p ferry-desktop bindings",
            path.display()
        );
    }
}
