// Upload requests in the real window against ferry-cloudsim: a teacher makes a request for
// videos from the Requests screen (the form, in plain words), the page Ferry saved carries
// one-time links; a student sends a video through one (as the page would: a form post with
// the sender's name in the file's name); the session's own look brings it into the History
// marked with its sender and onto the request's card; closing the request removes the page and
// the unused link stops working at Stream.
//
// Run by scripts/test.sh inside xvfb-run, after the UI and the desktop binary are built.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Desktop, root, until } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  // The session looks for arrivals every second instead of every two minutes.
  session = await desktop.start({ FERRY_LIVE_POLL_SECS: "1" });
  await desktop.skipWelcome();
});

after(() => desktop.stop());

/** The one-time links a saved page carries (its embedded JSON). */
function slotsOf(page) {
  const html = readFileSync(page, "utf8");
  const json = html.split('<script id="data" type="application/json">')[1].split("</script>")[0];
  return JSON.parse(json).slots;
}

async function send(url, name) {
  const form = new FormData();
  form.append("file", new Blob([readFileSync(join(root, "crates/core/assets/round-trip.mp4"))], { type: "video/mp4" }), name);
  return (await fetch(url, { method: "POST", body: form })).status;
}

test("a request for videos is made in the window, a student's video arrives with their name, and closing ends it", async () => {
  await session.click('button[data-view="requests"]');
  await session.waitFor('[data-testid="requests-none"]');
  await session.click('[data-testid="add-request"]');
  await session.waitFor('[data-testid="request-title"]');
  // A title is needed; the window says so before asking Stream.
  await session.click('[data-testid="create-request"]');
  await session.waitFor('[data-testid="request-problem"]');
  const title = await session.waitFor('[data-testid="request-title"]');
  await session.cmd("POST", `/element/${title}/value`, { text: "Lab demos" });
  await session.click('[data-testid="to-videos"]');
  await session.click('[data-testid="create-request"]');
  await session.waitFor('[data-request="Lab demos"] [data-testid="request-state"]', {
    test: (t) => t.startsWith("open until"),
    timeoutMs: 30000,
  });
  await desktop.shot("requests-01-made");

  const dir = join(desktop.home, "requests");
  const pages = readdirSync(dir).filter((f) => f.endsWith(".html"));
  assert.equal(pages.length, 1);
  const page = join(dir, pages[0]);
  const slots = slotsOf(page);
  assert.equal(slots.length, 30, "one link per allowed video");
  assert.equal(readFileSync(page, "utf8").includes(desktop.sim.root.replace(/\/$/, "") + "/stream-upload/"), true);

  // A student sends a video through the first link.
  assert.equal(await send(slots[0].url, "Sam-Lee - demo.mp4"), 200);
  await session.click('button[data-view="history"]');
  await until("the arrival in the History, with its sender", async () => (await session.textOf('[data-testid="sender"]')) === "from Sam Lee");
  await desktop.shot("requests-02-arrived");
  await session.click('button[data-view="requests"]');
  await session.click('[data-request="Lab demos"] [data-testid="refresh-request"]');
  await session.waitFor('[data-request="Lab demos"] [data-arrival="demo.mp4"]');

  // Closing: the page is removed and the links nobody used stop working at Stream.
  await session.click('[data-request="Lab demos"] [data-testid="close-request"]');
  await session.click('[data-testid="confirm-close-request"]');
  await session.waitFor('[data-request="Lab demos"] [data-testid="request-state"]', { test: (t) => t === "closed" });
  await until("the page removed", () => !existsSync(page));
  assert.equal(await send(slots[1].url, "Late - late.mp4"), 400, "an unused link after closing");
  const arrived = await session.exec("return document.querySelectorAll('[data-arrival]').length;");
  assert.equal(arrived, 1);
});

test("a request for slides into the R2 bucket: the window says what R2 cannot refuse, a colleague sends from the page in Chromium, and the History names them", async () => {
  await session.click('button[data-view="requests"]');
  await session.click('[data-testid="add-request"]');
  const title = await session.waitFor('[data-testid="request-title"]');
  await session.cmd("POST", `/element/${title}/value`, { text: "Slides from colleagues" });
  await session.click('[data-testid="to-objects"]');
  // R2 takes signed PUT links, which fix a file's name and type but not its size: said here.
  const said = await session.textOf('[data-testid="request-size-after"]');
  assert.match(said, /cannot refuse a file over the largest size/);
  const types = await session.waitFor('[data-testid="request-types"]');
  await session.cmd("POST", `/element/${types}/value`, { text: "pdf" });
  await session.click('[data-testid="create-request"]');
  await session.waitFor('[data-request="Slides from colleagues"] [data-testid="request-state"]', {
    test: (t) => t.startsWith("open until"),
    timeoutMs: 30000,
  });

  const dir = join(desktop.home, "requests");
  const page = readdirSync(dir)
    .map((f) => join(dir, f))
    .find((p) => p.endsWith(".html") && readFileSync(p, "utf8").includes('"puts":[{'));
  assert.ok(page, "a page carrying PUT links");
  // A colleague opens the saved page in Chromium, names themselves and sends a PDF.
  const work = mkdtempSync(join(tmpdir(), "ferry-slides-"));
  const deck = join(work, "Cours 5.pdf");
  writeFileSync(deck, "%PDF-1.4 the slides");
  const shown = JSON.parse(
    execFileSync("node", [join(root, "tests/support/page_driver.mjs"), page, "Ada Lovelace", deck], { encoding: "utf8" }),
  );
  assert.deepEqual(shown.errors, []);
  assert.equal(shown.sent[0].state, "sent", JSON.stringify(shown));

  await session.click('button[data-view="history"]');
  await until("the slides in the History, with their sender", async () =>
    (await session.exec("return [...document.querySelectorAll('[data-testid=\"sender\"]')].map((e) => e.textContent);")).includes("from Ada Lovelace"),
  );
  await desktop.shot("requests-03-r2-arrived");
  await session.click('button[data-view="requests"]');
  await session.click('[data-request="Slides from colleagues"] [data-testid="refresh-request"]');
  await session.waitFor('[data-request="Slides from colleagues"] [data-arrival="Cours 5.pdf"]');
});
