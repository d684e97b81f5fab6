// A stand-in for Ferry's Rust side, for UI flow tests in a plain browser. It answers the same
// commands with the same types (bindings.ts), keeps jobs in memory, and moves them along over
// the subscribed Channel the way the bridge does. Tests steer it through `globalThis.ferryMock`.

import { mockIPC } from "@tauri-apps/api/mocks";
import type { AccountRow, CaptionRow, CourseRow, LiveLessonRow, NewLiveRow, NewRequestRow, RequestRow, VideoEditRow, FolderRow, JobQueryRow, JobRow, SettingsForm, UiEvent } from "../../src/lib/bindings";
import { queryMatches } from "../../src/lib/jobs";

type Args = Record<string, unknown>;

const jobs = new Map<number, JobRow>();
const accounts: AccountRow[] = [];
const folders: FolderRow[] = [];
const courses: CourseRow[] = [];
const calls: Array<{ cmd: string; args: Args }> = [];
let nextId = 1;
let channelId: number | null = null;
let index = 0;
let failNext: string | null = null;
let pickResult: string[] = [];
let clipboard = "";
let settings: SettingsForm = {
  fileConcurrency: 4,
  partConcurrency: 8,
  bandwidthLimitKib: 0,
  keyTemplate: "{prefix}/{kind}/{yyyymmdd}_{hhmmss}_{rand6}_{name}",
  linkExpirySecs: 604800,
  streamAllowedOrigins: [],
  streamRequireSignedUrls: false,
  prefix: "",
  defaultDestination: null,
  partSizeMib: 16,
  retryAttempts: 6,
  startAtLogin: false,
  desktop: { theme: "light", language: "en", closeToTray: true, notifications: true, linkFormat: "raw", welcomeDone: false, course: "" },
};

function send(message: UiEvent) {
  if (channelId === null) return;
  const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void } }).__TAURI_INTERNALS__;
  internals.runCallback(channelId, { message, index: index++ });
}

function kindOf(name: string): JobRow["kind"] {
  if (/\.(png|jpe?g|gif|webp)$/i.test(name)) return "image";
  if (/\.(mp4|mov|webm)$/i.test(name)) return "video";
  return "document";
}

const LABELS: Record<string, string> = { en: "English", fr: "Français", de: "Deutsch", es: "Español" };
const captionsBy = new Map<number, CaptionRow[]>();
let liveLessons: LiveLessonRow[] = [];
const requests: RequestRow[] = [];
function captionsOf(id: number): CaptionRow[] {
  return captionsBy.get(id) ?? [];
}

function makeJob(path: string, extra: Partial<JobRow> = {}): JobRow {
  const name = path.split("/").pop() ?? path;
  const kind = kindOf(name);
  const id = nextId++;
  return {
    id,
    name,
    path,
    folder: path.slice(0, path.length - name.length - 1),
    kind,
    destination: kind === "image" ? "images" : kind === "video" ? "stream" : "r2",
    key: `${kind}s/${name}`,
    size: 4_000_000,
    bytesDone: 0,
    state: "queued",
    error: null,
    url: null,
    links: {},
    duplicateOf: null,
    createdAt: Math.floor(Date.now() / 1000),
    updatedAt: Math.floor(Date.now() / 1000),
    formats: [],
    expiring: false,
    course: null,
    captions: false,
    recordedLive: false,
    sender: null,
    request: null,
    removed: [],
    named: [],
    fitted: null,
    compressed: null,
    converted: null,
    motionLeftOut: null,
    video: null,
    ...extra,
  };
}

/** A course name as the engine tidies a folder: lower case, dashes between words. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .split("/")
    .map((part) => part.trim().replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, ""))
    .filter(Boolean)
    .join("/");
}

/** The link formats the engine gives a done job: a Stream video is pasted as its player. */
function formatsOf(job: JobRow): JobRow["formats"] {
  return job.destination === "stream" ? ["iframe", "raw", "markdown"] : ["raw", "html", "markdown"];
}

