// Media preparation in the real window against ferry-cloudsim: a phone photo (GPS position,
// phone, serial, author, made with ImageMagick and ExifTool) dropped on the queue goes to Images
// without them; its row says "Location removed" and what went; the bytes Images serves are read
// back with ExifTool. A course set in its form to keep the details sends the same photo as it
// is. A course's longest video, set in its form, refuses a longer FFmpeg lecture before it is
// sent, in words, and a shorter one's row says how long it is and its picture size. A PDF that
// names its author says so in its row and is sent as it is. A panorama too wide for Images is
// fitted to it, and its row says so with both sizes; a course that compresses sends a smaller
// copy and says how much. A phone's HEIC photo goes to Images as a JPEG and its row says so; a
// motion photo goes as its still, its row saying the video was left out; a Live Photo's video
// in a dropped folder is left out, and a message says so.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Desktop, until } from "./harness.mjs";

const desktop = new Desktop();
let session;

before(async () => {
  session = await desktop.start();
  await desktop.skipWelcome();
});

after(() => desktop.stop());

function phonePhoto(name) {
  const path = join(desktop.work, name);
  execFileSync("convert", ["-size", "120x80", "gradient:teal-orange", path]);
  execFileSync("exiftool", ["-q", "-overwrite_original", "-GPSLatitude=45.764", "-GPSLatitudeRef=N", "-GPSLongitude=4.8357", "-GPSLongitudeRef=E", "-Make=Google", "-Model=Pixel 8", "-SerialNumber=PX8-0042", "-XMP-dc:Creator=Sam Teacher", path]);
  return path;
}

/** ExifTool's reading of `bytes`: every tag, by group. */
function exifOf(bytes) {
  const dir = mkdtempSync(join(tmpdir(), "ferry-exif-"));
  const file = join(dir, "served");
  writeFileSync(file, bytes);
  return JSON.parse(execFileSync("exiftool", ["-j", "-G", "-a", file], { encoding: "utf8" }))[0];
}

const located = (exif) => Object.keys(exif).filter((k) => /:GPS/.test(k));

async function served(id) {
  const link = await desktop.invoke("link", { id: Number(id), format: "raw", expiresSecs: null });
  const got = await fetch(link.ok.text);
  assert.equal(got.status, 200);
  return Buffer.from(await got.arrayBuffer());
}

/** Choose the course dropped files join, and wait until the drop zone says so. */
async function forCourse(name) {
  await session.waitFor('[data-testid="drop-course"]');
  await session.exec(`const s = document.querySelector('[data-testid="drop-course"]'); s.value = arguments[0]; s.dispatchEvent(new Event("change", { bubbles: true }));`, [name]);
  await session.waitFor('[data-testid="dropzone"]', { test: (t) => (name ? t.includes(`Drop files for ${name} here`) : t.includes("Drop course files or folders here")) });
}

async function type(css, text) {
  const el = await session.waitFor(css);
  await session.cmd("POST", `/element/${el}/clear`, {});
  await session.cmd("POST", `/element/${el}/value`, { text });
}

test("a dropped phone photo leaves without its location, and its row says so", async () => {
  const photo = phonePhoto("class trip.jpg");
  assert.ok(located(exifOf(execFileSync("cat", [photo]))).length > 0, "the photo is made with a position");
  await desktop.drop([photo]);
  const id = await desktop.waitRow("class trip.jpg");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  const badge = `[data-job="${id}"] [data-testid="removed"]`;
  assert.equal((await session.textOf(badge)).trim(), "Location removed");
  const title = await session.exec("return document.querySelector(arguments[0]).title;", [badge]);
  assert.match(title, /where it was taken, the camera or phone, the author/, title);
  assert.match(title, /file on your computer is unchanged/, title);
  await desktop.shot("privacy-01-location-removed");
  // More… says it in a sentence.
  await session.click(`[data-job="${id}"] button[data-action="more"]`);
  const note = await session.textOf('dialog[open] [data-testid="prepared-note"]');
  assert.match(note, /Removed before sending: where it was taken, the camera or phone, the author/, note);
  await session.click("dialog[open] .actions button:not([data-action])");
  await until("the dialog closed", async () => (await session.exec("return !document.querySelector('dialog[open]');")) || null);
  const exif = exifOf(await served(id));
  assert.deepEqual(located(exif), [], JSON.stringify(exif));
  assert.ok(!JSON.stringify(exif).includes("Pixel 8"), "no phone model");
});

