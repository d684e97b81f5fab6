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
        /// Upload even if identical content was uploaded to this destination before.
        #[arg(long)]
        force: bool,
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

#[derive(Debug, Subcommand)]
pub enum AccountAction {
    /// Add (or replace) an account. The secret (API token or secret access key) is read from
    /// standard input with --secret-stdin, otherwise asked for without echo; never from the
    /// command line.
    Add {
        name: String,
        #[arg(long, value_enum)]
        kind: AccountKindArg,
        /// Cloudflare account id (cloudflare, r2).
        #[arg(long)]
        account_id: Option<String>,
        /// Bucket (r2, s3).
        #[arg(long)]
        bucket: Option<String>,
        /// Access key id (r2, s3).
        #[arg(long)]
        access_key_id: Option<String>,
        /// Region (s3; default us-east-1).
        #[arg(long)]
        region: Option<String>,
        /// Endpoint of an S3-compatible store, or of R2 (default: from the account id).
        #[arg(long)]
        endpoint: Option<String>,
        /// Public base URL for links (r2, s3).
        #[arg(long)]
        public_base_url: Option<String>,
        /// R2 jurisdiction (eu, fedramp).
        #[arg(long)]
        jurisdiction: Option<String>,
        /// Cloudflare API base URL (default https://api.cloudflare.com/client/v4).
        #[arg(long)]
        api_base_url: Option<String>,
        /// Use this account for its kind when there are several.
        #[arg(long)]
        default: bool,
        /// Read the secret from standard input (one line).
        #[arg(long)]
        secret_stdin: bool,
    },
    /// List accounts (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account and its secret from the keychain.
    Remove { name: String },
    /// Import accounts from `.env` files (the seeds' variable names) or from this process's
    /// environment; secrets go to the keychain. Says what it took and what it skipped.
    Import {
        files: Vec<std::path::PathBuf>,
        /// Read the environment instead of files.
        #[arg(long, conflicts_with = "files")]
        from_env: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AccountKindArg {
    Cloudflare,
    R2,
    S3,
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
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{text:?}: unknown unit {unit:?}; use s, m, h or d")),
    };
    if secs == 0 || secs > 7 * 86_400 {
        return Err(format!("{text:?}: a link can last from 1 second to 7 days"));
    }
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
        assert!(parse_duration("8d").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
    }
}
