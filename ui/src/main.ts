import { mount } from "svelte";
import App from "./App.svelte";
import { app as state } from "./lib/store.svelte";
import "./app.css";

// For bench/desktop_bench.mjs: where a start goes, from the page's own clock.
performance.mark?.("ferry:script");
// The core is asked for the window's state before the first render, not after it: the
// answers come back while the page lays itself out.
void state.init();
const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
const app = mount(App, { target });
performance.mark?.("ferry:mounted");
// The first frame: a frame callback runs before its paint, a task queued from it after.
requestAnimationFrame(() => setTimeout(() => performance.mark?.("ferry:painted")));
export default app;
