// Drives an upload request's page in headless Chromium (the system's), as a sender would:
// opens the saved page (file://), writes a name, chooses files, presses Send, waits until each
// file says sent or refused, and prints what the page shows as JSON, with any console errors.
//
//   node page_driver.mjs PAGE SENDER FILE...     (PAGE: a saved file, or the published link)

import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(resolve(import.meta.dirname, "../../ui/package.json"));
const { chromium } = require("playwright-core");

const [page, sender, ...files] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  // A phone-sized window, in the sender's language (LOCALE, English by default).
  const tab = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: process.env.LOCALE ?? "en-US" });
  const errors = [];
  tab.on("pageerror", (e) => errors.push(String(e)));
  // A refusal the page handles (a numbered key another sender took: 412) is logged by Chromium
  // as a failed resource; any other console error is the page's.
  tab.on("console", (m) => { if (m.type() === "error" && !/status of 412/.test(m.text())) errors.push(m.text()); });
  await tab.goto(/^https?:/.test(page) ? page : pathToFileURL(resolve(page)).href);
  const title = await tab.locator("#title").textContent();
  const rules = await tab.locator("#rules").textContent();
  if (sender) await tab.fill("#sender", sender);
  if (files.length) await tab.setInputFiles("#files", files);
  await tab.click("#send");
  if (sender && files.length) {
    await tab.waitForFunction((n) => document.querySelectorAll("#sent li[data-state]").length === n, files.length, { timeout: 60000 });
  }
  const sent = await tab.$$eval("#sent li", (lis) => lis.map((li) => ({ file: li.dataset.file, state: li.dataset.state, text: li.textContent })));
  const problem = await tab.locator("#problem").textContent();
  console.log(JSON.stringify({ title, rules, sent, problem, errors }));
} finally {
  await browser.close();
}
