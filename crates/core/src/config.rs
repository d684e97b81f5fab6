//! Where Ferry keeps its files, and the settings it reads.
//!
//! `FERRY_HOME`, when set, holds everything (config, database, logs), which is how tests isolate
//! themselves; otherwise the OS's standard config and data folders are used. The settings file
//! holds no secret: credentials come from the environment (and, later, the OS keychain).

use crate::keys::{DEFAULT_TEMPLATE, KeyTemplate};
use crate::retry::RetryPolicy;
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct FerryHome {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl FerryHome {
    pub fn from_env() -> Result<Self> {
        if let Some(home) = std::env::var_os("FERRY_HOME").filter(|v| !v.is_empty()) {
            return Ok(Self::at(PathBuf::from(home)));
        }
        let dirs = directories::ProjectDirs::from("app", "Ferry", "Ferry").ok_or_else(|| {
            Error::config("no home folder found; set FERRY_HOME to a folder Ferry may use")
        })?;
        Ok(FerryHome {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
        })
    }

    /// Everything under one folder.
    pub fn at(root: PathBuf) -> Self {
        FerryHome {
            config_dir: root.clone(),
            data_dir: root,
        }
    }

    /// Create Ferry's folders, and make them and the files in them the user's alone
    /// ([`crate::private`]).
    pub fn ensure(&self) -> Result<()> {
        for dir in [&self.config_dir, &self.data_dir, &self.logs_dir()] {
            crate::private::dir(dir)?;
        }
        for dir in [&self.config_dir, &self.data_dir] {
            for name in crate::private::OWN_FILES {
                crate::private::file(&dir.join(name))?;
            }
        }
        crate::private::files_in(&self.logs_dir())
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("ferry.toml")
    }

    /// Accounts (non-secret fields only; secrets are in the OS keychain).
    pub fn accounts_file(&self) -> PathBuf {
        self.config_dir.join("accounts.toml")
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir.join("ferry.db")
    }

    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("ferry.lock")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

/// What to do when a file changed between being queued and being uploaded (a watched folder's
/// answer to a file that changes after its upload is [`crate::watch::ChangePolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueuedFileChange {
    /// Fail the job with a message; the user retries to upload the new version.
    Fail,
    /// Take the new version and start the upload again.
    Restart,
}

/// Settings from `ferry.toml`; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Files uploading at once.
    pub file_concurrency: usize,
    /// Parts in flight at once, across all files.
    pub part_concurrency: usize,
    /// Files at least this large use multipart uploads.
    pub multipart_threshold: u64,
    /// Preferred part size; grown when a file would need more parts than the provider allows.
    pub part_size: u64,
    /// Upload bandwidth limit for Ferry as a whole, in KiB per second; 0 means no limit.
    pub bandwidth_limit_kib: u64,
    pub key_template: String,
    pub prefix: String,
    /// Destination used when `--to` is not given.
    pub default_destination: Option<String>,
    /// Lifetime of presigned URLs stored with jobs on private buckets, in seconds (≤ 7 days).
    pub link_expiry_secs: u64,
    pub on_change: QueuedFileChange,
    pub retry_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_max_secs: u64,
    /// How long to wait for a video to be processed before reporting it (resume keeps waiting).
    pub processing_timeout_secs: u64,
    /// Cloudflare Stream upload options.
    pub stream: StreamSettings,
    /// Cloudflare Images options.
    pub images: ImagesSettings,
    /// Routing rules (`[[routes]]`), tried in order before seed 000's defaults.
    pub routes: Vec<crate::route::RouteRule>,
}

/// `[stream]` in ferry.toml.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StreamSettings {
    /// Origins allowed to embed the player, e.g. `["course.example.com"]`.
    pub allowed_origins: Vec<String>,
    pub require_signed_urls: bool,
    pub max_duration_seconds: Option<u32>,
    pub thumbnail_timestamp_pct: Option<f32>,
    pub scheduled_deletion_days: Option<u32>,
    /// Preferred tus chunk size in MiB (5 to 200; Stream recommends 50).
    pub chunk_mib: Option<u64>,
}

