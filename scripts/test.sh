#!/usr/bin/env bash
# Install everything needed, then run every check and test: formatting, clippy, unit tests and
# the end-to-end tests against real local servers (rclone serve s3, moto, @tus/server, ferry-cloudsim, GNOME Keyring's Secret Service).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
# The desktop package has no tests of its own yet; clippy above still checks it compiles.
# Inside a private D-Bus session with an unlocked GNOME Keyring, so the keychain tests use a
# real Secret Service (scripts/with-keyring.sh).
scripts/with-keyring.sh cargo test --locked -p ferry-core -p ferry-tus -p ferry-cloudsim -p ferry-cli -p ferry-e2e
