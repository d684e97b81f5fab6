// What the real-window tests share: ferry-cloudsim on 127.0.0.1, the desktop binary started
// through tauri-driver (each test file on its own free ports, with its own FERRY_HOME and HOME),
// and helpers to act as a user would: drop files, find a job's row, read the X clipboard, find
// and drive a native dialog with xdotool, save screenshots.
//
// Run inside xvfb-run (scripts/test.sh), one file at a time (--test-concurrency=1).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { Session } from "./webdriver.mjs";

export const root = resolve(import.meta.dirname, "../..");
export const app = join(root, "target/debug/ferry-desktop");
const shots = join(root, "target/screenshots");

export const ACCOUNT = "0123456789abcdef0123456789abcdef";
export const TOKEN = "gui-token-123";
export const R2_KEY = "guiaccesskey";
export const R2_SECRET = "guisecretkey0123456789";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
      await sleep(100);
    }
  }
}

function freePort() {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
    server.on("error", fail);
  });
}

/** Wait until `check()` returns something truthy; returns it. */
export async function until(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** One desktop app against one ferry-cloudsim, in a private folder; `stop()` ends both. */
export class Desktop {
  constructor() {
    this.work = mkdtempSync(join(tmpdir(), "ferry-gui-"));
    this.children = [];
  }

  startGroup(cmd, args, env) {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(child);
    return child;
  }

  async startSim() {
    const child = this.startGroup(
      join(root, "target/debug/ferry-cloudsim"),
      ["--data", join(this.work, "cloud"), "--r2-bucket", "course-media", "--processing-ms", "500"],
      { FERRY_SIM_TOKENS: TOKEN, FERRY_SIM_R2_KEYS: `${R2_KEY},${R2_SECRET}` },
    );
    let out = "";
    for await (const chunk of child.stdout) {
      out += chunk;
      if (out.includes("\n")) break;
    }
    const ready = JSON.parse(out.split("\n")[0]);
    this.sim = { ...ready, root: ready.api.replace(/\/client\/v4$/, "") };
    return this.sim;
  }

  /** The Cloudflare account (Images, Stream, R2) on the emulator, as the environment says it. */
  cloudEnv() {
    return {
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_API_BASE_URL: this.sim.api,
      CLOUDFLARE_R2_ENDPOINT: this.sim.r2_endpoint,
      CLOUDFLARE_R2_ACCESS_KEY_ID: R2_KEY,
      CLOUDFLARE_R2_SECRET_ACCESS_KEY: R2_SECRET,
      CLOUDFLARE_R2_BUCKET_NAME: "course-media",
    };
  }

  /** Start the sim and the app (with `env` on top of the account); returns the session. */
  async start(env = {}) {
    await this.startSim();
    this.home = join(this.work, "home");
    this.user = join(this.work, "user");
    mkdirSync(this.user, { recursive: true });
    const full = {
      FERRY_HOME: this.home,
      // The app's own home folder: "start at login" writes ~/.config/autostart there, GTK keeps
      // its recent files there, and WebKit its caches, all inside the test's folder.
      HOME: this.user,
      FERRY_DEMO: "1",
      FERRY_RETRY_ATTEMPTS: "1",
      ...this.cloudEnv(),
      ...env,
    };
    const [port, native] = [await freePort(), await freePort()];
    this.startGroup("tauri-driver", ["--port", String(port), "--native-port", String(native)], full);
    await waitPorts([port, native]);
    this.session = await Session.start(`http://127.0.0.1:${port}`, app);
    return this.session;
  }

  async stop() {
    await this.session?.end();
    for (const c of this.children) {
      try {
        process.kill(-c.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
    if (!process.env.KEEP_WORK) rmSync(this.work, { recursive: true, force: true });
  }

  /** Every file under the app's home and its user folder whose bytes hold one of `needles`. */
  filesHolding(needles) {
    const found = [];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isFile()) {
          const bytes = readFileSync(path);
          if (needles.some((n) => bytes.includes(Buffer.from(n)))) found.push(path);
        }
      }
    };
    for (const root of [this.home, this.user]) walk(root);
    return found;
  }

  /** The last `n` lines of the app's log (`ferry.log` in its home), for a failure's message. */
  logTail(n = 40) {
    try {
      return readFileSync(join(this.home, "logs", "ferry.log"), "utf8").trimEnd().split("\n").slice(-n).join("\n");
    } catch (e) {
      return `(no log: ${e.message})`;
    }
  }

  async shot(name) {
    mkdirSync(shots, { recursive: true });
    writeFileSync(join(shots, `${name}.png`), await this.session.screenshot());
  }

  /** Close the first-run welcome. */
  async skipWelcome() {
    await this.session.waitFor("dialog[open]");
    await this.session.click("dialog[open] button.primary");
  }

  /** What Tauri's native drop hands the window: the dropped paths, as the drag-drop event. */
  async drop(paths) {
    await this.session.execAsync(
      `const [paths, done] = arguments;
       window.__TAURI_INTERNALS__.invoke("plugin:event|emit_to", {
         target: { kind: "Webview", label: "main" },
         event: "tauri://drag-drop",
         payload: { paths, position: { x: 400, y: 200 } },
       }).then(() => done(true), (e) => done(String(e)));`,
      [paths],
    );
  }

  /** The id of the job row showing `name`, or null. */
  async rowFor(name) {
    return this.session.exec(
      `return [...document.querySelectorAll("[data-job]")].find((e) => e.querySelector(".name")?.textContent === arguments[0])?.dataset.job ?? null;`,
      [name],
    );
  }

  async waitRow(name, timeoutMs = 20000) {
    return until(`a row for ${name}`, () => this.rowFor(name), timeoutMs);
  }

  /** Start one of the window's commands the way its own code does, without waiting; the
   * answer lands in `window.__answers[tag]` (see `answer`). */
  async invokeLater(tag, cmd, args = {}) {
    await this.session.exec(
      `const [tag, cmd, args] = arguments;
       window.__answers = window.__answers || {};
       window.__TAURI_INTERNALS__.invoke(cmd, args).then((v) => (window.__answers[tag] = { ok: v }), (e) => (window.__answers[tag] = { err: e }));`,
      [tag, cmd, args],
    );
  }

  /** The answer of a command started with `invokeLater`, once it came. */
  async answer(tag, timeoutMs = 20000) {
    return until(`the answer to ${tag}`, () => this.session.exec("return (window.__answers || {})[arguments[0]] ?? null;", [tag]), timeoutMs);
  }

  /** Run one of the window's commands the way its own code does, and wait for the answer. */
  async invoke(cmd, args = {}) {
    return this.session.execAsync(
      `const [cmd, args, done] = arguments;
       window.__TAURI_INTERNALS__.invoke(cmd, args).then((v) => done({ ok: v }), (e) => done({ err: e }));`,
      [cmd, args],
    );
  }
}

export function clipboard() {
  return execFileSync("xclip", ["-o", "-selection", "clipboard"], { encoding: "utf8", timeout: 5000 });
}

/** Shown (mapped) X windows whose title matches `name` (xdotool), as ids. GTK creates a
 * dialog's window a while before it maps it; keys sent before then go nowhere. */
export function windowsNamed(name) {
  try {
    return execFileSync("xdotool", ["search", "--onlyvisible", "--name", name], { encoding: "utf8", timeout: 5000 })
      .split("\n")
      .filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
}

/** Focus window `id` and send it keys (`key`) or text (`type`), as a keyboard would. */
export function keyboard(id, action, ...args) {
  execFileSync("xdotool", ["windowfocus", "--sync", id], { timeout: 5000 });
  execFileSync("xdotool", [action, "--delay", "20", ...args], { timeout: 20000 });
}
