//! In-memory destinations, one per shape, so the scheduler, the engine and the session can be
//! unit-tested without servers (no rclone, Node or Python): they keep what they are sent in
//! maps, read each body from disk as the real ones do (feeding the progress counter and the
//! sent-bytes digest), and follow each trait's contract (an offset mismatch is a
//! `Precondition`, a forgotten upload `None` or `NotFound`, a refused overwrite a
//! `Precondition`).
//!
//! A [`Script`] shared by the three lets a test fail the next calls of an operation with a chosen
//! error kind, hold an operation until released (to pause, cancel or crash in the middle), and
//! read back every call in order.

use crate::destination::bucket::{BucketSettings, CorsRule, Lifecycle};
use crate::destination::{
    Capabilities, Completion, FileRange, ImageLimits, ImageSpec, ImageStore, ObjectSpec,
    ObjectStore, OpenUpload, Processing, RemoteObject, StoredImage, VideoSpec, VideoStore,
    VideoUpload,
};
use crate::job::ConfirmedPart;
use crate::parts::PartRules;
use crate::{Error, ErrorKind, Result};
use async_trait::async_trait;
use ferry_tus::ChunkPolicy;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// Faults, holds and the call log, shared by the stores of one test.
#[derive(Default)]
pub(crate) struct Script {
    faults: Mutex<Vec<(&'static str, ErrorKind, u32)>>,
    losses: Mutex<Vec<(&'static str, u32)>>,
    holds: Mutex<HashMap<&'static str, Arc<Hold>>>,
    calls: Mutex<Vec<String>>,
    in_flight: Mutex<(usize, usize)>,
}

/// An operation held until released: `reached` is told each time a call arrives.
pub(crate) struct Hold {
    gate: Semaphore,
    pub(crate) reached: Notify,
    waiting: std::sync::atomic::AtomicUsize,
}

impl Script {
    pub(crate) fn new() -> Arc<Script> {
        Arc::new(Script::default())
    }

    /// The next `times` calls of `op` fail with `kind`.
    pub(crate) fn fail(&self, op: &'static str, kind: ErrorKind, times: u32) {
        lock(&self.faults).push((op, kind, times));
    }

    /// The next `times` calls of `op` take effect, then their reply is lost (a network error).
    pub(crate) fn lose_reply(&self, op: &'static str, times: u32) {
        lock(&self.losses).push((op, times));
    }

    /// Whether this call's reply is to be lost.
    fn lost(&self, op: &'static str) -> Result<()> {
        let mut losses = lock(&self.losses);
        if let Some(l) = losses.iter_mut().find(|l| l.0 == op && l.1 > 0) {
            l.1 -= 1;
            return Err(Error::new(
                ErrorKind::Network,
                format!("the reply to {op} was lost"),
            ));
        }
        Ok(())
    }

    /// Calls of `op` wait until [`Script::release`]; returns the hold, to await arrivals.
    pub(crate) fn hold(&self, op: &'static str) -> Arc<Hold> {
        let hold = Arc::new(Hold {
            gate: Semaphore::new(0),
            reached: Notify::new(),
            waiting: Default::default(),
        });
        lock(&self.holds).insert(op, hold.clone());
        hold
    }

    /// Let every held and future call of `op` through.
    pub(crate) fn release(&self, op: &'static str) {
        if let Some(h) = lock(&self.holds).remove(op) {
            h.gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }

    /// Every call so far, as `op` or `op:detail`.
    pub(crate) fn calls(&self) -> Vec<String> {
        lock(&self.calls).clone()
    }

    /// How many calls of `op` (detail ignored) were made.
    pub(crate) fn count(&self, op: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.split(':').next() == Some(op))
            .count()
    }

    /// The most calls that were in flight at once.
    pub(crate) fn max_in_flight(&self) -> usize {
        lock(&self.in_flight).1
    }

    /// Record a call, wait if it is held, fail it if a fault is scripted.
    async fn enter(
        &self,
        op: &'static str,
        detail: impl std::fmt::Display,
    ) -> Result<InFlight<'_>> {
        lock(&self.calls).push(format!("{op}:{detail}"));
        let guard = InFlight::new(self);
        let hold = lock(&self.holds).get(op).cloned();
        if let Some(hold) = hold {
            hold.waiting.fetch_add(1, Ordering::SeqCst);
            hold.reached.notify_waiters();
            let permit = hold.gate.acquire().await;
            if let Ok(p) = permit {
                p.forget();
            }
        }
        let mut faults = lock(&self.faults);
        if let Some(f) = faults.iter_mut().find(|f| f.0 == op && f.2 > 0) {
            f.2 -= 1;
            return Err(Error::new(f.1, format!("scripted failure of {op}")));
        }
        Ok(guard)
    }
}

impl Hold {
    /// Wait until at least `n` calls arrived at the hold.
    pub(crate) async fn arrivals(&self, n: usize) {
        while self.waiting.load(Ordering::SeqCst) < n {
            let notified = self.reached.notified();
            if self.waiting.load(Ordering::SeqCst) >= n {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
    }
}

/// Counts a call as in flight while alive.
struct InFlight<'a>(&'a Script);

impl<'a> InFlight<'a> {
    fn new(script: &'a Script) -> Self {
        let mut n = lock(&script.in_flight);
        n.0 += 1;
        n.1 = n.1.max(n.0);
        InFlight(script)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(&self.0.in_flight).0 -= 1;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read a body from disk the way the real senders do: progress and digest fed as bytes go.
fn read(body: &FileRange) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| Error::from_io(&body.path, &e);
    let mut f = std::fs::File::open(&body.path).map_err(io)?;
    f.seek(SeekFrom::Start(body.offset)).map_err(io)?;
    let mut bytes = vec![0u8; body.len as usize];
    f.read_exact(&mut bytes).map_err(io)?;
    body.deliver(body.offset, &mut bytes);
    body.sent.fetch_add(body.len, Ordering::Relaxed);
    Ok(bytes)
}

fn tag(bytes: &[u8]) -> String {
    format!("\"{}\"", &blake3::hash(bytes).to_hex()[..32])
}

/// An object store.
pub(crate) struct MemoryObjects {
    name: String,
    script: Arc<Script>,
    state: Mutex<ObjectsState>,
    parts: PartRules,
}

type Parts = BTreeMap<u32, (String, Vec<u8>)>;

#[derive(Default)]
struct ObjectsState {
    objects: BTreeMap<String, (Vec<u8>, String)>,
    /// upload id → (key, parts by number: (etag, bytes))
    uploads: BTreeMap<String, (String, Parts)>,
    next: u64,
}

impl MemoryObjects {
    pub(crate) fn new(name: &str, script: &Arc<Script>) -> Self {
        MemoryObjects {
            name: name.into(),
            script: script.clone(),
            state: Mutex::default(),
            parts: PartRules::AWS,
        }
    }