test("a course set to keep the details sends the photo as it is", async () => {
  await session.click('button[data-view="courses"]');
  await session.click('[data-testid="add-course"]');
  await type('dialog[open] input[data-course-field="name"]', "Field geology");
  const help = await session.textOf("#course-metadata-help");
  assert.match(help, /removes where it was taken/, help);
  await session.click('dialog[open] input[data-course-field="keep-metadata"]');
  await session.waitFor("#course-metadata-help", { test: (t) => /sent as they are/.test(t) });
  await session.click('[data-testid="save-course"]');
  await session.waitFor('[data-course="Field geology"]');
  const saved = (await desktop.invoke("courses")).ok.find((c) => c.name === "Field geology");
  assert.equal(saved.keepMetadata, true);

  await session.click('button[data-view="queue"]');
  await forCourse("Field geology");
  const photo = phonePhoto("outcrop.jpg");
  await desktop.drop([photo]);
  const id = await desktop.waitRow("outcrop.jpg");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  assert.equal(await session.exec("return document.querySelector(arguments[0]);", [`[data-job="${id}"] [data-testid="removed"]`]), null, "nothing said removed");
  assert.ok(located(exifOf(await served(id))).length > 0, "the position went with it, as the course asks");
});

test("a document that names its author says so, and goes as it is", async () => {
  const pdf = join(desktop.work, "reading list.pdf");
  writeFileSync(pdf, "%PDF-1.4\n1 0 obj << /Title (Reading list) /Author (Ann Teacher) >> endobj\ntrailer << /Info 1 0 R >>\n%%EOF\n");
  await forCourse("");
  await desktop.drop([pdf]);
  const id = await desktop.waitRow("reading list.pdf");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  const badge = `[data-job="${id}"] [data-testid="named"]`;
  assert.equal((await session.textOf(badge)).trim(), "Names its author");
  const title = await session.exec("return document.querySelector(arguments[0]).title;", [badge]);
  assert.match(title, /names Ann Teacher\. Ferry sends documents as they are/, title);
  assert.deepEqual(Buffer.from(await served(id)), Buffer.from(readFileSync(pdf)), "sent as it is");
});

test("a panorama too wide for Images is fitted to it, and its row says so with both sizes", async () => {
  await forCourse("");
  const wide = join(desktop.work, "school panorama.png");
  execFileSync("convert", ["-size", "13000x300", "gradient:navy-gold", wide]);
  await desktop.drop([wide]);
  const id = await desktop.waitRow("school panorama.png");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 60000 });
  const job = (await desktop.invoke("jobs")).ok.find((j) => j.id === Number(id));
  assert.equal(job.destination, "images", "fitted to Images, not sent to R2");
  const badge = `[data-job="${id}"] [data-testid="fitted"]`;
  assert.equal((await session.textOf(badge)).trim(), "Fitted to Images");
  const title = await session.exec("return document.querySelector(arguments[0]).title;", [badge]);
  assert.match(title, /13000×300, \d+ KB → 12000×276, \d+ KB/, title);
  await desktop.shot("media-03-fitted");
});

test("a course that compresses its photos sends a smaller copy, and the row says how much", async () => {
  await session.click('button[data-view="courses"]');
  await session.click('[data-testid="add-course"]');
  await type('dialog[open] input[data-course-field="name"]', "Botany");
  await session.exec(`const s = document.querySelector('dialog[open] select[data-course-field="compress"]'); s.value = "80"; s.dispatchEvent(new Event("change", { bubbles: true }));`);
  assert.match(await session.textOf("#course-compress-help"), /saves a tenth or more/);
  await session.click('[data-testid="save-course"]');
  await session.waitFor('[data-course="Botany"]');
  assert.equal((await desktop.invoke("courses")).ok.find((c) => c.name === "Botany").compressQuality, 80);
  await session.click('button[data-view="queue"]');
  await forCourse("Botany");
  const photo = join(desktop.work, "leaf.jpg");
  execFileSync("convert", ["-size", "2400x1800", "plasma:teal-orange", "-quality", "100", photo]);
  await desktop.drop([photo]);
  const id = await desktop.waitRow("leaf.jpg");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 60000 });
  const badge = `[data-job="${id}"] [data-testid="compressed"]`;
  assert.equal((await session.textOf(badge)).trim(), "Compressed");
  const title = await session.exec("return document.querySelector(arguments[0]).title;", [badge]);
  assert.match(title, /2400×1800, [\d.]+ MB → 2400×1800, [\d.]+ (KB|MB)/, title);
});

test("a phone's HEIC photo goes to Images as a JPEG, and its row says so", async () => {
  await forCourse("");
  const png = join(desktop.work, "lab bench.png");
  const heic = join(desktop.work, "IMG_2041.HEIC");
  execFileSync("convert", ["-size", "120x80", "gradient:teal-orange", png]);
  execFileSync("heif-enc", ["-q", "60", png, "-o", heic]);
  execFileSync("exiftool", ["-q", "-overwrite_original", "-GPSLatitude=45.764", "-GPSLatitudeRef=N", "-Make=Apple", "-Model=iPhone 15", heic]);
  await desktop.drop([heic]);
  const id = await desktop.waitRow("IMG_2041.HEIC");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  const job = (await desktop.invoke("jobs")).ok.find((j) => j.id === Number(id));
  assert.equal(job.destination, "images", "Images takes the JPEG copy; HEIC would have gone to R2");
  const badge = `[data-job="${id}"] [data-testid="converted"]`;
  assert.equal((await session.textOf(badge)).trim(), "Sent as JPEG");
  const title = await session.exec("return document.querySelector(arguments[0]).title;", [badge]);
  assert.match(title, /most browsers cannot show.*120×80/, title);
  await desktop.shot("media-05-heic-as-jpeg");
  const bytes = await served(id);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], "Images serves a JPEG");
  const exif = exifOf(bytes);
  assert.deepEqual(located(exif), [], JSON.stringify(exif));
  assert.ok(!JSON.stringify(exif).includes("iPhone"), "no phone model");
});

