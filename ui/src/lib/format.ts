// Pure formatting for the queue and history: sizes, speeds, ETAs, dates. No DOM, no IPC, so
// vitest checks each case directly.

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** A byte count as people read it: 1 decimal below 10 units, none above (1000-based, like file managers). */
export function formatBytes(bytes: number, locale = "en"): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
  return `${number} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSec: number, locale = "en"): string {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return "";
  return `${formatBytes(bytesPerSec, locale)}/s`;
}

/** Time left for `remaining` bytes at `bytesPerSec`, rounded the way a person would say it. */
export function formatEta(remaining: number, bytesPerSec: number): string {
  if (remaining <= 0) return "";
  if (!Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return "";
  const secs = Math.ceil(remaining / bytesPerSec);
  if (secs < 60) return `${secs} s`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return `${mins} min ${String(secs % 60).padStart(2, "0")} s`;
  const hours = Math.floor(mins / 60);
  if (hours < 48) return `${hours} h ${String(mins % 60).padStart(2, "0")} min`;
  return `${Math.round(hours / 24)} days`;
}

/** Percent done, 0–100, never NaN; an empty file that is done is 100. */
export function percent(done: number, total: number): number {
  if (total <= 0) return done >= total ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/**
 * A moving speed estimate: samples of (time, bytes) over the last few seconds, so one slow
 * part does not make the ETA jump.
 */
export class SpeedMeter {
  private samples: Array<[number, number]> = [];
  constructor(private windowMs = 5000) {}

  add(atMs: number, bytes: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && bytes < last[1]) this.samples = []; // restarted from zero
    this.samples.push([atMs, bytes]);
    while (this.samples.length > 2 && atMs - (this.samples[0]?.[0] ?? atMs) > this.windowMs) this.samples.shift();
  }

  /** Bytes per second, 0 until two samples at least 200 ms apart exist. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last[0] - first[0] < 200) return 0;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }
}

export function formatDate(unixSecs: number, locale = "en"): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(unixSecs * 1000));
}

/** Signed-link lifetimes offered in the expiry picker (S3 presigning allows at most 7 days). */
export const EXPIRY_CHOICES: Array<{ secs: number; label: string }> = [
  { secs: 3600, label: "1 h" },
  { secs: 86400, label: "1 day" },
  { secs: 7 * 86400, label: "7 days" },
];
