// The real Ferry window, end to end: the desktop binary under Xvfb, driven through tauri-driver
// and WebKitWebDriver, uploading to ferry-cloudsim (Images, Stream and an R2 bucket on
// 127.0.0.1). A file is added the way a drop arrives (Tauri's drag-drop event with its path),
// completes, and its link is copied: the X clipboard must then hold the delivery URL, and that
// URL must serve the file's bytes. A failure (the Images API refusing) shows its message, and
// Retry finishes the job once the fault is gone. Screenshots of each main screen are saved.
//
// Run by scripts/test.sh inside xvfb-run, after the UI and the desktop binary are built.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Desktop, clipboard, root } from "./harness.mjs";

const desktop = new Desktop();
let session;
let sim;
const work = desktop.work;
const shot = (name) => desktop.shot(name);
const drop = (paths) => desktop.drop(paths);
const rowFor = (name) => desktop.rowFor(name);

before(async () => {
  session = await desktop.start();
  sim = desktop.sim;
});

after(() => desktop.stop());

test("a new user sees the welcome, drops a file, and copies a working link", async () => {
  await session.waitFor("dialog[open]");
  await shot("01-welcome");
  await session.click("dialog[open] button.primary");

  const pdf = join(work, "Week 1 syllabus.pdf");
  const body = "%PDF-1.4\n% Ferry GUI test " + "x".repeat(5000) + "\n";
  writeFileSync(pdf, body);
  await drop([pdf]);

  const id = await (async () => {
    for (let i = 0; i < 100; i++) {
      const found = await rowFor("Week 1 syllabus.pdf");
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the dropped file never appeared in the queue");
  })();
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  await shot("02-queue-done");

  await session.click(`[data-job="${id}"] button[data-action="copy"]`);
  await session.waitFor(`[data-job="${id}"] .state`, { test: (t) => t === "Copied" });
  // The demo bucket is private, so the link is presigned (a fresh one per copy).
  const url = clipboard().trim();
  assert.ok(url.startsWith(`${sim.r2_endpoint}/course-media/documents/`), `clipboard holds ${url}`);
  assert.match(url, /syllabus\.pdf\?.*X-Amz-Signature=/, `clipboard holds a signed link: ${url}`);
  const shown = await session.textOf(`[data-job="${id}"] .url`);
  assert.equal(shown.split("?")[0], url.split("?")[0], "the row shows a link to the same object");
  const served = await fetch(url).then((r) => r.text());
  assert.equal(served, body, "the copied link serves the uploaded bytes");

  // Markdown, chosen once, is what the next click copies.
  await session.click('.linkbar input[value="markdown"]');
  await session.click(`[data-job="${id}"] button[data-action="copy"]`);
  await new Promise((r) => setTimeout(r, 300));
  assert.match(clipboard().trim(), /^\[Week 1 syllabus\.pdf\]\(http:\/\/127\.0\.0\.1:\d+\/course-media\/documents\/\S+syllabus\.pdf\?\S+\)$/);
});

test("a failure shows its message, and Retry finishes the job once the cause is gone", async () => {
  await fetch(`${sim.root}/__sim/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ path_contains: "/images/v1", method: "POST", status: 403 }]),
  });
  const png = join(work, "cover.png");
  writeFileSync(png, readFileSync(join(root, "icons/32x32.png")));
  await drop([png]);
  let id = null;
  for (let i = 0; i < 100 && !id; i++) {
    id = await rowFor("cover.png");
    if (!id) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(id, "the image was queued");
  await session.waitFor(`[data-job="${id}"] .state[data-state="failed"]`, { timeoutMs: 30000 });
  const message = await session.textOf(`[data-job="${id}"] .error`);
  assert.match(message, /cover\.png/, `the message names the file: ${message}`);
  assert.match(message, /permission|token|denied|403/i, `the message says what is wrong: ${message}`);
  await shot("03-queue-failed");

  await fetch(`${sim.root}/__sim/faults`, { method: "DELETE" });
  await session.click(`[data-job="${id}"] button[data-action="retry"]`);
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  const url = await session.textOf(`[data-job="${id}"] .url`);
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} opens`);
});

test("each main screen renders", async () => {
  for (const view of ["history", "folders", "accounts", "settings"]) {
    await session.click(`button[data-view="${view}"]`);
    await session.waitFor(`main h1`);
    await shot(`04-${view}`);
  }
  await session.click(`button[data-view="history"]`);
  const count = (await session.findAll("[data-job]")).length;
  assert.equal(count, 2, "history lists the two uploaded files");
});

test("settings: start at login writes the autostart entry, which starts Ferry in the tray", async () => {
  await session.click(`button[data-view="settings"]`);
  const box = await session.waitFor("input[data-setting='start-at-login']");
  await session.cmd("POST", `/element/${box}/click`, {});
  await session.click("form.settings button[type='submit']");
  await session.waitFor("form.settings [role='status']");
  const entry = join(work, "user/.config/autostart/Ferry.desktop");
  assert.ok(existsSync(entry), "the autostart entry exists");
  const text = readFileSync(entry, "utf8");
  assert.match(text, /^Exec=.*ferry-desktop.* --background$/m, text);
  await session.cmd("POST", `/element/${box}/click`, {});
  await session.click("form.settings button[type='submit']");
  for (let i = 0; i < 50 && existsSync(entry); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!existsSync(entry), "turning it off removes the entry");
});
