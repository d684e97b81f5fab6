// The window's state: the job table, overview and preferences, made reactive. Events from
// Rust are batched per animation frame so that hundreds of progress updates a second cost one
// render; the table itself lives in jobs.ts. The window never holds the whole history: each
// screen's list reads the pages in view from the core, and the counts come from the core too.

import { api, asIpcError, type LinkFormat } from "./api";
import type { CourseRow, DesktopPrefs, IpcError, JobQueryRow, JobTallyRow, Overview, RejectedPath, UiEvent } from "./bindings";
import { asLang, dictionaries, translate, type Key, type Lang } from "./i18n";
import { JobTable, PagedList } from "./jobs";

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

export interface FolderStatus {
  files: number;
  pending: number;
  at: number;
  /** The last problem under this folder (an unreadable file…), if any since the last scan. */
  problem?: string;
}

const DEFAULT_PREFS: DesktopPrefs = {
  theme: "system",
  language: "en",
  closeToTray: true,
  notifications: true,
  linkFormat: "raw",
  welcomeDone: false,
  course: "",
};

class AppState {
  overview = $state<Overview | null>(null);
  prefs = $state<DesktopPrefs>({ ...DEFAULT_PREFS });
  /** Bumped whenever the table changes; views derive their rows from it. */
  version = $state(0);
  toasts = $state<Toast[]>([]);
  rejected = $state<RejectedPath[]>([]);
  /** Hidden, temporary and system files the last drop left out of its folders. */
  skipped = $state<string[]>([]);
  folderStatus = $state<Record<string, FolderStatus>>({});
  /** Bumped when a folder's held deletions change, so the Folders screen reads them again. */
  deletionsVersion = $state(0);
  problems = $state<string[]>([]);
  /** The link format Copy uses where it fits a row (a PDF has no player: it takes its own default). */
  linkFormat = $state<LinkFormat>("raw");
  /** Bumped when the engine was reopened (accounts, settings or folders changed, maybe from the CLI): screens that list them read them again. */
  reloads = $state(0);
  /** Files are being dragged over the window. */
  hovering = $state(false);
  /** Dialogs open now: toasts show inside the top one, above its backdrop. */
  dialogs = $state(0);
  loaded = $state(false);
  /** The teacher's courses, by name. */
  courses = $state<CourseRow[]>([]);
  /** A screen another screen asks the window to show (App switches to it, then clears it). */
  goto = $state<"queue" | "history" | "courses" | "live" | "requests" | "folders" | "accounts" | "settings" | null>(null);
  /** Where the History screen opens filtered (set by "Show files" on a course). */
  historyCourse = $state("");
  table = new JobTable();
  /** How many jobs are active, paused, failed, done, and in all (from the core). */
  tally = $state<JobTallyRow>({ active: 0, paused: 0, failed: 0, done: 0, all: 0 });
  /** The lists the screens show now, each read a page at a time. */
  private lists = new Set<PagedList>();
  /** Lists to read again, and the tally, once the current burst of events has settled. */
  private stale = new Set<PagedList>();
  private tallyStale = false;
  private staleTimer: ReturnType<typeof setTimeout> | null = null;
  private pending: UiEvent[] = [];
  private frame = 0;
  private toastId = 0;
  private dateFormats = new Map<Lang, Intl.DateTimeFormat>();

  get lang(): Lang {
    return asLang(this.prefs.language);
  }

  t = (key: Key, vars: Record<string, string | number> = {}): string => translate(this.lang, key, vars);

  /** What kind of failure an error is, in the window's language, from its code (the engine's
   * own sentence, in English, follows it). */
  headline = (code: string): string => {
    const key = `error.${code}`;
    return key in dictionaries.en ? this.t(key as Key) : this.t("error.internal");
  };

  /** What to do about a failure of this kind, in the window's language (the engine's own,
   * more precise advice, in English, is shown beside it in other languages). */
  advice = (code: string): string => {
    const key = `fix.${code}`;
    return key in dictionaries.en ? this.t(key as Key) : this.t("fix.internal");
  };