/** Upload `job` in four progress steps, then finish (or fail, when told to). */
function run(job: JobRow) {
  let step = 0;
  const tick = () => {
    step += 1;
    if (step <= 4) {
      send({ type: "progress", id: job.id, bytesDone: (job.size * step) / 4, total: job.size });
      setTimeout(tick, 60);
      return;
    }
    const failure = failNext;
    failNext = null;
    const done: JobRow = failure
      ? { ...job, state: "failed", error: { code: "permission_denied", message: failure } }
      : { ...job, state: "done", bytesDone: job.size, url: `https://media.example.com/${job.key}`, formats: formatsOf(job), expiring: false, captions: job.destination === "stream", removed: job.kind === "image" ? ["location", "camera"] : [] };
    jobs.set(job.id, done);
    send({ type: "job", job: done });
  };
  setTimeout(tick, 60);
}

function link(job: JobRow, format: string, expires: number | null): string {
  const url = expires ? `${job.url}?X-Amz-Expires=${expires}&X-Amz-Signature=abc` : (job.url ?? "");
  switch (format) {
    case "markdown":
      return job.kind === "image" ? `![${job.name}](${url})` : `[${job.name}](${url})`;
    case "html":
      return job.kind === "image" ? `<img src="${url}" alt="${job.name}">` : `<a href="${url}">${job.name}</a>`;
    default:
      return url;
  }
}

