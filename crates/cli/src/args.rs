//! The command line, as clap sees it. Parsing only; no engine calls here.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "Upload course files to Cloudflare (Images, Stream, R2), S3 and S3-compatible storage, and get back the URLs to paste."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload files (folders recursively), wait, and print each file's result.
    Upload {
        /// Destination: images, stream, r2, s3 or gcs. By default images go to Cloudflare
        /// Images and videos to Stream when configured, everything else to R2 (or S3, GCS).
        #[arg(long)]
        to: Option<String>,
        /// Key prefix, e.g. a course or tenant name.
        #[arg(long)]
        prefix: Option<String>,
        /// The course the files belong to (see `ferry course`): its destination, prefix and
        /// template apply unless --to or --prefix say otherwise.
        #[arg(long)]
        course: Option<String>,
        /// Upload even if identical content was uploaded to this destination before.
        #[arg(long)]
        force: bool,
        /// Inside folders, upload hidden, temporary and system files (dotfiles such as .env,
        /// .git/) and files holding private keys too; they are skipped and listed otherwise.
        #[arg(long)]
        no_default_ignores: bool,
        /// One JSON object per file on standard output.
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Finish every unfinished job in the queue (after a crash, a reboot or a network loss).
    Resume {
        #[arg(long)]
        json: bool,
    },
    /// List the jobs in the queue.
    Status {
        /// Only the jobs of this course.
        #[arg(long)]
        course: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a manifest of uploaded files (file, link, when it expires) as CSV or JSON, with
    /// links made fresh now.
    Manifest {
        /// Only the files of this course.
        #[arg(long)]
        course: Option<String>,
        #[arg(long, value_enum, default_value_t = ManifestKind::Csv)]
        format: ManifestKind,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Courses: where a course's files go, the folder they go under, and how their links are
    /// pasted.
    Course {
        #[command(subcommand)]
        action: CourseAction,
    },
    /// Captions of an uploaded video on Cloudflare Stream: add a WebVTT or SubRip file, ask
    /// Stream to generate them, list, delete. VIDEO is a job number or the video file's path.
    Captions {
        #[command(subcommand)]
        action: CaptionsAction,
    },
    /// Live lessons on Cloudflare Stream: where to stream a class from OBS or an encoder, and
    /// its recording afterwards. The stream key is shown only with `show --key`.
    Live {
        #[command(subcommand)]
        action: LiveAction,
    },
    /// Upload requests: a page through which students or colleagues without keys send files
    /// into a course, within limits the storage service itself enforces.
    Request {
        #[command(subcommand)]
        action: RequestAction,
    },
    /// Change uploaded videos on Cloudflare Stream: private or public, the sites that may embed
    /// them, the thumbnail, when they are deleted, their title. VIDEO is a job number or the
    /// video file's path; --course changes every uploaded video of a course.
    Video {
        #[command(subcommand)]
        action: VideoAction,
    },
    /// What photos reveal (where they were taken, the phone, the author) and what Ferry removes
    /// before sending them. --save writes the prepared copies to a folder; the photos
    /// themselves never change.
    Inspect {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Write each prepared copy into this folder, under the photo's name.
        #[arg(long, value_name = "FOLDER")]
        save: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Print the URL of an uploaded file (by job number or local path).
    Url {
        target: String,
        #[arg(long, value_enum, default_value_t = Format::Raw)]
        format: Format,
        /// Lifetime of a signed link for private buckets, e.g. 30m, 12h, 7d (at most 7d).
        #[arg(long)]
        expires: Option<String>,
    },
    /// Accounts: Cloudflare, R2 and S3 profiles whose secrets live in the OS keychain.
    Account {
        #[command(subcommand)]
        action: AccountAction,
    },
    /// Check that configured destinations work: Cloudflare token and permissions, bucket access.
    Check {
        /// Destinations to check (default: every configured one).
        destinations: Vec<String>,
        /// Also write a tiny object to each bucket and delete it.
        #[arg(long)]
        write: bool,
        /// The full test: upload a small image, a 6 MiB video (over tus, in two chunks) and a
        /// small file, open each one's link, then delete all three. Everything it makes is
        /// under `ferry-check/` and is removed again.
        #[arg(long)]
        deep: bool,
    },
    /// Watch folders and upload what lands in them, once each file is complete, until
    /// interrupted (Ctrl-C or SIGTERM; progress is kept). Folders given are remembered; with
    /// none, the remembered folders are watched.
    Watch {
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        folder: FolderArgs,
        /// List the remembered folders and exit.
        #[arg(long, conflicts_with = "dirs")]
        list: bool,
        /// Stop watching these folders (forget them) and exit.
        #[arg(long)]
        forget: bool,
        /// Delete the remote copies of files removed many at once from these mirroring folders
        /// (held until confirmed), then exit.
        #[arg(long, conflicts_with_all = ["list", "forget", "keep_deletions"])]
        confirm_deletions: bool,
        /// Keep the remote copies of files removed many at once from these folders, then exit.
        #[arg(long, conflicts_with_all = ["list", "forget"])]
        keep_deletions: bool,
        /// One JSON object per line for each event.
        #[arg(long)]
        json: bool,
    },
    /// Bucket settings for R2 and S3: the CORS policy course sites need, and a lifecycle rule
    /// that cleans up incomplete uploads.
    Bucket {
        #[command(subcommand)]
        action: BucketAction,
    },
    /// Pause jobs; uploads in progress stop after their current parts and keep their progress.
    Pause {
        ids: Vec<i64>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Cancel jobs; an unfinished multipart or tus upload is aborted on the server.
    Cancel {
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Delete uploaded files from their destination (the object, video or image); the jobs
    /// stay in the history as `deleted`.
    Delete {
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Put failed, cancelled or paused jobs back in the queue (then run `ferry resume`).
    Retry {
        ids: Vec<i64>,
        /// Every failed job.
        #[arg(long, conflicts_with = "ids")]
        failed: bool,
    },
}

/// An account's non-secret fields, for `add` and `edit`. In `edit`, an empty value clears an
/// optional field.
#[derive(Debug, Default, clap::Args)]
pub struct AccountFields {
    /// Cloudflare account id (cloudflare, r2).
    #[arg(long)]
    pub account_id: Option<String>,
    /// Bucket (r2, s3, gcs).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Access key id (r2, s3; the HMAC access key for gcs).
    #[arg(long)]
    pub access_key_id: Option<String>,
    /// Region (s3; default us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Endpoint of an S3-compatible store, or of R2 (default: from the account id).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Public base URL for links (r2, s3, gcs).
    #[arg(long)]
    pub public_base_url: Option<String>,
    /// R2 jurisdiction (eu, fedramp).
    #[arg(long)]
    pub jurisdiction: Option<String>,
    /// Cloudflare API base URL (default https://api.cloudflare.com/client/v4).
    #[arg(long)]
    pub api_base_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AccountAction {
    /// Add (or replace) an account. The secret (API token or secret access key) is read from
    /// standard input with --secret-stdin, otherwise asked for without echo; never from the
    /// command line.
    Add {
        name: String,
        #[arg(long, value_enum)]
        kind: AccountKindArg,
        #[command(flatten)]
        fields: AccountFields,
        /// Use this account for its kind when there are several.
        #[arg(long)]
        default: bool,
        /// Read the secret from standard input (one line).
        #[arg(long)]
        secret_stdin: bool,
    },
    /// Change an account's fields; --new-secret replaces its secret in the keychain.
    Edit {
        name: String,
        #[command(flatten)]
        fields: AccountFields,
        /// Replace the secret (asked for without echo, or read with --secret-stdin).
        #[arg(long)]
        new_secret: bool,
        #[arg(long, requires = "new_secret")]
        secret_stdin: bool,
    },
    /// Make an account the one used for its kind.
    Default { name: String },
    /// Test an account: Cloudflare token and Images/Stream permissions, or bucket access.
    Test {
        name: String,
        /// Also write a tiny object to the bucket and delete it (R2, S3).
        #[arg(long)]
        write: bool,
    },
    /// List accounts (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account and its secret from the keychain.
    Remove { name: String },
    /// Import accounts: from `.env` files or the environment (the seeds' variable names), from
    /// the AWS CLI's credentials + config files (--aws), or from rclone's S3 remotes
    /// (--rclone). Secrets go to the keychain. Says what it took and what it skipped.
    Import {
        files: Vec<std::path::PathBuf>,
        /// Read the environment instead of files.
        #[arg(long, conflicts_with_all = ["files", "aws", "rclone"])]
        from_env: bool,
        /// Import AWS CLI profiles (AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, or ~/.aws).
        #[arg(long, conflicts_with_all = ["files", "rclone"])]
        aws: bool,
        /// With --aws: only this profile.
        #[arg(long, requires = "aws")]
        profile: Option<String>,
        /// Import rclone's S3 remotes (RCLONE_CONFIG, or ~/.config/rclone/rclone.conf).
        #[arg(long, conflicts_with = "files")]
        rclone: bool,
        /// With --rclone: only this remote.
        #[arg(long, requires = "rclone")]
        remote: Option<String>,
        /// With --rclone: the configuration file to read.
        #[arg(long, requires = "rclone")]
        rclone_config: Option<std::path::PathBuf>,
        /// The bucket AWS profiles and rclone remotes upload to (their files name none).
        #[arg(long)]
        bucket: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BucketAction {
    /// Show the bucket's CORS policy and the rule Ferry proposes for your course sites;
    /// --apply writes it (other rules are kept).
    Cors {
        #[command(flatten)]
        target: BucketTarget,
        /// A site allowed to fetch the files, e.g. https://courses.example.edu (repeatable;
        /// default: the Stream allowed origins in the settings).
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// Also allow PUT, POST and DELETE (for sites that upload straight to the bucket).
        #[arg(long)]
        allow_upload: bool,
        #[arg(long)]
        apply: bool,
    },
    /// Show the bucket's lifecycle rules; --apply adds a rule that aborts incomplete multipart
    /// uploads after --abort-incomplete-days days (other rules are kept).
    Lifecycle {
        #[command(flatten)]
        target: BucketTarget,
        #[arg(long, default_value_t = 7)]
        abort_incomplete_days: i32,
        #[arg(long)]
        apply: bool,
    },
}

/// Which bucket: an account's, or a configured destination's.
#[derive(Debug, clap::Args)]
pub struct BucketTarget {
    /// An R2 or S3 account (see `ferry account list`).
    #[arg(long, conflicts_with = "to")]
    pub account: Option<String>,
    /// A configured destination: r2, s3 or gcs (default: the one other files go to).
    #[arg(long)]
    pub to: Option<String>,
}

/// A watched folder's options.
#[derive(Debug, clap::Args)]
pub struct FolderArgs {
    /// The course these folders belong to (see `ferry course`).
    #[arg(long)]
    pub course: Option<String>,
    /// Destination for every file of these folders (default: routed by kind).
    #[arg(long)]
    pub to: Option<String>,
    /// Key prefix for these folders.
    #[arg(long)]
    pub prefix: Option<String>,
    /// Key template for these folders, e.g. "{prefix}/{kind}/{name}".
    #[arg(long)]
    pub template: Option<String>,
    /// Only files matching this glob (relative to the folder; repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Also take temporary and system files (*.part, *.tmp, ~$*, .DS_Store, dotfiles…).
    #[arg(long)]
    pub no_default_ignores: bool,
    /// When an uploaded file changes: upload it as a new version, ignore the change, or
    /// overwrite the earlier upload.
    #[arg(long, value_enum, default_value_t = OnChange::NewVersion)]
    pub on_change: OnChange,
    /// Delete the remote copy when a file is deleted from the folder.
    #[arg(long)]
    pub mirror_deletions: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnChange {
    NewVersion,
    Ignore,
    /// Replace the earlier upload at the same key (R2, S3, GCS).
    Overwrite,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AccountKindArg {
    Cloudflare,
    R2,
    S3,
    Gcs,
}

impl AccountKindArg {
    /// The provider description this kind of account follows.
    pub fn provider(self) -> &'static ferry_core::provider::Provider {
        let id = match self {
            AccountKindArg::Cloudflare => "cloudflare",
            AccountKindArg::R2 => "r2",
            AccountKindArg::S3 => "s3",
            AccountKindArg::Gcs => "gcs",
        };
        ferry_core::provider::provider(id).expect("every account kind has a provider")
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ManifestKind {
    Csv,
    Json,
}

/// A course's settings, for `add` and `edit`. In `edit`, an empty value clears a choice.
#[derive(Debug, Default, clap::Args)]
pub struct CourseFields {
    /// Send every file of the course here (images, stream, r2, s3, gcs, tus); empty or unset:
    /// each file by its kind.
    #[arg(long)]
    pub to: Option<String>,
    /// The folder the course's files go under (default for a new course: its name, e.g.
    /// biology-101).
    #[arg(long)]
    pub prefix: Option<String>,
    /// A key template of the course's own, e.g. "{prefix}/{kind}/{name}".
    #[arg(long)]
    pub template: Option<String>,
    /// How its links are copied: raw, markdown, html or iframe (empty: the default).
    #[arg(long)]
    pub link_format: Option<String>,
    /// Ask Stream to generate captions in this language (en, fr…) for each video of the
    /// course that comes without a caption file (empty: do not).
    #[arg(long, value_name = "LANGUAGE")]
    pub captions: Option<String>,
    /// Send the course's photos with their location, camera and author details (yes), or
    /// blank them on the way out as Ferry does by default (no). The files on disk never change.
    #[arg(long, value_name = "yes|no")]
    pub keep_metadata: Option<YesNo>,
    /// The longest video the course takes, in minutes: a longer one is refused before it is
    /// sent, and Stream is told the same limit (0: no limit).
    #[arg(long, value_name = "MINUTES")]
    pub max_video_minutes: Option<u32>,
    /// Send the course's photos as they are (yes): those over Cloudflare Images' limits go to
    /// the object store at full size, HEIC stays HEIC. By default (no) they are scaled down to
    /// fit Images, and HEIC is sent as JPEG.
    #[arg(long, value_name = "yes|no")]
    pub keep_originals: Option<YesNo>,
    /// Send the course's JPEG photos encoded again at this quality, 30 to 95 (80 suits most),
    /// and its PNGs compressed harder, when that saves a tenth or more (0: as they are).
    #[arg(long, value_name = "QUALITY")]
    pub compress: Option<u8>,
}

/// A yes-or-no choice on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

#[derive(Debug, Subcommand)]
pub enum CourseAction {
    /// List courses and where their files go.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a course.
    Add {
        name: String,
        #[command(flatten)]
        fields: CourseFields,
    },
    /// Change a course; --rename gives it a new name on its uploads and folders too.
    Edit {
        name: String,
        #[arg(long)]
        rename: Option<String>,
        #[command(flatten)]
        fields: CourseFields,
    },
    /// Forget a course (its uploads keep its name in the history).
    Remove { name: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Raw,
    Markdown,
    Html,
    /// A Stream player `<iframe>`.
    Iframe,
}

/// Parse `30s`, `15m`, `12h`, `7d` or plain seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30m, 12h or 7d"))?;
    let unit_secs: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: unknown unit {unit:?}; use s, m, h or d")),
    };
    let secs = n
        .checked_mul(unit_secs)
        .ok_or_else(|| format!("{text:?} is far too long for a link"))?;
    // How long a link may last depends on where the file is: the engine says (7 days for a
    // bucket, 24 hours for Stream, never for a public destination).
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("30m").unwrap().as_secs(), 1800);
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 604_800);
        assert_eq!(parse_duration("8d").unwrap().as_secs(), 8 * 86_400);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
    }
}

#[derive(Subcommand, Debug)]
pub enum CaptionsAction {
    /// List a video's captions.
    List {
        video: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a caption file (.vtt, or .srt converted to WebVTT) to a video. The language is
    /// --language, else the one in the file's name (lecture.fr.vtt), else English.
    Add {
        video: String,
        file: PathBuf,
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Ask Stream to generate captions from the video's speech (ready a few minutes later).
    Generate {
        video: String,
        #[arg(long, default_value = "en")]
        language: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a video's captions in one language.
    Delete { video: String, language: String },
}

#[derive(Subcommand, Debug)]
pub enum LiveAction {
    /// Create a live lesson (recorded unless --no-recording).
    Create {
        name: String,
        #[arg(long)]
        course: Option<String>,
        /// Do not keep a recording of the lesson.
        #[arg(long)]
        no_recording: bool,
        /// Delete the recordings this many days after the lesson (30 or more).
        #[arg(long, value_name = "DAYS")]
        delete_after: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// List live lessons and whether someone is streaming into each.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Where to stream into a lesson; --key also prints the stream key and SRT passphrase.
    Show {
        id: String,
        #[arg(long)]
        key: bool,
        #[arg(long)]
        json: bool,
    },
    /// Give a live lesson a new name (its address, key and recordings stay).
    Rename { id: String, name: String },
    /// Delete a live lesson (its recordings stay, as videos).
    Delete { id: String },
}

#[derive(Subcommand, Debug)]
pub enum RequestAction {
    /// Make a request and its page (saved with --page, else in Ferry's folder); share the page.
    Create(Box<NewRequestArgs>),
    /// List requests, open and closed.
    List {
        #[arg(long)]
        json: bool,
    },
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Close a request: its page is removed.
    Close { id: String },
}

/// `ferry request create`'s arguments (boxed in [`RequestAction`]: they are many).
#[derive(clap::Args, Debug)]
pub struct NewRequestArgs {
    /// What senders see, such as "Week 3 essays".
    pub title: String,
    #[arg(long)]
    pub course: Option<String>,
    /// Land in this bucket destination (s3, gcs…), under --folder.
    #[arg(long, value_name = "DESTINATION", conflicts_with_all = ["video", "image"])]
    pub to: Option<String>,
    /// The folder (key prefix) what arrives lands in.
    #[arg(long, requires = "to")]
    pub folder: Option<String>,
    /// Videos, to Stream (private: only signed links play them, unless --public).
    #[arg(long, conflicts_with = "image")]
    pub video: bool,
    #[arg(long, requires = "video")]
    pub public: bool,
    /// Images, to Cloudflare Images (open 6 hours at most).
    #[arg(long)]
    pub image: bool,
    /// Accepted extensions, such as "pdf,docx" (default: any of the kind).
    #[arg(long, value_delimiter = ',')]
    pub types: Vec<String>,
    /// Largest file, in MB.
    #[arg(long, value_name = "MB", default_value_t = 100)]
    pub max_mb: u64,
    #[arg(long, default_value_t = 30)]
    pub max_files: u32,
    /// Longest video, in minutes (Stream refuses longer ones).
    #[arg(long, value_name = "MINUTES")]
    pub max_minutes: Option<u32>,
    /// How long it stays open: 30m, 12h, 3d (7d at most).
    #[arg(long, default_value = "3d")]
    pub open_for: String,
    /// A sentence for senders.
    #[arg(long)]
    pub note: Option<String>,
    /// Where to save the page.
    #[arg(long)]
    pub page: Option<std::path::PathBuf>,
    /// Also publish the page to this bucket destination (one with a public address), and
    /// print the one link to send.
    #[arg(long, value_name = "DESTINATION")]
    pub publish: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum VideoAction {
    /// Change one or more videos, or every uploaded video of a course.
    Edit {
        videos: Vec<String>,
        #[arg(long)]
        course: Option<String>,
        /// Only signed links play it (they stop working after a while).
        #[arg(long, conflicts_with = "public")]
        signed: bool,
        /// Anyone with the link can watch it.
        #[arg(long)]
        public: bool,
        /// Sites allowed to embed the player, comma-separated ("" for any).
        #[arg(long, value_name = "HOSTS")]
        origins: Option<String>,
        /// The thumbnail's moment, as a fraction of the video (0.5: the middle).
        #[arg(long, value_name = "FRACTION")]
        thumbnail_at: Option<f32>,
        /// Delete it this many days after its upload (30 to 1096).
        #[arg(long, value_name = "DAYS", conflicts_with = "keep")]
        delete_after: Option<u32>,
        /// Cancel a scheduled deletion.
        #[arg(long)]
        keep: bool,
        #[arg(long)]
        title: Option<String>,
    },
    /// Make a video's MP4 download, for students who watch offline (--off removes it); prints
    /// its link once Stream has made it.
    Download {
        video: String,
        #[arg(long)]
        off: bool,
        #[arg(long)]
        json: bool,
    },
}
