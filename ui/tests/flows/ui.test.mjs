// The window's flows in headless Chromium against the mocked backend: what a teacher does, and
// what must hold while doing it (keyboard use, confirmations, no secret on screen, 10,000 rows).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { browser, open, serve, shot } from "./harness.mjs";

let b;
let site;

before(async () => {
  site = await serve();
  b = await browser();
});

after(async () => {
  await b?.close();
  site?.server.close();
});

const calls = (page, cmd) => page.evaluate((c) => globalThis.ferryMock.calls.filter((x) => x.cmd === c).map((x) => x.args), cmd);

test("first run: the welcome leads to the queue; adding files shows progress, then a link to copy", async () => {
  const page = await open(b, site.url);
  const dialog = page.getByRole("dialog", { name: "Welcome to Ferry" });
  await dialog.waitFor();
  await page.getByRole("button", { name: "Try it with the local demo cloud" }).click();
  await dialog.waitFor({ state: "detached" });
  assert.deepEqual((await calls(page, "save_prefs")).at(-1).prefs.welcomeDone, true, "the welcome is remembered");

  await page.evaluate(() => globalThis.ferryMock.pickNext(["/home/t/Course/intro.pdf", "/home/t/Course/cover.png", "/home/t/missing.doc"]));
  await page.getByRole("button", { name: "Add files…" }).click();
  const intro = page.getByRole("listitem", { name: /intro\.pdf/ });
  await intro.waitFor();
  await page.getByRole("alert").filter({ hasText: "missing.doc" }).waitFor();
  await intro.getByText("Done").waitFor();
  await shot(page, "queue");
  assert.match(await intro.locator(".url").textContent(), /^https:\/\/media\.example\.com\/documents\/intro\.pdf$/);

  await page.getByRole("radio", { name: "Markdown" }).check({ force: true });
  await intro.getByRole("button", { name: "Copy Markdown" }).click();
  await intro.getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => globalThis.ferryMock.clipboard), "[intro.pdf](https://media.example.com/documents/intro.pdf)");

  // A PDF has no player: with "Player embed" preferred, its Copy still gives its link.
  await page.getByRole("radio", { name: "Player embed" }).check({ force: true });
  await intro.getByRole("button", { name: "Copy link" }).click();
  assert.deepEqual((await calls(page, "copy_link")).at(-1), { id: 1, format: "raw", expiresSecs: null });
  // Every format that fits, with the text it copies, under More….
  await intro.getByRole("button", { name: "More…" }).click();
  const links = page.getByRole("dialog", { name: "Links for intro.pdf" });
  await links.getByRole("textbox", { name: "HTML" }).waitFor();
  assert.equal(await links.getByRole("textbox", { name: "Player embed" }).count(), 0, "no player for a PDF");
  await links.locator("[data-copy=html]").click();
  assert.equal(await page.evaluate(() => globalThis.ferryMock.clipboard), '<a href="https://media.example.com/documents/intro.pdf">intro.pdf</a>');
  await shot(page, "links");
  await page.keyboard.press("Escape");
  assert.deepEqual(page.errors, []);
});

test("a failed upload shows what went wrong and retries with one click", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome();");
  await page.getByRole("heading", { name: "Queue" }).waitFor();
  await page.evaluate(() => {
    globalThis.ferryMock.failNext("Cloudflare Images: the API token may not do this; give it Images Write");
    globalThis.ferryMock.pickNext(["/home/t/Course/diagram.png"]);
  });
  await page.getByRole("button", { name: "Add files…" }).click();
  const row = page.getByRole("listitem", { name: /diagram\.png, Failed/ });
  await row.waitFor();
  assert.match(await row.getByRole("alert").textContent(), /^Not allowed with this key or token · Cloudflare Images: .*Images Write/);
  await shot(page, "failed");
  await row.getByRole("button", { name: "Details…" }).click();
  const details = page.getByRole("dialog", { name: "diagram.png" });
  assert.equal(await details.locator("dd").last().textContent(), "Give it Images Write");
  await page.keyboard.press("Escape");
  await row.getByRole("button", { name: "Retry" }).click();
  await page.getByRole("listitem", { name: /diagram\.png, Done/ }).waitFor();
  assert.deepEqual((await calls(page, "retry")).at(-1), { ids: [1] });
});

