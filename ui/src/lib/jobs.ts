// The queue as the window holds it: the rows of the pages in view, by id, updated by events;
// each screen's list read from the core a page at a time. Plain TypeScript (no Svelte) so that
// vitest covers it; the store wraps it reactively.

import type { JobPageRow, JobQueryRow, JobRow, UiEvent } from "./bindings";
import { SpeedMeter } from "./format";

export type JobState = JobRow["state"];
export const ACTIVE: ReadonlySet<JobState> = new Set(["queued", "uploading", "processing"]);
export const FINISHED: ReadonlySet<JobState> = new Set(["done", "deleted"]);

export interface Filter {
  search: string;
  destination: string; // "" = any
  state: string; // "" = any
  folder: string; // "" = any
  kind: string; // "" = any
  course: string; // "" = any, NO_COURSE = files added without one
  sinceSecs: number; // 0 = any date
}

/** The course filter's value for files added without a course. */
export const NO_COURSE = "\u0000";

export const NO_FILTER: Filter = { search: "", destination: "", state: "", folder: "", kind: "", course: "", sinceSecs: 0 };

/** A job waiting to try again: until when (ms since the epoch), and why. */
export interface RetryWait {
  untilMs: number;
  attempt: number;
  attempts: number;
  message: string;
}

/** Jobs by id, plus a speed meter per uploading job and the wait of each job about to retry.
 * It holds the rows the screens' pages loaded and the jobs events told of, not the whole
 * history: `retain` lets go of the rest. */
export class JobTable {
  rows = new Map<number, JobRow>();
  processingPct = new Map<number, number | null>();
  retries = new Map<number, RetryWait>();
  /** Rows kept whatever the pages hold (the one whose dialog is open). */
  pinned = new Set<number>();
  private meters = new Map<number, SpeedMeter>();

  replaceAll(rows: JobRow[]): void {
    this.rows = new Map(rows.map((r) => [r.id, r]));
    this.meters.clear();
    this.retries.clear();
  }

  upsert(row: JobRow): void {
    this.rows.set(row.id, row);
    this.retries.delete(row.id);
    if (row.state !== "uploading") this.meters.delete(row.id);
  }

  /** A row as a page read it from the database. An active row the window already follows
   * keeps what the events said since (the database holds confirmed bytes only, and a page
   * read a moment ago may be older than the last event). */
  merge(row: JobRow): void {
    const held = this.rows.get(row.id);
    if (held && ACTIVE.has(held.state) && ACTIVE.has(row.state)) {
      this.rows.set(row.id, { ...row, state: held.state === "processing" ? "processing" : row.state === "queued" ? held.state : row.state, bytesDone: Math.max(held.bytesDone, row.bytesDone) });
      return;
    }
    // Seconds are coarse: at the same second, an ended row from an event is newer than an
    // active one a page read before it ended.
    if (held && (held.updatedAt > row.updatedAt || (held.updatedAt === row.updatedAt && !ACTIVE.has(held.state) && ACTIVE.has(row.state)))) return;
    this.rows.set(row.id, row);
  }

  /** Let go of every row but these (and the pinned ones). */
  retain(ids: Iterable<number>): void {
    const keep = new Set(ids);
    for (const id of [...this.rows.keys()]) {
      if (keep.has(id) || this.pinned.has(id)) continue;
      this.rows.delete(id);
      this.meters.delete(id);
      this.retries.delete(id);
      this.processingPct.delete(id);
    }
  }

  /** Apply one event; returns whether anything visible changed. */
  apply(event: UiEvent, nowMs: number): boolean {
    switch (event.type) {
      case "job":
        this.upsert(event.job);
        return true;
      case "progress": {
        const row = this.rows.get(event.id);
        // A report sent just before the job ended can arrive after its end: it must not bring
        // a failed or finished row back to "uploading" (a retry makes the row active first).
        if (!row || !ACTIVE.has(row.state)) return false;
        let meter = this.meters.get(event.id);
        if (!meter) {
          meter = new SpeedMeter();
          this.meters.set(event.id, meter);
        }
        meter.add(nowMs, event.bytesDone);
        // The wait ends when the next attempt moves bytes. A report of the failed attempt's
        // bytes can arrive after the "retrying" one (the ticker's last word on it): it is not
        // the next attempt, which starts once the wait is over.
        const wait = this.retries.get(event.id);
        if (wait && nowMs >= wait.untilMs && event.bytesDone > row.bytesDone) this.retries.delete(event.id);
        this.rows.set(event.id, { ...row, bytesDone: event.bytesDone, size: event.total || row.size, state: "uploading" });
        return true;
      }
      case "retrying": {
        if (!this.rows.has(event.id)) return false;
        this.retries.set(event.id, {
          untilMs: nowMs + event.inMs,
          attempt: event.attempt,
          attempts: event.attempts,
          message: event.message,
        });
        return true;
      }
      case "processing": {
        const row = this.rows.get(event.id);
        if (!row || !ACTIVE.has(row.state)) return false;
        this.processingPct.set(event.id, event.pct);
        this.rows.set(event.id, { ...row, state: "processing", bytesDone: row.size });
        return true;
      }
      default:
        return false;
    }
  }