    /// The bytes stored at `key`.
    pub(crate) fn object(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.state).objects.get(key).map(|o| o.0.clone())
    }

    pub(crate) fn keys(&self) -> Vec<String> {
        lock(&self.state).objects.keys().cloned().collect()
    }

    /// Multipart uploads still open.
    pub(crate) fn open_upload_count(&self) -> usize {
        lock(&self.state).uploads.len()
    }
}

#[async_trait]
impl BucketSettings for MemoryObjects {
    async fn check_bucket(&self) -> Result<()> {
        Ok(())
    }
    async fn probe_write(&self) -> Result<()> {
        Ok(())
    }
    async fn cors(&self) -> Result<Vec<CorsRule>> {
        Ok(Vec::new())
    }
    async fn set_cors(&self, _rules: &[CorsRule]) -> Result<()> {
        Ok(())
    }
    async fn lifecycle(&self) -> Result<Lifecycle> {
        Ok(Lifecycle {
            abort_incomplete_days: None,
            other_rules: Vec::new(),
        })
    }
    async fn set_abort_incomplete(&self, _days: i32) -> Result<()> {
        Ok(())
    }
}

#[async_trait]
impl ObjectStore for MemoryObjects {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        format!("memory|{}", self.name)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            parts: self.parts,
            conditional_writes: true,
        }
    }

