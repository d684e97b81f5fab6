// Live lessons in the real window against ferry-cloudsim: a teacher creates a recorded lesson,
// copies its stream key (the clipboard then holds Stream's key, and the key is nowhere in the
// page), sees the server address, sees it on air when an encoder connects, finds the recording
// after the lesson in the history (brought there by the session's own look, not a click) and on
// the lesson, and deletes the lesson while the recording stays. Stream's side is read from the
// emulator, not through Ferry.
//
// Run by scripts/test.sh inside xvfb-run, after the UI and the desktop binary are built.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ACCOUNT, Desktop, TOKEN, clipboard, until } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  // The session looks for recordings every second instead of every two minutes.
  session = await desktop.start({ FERRY_LIVE_POLL_SECS: "1" });
  await desktop.skipWelcome();
});

after(() => desktop.stop());

const auth = { Authorization: `Bearer ${TOKEN}` };
const liveApi = () => `${desktop.sim.api}/accounts/${ACCOUNT}/stream/live_inputs`;

test("a live lesson is created, its key copied but never shown, its recording listed, then deleted", async () => {
  await session.click('button[data-view="live"]');
  await session.waitFor('[data-testid="live-none"]');
  await session.click('[data-testid="add-live"]');
  await session.waitFor('[data-testid="live-name"]');
  // A name is needed; the window says so before asking Stream.
  await session.click('[data-testid="create-live"]');
  await session.waitFor('[data-testid="live-problem"]');
  const name = await session.waitFor('[data-testid="live-name"]');
  await session.cmd("POST", `/element/${name}/value`, { text: "Biology, week 3" });
  await session.click('[data-testid="create-live"]');
  await session.waitFor('[data-live="Biology, week 3"] [data-testid="rtmps-url"]', {
    test: (t) => t.startsWith("rtmps://"),
    timeoutMs: 20000,
  });
  await desktop.shot("live-01-created");

  const listed = await (await fetch(liveApi(), { headers: auth })).json();
  assert.equal(listed.result.liveInputs.length, 1);
  const uid = listed.result.liveInputs[0].uid;
  const full = await (await fetch(`${liveApi()}/${uid}`, { headers: auth })).json();
  assert.equal(full.result.recording.mode, "automatic", "recorded by default");
  const key = full.result.rtmps.streamKey;

  await session.click('[data-live="Biology, week 3"] [data-testid="copy-key"]');
  await until("the key on the clipboard", () => {
    try {
      return clipboard().trim() === key;
    } catch {
      return false;
    }
  });
  const inPage = await session.exec("return document.documentElement.outerHTML.includes(arguments[0]);", [key]);
  assert.equal(inPage, false, "the stream key is never in the page");

  // An encoder connects: the card says the lesson is on air.
  const onAir = await fetch(`${desktop.sim.root}/__sim/live/${uid}/status`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status: "connected" }),
  });
  assert.equal(onAir.status, 200);
  await session.click('[data-live="Biology, week 3"] [data-testid="refresh-live"]');
  await session.waitFor('[data-live="Biology, week 3"] [data-testid="live-state"]', { test: (t) => t === "live now" });

  // The lesson ends; Stream has a recording, and it joins the history by itself.
  const made = await fetch(`${desktop.sim.root}/__sim/live/${uid}/recording`, { method: "POST" });
  assert.equal(made.status, 200);
  await session.click('button[data-view="history"]');
  await session.waitFor('[data-testid="recorded-live"]', { timeoutMs: 20000 });
  const row = await session.exec(
    "const r = document.querySelector('[data-testid=\"recorded-live\"]').closest('[data-job]'); return r.querySelector('.name').textContent;",
  );
  assert.equal(row, "Biology, week 3 (recording)");
  await desktop.shot("live-02-recording-in-history");
  await session.click('button[data-view="live"]');
  await session.click('[data-live="Biology, week 3"] [data-testid="refresh-live"]');
  await session.waitFor('[data-live="Biology, week 3"] [data-testid="recordings"]', { test: (t) => t.includes("1") });
  // Its watch link, copied, opens the emulator's player page.
  await session.click('[data-live="Biology, week 3"] button[data-recording]');
  const link = await until("the recording's link on the clipboard", () => {
    try {
      const text = clipboard().trim();
      return text.endsWith("/watch") ? text : null;
    } catch {
      return null;
    }
  });
  assert.equal((await fetch(link)).status, 200, link);

  // A new name, from the card: Stream keeps the rest.
  await session.click('[data-live="Biology, week 3"] [data-testid="rename-live"]');
  const field = await session.waitFor('[data-testid="live-new-name"]');
  await session.cmd("POST", `/element/${field}/clear`, {});
  await session.cmd("POST", `/element/${field}/value`, { text: "Biology, week 3 (cells)" });
  await session.click('[data-testid="save-live-name"]');
  await session.waitFor('[data-live="Biology, week 3 (cells)"]');
  const renamed = await (await fetch(`${liveApi()}/${uid}`, { headers: auth })).json();
  assert.equal(renamed.result.meta.name, "Biology, week 3 (cells)");
  assert.equal(renamed.result.recording.mode, "automatic", "the rename changed nothing else");

  await session.click('[data-live="Biology, week 3 (cells)"] [data-testid="delete-live"]');
  await session.click('[data-testid="confirm-delete-live"]');
  await session.waitFor('[data-testid="live-none"]');
  const after = await (await fetch(liveApi(), { headers: auth })).json();
  assert.equal(after.result.liveInputs.length, 0);
  const videos = await (await fetch(`${desktop.sim.api}/accounts/${ACCOUNT}/stream`, { headers: auth })).json();
  assert.equal(videos.result.length, 1, "the recording stays");
  // And stays in the history, once, however many looks the session made meanwhile.
  await session.click('button[data-view="history"]');
  const rows = await session.exec("return document.querySelectorAll('[data-testid=\"recorded-live\"]').length;");
  assert.equal(rows, 1);
});