function handle(cmd: string, args: Args): unknown {
  calls.push({ cmd, args });
  const ids = (args.ids as number[] | undefined) ?? [];
  switch (cmd) {
    case "overview":
      return { version: "0.1.0", destinations: [{ name: "images", shape: "images", public: true, boundsRequestSize: false }, { name: "r2", shape: "objects", public: true, boundsRequestSize: false }, { name: "stream", shape: "videos", public: true, boundsRequestSize: false }], problems: [], demo: true, home: "/tmp/ferry" };
    case "subscribe":
      channelId = (args.channel as { id: number }).id;
      index = 0;
      return null;
    case "jobs":
      return [...jobs.values()];
    case "job_page": {
      const matching = [...jobs.values()].filter((j) => queryMatches(j, args.query as JobQueryRow)).sort((a, b) => b.id - a.id);
      const offset = args.offset as number;
      return { total: matching.length, offset, rows: matching.slice(offset, offset + (args.limit as number)) };
    }
    case "job_ids":
      return [...jobs.values()]
        .filter((j) => queryMatches(j, args.query as JobQueryRow))
        .map((j) => j.id)
        .sort((a, b) => b - a);
    case "job_tally": {
      const all = [...jobs.values()];
      const count = (states: string[]) => all.filter((j) => states.includes(j.state)).length;
      return { active: count(["queued", "uploading", "processing"]), paused: count(["paused"]), failed: count(["failed"]), done: count(["done"]), all: all.length };
    }
    case "job_facets": {
      const distinct = (values: Array<string | null>) => [...new Set(values.filter((v): v is string => Boolean(v)))].sort();
      const all = [...jobs.values()];
      return { destinations: distinct(all.map((j) => j.destination)), folders: distinct(all.map((j) => j.folder)), courses: distinct(all.map((j) => j.course)) };
    }
    case "pick":
      return pickResult;
    case "add_paths": {
      const queued: JobRow[] = [];
      const rejected = [];
      for (const p of args.paths as string[]) {
        if (p.includes("missing")) {
          rejected.push({ path: p, error: { code: "not_found", message: `${p}: no such file; check the path and add it again` } });
          continue;
        }
        const job = makeJob(p, { course: (args.course as string | null) ?? null });
        jobs.set(job.id, job);
        queued.push(job);
        run(job);
      }
      return { queued, rejected, notes: [], skipped: [] };
    }
    case "retry":
      for (const id of ids) {
        const job = jobs.get(id);
        if (!job) continue;
        const again = { ...job, state: "queued" as const, error: null, bytesDone: 0 };
        jobs.set(id, again);
        send({ type: "job", job: again });
        run(again);
      }
      return ids.length;
    case "pause":
    case "cancel":
      for (const id of ids) {
        const job = jobs.get(id);
        if (!job) continue;
        const next = { ...job, state: cmd === "pause" ? ("paused" as const) : ("cancelled" as const) };
        jobs.set(id, next);
        send({ type: "job", job: next });
      }
      return ids.length;
    case "pause_all":
    case "resume_all":
      return 0;
    case "copy_link":
    case "link": {
      const job = jobs.get(args.id as number);
      if (!job) throw { code: "not_found", message: `there is no job ${String(args.id)}` };
      const expires = (args.expiresSecs as number | null) ?? (job.expiring ? 604800 : null);
      const text = link(job, args.format as string, expires);
      if (cmd === "copy_link") clipboard = text;
      return { text, expiresAt: expires ? Math.floor(Date.now() / 1000) + expires : null };
    }
    case "copy_links": {
      const texts = ids.map((id) => jobs.get(id)).filter((j): j is JobRow => j?.state === "done").map((j) => link(j, "raw", null));
      clipboard = texts.join("\n");
      return { count: texts.length, firstExpiry: null };
    }
    case "delete_remote":
      for (const id of ids) {
        const job = jobs.get(id);
        if (job) jobs.set(id, { ...job, state: "deleted" });
      }
      return ids.length;
    case "open_link":
      return null;
    case "export_manifest":
      return "/tmp/course-manifest.csv";
    case "accounts":
      return accounts;
    case "environment_accounts":
      return [];
    case "preview_keys": {
      const template = args.template as string;
      const bad = /\{(?!(prefix|kind|yyyymmdd|hhmmss|rand6|name|stem|ext|hash8|yyyy|mm)\})[^}]*\}/.exec(template);
      return bad
        ? { samples: [], error: `key template "${template}": unknown variable ${bad[0]}`, variables: ["{name}", "{kind}"] }
        : { samples: [["Week 1 notes.pdf", template.replace("{name}", "Week-1-notes.pdf").replace("{kind}", "documents")]], error: null, variables: ["{name}", "{kind}"] };
    }
    case "bucket_settings":
      return {
        label: "r2|https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com|course-media",
        corsNow: "[]",
        corsProposed: (args.origins as string[]).length
          ? JSON.stringify([{ ID: "ferry", AllowedOrigins: args.origins, AllowedMethods: ["GET", "HEAD"] }], null, 2)
          : null,
        corsWhy: (args.origins as string[]).length ? null : "name the course sites that show these files",
        abortDays: null,
        otherRules: ["archive-old"],
      };
    case "bucket_apply_cors":
      return "[]";
    case "bucket_apply_lifecycle":
      return args.days as number;
    case "pick_import_file":
      return pickResult[0] ?? null;
    case "import_preview":
      return {
        found: [{ name: "r2", label: "Cloudflare R2", fields: [["Account ID", "0123456789abcdef0123456789abcdef"], ["Bucket", "course-media"]], replaces: false }],
        skipped: ["cloudflare: missing CLOUDFLARE_ACCOUNT_ID"],
      };
    case "import_accounts":
      return ["r2"];
    case "add_account": {
      const a = args.account as { name: string; kind: string; fields: Record<string, string>; makeDefault: boolean };
      accounts.push({ name: a.name, kind: a.kind, isDefault: a.makeDefault, fields: a.fields });
      return null;
    }
    case "test_account":
      return [{ what: "bucket", ok: true, detail: "reachable, and these keys may write to it" }];
    case "remove_account":
      accounts.splice(accounts.findIndex((a) => a.name === args.name), 1);
      return true;
    case "set_default_account":
      return null;
    case "folder_deletions":
      return [];
    case "confirm_deletions":
    case "keep_deletions":
      return 0;
    case "live_lessons":
      return liveLessons;
    case "live_lesson": {
      const one = liveLessons.find((l) => l.id === args.id);
      if (!one) throw { code: "not_found", message: "Live input not found" };
      return { ...one, rtmpsUrl: "rtmps://live.cloudflare.com:443/live/", srtUrl: "srt://live.cloudflare.com:778" };
    }
    case "create_live_lesson": {
      const l = args.lesson as NewLiveRow;
      const made: LiveLessonRow = { id: `live${liveLessons.length + 1}`, name: l.name, course: l.course, recording: l.recording, deleteAfterDays: l.deleteAfterDays, connected: false, created: new Date().toISOString(), rtmpsUrl: null, srtUrl: null, recordings: [] };
      liveLessons.push(made);
      return made;
    }
    case "copy_live_key":
      clipboard = "mock-stream-key";
      return null;
    case "edit_videos": {
      const e = args.edit as VideoEditRow;
      if (e.deleteAfterDays !== null && e.deleteAfterDays < 30) throw { code: "invalid_input", message: "Stream deletes a video 30 to 1,096 days after its upload" };
      const ids = args.ids as number[];
      const course = args.course as string | null;
      return [...jobs.values()].filter((j) => ids.includes(j.id) || (course !== null && j.course === course && j.destination === "stream")).length;
    }
    case "video_download":
      return args.on ? { ready: true, url: `https://media.example.com/${String(args.id)}/downloads/default.mp4` } : null;
    case "copy_recording_link":
      clipboard = `https://watch.example.com/${String(args.id)}/watch`;
      return clipboard;
    case "copy_text":
      clipboard = args.text as string;
      return null;
    case "rename_live_lesson": {
      const one = liveLessons.find((l) => l.id === args.id);
      if (!one) throw { code: "not_found", message: "no such live lesson" };
      one.name = (args.name as string).trim();
      return one;
    }
    case "requests":
      return requests;
    case "create_request": {
      const r = args.request as NewRequestRow;
      if (!r.title.trim()) throw { code: "invalid_input", message: "an upload request needs a title senders will see" };
      const made: RequestRow = { id: `r-mock${requests.length + 1}`, title: r.title.trim(), course: r.course, to: r.to, destination: r.destination, folder: r.folder, signed: r.to === "videos" && !r.public, types: r.types, maxBytes: r.maxMb * 1_000_000, maxFiles: r.maxFiles, maxVideoSeconds: r.maxMinutes === null ? null : r.maxMinutes * 60, note: r.note, expiresAt: Math.floor(Date.now() / 1000) + r.openHours * 3600, open: true, closedAt: null, page: `/home/t/.local/share/Ferry/requests/r-mock${requests.length + 1}.html`, link: r.publish ? `https://media.example.com/ferry-requests/r-mock${requests.length + 1}.html` : null };
      requests.unshift(made);
      return made;
    }
    case "request_arrivals":
      return [...jobs.values()].filter((j) => j.request === args.id);
    case "close_request": {
      const one = requests.find((r) => r.id === args.id);
      if (!one) throw { code: "not_found", message: "no such request" };
      one.closedAt = Math.floor(Date.now() / 1000);
      one.open = false;
      return one;
    }
    case "open_request_page":
      return null;
    case "save_request_page":
      return "/home/t/Documents/week-3.html";
    case "delete_live_lesson":
      liveLessons = liveLessons.filter((l) => l.id !== args.id);
      return null;
    case "captions":
      return captionsOf(args.id as number);
    case "add_caption": {
      // The native dialog stands in as having chosen "lecture.<language>.vtt".
      const language = (args.language as string | null) ?? "en";
      const list = captionsOf(args.id as number).filter((c) => c.language !== language);
      const added = { language, label: LABELS[language] ?? language, generated: false, status: "ready" as const };
      captionsBy.set(args.id as number, [...list, added]);
      return added;
    }
    case "generate_captions": {
      const language = args.language as string;
      const list = captionsOf(args.id as number).filter((c) => c.language !== language);
      const made = { language, label: LABELS[language] ?? language, generated: true, status: "inprogress" as const };
      captionsBy.set(args.id as number, [...list, made]);
      setTimeout(() => captionsBy.set(args.id as number, captionsOf(args.id as number).map((c) => (c.language === language ? { ...c, status: "ready" as const } : c))), 500);
      return made;
    }
    case "delete_caption":
      captionsBy.set(args.id as number, captionsOf(args.id as number).filter((c) => c.language !== args.language));
      return null;
    case "courses":
      return courses.map((c) => ({ ...c, files: [...jobs.values()].filter((j) => j.course === c.name).length, folders: folders.filter((f) => f.course === c.name).length }));
    case "save_course": {
      const c = args.course as CourseRow;
      const previous = args.previous as string | null;
      const taken = courses.find((x) => x.name.toLowerCase() === c.name.toLowerCase() && x.name !== previous);
      if (taken) throw { code: "invalid_input", message: `there is already a course called "${taken.name}"; choose another name` };
      const saved = { ...c, prefix: slug(c.prefix) };
      const at = courses.findIndex((x) => x.name === (previous ?? c.name));
      if (at >= 0) courses[at] = saved;
      else courses.push(saved);
      return saved;
    }
    case "remove_course":
      courses.splice(courses.findIndex((x) => x.name === args.name), 1);
      return null;
    case "preview_course": {
      const c = args.course as CourseRow;
      if (c.template && !c.template.includes("{name}")) return { samples: [], error: `key template "${c.template}" must contain {name}, {stem}, {rand6} or {hash8}` };
      const prefix = slug(c.prefix);
      const sample = (file: string, kind: JobRow["kind"], routed: string) => {
        const destination = c.destination ?? routed;
        if (destination === "images" && kind !== "image") return { file, kind, destination: null, key: null, url: null, signed: false, error: `images takes images and this is a ${kind} file; send it to R2 or S3` };
        const key = `${prefix ? `${prefix}/` : ""}${kind}s/${slug(file)}`;
        return { file, kind, destination, key, url: destination === "r2" ? `https://media.example.com/${key}` : null, signed: false, error: null };
      };
      return { samples: [sample("Week 1 notes.pdf", "document", "r2"), sample("cell diagram.png", "image", "images"), sample("Lecture 1.mp4", "video", "stream")], error: null };
    }
    case "folders":
      return folders;
    case "add_folder": {
      const f = args.folder as FolderRow;
      const at = folders.findIndex((x) => x.root === f.root);
      if (at >= 0) folders[at] = f;
      else folders.push(f);
      return null;
    }
    case "remove_folder":
      folders.splice(folders.findIndex((x) => x.root === args.root), 1);
      return true;
    case "account_kinds": {
      // What the core's provider descriptions give (a subset: the mock's kinds).
      const f = (key: string, label: string, required = true, secret = false) => ({ key, label, help: label, required, secret });
      return [
        { id: "cloudflare", label: "Cloudflare Images + Stream", fields: [f("account_id", "Account ID"), f("api_base_url", "API base URL", false), f("api_token", "API token", true, true)] },
        {
          id: "r2",
          label: "Cloudflare R2",
          fields: [
            f("account_id", "Account ID"),
            f("bucket", "Bucket"),
            f("access_key_id", "Access key ID"),
            f("public_base_url", "Public base URL", false),
            f("secret_access_key", "Secret access key", true, true),
          ],
        },
      ];
    }
    case "test_setup":
    case "full_test_account":
      return [{ what: "images: upload a small image", ok: true, detail: "stored as ferry-check/x/round-trip.png" }];
    case "settings":
      return settings;
    case "save_settings":
      settings = args.form as SettingsForm;
      return { originsChanged: [] };
    case "save_prefs":
      settings = { ...settings, desktop: args.prefs as SettingsForm["desktop"] };
      return null;
    default:
      throw { code: "internal", message: `the mock does not know ${cmd}` };
  }
}

