//! A running Ferry: one engine with its uploader, its folder watcher and a look every few
//! minutes for live lessons' recordings and what came through upload requests, kept going
//! until stopped. The desktop
//! app holds one session for its whole life.
//!
//! Changing accounts, settings or watched folders needs a freshly opened engine, so the session
//! can [`Session::reload`]. A reload never waits on an upload: the old engine's uploader is
//! told to drain (start nothing new, finish the uploads already sending, let go of videos that
//! only wait for processing), the new engine starts at once on everything else, and the two
//! share the process's claims on jobs, so no job runs twice and no confirmed part is sent
//! again ([`crate::engine`]'s `runs`). The old watcher stops and the new one starts once it
//! has (so a file is never taken by both).
//!
//! Every engine the session opens sends its events on the session's own channel, so listeners
//! subscribe once and hear every generation; no task stands between an engine and them.
//!
//! [`Session::stop`] stops everything at once: uploads in flight are dropped where they stand
//! (their confirmed parts are committed) and resume on the next start.

use crate::config::FerryHome;
use crate::engine::Engine;
use crate::engine::runs::Runs;
use crate::events::Event;
use crate::scheduler::JobFilter;
use crate::watch::{self, WatchedFolder, run::WatchTiming};
use crate::{Error, ErrorKind, Result};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch as signal};
use tokio::task::JoinHandle;

/// Where a session reads its variables (the process environment, or a test's map).
pub type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How a session opens an engine: [`Engine::open`], or a test's engine on in-memory stores.
pub(crate) type Opener = Arc<dyn Fn(FerryHome, &Env) -> Result<Engine> + Send + Sync>;

pub struct Session {
    home: FerryHome,
    env: Env,
    open: Opener,
    engine: RwLock<Arc<Engine>>,
    events: broadcast::Sender<Event>,
    runs: Arc<Runs>,
    /// The current generation last; earlier ones are still draining.
    generations: Mutex<Vec<Generation>>,
    /// Reloads one at a time, so two at once cannot interleave their swaps.
    reloading: tokio::sync::Mutex<()>,
}

/// How far a generation is asked to wind down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wind {
    Run,
    /// Start nothing new; finish what is sending.
    Drain,
    /// Stop now.
    Stop,
}

/// One engine's tasks and the switch that winds them down.
struct Generation {
    wind: signal::Sender<Wind>,
    uploader: JoinHandle<()>,
    watcher: Option<JoinHandle<()>>,
    /// Looks now and then for live lessons' recordings and what came through upload requests.
    arrivals: JoinHandle<()>,
}

impl Generation {
    fn finished(&self) -> bool {
        self.uploader.is_finished()
            && self.arrivals.is_finished()
            && self.watcher.as_ref().is_none_or(|w| w.is_finished())
    }
}

/// What a generation will do besides uploading: the folders it watches, how, and how often it
/// looks for recordings and requests' arrivals.
struct Plan {
    timing: WatchTiming,
    folders: Vec<WatchedFolder>,
    arrivals_every: Duration,
}

/// How often a session looks for new recordings of live lessons and for what came through
/// upload requests: `FERRY_LIVE_POLL_SECS`, two minutes by default (a recording is ready a
/// little after the lesson ends; each look costs one request per lesson and per open request).
fn arrivals_every(env: &Env) -> Result<Duration> {
    match env("FERRY_LIVE_POLL_SECS") {
        None => Ok(Duration::from_secs(120)),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(|s| Duration::from_secs(s.max(1)))
            .map_err(|_| {
                Error::config(format!("FERRY_LIVE_POLL_SECS={v:?} is not a whole number"))
            }),
    }
}

impl Session {
    /// Open the engine in `home` and start uploading and watching (on the current tokio
    /// runtime).
    pub fn start(home: FerryHome, env: Env) -> Result<Arc<Session>> {
        Session::start_with(home, env, Arc::new(|home, env| Engine::open(home, &**env)))
    }

    /// [`Session::start`] with engines opened by `open`.
    pub(crate) fn start_with(home: FerryHome, env: Env, open: Opener) -> Result<Arc<Session>> {
        let engine = open(home.clone(), &env)?;
        let events = engine.event_sender();
        let runs = engine.runs().clone();
        let session = Arc::new(Session {
            home,
            env,
            open,
            engine: RwLock::new(Arc::new(engine)),
            events,
            runs,
            generations: Mutex::new(Vec::new()),
            reloading: tokio::sync::Mutex::new(()),
        });
        let plan = session.plan(&session.engine())?;
        session.launch(plan, None);
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

    /// Stop uploading and watching, in every generation; in-flight work resumes on the next
    /// start.
    pub async fn stop(&self) {
        let generations = std::mem::take(&mut *self.generations.lock().expect("session lock"));
        for generation in &generations {
            let _ = generation.wind.send(Wind::Stop);
        }
        for generation in generations {
            let _ = generation.uploader.await;
            let _ = generation.arrivals.await;
            if let Some(watcher) = generation.watcher {
                let _ = watcher.await;
            }
        }
    }

    /// Open the engine again (new accounts, settings or folders) and carry on with it. Returns
    /// as soon as the new engine runs: uploads already sending finish in the old one. When the
    /// new configuration is broken, the old engine keeps running and the error is returned.
    pub async fn reload(&self) -> Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let began = std::time::Instant::now();
        let (home, env, open) = (self.home.clone(), self.env.clone(), self.open.clone());
        let (events, runs) = (self.events.clone(), self.runs.clone());
        let fresh = tokio::task::spawn_blocking(move || {
            open(home, &env).map(|e| e.succeeding(events, runs))
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("opening the engine stopped: {e}")))??;
        let opened = began.elapsed();
        let plan = self.plan(&fresh)?;
        let earlier = {
            let mut generations = self.generations.lock().expect("session lock");
            generations.retain(|g| !g.finished());
            generations.last_mut().map(|current| {
                let _ = current.wind.send(Wind::Drain);
                current.watcher.take()
            })
        };
        *self.engine.write().expect("engine lock") = Arc::new(fresh);
        self.launch(plan, earlier.flatten());
        tracing::info!(
            open_ms = opened.as_millis() as u64,
            took_ms = began.elapsed().as_millis() as u64,
            "engine reopened"
        );
        Ok(())
    }

