//! The one path from the engine to the window: session events become [`UiEvent`]s on the
//! window's Channel. Progress is throttled to a few updates a second per job (the last one of a
//! job always goes through with its state change, which is read back from the queue after it
//! was committed). The bridge also keeps the tray's status and raises OS notifications when a
//! batch finishes or a job fails.

use crate::dto::{JobRow, UiEvent};
use ferry_core::events::Event;
use ferry_core::job::JobId;
use ferry_core::session::Session;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tauri::ipc::Channel;
use tokio::sync::broadcast::error::RecvError;

/// At most this often per job.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What the tray shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub uploading: usize,
    pub failed: usize,
}

/// Something worth an OS notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    BatchDone {
        uploaded: usize,
        failed: usize,
    },
    JobFailed {
        name: String,
        message: String,
    },
    /// A file arrived through an upload request: the sentence that says who sent what.
    Arrived {
        sentence: String,
    },
}

#[derive(Clone, Default)]
pub struct Bridge {
    channel: Arc<Mutex<Option<Channel<UiEvent>>>>,
    /// Something happened before any window listened (the session resumed work while the
    /// page was loading).
    missed: Arc<std::sync::atomic::AtomicBool>,
}

impl Bridge {
    /// Send events to `channel` from now on. A window reads its state at the same time as it
    /// subscribes (not after: start-up would wait a round trip), so when something happened
    /// before this, it is told to read again.
    pub fn attach(&self, channel: Channel<UiEvent>) {
        let mut guard = self.channel.lock().expect("channel lock");
        if self.missed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            let _ = channel.send(UiEvent::Reloaded);
        }
        *guard = Some(channel);
    }

    pub fn send(&self, event: UiEvent) {
        let guard = self.channel.lock().expect("channel lock");
        match guard.as_ref() {
            // A closed window is not an error: it subscribes again when it reopens.
            Some(channel) => {
                let _ = channel.send(event);
            }
            None => self.missed.store(true, std::sync::atomic::Ordering::SeqCst),
        }
    }

    /// Forward `session`'s events until the session ends. `on_status` and `on_alert` are the
    /// tray's and the notifier's hooks.
    pub fn run(
        &self,
        session: Arc<Session>,
        on_status: impl Fn(Status) + Send + 'static,
        on_alert: impl Fn(Alert) + Send + 'static,
    ) {
        let bridge = self.clone();
        let mut rx = session.subscribe();
        tauri::async_runtime::spawn(async move {
            let mut tally = Tally::default();
            let mut last_progress: HashMap<i64, Instant> = HashMap::new();
            loop {
                let event = match rx.recv().await {
                    Ok(e) => e,
                    Err(RecvError::Lagged(missed)) => {
                        // Events were missed (the window or tray fell behind): the queue is
                        // the truth. Recount from it and have the window read it again.
                        tracing::debug!(missed, "events missed; resyncing from the queue");
                        last_progress.clear();
                        if let Ok(jobs) = session.engine().jobs() {
                            on_status(tally.resync(jobs.iter().map(|j| (j.id.0, j.state))));
                        }
                        bridge.send(UiEvent::Reloaded);
                        continue;
                    }
                    Err(RecvError::Closed) => break,
                };
                if let Event::Progress {
                    id,
                    bytes_done,
                    total,
                } = &event
                {
                    let now = Instant::now();
                    let due = last_progress
                        .get(&id.0)
                        .is_none_or(|t| now.duration_since(*t) >= PROGRESS_EVERY);
                    if !due && bytes_done < total {
                        continue;
                    }
                    last_progress.insert(id.0, now);
                }
                let engine = session.engine();
                let row = |id: i64| {
                    engine
                        .job(JobId(id))
                        .ok()
                        .flatten()
                        .map(|j| JobRow::of(&j, &engine))
                };
                let (status, alerts) = tally.note(&event, &row);
                if matches!(
                    event,
                    Event::Done { .. } | Event::Failed { .. } | Event::Cancelled { .. }
                ) && let Some(id) = job_id(&event)
                {
                    last_progress.remove(&id);
                }
                if let Some(ui) = UiEvent::from_event(&event, &row) {
                    bridge.send(ui);
                }
                if let Some(status) = status {
                    on_status(status);
                }
                for alert in alerts {
                    on_alert(alert);
                }
            }
        });
    }
}

fn job_id(event: &Event) -> Option<i64> {
    match event {
        Event::Started { id, .. }
        | Event::Done { id, .. }
        | Event::Failed { id, .. }
        | Event::Paused { id }
        | Event::Cancelled { id } => Some(id.0),
        _ => None,
    }
}

/// Counts of a batch: jobs started since the queue was last idle, and how they ended.
#[derive(Default)]
struct Tally {
    active: HashSet<i64>,
    uploaded: usize,
    failed: usize,
    failed_total: usize,
}

impl Tally {
    /// Start again from the queue after missed events: what runs now, and what failed. The
    /// batch's counts restart (its alert may have been among the missed events).
    fn resync(
        &mut self,
        jobs: impl IntoIterator<Item = (i64, ferry_core::job::JobState)>,
    ) -> Status {
        use ferry_core::job::JobState;
        self.active.clear();
        self.failed_total = 0;
        for (id, state) in jobs {
            match state {
                JobState::Uploading | JobState::Processing => {
                    self.active.insert(id);
                }
                JobState::Failed => self.failed_total += 1,
                _ => {}
            }
        }
        self.uploaded = 0;
        self.failed = 0;
        Status {
            uploading: self.active.len(),
            failed: self.failed_total,
        }
    }

