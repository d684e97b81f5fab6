//! A running Ferry: one engine with its uploader and its folder watcher, kept going until
//! stopped. The desktop app holds one session for its whole life.
//!
//! Changing accounts, settings or watched folders needs a freshly opened engine, so the session
//! can [`Session::reload`]: it stops the current generation (in-flight parts are already
//! committed, exactly as when `ferry watch` is interrupted), opens the engine again and starts
//! over. Listeners subscribe to the session, not to an engine, so a reload does not cut them
//! off.

use crate::config::FerryHome;
use crate::engine::Engine;
use crate::events::Event;
use crate::scheduler::JobFilter;
use crate::watch::{self, run::WatchTiming};
use crate::{Error, Result};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{broadcast, watch as signal};
use tokio::task::JoinHandle;

/// Where a session reads its variables (the process environment, or a test's map).
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub struct Session {
    home: FerryHome,
    env: Env,
    engine: RwLock<Arc<Engine>>,
    events: broadcast::Sender<Event>,
    running: Mutex<Option<Generation>>,
}

/// One engine's tasks and the switch that stops them.
struct Generation {
    stop: signal::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Session {
    /// Open the engine in `home` and start uploading and watching (on the current tokio
    /// runtime).
    pub fn start(home: FerryHome, env: Env) -> Result<Arc<Session>> {
        let engine = Arc::new(Engine::open(home.clone(), &*env)?);
        let (events, _) = broadcast::channel(8192);
        let session = Arc::new(Session {
            home,
            env,
            engine: RwLock::new(engine),
            events,
            running: Mutex::new(None),
        });
        session.launch()?;
        Ok(session)
    }

    /// The current engine. Hold it for one operation only: after a reload it is stale.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.read().expect("engine lock").clone()
    }

    /// Events of every generation, in order.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Stop uploading and watching; in-flight work resumes on the next start.
    pub async fn stop(&self) {
        let generation = self.running.lock().expect("session lock").take();
        if let Some(generation) = generation {
            let _ = generation.stop.send(true);
            for task in generation.tasks {
                let _ = task.await;
            }
        }
    }

    /// Open the engine again (new accounts, settings or folders) and carry on with it. When the
    /// new configuration is broken, the old engine keeps running and the error is returned.
    pub async fn reload(&self) -> Result<()> {
        let fresh = Arc::new(Engine::open(self.home.clone(), &*self.env)?);
        self.stop().await;
        *self.engine.write().expect("engine lock") = fresh;
        self.launch()
    }

    fn launch(&self) -> Result<()> {
        let engine = self.engine();
        let timing = WatchTiming::from_env(&*self.env)?;
        let folders = watch::folders(&engine)?;
        let (stop, stopped) = signal::channel(false);
        let mut tasks = Vec::new();

        let mut inner = engine.subscribe();
        let outer = self.events.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                match inner.recv().await {
                    Ok(event) => {
                        let _ = outer.send(event);
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        }));

        let uploader = engine.clone();
        let mut stop_upload = stopped.clone();
        let outer = self.events.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    r = uploader.run(JobFilter::All) => {
                        if let Err(e) = r {
                            report(&outer, e);
                        }
                    }
                    _ = stop_upload.wait_for(|s| *s) => break,
                }
                tokio::select! {
                    _ = uploader.queued() => {}
                    _ = stop_upload.wait_for(|s| *s) => break,
                }
            }
        }));

        if !folders.is_empty() {
            let watcher = engine.clone();
            let mut stop_watch = stopped.clone();
            let outer = self.events.clone();
            tasks.push(tokio::spawn(async move {
                let until = async move {
                    let _ = stop_watch.wait_for(|s| *s).await;
                };
                if let Err(e) = watch::run::run(&watcher, folders, timing, until).await {
                    report(&outer, e);
                }
            }));
        }
        *self.running.lock().expect("session lock") = Some(Generation { stop, tasks });
        Ok(())
    }
}

/// A failure of the session itself (not of one job): the queue could not be read, a folder
/// could not be watched.
fn report(events: &broadcast::Sender<Event>, error: Error) {
    tracing::warn!("session: {error}");
    let _ = events.send(Event::Problem {
        message: error.to_string(),
    });
}
