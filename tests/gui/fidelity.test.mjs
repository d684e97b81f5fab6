// Real Cloudflare's rules in the real window (issue 15), against ferry-cloudsim: the full test a
// teacher runs once from the Accounts screen (a small image, a 6 MiB video over tus in two
// chunks, a small file; each link opened; all three deleted), and allowed origins pasted as
// whole addresses, kept as the host names Stream takes, with the change shown. An account added
// through the window's form (its token into the real keychain) passes its own full test.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Desktop, TOKEN, ACCOUNT } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  session = await desktop.start();
  await desktop.skipWelcome();
});

after(() => desktop.stop());

/** What the emulator's API lists under `path`, read as an independent client would. */
async function listed(path) {
  const resp = await fetch(`${desktop.sim.api}/accounts/${ACCOUNT}/${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return (await resp.json()).result;
}

test("'Run a full test' uploads to Images, Stream and R2, opens each link and leaves nothing behind", async () => {
  await session.click('button[data-view="accounts"]');
  await session.click("[data-setup] button[data-full-test]");
  await session.waitFor("[data-setup] [data-results]", {
    test: (t) => t.includes("r2: delete it") && t.includes("stream: delete it") && t.includes("images: delete it"),
    timeoutMs: 90000,
  });
  const text = await session.textOf("[data-setup] [data-results]");
  await desktop.shot("full-test");
  assert.ok(!text.includes("✗"), text);
  for (const step of [
    "images: open the delivery link: the same bytes came back",
    "stream: send a 6 MiB video in two chunks: every byte arrived; the second chunk resumed from the server's offset",
    "stream: open the playback link: the HLS manifest is served",
    "r2: open its link: the same bytes came back",
  ]) {
    assert.ok(text.includes(`✓ ${step}`), `${step}\n${text}`);
  }
  assert.equal((await listed("images/v2?per_page=100")).images.length, 0, "no image left");
  assert.equal((await listed("stream")).length, 0, "no video left");
  assert.equal((await desktop.invoke("jobs")).ok.length, 0, "the full test queues nothing");
});

test("an allowed origin pasted as an address is kept as its host, and the window says so", async () => {
  await session.click('button[data-view="settings"]');
  const box = await session.waitFor("input[data-setting='allowed-origins']");
  await session.cmd("POST", `/element/${box}/clear`, {});
  await session.cmd("POST", `/element/${box}/value`, { text: "https://Course.Example.com/lesson/3, localhost:5173" });
  await session.click("form.settings button[type='submit']");
  await session.waitFor(".toasts", { test: (t) => t.includes("was saved as “course.example.com”"), timeoutMs: 10000 });
  const value = await session.exec("return document.querySelector(\"input[data-setting='allowed-origins']\").value;");
  assert.equal(value, "course.example.com, localhost:5173");
  const saved = (await desktop.invoke("settings")).ok;
  assert.deepEqual(saved.streamAllowedOrigins, ["course.example.com", "localhost:5173"]);
});

test("a Cloudflare account added in the window passes its own full test", async (t) => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    t.skip("no Secret Service: scripts/test.sh runs the window tests inside scripts/with-keyring.sh");
    return;
  }
  await session.click('button[data-view="accounts"]');
  await session.click("header.toolbar button.primary");
  await session.waitFor("dialog[open] form");
  await session.click("dialog[open] select[data-kind] option[value='cloudflare']");
  const type = async (css, text) => {
    const el = await session.waitFor(css);
    await session.cmd("POST", `/element/${el}/value`, { text });
  };
  await type("dialog[open] input[data-account-name]", "school");
  await type("dialog[open] input[data-field='account_id']", ACCOUNT);
  await type("dialog[open] input[data-field='api_base_url']", desktop.sim.api);
  await type("dialog[open] input[data-secret]", TOKEN);
  await session.click("dialog[open] button[type='submit']");
  const card = "[data-account='school']";
  await session.waitFor(card, { timeoutMs: 15000 });
  await session.click(`${card} button[data-full-test]`);
  await session.waitFor(`${card} [data-results]`, {
    test: (t) => t.includes("stream: delete it") && t.includes("images: delete it"),
    timeoutMs: 90000,
  });
  const text = await session.textOf(`${card} [data-results]`);
  await desktop.shot("account-full-test");
  assert.ok(!text.includes("✗"), text);
  assert.ok(text.includes("✓ API token: valid and active"), text);
  assert.ok(text.includes("✓ images: open the delivery link"), text);
  assert.ok(text.includes("✓ stream: wait until it plays"), text);
  assert.ok(!text.includes(TOKEN), "the token is never shown");
  assert.equal((await listed("images/v2?per_page=100")).images.length, 0, "no image left");
  assert.equal((await listed("stream")).length, 0, "no video left");
});
