// Captions in the real window against ferry-cloudsim: a teacher opens a finished video's
// More…, chooses a SubRip file in the native dialog (typed into GTK's chooser with xdotool), sees
// it listed as French captions, asks Stream to generate English ones and watches them become
// ready, then removes one. What the window shows is checked against the emulator's own list.
//
// Run by scripts/test.sh inside xvfb-run, after the UI and the desktop binary are built.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ACCOUNT, Desktop, TOKEN, clipboard, keyboard, root, sleep, until, windowsNamed } from "./harness.mjs";

const desktop = new Desktop();
let session;
const work = desktop.work;

before(async () => {
  session = await desktop.start();
  await desktop.skipWelcome();
});

after(() => desktop.stop());

const row = (id) => `[data-job="${id}"]`;

/** The captions the emulator holds for the only video, as "language:status" (not through Ferry). */
async function emulatorCaptions() {
  const api = `${desktop.sim.api}/accounts/${ACCOUNT}/stream`;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const videos = await (await fetch(api, { headers: auth })).json();
  const uid = videos.result[0].uid;
  const caps = await (await fetch(`${api}/${uid}/captions`, { headers: auth })).json();
  return caps.result.map((c) => `${c.language}:${c.status}`).sort();
}

test("a caption file chosen in the dialog, generated captions, and removing one", async () => {
  const video = join(work, "Lecture 5.mp4");
  copyFileSync(join(root, "crates/core/assets/round-trip.mp4"), video);
  const srt = join(work, "Lecture 5.fr.srt");
  writeFileSync(srt, "1\n00:00:00,500 --> 00:00:01,500\nBonjour à tous\n");
  await desktop.drop([video]);
  const id = await desktop.waitRow("Lecture 5.mp4");
  await session.waitFor(`${row(id)} .state[data-state="done"]`, { timeoutMs: 60000 });

  await session.click(`${row(id)} button[data-action="more"]`);
  await session.waitFor('dialog[open] [data-testid="captions-none"]');
  await desktop.shot("captions-01-none");

  // French chosen; the file is picked in GTK's chooser.
  await session.exec(
    `const s = document.querySelector('[data-testid="caption-language"]'); s.value = "fr"; s.dispatchEvent(new Event("change", { bubbles: true }));`,
  );
  await session.click('[data-testid="add-caption"]');
  const title = "Choose a caption file"; // xdotool reads the name as a pattern: no parentheses
  const dialog = await until(`the "${title}" dialog`, () => windowsNamed(title)[0], 20000);
  await sleep(700);
  keyboard(dialog, "key", "ctrl+l");
  await sleep(400);
  keyboard(dialog, "type", srt);
  await sleep(600);
  keyboard(dialog, "key", "Return");
  await session.waitFor('dialog[open] li[data-caption="fr"][data-status="ready"]', { timeoutMs: 20000 });
  assert.match(await session.textOf('dialog[open] li[data-caption="fr"]'), /Français/);
  assert.deepEqual(await emulatorCaptions(), ["fr:ready"]);

  // English from the speech: in progress, then ready without closing the dialog.
  await session.exec(
    `const s = document.querySelector('[data-testid="caption-language"]'); s.value = "en"; s.dispatchEvent(new Event("change", { bubbles: true }));`,
  );
  await session.click('[data-testid="generate-captions"]');
  await session.waitFor('dialog[open] li[data-caption="en"]', { timeoutMs: 10000 });
  await session.waitFor('dialog[open] li[data-caption="en"][data-status="ready"]', { timeoutMs: 20000 });
  assert.deepEqual(await emulatorCaptions(), ["en:ready", "fr:ready"]);
  await desktop.shot("captions-02-two");

  await session.click('dialog[open] button[data-remove-caption="en"]');
  await until("the English captions to go", async () => (await emulatorCaptions()).join() === "fr:ready");
  await until("the window to drop them", () => session.exec(`return !document.querySelector('dialog[open] li[data-caption="en"]');`));
});

test("the same video made private from More…: Stream requires signed links, and the link copied is signed and plays", async () => {
  const id = await desktop.rowFor("Lecture 5.mp4");
  assert.ok(id, "the video from the first test");
  // The first test left its dialog open: close it as a teacher would.
  if (await session.exec("return !!document.querySelector('dialog[open]');")) {
    await session.click("dialog[open] .actions button:last-child");
    await until("the dialog to close", () => session.exec("return !document.querySelector('dialog[open]');"));
  }
  await session.click(`${row(id)} button[data-action="more"]`);
  await session.click('dialog[open] [data-testid="video-settings-box"] summary');
  await session.exec(
    `const s = document.querySelector('[data-testid="video-who"]'); s.value = "private"; s.dispatchEvent(new Event("change", { bubbles: true }));`,
  );
  await session.click('[data-testid="video-apply"]');
  const api = `${desktop.sim.api}/accounts/${ACCOUNT}/stream`;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  await until("Stream to require signed links", async () => {
    const videos = await (await fetch(api, { headers: auth })).json();
    return videos.result[0].requireSignedURLs === true;
  });
  const uid = (await (await fetch(api, { headers: auth })).json()).result[0].uid;
  // The dialog's raw link, made fresh: a token in place of the id, and it plays.
  await until("a signed link in the dialog", () =>
    session.exec(
      `const v = document.querySelector('dialog[open] li[data-format="raw"] input')?.value ?? ""; return v.startsWith("http") && !v.includes(arguments[0]);`,
      [uid],
    ),
  );
  await session.click("dialog[open] .actions button:last-child");
  await session.click(`${row(id)} button[data-action="copy"]`);
  const copied = await until("the copied link", () => {
    try {
      const text = clipboard().trim();
      return text.includes("stream-delivery") || text.includes("iframe") ? text : null;
    } catch {
      return null;
    }
  });
  assert.ok(!copied.includes(uid), `a private video's link carries a token: ${copied}`);
});

test("an MP4 download made from More…: in progress, then ready, its copied link serves the video", async () => {
  const id = await desktop.rowFor("Lecture 5.mp4");
  if (await session.exec("return !!document.querySelector('dialog[open]');")) {
    await session.click("dialog[open] .actions button:last-child");
    await until("the dialog to close", () => session.exec("return !document.querySelector('dialog[open]');"));
  }
  await session.click(`${row(id)} button[data-action="more"]`);
  await session.click('dialog[open] [data-testid="download-make"]');
  await session.waitFor('dialog[open] [data-testid="download-state"]');
  // Stream takes a while; Check again until it is ready.
  await until("the MP4 to be ready", async () => {
    if (await session.exec(`return !!document.querySelector('dialog[open] [data-testid="download-copy"]');`)) return true;
    await session.click('dialog[open] [data-testid="download-check"]');
    return false;
  });
  await session.click('dialog[open] [data-testid="download-copy"]');
  const link = await until("the MP4 link on the clipboard", () => {
    try {
      const text = clipboard().trim();
      return text.endsWith("/downloads/default.mp4") ? text : null;
    } catch {
      return null;
    }
  });
  // The video is private since the test before: its download link carries a token, and plays.
  const got = await fetch(link);
  assert.equal(got.status, 200, link);
});
