//! The engine: the one entry point front ends (CLI, desktop shell) call.
//!
//! It ties the pieces together: settings and destinations are resolved once, files are taken
//! in through [`crate::intake`], and runs of the [`Scheduler`] are guarded by a lock file so that
//! only one process uploads from a queue at a time. A second process waits for the first, then
//! takes over whatever is left.

use crate::clock::{Clock, SystemClock};
use crate::config::{FerryHome, Settings};
use crate::destination::check::CheckOptions;
use crate::destination::cloudflare::{CheckLine, CloudflareConfig};
use crate::destination::{Destination, Destinations};
use crate::events::Event;
use crate::intake::{self, FoundFile, IntakeOptions, Rejected};
use crate::job::{JobId, JobState, NewJob, UploadJob};
use crate::keys::KeyTemplate;
use crate::queue::{JobFacets, JobPage, JobQuery, JobTally, Queue};
use crate::route::{RouteInput, RouteRule, Routing};
use crate::scheduler::{JobFilter, Scheduler};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

mod arrivals;
mod captions;
pub use captions::DEFAULT_CAPTION_LANGUAGE;
mod controls;
mod courses;
pub use courses::{CourseSample, CourseSummary, SamplePlace};
mod links;
mod live;
mod requests;
mod video_edit;
pub use links::{Link, LinkChoices};
pub(crate) mod runs;

use runs::Runs;

/// Object stores tried, in order, for files that no other destination takes.
const DEFAULT_ORDER: &[&str] = &[
    crate::provider::R2,
    crate::provider::S3,
    crate::provider::GCS,
];
/// The Cloudflare destinations' names.
pub use crate::provider::{IMAGES, STREAM};

pub struct Engine {
    home: FerryHome,
    settings: Settings,
    queue: Arc<Queue>,
    destinations: Destinations,
    /// Destinations whose configuration is present but broken, with the reason.
    broken: BTreeMap<String, Error>,
    /// The Cloudflare account behind Images and Stream, for checks.
    cloudflare: Option<CloudflareConfig>,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<Event>,
    /// Signalled when jobs are queued, so a running scheduler takes them without waiting for
    /// its current batch to finish.
    wake: Arc<Notify>,
    /// The uploads of this process, shared with the engines a session opens after this one.
    runs: Arc<Runs>,
}

/// How [`Engine::prepare`] turns files into jobs.
pub struct Preparation<'a> {
    pub destination: Option<&'a str>,
    /// Rules evaluated before the settings' and the defaults (a watched folder's own).
    pub routes: &'a [RouteRule],
    pub prefix: &'a str,
    pub template: &'a KeyTemplate,
    pub force: bool,
    /// Take hidden files and secrets found in folders too.
    pub everything: bool,
    /// The course the files belong to (its name, recorded on each job).
    pub course: Option<&'a str>,
}

/// How [`Engine::add`] takes files in.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddOptions<'a> {
    /// Send every file here instead of routing each.
    pub destination: Option<&'a str>,
    /// Key prefix (default: the course's, else the settings').
    pub prefix: Option<&'a str>,
    /// The course the files belong to: its destination, prefix and template apply where the
    /// options above leave them open.
    pub course: Option<&'a str>,
    /// Upload even content uploaded before.
    pub force: bool,
    /// Inside folders, take hidden, temporary and system files and files holding private
    /// keys too (skipped by default, and listed in [`Intake::skipped`]).
    pub everything: bool,
}

/// Jobs ready to queue (with the index of their file), files refused, and routing notes.
#[derive(Default)]
pub struct Prepared {
    pub jobs: Vec<(usize, NewJob)>,
    pub rejected: Vec<Rejected>,
    pub notes: Vec<String>,
    /// Files taken as the captions of a video in `jobs` (their index in `found`, and the file as
    /// read): they are not uploaded on their own.
    pub attached: Vec<(usize, crate::job::FileSnapshot)>,
}

