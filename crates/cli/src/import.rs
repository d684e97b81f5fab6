//! `ferry account import`: reads `.env` files or the environment, the AWS CLI's files, or
//! rclone's configuration; adds what it found (secrets to the keychain) and says, line by
//! line, what it took and what it skipped and why.

use ferry_core::accounts::Accounts;
use ferry_core::import::profiles::{self, Ini};
use ferry_core::import::{self, Plan};
use ferry_core::keychain::Keychain;
use ferry_core::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where to import from (the flags of `ferry account import`).
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
    let mut vars = import::Variables::default();
    if sources.from_env || sources.files.is_empty() {
        vars.values = std::env::vars().collect();
    }
    for file in &sources.files {
        let text = std::fs::read_to_string(file).map_err(|e| Error::from_io(file, &e))?;
        let read = import::parse_dotenv(file, &text);
        vars.values.extend(read.values);
        vars.problems.extend(read.problems);
    }
    let mut plan = import::plan(&vars.values);
    plan.skipped.splice(0..0, vars.problems);
    Ok(plan)
}

pub fn run(accounts: &Path, keychain: &Keychain, sources: Sources) -> Result<ExitCode> {
    let mut plan = Plan {
        found: Vec::new(),
        skipped: Vec::new(),
    };
    let mut add = |p: Plan| {
        plan.found.extend(p.found);
        plan.skipped.extend(p.skipped);
    };
    if sources.aws {
        add(aws_plan(&sources)?);
    }
    if sources.rclone {
        add(rclone_plan(&sources)?);
    }
    if !sources.aws && !sources.rclone {
        add(dotenv_plan(&sources)?);
    }
    for found in &plan.found {
        Accounts::add(
            accounts,
            keychain,
            &found.name,
            found.account.clone(),
            &found.secret,
        )?;
        println!(
            "took: account {} ({}), its {} now in the OS keychain",
            found.name,
            found.account.kind.name(),
            found.account.kind.secret_field().replace('_', " ")
        );
    }
    for skipped in &plan.skipped {
        println!("skipped: {skipped}");
    }
    if plan.found.is_empty() {
        eprintln!(
            "Nothing imported: no complete account found (see the skipped lines). `.env` files need CLOUDFLARE_*, CLOUDFLARE_R2_*/R2_* or S3_BUCKET_NAME + AWS_* variables; --aws and --rclone need --bucket."
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