mockIPC((cmd, args) => handle(cmd, (args ?? {}) as Args));

const control = {
  calls,
  get clipboard() {
    return clipboard;
  },
  pickNext(paths: string[]) {
    pickResult = paths;
  },
  failNext(message: string) {
    failNext = message;
  },
  /** `n` finished jobs at once, as a long history looks after a reload. */
  seed(n: number) {
    for (let i = 0; i < n; i++) {
      const job = makeJob(`/courses/Course ${i % 20}/Module ${i % 7}/file ${i}.pdf`, { state: "done", bytesDone: 4_000_000, formats: ["raw", "html", "markdown"] });
      jobs.set(job.id, { ...job, url: `https://media.example.com/${job.key}` });
    }
  },
  /** An engine event, as the bridge would send it. */
  emit(event: UiEvent) {
    send(event);
  },
  skipWelcome() {
    settings = { ...settings, desktop: { ...settings.desktop, welcomeDone: true } };
  },
  /** The window's language and theme, as saved preferences. */
  prefs(language: string, theme = "light") {
    settings = { ...settings, desktop: { ...settings.desktop, language, theme } };
  },
  /** A job that failed with `message`, and an account and a watched folder, so every screen has something to show. */
  furnish(message: string) {
    const failed = makeJob("/courses/Biology/diagram.png", { state: "failed", error: { code: "permission_denied", message } });
    jobs.set(failed.id, failed);
    const lecture = makeJob("/courses/Biology/Lecture 1.mp4", { state: "done", bytesDone: 4_000_000, formats: ["iframe", "raw", "markdown"], captions: true, video: "12 min 34 s · 1920×1080 · H.264" });
    jobs.set(lecture.id, { ...lecture, url: `https://media.example.com/${lecture.key}` });
    requests.push({ id: "r-week3", title: "Week 3 essays", course: "Biology 101", to: "objects", destination: "r2", folder: "biology-101/submissions/week-3-essays", signed: false, types: ["pdf", "docx"], maxBytes: 20_000_000, maxFiles: 60, maxVideoSeconds: null, note: null, expiresAt: Math.floor(Date.now() / 1000) + 3 * 86400, open: true, closedAt: null, page: "/home/t/.local/share/Ferry/requests/r-week3.html", link: "https://media.example.com/ferry-requests/r-week3.html" });
    const essay = makeJob("", { kind: "document", destination: "r2", state: "done", bytesDone: 120_000, size: 120_000, formats: ["raw", "html", "markdown"], course: "Biology 101", sender: "Zoë Martin", request: "r-week3" });
    jobs.set(essay.id, { ...essay, name: "essay.pdf", url: `https://media.example.com/${essay.key}` });
    const recording = makeJob("", { kind: "video", destination: "stream", state: "done", bytesDone: 9_000_000, formats: ["iframe", "raw", "markdown"], captions: true, recordedLive: true, course: "Biology 101" });
    jobs.set(recording.id, { ...recording, name: "Biology 101, week 3 (recording)", destination: "stream", url: `https://media.example.com/${recording.key}` });
    captionsBy.set(lecture.id, [{ language: "fr", label: "Français", generated: false, status: "ready" }]);
    liveLessons.push({ id: "live1", name: "Biology 101, week 3", course: "Biology 101", recording: true, deleteAfterDays: 90, connected: false, created: "2026-12-07T10:00:00Z", rtmpsUrl: null, srtUrl: null, recordings: [{ id: "rec1", name: "Biology 101, week 3 (recording)", ready: true, created: "2026-12-07T10:00:00Z" }, { id: "rec2", name: null, ready: false, created: "2026-12-07T11:00:00Z" }] });
    accounts.push({ name: "My school storage", kind: "r2", isDefault: true, fields: { account_id: "0123456789abcdef0123456789abcdef", bucket: "course-media", access_key_id: "AKIA-EXAMPLE" } });
    courses.push({ name: "Biology 101", destination: null, prefix: "biology-101", template: null, linkFormat: "markdown", captions: null, keepMetadata: false, keepOriginals: false, compressQuality: null, maxVideoMinutes: null, files: 0, folders: 0 });
    folders.push({ root: "/home/t/Courses/Biology", destination: null, prefix: null, template: null, onChange: "new-version", mirrorDeletions: false, include: [], exclude: ["*.docx"], defaultIgnores: true, course: "Biology 101", syncedAt: Math.floor(Date.now() / 1000) - 3600, syncedFiles: 14 });
  },
};
(globalThis as unknown as { ferryMock: typeof control }).ferryMock = control;