/// What `add` did with the paths it was given.
#[derive(Debug)]
pub struct Intake {
    pub queued: Vec<JobId>,
    pub rejected: Vec<Rejected>,
    /// Hidden, temporary and system files and folders left out of the folders given.
    pub skipped: Vec<PathBuf>,
    /// Files routed away from their kind's usual destination, and why.
    pub notes: Vec<String>,
}

impl Engine {
    /// Open the engine in `home`, with destinations from the environment.
    pub fn open(home: FerryHome, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        home.ensure()?;
        let settings = Settings::load(&home.config_file())?;
        // Each provider from the environment where it is set there, else from its default
        // account (the keychain is only asked when an account is needed).
        let accounts = crate::accounts::Accounts::load(&home.accounts_file())?;
        let values = crate::destination::setup::values(
            env,
            &accounts,
            &crate::keychain::Keychain::default(),
        );
        let configured = crate::destination::setup::build(values, &settings);
        let mut engine = Self::with_parts(
            home,
            settings,
            configured.destinations,
            configured.broken,
            Arc::new(SystemClock),
        )?;
        engine.cloudflare = configured.cloudflare;
        Ok(engine)
    }

    /// Assemble an engine from its parts (tests use this with their own destinations).
    pub fn with_parts(
        home: FerryHome,
        settings: Settings,
        destinations: Destinations,
        broken: BTreeMap<String, Error>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        home.ensure()?;
        settings.validate()?;
        let queue = Arc::new(Queue::open(&home.database())?);
        let (events, _) = broadcast::channel(4096);
        let runs = Runs::new(home.lock_file());
        Ok(Engine {
            home,
            settings,
            queue,
            destinations,
            broken,
            cloudflare: None,
            clock,
            events,
            wake: Arc::new(Notify::new()),
            runs,
        })
    }

    /// Make this engine the successor of `earlier` (a session's reload): it sends its events
    /// on `events`, where listeners already are, and shares the process's uploads with the
    /// engines before it, so the old engine may finish what it has in flight while this one
    /// starts on the rest.
    pub(crate) fn succeeding(mut self, events: broadcast::Sender<Event>, runs: Arc<Runs>) -> Self {
        self.events = events;
        self.runs = runs;
        self
    }

    pub(crate) fn runs(&self) -> &Arc<Runs> {
        &self.runs
    }

    pub(crate) fn event_sender(&self) -> broadcast::Sender<Event> {
        self.events.clone()
    }