    async fn head(&self, key: &str) -> Result<RemoteObject> {
        let _g = self.script.enter("head", key).await?;
        Ok(match lock(&self.state).objects.get(key) {
            None => RemoteObject::Absent,
            Some((bytes, hash)) => RemoteObject::Present {
                size: bytes.len() as u64,
                hash: Some(hash.clone()),
            },
        })
    }

    async fn put(&self, spec: &ObjectSpec, body: FileRange) -> Result<()> {
        let _g = self.script.enter("put", &spec.key).await?;
        let bytes = read(&body)?;
        let mut state = lock(&self.state);
        if !spec.overwrite && state.objects.contains_key(&spec.key) {
            return Err(Error::new(
                ErrorKind::Precondition,
                format!("{} exists", spec.key),
            ));
        }
        state
            .objects
            .insert(spec.key.clone(), (bytes, spec.hash.clone()));
        self.script.lost("put")
    }

    async fn create_multipart(&self, spec: &ObjectSpec) -> Result<String> {
        let _g = self.script.enter("create_multipart", &spec.key).await?;
        let mut state = lock(&self.state);
        state.next += 1;
        let id = format!("upload-{}", state.next);
        state
            .uploads
            .insert(id.clone(), (spec.key.clone(), BTreeMap::new()));
        Ok(id)
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        body: FileRange,
    ) -> Result<String> {
        let _g = self.script.enter("upload_part", number).await?;
        let bytes = read(&body)?;
        let etag = tag(&bytes);
        let mut state = lock(&self.state);
        let Some((k, parts)) = state.uploads.get_mut(upload_id) else {
            return Err(Error::new(
                ErrorKind::UploadLost,
                format!("no upload {upload_id} for {key}"),
            ));
        };
        debug_assert_eq!(k, key);
        parts.insert(number, (etag.clone(), bytes));
        Ok(etag)
    }

    async fn list_parts(&self, _key: &str, upload_id: &str) -> Result<Option<Vec<ConfirmedPart>>> {
        let _g = self.script.enter("list_parts", upload_id).await?;
        Ok(lock(&self.state).uploads.get(upload_id).map(|(_, parts)| {
            parts
                .iter()
                .map(|(n, (etag, bytes))| ConfirmedPart {
                    number: *n,
                    etag: etag.clone(),
                    size: bytes.len() as u64,
                })
                .collect()
        }))
    }

    async fn complete_multipart(
        &self,
        spec: &ObjectSpec,
        upload_id: &str,
        parts: &[ConfirmedPart],
    ) -> Result<Completion> {
        let _g = self.script.enter("complete", &spec.key).await?;
        let mut state = lock(&self.state);
        let Some((_, held)) = state.uploads.get(upload_id) else {
            return Err(Error::new(
                ErrorKind::UploadLost,
                format!("no upload {upload_id}"),
            ));
        };
        let mut object = Vec::new();
        for p in parts {
            match held.get(&p.number) {
                Some((etag, bytes)) if *etag == p.etag => object.extend_from_slice(bytes),
                _ => {
                    return Err(Error::new(
                        ErrorKind::UploadLost,
                        format!("part {} is not the one sent", p.number),
                    ));
                }
            }
        }
        if !spec.overwrite && state.objects.contains_key(&spec.key) {
            return Err(Error::new(
                ErrorKind::Precondition,
                format!("{} exists", spec.key),
            ));
        }
        state.uploads.remove(upload_id);
        state
            .objects
            .insert(spec.key.clone(), (object, spec.hash.clone()));
        self.script.lost("complete")?;
        Ok(Completion::Proven)
    }

    async fn abort_multipart(&self, _key: &str, upload_id: &str) -> Result<()> {
        let _g = self.script.enter("abort", upload_id).await?;
        lock(&self.state).uploads.remove(upload_id);
        Ok(())
    }

    async fn open_uploads(&self, key: &str) -> Result<Vec<OpenUpload>> {
        let _g = self.script.enter("open_uploads", key).await?;
        Ok(lock(&self.state)
            .uploads
            .iter()
            .filter(|(_, (k, _))| k == key)
            .map(|(id, _)| OpenUpload {
                upload_id: id.clone(),
                initiated: None,
            })
            .collect())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let _g = self.script.enter("delete", key).await?;
        lock(&self.state).objects.remove(key);
        Ok(())
    }

