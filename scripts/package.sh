#!/usr/bin/env bash
# Build the release installers: a .deb, and an .AppImage where the machine may download
# Tauri's AppImage tools (AppRun and linuxdeploy come from GitHub; without that access only the
# .deb is built, and this says so). Bundles land in target/release/bundle/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
(cd ui && npm run --silent build)
# The Tauri CLI is pinned: ^2 resolves to a version whose optional packages the registry lacks.
tauri=(npx --yes @tauri-apps/cli@2.12.3)
"${tauri[@]}" build --bundles deb
if ! "${tauri[@]}" build --bundles appimage; then
  echo "No .AppImage: its tools could not be downloaded from GitHub. The .deb is built." >&2
fi
ls -l target/release/bundle/*/