  async init(): Promise<void> {
    try {
      performance.mark?.("ferry:init");
      // Everything side by side: waiting for the subscription first would cost a round trip
      // at start. Nothing is missed: the app tells a window that subscribes late to read again.
      const [, settings] = await Promise.all([
        api.subscribe((e) => this.receive(e)).finally(() => performance.mark?.("ferry:subscribed")),
        api.settings().finally(() => performance.mark?.("ferry:settings")),
        this.refresh().finally(() => performance.mark?.("ferry:refreshed")),
        this.loadCourses().finally(() => performance.mark?.("ferry:courses")),
      ]);
      this.prefs = settings.desktop;
      const preferred = settings.desktop.linkFormat;
      this.linkFormat = preferred === "markdown" || preferred === "html" || preferred === "iframe" ? preferred : "raw";
    } catch (e) {
      this.fail(asIpcError(e));
    } finally {
      this.loaded = true;
      // For bench/desktop_bench.mjs: how long the window took to be ready, from its page's start.
      performance.mark?.("ferry:ready");
    }
  }

  /** Rebuild everything from Rust (start, and after a reload of the engine). */
  async refresh(): Promise<void> {
    const [overview, tally] = await Promise.all([api.overview(), api.jobTally(), ...[...this.lists].map((l) => l.refresh())]);
    this.overview = overview;
    this.tally = tally;
    this.version++;
  }

  /** A list of jobs for a screen, read from the core a page at a time; `close` it when the
   * screen goes. */
  list(query: JobQueryRow): PagedList {
    const list = new PagedList(query, this.table, (q, offset, limit) => api.jobPage(q, offset, limit), () => this.listChanged());
    this.lists.add(list);
    return list;
  }

  close(list: PagedList): void {
    this.lists.delete(list);
    this.stale.delete(list);
  }

  private listChanged(): void {
    // Rows no list shows any more are let go once there are many of them.
    if (this.table.rows.size > 2000) {
      this.table.retain([...this.lists].flatMap((l) => [...l.ids()]));
    }
    this.version++;
  }

  /** Read stale lists and the tally again, at most a few times a second during a burst of
   * events (a thousand small files finishing must not mean a thousand reads). */
  private settleSoon(): void {
    if (this.staleTimer) return;
    this.staleTimer = setTimeout(() => {
      this.staleTimer = null;
      const lists = [...this.stale];
      this.stale.clear();
      for (const l of lists) void l.refresh().catch((e) => this.fail(asIpcError(e)));
      if (this.tallyStale) {
        this.tallyStale = false;
        void api
          .jobTally()
          .then((t) => (this.tally = t))
          .catch((e) => this.fail(asIpcError(e)));
      }
    }, 250);
  }

  receive(event: UiEvent): void {
    this.pending.push(event);
    if (!this.frame) {
      const flush = () => this.flush();
      this.frame = typeof requestAnimationFrame === "function" ? requestAnimationFrame(flush) : (setTimeout(flush, 16) as unknown as number);
    }
  }

  flush(): void {
    this.frame = 0;
    const events = this.pending;
    this.pending = [];
    let changed = false;
    // Many batches in one frame still read the queue once.
    let refresh = false;
    const now = Date.now();
    for (const e of events) {
      if (e.type === "job") {
        for (const l of this.lists) if (l.affectedBy(e.job)) this.stale.add(l);
        this.tallyStale = true;
      }
      if (this.table.apply(e, now)) changed = true;
      else if (e.type === "notice") this.toast("info", e.message);
      else if (e.type === "problem") {
        this.problems = [...this.problems.slice(-19), e.path ? `${e.path}: ${e.message}` : e.message];
        const path = e.path;
        const root = path ? Object.keys(this.folderStatus).find((r) => path === r || path.startsWith(`${r}/`)) : undefined;
        const status = root ? this.folderStatus[root] : undefined;
        if (root && status) this.folderStatus = { ...this.folderStatus, [root]: { ...status, problem: `${path}: ${e.message}` } };
        this.toast("error", e.path ? `${e.path}: ${e.message}` : e.message);
      } else if (e.type === "folder") {
        this.folderStatus = { ...this.folderStatus, [e.root]: { files: e.files, pending: e.pending, at: now } };
      } else if (e.type === "deletions") {
        this.deletionsVersion++;
        if (e.held) this.toast("error", this.t("folders.heldToast", { n: e.held, root: e.path }));
      } else if (e.type === "reloaded" || e.type === "queued") {
        refresh = true;
        if (e.type === "reloaded") this.reloads++;
      }
    }
    if (changed) this.version++;
    if (refresh) void this.refresh().catch((e) => this.fail(asIpcError(e)));
    else if (this.stale.size || this.tallyStale) this.settleSoon();
  }