/// `[images]` in ferry.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImagesSettings {
    pub require_signed_urls: bool,
    /// The variant whose URL is handed back.
    pub variant: String,
    /// An image Cloudflare Images would refuse (too large, unsupported format) goes to the
    /// default object store instead of failing.
    pub oversize_to_objects: bool,
    /// A JPEG, PNG or WebP photo over Images' limits is scaled down and encoded again to fit,
    /// instead of going to the object store at full size ([`crate::prepare::fit`]).
    pub fit: bool,
    /// The longest side a fitted photo keeps, in pixels (at most Images' 12,000).
    pub fit_max_side: u32,
    /// A HEIC photo is sent as a JPEG when libheif's decoder is installed
    /// ([`crate::prepare::heif`]).
    pub convert: bool,
}

impl Default for ImagesSettings {
    fn default() -> Self {
        ImagesSettings {
            require_signed_urls: false,
            variant: "public".into(),
            oversize_to_objects: true,
            fit: true,
            fit_max_side: 12_000,
            convert: true,
        }
    }
}

const MIB: u64 = 1024 * 1024;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            file_concurrency: 32,
            part_concurrency: 8,
            multipart_threshold: 32 * MIB,
            part_size: 16 * MIB,
            bandwidth_limit_kib: 0,
            key_template: DEFAULT_TEMPLATE.to_string(),
            prefix: String::new(),
            default_destination: None,
            link_expiry_secs: 7 * 24 * 3600,
            on_change: QueuedFileChange::Fail,
            retry_attempts: 6,
            retry_base_ms: 500,
            retry_max_secs: 30,
            processing_timeout_secs: 6 * 3600,
            stream: StreamSettings::default(),
            images: ImagesSettings::default(),
            routes: Vec::new(),
        }
    }
}

impl Settings {
    /// Read `path` if it exists; a missing file means defaults.
    pub fn load(path: &Path) -> Result<Self> {
        Self::read(path, &|k| std::env::var(k).ok())
    }

    /// What the file itself says, without the environment's overrides: what a settings form
    /// shows and writes back (a `FERRY_RETRY_ATTEMPTS` set for one run must not be saved).
    pub fn load_file(path: &Path) -> Result<Self> {
        Self::read(path, &|_| None)
    }

