import { describe, expect, it } from "vitest";
import type { JobPageRow, JobQueryRow, JobRow } from "../../src/lib/bindings";
import { actionsFor, ALL_JOBS, copyFormat, filterRows, JobTable, NO_COURSE, NO_FILTER, PagedList, queryMatches, splitError, visibleRange } from "../../src/lib/jobs";

function row(id: number, extra: Partial<JobRow> = {}): JobRow {
  return {
    id,
    name: `file ${id}.pdf`,
    path: `/course/Week 1/file ${id}.pdf`,
    folder: "/course/Week 1",
    kind: "document",
    destination: "r2",
    key: `documents/file-${id}.pdf`,
    size: 1000,
    bytesDone: 0,
    state: "queued",
    error: null,
    url: null,
    links: {},
    duplicateOf: null,
    createdAt: 1_000_000,
    updatedAt: 1_000_000,
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

describe("JobTable", () => {
  it("applies progress and state events in order", () => {
    const t = new JobTable();
    t.replaceAll([row(1), row(2)]);
    expect(t.apply({ type: "progress", id: 1, bytesDone: 400, total: 1000 }, 0)).toBe(true);
    t.apply({ type: "progress", id: 1, bytesDone: 800, total: 1000 }, 1000);
    expect(t.rows.get(1)?.state).toBe("uploading");
    expect(t.rows.get(1)?.bytesDone).toBe(800);
    expect(t.speed(1)).toBe(400);
    t.apply({ type: "job", job: row(1, { state: "done", bytesDone: 1000, url: "https://x/1" }) }, 1200);
    expect(t.rows.get(1)?.url).toBe("https://x/1");
    expect(t.speed(1)).toBe(0);
    expect(t.apply({ type: "progress", id: 99, bytesDone: 1, total: 2 }, 0)).toBe(false);
  });

  it("a report that arrives after a job ended does not bring the job back", () => {
    const t = new JobTable();
    t.replaceAll([row(5, { state: "uploading" })]);
    t.apply({ type: "job", job: row(5, { state: "failed" }) }, 0);
    expect(t.apply({ type: "progress", id: 5, bytesDone: 0, total: 1000 }, 10)).toBe(false);
    expect(t.apply({ type: "processing", id: 5, pct: 10 }, 20)).toBe(false);
    expect(t.rows.get(5)?.state).toBe("failed");
    // Retried: the row is queued again first, and then its progress counts.
    t.apply({ type: "job", job: row(5, { state: "queued" }) }, 30);
    expect(t.apply({ type: "progress", id: 5, bytesDone: 10, total: 1000 }, 40)).toBe(true);
    expect(t.rows.get(5)?.state).toBe("uploading");
  });

  it("marks a video processing once its bytes are in", () => {
    const t = new JobTable();
    t.replaceAll([row(3, { kind: "video", destination: "stream", state: "uploading" })]);
    t.apply({ type: "processing", id: 3, pct: 40 }, 0);
    expect(t.rows.get(3)?.state).toBe("processing");
    expect(t.processingPct.get(3)).toBe(40);
  });
});

describe("filters", () => {
  const rows = [
    row(1, { state: "done", url: "https://media.example.com/documents/file-1.pdf", updatedAt: 1000 }),
    row(2, { state: "failed", destination: "images", kind: "image", name: "cover.png", folder: "/course/Week 2" }),
    row(3, { state: "done", destination: "stream", name: "Lecture intro.mp4", updatedAt: 950_000 }),
  ];
  it.each([
    [{}, [1, 2, 3]],
    [{ state: "done" }, [1, 3]],
    [{ destination: "images" }, [2]],
    [{ kind: "image" }, [2]],
    [{ folder: "/course/Week 2" }, [2]],
    [{ search: "lecture" }, [3]],
    [{ search: "media.example file-1" }, [1]],
    [{ search: "nothing like it" }, []],
    [{ sinceSecs: 86400 }, [2, 3]],
  ])("%j keeps %j", (f, want) => {
    const got = filterRows(rows, { ...NO_FILTER, ...f }, 1_000_000).map((r) => r.id);
    expect(got).toEqual(want);
  });
});

describe("actions", () => {
  it.each([
    ["queued", ["pause", "cancel"]],
    ["uploading", ["pause", "cancel"]],
    ["paused", ["resume", "cancel"]],
    ["failed", ["retry", "details", "cancel"]],
    ["done", ["copy", "more"]],
    ["deleted", []],
  ] as const)("a %s job offers %j", (state, want) => {
    expect(actionsFor(row(1, { state }))).toEqual(want);
  });

  it("Copy takes the preferred format where it fits, else the row's default", () => {
    const video = row(4, { state: "done", formats: ["iframe", "raw", "markdown"] });
    const pdf = row(5, { state: "done", formats: ["raw", "html", "markdown"] });
    expect(copyFormat(video, "iframe")).toBe("iframe");
    expect(copyFormat(video, "html")).toBe("iframe");
    expect(copyFormat(video, "markdown")).toBe("markdown");
    expect(copyFormat(pdf, "iframe")).toBe("raw");
    expect(copyFormat(pdf, "html")).toBe("html");
    expect(copyFormat(row(6, { state: "failed" }), "raw")).toBeNull();
  });

  it("an error reads as what happened, then what to do", () => {
    expect(splitError("stream: the token was refused; create a new token with Stream: Edit")).toEqual({
      what: "stream: the token was refused",
      fix: "Create a new token with Stream: Edit",
    });
    expect(splitError("the server did not answer")).toEqual({ what: "the server did not answer", fix: null });
  });
});

describe("retries", () => {
  it("a retrying job shows its wait until bytes move again", () => {
    const t = new JobTable();
    t.replaceAll([row(7, { state: "uploading" })]);
    t.apply({ type: "retrying", id: 7, attempt: 2, attempts: 6, inMs: 4000, code: "network", message: "could not reach the server" }, 1000);
    expect(t.retries.get(7)).toEqual({ untilMs: 5000, attempt: 2, attempts: 6, message: "could not reach the server" });
    t.apply({ type: "progress", id: 7, bytesDone: 0, total: 1000 }, 2000);
    expect(t.retries.has(7)).toBe(true);
    // The failed attempt's own bytes, reported after the retry was announced: still waiting.
    t.apply({ type: "progress", id: 7, bytesDone: 1000, total: 1000 }, 3000);
    expect(t.retries.has(7)).toBe(true);
    // The next attempt starts from the server's offset and moves bytes: the wait is over.
    t.apply({ type: "progress", id: 7, bytesDone: 0, total: 1000 }, 5100);
    expect(t.retries.has(7)).toBe(true);
    t.apply({ type: "progress", id: 7, bytesDone: 10, total: 1000 }, 5300);
    expect(t.retries.has(7)).toBe(false);
    expect(t.apply({ type: "retrying", id: 99, attempt: 1, attempts: 6, inMs: 1, code: "x", message: "y" }, 0)).toBe(false);
  });
});

describe("visibleRange", () => {
  it("renders the rows in view plus overscan, never past the ends", () => {
    expect(visibleRange(0, 680, 68, 10_000)).toEqual({ first: 0, count: 22 });
    expect(visibleRange(68 * 5000, 680, 68, 10_000)).toEqual({ first: 4994, count: 22 });
    expect(visibleRange(68 * 9995, 680, 68, 10_000)).toEqual({ first: 9989, count: 11 });
    expect(visibleRange(0, 680, 68, 3)).toEqual({ first: 0, count: 3 });
    expect(visibleRange(0, 680, 68, 0)).toEqual({ first: 0, count: 0 });
    // Scrolled far down a list that just shrank to 30 rows: its last rows, not nothing.
    expect(visibleRange(68 * 5000, 680, 68, 30)).toEqual({ first: 14, count: 16 });
  });
});

describe("course filter", () => {
  const rows = [row(1, { course: "Biology 101" }), row(2, { course: "Chemistry" }), row(3)];
  it("keeps one course's files, or the files added without a course", () => {
    expect(filterRows(rows, { ...NO_FILTER, course: "Biology 101" }, 0).map((r) => r.id)).toEqual([1]);
    expect(filterRows(rows, { ...NO_FILTER, course: NO_COURSE }, 0).map((r) => r.id)).toEqual([3]);
    expect(filterRows(rows, NO_FILTER, 0)).toHaveLength(3);
  });
  it("finds files by their course's name", () => {
    expect(filterRows(rows, { ...NO_FILTER, search: "chemis" }, 0).map((r) => r.id)).toEqual([2]);
  });
});

/** The core's paging over an array (crates/core/src/queue/pages.rs does it in SQL), counting
 * the pages asked for; `hold` keeps answers back until `release`. */
function core(rows: JobRow[]) {
  const asked: Array<{ query: JobQueryRow; offset: number }> = [];
  const held: Array<() => void> = [];
  let holding = false;
  const fetch = async (query: JobQueryRow, offset: number, limit: number): Promise<JobPageRow> => {
    asked.push({ query, offset });
    const matching = rows.filter((r) => queryMatches(r, query)).sort((a, b) => b.id - a.id);
    const answer = { total: matching.length, offset, rows: matching.slice(offset, offset + limit).map((r) => ({ ...r })) };
    if (holding) await new Promise<void>((go) => held.push(go));
    return answer;
  };
  return {
    rows,
    asked,
    fetch,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const go of held.splice(0)) go();
    },
  };
}

