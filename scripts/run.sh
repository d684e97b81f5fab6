#!/usr/bin/env bash
# Run Ferry. Until the desktop window lands, this is a guided demo of the `ferry` command:
# with no cloud account configured it starts a local S3 server (rclone serve s3), uploads a
# small sample course to it, and prints the URLs to paste. With R2/S3 variables set, it
# uploads the sample course there instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
cargo build --quiet --release -p ferry-cli
ferry=target/release/ferry

work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
course="$work/Intro to Botany"
mkdir -p "$course/Week 1" "$course/Week 2"
printf '%%PDF-1.4\n%% Syllabus\n' >"$course/syllabus.pdf"
printf 'Read chapter 1 and bring a leaf.\n' >"$course/Week 1/reading list.txt"
head -c 12000000 /dev/urandom >"$course/Week 2/lecture recording.mp4"

if [ -z "${CLOUDFLARE_R2_BUCKET_NAME:-}${S3_BUCKET_NAME:-}" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$work/s3/demo-course-media"
  rclone serve s3 --auth-key demoaccesskey,demosecretkey --addr "127.0.0.1:$port" --config /dev/null "$work/s3" 2>/dev/null &
  server_pid=$!
  export AWS_ACCESS_KEY_ID=demoaccesskey AWS_SECRET_ACCESS_KEY=demosecretkey AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" S3_BUCKET_NAME=demo-course-media
  export FERRY_HOME="$work/ferry-home"
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  echo "No cloud account configured: using a local S3 server at $AWS_ENDPOINT_URL (bucket $S3_BUCKET_NAME)."
fi

echo
echo "\$ ferry upload --prefix \"Spring 2027\" \"$course\""
"$ferry" upload --prefix "Spring 2027" "$course"
echo
echo "\$ ferry status"
"$ferry" status
echo
echo "\$ ferry url \"$course/syllabus.pdf\" --format markdown"
"$ferry" url "$course/syllabus.pdf" --format markdown
echo
url=$("$ferry" url "$course/Week 1/reading list.txt")
echo "Fetching the reading list back through its URL:"
curl -fsS "$url"
echo
echo "Done. Try it on your own files: $ferry upload --to s3 PATH..."