    fn read(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let mut settings: Settings = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => return Err(Error::from_io(path, &e)),
        };
        settings.apply_env(env);
        settings
            .tidy_origins()
            .map_err(|e| e.context(path.display()))?;
        settings.validate().map_err(|e| e.context(path.display()))?;
        Ok(settings)
    }

    /// Keep Stream's allowed origins in the form Cloudflare takes (a pasted address becomes its
    /// host, see [`crate::origins`]); returns what was changed, to be shown.
    pub fn tidy_origins(&mut self) -> Result<Vec<String>> {
        let tidied = crate::origins::tidy_all(&self.stream.allowed_origins)?;
        let notices: Vec<String> = tidied
            .iter()
            .filter(|t| t.changed())
            .map(crate::origins::Tidied::notice)
            .collect();
        for n in &notices {
            tracing::info!("{n}");
        }
        self.stream.allowed_origins = tidied.into_iter().map(|t| t.origin).collect();
        Ok(notices)
    }

    /// Environment overrides (`FERRY_PART_SIZE`, …), handy for one-off runs and tests.
    pub fn apply_env(&mut self, get: &dyn Fn(&str) -> Option<String>) {
        let num = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
        if let Some(v) = num("FERRY_FILE_CONCURRENCY") {
            self.file_concurrency = v as usize;
        }
        if let Some(v) = num("FERRY_PART_CONCURRENCY") {
            self.part_concurrency = v as usize;
        }
        if let Some(v) = num("FERRY_MULTIPART_THRESHOLD") {
            self.multipart_threshold = v;
        }
        if let Some(v) = num("FERRY_PART_SIZE") {
            self.part_size = v;
        }
        if let Some(v) = num("FERRY_BANDWIDTH_LIMIT_KIB") {
            self.bandwidth_limit_kib = v;
        }
        if let Some(v) = num("FERRY_RETRY_BASE_MS") {
            self.retry_base_ms = v;
        }
        if let Some(v) = num("FERRY_RETRY_ATTEMPTS") {
            self.retry_attempts = v as u32;
        }
        if let Some(v) = num("FERRY_STREAM_CHUNK_MIB") {
            self.stream.chunk_mib = Some(v);
        }
        if let Some(v) = get("FERRY_STREAM_ALLOWED_ORIGINS") {
            self.stream.allowed_origins = v
                .split(',')
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
        }
        if let Some(v) = get("FERRY_STREAM_REQUIRE_SIGNED_URLS") {
            self.stream.require_signed_urls = v == "1" || v == "true";
        }
        if let Some(v) = get("FERRY_IMAGES_REQUIRE_SIGNED_URLS") {
            self.images.require_signed_urls = v == "1" || v == "true";
        }
        if let Some(v) = get("FERRY_IMAGES_FIT") {
            self.images.fit = v == "1" || v == "true";
        }
        if let Some(v) = get("FERRY_IMAGES_CONVERT") {
            self.images.convert = v == "1" || v == "true";
        }
        if let Some(v) = num("FERRY_IMAGES_FIT_MAX_SIDE") {
            self.images.fit_max_side = v as u32;
        }
    }

    pub fn validate(&self) -> Result<()> {
        KeyTemplate::parse(&self.key_template)?;
        if !(1..=12_000).contains(&self.images.fit_max_side) {
            return Err(Error::config(format!(
                "[images] fit_max_side is {}; give the longest side a fitted photo keeps, from 1 to 12000 pixels",
                self.images.fit_max_side
            )));
        }
        for route in &self.routes {
            route.validate()?;
        }
        if self.file_concurrency == 0 || self.part_concurrency == 0 {
            return Err(Error::config(
                "file_concurrency and part_concurrency must be at least 1",
            ));
        }
        if self.retry_attempts == 0 {
            return Err(Error::config("retry_attempts must be at least 1"));
        }
        if let Some(mib) = self.stream.chunk_mib
            && !(5..=200).contains(&mib)
        {
            return Err(Error::config("stream.chunk_mib must be between 5 and 200"));
        }
        for origin in &self.stream.allowed_origins {
            let tidied =
                crate::origins::tidy(origin).map_err(|e| e.context("stream.allowed_origins"))?;
            if tidied.changed() {
                return Err(Error::config(format!(
                    "stream.allowed_origins: {origin:?} should be written {:?}",
                    tidied.origin
                )));
            }
        }
        if let Some(days) = self.stream.scheduled_deletion_days
            && !(30..=1096).contains(&days)
        {
            return Err(Error::config(
                "stream.scheduled_deletion_days must be between 30 and 1096",
            ));
        }
        if let Some(pct) = self.stream.thumbnail_timestamp_pct
            && !(0.0..=1.0).contains(&pct)
        {
            return Err(Error::config(
                "stream.thumbnail_timestamp_pct must be between 0 and 1",
            ));
        }
        if self.link_expiry_secs == 0 || self.link_expiry_secs > 7 * 24 * 3600 {
            return Err(Error::config(
                "link_expiry_secs must be between 1 and 604800 (7 days)",
            ));
        }
        Ok(())
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.retry_attempts,
            base_delay: Duration::from_millis(self.retry_base_ms),
            max_delay: Duration::from_secs(self.retry_max_secs),
            ..RetryPolicy::default()
        }
    }

    pub fn link_expiry(&self) -> Duration {
        Duration::from_secs(self.link_expiry_secs)
    }
}

