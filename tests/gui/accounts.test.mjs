// The Accounts screen as a teacher meets it, in the real window with a real Secret Service:
// what the environment sets shows read-only with the variables that set it (never a secret);
// a name with spaces is taken; a refused name is explained inside the form, above its backdrop;
// cards name their fields in words, not keys; a .env file is imported after a preview that shows
// no secret; an S3 account's bucket settings (course sites, unfinished uploads) are previewed and
// applied against moto. A theme saved in Settings stays the one shown.
//
// Run by scripts/test.sh inside scripts/with-keyring.sh and xvfb-run.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { Desktop, R2_KEY, R2_SECRET, TOKEN, keyboard, sleep, until, windowsNamed } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  session = await desktop.start();
  await desktop.skipWelcome();
  await session.click('button[data-view="accounts"]');
});

after(() => desktop.stop());

const type = async (css, text) => {
  const el = await session.waitFor(css);
  await session.cmd("POST", `/element/${el}/clear`, {});
  await session.cmd("POST", `/element/${el}/value`, { text });
};

test("what the environment sets shows read-only, with its variables and without its secrets", async () => {
  await session.waitFor('[data-environment="cloudflare"]');
  const cloudflare = await session.textOf('[data-environment="cloudflare"]');
  assert.match(cloudflare, /Set by .*CLOUDFLARE_API_TOKEN/, cloudflare);
  assert.match(cloudflare, /set, kept out of sight/, cloudflare);
  const r2 = await session.textOf('[data-environment="r2"]');
  assert.match(r2, /course-media/, r2);
  assert.match(r2, /CLOUDFLARE_R2_SECRET_ACCESS_KEY/, r2);
  const page = await session.exec("return document.body.innerText;");
  for (const secret of [TOKEN, R2_SECRET]) assert.ok(!page.includes(secret), "no secret on screen");
  assert.ok(!page.includes("No account yet"), "the environment's setup counts as set up");
  await desktop.shot("accounts-01-environment");
});

test("an account named as people name things is kept, and its card speaks in words", async (t) => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    t.skip("no Secret Service: scripts/test.sh runs the window tests inside scripts/with-keyring.sh");
    return;
  }
  await session.click("header.toolbar button.primary");
  await session.waitFor("dialog[open] form");
  await session.click("dialog[open] select[data-kind] option[value='r2']");
  const help = await session.textOf("dialog[open] form");
  assert.match(help, /Leave empty unless the bucket was made in the EU/, "Jurisdiction is explained");
  assert.match(help, /Leave empty: Ferry uses your account's own R2 address/, "Endpoint is explained");

  // A name the keychain cannot take is explained inside the form, above the dialog's backdrop.
  await type("dialog[open] input[data-account-name]", "school/backup");
  await type("dialog[open] input[data-field='account_id']", "0123456789abcdef0123456789abcdef");
  await type("dialog[open] input[data-field='bucket']", "course-media");
  await type("dialog[open] input[data-field='access_key_id']", R2_KEY);
  await type("dialog[open] input[data-secret]", R2_SECRET);
  await session.click("dialog[open] button[type='submit']");
  await until("the refusal inside the dialog", () =>
    session.exec("return [...document.querySelectorAll('dialog[open] .toast')].some((t) => t.textContent.includes('letters, digits, spaces'));"),
  );
  await desktop.shot("accounts-02-name-refused");

  await type("dialog[open] input[data-account-name]", "My school storage");
  await type("dialog[open] input[data-secret]", R2_SECRET);
  await session.click("dialog[open] button[type='submit']");
  const card = "[data-account='My school storage']";
  await session.waitFor(card, { timeoutMs: 15000 });
  const text = await session.textOf(card);
  assert.match(text, /Access key ID/, text);
  assert.match(text, /Bucket/, text);
  assert.ok(!/access_key_id|account_id/.test(text), `no raw field names: ${text}`);
  assert.ok(!text.includes(R2_SECRET), "the secret is never shown");
  await desktop.shot("accounts-03-card");
});

test("a theme saved in Settings stays the one shown; a key template is checked by the engine as it is typed", async () => {
  await session.click('button[data-view="settings"]');
  await session.waitFor("select[data-setting='theme']");
  await session.click("select[data-setting='theme'] option[value='dark']");
  await session.click("form.settings button[type='submit']");
  await session.waitFor("form.settings [role='status']", { timeoutMs: 15000 });
  const shown = () => session.exec("const s = document.querySelector(\"select[data-setting='theme']\"); return [s.value, s.selectedOptions[0]?.textContent];");
  assert.deepEqual(await shown(), ["dark", "Dark"], "right after saving");
  assert.equal(await session.exec("return document.documentElement.dataset.theme;"), "dark");
  await session.click('button[data-view="queue"]');
  await session.click('button[data-view="settings"]');
  await session.waitFor("select[data-setting='theme']");
  assert.deepEqual(await shown(), ["dark", "Dark"], "after coming back");
  // The key template is checked by the engine as it is typed, with examples.
  await session.click('[data-testid="advanced"] summary');
  const box = await session.waitFor("input[data-setting='key-template']");
  await session.cmd("POST", `/element/${box}/clear`, {});
  await session.cmd("POST", `/element/${box}/value`, { text: "{rel}/{name}" });
  await session.waitFor('[data-testid="key-preview"] .error', { test: (t) => t.includes("unknown variable {rel}") });
  assert.equal(await session.exec("return document.querySelector(\"form.settings button[type='submit']\").disabled;"), true);
  await session.cmd("POST", `/element/${box}/clear`, {});
  await session.cmd("POST", `/element/${box}/value`, { text: "{kind}/{yyyy}/{name}" });
  await session.waitFor('[data-testid="key-preview"] ul', { test: (t) => /documents\/\d{4}\/Week-1-notes\.pdf/.test(t) });
  await desktop.shot("settings-dark");
});

