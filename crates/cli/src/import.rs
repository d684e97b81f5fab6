//! `ferry account import`: reads `.env` files or the environment, the AWS CLI's files, or
//! rclone's configuration; adds what it found (secrets to the keychain) and says, line by
//! line, what it took and what it skipped and why.

use ferry_core::Result;
use ferry_core::import::sources::{Sources, plan_from};
use ferry_core::keychain::Keychain;
use std::path::Path;
use std::process::ExitCode;

pub fn run(accounts: &Path, keychain: &Keychain, sources: Sources) -> Result<ExitCode> {
    let plan = plan_from(&sources)?;
    plan.apply(accounts, keychain)?;
    for found in &plan.found {
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