/// A TOML file's error as a user reads it: the file, the line, what is wrong.
pub(crate) fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> Error {
    // serde names Rust types; say what to write instead.
    let message = [
        ("expected u64", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected f32", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ]
    .iter()
    .fold(e.message().to_string(), |m, (rust, plain)| {
        m.replace(rust, plain)
    });
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            Error::config(format!("{}, line {line}: {message}", path.display()))
        }
        None => Error::config(format!("{}: {message}", path.display())),
    }
}

/// The settings a front end edits in place. Everything else in ferry.toml, comments included,
/// is kept as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsEdit {
    pub file_concurrency: usize,
    pub part_concurrency: usize,
    pub bandwidth_limit_kib: u64,
    pub key_template: String,
    pub link_expiry_secs: u64,
    pub stream_allowed_origins: Vec<String>,
    pub stream_require_signed_urls: bool,
    /// The folder new files go under when no course or folder says otherwise.
    pub prefix: String,
    /// Where files that are not images or videos go (`None`: the first of r2, s3, gcs set up).
    pub default_destination: Option<String>,
    pub part_size: u64,
    pub retry_attempts: u32,
}

impl SettingsEdit {
    pub fn of(settings: &Settings) -> Self {
        SettingsEdit {
            file_concurrency: settings.file_concurrency,
            part_concurrency: settings.part_concurrency,
            bandwidth_limit_kib: settings.bandwidth_limit_kib,
            key_template: settings.key_template.clone(),
            link_expiry_secs: settings.link_expiry_secs,
            stream_allowed_origins: settings.stream.allowed_origins.clone(),
            stream_require_signed_urls: settings.stream.require_signed_urls,
            prefix: settings.prefix.clone(),
            default_destination: settings.default_destination.clone(),
            part_size: settings.part_size,
            retry_attempts: settings.retry_attempts,
        }
    }

    /// Write the edit into `path`. The result is checked as a whole before it replaces the
    /// file, so a bad value (a template with an unknown field, zero concurrency) is refused and
    /// the old file stays. Allowed origins are tidied first (a pasted address keeps its host);
    /// returns the ones changed, to be shown.
    pub fn apply(&self, path: &Path) -> Result<Vec<crate::origins::Tidied>> {
        // Every store takes parts of 5 MiB to 5 GiB (S3's limits; R2's are the same).
        if !(5 * MIB..=5 * 1024 * MIB).contains(&self.part_size) {
            return Err(Error::config(
                "part size: choose between 5 and 5,120 MiB (what every store accepts)",
            ));
        }
        let mut edit = self.clone();
        edit.prefix = crate::course::tidy_prefix(&edit.prefix);
        edit.default_destination = edit.default_destination.filter(|d| !d.trim().is_empty());
        let tidied = crate::origins::tidy_all(&edit.stream_allowed_origins)?;
        edit.stream_allowed_origins = tidied.iter().map(|t| t.origin.clone()).collect();
        edit.write(path)?;
        Ok(tidied.into_iter().filter(|t| t.changed()).collect())
    }

