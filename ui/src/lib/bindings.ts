// Generated from src-tauri/src/dto.rs by ts-rs. Do not edit: run
// `FERRY_WRITE_BINDINGS=1 cargo test -p ferry-desktop bindings` after changing the DTOs.

export type IpcError = { code: string, message: string, };

export type JobRow = { id: number, name: string, path: string, 
/**
 * The folder the file was added from (its parent), for filtering by course.
 */
folder: string, kind: "image" | "video" | "audio" | "document" | "archive" | "other", destination: string, key: string, size: number, bytesDone: number, state: "queued" | "uploading" | "processing" | "paused" | "done" | "failed" | "cancelled" | "deleted", error: IpcError | null, url: string | null, links: { [key in string]?: string }, duplicateOf: number | null, createdAt: number, updatedAt: number, 
/**
 * The link formats that fit this job, the default first; empty until it is done.
 */
formats: Array<"raw" | "markdown" | "html" | "iframe">, 
/**
 * Its destination is private: each link copied is signed and stops working after a while.
 */
expiring: boolean, 
/**
 * The course it was added to.
 */
course: string | null, 
/**
 * A finished video on a service that keeps captions (Stream): the window offers them.
 */
captions: boolean, 
/**
 * A live lesson's recording, made by Stream: there is no local file.
 */
recordedLive: boolean, 
/**
 * Sent through an upload request, by this person (as they wrote their name).
 */
sender: string | null, 
/**
 * Sent through an upload request (its id): there is no local file.
 */
request: string | null, 
/**
 * What was blanked in the photo before it was sent, in the order said.
 */
removed: Array<"location" | "camera" | "author" | "other">, 
/**
 * People a document names (its author, last editor): it is sent as it is.
 */
named: Array<string>, 
/**
 * The photo was over Images' limits and a smaller copy went ("8000×6000, 18.2 MB →
 * 6000×4500, 6.1 MB").
 */
fitted: string | null, 
/**
 * The course asked for compression and a smaller copy went ("8.1 MB → 2.3 MB").
 */
compressed: string | null, 
/**
 * A HEIC photo went as a JPEG copy ("4032×3024, 2.4 MB → 4032×3024, 3.1 MB").
 */
converted: string | null, 
/**
 * A motion photo went as its still; the size of the video left out of it ("2.1 MB").
 */
motionLeftOut: string | null, 
/**
 * What the video is, read before it was sent ("12 min 34 s · 1920×1080 · H.264").
 */
video: string | null, };

export type JobQueryRow = { search: string, destination: string, state: "" | JobRow["state"], 
/**
 * Leave out files deleted from the cloud (the queue does).
 */
hideDeleted: boolean, folder: string, kind: "" | JobRow["kind"], 
/**
 * A course's name; with `withoutCourse`, files added without one.
 */
course: string, withoutCourse: boolean, 
/**
 * Only jobs changed at or after this moment (Unix seconds); 0 for any.
 */
changedSince: number, };

export type JobPageRow = { 
/**
 * How many jobs the filters match in all.
 */
total: number, 
/**
 * The place of the first row among them.
 */
offset: number, rows: Array<JobRow>, };

export type JobTallyRow = { 
/**
 * Queued, uploading or processing.
 */
active: number, paused: number, failed: number, done: number, all: number, };

export type JobFacetsRow = { destinations: Array<string>, folders: Array<string>, courses: Array<string>, };

export type LinkText = { text: string, 
/**
 * Unix seconds; `None`: the link does not expire.
 */
expiresAt: number | null, };

export type CopiedLinks = { count: number, 
/**
 * When the first of them stops working (Unix seconds); `None`: none expires.
 */
firstExpiry: number | null, };

export type RejectedPath = { path: string, error: IpcError, };

export type IntakeReport = { queued: Array<JobRow>, rejected: Array<RejectedPath>, notes: Array<string>, 
/**
 * Hidden, temporary and system files and folders left out of the folders added.
 */
skipped: Array<string>, };

export type DestinationInfo = { name: string, 
/**
 * `objects`, `images` or `videos`.
 */
shape: string, 
/**
 * Its links are public (anyone can open them): a request's page can be published there.
 */
public: boolean, 
/**
 * A bucket that refuses a request page's file over the size itself (a POST policy); R2
 * cannot (its pages get PUT links), and Ferry removes what comes over instead.
 */
boundsRequestSize: boolean, };

export type Overview = { version: string, destinations: Array<DestinationInfo>, 
/**
 * Destinations whose configuration is broken, with the reason.
 */
problems: Array<IpcError>, 
/**
 * Running against the local demo cloud (ferry-cloudsim), not a real account.
 */
demo: boolean, home: string, };