    pub fn home(&self) -> &FerryHome {
        &self.home
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    fn now(&self) -> i64 {
        self.clock.unix_secs()
    }

    /// The shape of the destination named `name`, or a message saying how to configure it.
    pub fn shape_of(&self, name: &str) -> Result<crate::Shape> {
        self.destination(name).map(|d| d.shape())
    }

    /// Whether the destination named `name` gives public links (anyone can open them).
    /// Check the job database page by page ([`Queue::check_integrity`]).
    pub fn check_queue(&self) -> Result<()> {
        self.queue.check_integrity()
    }

    pub fn is_public(&self, name: &str) -> bool {
        self.destinations.get(name).is_some_and(|d| d.is_public())
    }

    /// Whether an upload request's page landing in bucket `name` has its size limit enforced
    /// by the store (a POST policy); `false` for R2, where Ferry removes what comes over it.
    pub fn bounds_request_size(&self, name: &str) -> bool {
        matches!(self.destinations.get(name), Some(Destination::Objects(s)) if s.takes_post_forms())
    }

    /// The destination named `name`, or a message saying how to configure it.
    pub(crate) fn destination(&self, name: &str) -> Result<Destination> {
        if let Some(dest) = self.destinations.get(name) {
            return Ok(dest);
        }
        if let Some(err) = self.broken.get(name) {
            return Err(err.clone());
        }
        let hint = match crate::provider::of_destination(name) {
            Some(p) if p.account => format!(
                "add a {} account (Accounts in the window, or `ferry account add`), or {}",
                p.label,
                p.setup_hint()
            ),
            Some(p) => p.setup_hint(),
            None => format!(
                "known destinations are {}",
                crate::provider::join_and(&crate::provider::destination_names())
            ),
        };
        Err(Error::config(format!(
            "destination {name:?} is not configured: {hint}"
        )))
    }

    /// The object store for files no other destination takes: the configured default, or the
    /// first of r2, s3, gcs that is set up.
    pub fn default_objects(&self) -> Option<String> {
        if let Some(name) = &self.settings.default_destination
            && matches!(self.destinations.get(name), Some(Destination::Objects(_)))
        {
            return Some(name.clone());
        }
        DEFAULT_ORDER
            .iter()
            .find(|n| self.destinations.get(n).is_some())
            .map(|n| n.to_string())
    }

    /// Destinations whose configuration is present but broken, with the reason.
    pub fn problems(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.broken.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Names of the configured destinations.
    pub fn destination_names(&self) -> Vec<String> {
        self.destinations.names().map(str::to_string).collect()
    }

    /// Fail early, with the way to fix it, when nothing at all is configured.
    pub fn ensure_configured(&self) -> Result<()> {
        if self.destinations.names().next().is_some() {
            return Ok(());
        }
        if let Some((name, err)) = self.broken.iter().next() {
            return Err(err.clone().context(format!("destination {name}")));
        }
        Err(Error::config(
            "no destination is configured: set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN for Images and Stream, the R2 variables (CLOUDFLARE_R2_ACCESS_KEY_ID, CLOUDFLARE_R2_SECRET_ACCESS_KEY, CLOUDFLARE_R2_BUCKET_NAME) for other files, or the S3 ones (S3_BUCKET_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
        ))
    }

    /// The routing table: `first` (a watched folder's rules), then ferry.toml's, then seed
    /// 000's defaults.
    fn routing(&self, first: &[RouteRule]) -> Routing<'_> {
        let rules = first
            .iter()
            .chain(&self.settings.routes)
            .cloned()
            .chain(RouteRule::defaults(
                self.settings.images.oversize_to_objects,
            ))
            .collect();
        Routing {
            destinations: &self.destinations,
            objects: self.default_objects(),
            rules,
        }
    }

    /// Check that a destination's account works: for Cloudflare, the token and each
    /// product's permission; for object stores, the bucket.
    pub async fn check(&self, name: &str, options: CheckOptions) -> Result<Vec<CheckLine>> {
        crate::destination::check::check(
            &self.destination(name)?,
            self.cloudflare.as_ref(),
            options,
        )
        .await
    }

    /// The bucket of the object store `name`, or of the default one when `None`.
    pub fn bucket(&self, name: Option<&str>) -> Result<crate::bucket::Bucket> {
        let name = match name {
            Some(n) => n.to_string(),
            None => self.default_objects().ok_or_else(|| {
                Error::config(
                    "no R2, S3 or GCS destination is configured; add an account or pass --account NAME",
                )
            })?,
        };
        crate::bucket::Bucket::of(self.destination(&name)?)
    }

    /// Test the connection of the destinations `names` (every configured one when empty),
    /// grouped as shown to the user: Images and Stream share one token and are checked once,
    /// under "cloudflare (images, stream)".
    pub async fn check_named(
        &self,
        names: &[String],
        options: CheckOptions,
    ) -> Result<Vec<(String, Vec<CheckLine>)>> {
        let names = if names.is_empty() {
            self.destination_names()
        } else {
            names.to_vec()
        };
        if names.is_empty() {
            self.ensure_configured()?;
        }
        let mut groups = Vec::new();
        for (label, name) in crate::destination::check::checked_once(&names) {
            groups.push((label, self.check(&name, options).await?));
        }
        Ok(groups)
    }

    /// The full test of a destination: upload a small file, open its link, delete it
    /// ([`crate::destination::round_trip`]).
    pub async fn round_trip(
        &self,
        name: &str,
        options: crate::destination::round_trip::RoundTripOptions,
    ) -> Result<Vec<CheckLine>> {
        Ok(crate::destination::round_trip::round_trip(&self.destination(name)?, options).await)
    }

    /// Queue the files at `paths` (folders recursively): to `how.destination` if given, else
    /// each where the routing table sends it.
    pub fn add(&self, paths: &[PathBuf], how: &AddOptions<'_>) -> Result<Intake> {
        let course = how.course.map(|name| self.course(name)).transpose()?;
        let place = self.placement(
            (how.destination, how.prefix),
            None,
            course.as_ref().map(|c| &c.options),
        );
        match place.destination {
            Some(name) => {
                self.destination(name)?;
            }
            None => self.ensure_configured()?,
        }
        let template = KeyTemplate::parse(place.template)?;
        let collected = intake::collect(paths, how.everything);
        let mut rejected = collected.rejected;
        let prepared = self.prepare(
            &collected.found,
            &Preparation {
                destination: place.destination,
                routes: &[],
                prefix: place.prefix,
                template: &template,
                force: how.force,
                everything: how.everything,
                course: course.as_ref().map(|c| c.name.as_str()),
            },
        );
        rejected.extend(prepared.rejected);
        let jobs: Vec<NewJob> = prepared.jobs.into_iter().map(|(_, job)| job).collect();
        let queued = self.queue.enqueue(&jobs, self.now())?;
        self.wake.notify_one();
        Ok(Intake {
            queued,
            rejected,
            skipped: collected.skipped,
            notes: prepared.notes,
        })
    }

    /// Check, hash, classify, key and route each file; nothing is queued yet. Jobs come back
    /// with the index of their file in `found`.
    pub fn prepare(&self, found: &[FoundFile], how: &Preparation<'_>) -> Prepared {
        let routing = self.routing(how.routes);
        let when = chrono::DateTime::<chrono::Utc>::from(self.clock.now());
        let batch = format!(
            "{}-{:06}",
            when.format("%Y%m%dT%H%M%S"),
            fastrand::u32(..1_000_000)
        );
        let opts = IntakeOptions {
            batch: &batch,
            prefix: how.prefix,
            template: how.template,
            when,
            force: how.force,
            everything: how.everything,
        };
        let mut rng = fastrand::Rng::new();
        let mut out = Prepared::default();
        let keeps_originals = how
            .course
            .and_then(|c| self.queue.course(&crate::course::key_of(c)).ok().flatten())
            .and_then(|row| serde_json::from_str::<crate::CourseOptions>(&row.options).ok())
            .is_some_and(|o| o.keep_originals);
        let fit = self.settings.images.fit && !keeps_originals;
        let convert = self.settings.images.convert && !keeps_originals;
        let decoder = convert.then(crate::prepare::heif::decoder).flatten();
        for (index, file) in found.iter().enumerate() {
            // A Live Photo's few seconds, found in a folder, are not a lesson video: left out
            // and said, unless the user asked for everything or named the file on its own.
            if file.within.is_some()
                && !how.everything
                && let Some(photo) = crate::prepare::motion::live_photo_of(&file.path)
            {
                out.notes.push(format!(
                    "{}: the moving part of the Live Photo {}, left out; add it on its own to send it as a video",
                    file.path.display(),
                    photo.file_name().unwrap_or_default().to_string_lossy()
                ));
                continue;
            }
            let routed = intake::prepare(file, &opts, &mut rng).and_then(|mut job| {
                // A HEIC photo goes as JPEG when libheif can decode it: its content type says
                // so from here on, and its key ends in .jpg (below, once routing chose it).
                let heic = crate::prepare::heif::converts(&job.content_type);
                if heic && decoder.is_some() {
                    job.content_type = "image/jpeg".into();
                } else if heic && convert {
                    out.notes
                        .push(crate::prepare::heif::no_decoder_note(&job.file.path));
                }
                let rel = intake::relative_name(file, &job.display_name);
                let input = RouteInput {
                    path: &job.file.path,
                    rel: &rel,
                    kind: job.kind,
                    content_type: &job.content_type,
                    size: job.file.size,
                    fit,
                };
                let name = match how.destination {
                    Some(name) => routing.accepts(name, &input).map(|()| name.to_string())?,
                    None => {
                        let choice = routing.choose(&input)?;
                        out.notes.extend(choice.note);
                        job.inline = choice.inline;
                        if let Some(t) = &choice.template {
                            let template = KeyTemplate::parse(t)?;
                            job.key = intake::render_key(
                                file,
                                &job.display_name,
                                job.kind,
                                &job.file.hash,
                                &opts,
                                &template,
                                &mut rng,
                            );
                        }
                        choice.destination
                    }
                };
                if heic && decoder.is_some() {
                    job.key = crate::keys::with_extension(&job.key, "jpg");
                }
                let dest = self.destination(&name)?;
                crate::keys::check_length(&job.key, &job.file.path)?;
                job.destination = name;
                job.target = dest.target();
                job.course = how.course.map(str::to_string);
                Ok(job)
            });
            match routed {
                Ok(job) => out.jobs.push((index, job)),
                Err(error) => out.rejected.push(Rejected {
                    path: file.path.clone(),
                    error,
                }),
            }
        }
        self.attach_captions(&mut out);
        out
    }

    pub(crate) fn queue(&self) -> &Arc<Queue> {
        &self.queue
    }

    pub(crate) fn unix_now(&self) -> i64 {
        self.now()
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Tell a running scheduler (or a waiting watch loop) that jobs were queued.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when jobs were queued since the last call.
    pub async fn queued(&self) {
        self.wake.notified().await
    }

    /// Upload the jobs matching `filter` until none is left to do.
    pub async fn run(&self, filter: JobFilter) -> Result<()> {
        self.run_until(filter, std::future::pending()).await
    }

    /// Upload the jobs matching `filter` until none is left to do, or, once `drain` resolves,
    /// until the uploads already sending have ended (no new job is started; jobs only waiting
    /// for a provider to process them are left for the next run).
    pub async fn run_until(
        &self,
        filter: JobFilter,
        drain: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(drain);
        loop {
            match self.runs.lock()? {
                Some(_lock) => {
                    let scheduler = Scheduler::new(
                        self.queue.clone(),
                        self.destinations.clone(),
                        self.settings.clone(),
                        self.clock.clone(),
                        self.events.clone(),
                        self.runs.clone(),
                        self.home.data_dir.join("prepared"),
                    )
                    .woken_by(self.wake.clone());
                    return scheduler.run_until(&filter, drain).await;
                }
                None => {
                    // Another Ferry is uploading from this queue: it will take our jobs too
                    // (it picks up new ones), or leave them to us when it stops.
                    if self.settled(&filter)? {
                        return Ok(());
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(300)) => {}
                        _ = &mut drain => return Ok(()),
                    }
                }
            }
        }
    }

    fn settled(&self, filter: &JobFilter) -> Result<bool> {
        Ok(match filter {
            JobFilter::All => self.queue.unfinished()?.is_empty(),
            JobFilter::Only(ids) => ids.iter().all(|id| {
                matches!(self.queue.state(*id), Ok(Some(s)) if s.is_terminal() || s == JobState::Paused)
            }),
        })
    }

    pub fn jobs(&self) -> Result<Vec<UploadJob>> {
        self.queue.list()
    }

    /// One page of the jobs `query` matches, newest first (what a window shows: it never
    /// reads the whole history at once).
    pub fn job_page(&self, query: &JobQuery, offset: u64, limit: u64) -> Result<JobPage> {
        self.queue.page(query, offset, limit)
    }

    /// The ids of every job `query` matches, newest first.
    pub fn job_ids(&self, query: &JobQuery) -> Result<Vec<JobId>> {
        self.queue.ids(query)
    }

    /// How many jobs are active, paused, failed, done, and in all.
    pub fn job_tally(&self) -> Result<JobTally> {
        self.queue.tally()
    }

    /// The destinations, folders and courses jobs name, for filtering them.
    pub fn job_facets(&self) -> Result<JobFacets> {
        self.queue.facets()
    }

    /// A way to read jobs that outlives this borrow (for event listeners on other tasks).
    pub fn job_reader(&self) -> impl Fn(JobId) -> Option<UploadJob> + Send + Sync + 'static {
        let queue = self.queue.clone();
        move |id| queue.get(id).ok().flatten()
    }

    pub fn job(&self, id: JobId) -> Result<Option<UploadJob>> {
        self.queue.get(id)
    }
}