    async fn url(&self, key: &str, _expires: Duration) -> Result<String> {
        Ok(format!("https://{}.memory.invalid/{key}", self.name))
    }

    fn is_public(&self) -> bool {
        true
    }
}

/// A tus video store; with `processes`, a video is ready after `polls` processing questions.
pub(crate) struct MemoryVideos {
    name: String,
    script: Arc<Script>,
    chunk: u64,
    processes: bool,
    polls: u32,
    state: Mutex<VideosState>,
}

#[derive(Default)]
struct VideosState {
    /// upload URL → (media id, declared size, bytes so far)
    uploads: BTreeMap<String, (String, u64, Vec<u8>)>,
    /// media id → processing questions asked
    asked: HashMap<String, u32>,
    next: u64,
}

impl MemoryVideos {
    pub(crate) fn new(name: &str, script: &Arc<Script>, chunk: u64, processes: bool) -> Self {
        MemoryVideos {
            name: name.into(),
            script: script.clone(),
            chunk,
            processes,
            polls: 2,
            state: Mutex::default(),
        }
    }

    /// The bytes of the video `media_id`.
    pub(crate) fn video(&self, media_id: &str) -> Option<Vec<u8>> {
        lock(&self.state)
            .uploads
            .values()
            .find(|(m, _, _)| m == media_id)
            .map(|(_, _, b)| b.clone())
    }

    /// Forget an unfinished upload, as a server does when it expires.
    pub(crate) fn expire_all(&self) {
        lock(&self.state)
            .uploads
            .retain(|_, (_, size, bytes)| bytes.len() as u64 == *size);
    }

    pub(crate) fn count(&self) -> usize {
        lock(&self.state).uploads.len()
    }
}

#[async_trait]
impl VideoStore for MemoryVideos {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        format!("memory|{}", self.name)
    }

    fn chunks(&self) -> ChunkPolicy {
        ChunkPolicy::ANY.preferring(self.chunk)
    }

    fn max_size(&self) -> u64 {
        u64::MAX
    }

    fn requires_signed_urls(&self) -> bool {
        false
    }

    fn videos_only(&self) -> bool {
        false
    }

    fn processes(&self) -> bool {
        self.processes
    }

    async fn create(&self, spec: &VideoSpec) -> Result<VideoUpload> {
        let _g = self.script.enter("create", &spec.name).await?;
        let mut state = lock(&self.state);
        state.next += 1;
        let upload = VideoUpload {
            upload_url: format!("https://upload.memory.invalid/{}", state.next),
            media_id: format!("video-{}", state.next),
        };
        state.uploads.insert(
            upload.upload_url.clone(),
            (upload.media_id.clone(), spec.size, Vec::new()),
        );
        Ok(upload)
    }

    async fn offset(&self, upload_url: &str) -> Result<Option<u64>> {
        let _g = self.script.enter("offset", upload_url).await?;
        Ok(lock(&self.state)
            .uploads
            .get(upload_url)
            .map(|u| u.2.len() as u64))
    }

    async fn send(&self, upload_url: &str, offset: u64, body: FileRange) -> Result<u64> {
        let _g = self.script.enter("send", offset).await?;
        let bytes = read(&body)?;
        let mut state = lock(&self.state);
        let Some((_, size, held)) = state.uploads.get_mut(upload_url) else {
            return Err(Error::new(ErrorKind::NotFound, "the upload is gone"));
        };
        if held.len() as u64 != offset {
            return Err(Error::new(ErrorKind::Precondition, "offset mismatch"));
        }
        if offset + bytes.len() as u64 > *size {
            return Err(Error::input("more bytes than the upload's length"));
        }
        held.extend_from_slice(&bytes);
        Ok(held.len() as u64)
    }

    async fn abandon(&self, upload: &VideoUpload) -> Result<()> {
        let _g = self.script.enter("abandon", &upload.media_id).await?;
        lock(&self.state).uploads.remove(&upload.upload_url);
        Ok(())
    }

    async fn processing(&self, media_id: &str) -> Result<Processing> {
        let _g = self.script.enter("processing", media_id).await?;
        let mut state = lock(&self.state);
        let whole = state
            .uploads
            .values()
            .any(|(m, size, b)| m == media_id && b.len() as u64 == *size);
        if !whole {
            return Ok(Processing::Pending {
                state: "pendingupload".into(),
                pct: None,
            });
        }
        let asked = state.asked.entry(media_id.to_string()).or_default();
        *asked += 1;
        Ok(if *asked > self.polls {
            Processing::Ready {
                links: BTreeMap::new(),
            }
        } else {
            Processing::Pending {
                state: "inprogress".into(),
                pct: Some(50.0),
            }
        })
    }

    async fn delete(&self, media_id: &str) -> Result<()> {
        let _g = self.script.enter("delete", media_id).await?;
        lock(&self.state)
            .uploads
            .retain(|_, (m, _, _)| m != media_id);
        Ok(())
    }

    async fn url(&self, media_id: &str, _expires: Duration) -> Result<String> {
        Ok(format!("https://videos.memory.invalid/{media_id}.m3u8"))
    }
}