    /// What a generation of `engine` will watch, and how: read before anything is stopped, so
    /// a broken configuration leaves the running generation alone.
    fn plan(&self, engine: &Engine) -> Result<Plan> {
        Ok(Plan {
            timing: WatchTiming::from_env(&*self.env)?,
            folders: watch::folders(engine)?,
            arrivals_every: arrivals_every(&self.env)?,
        })
    }

    /// Start the current engine's uploader, and its watcher once `earlier_watcher` (the
    /// previous generation's, told to stop) has ended.
    fn launch(&self, plan: Plan, earlier_watcher: Option<JoinHandle<()>>) {
        let Plan {
            timing,
            folders,
            arrivals_every,
        } = plan;
        let engine = self.engine();
        let (wind, winding) = signal::channel(Wind::Run);
        // The job database is checked page by page beside the start, not before it (the window
        // would wait for it); nothing uploads, watches or adds arrivals until it passed.
        let (passed, checked) = signal::channel(None::<bool>);
        {
            let engine = engine.clone();
            tokio::spawn(async move {
                let check = engine.clone();
                let ok = match tokio::task::spawn_blocking(move || check.check_queue()).await {
                    Ok(Ok(())) => true,
                    Ok(Err(e)) => {
                        report(&engine, e);
                        false
                    }
                    Err(_) => false,
                };
                let _ = passed.send(Some(ok));
            });
        }

        let uploader = {
            let engine = engine.clone();
            let mut stop = winding.clone();
            let mut drain = winding.clone();
            let mut idle = winding.clone();
            let gate = (checked.clone(), winding.clone());
            tokio::spawn(async move {
                if !queue_passed(gate).await {
                    return;
                }
                loop {
                    let drained = async {
                        let _ = drain.wait_for(|w| *w >= Wind::Drain).await;
                    };
                    tokio::select! {
                        r = engine.run_until(JobFilter::All, drained) => {
                            if let Err(e) = r {
                                report(&engine, e);
                            }
                        }
                        _ = stop.wait_for(|w| *w == Wind::Stop) => break,
                    }
                    tokio::select! {
                        _ = engine.queued() => {}
                        _ = idle.wait_for(|w| *w >= Wind::Drain) => break,
                    }
                }
            })
        };

        let watcher = (!folders.is_empty()).then(|| {
            let engine = engine.clone();
            let mut stop = winding.clone();
            let gate = (checked.clone(), winding.clone());
            tokio::spawn(async move {
                if let Some(earlier) = earlier_watcher {
                    let _ = earlier.await;
                }
                if !queue_passed(gate).await {
                    return;
                }
                let until = async move {
                    let _ = stop.wait_for(|w| *w >= Wind::Drain).await;
                };
                if let Err(e) = watch::run::run(&engine, folders, timing, until).await {
                    report(&engine, e);
                }
            })
        });
        let arrivals = {
            let mut stop = winding.clone();
            let gate = (checked.clone(), winding.clone());
            tokio::spawn(async move {
                if !queue_passed(gate).await {
                    return;
                }
                loop {
                    let look = async {
                        // Offline, or the token lacks Stream: the next look may do better,
                        // and nothing waits on this one.
                        if let Err(e) = engine.sync_arrivals().await {
                            tracing::info!("looking for recordings and requests' arrivals: {e}");
                        }
                        tokio::time::sleep(arrivals_every).await;
                    };
                    tokio::select! {
                        _ = look => {}
                        _ = stop.wait_for(|w| *w >= Wind::Drain) => break,
                    }
                }
            })
        };
        self.generations
            .lock()
            .expect("session lock")
            .push(Generation {
                wind,
                uploader,
                watcher,
                arrivals,
            });
    }
}

/// Wait for the job database's check: `false` when it failed, or when the session winds down
/// first.
async fn queue_passed(
    (mut checked, mut winding): (signal::Receiver<Option<bool>>, signal::Receiver<Wind>),
) -> bool {
    tokio::select! {
        r = checked.wait_for(|v| v.is_some()) => r.map(|v| *v == Some(true)).unwrap_or(false),
        _ = winding.wait_for(|w| *w >= Wind::Drain) => false,
    }
}

/// A failure of the session itself (not of one job): the queue could not be read, a folder
/// could not be watched.
fn report(engine: &Engine, error: Error) {
    tracing::warn!("session: {error}");
    engine.emit(Event::Problem {
        message: error.to_string(),
    });
}
