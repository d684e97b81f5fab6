//! Ferry's log: `ferry.log` in the home's logs folder, written by the CLI and the desktop app
//! alike, so a teacher has one file to send when something went wrong. The file is made the
//! user's alone before the appender opens it (it names every file uploaded); secrets never reach
//! it because they travel in redacting types whose `Debug` and `Display` hide them.

use crate::config::FerryHome;

/// Send this process's `tracing` events to the home's log, filtered by `FERRY_LOG` when it is
/// set, else by `default_filter`. A second call (or a subscriber already installed) is a no-op:
/// a log that cannot be opened must never stop an upload.
pub fn start(home: &FerryHome, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = crate::private::dir(&home.logs_dir());
    let _ = crate::private::touch(&home.logs_dir().join("ferry.log"));
    let appender = tracing_appender::rolling::never(home.logs_dir(), "ferry.log");
    let _ = tracing_subscriber::fmt()
        .with_writer(appender)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}