  speed(id: number): number {
    return this.meters.get(id)?.rate() ?? 0;
  }
}

/** Every job: the query of a list without filters. */
export const ALL_JOBS: JobQueryRow = { search: "", destination: "", state: "", hideDeleted: false, folder: "", kind: "", course: "", withoutCourse: false, changedSince: 0 };

/** The History screen's filters as the core's query. */
export function toQuery(f: Filter, nowSecs: number): JobQueryRow {
  return {
    search: f.search.trim(),
    destination: f.destination,
    state: f.state as JobQueryRow["state"],
    hideDeleted: false,
    folder: f.folder,
    kind: f.kind as JobQueryRow["kind"],
    course: f.course === NO_COURSE ? "" : f.course,
    withoutCourse: f.course === NO_COURSE,
    changedSince: f.sinceSecs ? nowSecs - f.sinceSecs : 0,
  };
}

/** Whether a row matches a query, as the core decides it (crates/core/src/queue/pages.rs):
 * used to tell whether a changed row changes what a list holds. */
export function queryMatches(row: JobRow, q: JobQueryRow): boolean {
  if (q.destination && row.destination !== q.destination) return false;
  if (q.state && row.state !== q.state) return false;
  if (q.hideDeleted && row.state === "deleted") return false;
  if (q.folder && row.folder !== q.folder) return false;
  if (q.kind && row.kind !== q.kind) return false;
  if (q.withoutCourse ? row.course !== null : q.course && row.course !== q.course) return false;
  if (q.changedSince && row.updatedAt < q.changedSince) return false;
  const words = q.search.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = `${row.name}\n${row.path}\n${row.course ?? ""}\n${row.url ?? ""}\n${row.key}`.toLowerCase();
  return words.every((word) => hay.includes(word));
}

export function matches(row: JobRow, f: Filter, nowSecs: number): boolean {
  return queryMatches(row, toQuery(f, nowSecs));
}

export function filterRows(rows: JobRow[], f: Filter, nowSecs: number): JobRow[] {
  return rows.filter((r) => matches(r, f, nowSecs));
}

/** How a list asks the core for one page of its jobs. */
export type PageFetch = (query: JobQueryRow, offset: number, limit: number) => Promise<JobPageRow>;

/**
 * One screen's list of jobs, newest first, read from the core a page at a time: only the
 * pages around the rows in view are held, so 100,000 jobs cost what a few hundred do. Rows
 * live in the shared `JobTable` (events update them there); a list holds their ids by place.
 */
export class PagedList {
  total = 0;
  /** The first answer has come (until then "no jobs" would be a guess). */
  loaded = false;
  private pages = new Map<number, number[]>();
  private held = new Set<number>();
  private pending = new Set<number>();
  private generation = 0;
  private newest = 0;
  private want = { first: 0, count: 0 };

  constructor(
    public query: JobQueryRow,
    private table: JobTable,
    private fetch: PageFetch,
    private onchange: () => void,
    readonly pageSize = 100,
    /** Pages kept beyond those in view, the nearest first. */
    private keepPages = 8,
  ) {}

  /** Times the filters changed: a view showing the list goes back to its top each time. */
  resets = 0;

  /** Filter differently: the list starts again from its first page. */
  setQuery(query: JobQueryRow): Promise<void> {
    // The same filters again (a screen's first run): what was read stands.
    if (this.generation > 0 && JSON.stringify(query) === JSON.stringify(this.query)) return Promise.resolve();
    this.query = query;
    this.want = { first: 0, count: this.want.count };
    this.resets++;
    return this.refresh();
  }

  /** The rows a view shows now; the pages holding them are read if they are not held. */
  show(first: number, count: number): Promise<void> {
    this.want = { first, count };
    const gen = this.generation;
    const missing = this.neededPages().filter((p) => !this.pages.has(p) && !this.pending.has(p));
    return Promise.all(missing.map((p) => this.read(p, gen))).then(() => undefined);
  }

  /** Read the pages in view again (jobs were added, or left the list): one answer replaces
   * them all, so the view never shows half an old list. */
  async refresh(): Promise<void> {
    const gen = ++this.generation;
    const needed = this.neededPages();
    // Pages being read for this generation: a view asking for them meanwhile waits for these.
    this.pending = new Set(needed);
    const answers = await Promise.all(needed.map((p) => this.fetch(this.query, p * this.pageSize, this.pageSize)));
    if (gen !== this.generation) return;
    this.pending.clear();
    this.pages = new Map();
    answers.forEach((a, i) => this.keep(needed[i] as number, a));
    this.total = answers.length ? (answers[answers.length - 1] as JobPageRow).total : 0;
    this.settle();
  }