describe("PagedList", () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => row(i + 1, { state: "done" }));

  it("reads only the pages in view, newest first, and counts the rest", async () => {
    const db = core(many(10_000));
    const table = new JobTable();
    let changes = 0;
    const list = new PagedList(ALL_JOBS, table, db.fetch, () => changes++);
    await list.show(0, 22);
    expect(db.asked.map((a) => a.offset)).toEqual([0]);
    expect(list.total).toBe(10_000);
    expect(list.rowAt(0)?.id).toBe(10_000);
    expect(list.rowAt(21)?.id).toBe(9_979);
    expect(list.rowAt(100)).toBeUndefined();
    // A fling to the middle reads the one page it lands on, and the pages across a boundary.
    await list.show(5_090, 22);
    expect(db.asked.map((a) => a.offset)).toEqual([0, 5_000, 5_100]);
    expect(list.rowAt(5_100)?.id).toBe(4_900);
    expect(table.rows.size).toBe(300);
    expect(changes).toBe(3);
  });

  it("lets go of pages far from the view, and the table of rows no list holds", async () => {
    const db = core(many(10_000));
    const table = new JobTable();
    const list = new PagedList(ALL_JOBS, table, db.fetch, () => {}, 100, 4);
    for (let page = 0; page < 30; page++) await list.show(page * 100, 22);
    expect(list.ids().size).toBe(500);
    expect(list.rowAt(0)).toBeUndefined();
    expect(list.rowAt(2_950)?.id).toBe(7_050);
    table.retain(new Set(list.ids()));
    expect(table.rows.size).toBe(500);
  });

  it("a new job, or one that leaves the list, makes the list read again; other changes do not", async () => {
    const db = core(many(500));
    const table = new JobTable();
    const queue = new PagedList({ ...ALL_JOBS, hideDeleted: true }, table, db.fetch, () => {});
    const failed = new PagedList({ ...ALL_JOBS, state: "failed" }, table, db.fetch, () => {});
    await queue.show(0, 22);
    await failed.show(0, 22);
    const added = row(501);
    expect(queue.affectedBy(added)).toBe(true);
    expect(failed.affectedBy(added)).toBe(false);
    // A held row deleted from the cloud leaves the queue.
    expect(queue.affectedBy(row(499, { state: "deleted" }))).toBe(true);
    // An old row far down the queue, finishing again: the queue holds it or not the same.
    expect(queue.affectedBy(row(3, { state: "done" }))).toBe(false);
    // The same row failing joins the failed list.
    expect(failed.affectedBy(row(3, { state: "failed" }))).toBe(true);
    db.rows.push(added);
    await queue.refresh();
    expect(queue.total).toBe(501);
    expect(queue.rowAt(0)?.id).toBe(501);
    expect(queue.rowAt(1)?.id).toBe(500);
  });

  it("an answer to an older filter is thrown away", async () => {
    const db = core([row(1, { kind: "image" }), row(2, { kind: "video" }), row(3, { kind: "image" })]);
    const table = new JobTable();
    const list = new PagedList(ALL_JOBS, table, db.fetch, () => {});
    db.hold();
    const images = list.setQuery({ ...ALL_JOBS, kind: "image" });
    db.release();
    const videos = list.setQuery({ ...ALL_JOBS, kind: "video" });
    await Promise.all([images, videos]);
    expect(list.total).toBe(1);
    expect(list.rowAt(0)?.id).toBe(2);
  });

  it("a page read during an upload keeps what the events said since", () => {
    const table = new JobTable();
    table.replaceAll([row(1, { state: "queued" }), row(2, { state: "uploading", updatedAt: 5 })]);
    table.apply({ type: "progress", id: 1, bytesDone: 700, total: 1000 }, 0);
    table.merge(row(1, { state: "queued", bytesDone: 200 }));
    expect(table.rows.get(1)).toMatchObject({ state: "uploading", bytesDone: 700 });
    // The job ended in the same second as the page read it uploading: it stays ended.
    table.apply({ type: "job", job: row(2, { state: "done", updatedAt: 5 }) }, 0);
    table.merge(row(2, { state: "uploading", updatedAt: 5 }));
    expect(table.rows.get(2)?.state).toBe("done");
    // A later change from the database replaces it.
    table.merge(row(2, { state: "deleted", updatedAt: 6 }));
    expect(table.rows.get(2)?.state).toBe("deleted");
  });
});
