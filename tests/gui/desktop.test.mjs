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
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { Session } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const app = join(root, "target/debug/ferry-desktop");
const shots = join(root, "target/screenshots");
const work = mkdtempSync(join(tmpdir(), "ferry-gui-"));
const children = [];
let session;
let sim;

function startGroup(cmd, args, env) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return child;
}

function portOpen(port) {
  return new Promise((done) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => (s.destroy(), done(true)));
    s.on("error", () => done(false));
  });
}

async function waitPorts(ports, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  for (const p of ports) {
    while (!(await portOpen(p))) {
      if (Date.now() > until) throw new Error(`port ${p} never opened`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function startSim() {
  const child = startGroup(
    join(root, "target/debug/ferry-cloudsim"),
    ["--data", join(work, "cloud"), "--r2-bucket", "course-media", "--processing-ms", "500"],
    { FERRY_SIM_TOKENS: "gui-token-123", FERRY_SIM_R2_KEYS: "guiaccesskey,guisecretkey0123456789" },
  );
  let out = "";
  for await (const chunk of child.stdout) {
    out += chunk;
    if (out.includes("\n")) break;
  }
  const ready = JSON.parse(out.split("\n")[0]);
  return { ...ready, root: ready.api.replace(/\/client\/v4$/, "") };
}

async function shot(name) {
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(shots, `${name}.png`), await session.screenshot());
}

/** What Tauri's native drop hands the window: the dropped paths, as the drag-drop event. */
async function drop(paths) {
  await session.execAsync(
    `const [paths, done] = arguments;
     window.__TAURI_INTERNALS__.invoke("plugin:event|emit_to", {
       target: { kind: "Webview", label: "main" },
       event: "tauri://drag-drop",
       payload: { paths, position: { x: 400, y: 200 } },
     }).then(() => done(true), (e) => done(String(e)));`,
    [paths],
  );
}

function clipboard() {
  return execFileSync("xclip", ["-o", "-selection", "clipboard"], { encoding: "utf8", timeout: 5000 });
}

async function rowFor(name) {
  const id = await session.exec(
    `return [...document.querySelectorAll("[data-job]")].find((e) => e.querySelector(".name")?.textContent === arguments[0])?.dataset.job ?? null;`,
    [name],
  );
  return id;
}

before(async () => {
  sim = await startSim();
  const env = {
    FERRY_HOME: join(work, "home"),
    // The app's own home folder: "start at login" writes ~/.config/autostart there, and
    // WebKit keeps its caches there, all inside the test's folder.
    HOME: join(work, "user"),
    FERRY_DEMO: "1",
    FERRY_RETRY_ATTEMPTS: "1",
    CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
    CLOUDFLARE_API_TOKEN: "gui-token-123",
    CLOUDFLARE_API_BASE_URL: sim.api,
    CLOUDFLARE_R2_ENDPOINT: sim.r2_endpoint,
    CLOUDFLARE_R2_ACCESS_KEY_ID: "guiaccesskey",
    CLOUDFLARE_R2_SECRET_ACCESS_KEY: "guisecretkey0123456789",
    CLOUDFLARE_R2_BUCKET_NAME: "course-media",
  };
  startGroup("tauri-driver", ["--port", "4444", "--native-port", "4445"], env);
  await waitPorts([4444, 4445]);
  session = await Session.start("http://127.0.0.1:4444", app);
});

after(async () => {
  await session?.end();
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

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