test("deleting from the cloud asks first, and cancelling keeps the file", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome(); ferryMock.seed(3);");
  const row = page.getByRole("listitem", { name: /file 2\.pdf/ });
  assert.equal(await row.getByRole("button", { name: /Delete/ }).count(), 0, "no delete beside Copy");
  await row.getByRole("button", { name: "More…" }).click();
  const links = page.getByRole("dialog", { name: "Links for file 2.pdf" });
  await links.getByRole("button", { name: "Delete from cloud…" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete from cloud…" });
  await dialog.getByText("broken link").waitFor();
  // The safe choice has the focus: Enter keeps the file.
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Keep it");
  await page.keyboard.press("Enter");
  await dialog.waitFor({ state: "detached" });
  await page.keyboard.press("Escape");
  await links.waitFor({ state: "detached" });
  assert.equal((await calls(page, "delete_remote")).length, 0, "Enter and Escape delete nothing");
  await row.getByRole("button", { name: "More…" }).click();
  await links.getByRole("button", { name: "Delete from cloud…" }).click();
  await dialog.getByRole("button", { name: "Delete from cloud…" }).click();
  assert.deepEqual((await calls(page, "delete_remote")).at(-1), { ids: [3] });
});

test("10,000 jobs: a few dozen rows in the DOM, the last one reachable, frames measured", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome(); ferryMock.seed(10000);");
  await page.getByRole("listitem", { name: /file 9999\.pdf/ }).waitFor();
  const rendered = await page.locator("[data-job]").count();
  assert.ok(rendered < 60, `only the visible rows exist (${rendered})`);
  // Scroll through the whole list, one step per frame, and time the frames.
  const frames = await page.evaluate(async () => {
    const list = document.querySelector(".joblist");
    const times = [];
    let last = performance.now();
    for (let i = 0; i <= 120; i++) {
      list.scrollTop = (list.scrollHeight * i) / 120;
      list.dispatchEvent(new Event("scroll"));
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    times.sort((a, b) => a - b);
    return { median: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)], max: times[times.length - 1] };
  });
  await page.getByRole("listitem", { name: /file 0\.pdf/ }).waitFor();
  await shot(page, "ten-thousand");
  console.log(`# 10,000 jobs, scrolling top to bottom in 120 frames: median ${frames.median.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms, max ${frames.max.toFixed(1)} ms per frame`);
  // History filters the same 10,000 rows as you type.
  await page.keyboard.press("Alt+2");
  await page.getByRole("heading", { name: "History" }).waitFor();
  await page.getByRole("searchbox").fill("file 4242");
  await page.getByRole("listitem", { name: /file 4242\.pdf/ }).waitFor();
  assert.equal(await page.locator("[data-job]").count(), 1);
});

test("accounts: the secret goes to Rust once and is never shown again", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome();");
  await page.keyboard.press("Alt+7");
  await page.getByRole("button", { name: "Add account" }).click();
  const dialog = page.getByRole("dialog", { name: "Add account" });
  await dialog.getByLabel("Kind").selectOption("r2");
  await dialog.getByLabel("Name").fill("school-r2");
  await dialog.getByLabel("Account ID").fill("0123456789abcdef0123456789abcdef");
  await dialog.getByLabel("Bucket").fill("course-media");
  await dialog.getByLabel("Access key ID").fill("AKIDEXAMPLE");
  const secret = "s3cr3t-VALUE-never-shown";
  await dialog.getByLabel("Secret access key").fill(secret);
  assert.equal(await dialog.getByLabel("Secret access key").getAttribute("type"), "password");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  const added = (await calls(page, "add_account")).at(-1).account;
  assert.equal(added.secret, secret);
  assert.equal(added.fields.bucket, "course-media");
  await page.getByRole("heading", { name: /school-r2/ }).waitFor();
  await page.locator("[data-account='school-r2']").getByRole("button", { name: "Test", exact: true }).click();
  await page.getByText("reachable, and these keys may write to it").waitFor();
  await shot(page, "accounts");
  const html = await page.content();
  assert.ok(!html.includes(secret), "the secret is nowhere in the page");
});