test("a motion photo goes as its still, and its row says the video was left out", async () => {
  await forCourse("");
  const still = phonePhoto("PXL_0415.jpg");
  const video = join(desktop.work, "PXL_0415.mp4");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", video]);
  const motion = join(desktop.work, "PXL_0415.MP.jpg");
  const stillBytes = readFileSync(still);
  writeFileSync(motion, Buffer.concat([stillBytes, readFileSync(video)]));
  await desktop.drop([motion]);
  const id = await desktop.waitRow("PXL_0415.MP.jpg");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  const badge = `[data-job="${id}"] [data-testid="still-only"]`;
  assert.equal((await session.textOf(badge)).trim(), "Still only");
  const title = await session.exec("return document.querySelector(arguments[0]).title;", [badge]);
  assert.match(title, /saved \d+ KB of video inside it, which was left out/, title);
  const sent = await served(id);
  assert.ok(sent.length <= stillBytes.length, `only the still was sent: ${sent.length} > ${stillBytes.length}`);
  assert.ok(!sent.includes(Buffer.from("ftyp")), "no video in what was sent");
});

test("a Live Photo's video in a dropped folder is left out, and the window says so", async () => {
  await forCourse("");
  const folder = join(desktop.work, "Trip photos");
  execFileSync("mkdir", ["-p", folder]);
  const png = join(desktop.work, "trip.png");
  execFileSync("convert", ["-size", "120x80", "gradient:navy-gold", png]);
  execFileSync("heif-enc", ["-q", "60", png, "-o", join(folder, "IMG_3001.HEIC")]);
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mov", join(folder, "IMG_3001.MOV")]);
  await desktop.drop([folder]);
  await session.waitFor(".toasts", { test: (t) => t.includes("IMG_3001.MOV") && t.includes("the moving part of the Live Photo IMG_3001.HEIC"), timeoutMs: 20000 });
  const id = await desktop.waitRow("IMG_3001.HEIC");
  await session.waitFor(`[data-job="${id}"] .state[data-state="done"]`, { timeoutMs: 30000 });
  const names = (await desktop.invoke("jobs")).ok.map((j) => j.name);
  assert.ok(!names.includes("IMG_3001.MOV"), `the Live Photo's video was not queued: ${names}`);
});

function lecture(name, seconds) {
  const path = join(desktop.work, name);
  execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc=duration=${seconds}:size=320x240:rate=5`, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path]);
  return path;
}

test("a course's longest video refuses a longer one before sending; a shorter one shows its length", async () => {
  await session.click('button[data-view="courses"]');
  await session.click('[data-testid="add-course"]');
  await type('dialog[open] input[data-course-field="name"]', "Micro lessons");
  await type('dialog[open] input[data-course-field="max-video-minutes"]', "1");
  const help = await session.textOf("#course-max-video-help");
  assert.match(help, /refused before it is sent/, help);
  await session.click('[data-testid="save-course"]');
  await session.waitFor('[data-course="Micro lessons"]');
  assert.equal((await desktop.invoke("courses")).ok.find((c) => c.name === "Micro lessons").maxVideoMinutes, 1);

  await session.click('button[data-view="queue"]');
  await forCourse("Micro lessons");
  const long = lecture("Guest talk.mp4", 75);
  const short = lecture("Warm-up.mp4", 20);
  await desktop.drop([long, short]);
  const refused = await desktop.waitRow("Guest talk.mp4");
  await session.waitFor(`[data-job="${refused}"] .state[data-state="failed"]`, { timeoutMs: 30000 }).catch(async (e) => {
    const job = (await desktop.invoke("jobs")).ok.find((j) => j.id === Number(refused));
    throw new Error(`${e.message}; the core has ${JSON.stringify(job)}; the log ends:\n${desktop.logTail(15)}`);
  });
  const why = await session.textOf(`[data-job="${refused}"] .error`);
  assert.match(why, /lasts 1 min 15 s; the course "Micro lessons" takes videos of at most 1 min/, why);
  const ok = await desktop.waitRow("Warm-up.mp4");
  await session.waitFor(`[data-job="${ok}"] .state[data-state="done"]`, { timeoutMs: 60000 });
  assert.equal(await session.textOf(`[data-job="${ok}"] [data-testid="video-facts"]`), "20 s · 320×240 · H.264");
  await desktop.shot("media-02-video-limit");
});
