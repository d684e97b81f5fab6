//! Progress bars on a terminal (indicatif), driven by engine events; when piped (or with
//! `--json`) only the engine's notices, on standard error. Bars that fell behind the events
//! (a lagging receiver) are set right from the queue.

use ferry_core::Engine;
use ferry_core::events::Event;
use ferry_core::job::JobState;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use tokio::sync::broadcast::error::RecvError;

/// Start drawing bars for the engine's jobs; returns a task handle to abort when done.
pub fn spawn(engine: &Engine, quiet: bool) -> Option<tokio::task::JoinHandle<()>> {
    let mut events = engine.subscribe();
    if quiet || !std::io::stderr().is_terminal() {
        return Some(tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(Event::Notice { message, .. }) => eprintln!("ferry: {message}"),
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                }
            }
        }));
    }
    let names: HashMap<i64, String> = engine
        .jobs()
        .unwrap_or_default()
        .into_iter()
        .map(|j| (j.id.0, j.display_name))
        .collect();
    let jobs = engine.job_reader();
    Some(tokio::spawn(async move {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        let style = ProgressStyle::with_template("{prefix:30!} {bar:30} {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>12} {eta:>4} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let mut bars: HashMap<i64, ProgressBar> = HashMap::new();
        loop {
            match events.recv().await {
                Ok(Event::Started { id, total }) => {
                    let bar = multi.add(ProgressBar::new(total).with_style(style.clone()));
                    bar.set_prefix(
                        names
                            .get(&id.0)
                            .cloned()
                            .unwrap_or_else(|| format!("job {id}")),
                    );
                    bars.insert(id.0, bar);
                }
                Ok(Event::Progress { id, bytes_done, .. }) => {
                    if let Some(bar) = bars.get(&id.0) {
                        bar.set_position(bytes_done);
                        bar.set_message("");
                    }
                }
                Ok(Event::Retrying {
                    id,
                    attempt,
                    attempts,
                    delay,
                    ..
                }) => {
                    if let Some(bar) = bars.get(&id.0) {
                        bar.set_message(format!(
                            "retrying in {:.0} s ({attempt} of {attempts} attempts failed)",
                            delay.as_secs_f64().ceil()
                        ));
                    }
                }
                Ok(Event::Notice { message, .. }) => {
                    let _ = multi.println(format!("ferry: {message}"));
                }
                Ok(Event::Processing { id, pct }) => {
                    if let Some(bar) = bars.get(&id.0) {
                        bar.set_message(match pct {
                            Some(p) => format!("processing {p}%"),
                            None => "processing".to_string(),
                        });
                    }
                }
                Ok(
                    Event::Done { id, .. }
                    | Event::Failed { id, .. }
                    | Event::Paused { id }
                    | Event::Cancelled { id },
                ) => {
                    if let Some(bar) = bars.remove(&id.0) {
                        bar.finish_and_clear();
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    // Missed events may have ended jobs: the queue says which bars are over.
                    bars.retain(|id, bar| {
                        let running = jobs(ferry_core::job::JobId(*id))
                            .is_some_and(|j| !j.state.is_terminal() && j.state != JobState::Paused);
                        if !running {
                            bar.finish_and_clear();
                        }
                        running
                    });
                }
                Err(RecvError::Closed) => break,
            }
        }
    }))
}