test("watch folders: turning on mirrored deletions asks for confirmation", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome(); ferryMock.pickNext(['/home/t/Courses/Botany']);");
  await page.keyboard.press("Alt+6");
  await page.getByRole("button", { name: "Watch a folder…" }).click();
  await page.getByRole("heading", { name: "/home/t/Courses/Botany" }).waitFor();
  await page.evaluate(() => {
    globalThis.ferryMock.emit({ type: "folder", root: "/home/t/Courses/Botany", files: 12, pending: 2, tookMs: 4 });
    globalThis.ferryMock.emit({ type: "problem", path: "/home/t/Courses/Botany/Week 3/quiz.pdf", message: "permission denied: check the file's permissions" });
  });
  await page.getByText(/^12 files, 2 waiting · last sync/).waitFor();
  // Files the watch queued show up in the queue at once (the window reads the queue again).
  await page.evaluate(() => {
    globalThis.ferryMock.seed(2);
    globalThis.ferryMock.emit({ type: "queued", count: 2 });
  });
  await page.keyboard.press("Alt+1");
  await page.getByRole("listitem", { name: /file 1\.pdf/ }).waitFor();
  await page.keyboard.press("Alt+6");
  await page.locator(".card").getByRole("alert").filter({ hasText: "Week 3/quiz.pdf: permission denied" }).waitFor();
  await page.getByLabel("Delete the uploaded copy when the file is deleted").check();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("will be deleted from the cloud too").waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await calls(page, "add_folder")).filter((a) => a.folder.mirrorDeletions).length, 0);
  await page.getByLabel("Delete the uploaded copy when the file is deleted").check();
  await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
  await page.waitForFunction(() => globalThis.ferryMock.calls.some((c) => c.cmd === "add_folder" && c.args.folder.mirrorDeletions));
  await shot(page, "folders");
});

test("settings: French and the dark theme apply at once and are saved", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome();");
  await page.keyboard.press("Alt+8");
  await page.getByLabel("Upload speed limit in KB/s (0: no limit)").fill("2048");
  // The engine's knobs wait behind Advanced, each with a sentence of help.
  await page.getByText("Advanced").click();
  await page.getByLabel("Files at once").fill("3");
  assert.match(await page.locator("#help-files").textContent(), /side by side/);
  // A template is checked as it is typed: one the engine refuses cannot be saved.
  const template = page.getByLabel("Key template");
  await template.fill("{rel}/{name}");
  await page.getByRole("alert").filter({ hasText: "unknown variable {rel}" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).isDisabled(), true);
  await template.fill("{kind}/{name}");
  await page.getByText("documents/Week-1-notes.pdf").waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).isDisabled(), false);
  await page.getByLabel("Language").selectOption("fr");
  await page.getByLabel("Theme").selectOption("dark");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("button", { name: "File d’attente" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "fr");
  const saved = (await calls(page, "save_settings")).at(-1).form;
  assert.equal(saved.desktop.language, "fr");
  assert.equal(saved.bandwidthLimitKib, 2048);
  assert.equal(saved.fileConcurrency, 3);
  await shot(page, "settings-fr-dark");
});

test("keyboard only: Tab reaches the Add button, arrows move between rows", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome(); ferryMock.seed(5);");
  await page.getByRole("listitem", { name: /file 4\.pdf/ }).waitFor();
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.textContent === "Add files…");
  }
  assert.ok(reached, "Add files… is in the tab order");
  await page.getByRole("listitem", { name: /file 4\.pdf/ }).focus();
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label")?.startsWith("file 3.pdf"));
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll("button, select, input")].filter((e) => {
      const label = e.getAttribute("aria-label") || e.textContent?.trim() || (e.id && document.querySelector(`label[for="${e.id}"]`)) || e.closest("label");
      return !label;
    }).length,
  );
  assert.equal(unnamed, 0, "every control has an accessible name");
});

