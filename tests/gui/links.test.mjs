// Links and the row around them, in the real window against ferry-cloudsim: each kind copies
// what fits it (a Stream video its player, signed; a PDF in a private bucket a fresh signed
// link, with when it stops working), every format under More… opens, History copies all links
// at once, Delete focuses "Keep it" so Enter breaks nothing, and a retry shows its countdown and
// reason in the row before the job finishes.
//
// Run by scripts/test.sh inside xvfb-run, after the UI and the desktop binary are built.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Desktop, clipboard, root, until } from "./harness.mjs";

const ENTER = "\uE007";
const desktop = new Desktop();
let session;
let sim;
const work = desktop.work;

before(async () => {
  // Retries on, as a teacher has them (the harness turns them off for speed elsewhere).
  session = await desktop.start({ FERRY_RETRY_ATTEMPTS: "4" });
  sim = desktop.sim;
  await desktop.skipWelcome();
});

after(() => desktop.stop());

const row = (id) => `[data-job="${id}"]`;

async function dropAndFinish(path, name) {
  await desktop.drop([path]);
  const id = await desktop.waitRow(name);
  await session.waitFor(`${row(id)} .state[data-state="done"]`, { timeoutMs: 60000 });
  return id;
}

/** The clipboard's text, or "" while nothing was copied yet (xclip then finds no owner). */
function clipText() {
  try {
    return clipboard().trim();
  } catch {
    return "";
  }
}

/** The clipboard once it holds something other than `before`. */
async function clipboardChanged(before) {
  return until("the clipboard to change", () => {
    const now = clipText();
    return now && now !== before ? now : null;
  });
}

/** Wait for a toast (any of those shown) saying `words`. */
const toastSaying = (words) =>
  until(`a toast saying ${words}`, () =>
    session.exec("return [...document.querySelectorAll('.toast')].some((t) => t.textContent.includes(arguments[0]));", [words]),
  );

/** The `src` of the first iframe in `html`. */
const iframeSrc = (html) => /<iframe src="([^"]+)"/.exec(html)?.[1];

test("a video copies its player, a PDF its signed link with when it stops working", async () => {
  const video = join(work, "Lecture 1.mp4");
  copyFileSync(join(root, "crates/core/assets/round-trip.mp4"), video);
  const pdf = join(work, "Reading list.pdf");
  writeFileSync(pdf, "%PDF-1.4\n% reading list\n" + "r".repeat(3000));
  const videoId = await dropAndFinish(video, "Lecture 1.mp4");
  const pdfId = await dropAndFinish(pdf, "Reading list.pdf");

  // "Player embed" preferred: the video copies its player, the PDF (no player) its link.
  await session.click('.linkbar input[value="iframe"]');
  assert.equal(await session.textOf(`${row(videoId)} button[data-action="copy"]`), "Copy Player embed");
  let before = clipText();
  await session.click(`${row(videoId)} button[data-action="copy"]`);
  const embed = await clipboardChanged(before);
  const src = iframeSrc(embed);
  assert.ok(src?.endsWith("/iframe"), `the embed is Stream's player: ${embed}`);
  const player = await fetch(src);
  assert.equal(player.status, 200, src);
  assert.match(await player.text(), /<video/, "the player page plays the video");

  assert.equal(await session.textOf(`${row(pdfId)} button[data-action="copy"]`), "Copy link");
  before = clipText();
  await session.click(`${row(pdfId)} button[data-action="copy"]`);
  const signed = await clipboardChanged(before);
  assert.match(signed, /\.pdf\?.*X-Amz-Signature=/, `a private bucket's link is signed: ${signed}`);
  assert.equal((await fetch(signed)).status, 200, "the signed link opens");
  await toastSaying("stops working on");
  assert.ok(await session.textOf(`${row(pdfId)} [data-testid="expiring"]`), "the row says its links expire");
  await desktop.shot("links-01-copied");

  // More…: every format that fits, with the text it copies; each one opens.
  await session.click(`${row(videoId)} button[data-action="more"]`);
  await session.waitFor('dialog[open] li[data-format="raw"] input');
  const watch = await until("the watch link", () =>
    session.exec(`return document.querySelector('dialog[open] li[data-format="raw"] input')?.value.startsWith("http") ? document.querySelector('dialog[open] li[data-format="raw"] input').value : null;`),
  );
  assert.ok(watch.endsWith("/watch"), `a video's link is its watch page, not a playlist: ${watch}`);
  assert.equal((await fetch(watch)).status, 200, watch);
  const formats = await session.exec(`return [...document.querySelectorAll("dialog[open] li[data-format]")].map((e) => e.dataset.format);`);
  assert.deepEqual(formats, ["iframe", "raw", "markdown"]);
  await desktop.shot("links-02-video-formats");
  await session.click("dialog[open] .actions button:last-child");

  await session.click(`${row(pdfId)} button[data-action="more"]`);
  await session.waitFor('dialog[open] select[data-testid="lifetime"]');
  const pdfFormats = await session.exec(`return [...document.querySelectorAll("dialog[open] li[data-format]")].map((e) => e.dataset.format);`);
  assert.deepEqual(pdfFormats, ["raw", "html", "markdown"], "no player for a PDF");
  await session.exec(`const s = document.querySelector('dialog[open] select[data-testid="lifetime"]'); s.value = "3600"; s.dispatchEvent(new Event("change"));`);
  before = clipText();
  await session.click('dialog[open] button[data-copy="raw"]');
  const hour = await clipboardChanged(before);
  assert.match(hour, /X-Amz-Expires=3600/, `an hour-long link: ${hour}`);
  // Why it expires, and the way to permanent links: the bucket's account.
  const why = await session.textOf('dialog[open] [data-testid="why-expiring"]');
  assert.match(why, /no public address/, why);
  await session.click('dialog[open] [data-testid="fix-expiring"]');
  await session.waitFor("#accounts-title");
  await session.click('button[data-view="queue"]');
});

