//! The smallest Tauri 2 window: one static page and nothing else, for `bench/desktop_bench.mjs
//! --floor` to measure what any Tauri app costs on this machine (cold start, private memory).

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the floor window runs");
}