export type UiEvent = { "type": "job", job: JobRow, } | { "type": "progress", id: number, bytesDone: number, total: number, } | { "type": "processing", id: number, pct: number | null, } | { "type": "notice", id: number | null, message: string, } | { "type": "retrying", id: number, attempt: number, attempts: number, inMs: number, code: string, message: string, } | { "type": "folder", root: string, files: number, pending: number, tookMs: number, } | { "type": "problem", path: string | null, message: string, } | { "type": "queued", count: number, } | { "type": "deletions", path: string, held: number, } | { "type": "reloaded" };

export type AccountRow = { name: string, 
/**
 * `cloudflare`, `r2` or `s3`.
 */
kind: string, isDefault: boolean, 
/**
 * Non-secret fields by name (account id, bucket, region, endpoint…).
 */
fields: { [key in string]?: string }, };

export type EnvironmentRow = { 
/**
 * The provider's id (`cloudflare`, `r2`…) and its name for people.
 */
kind: string, label: string, 
/**
 * Plain fields set, as (label, value); never the secret.
 */
fields: Array<[string, string]>, 
/**
 * The environment variables that set it, by name.
 */
variables: Array<string>, secretSet: boolean, };

export type BucketView = { 
/**
 * Where it is (`r2|https://…|course-media`), without secrets.
 */
label: string, 
/**
 * The CORS rules now, as JSON.
 */
corsNow: string, 
/**
 * The rules with Ferry's rule for the course sites, as JSON; `None` with `cors_why` when
 * no proposal can be made (no site named, or one that is not a site).
 */
corsProposed: string | null, corsWhy: string | null, 
/**
 * Days after which Ferry's lifecycle rule aborts unfinished uploads, if it is there.
 */
abortDays: number | null, 
/**
 * The bucket's other lifecycle rules, left alone.
 */
otherRules: Array<string>, };

export type KeyPreview = { 
/**
 * (sample file name, its key); empty when the template is refused.
 */
samples: Array<[string, string]>, 
/**
 * Why the engine refuses the template, in its words.
 */
error: string | null, 
/**
 * The variables a template may use.
 */
variables: Array<string>, };

export type ImportRequest = { 
/**
 * `dotenv` (a `.env` file at `path`), `aws` (the AWS CLI's files) or `rclone` (its
 * configuration, at `path` or where rclone keeps it).
 */
from: string, path: string | null, 
/**
 * The bucket the AWS or rclone credentials are for (their files name none).
 */
bucket: string | null, };

export type ImportPreview = { found: Array<ImportFound>, skipped: Array<string>, };

export type ImportFound = { name: string, 
/**
 * The provider's name for people.
 */
label: string, 
/**
 * Plain fields as (label, value).
 */
fields: Array<[string, string]>, 
/**
 * An account of this name exists and would be replaced.
 */
replaces: boolean, };

export type NewAccount = { name: string, kind: string, fields: { [key in string]?: string }, secret: string, makeDefault: boolean, };

export type CheckRow = { what: string, ok: boolean, detail: string, };

export type FolderRow = { root: string, 
/**
 * `None`: routed by kind.
 */
destination: string | null, prefix: string | null, template: string | null, 
/**
 * `new-version`, `ignore` or `overwrite`.
 */
onChange: string, mirrorDeletions: boolean, 
/**
 * Only files matching one of these globs are taken (empty: all).
 */
include: Array<string>, 
/**
 * Files matching one of these globs are left out.
 */
exclude: Array<string>, 
/**
 * Hidden, temporary and system files are left out.
 */
defaultIgnores: boolean, 
/**
 * The course the folder's files belong to.
 */
course: string | null, 
/**
 * When Ferry last compared the whole folder with what it took (Unix seconds), and how many
 * files it held; kept across restarts. Ignored when saved.
 */
syncedAt: number | null, syncedFiles: number | null, };

export type CourseRow = { name: string, 
/**
 * `None`: each file by its kind.
 */
destination: string | null, 
/**
 * The folder its files go under (`biology-101`).
 */
prefix: string, 
/**
 * A key template of its own (`None`: the settings').
 */
template: string | null, 
/**
 * `raw`, `markdown`, `html`, `iframe`; `None`: the window's default.
 */
linkFormat: "raw" | "markdown" | "html" | "iframe" | null, 
/**
 * Generate captions in this language for its videos that come without a caption file.
 */
captions: string | null, 
/**
 * Send its photos with their location, camera and author details (blanked by default).
 */
keepMetadata: boolean, 
/**
 * The longest video it takes, in minutes (`None`: no limit of its own).
 */
maxVideoMinutes: number | null, 
/**
 * Photos over Images' limits go to the object store at full size, not fitted to Images.
 */
keepOriginals: boolean, 
/**
 * Send its photos compressed at this JPEG quality (30–95); `None`: as they are.
 */
compressQuality: number | null, 
/**
 * Files added to it (in the history), and folders that belong to it; ignored when saved.
 */
files: number, folders: number, };

export type CaptionRow = { 
/**
 * BCP 47 tag: `en`, `fr`, `pt-BR`.
 */
language: string, 
/**
 * Its name in its own language ("Français").
 */
label: string, 
/**
 * Made by Stream from the video's speech rather than from a file.
 */
generated: boolean, status: "ready" | "inprogress" | "error", };

