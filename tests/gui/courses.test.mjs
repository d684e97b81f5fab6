// Courses in the real window against ferry-cloudsim, as a teacher organises a term: a course
// added in its form (the preview shows where files land, the engine's own routing and keys),
// chosen on the queue so dropped files follow it (its folder, its link format on Copy, the
// link opening), a watched folder given to it whose new file arrives under it, a rename that
// reaches its files and folder, and a removal refused while a folder still belongs to it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Desktop, clipboard, until } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  session = await desktop.start({ FERRY_WATCH_STABLE_MS: "200" });
  await desktop.skipWelcome();
});

after(() => desktop.stop());

async function jobs() {
  return (await desktop.invoke("jobs")).ok;
}

async function type(css, text) {
  const el = await session.waitFor(css);
  await session.cmd("POST", `/element/${el}/clear`, {});
  await session.cmd("POST", `/element/${el}/value`, { text });
}

/** Choose `value` in a select the way a user does (Svelte listens for a bubbling change). */
async function choose(css, value) {
  await session.waitFor(css);
  await session.exec(`const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event("change", { bubbles: true }));`, [css, value]);
}

test("a course added in its form shows where files will land, and dropped files follow it", async () => {
  await session.click('button[data-view="courses"]');
  await session.click('[data-testid="add-course"]');
  await type('dialog[open] input[data-course-field="name"]', "Biology 101");
  // The engine's routing and keys, live: the document to the bucket under the course's folder
  // (private here: its link is signed when copied), the video to Stream.
  const doc = await session.waitFor('[data-testid="course-preview"] [data-sample-kind="document"]', { test: (t) => t.includes("biology-101/") });
  const docText = await session.cmd("GET", `/element/${doc}/text`);
  assert.match(docText, /→ r2 biology-101\/documents\//, docText);
  assert.match(docText, /expiring links/, "a private bucket's links are signed");
  await session.waitFor('[data-testid="course-preview"] [data-sample-kind="video"]', { test: (t) => t.includes("stream") });
  // Everything to Images: the document cannot go there, and the preview says why.
  await choose('dialog[open] select[data-course-field="destination"]', "images");
  await session.waitFor('[data-testid="course-preview"] [data-sample-kind="document"] .error', { test: (t) => /takes images/.test(t) });
  await choose('dialog[open] select[data-course-field="destination"]', "");
  await choose('dialog[open] select[data-course-field="link-format"]', "markdown");
  await session.waitFor('[data-testid="course-preview"] [data-sample-kind="document"]', { test: (t) => t.includes("→ r2") });
  await desktop.shot("40-course-form");
  await session.click('[data-testid="save-course"]');
  await session.waitFor('[data-course="Biology 101"]');

  // Chosen on the queue; a dropped file takes the course's folder and its link format.
  await session.click('button[data-view="queue"]');
  await choose('[data-testid="drop-course"]', "Biology 101");
  await session.waitFor('[data-testid="dropzone"]', { test: (t) => t.includes("Drop files for Biology 101 here") });
  const notes = join(desktop.work, "cell notes.pdf");
  writeFileSync(notes, "%PDF-1.4 cell notes");
  await desktop.drop([notes]);
  const id = await desktop.waitRow("cell notes.pdf");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  const job = (await jobs()).find((j) => j.id === Number(id));
  assert.equal(job.course, "Biology 101");
  assert.match(job.key, /^biology-101\//, job.key);
  assert.equal(await session.textOf(`[data-job="${id}"] [data-testid="row-course"]`), "Biology 101");
  await session.click(`[data-job="${id}"] button[data-action="copy"]`);
  const pasted = await until("the Markdown link on the clipboard", () => {
    const text = clipboard();
    return text.startsWith("[cell notes.pdf](") ? text : null;
  });
  const url = pasted.slice("[cell notes.pdf](".length, -1);
  const got = await fetch(url);
  assert.equal(got.status, 200, url);
  assert.equal(await got.text(), "%PDF-1.4 cell notes");
  await desktop.shot("41-queue-with-course");
});

test("a watched folder given to the course uploads under it; a rename reaches files and folder", async () => {
  const folder = join(desktop.work, "Bio lab");
  mkdirSync(folder, { recursive: true });
  const add = await desktop.invoke("add_folder", {
    folder: { root: folder, destination: null, prefix: null, template: null, onChange: "new-version", mirrorDeletions: false, include: [], exclude: [], defaultIgnores: true },
  });
  assert.ok(!add.err, JSON.stringify(add.err));
  await session.click('button[data-view="folders"]');
  const card = `[data-folder-root="${folder}"]`;
  await choose(`${card} select[data-folder="course"]`, "Biology 101");
  await until("the folder to belong to the course", async () => (await desktop.invoke("folders")).ok.find((f) => f.root === folder)?.course === "Biology 101");
  writeFileSync(join(folder, "lab sheet.pdf"), "%PDF-1.4 lab sheet");
  const sheet = await until("the lab sheet uploaded", async () => (await jobs()).find((j) => j.name === "lab sheet.pdf" && j.state === "done"), 60000);
  assert.equal(sheet.course, "Biology 101");
  // Its link, copied from its row in the course's format, opens.
  await session.click('button[data-view="queue"]');
  const sheetRow = await desktop.waitRow("lab sheet.pdf");
  await session.click(`[data-job="${sheetRow}"] button[data-action="copy"]`);
  const sheetLink = await until("the sheet's Markdown link", () => {
    const text = clipboard();
    return text.startsWith("[lab sheet.pdf](") ? text.slice("[lab sheet.pdf](".length, -1) : null;
  });
  assert.equal(await (await fetch(sheetLink)).text(), "%PDF-1.4 lab sheet");
  // The folder's last full look is kept (shown on its card after a restart, before the next).
  const listed = (await desktop.invoke("folders")).ok.find((f) => f.root === folder);
  assert.ok(listed.syncedAt > 0 && listed.syncedFiles >= 0, JSON.stringify(listed));
  assert.match(sheet.key, /^biology-101\//, sheet.key);

  // Renamed in its form: the course's uploads and folder carry the new name.
  await session.click('button[data-view="courses"]');
  await session.waitFor('[data-course="Biology 101"]', { test: (t) => /2 files · 1 watched folder/.test(t) });
  await session.click('[data-course="Biology 101"] button[data-course-action="edit"]');
  await type('dialog[open] input[data-course-field="name"]', "Biology 101 (spring)");
  await session.waitFor('[data-testid="course-preview"] [data-sample-kind="document"]');
  await session.click('[data-testid="save-course"]');
  await session.waitFor('[data-course="Biology 101 (spring)"]');
  const renamed = (await jobs()).filter((j) => j.course === "Biology 101 (spring)").map((j) => j.name).sort();
  assert.deepEqual(renamed, ["cell notes.pdf", "lab sheet.pdf"]);
  assert.equal((await desktop.invoke("folders")).ok.find((f) => f.root === folder).course, "Biology 101 (spring)");

  // "Show its files": the history on that course only.
  const loose = join(desktop.work, "loose.pdf");
  writeFileSync(loose, "%PDF-1.4 loose");
  await desktop.invoke("add_paths", { paths: [loose], destination: null, everything: false, course: null });
  await session.click('[data-course="Biology 101 (spring)"] button[data-course-action="files"]');
  await session.waitFor("#history-title");
  await until("only the course's files listed", async () => {
    const names = await session.exec(`return [...document.querySelectorAll("[data-job] .name")].map((e) => e.textContent).sort();`);
    return JSON.stringify(names) === JSON.stringify(["cell notes.pdf", "lab sheet.pdf"]);
  });
  await desktop.shot("42-history-of-a-course");
});

test("a course a folder belongs to is not removed, and the window says which folder", async () => {
  await session.click('button[data-view="courses"]');
  await session.click('[data-course="Biology 101 (spring)"] button[data-course-action="remove"]');
  await until("Cancel to take the focus", async () => (await session.focusedText()) === "Cancel");
  await session.click('[data-testid="confirm-remove-course"]');
  const toast = await session.waitFor(".toast.error", { test: (t) => t.includes("Bio lab") });
  assert.match(await session.cmd("GET", `/element/${toast}/text`), /belongs to it/);
  assert.equal((await desktop.invoke("courses")).ok.length, 1, "the course is kept");
});