  /** The row at a place in the list, if its page is held. */
  rowAt(index: number): JobRow | undefined {
    const id = this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
    return id === undefined ? undefined : this.table.rows.get(id);
  }

  /** The ids of the rows this list holds. */
  ids(): ReadonlySet<number> {
    return this.held;
  }

  /** Whether a row an event changed may change what this list holds (so it is read again). */
  affectedBy(row: JobRow): boolean {
    const matching = queryMatches(row, this.query);
    if (this.held.has(row.id)) return !matching;
    if (!matching) return false;
    // A job newer than the list's newest: it goes on top.
    if (row.id > this.newest) return true;
    // An older job not held: it may have joined the list only if its change is one a filter
    // looks at.
    const q = this.query;
    return Boolean(q.state || q.search || q.changedSince || (q.hideDeleted && row.state === "deleted"));
  }

  private neededPages(): number[] {
    const first = Math.floor(this.want.first / this.pageSize);
    const last = Math.floor((this.want.first + Math.max(1, this.want.count) - 1) / this.pageSize);
    const pages = [];
    for (let p = first; p <= last; p++) pages.push(p);
    return pages;
  }

  private async read(page: number, gen: number): Promise<void> {
    this.pending.add(page);
    try {
      const answer = await this.fetch(this.query, page * this.pageSize, this.pageSize);
      if (gen !== this.generation) return;
      this.keep(page, answer);
      if (answer.total !== this.total && this.loaded) {
        // The list changed between two pages: read what is in view again, together.
        this.total = answer.total;
        void this.refresh();
        return;
      }
      this.total = answer.total;
      this.settle();
    } finally {
      if (gen === this.generation) this.pending.delete(page);
    }
  }

  private keep(page: number, answer: JobPageRow): void {
    for (const row of answer.rows) this.table.merge(row);
    this.pages.set(
      page,
      answer.rows.map((r) => r.id),
    );
    if (page === 0) this.newest = answer.rows[0]?.id ?? 0;
  }

  /** Drop the pages farthest from the view beyond `keepPages`, and say the list changed. */
  private settle(): void {
    const needed = new Set(this.neededPages());
    const centre = Math.floor(this.want.first / this.pageSize);
    const spare = [...this.pages.keys()].filter((p) => !needed.has(p)).sort((a, b) => Math.abs(a - centre) - Math.abs(b - centre));
    for (const p of spare.slice(this.keepPages)) this.pages.delete(p);
    this.held = new Set([...this.pages.values()].flat());
    this.loaded = true;
    this.onchange();
  }
}

export type RowAction = "pause" | "resume" | "cancel" | "retry" | "copy" | "more" | "details";

/**
 * Which actions a row shows, by state. Opening, other formats and deleting from the cloud sit
 * behind "More…", one step away from Copy, so no slip of the mouse breaks a course's links.
 */
export function actionsFor(row: JobRow): RowAction[] {
  switch (row.state) {
    case "queued":
    case "uploading":
      return ["pause", "cancel"];
    case "processing":
      return ["cancel"];
    case "paused":
      return ["resume", "cancel"];
    case "failed":
      return ["retry", "details", "cancel"];
    case "cancelled":
      return ["retry"];
    case "done":
      return ["copy", "more"];
    default:
      return [];
  }
}

export type LinkFormat = "raw" | "markdown" | "html" | "iframe";

/** The format a row's Copy uses: the preferred one where it fits the row, else the row's own default. */
export function copyFormat(row: JobRow, preferred: string): LinkFormat | null {
  const fallback = row.formats[0];
  if (fallback === undefined) return null;
  return row.formats.includes(preferred as LinkFormat) ? (preferred as LinkFormat) : fallback;
}

/** An error message as what happened and what to do: the fix follows the last "; " (Ferry's messages end with it). */
export function splitError(message: string): { what: string; fix: string | null } {
  const at = message.lastIndexOf("; ");
  if (at < 0) return { what: message, fix: null };
  const fix = message.slice(at + 2).trim();
  return { what: message.slice(0, at).trim(), fix: fix ? fix.charAt(0).toUpperCase() + fix.slice(1) : null };
}

/** The row-window a virtual list renders: first index and count, with `overscan` rows either side. */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 6) {
  let first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  // Past the end (the list just shrank, before the browser clamps its scroll): the last rows.
  if (first >= total) first = Math.max(0, total - Math.ceil(viewport / rowHeight) - overscan);
  const count = Math.min(total - first, Math.ceil(viewport / rowHeight) + 2 * overscan);
  return { first, count: Math.max(0, count) };
}