test("where new files go, the part size and the attempts are set in Settings and kept in ferry.toml", async () => {
  await session.click('button[data-view="queue"]');
  await session.click('button[data-view="settings"]');
  const typeInto = async (css, text) => {
    const el = await session.waitFor(css);
    await session.cmd("POST", `/element/${el}/clear`, {});
    if (text) await session.cmd("POST", `/element/${el}/value`, { text });
  };
  await typeInto("input[data-setting='prefix']", "Spring 2027");
  await session.exec(`const s = document.querySelector("select[data-setting='default-destination']"); s.value = "r2"; s.dispatchEvent(new Event("change", { bubbles: true }));`);
  await session.click('[data-testid="advanced"] summary');
  await typeInto("input[data-setting='part-size']", "64");
  await typeInto("input[data-setting='retries']", "3");
  await session.click("form.settings button[type='submit']");
  await session.waitFor("form.settings [role='status']", { timeoutMs: 15000 });
  const saved = (await desktop.invoke("settings")).ok;
  assert.deepEqual([saved.prefix, saved.defaultDestination, saved.partSizeMib, saved.retryAttempts], ["spring-2027", "r2", 64, 3]);
  // A part size no store takes cannot be saved: the form holds it back (and the engine would
  // refuse it too, saying what to choose: config::tests), and nothing changes.
  await typeInto("input[data-setting='part-size']", "1");
  await session.click("form.settings button[type='submit']");
  assert.equal(await session.exec("return document.querySelector(\"input[data-setting='part-size']\").validity.rangeUnderflow;"), true);
  const refused = await desktop.invoke("save_settings", { form: { ...saved, partSizeMib: 1 } });
  assert.match(refused.err?.message ?? "", /5 and 5,120 MiB/, JSON.stringify(refused));
  assert.equal((await desktop.invoke("settings")).ok.partSizeMib, 64);
  // Back to the top of the bucket for the tests that follow.
  await typeInto("input[data-setting='part-size']", "16");
  await typeInto("input[data-setting='prefix']", "");
  await session.click("form.settings button[type='submit']");
  await session.waitFor("form.settings [role='status']", { timeoutMs: 15000 });
});

test("a .env file is imported after a preview that names what it adds and skips, never a secret", async (t) => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    t.skip("no Secret Service: scripts/test.sh runs the window tests inside scripts/with-keyring.sh");
    return;
  }
  const env = join(desktop.work, "course.env");
  writeFileSync(
    env,
    [
      "# the course platform's settings (seed 002)",
      "R2_ACCOUNT_ID=0123456789abcdef0123456789abcdef",
      "R2_BUCKET_NAME=spring-term",
      `R2_ACCESS_KEY_ID=${R2_KEY}`,
      `R2_SECRET_ACCESS_KEY=${R2_SECRET}`,
      "CLOUDFLARE_API_TOKEN=only-a-token",
      "",
    ].join("\n"),
  );
  await session.click('button[data-view="accounts"]');
  await session.click('[data-testid="import-open"]');
  await session.click('[data-testid="import-choose"]');
  const title = "Choose the file to import accounts from";
  const id = await until(`the "${title}" dialog`, () => windowsNamed(title)[0], 20000);
  await sleep(700);
  keyboard(id, "key", "ctrl+l");
  await sleep(400);
  keyboard(id, "type", env);
  await sleep(600);
  keyboard(id, "key", "Return");
  await session.waitFor('[data-testid="import-path"]', { test: (t) => t.endsWith("course.env") });
  await session.click('[data-testid="import-look"]');
  await session.waitFor('[data-testid="import-preview"] [data-import="r2"]');
  const preview = await session.textOf('[data-testid="import-preview"]');
  assert.match(preview, /spring-term/, preview);
  assert.match(preview, /cloudflare: missing CLOUDFLARE_ACCOUNT_ID/, "what is skipped says why");
  for (const secret of [R2_SECRET, "only-a-token"]) assert.ok(!preview.includes(secret), "no secret in the preview");
  await desktop.shot("accounts-04-import-preview");
  await session.click('[data-testid="import-run"]');
  await session.waitFor("[data-account='r2']", { timeoutMs: 15000 });
  const card = await session.textOf("[data-account='r2']");
  assert.match(card, /spring-term/, card);
  const listed = (await desktop.invoke("accounts")).ok.find((a) => a.name === "r2");
  assert.equal(listed.fields.bucket, "spring-term");
});

