// Every screen and dialog, audited with axe-core (no serious or critical violation) and
// photographed at 1280×800 and 1024×640, in English and French, against the mocked backend.
// The screenshots land in target/screenshots/flows/a11y/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { browser, open, serve, shots } from "./harness.mjs";

const axe = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SIZES = [
  [1280, 800],
  [1024, 640],
];
const FAILURE = "Cloudflare Images: the API token of account school may not do this (uploading diagram.png); give it the \"Images: Edit\" permission, or use another token";

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

/** Serious and critical axe violations on the page as it is now, as readable lines. */
async function audit(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axe });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(", ")}`);
}

/** Each screen and dialog: its name and how to get there from the queue. */
const PLACES = [
  ["queue", async () => {}],
  ["history", async (p) => p.keyboard.press("Alt+2")],
  ["courses", async (p) => p.keyboard.press("Alt+3")],
  ["course-dialog", async (p) => {
    await p.keyboard.press("Alt+3");
    await p.locator('[data-course="Biology 101"] button[data-course-action="edit"]').click();
    await p.locator('[data-testid="course-preview"]').waitFor();
  }],
  ["course-remove", async (p) => {
    await p.keyboard.press("Alt+3");
    await p.locator('[data-course="Biology 101"] button[data-course-action="remove"]').click();
  }],
  ["live", async (p) => {
    await p.keyboard.press("Alt+4");
    await p.locator('[data-live="Biology 101, week 3"] [data-testid="recordings"]').waitFor();
  }],
  ["live-create", async (p) => {
    await p.keyboard.press("Alt+4");
    await p.locator('[data-testid="add-live"]').click();
    await p.locator('[data-testid="live-name"]').waitFor();
  }],
  ["live-rename", async (p) => {
    await p.keyboard.press("Alt+4");
    await p.locator('[data-live="Biology 101, week 3"] [data-testid="rename-live"]').click();
    await p.locator('[data-testid="live-new-name"]').waitFor();
  }],
  ["requests", async (p) => {
    await p.keyboard.press("Alt+5");
    await p.locator('[data-request="Week 3 essays"] [data-arrival]').first().waitFor();
  }],
  ["requests-create", async (p) => {
    await p.keyboard.press("Alt+5");
    await p.locator('[data-testid="add-request"]').click();
    await p.locator('[data-testid="request-title"]').waitFor();
  }],
  ["folders", async (p) => p.keyboard.press("Alt+6")],
  ["accounts", async (p) => p.keyboard.press("Alt+7")],
  ["settings", async (p) => p.keyboard.press("Alt+8")],
  ["links-dialog", async (p) => p.locator('[data-job] button[data-action="more"]').first().click()],
  ["video-captions", async (p) => {
    await p.locator("[data-job]", { hasText: "Lecture 1.mp4" }).locator('button[data-action="more"]').click();
    await p.locator('dialog[open] li[data-caption="fr"]').waitFor();
  }],
  ["video-settings", async (p) => {
    await p.locator("[data-job]", { hasText: "Lecture 1.mp4" }).locator('button[data-action="more"]').click();
    await p.locator('[data-testid="video-settings-box"] summary').click();
    await p.locator('[data-testid="video-who"]').waitFor();
  }],
  ["course-videos", async (p) => {
    await p.keyboard.press("Alt+3");
    await p.locator('[data-course="Biology 101"] button[data-course-action="videos"]').click();
    await p.locator('[data-testid="video-settings"]').waitFor();
  }],
  ["delete-confirm", async (p) => {
    await p.locator('[data-job] button[data-action="more"]').first().click();
    await p.locator('dialog[open] button[data-action="delete"]').click();
  }],
  ["failure-details", async (p) => p.locator('[data-job] button[data-action="details"]').first().click()],
  ["import-preview", async (p) => {
    await p.keyboard.press("Alt+7");
    await p.evaluate(() => globalThis.ferryMock.pickNext(["/home/t/course/.env"]));
    await p.locator('[data-testid="import-open"]').click();
    await p.locator('[data-testid="import-choose"]').click();
    await p.locator('[data-testid="import-look"]').click();
    await p.locator('[data-testid="import-preview"]').waitFor();
  }],
  ["bucket-settings", async (p) => {
    await p.keyboard.press("Alt+7");
    await p.locator('[data-account="My school storage"] button[data-bucket]').click();
    await p.locator('[data-testid="bucket-lifecycle"]').waitFor();
  }],
  ["add-account", async (p) => {
    await p.keyboard.press("Alt+7");
    await p.locator("header.toolbar button.primary").click();
  }],
];

for (const lang of ["en", "fr"]) {
  test(`every screen and dialog in ${lang}: no serious or critical accessibility violation`, async () => {
    const dir = join(shots, "a11y");
    mkdirSync(dir, { recursive: true });
    const found = [];
    for (const [width, height] of SIZES) {
      // The welcome, first, as a new user sees it.
      const first = await open(b, site.url, `ferryMock.prefs(${JSON.stringify(lang)});`);
      await first.setViewportSize({ width, height });
      await first.locator("dialog[open]").waitFor();
      found.push(...(await audit(first)).map((v) => `welcome: ${v}`));
      await first.screenshot({ path: join(dir, `welcome-${lang}-${width}x${height}.png`) });
      await first.close();
      for (const [name, go] of PLACES) {
        const page = await open(b, site.url, `ferryMock.skipWelcome(); ferryMock.prefs(${JSON.stringify(lang)}); ferryMock.seed(6); ferryMock.furnish(${JSON.stringify(FAILURE)});`);
        await page.setViewportSize({ width, height });
        await page.locator("[data-job]").first().waitFor();
        await go(page);
        await page.waitForTimeout(150);
        found.push(...(await audit(page)).map((v) => `${name}: ${v}`));
        await page.screenshot({ path: join(dir, `${name}-${lang}-${width}x${height}.png`) });
        assert.deepEqual(page.errors, [], name);
        await page.close();
      }
    }
    assert.deepEqual([...new Set(found)], []);
  });
}
