#!/usr/bin/env bash
# Run the Ferry desktop app. With no cloud account configured (no Cloudflare, R2 or S3 variables
# in the environment and no account saved with `ferry account add`), it first starts
# ferry-cloudsim, the local Cloudflare (Images, Stream and an R2 bucket, all on 127.0.0.1), points
# the app at it and writes a sample course next to it: drop those files on the window and copy
# their links. Without a display it runs the command-line demo (scripts/demo-cli.sh) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: running the command-line demo instead (scripts/demo-cli.sh)."
  exec scripts/demo-cli.sh
fi
scripts/setup.sh
source scripts/env.sh
(cd ui && npm run --silent build)
echo "Building Ferry (the first build takes a few minutes)…"
cargo build --quiet --release -p ferry-desktop -p ferry-cli -p ferry-cloudsim

if [ -z "${CLOUDFLARE_API_TOKEN:-}${CLOUDFLARE_R2_BUCKET_NAME:-}${S3_BUCKET_NAME:-}" ] &&
  ! target/release/ferry account list 2>/dev/null | grep -q .; then
  demo="${XDG_DATA_HOME:-$HOME/.local/share}/ferry-demo"
  # A fresh demo cloud each time, so a fresh queue too.
  rm -rf "$demo/cloud" "$demo/home"
  mkdir -p "$demo"
  [ -d "$demo/Sample course" ] || python3 scripts/sample-course.py "$demo/Sample course"
  token="demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  FERRY_SIM_TOKENS="$token" FERRY_SIM_R2_KEYS="demoaccesskey,demosecretkey0123456789" \
    target/release/ferry-cloudsim --data "$demo/cloud" --r2-bucket demo-course-media --processing-ms 2000 \
    >"$demo/cloudsim.json" 2>"$demo/cloudsim.log" &
  sim_pid=$!
  trap 'kill "$sim_pid" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -s "$demo/cloudsim.json" ] && break; sleep 0.1; done
  read -r api r2 < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["api"], d["r2_endpoint"])' "$demo/cloudsim.json")
  export CLOUDFLARE_ACCOUNT_ID=0123456789abcdef0123456789abcdef CLOUDFLARE_API_TOKEN="$token" CLOUDFLARE_API_BASE_URL="$api"
  export CLOUDFLARE_R2_ENDPOINT="$r2" CLOUDFLARE_R2_ACCESS_KEY_ID=demoaccesskey CLOUDFLARE_R2_SECRET_ACCESS_KEY=demosecretkey0123456789
  export CLOUDFLARE_R2_BUCKET_NAME=demo-course-media FERRY_HOME="$demo/home" FERRY_DEMO=1
  echo "No cloud account configured: Ferry runs against ferry-cloudsim, a local Cloudflare at ${api%/client/v4}."
  echo "Drop the files of \"$demo/Sample course\" on the window, then copy their links."
fi
target/release/ferry-desktop
