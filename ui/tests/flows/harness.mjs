// Headless Chromium (the system's, never a downloaded one) on the built UI, with the mocked
// backend injected before the app's own scripts.

import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { readFileSync, existsSync, mkdirSync } from "node:fs";
import { extname, join, resolve } from "node:path";

const ui = resolve(import.meta.dirname, "../..");
const dist = join(ui, "dist");
const mock = readFileSync(join(ui, "tests/flows/.build/mock-backend.js"), "utf8");
export const shots = resolve(ui, "../target/screenshots/flows");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };

export async function serve() {
  const server = createServer((req, res) => {
    const path = join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = existsSync(path) && !path.endsWith("/") ? path : join(dist, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A page with the mock backend; `setup` runs in the page before the app starts. */
export async function open(b, url, setup = "") {
  const page = await b.newPage({ viewport: { width: 1100, height: 720 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.addInitScript({ content: `${mock}\n${setup}` });
  await page.goto(url);
  page.errors = errors;
  return page;
}

export async function shot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`) });
}
