//! Where an import reads from, for every front end: `.env` files or the environment, the AWS
//! CLI's files, rclone's configuration. Each source becomes a [`Plan`]; [`Plan::apply`] adds
//! what it found (secrets to the keychain). The CLI and the window read the same sources the
//! same way.

use super::profiles::{self, Ini};
use super::{Plan, Variables, parse_dotenv};
use crate::accounts::Accounts;
use crate::keychain::Keychain;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Where to import from (the flags of `ferry account import`, the window's import form).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<PathBuf>,
    pub from_env: bool,
    pub aws: bool,
    pub profile: Option<String>,
    pub rclone: bool,
    pub remote: Option<String>,
    pub rclone_config: Option<PathBuf>,
    pub bucket: Option<String>,
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The text of an optional file: `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::from_io(path, &e)),
    }
}

fn aws_plan(sources: &Sources) -> Result<Plan> {
    let aws_dir = home_dir().map(|h| h.join(".aws")).unwrap_or_default();
    let credentials_path =
        env_path("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| aws_dir.join("credentials"));
    let config_path = env_path("AWS_CONFIG_FILE").unwrap_or_else(|| aws_dir.join("config"));
    let credentials = read_optional(&credentials_path)?;
    let config = read_optional(&config_path)?;
    if credentials.is_none() && config.is_none() {
        return Err(Error::input(format!(
            "no AWS CLI files at {} or {}; set AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE to where they are",
            credentials_path.display(),
            config_path.display()
        )));
    }
    let parse = |path: &Path, text: Option<String>| match text {
        Some(t) => profiles::parse_ini(path, &t),
        None => Ini::default(),
    };
    let credentials = parse(&credentials_path, credentials);
    let config = parse(&config_path, config);
    let mut plan = profiles::plan_aws(
        &credentials,
        &config,
        sources.profile.as_deref(),
        sources.bucket.as_deref(),
    );
    let mut problems = credentials.problems;
    problems.extend(config.problems);
    plan.skipped.splice(0..0, problems);
    Ok(plan)
}

fn rclone_plan(sources: &Sources) -> Result<Plan> {
    let path = sources
        .rclone_config
        .clone()
        .or_else(|| env_path("RCLONE_CONFIG"))
        .or_else(|| env_path("XDG_CONFIG_HOME").map(|d| d.join("rclone/rclone.conf")))
        .or_else(|| home_dir().map(|h| h.join(".config/rclone/rclone.conf")))
        .unwrap_or_else(|| PathBuf::from("rclone.conf"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::from_io(&path, &e)
            .context("reading rclone's configuration (pass --rclone-config PATH)")
    })?;
    Ok(profiles::plan_rclone(
        &path,
        &text,
        sources.remote.as_deref(),
        sources.bucket.as_deref(),
    ))
}

fn dotenv_plan(sources: &Sources) -> Result<Plan> {
    let mut vars = Variables::default();
    if sources.from_env || sources.files.is_empty() {
        vars.values = std::env::vars().collect();
    }
    for file in &sources.files {
        let text = std::fs::read_to_string(file).map_err(|e| Error::from_io(file, &e))?;
        let read = parse_dotenv(file, &text);
        vars.values.extend(read.values);
        vars.problems.extend(read.problems);
    }
    let mut plan = super::plan(&vars.values);
    plan.skipped.splice(0..0, vars.problems);
    Ok(plan)
}

/// Everything `sources` name, as one plan: the AWS CLI's and rclone's files when asked, else
/// `.env` files (and the environment when asked or when no file is named).
pub fn plan_from(sources: &Sources) -> Result<Plan> {
    let mut plan = Plan {
        found: Vec::new(),
        skipped: Vec::new(),
    };
    let mut add = |p: Plan| {
        plan.found.extend(p.found);
        plan.skipped.extend(p.skipped);
    };
    if sources.aws {
        add(aws_plan(sources)?);
    }
    if sources.rclone {
        add(rclone_plan(sources)?);
    }
    if !sources.aws && !sources.rclone {
        add(dotenv_plan(sources)?);
    }
    Ok(plan)
}

impl Plan {
    /// Add every account found (its secret to `keychain` first), in order; stops at the first
    /// that cannot be added, those before it kept.
    pub fn apply(&self, accounts: &Path, keychain: &Keychain) -> Result<()> {
        for found in &self.found {
            Accounts::add(
                accounts,
                keychain,
                &found.name,
                found.account.clone(),
                &found.secret,
            )?;
        }
        Ok(())
    }
}