    /// Take `event` into account; returns the new tray status when it changed, and alerts.
    fn note(
        &mut self,
        event: &Event,
        row: &dyn Fn(i64) -> Option<JobRow>,
    ) -> (Option<Status>, Vec<Alert>) {
        let before = (self.active.len(), self.failed_total);
        let mut alerts = Vec::new();
        match event {
            Event::Started { id, .. } => {
                self.active.insert(id.0);
            }
            Event::Done { id, .. } => {
                if self.active.remove(&id.0) {
                    self.uploaded += 1;
                }
            }
            Event::Failed { id, message, .. } => {
                self.active.remove(&id.0);
                self.failed += 1;
                self.failed_total += 1;
                let name = row(id.0)
                    .map(|r| r.name)
                    .unwrap_or_else(|| format!("job {id}"));
                alerts.push(Alert::JobFailed {
                    name,
                    message: message.clone(),
                });
            }
            Event::Paused { id } | Event::Cancelled { id } => {
                self.active.remove(&id.0);
            }
            Event::Arrived {
                sender,
                file,
                request,
                ..
            } => {
                alerts.push(Alert::Arrived {
                    sentence: crate::dto::arrival_sentence(sender.as_deref(), file, request),
                });
                return (None, alerts);
            }
            _ => return (None, alerts),
        }
        if self.active.is_empty() && (self.uploaded > 0 || self.failed > 0) && before.0 > 0 {
            alerts.push(Alert::BatchDone {
                uploaded: self.uploaded,
                failed: self.failed,
            });
            self.uploaded = 0;
            self.failed = 0;
        }
        let status = Status {
            uploading: self.active.len(),
            failed: self.failed_total,
        };
        let changed = (status.uploading, status.failed) != before;
        (changed.then_some(status), alerts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::job::UploadResult;

    /// A channel that keeps what it is sent, as JSON text.
    fn recording() -> (Channel<UiEvent>, Arc<Mutex<Vec<String>>>) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let keep = got.clone();
        let channel = Channel::new(move |body| {
            if let tauri::ipc::InvokeResponseBody::Json(text) = body {
                keep.lock().unwrap().push(text);
            }
            Ok(())
        });
        (channel, got)
    }

    #[test]
    fn a_window_that_subscribes_after_something_happened_is_told_to_read_again() {
        let bridge = Bridge::default();
        let (first, got) = recording();
        bridge.attach(first);
        assert!(got.lock().unwrap().is_empty(), "nothing happened before");
        bridge.send(UiEvent::Reloaded);
        assert_eq!(got.lock().unwrap().len(), 1);

        let late = Bridge::default();
        late.send(UiEvent::Reloaded);
        let (window, got) = recording();
        late.attach(window);
        let said = got.lock().unwrap().clone();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("reloaded"), "{said:?}");
        let (again, got) = recording();
        late.attach(again);
        assert!(got.lock().unwrap().is_empty(), "told once");
    }

    #[test]
    fn a_batch_ends_with_one_alert_and_failures_alert_each() {
        let mut t = Tally::default();
        let none = |_| None;
        let started = |n| Event::Started {
            id: JobId(n),
            total: 10,
        };
        let done = |n| Event::Done {
            id: JobId(n),
            result: UploadResult::default(),
            duplicate_of: None,
        };
        assert_eq!(
            t.note(&started(1), &none).0,
            Some(Status {
                uploading: 1,
                failed: 0
            })
        );
        t.note(&started(2), &none);
        let (_, alerts) = t.note(&done(1), &none);
        assert!(alerts.is_empty(), "one of two still running");
        let (status, alerts) = t.note(
            &Event::Failed {
                id: JobId(2),
                code: "server",
                message: "boom".into(),
            },
            &none,
        );
        assert_eq!(
            status,
            Some(Status {
                uploading: 0,
                failed: 1
            })
        );
        assert_eq!(
            alerts,
            [
                Alert::JobFailed {
                    name: "job 2".into(),
                    message: "boom".into()
                },
                Alert::BatchDone {
                    uploaded: 1,
                    failed: 1
                },
            ]
        );
        // The next batch counts from zero.
        t.note(&started(3), &none);
        let (_, alerts) = t.note(&done(3), &none);
        assert_eq!(
            alerts,
            [Alert::BatchDone {
                uploaded: 1,
                failed: 0
            }]
        );
        // Progress does not touch the status.
        assert_eq!(
            t.note(
                &Event::Progress {
                    id: JobId(3),
                    bytes_done: 1,
                    total: 2
                },
                &none
            )
            .0,
            None
        );
    }

    #[test]
    fn an_arrival_alerts_with_who_sent_what_and_leaves_the_batch_alone() {
        let mut t = Tally::default();
        let none = |_| None;
        let (status, alerts) = t.note(
            &Event::Arrived {
                id: JobId(7),
                sender: Some("Zoë Martin".into()),
                file: "essay.pdf".into(),
                request: "Week 3 essays".into(),
            },
            &none,
        );
        assert_eq!(status, None);
        assert_eq!(
            alerts,
            [Alert::Arrived {
                sentence: "Zoë Martin sent essay.pdf through “Week 3 essays”".into()
            }]
        );
    }

    #[test]
    fn missed_events_are_made_good_from_the_queue() {
        use ferry_core::job::JobState;
        let mut t = Tally::default();
        let none = |_| None;
        // Job 1 started; its end and job 2's whole life were among the missed events.
        t.note(
            &Event::Started {
                id: JobId(1),
                total: 10,
            },
            &none,
        );
        let status = t.resync([
            (1, JobState::Done),
            (2, JobState::Failed),
            (3, JobState::Uploading),
            (4, JobState::Queued),
        ]);
        assert_eq!(
            status,
            Status {
                uploading: 1,
                failed: 1
            }
        );
        assert!(t.active.contains(&3) && !t.active.contains(&1));
    }
}
