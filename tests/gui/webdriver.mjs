// A small W3C WebDriver client over fetch: enough to drive the real Ferry window through
// tauri-driver (which fronts WebKitWebDriver). No dependencies, so the GUI tests install nothing.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application) {
    const body = { capabilities: { alwaysMatch: { "tauri:options": { application } } } };
    const r = await fetch(`${base}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = await r.json();
    if (!r.ok) throw new Error(`new session: ${JSON.stringify(json)}`);
    return new Session(base, json.value.sessionId);
  }

  async cmd(method, path, body) {
    const r = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60000),
    });
    const json = await r.json();
    if (!r.ok) {
      const e = new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
      e.webdriver = json.value?.error;
      throw e;
    }
    return json.value;
  }

  async find(css) {
    const found = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return found[ELEMENT];
  }

  async findAll(css) {
    const found = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return found.map((e) => e[ELEMENT]);
  }

  async click(css) {
    const el = await this.waitFor(css);
    // Into view first: WebKitWebDriver does not scroll a scrolling box (the main view) for us.
    await this.exec("arguments[0].scrollIntoView({ block: 'center' });", [{ [ELEMENT]: el }]);
    await this.cmd("POST", `/element/${el}/click`, {});
  }

  async text(css) {
    const el = await this.find(css);
    return this.cmd("GET", `/element/${el}/text`);
  }

  /** The element's text content (rendered or not: WebKitWebDriver reports clipped text as ""). */
  async textOf(css) {
    return this.exec("return document.querySelector(arguments[0])?.textContent ?? null;", [css]);
  }

  async exec(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  async execAsync(script, args = []) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  /** Wait until `css` matches an element (and `test(text)` holds, when given). */
  async waitFor(css, { timeoutMs = 20000, test } = {}) {
    const until = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      try {
        const el = await this.find(css);
        if (!test) return el;
        last = await this.cmd("GET", `/element/${el}/text`);
        if (test(last)) return el;
      } catch (e) {
        if (e.webdriver !== "no such element" && e.webdriver !== "stale element reference") throw e;
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${css}${test ? ` (last text: ${JSON.stringify(last)})` : ""}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Press and release `key` (a WebDriver key code such as "\uE007" for Enter) on whatever has the focus. */
  async press(key) {
    await this.cmd("POST", "/actions", {
      actions: [{ type: "key", id: "keyboard", actions: [{ type: "keyDown", value: key }, { type: "keyUp", value: key }] }],
    });
  }

  /** The text of the focused element. */
  async focusedText() {
    return this.exec("return document.activeElement?.textContent?.trim() ?? null;");
  }

  /** A PNG of the window, after two animation frames so the last click has painted. */
  async screenshot() {
    await this.execAsync("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));");
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  async end() {
    await fetch(`${this.base}/session/${this.id}`, { method: "DELETE" }).catch(() => {});
  }
}
