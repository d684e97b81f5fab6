// The session in the real window, while a large upload runs: watching a folder (through the
// native chooser) and saving changed settings each reopen the engine. Both once left the window
// on a spinner for good; here each must answer while the upload is still sending, and both the
// watched file and the running upload must finish, the upload's bytes intact.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Desktop, keyboard, sleep, until, windowsNamed } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  // 1 MiB/s: the 40 MiB lecture below takes about 40 s, longer than both bounds below together.
  session = await desktop.start({ FERRY_BANDWIDTH_LIMIT_KIB: "1024", FERRY_WATCH_STABLE_MS: "200" });
  await desktop.skipWelcome();
});

after(() => desktop.stop());

/** A job's state as the core has it (the queue screen may not be showing). */
async function stateOf(id) {
  const jobs = await desktop.invoke("jobs");
  return jobs.ok.find((j) => String(j.id) === String(id))?.state ?? null;
}

/** `act()` must finish within `ms`, and the job `id` must still be uploading then. The bound
 * tells a window stuck for good (the defect this guards against) from one that answered; it is
 * no speed target (a loaded 2-core CI machine once took over 5 s), so the time is printed, and
 * the app's log (which times each reload) is shown when the bound is passed. */
async function answersWhileUploading(what, id, act, ms = 15000) {
  const t0 = Date.now();
  await Promise.race([
    act().then(() => console.log(`# ${what}: ${Date.now() - t0} ms`)),
    sleep(ms).then(() => {
      throw new Error(`${what} did not answer within ${ms} ms while an upload ran; the app's log ends:\n${desktop.logTail()}`);
    }),
  ]);
  assert.equal(await stateOf(id), "uploading", `${what} answered before the upload ended`);
}

test("watching a folder and saving settings answer at once while a large upload runs; everything finishes", async () => {
  const lecture = join(desktop.work, "Lecture 4 capture.bin");
  const bytes = Buffer.alloc(40 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
  writeFileSync(lecture, bytes);
  await desktop.drop([lecture]);
  const id = await desktop.waitRow("Lecture 4 capture.bin");
  await session.waitFor(`[data-job="${id}"] .state[data-state="uploading"]`, { timeoutMs: 20000 });

  // Watch a folder, as a teacher does: the button, the chooser, a typed path.
  const folder = join(desktop.work, "Week 5");
  mkdirSync(folder, { recursive: true });
  await session.click('button[data-view="folders"]');
  await session.click('button[data-testid="watch-folder"]');
  const dialog = await until("the folder chooser", () => windowsNamed("Choose a folder")[0]);
  await sleep(700);
  keyboard(dialog, "key", "ctrl+l");
  await sleep(400);
  keyboard(dialog, "type", folder);
  await sleep(600);
  await answersWhileUploading("watching a folder", id, async () => {
    keyboard(dialog, "key", "Return");
    await session.waitFor(".cards .card h2.path", { test: (t) => t.endsWith("Week 5"), timeoutMs: 15000 });
  });

  // Save a changed setting.
  await session.click('button[data-view="settings"]');
  // The engine's knobs wait behind Advanced.
  await session.click('[data-testid="advanced"] summary');
  const box = await session.waitFor("input[data-setting='file-concurrency']");
  await session.cmd("POST", `/element/${box}/clear`, {});
  await session.cmd("POST", `/element/${box}/value`, { text: "3" });
  await answersWhileUploading("saving settings", id, async () => {
    await session.click("form.settings button[type='submit']");
    await session.waitFor("form.settings [role='status']", { timeoutMs: 15000 });
  });

  // The watched folder works with the new engine; the old one finishes the lecture.
  writeFileSync(join(folder, "worksheet.txt"), "Exercise 1: count the files\n");
  await session.click('button[data-view="queue"]');
  const sheet = await desktop.waitRow("worksheet.txt", 30000);
  await session.waitFor(`[data-job="${sheet}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 90000 });
  await desktop.shot("20-session-reloads-during-upload");

  // The bucket is private: the row shows where the file is, and a link is signed when asked.
  const link = await desktop.invoke("link", { id: Number(id), format: "raw", expiresSecs: null });
  const url = link.ok.text;
  const served = Buffer.from(await (await fetch(url)).arrayBuffer());
  const sha = (b) => createHash("sha256").update(b).digest("hex");
  assert.equal(sha(served), sha(bytes), "the lecture arrived whole");
  const settings = await desktop.invoke("settings");
  assert.equal(settings.ok.fileConcurrency, 3, "the setting was saved");
});
