#!/usr/bin/env bash
# Install everything needed, then run every check and test: formatting, clippy, the UI's type
# check, lint and unit tests, unit tests, the end-to-end tests against real local servers
# (rclone serve s3, moto, @tus/server, ferry-cloudsim, GNOME Keyring's Secret Service), the UI
# flows in headless Chromium with mocked IPC, and the real desktop window under Xvfb through
# tauri-driver. Screenshots land in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== UI: type check, lint, unit tests, build"
# The desktop binary embeds ui/dist, so the UI is built before anything compiles the shell.
(cd ui && npm run --silent check && npm run --silent lint && npm run --silent test && npm run --silent build)
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
# Inside a private D-Bus session with an unlocked GNOME Keyring, so the keychain tests use a
# real Secret Service (scripts/with-keyring.sh).
scripts/with-keyring.sh cargo test --locked -p ferry-core -p ferry-tus -p ferry-cloudsim -p ferry-cli -p ferry-e2e -p ferry-desktop
echo "== UI flows (headless Chromium, mocked IPC)"
(cd ui && npm run --silent mocks && npm run --silent flows)
echo "== desktop window end to end (Xvfb, tauri-driver, ferry-cloudsim, GNOME Keyring)"
cargo build --locked -p ferry-desktop -p ferry-cloudsim
# Inside a keyring session too, so accounts added through the window's form reach a real keychain.
scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" node --test --test-concurrency=1 tests/gui/
echo "== all tests passed"
