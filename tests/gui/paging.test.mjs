// A long history in the real window: the queue and the history are read from the core a page at
// a time, so the window holds the rows in view and not the whole history. A teacher drops a
// folder of 1,500 files; the counts are the core's, scrolling to the far end shows the oldest
// file, a search (accents and case folded) and the filters are answered by the core, a file
// dropped while the history is open comes in on top, and copying every link of a filtered
// history takes every matching file, not only the rows that were read.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Desktop, clipboard, until } from "./harness.mjs";

const FILES = 1500;
const desktop = new Desktop();
let session;
const folder = join(desktop.work, "Handouts");

before(async () => {
  session = await desktop.start();
  await desktop.skipWelcome();
});

after(() => desktop.stop());

/** The number the History toolbar shows ("1500 files"). */
async function historyCount() {
  const text = await session.textOf('[aria-labelledby="history-title"] .toolbar .muted');
  return Number(text.replace(/\D/g, ""));
}

/** Rows in the DOM, and the height the list's track gives every row. */
async function listShape() {
  return session.exec(`
    const list = document.querySelector(".joblist");
    return { rows: list.querySelectorAll("[data-job]").length, track: list.querySelector(".track").offsetHeight };`);
}

async function search(text) {
  await session.exec(
    `const box = document.querySelector('[aria-labelledby="history-title"] input[type="search"]');
     box.value = arguments[0];
     box.dispatchEvent(new Event("input", { bubbles: true }));`,
    [text],
  );
}

async function choose(filter, value) {
  await session.exec(
    `const select = document.querySelector('[aria-labelledby="history-title"] select[aria-label="' + arguments[0] + '"]');
     select.value = arguments[1];
     select.dispatchEvent(new Event("change", { bubbles: true }));`,
    [filter, value],
  );
}

const names = () => session.exec(`return [...document.querySelectorAll("[data-job] .name")].map((e) => e.textContent);`);

test("a folder of 1,500 files: the window holds the rows in view, and the counts are the core's", async () => {
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < FILES - 1; i++) writeFileSync(join(folder, `notes ${String(i).padStart(4, "0")}.txt`), `notes ${i}\n`);
  writeFileSync(join(folder, "Leçon d'Été.txt"), "été\n");
  await desktop.drop([folder]);
  await until(
    "every file uploaded",
    async () => {
      const tally = (await desktop.invoke("job_tally")).ok;
      return tally.done === FILES ? tally : null;
    },
    120000,
  );
  await session.waitFor('[data-job] .state[data-state="done"]');
  const queue = await listShape();
  assert.equal(queue.track, FILES * 68, "the queue's track has room for every job");
  assert.ok(queue.rows > 5 && queue.rows < 60, `the queue renders the rows in view only (${queue.rows})`);

  await session.click('button[data-view="history"]');
  await session.waitFor("#history-title");
  await until("the history's count", async () => ((await historyCount()) === FILES ? true : null));
  await desktop.shot("paging-01-history");
});

test("scrolling to the far end shows the oldest file, read when it comes into view", async () => {
  await session.exec(`const list = document.querySelector(".joblist"); list.scrollTop = list.scrollHeight;`);
  // The folder's files were queued in name order: "Leçon d'Été.txt" first, "notes 1498.txt" last.
  await until("the oldest file's row", async () => ((await names()).includes("Leçon d'Été.txt") ? true : null));
  const shown = await names();
  assert.ok(!shown.includes("notes 1498.txt"), "the newest row is no longer in the DOM");
  await desktop.shot("paging-02-far-end");
  await session.exec(`document.querySelector(".joblist").scrollTop = 0;`);
});

test("the search and the filters are answered by the core", async () => {
  let last = "";
  const found = async (count, rows) => {
    const shown = await names();
    const have = await historyCount();
    last = `${have} files, rows ${JSON.stringify(shown)}`;
    return have === count && JSON.stringify(shown) === JSON.stringify(rows) ? true : null;
  };
  const find = (what, count, rows) => until(what, () => found(count, rows)).catch((e) => assert.fail(`${e.message}: the window shows ${last}`));
  await search("LEÇON été");
  await find("the lesson found", 1, ["Leçon d'Été.txt"]);
  // The search looks in keys and links too, whose hashes hold digits: the words end in ".txt".
  await search("notes 0042.TXT");
  await find("one note found", 1, ["notes 0042.txt"]);
  await search("notes 20.txt");
  await find("the notes ending in 20", 15, Array.from({ length: 15 }, (_, i) => `notes ${String((14 - i) * 100 + 20).padStart(4, "0")}.txt`));
  await search("");
  await choose("State", "failed");
  await until("no failed file", async () => ((await historyCount()) === 0 ? true : null));
  assert.equal((await listShape()).rows, 0);
  await choose("State", "done");
  await until("every file done", async () => ((await historyCount()) === FILES ? true : null));
  await choose("State", "");
  await desktop.shot("paging-03-search");
});

test("a file that arrives while the history is open comes in on top", async () => {
  // Added the way the window's own "Add files" does it, without the History screen knowing:
  // the engine's events alone bring it in (as they do a watched folder's files).
  const late = join(desktop.work, "late handout.txt");
  writeFileSync(late, "late\n");
  const added = await desktop.invoke("add_paths", { paths: [late], destination: null, everything: false, course: null });
  assert.equal(added.ok?.queued?.length, 1, JSON.stringify(added));
  await until("the count grows", async () => ((await historyCount()) === FILES + 1 ? true : null));
  await until("the new file on top", async () => ((await names())[0] === "late handout.txt" ? true : null));
  await session.waitFor('[data-job] .state[data-state="done"]');
});

test("Copy all links takes every file the filter matches, not only the rows read", async () => {
  await search("notes");
  await until("the notes", async () => ((await historyCount()) === FILES - 1 ? true : null));
  await session.click('[data-testid="copy-all"]');
  const lines = await until(
    "every link on the clipboard",
    async () => {
      let text;
      try {
        text = clipboard().trim().split("\n");
      } catch {
        return null; // nothing copied yet
      }
      return text.length === FILES - 1 ? text : null;
    },
    20000,
  );
  assert.equal(new Set(lines).size, FILES - 1, "one link per file");
  assert.ok(
    lines.some((l) => /notes(%20|-|_| )0000\.txt/.test(l)),
    `the oldest note's link is there (${lines[lines.length - 1]})`,
  );
  await search("");
});