  async loadCourses(): Promise<void> {
    const courses = await this.act(() => api.courses());
    if (courses) this.courses = courses;
  }

  /** The course a course name stands for (case and spaces ignored), if there is one. */
  courseNamed(name: string | null | undefined): CourseRow | undefined {
    const wanted = (name ?? "").trim().toLowerCase();
    return wanted ? this.courses.find((c) => c.name.toLowerCase() === wanted) : undefined;
  }

  /** The course files dropped now go to: the one chosen last, else a course named like a
   * dropped folder ("Biology 101" dropped while no course is chosen). */
  courseFor(paths: string[]): string | null {
    const chosen = this.courseNamed(this.prefs.course);
    if (chosen) return chosen.name;
    for (const p of paths) {
      const base = p.replace(/[\\/]+$/, "").split(/[\\/]/).pop();
      const named = this.courseNamed(base);
      if (named) return named.name;
    }
    return null;
  }

  /** Queue paths; `everything` also takes what folders hold that is skipped by default. They
   * go to the course chosen on the queue (see `courseFor`). */
  async add(paths: string[], destination: string | null = null, everything = false): Promise<void> {
    if (!paths.length) return;
    const course = this.courseFor(paths);
    try {
      const report = await api.addPaths(paths, destination, everything, course);
      for (const row of report.queued) {
        this.table.upsert(row);
        for (const l of this.lists) if (l.affectedBy(row)) this.stale.add(l);
      }
      if (report.queued.length) {
        this.tallyStale = true;
        this.settleSoon();
      }
      this.rejected = report.rejected;
      this.skipped = report.skipped;
      for (const note of report.notes) this.toast("info", note);
      if (report.queued.length)
        this.toast("info", course ? this.t("queue.addedTo", { n: report.queued.length, course }) : this.t("queue.added", { n: report.queued.length }));
      this.version++;
    } catch (e) {
      this.fail(asIpcError(e));
    }
  }

  /** Run an action; its failure becomes a toast naming what to do. */
  async act<T>(what: () => Promise<T>): Promise<T | undefined> {
    try {
      return await what();
    } catch (e) {
      this.fail(asIpcError(e));
      return undefined;
    }
  }

  fail(e: IpcError): void {
    // In another language than the engine's, the kind of failure comes first, in that language.
    this.toast("error", this.lang === "en" ? e.message : `${this.headline(e.code)} — ${e.message}`);
  }

  toast(kind: Toast["kind"], text: string): void {
    const id = ++this.toastId;
    this.toasts = [...this.toasts.slice(-4), { id, kind, text }];
    setTimeout(() => this.dismiss(id), kind === "error" ? 12000 : 5000);
  }

  /** Copy a job's link and say how long it works. */
  async copyLink(id: number, format: LinkFormat, expiresSecs: number | null = null): Promise<boolean> {
    const link = await this.act(() => api.copyLink(id, format, expiresSecs));
    if (link === undefined) return false;
    this.toast("info", link.expiresAt ? this.t("job.copiedUntil", { when: this.when(link.expiresAt) }) : this.t("job.copiedForever"));
    return true;
  }

  /** The format a row's link is copied in: its course's, else the window's. */
  formatFor(course: string | null | undefined): LinkFormat {
    const own = this.courseNamed(course)?.linkFormat;
    return own ?? this.linkFormat;
  }

  /** A moment as the user reads it, in their language (`secs`: Unix seconds). One formatter per
   * language: building one costs more than a scroll frame can spare across its rows. */
  when(secs: number): string {
    let formatter = this.dateFormats.get(this.lang);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat(this.lang, { dateStyle: "medium", timeStyle: "short" });
      this.dateFormats.set(this.lang, formatter);
    }
    return formatter.format(new Date(secs * 1000));
  }

  /** Change the window's preferences and keep them. */
  async setPrefs(prefs: DesktopPrefs): Promise<void> {
    this.prefs = prefs;
    await this.act(() => api.savePrefs(prefs));
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

export const app = new AppState();