/// An image store with custom ids.
pub(crate) struct MemoryImages {
    name: String,
    script: Arc<Script>,
    state: Mutex<BTreeMap<String, (Vec<u8>, String)>>,
}

impl MemoryImages {
    pub(crate) fn new(name: &str, script: &Arc<Script>) -> Self {
        MemoryImages {
            name: name.into(),
            script: script.clone(),
            state: Mutex::default(),
        }
    }

    pub(crate) fn ids(&self) -> Vec<String> {
        lock(&self.state).keys().cloned().collect()
    }

    fn stored(&self, id: &str, bytes: &[u8], hash: &str) -> StoredImage {
        StoredImage {
            id: id.to_string(),
            variants: BTreeMap::from([(
                "public".to_string(),
                format!("https://{}.memory.invalid/{id}/public", self.name),
            )]),
            hash: Some(hash.to_string()),
            size: Some(bytes.len() as u64),
        }
    }
}

#[async_trait]
impl ImageStore for MemoryImages {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self) -> String {
        format!("memory|{}", self.name)
    }

    fn limits(&self) -> ImageLimits {
        crate::destination::cloudflare::images::LIMITS
    }

    fn custom_ids(&self) -> bool {
        true
    }

    fn requires_signed_urls(&self) -> bool {
        false
    }

    async fn find(&self, id: &str) -> Result<Option<StoredImage>> {
        let _g = self.script.enter("find", id).await?;
        Ok(lock(&self.state)
            .get(id)
            .map(|(b, h)| self.stored(id, b, h)))
    }

    async fn find_by_hash(&self, hash: &str) -> Result<Option<StoredImage>> {
        let _g = self.script.enter("find_by_hash", hash).await?;
        Ok(lock(&self.state)
            .iter()
            .find(|(_, (_, h))| h == hash)
            .map(|(id, (b, h))| self.stored(id, b, h)))
    }

    async fn upload(&self, spec: &ImageSpec, body: FileRange) -> Result<StoredImage> {
        let _g = self.script.enter("upload", &spec.file_name).await?;
        let bytes = read(&body)?;
        let mut state = lock(&self.state);
        let id = spec
            .id
            .clone()
            .unwrap_or_else(|| format!("image-{}", state.len() + 1));
        if state.contains_key(&id) {
            return Err(Error::new(
                ErrorKind::Precondition,
                format!("an image with id {id} exists"),
            ));
        }
        let stored = self.stored(&id, &bytes, &spec.hash);
        state.insert(id, (bytes, spec.hash.clone()));
        self.script.lost("upload")?;
        Ok(stored)
    }

    async fn delete(&self, id: &str) -> Result<()> {
        let _g = self.script.enter("delete", id).await?;
        lock(&self.state).remove(id);
        Ok(())
    }

    async fn url(&self, id: &str, _expires: Duration) -> Result<String> {
        Ok(format!("https://{}.memory.invalid/{id}/public", self.name))
    }
}
