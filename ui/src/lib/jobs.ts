// The queue as the window holds it: rows by id, updated by events, filtered for the views.
// Plain TypeScript (no Svelte) so that vitest covers it; the store wraps it reactively.

import type { JobRow, UiEvent } from "./bindings";
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

/** Jobs by id, plus a speed meter per uploading job and the wait of each job about to retry. */
export class JobTable {
  rows = new Map<number, JobRow>();
  processingPct = new Map<number, number | null>();
  retries = new Map<number, RetryWait>();
  private meters = new Map<number, SpeedMeter>();
  /** Ids newest first, kept until a job is added or the table replaced: progress changes rows,
   * not their order, and sorting 100,000 ids on every frame of an upload would cost the frame. */
  private order: number[] | null = null;

  replaceAll(rows: JobRow[]): void {
    this.rows = new Map(rows.map((r) => [r.id, r]));
    this.order = null;
    this.meters.clear();
    this.retries.clear();
  }

  upsert(row: JobRow): void {
    if (!this.rows.has(row.id)) this.order = null;
    this.rows.set(row.id, row);
    this.retries.delete(row.id);
    if (row.state !== "uploading") this.meters.delete(row.id);
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
        if (event.bytesDone > row.bytesDone) this.retries.delete(event.id);
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

  /** Newest first. */
  list(): JobRow[] {
    this.order ??= [...this.rows.keys()].sort((a, b) => b - a);
    return this.order.map((id) => this.rows.get(id) as JobRow);
  }

  counts(): { active: number; paused: number; failed: number; done: number } {
    let active = 0,
      paused = 0,
      failed = 0,
      done = 0;
    for (const r of this.rows.values()) {
      if (ACTIVE.has(r.state)) active++;
      else if (r.state === "paused") paused++;
      else if (r.state === "failed") failed++;
      else if (r.state === "done") done++;
    }
    return { active, paused, failed, done };
  }
}

export function matches(row: JobRow, f: Filter, nowSecs: number): boolean {
  if (f.destination && row.destination !== f.destination) return false;
  if (f.state && row.state !== f.state) return false;
  if (f.folder && row.folder !== f.folder) return false;
  if (f.kind && row.kind !== f.kind) return false;
  if (f.course && (row.course ?? NO_COURSE) !== f.course) return false;
  if (f.sinceSecs && row.updatedAt < nowSecs - f.sinceSecs) return false;
  const q = f.search.trim().toLowerCase();
  if (q) {
    const hay = `${row.name}\n${row.folder}\n${row.course ?? ""}\n${row.url ?? ""}\n${row.key}`.toLowerCase();
    return q.split(/\s+/).every((word) => hay.includes(word));
  }
  return true;
}

export function filterRows(rows: JobRow[], f: Filter, nowSecs: number): JobRow[] {
  return rows.filter((r) => matches(r, f, nowSecs));
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
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const count = Math.min(total - first, Math.ceil(viewport / rowHeight) + 2 * overscan);
  return { first, count: Math.max(0, count) };
}
