// The native dialogs in the real window: "Add files…", "Add a folder…", "Watch a folder…" and
// the manifest export. Each once froze the window for good (a blocking dialog waited on the
// main thread it needed). Here each dialog must appear as its own X window, the Ferry window
// must keep answering while it is open, Escape must close it with nothing done, and choosing
// (a path typed into GTK's chooser with xdotool, as a keyboard user would) must do the thing.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Desktop, keyboard, sleep, until, windowsNamed } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  session = await desktop.start();
  await desktop.skipWelcome();
});

after(() => desktop.stop());

/** Wait for the dialog titled `title` to be a shown X window; returns its id. */
async function dialogNamed(title) {
  const id = await until(`the "${title}" dialog`, () => windowsNamed(title)[0], 20000);
  // Shown is not yet ready for keys: GTK fills the chooser in after mapping it.
  await sleep(700);
  return id;
}

/** The window answers a script while a dialog is open (it used to hang until killed). */
async function windowAnswers() {
  const started = Date.now();
  const title = await Promise.race([
    session.exec("return document.querySelector('main h1')?.textContent ?? 'none';"),
    sleep(5000).then(() => {
      throw new Error("the window stopped answering while the dialog was open");
    }),
  ]);
  assert.ok(title, "the window answered");
  return Date.now() - started;
}

/** Close with Escape; the dialog's window goes away. */
async function escape(id, title) {
  keyboard(id, "key", "Escape");
  await until(`the "${title}" dialog to close`, () => windowsNamed(title).length === 0);
}

/** Type `path` into GTK's chooser (Ctrl+L opens its location field) and confirm, at a
 * person's pace: the field appears, then takes the text, then completes it. */
async function choose(id, path) {
  keyboard(id, "key", "ctrl+l");
  await sleep(400);
  keyboard(id, "type", path);
  await sleep(600);
  keyboard(id, "key", "Return");
}

test("Add files… opens a chooser while the window keeps working; Escape adds nothing; a chosen file is queued", async () => {
  const file = join(desktop.work, "Week 2 slides.pdf");
  writeFileSync(file, "%PDF-1.4\n% slides " + "y".repeat(3000) + "\n");
  await session.click('button[data-testid="add-files"]');
  const title = "Add files to upload";
  const id = await dialogNamed(title);
  await desktop.shot("10-add-files-dialog");
  await windowAnswers();
  await escape(id, title);
  await sleep(300);
  assert.equal(await desktop.rowFor("Week 2 slides.pdf"), null, "cancelling queues nothing");

  await session.click('button[data-testid="add-files"]');
  const again = await dialogNamed(title);
  await choose(again, file);
  const row = await desktop.waitRow("Week 2 slides.pdf");
  await session.waitFor(`[data-job="${row}"] .state[data-state="done"]`, { timeoutMs: 30000 });
});

test("Add a folder… queues the chosen folder's files", async () => {
  const folder = join(desktop.work, "Module 3");
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "reading list.txt"), "1. Homer\n2. Virgil\n");
  await session.click('button[data-testid="add-folder"]');
  const title = "Choose a folder";
  const id = await dialogNamed(title);
  await windowAnswers();
  await escape(id, title);

  await session.click('button[data-testid="add-folder"]');
  await choose(await dialogNamed(title), folder);
  const row = await desktop.waitRow("reading list.txt");
  await session.waitFor(`[data-job="${row}"] .state[data-state="done"]`, { timeoutMs: 30000 });
});

test("Watch a folder… adds the chosen folder to the watched ones, and its files upload", async () => {
  const folder = join(desktop.work, "Watched course");
  mkdirSync(folder, { recursive: true });
  await session.click('button[data-view="folders"]');
  await session.click('button[data-testid="watch-folder"]');
  const title = "Choose a folder";
  const id = await dialogNamed(title);
  await windowAnswers();
  await escape(id, title);
  assert.equal((await session.findAll(".cards .card")).length, 0, "cancelling watches nothing");

  await session.click('button[data-testid="watch-folder"]');
  await choose(await dialogNamed(title), folder);
  await session.waitFor(".cards .card h2.path", { test: (t) => t.endsWith("Watched course"), timeoutMs: 20000 });
  writeFileSync(join(folder, "syllabus.txt"), "Week 1: introductions\n");
  await session.click('button[data-view="queue"]');
  const row = await desktop.waitRow("syllabus.txt", 30000);
  await session.waitFor(`[data-job="${row}"] .state[data-state="done"]`, { timeoutMs: 30000 });
});

test("Export manifest asks where to save (Rust's dialog), and writes the file there", async () => {
  await session.click('button[data-view="history"]');
  await session.click('button[data-testid="export-csv"]');
  const title = "Save the course manifest";
  const id = await dialogNamed(title);
  await windowAnswers();
  await escape(id, title);

  const target = join(desktop.work, "spring manifest.csv");
  await session.click('button[data-testid="export-csv"]');
  const again = await dialogNamed(title);
  // The name field has focus, holding the proposed name: replace it with the full path.
  keyboard(again, "key", "ctrl+a");
  await sleep(300);
  keyboard(again, "type", target);
  await sleep(600);
  keyboard(again, "key", "Return");
  await until("the manifest file", () => existsSync(target));
  const csv = readFileSync(target, "utf8");
  assert.match(csv, /Week 2 slides\.pdf/, csv);
  assert.match(csv, /reading list\.txt/, csv);
  // Links made at export work now (the bucket is private: signed, their expiry beside them),
  // and dates read as dates.
  const [header, ...rows] = csv.trim().split("\n");
  assert.equal(header, "path,name,kind,destination,key,url,size,uploaded_at,expires_at,course");
  for (const line of rows) {
    const cells = line.split(",");
    const [url, , uploaded, expires] = cells.slice(-5, -1);
    assert.match(uploaded, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, line);
    assert.equal((await fetch(url)).status, 200, `the manifest's link opens: ${url}`);
    if (url.includes("X-Amz-Signature=")) assert.match(expires, /^\d{4}-\d\d-\d\dT/, `a signed link says when it stops working: ${line}`);
  }
});

test("the page cannot choose where a manifest is written", async () => {
  const target = join(desktop.work, "planted.csv");
  // A page that names a path is ignored: the save dialog (Rust's) decides, or nothing is written.
  await desktop.invokeLater("planted", "export_manifest", { ids: [], format: "csv", path: target });
  const title = "Save the course manifest";
  const id = await dialogNamed(title);
  await escape(id, title);
  const answer = await desktop.answer("planted");
  assert.deepEqual(answer, { ok: null }, "cancelled: nothing written");
  assert.ok(!existsSync(target), "nothing at the page's path");
});