export type LiveLessonRow = { id: string, name: string, course: string | null, recording: boolean, deleteAfterDays: number | null, 
/**
 * Someone is streaming into it now.
 */
connected: boolean, created: string, 
/**
 * Where to stream (no secret in them): filled when one lesson is read.
 */
rtmpsUrl: string | null, srtUrl: string | null, 
/**
 * Its recordings: filled when one lesson is read.
 */
recordings: Array<RecordingRow>, };

export type RecordingRow = { 
/**
 * The Stream video id.
 */
id: string, name: string | null, 
/**
 * Ready to watch (and in the history); otherwise Stream is still preparing it.
 */
ready: boolean, 
/**
 * When the lesson started (RFC 3339).
 */
created: string, };

export type NewLiveRow = { name: string, course: string | null, recording: boolean, deleteAfterDays: number | null, };

export type RequestRow = { id: string, title: string, course: string | null, to: "objects" | "videos" | "images", 
/**
 * The bucket destination and folder, for `objects`.
 */
destination: string | null, folder: string | null, 
/**
 * Videos need signed links.
 */
signed: boolean, types: Array<string>, maxBytes: number, maxFiles: number, maxVideoSeconds: number | null, note: string | null, expiresAt: number, open: boolean, closedAt: number | null, 
/**
 * Where the page was saved.
 */
page: string | null, 
/**
 * The one link to send, when the page was published.
 */
link: string | null, };

export type NewRequestRow = { title: string, course: string | null, to: "objects" | "videos" | "images", destination: string | null, folder: string | null, public: boolean, types: Array<string>, maxMb: number, maxFiles: number, maxMinutes: number | null, openHours: number, note: string | null, 
/**
 * Publish the page to this public bucket destination.
 */
publish: string | null, };

export type VideoEditRow = { 
/**
 * `true`: only signed links play it; `false`: anyone with the link.
 */
requireSignedUrls: boolean | null, 
/**
 * Sites that may embed the player (`[]`: any).
 */
allowedOrigins: Array<string> | null, thumbnailPct: number | null, deleteAfterDays: number | null, 
/**
 * Cancel a scheduled deletion.
 */
keep: boolean, title: string | null, };

export type DownloadRow = { ready: boolean, url: string, };

export type CourseSampleRow = { file: string, kind: "image" | "video" | "audio" | "document" | "archive" | "other", destination: string | null, key: string | null, 
/**
 * The link where it is known before upload (a bucket's); otherwise the service names it.
 */
url: string | null, 
/**
 * Links to it are signed and stop working after a while.
 */
signed: boolean, 
/**
 * Why it would be refused.
 */
error: string | null, };

export type CoursePreview = { samples: Array<CourseSampleRow>, error: string | null, };

export type DeletionRow = { 
/**
 * Relative to the folder.
 */
path: string, 
/**
 * `due` (after the grace period), `held` (waiting for the user) or `confirmed`.
 */
state: string, 
/**
 * When the file was found gone (Unix seconds).
 */
goneAt: number, };

export type SettingsForm = { fileConcurrency: number, partConcurrency: number, 
/**
 * Upload bandwidth limit in KiB/s; 0: none.
 */
bandwidthLimitKib: number, keyTemplate: string, linkExpirySecs: number, streamAllowedOrigins: Array<string>, streamRequireSignedUrls: boolean, 
/**
 * The folder new files go under when no course or folder says otherwise.
 */
prefix: string, 
/**
 * Where files that are not images or videos go; `None`: the first store set up.
 */
defaultDestination: string | null, partSizeMib: number, retryAttempts: number, 
/**
 * Ferry starts (in the tray) when the user logs in. The OS holds this one.
 */
startAtLogin: boolean, desktop: DesktopPrefs, };

export type AccountKindForm = { 
/**
 * `cloudflare`, `r2`, `s3`.
 */
id: string, label: string, 
/**
 * Every field an account keeps, the secret last.
 */
fields: Array<FieldForm>, };

export type FieldForm = { key: string, label: string, help: string, required: boolean, 
/**
 * Asked in a password box, kept in the OS keychain, never shown again.
 */
secret: boolean, };

export type OriginChange = { given: string, kept: string, };

export type SettingsSaved = { originsChanged: Array<OriginChange>, };

export type DesktopPrefs = { 
/**
 * `system`, `light` or `dark`.
 */
theme: string, 
/**
 * `en` or `fr`.
 */
language: string, 
/**
 * Closing the window keeps uploads going from the tray.
 */
closeToTray: boolean, notifications: boolean, 
/**
 * `raw`, `markdown`, `html`, `iframe`.
 */
linkFormat: string, 
/**
 * The first-run welcome was seen (kept here, with Ferry's home, rather than in the
 * webview's storage).
 */
welcomeDone: boolean, 
/**
 * The course files dropped next go to (the last one chosen); empty: none.
 */
course: string, };
