#!/usr/bin/env bash
# The command-line demo: with no cloud account configured it starts ferry-cloudsim, the local
# Cloudflare (Images, Stream and an R2 bucket, all on 127.0.0.1), uploads a small sample course
# to it (a PDF, a reading list, a cover image and a lecture video) with `ferry upload`, and prints
# the URLs to paste; they open in a browser while the demo runs. With Cloudflare, R2 or S3
# variables set, it uploads there instead. scripts/run.sh falls back to it without a display.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
cargo build --quiet --release -p ferry-cli -p ferry-cloudsim
ferry=target/release/ferry

work=$(mktemp -d)
trap 'kill "${sim_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
course="$work/Intro to Botany"
python3 scripts/sample-course.py "$course"

if [ -z "${CLOUDFLARE_API_TOKEN:-}${CLOUDFLARE_R2_BUCKET_NAME:-}${S3_BUCKET_NAME:-}" ]; then
  token="demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  FERRY_SIM_TOKENS="$token" FERRY_SIM_R2_KEYS="demoaccesskey,demosecretkey0123456789" \
    target/release/ferry-cloudsim --data "$work/cloud" --r2-bucket demo-course-media --processing-ms 2000 \
    >"$work/cloudsim.json" 2>"$work/cloudsim.log" &
  sim_pid=$!
  for _ in $(seq 100); do [ -s "$work/cloudsim.json" ] && break; sleep 0.1; done
  read -r api r2 < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["api"], d["r2_endpoint"])' "$work/cloudsim.json")
  export CLOUDFLARE_ACCOUNT_ID=0123456789abcdef0123456789abcdef CLOUDFLARE_API_TOKEN="$token" CLOUDFLARE_API_BASE_URL="$api"
  export CLOUDFLARE_R2_ENDPOINT="$r2" CLOUDFLARE_R2_ACCESS_KEY_ID=demoaccesskey CLOUDFLARE_R2_SECRET_ACCESS_KEY=demosecretkey0123456789
  export CLOUDFLARE_R2_BUCKET_NAME=demo-course-media FERRY_HOME="$work/ferry-home"
  echo "No cloud account configured: using ferry-cloudsim, a local Cloudflare at ${api%/client/v4}"
  echo "(Images and Stream API, R2 bucket at $r2)."
fi

echo
echo "\$ ferry check"
"$ferry" check || true
echo
echo "\$ ferry upload --prefix \"Spring 2027\" \"$course\""
"$ferry" upload --prefix "Spring 2027" "$course"
echo
echo "\$ ferry status"
"$ferry" status
echo
echo "\$ ferry url \"$course/cover.png\" --format markdown"
"$ferry" url "$course/cover.png" --format markdown
echo "\$ ferry url \"$course/Week 2/lecture recording.mp4\" --format iframe"
"$ferry" url "$course/Week 2/lecture recording.mp4" --format iframe
echo
url=$("$ferry" url "$course/Week 1/reading list.txt")
echo "Fetching the reading list back through its URL:"
curl -fsS "$url"
echo
if [ -n "${sim_pid:-}" ] && [ -t 0 ]; then
  read -r -p "The URLs above open in a browser while the local cloud runs. Press Enter to stop it. " _
fi
echo "Done. Try it on your own files: $ferry upload PATH..."
