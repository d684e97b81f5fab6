// Desktop figures for issue 6, on the release build: cold start to interactive, idle RSS (the
// app and WebKit's processes), frame times while scrolling a queue of 10,000 real jobs, and the
// installer sizes when bundles exist (`tauri build`).
//
//   cargo build --release -p ferry-desktop -p ferry-cli -p ferry-cloudsim   (UI built first)
//   xvfb-run -a -s "-screen 0 1280x800x24" node bench/desktop_bench.mjs [--jobs 10000] [--starts 5] [--total 100000]
//
// --total N fills the history up to N jobs by copying the uploaded jobs' rows in the database
// (Python's sqlite3), for a history larger than is worth uploading for a bench.
//
// Cold start is measured from the WebDriver session request (which spawns the app) to the queue
// screen showing its destinations; WebDriver's own overhead is included, so it is an upper bound.
//
// The floor: when the smallest Tauri 2 window (bench/floor, one static page, built like Ferry's)
// has been built with
//   (cd bench/floor && CARGO_TARGET_DIR=../../target/floor cargo build --release)
// its cold start to the page and its idle private memory are measured the same way first, and
// Ferry's figures are printed against them.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, statSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { Session } from "../tests/gui/webdriver.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const JOBS = arg("--jobs", 10000);
const STARTS = arg("--starts", 5);
const TOTAL = Math.max(arg("--total", JOBS), JOBS);
const root = resolve(import.meta.dirname, "..");
const rel = (p) => join(root, "target/release", p);
const work = mkdtempSync(join(tmpdir(), "ferry-desk-bench-"));
const groups = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function group(cmd, args, env) {
  const c = spawn(cmd, args, { env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  groups.push(c);
  return c;
}

async function port(p) {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise((done) => {
      const s = net.connect(p, "127.0.0.1");
      s.on("connect", () => (s.destroy(), done(true)));
      s.on("error", () => done(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${p} never opened`);
}

function rssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Memory only this process holds (private pages): RSS also counts shared libraries. */
function privateKiB(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const get = (k) => Number(text.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0);
    return get("Private_Clean") + get("Private_Dirty");
  } catch {
    return 0;
  }
}

function descendants(pid) {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(d), ...descendants(Number(d)));
    } catch {
      /* gone */
    }
  }
  return out;
}

function appPid(binary = rel("ferry-desktop")) {
  const out = execFileSync("pgrep", ["-n", "-f", binary], { encoding: "utf8" }).trim();
  return Number(out);
}

const FLOOR = join(root, "target/floor/release/tauri-floor");

/** The floor window's cold starts to its page, and its idle private memory (own, with WebKit's). */
async function measureFloor() {
  const starts = [];
  const navs = [];
  let session;
  for (let i = 0; i < STARTS; i++) {
    const t = performance.now();
    session = await Session.start("http://127.0.0.1:4444", FLOOR);
    await session.waitFor("#ready", { timeoutMs: 60000 });
    starts.push(performance.now() - t);
    // The floor's navigation on the same clock as Ferry's timeline below.
    const origin = await session.exec("return performance.timeOrigin;");
    navs.push(origin - (Date.now() - starts[i]));
    if (i < STARTS - 1) {
      await session.end();
      await sleep(500);
    }
  }
  await sleep(5000);
  const pid = appPid(FLOOR);
  const kids = descendants(pid);
  const own = privateKiB(pid);
  const all = own + kids.reduce((n, k) => n + privateKiB(k), 0);
  await session.end();
  return { start: median(starts), starts, navs, own, all };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  // A local cloud, and a queue of JOBS finished uploads made by the real engine.
  const simProc = group(rel("ferry-cloudsim"), ["--data", join(work, "cloud"), "--r2-bucket", "bench"], {
    FERRY_SIM_TOKENS: "bench-token",
    FERRY_SIM_R2_KEYS: "benchaccesskey,benchsecretkey0123456789",
  });
  let line = "";
  for await (const chunk of simProc.stdout) {
    line += chunk;
    if (line.includes("\n")) break;
  }
  const sim = JSON.parse(line.split("\n")[0]);
  const env = {
    FERRY_HOME: join(work, "home"),
    CLOUDFLARE_R2_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
    CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
    CLOUDFLARE_API_TOKEN: "bench-token",
    CLOUDFLARE_API_BASE_URL: sim.api,
    CLOUDFLARE_R2_ENDPOINT: sim.r2_endpoint,
    CLOUDFLARE_R2_ACCESS_KEY_ID: "benchaccesskey",
    CLOUDFLARE_R2_SECRET_ACCESS_KEY: "benchsecretkey0123456789",
    CLOUDFLARE_R2_BUCKET_NAME: "bench",
  };
  const files = join(work, "Course");
  for (let m = 0; m < 10; m++) mkdirSync(join(files, `Module ${m}`), { recursive: true });
  for (let i = 0; i < JOBS; i++) writeFileSync(join(files, `Module ${i % 10}`, `notes ${i}.txt`), `notes ${i}\n`);
  const t0 = Date.now();
  execFileSync(rel("ferry"), ["upload", "--to", "r2", "--json", files], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"], maxBuffer: 1 << 28 });
  console.log(`queue: ${JOBS} jobs uploaded with the CLI in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (TOTAL > JOBS) {
    // Copies of the finished rows, newest ids last, until the history holds TOTAL jobs.
    execFileSync("python3", [
      "-c",
      `import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in db.execute("PRAGMA table_info(jobs)") if r[1] != "id"]
names = ", ".join(cols)
while True:
    n = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    if n >= int(sys.argv[2]):
        break
    db.execute(f"INSERT INTO jobs ({names}) SELECT {names} FROM jobs ORDER BY id LIMIT ?", (int(sys.argv[2]) - n,))
    db.commit()
`,
      join(env.FERRY_HOME, "ferry.db"),
      String(TOTAL),
    ]);
    console.log(`history filled to ${TOTAL} jobs by copying rows`);
  }

  group("tauri-driver", ["--port", "4444", "--native-port", "4445"], env);
  await port(4444);
  await port(4445);

  const floor = existsSync(FLOOR) ? await measureFloor() : null;
  if (floor) {
    console.log(`floor (one static page): cold start median ${floor.start.toFixed(0)} ms (runs ${floor.starts.map((s) => s.toFixed(0)).join(", ")}); idle private memory ${(floor.own / 1024).toFixed(1)} MiB, with WebKit's helpers ${(floor.all / 1024).toFixed(1)} MiB`);
    console.log(`  floor's navigation began +${floor.navs.map((n) => n.toFixed(0)).join(", ")} ms after launch`);
  } else {
    console.log("floor: not built (see the top of this script); Ferry's figures alone");
  }

  // Cold starts: each a fresh process (the page cache is warm after the first).
  const starts = [];
  let session;
  for (let i = 0; i < STARTS; i++) {
    const t = performance.now();
    session = await Session.start("http://127.0.0.1:4444", rel("ferry-desktop"));
    const opened = performance.now() - t;
    await session.waitFor('[data-job]', { timeoutMs: 60000 });
    await session.waitFor(".destinations .badge", { timeoutMs: 60000 });
    starts.push(performance.now() - t);
    console.log(`  start ${i + 1}: WebDriver session (process, window, page loaded) ${opened.toFixed(0)} ms, rows shown ${(starts[i] - opened).toFixed(0)} ms later`);
    // The same start on one clock (ms after the bench asked for the process): the app's setup
    // from its log, the page's navigation, its load and the window's ready mark.
    const launchedAt = Date.now() - starts[i];
    const page = await session.exec(`const n = performance.getEntriesByType("navigation")[0]; return [performance.timeOrigin, n ? n.responseEnd : null, n ? n.domContentLoadedEventEnd : null, performance.getEntriesByName("ferry:ready")[0]?.startTime ?? null];`);
    const lines = readFileSync(join(env.FERRY_HOME, "logs", "ferry.log"), "utf8").split("\n");
    const at = (what) => {
      const line = lines.filter((l) => l.includes(what)).pop();
      return line ? Date.parse(line.split(" ")[0].replace(/(\.\d{3})\d*/, "$1")) - launchedAt : NaN;
    };
    const since = (x) => (x == null ? "?" : (page[0] + x - launchedAt).toFixed(0));
    const marks = await session.exec(`return performance.getEntriesByType("mark").filter((m) => m.name.startsWith("ferry:")).map((m) => [m.name.slice(6), m.startTime]);`);
    console.log(`    page marks: ${marks.map(([n, t]) => `${n} +${(page[0] + t - launchedAt).toFixed(0)}`).join(", ")}`);
    console.log(`    timeline: setup began +${at("setup began").toFixed(0)}, session started +${at("session started").toFixed(0)}, setup done +${at("setup done").toFixed(0)}, subscribe reached the app +${at("window subscribed").toFixed(0)}, navigation +${(page[0] - launchedAt).toFixed(0)}, page received +${since(page[1])}, DOM ready +${since(page[2])}, window ready +${since(page[3])}, rows seen +${starts[i].toFixed(0)}`);
    if (i < STARTS - 1) {
      await session.end();
      await sleep(500);
    }
  }
  console.log(`cold start to interactive (${TOTAL} jobs in the queue): median ${median(starts).toFixed(0)} ms, first ${starts[0].toFixed(0)} ms, runs ${starts.map((s) => s.toFixed(0)).join(", ")}`);

  // Where the start goes: each command the window calls at start, timed from the page
  // (IPC included), median of 5; and the page's own load.
  const ready = await session.exec(`return performance.getEntriesByName("ferry:ready")[0]?.startTime ?? null;`);
  console.log(`  the window ready (settings, counts, first page read) ${ready?.toFixed(0)} ms after its page began`);
  const costs = await session.execAsync(`
    const done = arguments[arguments.length - 1];
    (async () => {
      const invoke = window.__TAURI_INTERNALS__.invoke;
      const query = { search: "", destination: "", state: "", hideDeleted: true, folder: "", kind: "", course: "", withoutCourse: false, changedSince: 0 };
      const calls = { overview: {}, settings: {}, courses: {}, job_tally: {}, job_page: { query, offset: 0, limit: 100 }, job_facets: {} };
      const out = {};
      for (const [cmd, args] of Object.entries(calls)) {
        const times = [];
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          await invoke(cmd, args);
          times.push(performance.now() - t0);
        }
        out[cmd] = times.sort((a, b) => a - b)[2];
      }
      const nav = performance.getEntriesByType("navigation")[0];
      out.page = nav ? nav.loadEventEnd : 0;
      done(out);
    })();`);
  const log = readFileSync(join(env.FERRY_HOME, "logs", "ferry.log"), "utf8");
  const started = [...log.matchAll(/session started.*?took_ms=(\d+)/g)].map((m) => m[1]);
  console.log(`  session start in the app (ferry.log): ${started.join(", ")} ms`);
  console.log(`  start, by part: ${Object.entries(costs).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", ")}`);

  // Frames while scrolling the whole queue, one step per frame.
  const frames = await session.execAsync(`
    const done = arguments[arguments.length - 1];
    (async () => {
      const list = document.querySelector(".joblist");
      const times = [];
      let last = performance.now();
      for (let i = 0; i <= 240; i++) {
        list.scrollTop = (list.scrollHeight * i) / 240;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      done({ rows: document.querySelectorAll("[data-job]").length, median: times[120], p95: times[Math.floor(times.length * 0.95)], max: times[times.length - 1] });
    })();`);
  console.log(`scrolling ${TOTAL} jobs (WebKitGTK, Xvfb, software rendering): median ${frames.median.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms, max ${frames.max.toFixed(1)} ms per frame; ${frames.rows} rows in the DOM`);
  // Wheel-like scrolling: three rows per frame, as a mouse wheel or a trackpad moves a list.
  const wheel = await session.execAsync(`
    const done = arguments[arguments.length - 1];
    (async () => {
      const list = document.querySelector(".joblist");
      list.scrollTop = 0;
      await new Promise((r) => requestAnimationFrame(r));
      const times = [];
      let last = performance.now();
      for (let i = 1; i <= 120; i++) {
        list.scrollTop = i * 3 * 68;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      done({ median: times[60], p95: times[114] });
    })();`);
  console.log(`  wheel-like (3 rows a frame): median ${wheel.median.toFixed(1)} ms, p95 ${wheel.p95.toFixed(1)} ms per frame`);
  // Where a step's time goes: script (the scroll handler and Svelte's update), then style and
  // layout (forced), the rest of the frame being paint and compositing.
  const split = await session.execAsync(`
    const done = arguments[arguments.length - 1];
    (async () => {
      const list = document.querySelector(".joblist");
      const script = [], layout = [];
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        list.scrollTop = (list.scrollHeight * ((i * 37) % 60)) / 60;
        list.dispatchEvent(new Event("scroll"));
        await Promise.resolve(); await Promise.resolve(); await new Promise((r) => setTimeout(r, 0));
        const t1 = performance.now();
        list.querySelector("[data-job]")?.getBoundingClientRect();
        const t2 = performance.now();
        script.push(t1 - t0); layout.push(t2 - t1);
        await new Promise((r) => requestAnimationFrame(r));
      }
      const med = (xs) => xs.sort((a, b) => a - b)[30];
      done({ script: med(script), layout: med(layout) });
    })();`);
  console.log(`  per scroll step: script ${split.script.toFixed(1)} ms, style and layout ${split.layout.toFixed(1)} ms (median); the rest is painting`);

  // A jump far down the list: how long until the rows of the page it lands on are shown (the
  // window reads the pages around the rows in view from the core).
  const jumps = TOTAL < 1000 ? null : await session.execAsync(`
    const done = arguments[arguments.length - 1];
    (async () => {
      const list = document.querySelector(".joblist");
      const waits = [];
      for (let i = 1; i <= 15; i++) {
        const t0 = performance.now();
        list.scrollTop = (list.scrollHeight * ((i * 7) % 16)) / 16;
        const want = Math.floor(list.scrollTop / 68) + 2;
        while (!list.querySelector('[data-index="' + want + '"][data-job]')) {
          await new Promise((r) => requestAnimationFrame(r));
          if (performance.now() - t0 > 10000) break;
        }
        waits.push(performance.now() - t0);
      }
      waits.sort((a, b) => a - b);
      done({ median: waits[7], max: waits[14] });
    })();`);
  if (jumps) console.log(`  a far jump shows its rows after: median ${jumps.median.toFixed(0)} ms, max ${jumps.max.toFixed(0)} ms`);

  // Idle RSS: 5 s after the last interaction.
  await sleep(5000);
  const pid = appPid();
  const kids = descendants(pid);
  const own = rssKiB(pid);
  const all = own + kids.reduce((n, k) => n + rssKiB(k), 0);
  const ownPrivate = privateKiB(pid);
  const allPrivate = ownPrivate + kids.reduce((n, k) => n + privateKiB(k), 0);
  console.log(`idle RSS: ferry-desktop ${(own / 1024).toFixed(1)} MiB; with WebKit's ${kids.length} helper processes ${(all / 1024).toFixed(1)} MiB`);
  console.log(`idle private memory (without shared libraries): ferry-desktop ${(ownPrivate / 1024).toFixed(1)} MiB; with WebKit's helpers ${(allPrivate / 1024).toFixed(1)} MiB`);
  if (floor) {
    const over = median(starts) - floor.start;
    console.log(`over the floor: cold start +${over.toFixed(0)} ms (target ≤ 150); private memory +${((ownPrivate - floor.own) / 1024).toFixed(1)} MiB own (target ≤ 40), +${((allPrivate - floor.all) / 1024).toFixed(1)} MiB with WebKit's helpers`);
  }
  await session.end();

  const bundles = join(root, "target/release/bundle");
  for (const [kind, ext] of [["deb", ".deb"], ["appimage", ".AppImage"]]) {
    const dir = join(bundles, kind);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(ext))) {
      console.log(`installer ${f}: ${(statSync(join(dir, f)).size / 1e6).toFixed(1)} MB`);
    }
  }
  console.log(`binary target/release/ferry-desktop: ${(statSync(rel("ferry-desktop")).size / 1e6).toFixed(1)} MB`);
} finally {
  for (const g of groups) {
    try {
      process.kill(-g.pid, "SIGTERM");
    } catch {
      /* gone */
    }
  }
  // FERRY_BENCH_KEEP=1 keeps the work folder (its FERRY_HOME holds the filled database).
  if (process.env.FERRY_BENCH_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