test("History copies every link at once, one per line", async () => {
  await session.click('button[data-view="history"]');
  await session.waitFor('[data-testid="copy-all"]');
  // Back to plain links: the video gives its watch page, the PDF a signed link.
  await session.click('.linkbar input[value="raw"]');
  const before = clipText();
  await session.click('[data-testid="copy-all"]');
  const all = (await clipboardChanged(before)).split("\n");
  assert.equal(all.length, 2, all.join("\n"));
  assert.ok(all.some((l) => l.endsWith("/watch")), all.join("\n"));
  assert.ok(all.some((l) => l.includes("X-Amz-Signature=")), all.join("\n"));
  for (const link of all) assert.equal((await fetch(link)).status, 200, link);
  await toastSaying("2 links copied");
  const when = await session.textOf('[data-testid="uploaded-at"]');
  assert.match(when, /^Uploaded /, "each finished row says when it was uploaded");
  await desktop.shot("links-03-history");
  await session.click('button[data-view="queue"]');
});

test("Delete asks with Keep it focused: Enter keeps the file, only the red button deletes", async () => {
  const notes = join(work, "Notes.pdf");
  writeFileSync(notes, "%PDF-1.4\n% notes\n" + "n".repeat(2000));
  // Dropped while another screen is open: taken all the same, and the queue comes forward.
  await session.click('button[data-view="settings"]');
  await session.waitFor("#settings-title");
  const id = await dropAndFinish(notes, "Notes.pdf");
  await session.waitFor('button[data-view="queue"][aria-current="page"]');
  assert.equal(await session.exec(`return document.querySelectorAll('${row(id)} button[data-action="delete"]').length;`), 0, "no Delete beside Copy");
  const before = clipText();
  await session.click(`${row(id)} button[data-action="copy"]`);
  const link = await clipboardChanged(before);

  await session.click(`${row(id)} button[data-action="more"]`);
  await session.click('dialog[open] button[data-action="delete"]');
  await session.waitFor('dialog[open] button[data-action="keep"]');
  await until("Keep it to take the focus", async () => (await session.focusedText()) === "Keep it");
  await desktop.shot("links-04-delete-confirm");
  await session.press(ENTER);
  await until("the confirmation to close", async () => (await session.exec(`return document.querySelectorAll('dialog[open] button[data-action="keep"]').length;`)) === 0);
  assert.equal((await fetch(link)).status, 200, "Enter kept the file");
  assert.equal(await session.exec(`return document.querySelector('${row(id)} .state')?.dataset.state;`), "done");

  await session.click('dialog[open] button[data-action="delete"]');
  await session.click('dialog[open] button[data-action="confirm-delete"]');
  await until("the file to be gone from the cloud", async () => (await fetch(link)).status === 404);
});

test("a retry shows its countdown and reason in the row, then the job finishes", async () => {
  await fetch(`${sim.root}/__sim/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ path_contains: "/images/v1", method: "POST", status: 503, retry_after: 4, count: 1 }]),
  });
  const png = join(work, "diagram.png");
  writeFileSync(png, readFileSync(join(root, "crates/core/assets/round-trip.png")));
  await desktop.drop([png]);
  const id = await desktop.waitRow("diagram.png");
  const text = await session.waitFor(`${row(id)} [data-testid="retrying"]`, { timeoutMs: 20000 }).then(() =>
    session.textOf(`${row(id)} [data-testid="retrying"]`),
  );
  assert.match(text, /^Trying again in [0-4] s \(1 of 4 attempts failed\): /, text);
  await desktop.shot("links-05-retrying");
  await session.waitFor(`${row(id)} .state[data-state="done"]`, { timeoutMs: 30000 });
  await fetch(`${sim.root}/__sim/faults`, { method: "DELETE" });
});