    fn write(&self, path: &Path) -> Result<()> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::from_io(path, &e)),
        };
        let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            Error::config(format!("{}: {}", path.display(), e.message()))
        })?;
        doc["file_concurrency"] = toml_edit::value(self.file_concurrency as i64);
        doc["part_concurrency"] = toml_edit::value(self.part_concurrency as i64);
        doc["bandwidth_limit_kib"] = toml_edit::value(self.bandwidth_limit_kib as i64);
        doc["key_template"] = toml_edit::value(self.key_template.as_str());
        doc["link_expiry_secs"] = toml_edit::value(self.link_expiry_secs as i64);
        doc["prefix"] = toml_edit::value(self.prefix.as_str());
        match &self.default_destination {
            Some(name) => doc["default_destination"] = toml_edit::value(name.as_str()),
            None => {
                doc.remove("default_destination");
            }
        }
        doc["part_size"] = toml_edit::value(self.part_size as i64);
        doc["retry_attempts"] = toml_edit::value(i64::from(self.retry_attempts));
        if !doc.contains_key("stream") {
            doc["stream"] = toml_edit::table();
        }
        let origins: toml_edit::Array = self
            .stream_allowed_origins
            .iter()
            .map(String::as_str)
            .collect();
        doc["stream"]["allowed_origins"] = toml_edit::value(origins);
        doc["stream"]["require_signed_urls"] = toml_edit::value(self.stream_require_signed_urls);
        let text = doc.to_string();
        let parsed: Settings =
            toml::from_str(&text).map_err(|e| Error::config(e.message().to_string()))?;
        parsed.validate()?;
        let tmp = path.with_extension("toml.tmp");
        crate::private::write(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, path).map_err(|e| Error::from_io(path, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_are_checked() {
        let s: Settings =
            toml::from_str("part_size = 8388608\nkey_template = \"{kind}/{name}\"").unwrap();
        assert_eq!(s.part_size, 8 * MIB);
        s.validate().unwrap();
        let bad: Settings = toml::from_str("key_template = \"{kind}\"").unwrap();
        assert!(bad.validate().is_err());
        assert!(
            toml::from_str::<Settings>("secret_key = \"x\"").is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn env_overrides() {
        let mut s = Settings::default();
        s.apply_env(&|k| (k == "FERRY_PART_SIZE").then(|| "5242880".to_string()));
        assert_eq!(s.part_size, 5 * MIB);
    }

    #[test]
    fn an_edit_keeps_comments_and_refuses_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.toml");
        std::fs::write(
            &path,
            "# my settings\nprefix = \"course\"\n[images]\nvariant = \"thumb\"\n",
        )
        .unwrap();
        let mut edit = SettingsEdit::of(&Settings::load(&path).unwrap());
        edit.file_concurrency = 3;
        edit.stream_allowed_origins = vec!["course.example.com".into()];
        edit.apply(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my settings\n"), "{text}");
        let back = Settings::load(&path).unwrap();
        assert_eq!(back.file_concurrency, 3);
        assert_eq!(back.prefix, "course");
        assert_eq!(back.images.variant, "thumb");
        assert_eq!(back.stream.allowed_origins, ["course.example.com"]);

        // A pasted address keeps its host, and the change is reported; a non-origin is refused.
        edit.stream_allowed_origins = vec!["https://lms.school.edu/course/7".into()];
        let changed = edit.apply(&path).unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].origin, "lms.school.edu");
        let back = Settings::load(&path).unwrap();
        assert_eq!(back.stream.allowed_origins, ["lms.school.edu"]);
        edit.stream_allowed_origins = vec!["*".into()];
        assert!(edit.apply(&path).is_err());
        edit.stream_allowed_origins = vec!["course.example.com".into()];
        edit.apply(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();

        edit.key_template = "{nope}".into();
        assert!(edit.apply(&path).is_err());
        edit.key_template = DEFAULT_TEMPLATE.into();
        edit.part_concurrency = 0;
        assert!(edit.apply(&path).is_err());
        edit.part_concurrency = 4;
        edit.part_size = MIB;
        assert!(edit.apply(&path).is_err(), "parts under 5 MiB");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "a refused edit leaves the file alone"
        );

        // Where new files go, the part size and the retries, as the window's settings set them.
        edit.part_size = 64 * MIB;
        edit.retry_attempts = 3;
        edit.prefix = "Spring 2027/".into();
        edit.default_destination = Some("s3".into());
        edit.apply(&path).unwrap();
        let back = Settings::load(&path).unwrap();
        assert_eq!(
            (back.part_size, back.retry_attempts, back.prefix.as_str()),
            (64 * MIB, 3, "spring-2027")
        );
        assert_eq!(back.default_destination.as_deref(), Some("s3"));
        edit.default_destination = None;
        edit.apply(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap().default_destination, None);
    }
}
