// A teacher with nothing set up: the welcome leads to Accounts, a Cloudflare account is added
// in the form (its token to the real Secret Service), and the first image dropped uploads to
// Images with a link that opens. Nothing comes from the environment here.
//
// Run by scripts/test.sh inside scripts/with-keyring.sh and xvfb-run.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { ACCOUNT, Desktop, TOKEN, clipboard, root, until } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  // Blank counts as unset: no provider comes from the environment.
  const blank = Object.fromEntries(
    ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_R2_ENDPOINT", "CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY", "CLOUDFLARE_R2_BUCKET_NAME"].map((k) => [k, ""]),
  );
  session = await desktop.start(blank);
});

after(() => desktop.stop());

const type = async (css, text) => {
  const el = await session.waitFor(css);
  await session.cmd("POST", `/element/${el}/value`, { text });
};

test("from the welcome to a first upload: connect a Cloudflare account, drop an image, copy its link", async (t) => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    t.skip("no Secret Service: scripts/test.sh runs the window tests inside scripts/with-keyring.sh");
    return;
  }
  await session.waitFor("dialog[open] [data-welcome='account']");
  assert.equal(await session.exec("return document.querySelectorAll('[data-environment]').length;"), 0);
  await session.click("dialog[open] [data-welcome='account']");
  await session.waitFor("#accounts-title");
  await session.click("header.toolbar button.primary");
  await session.waitFor("dialog[open] form");
  await session.click("dialog[open] select[data-kind] option[value='cloudflare']");
  await type("dialog[open] input[data-account-name]", "Biology department");
  await type("dialog[open] input[data-field='account_id']", ACCOUNT);
  await type("dialog[open] input[data-field='api_base_url']", desktop.sim.api);
  await type("dialog[open] input[data-secret]", TOKEN);
  await session.click("dialog[open] button[type='submit']");
  await session.waitFor("[data-account='Biology department']", { timeoutMs: 15000 });
  await until("Images and Stream to be set up", async () => {
    const overview = (await desktop.invoke("overview")).ok;
    return overview.destinations.some((d) => d.name === "images");
  });

  await session.click('button[data-view="queue"]');
  const image = join(desktop.work, "cell diagram.png");
  copyFileSync(join(root, "crates/core/assets/round-trip.png"), image);
  await desktop.drop([image]);
  const id = await desktop.waitRow("cell diagram.png");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  assert.equal(await session.textOf(`[data-job="${id}"] .badge`), "images");
  await session.click(`[data-job="${id}"] button[data-action="copy"]`);
  const link = await until("the link on the clipboard", () => {
    try {
      return clipboard().trim() || null;
    } catch {
      return null;
    }
  });
  assert.equal((await fetch(link)).status, 200, link);
  const page = await session.exec("return document.body.innerText;");
  assert.ok(!page.includes(TOKEN), "the token is never on screen");
  await desktop.shot("welcome-first-upload");
});