test("courses: a course is added with a live preview, chosen on the queue, and its files follow it", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome();");
  await page.keyboard.press("Alt+3");
  await page.getByRole("heading", { name: "Courses" }).waitFor();
  await page.getByRole("button", { name: "Add a course…" }).click();
  const dialog = page.getByRole("dialog", { name: "New course" });
  await dialog.getByLabel("Name").fill("Biology 101");
  // The folder follows the name until typed, and the preview shows where each kind lands.
  assert.equal(await dialog.getByLabel("Folder in your storage").inputValue(), "Biology 101");
  const preview = dialog.locator('[data-testid="course-preview"]');
  await preview.locator('[data-sample-kind="document"] code').getByText("biology-101/documents/").waitFor();
  await dialog.getByLabel("Where its files go").selectOption("images");
  await preview.locator('[data-sample-kind="document"]').getByText("images takes images").waitFor();
  await dialog.getByLabel("Where its files go").selectOption("");
  await dialog.getByLabel("Copy links as").selectOption("markdown");
  // A template the engine refuses blocks Save, with the engine's reason.
  await dialog.getByText("Advanced").click();
  await dialog.getByLabel("Key template").fill("{prefix}/{kind}");
  await preview.getByRole("alert").waitFor();
  assert.equal(await dialog.getByRole("button", { name: "Save" }).isDisabled(), true);
  await dialog.getByLabel("Key template").fill("");
  await preview.locator('[data-sample-kind="video"]').waitFor();
  await shot(page, "course-dialog");
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("heading", { name: "Biology 101" }).waitFor();

  // Chosen on the queue, the course goes with every file added, and its link format is Copy's.
  await page.keyboard.press("Alt+1");
  await page.getByTestId("drop-course").selectOption("Biology 101");
  await page.getByText("Drop files for Biology 101 here").waitFor();
  assert.equal((await calls(page, "save_prefs")).at(-1).prefs.course, "Biology 101", "remembered for the next drop");
  await page.evaluate(() => globalThis.ferryMock.pickNext(["/home/t/Bio/cells.pdf"]));
  await page.getByRole("button", { name: "Add files…" }).click();
  assert.equal((await calls(page, "add_paths")).at(-1).course, "Biology 101");
  const cells = page.getByRole("listitem", { name: /cells\.pdf/ });
  await cells.getByText("Done").waitFor();
  await cells.getByRole("button", { name: "Copy Markdown" }).click();
  assert.equal(await page.evaluate(() => globalThis.ferryMock.clipboard), "[cells.pdf](https://media.example.com/documents/cells.pdf)");
  await shot(page, "queue-course");

  // "Show its files" opens the history on that course.
  await page.evaluate(() => globalThis.ferryMock.pickNext(["/home/t/loose.pdf"]));
  await page.getByTestId("drop-course").selectOption("");
  await page.getByRole("button", { name: "Add files…" }).click();
  await page.getByRole("listitem", { name: /loose\.pdf/ }).waitFor();
  await page.keyboard.press("Alt+3");
  await page.locator('[data-course="Biology 101"]').getByText("1 file ·").waitFor();
  await page.locator('[data-course="Biology 101"] button[data-course-action="files"]').click();
  await page.getByRole("heading", { name: "History" }).waitFor();
  await page.getByRole("listitem", { name: /cells\.pdf/ }).waitFor();
  assert.equal(await page.locator("[data-job]").count(), 1, "only the course's files");
  assert.equal(await page.getByLabel("Course", { exact: true }).inputValue(), "Biology 101");
  assert.deepEqual(page.errors, []);
});

test("in French, a failure says what kind it is in French before the engine's words", async () => {
  const page = await open(b, site.url, "ferryMock.skipWelcome(); ferryMock.prefs('fr');");
  await page.getByRole("heading", { name: "File d’attente" }).waitFor();
  await page.evaluate(() => {
    globalThis.ferryMock.failNext("Cloudflare Images: the API token may not do this; give it Images Write");
    globalThis.ferryMock.pickNext(["/home/t/Cours/schema.png"]);
  });
  await page.getByRole("button", { name: "Ajouter des fichiers…" }).click();
  const row = page.getByRole("listitem", { name: /schema\.png/ });
  await row.getByRole("alert").filter({ hasText: "Non autorisé avec cette clé ou ce jeton" }).waitFor();
  await row.getByRole("button", { name: "Détails…" }).click();
  const details = page.getByRole("dialog", { name: "schema.png" });
  assert.equal(await details.getByTestId("problem-kind").textContent(), "Non autorisé avec cette clé ou ce jeton");
  await details.getByText("Les termes du moteur (en anglais)").waitFor();
  assert.match(await details.getByTestId("advice").textContent(), /^Donnez à la clé ou au jeton du compte la permission/);
  await shot(page, "failed-fr");
  assert.deepEqual(page.errors, []);
});