test("an S3 account's bucket settings: course sites and unfinished uploads, previewed then applied", async (t) => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    t.skip("no Secret Service: scripts/test.sh runs the window tests inside scripts/with-keyring.sh");
    return;
  }
  // moto's S3 server stands in for a store that keeps CORS and lifecycle rules.
  const port = await new Promise((done) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
  const moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore", detached: true });
  try {
    const endpoint = `http://127.0.0.1:${port}`;
    await until("moto to answer", () => fetch(endpoint).then(() => true, () => false));
    assert.equal((await fetch(`${endpoint}/term-files`, { method: "PUT" })).status, 200);
    const added = await desktop.invoke("add_account", {
      account: { name: "library", kind: "s3", fields: { bucket: "term-files", endpoint, region: "us-east-1", access_key_id: "testing" }, secret: "testing", makeDefault: false },
    });
    assert.ok(!added.err, JSON.stringify(added.err));
    await session.click('button[data-view="accounts"]');
    await session.click("[data-account='library'] button[data-bucket]");
    await desktop.shot("accounts-05-bucket-open");
    await session.waitFor('[data-testid="cors-why"]');
    const box = await session.waitFor('[data-testid="bucket-sites"]');
    await session.cmd("POST", `/element/${box}/value`, { text: "https://courses.example.edu\uE004" });
    await session.waitFor('[data-testid="cors-proposed"]', { test: (t) => t.includes("https://courses.example.edu") });
    await desktop.shot("accounts-05-bucket-preview");
    await session.click('[data-testid="apply-cors"]');
    await session.waitFor('[data-testid="cors-now"]', { test: (t) => t.includes("https://courses.example.edu"), timeoutMs: 15000 });
    const cors = await (await fetch(`${endpoint}/term-files?cors`)).text();
    assert.match(cors, /courses\.example\.edu/, `moto keeps the rule: ${cors}`);

    const days = await session.find('[data-testid="bucket-days"]');
    await session.cmd("POST", `/element/${days}/clear`, {});
    await session.cmd("POST", `/element/${days}/value`, { text: "3" });
    await session.click('[data-testid="apply-lifecycle"]');
    await session.waitFor('[data-testid="lifecycle-now"]', { test: (t) => t.includes("after 3 days"), timeoutMs: 15000 });
    const lifecycle = await (await fetch(`${endpoint}/term-files?lifecycle`)).text();
    assert.match(lifecycle, /<DaysAfterInitiation>3<\/DaysAfterInitiation>/, lifecycle);
    await session.click("dialog[open] .actions button:last-child");
  } finally {
    process.kill(-moto.pid, "SIGTERM");
  }
});

test("in French, the account form and the environment's cards read in French, from the core's descriptions", async () => {
  await session.click('button[data-view="settings"]');
  await session.waitFor("select[data-setting='language']");
  await session.exec(`const s = document.querySelector("select[data-setting='language']"); s.value = "fr"; s.dispatchEvent(new Event("change", { bubbles: true }));`);
  await session.click("form.settings button[type='submit']");
  await session.waitFor("form.settings [role='status']", { timeoutMs: 15000 });
  await session.click('button[data-view="accounts"]');
  const r2 = await session.waitFor('[data-environment="r2"]', { test: (t) => t.includes("ID de clé d’accès") });
  assert.ok(r2);
  await session.click("header.toolbar button.primary");
  await session.waitFor("dialog[open] [data-field='account_id']");
  const form = await session.textOf("dialog[open]");
  assert.match(form, /ID du compte/, form);
  assert.match(form, /tableau de bord Cloudflare/, form);
  await desktop.shot("accounts-06-form-fr");
  await session.click("dialog[open] .actions button:not(.primary)");
  // The sidebar takes clicks again once the dialog (and its backdrop) is gone.
  await until("the form to close", async () => ((await session.exec(`return !document.querySelector("dialog[open]");`)) ? true : null));
  // Back to English for whatever runs next.
  await session.click('button[data-view="settings"]');
  await session.waitFor("select[data-setting='language']");
  await session.exec(`const s = document.querySelector("select[data-setting='language']"); s.value = "en"; s.dispatchEvent(new Event("change", { bubbles: true }));`);
  await session.click("form.settings button[type='submit']");
  await session.waitFor("form.settings [role='status']", { timeoutMs: 15000 });
});

test("nothing the app wrote holds a secret typed into it or given in its environment", async () => {
  // The log, the job database, the settings, WebKit's caches: everything under the app's home
  // and its user folder, after secrets were typed, saved, imported and used above.
  const log = desktop.logTail(1000);
  assert.match(log, /engine reopened/, "the app keeps a log, and it is searched too");
  assert.deepEqual(desktop.filesHolding([R2_SECRET, TOKEN]), []);
});
