// What Ferry refuses, in the real window: folders dropped with hidden files leave them out and
// say so (one click takes them too); a link to a public file cannot be copied as "expiring";
// many files deleted at once from a mirroring folder keep their copies in the cloud until the
// teacher decides, in the Watch folders screen; a folder edited in the window keeps what it
// leaves out, and its confirmations focus Cancel.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Desktop, until } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  session = await desktop.start({
    // A public bucket: its links never expire.
    CLOUDFLARE_R2_PUBLIC_BASE_URL: "https://media.example.edu",
    FERRY_WATCH_STABLE_MS: "200",
    FERRY_WATCH_DELETE_GRACE_SECS: "0",
  });
  await desktop.skipWelcome();
});

after(() => desktop.stop());

async function jobs() {
  return (await desktop.invoke("jobs")).ok;
}

test("a dropped folder leaves hidden files out, lists them, and takes them on request", async () => {
  const folder = join(desktop.work, "Chemistry");
  mkdirSync(join(folder, ".git"), { recursive: true });
  writeFileSync(join(folder, "lab 1.pdf"), "%PDF-1.4 lab one");
  writeFileSync(join(folder, ".env"), "CLOUDFLARE_API_TOKEN=not-for-students\n");
  writeFileSync(join(folder, ".git", "config"), "[core]\n");
  await desktop.drop([folder]);
  const box = await session.waitFor('[data-testid="skipped"]');
  const listed = await session.cmd("GET", `/element/${box}/text`);
  assert.match(listed, /\.env/, listed);
  assert.match(listed, /\.git/, listed);
  const lab = await desktop.waitRow("lab 1.pdf");
  await session.waitFor(`[data-job="${lab}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  assert.equal(await desktop.rowFor(".env"), null, "the .env file was not uploaded");
  await desktop.shot("30-skipped-hidden-files");

  await session.click('[data-testid="add-skipped"]');
  const env = await desktop.waitRow(".env");
  await session.waitFor(`[data-job="${env}"] .state[data-state="done"]`, { timeoutMs: 30000 });
});

test("a public file's link is never offered as one that expires, and the engine refuses to make one", async () => {
  const id = await desktop.rowFor("lab 1.pdf");
  assert.equal(await session.exec(`return document.querySelector('[data-job="${id}"] [data-testid="expiring"]');`), null, "a public link is not marked as expiring");
  await session.click(`[data-job="${id}"] button[data-action="more"]`);
  await session.waitFor('dialog[open] li[data-format="raw"]');
  assert.equal(await session.exec(`return document.querySelectorAll('dialog[open] [data-testid="lifetime"]').length;`), 0, "no lifetime to choose");
  await session.click("dialog[open] .actions button:last-child");
  // Asked anyway (as a script could), the engine refuses and says why.
  const asked = await desktop.invoke("copy_link", { id: Number(id), format: "raw", expiresSecs: 3600 });
  assert.match(asked.err?.message ?? "", /never expire/, JSON.stringify(asked));
});

test("many files deleted at once keep their copies until the teacher decides", async () => {
  const folder = join(desktop.work, "Physics");
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(folder, `sheet ${i}.pdf`), `%PDF-1.4 sheet ${i}`);
  const add = await desktop.invoke("add_folder", {
    folder: { root: folder, destination: null, prefix: null, template: null, onChange: "new-version", mirrorDeletions: true },
  });
  assert.ok(!add.err, JSON.stringify(add.err));
  await until("the four sheets uploaded", async () => (await jobs()).filter((j) => j.name.startsWith("sheet ") && j.state === "done").length === 4, 60000);

  for (let i = 1; i < 4; i++) rmSync(join(folder, `sheet ${i}.pdf`));
  await session.click('button[data-view="folders"]');
  await session.waitFor('[data-testid="held-deletions"]', { timeoutMs: 30000 });
  await desktop.shot("31-held-deletions");
  assert.equal((await jobs()).filter((j) => j.state === "deleted").length, 0, "nothing deleted yet");

  await session.click('[data-testid="delete-held"]');
  await session.click('[data-testid="confirm-delete-held"]');
  await until("the three copies deleted", async () => (await jobs()).filter((j) => j.state === "deleted").length === 3, 30000);
  const kept = (await jobs()).find((j) => j.name === "sheet 0.pdf");
  assert.equal(kept.state, "done", "the file still in the folder keeps its copy");
});

test("a folder edited in the window keeps what it leaves out; its confirmations focus Cancel", async () => {
  const folder = join(desktop.work, "Chemistry");
  mkdirSync(folder, { recursive: true });
  // Set up as the CLI would: drafts left out.
  const add = await desktop.invoke("add_folder", {
    folder: { root: folder, destination: null, prefix: null, template: null, onChange: "new-version", mirrorDeletions: false, include: [], exclude: ["*.docx"], defaultIgnores: true },
  });
  assert.ok(!add.err, JSON.stringify(add.err));
  const card = `[data-folder-root="${folder}"]`;
  await session.click('button[data-view="folders"]');
  await session.waitFor(`${card} input[data-folder="exclude"]`);
  assert.equal(await session.exec(`return document.querySelector('${card} input[data-folder="exclude"]').value;`), "*.docx");

  // Change another option in the window: the exclusion stays.
  await session.exec(`const s = document.querySelector('${card} select[data-folder="on-change"]'); s.value = "ignore"; s.dispatchEvent(new Event("change", { bubbles: true }));`);
  await until("the change saved", async () => {
    const listed = (await desktop.invoke("folders")).ok.find((f) => f.root === folder);
    return listed?.onChange === "ignore" ? listed : null;
  }).then((listed) => assert.deepEqual(listed.exclude, ["*.docx"], "editing kept the exclusion"));

  // Mirrored deletions ask first, with Cancel focused: Enter changes nothing.
  await session.click(`${card} input[data-folder="mirror"]`);
  await session.waitFor("dialog[open] button.primary");
  await until("Cancel to take the focus", async () => (await session.focusedText()) === "Cancel");
  await session.press("\uE007");
  await until("the question to close", async () => (await session.exec("return document.querySelectorAll('dialog[open]').length;")) === 0);
  assert.equal((await desktop.invoke("folders")).ok.find((f) => f.root === folder).mirrorDeletions, false);

  // The folder at work: the sheet goes up, the draft never does.
  writeFileSync(join(folder, "draft answers.docx"), "PK\u0003\u0004 draft");
  writeFileSync(join(folder, "sheet.pdf"), "%PDF-1.4 sheet");
  await until("the sheet uploaded", async () => (await jobs()).some((j) => j.name === "sheet.pdf" && j.state === "done"), 60000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!(await jobs()).some((j) => j.name === "draft answers.docx"), "the left-out draft was not uploaded");
});
