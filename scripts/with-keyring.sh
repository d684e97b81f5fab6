#!/usr/bin/env bash
# Run a command with a real, unlocked OS keychain: a private D-Bus session with GNOME Keyring's
# Secret Service, its keyrings in a temporary folder (so tests never touch the user's own).
#   scripts/with-keyring.sh cargo test -p ferry-e2e --test keychain
set -euo pipefail
command -v gnome-keyring-daemon >/dev/null && command -v dbus-run-session >/dev/null || {
  echo "with-keyring: gnome-keyring and dbus are needed (scripts/setup.sh --test installs them)" >&2
  exit 2
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/data" "$dir/run"
chmod 700 "$dir/run"
export XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run"
status=0
dbus-run-session -- sh -c '
  # In the foreground (in the background of this shell) so that it ends with the session.
  echo -n ferry-test-keyring | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
  keyring=$!
  for _ in $(seq 50); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break
    sleep 0.1
  done
  status=0
  "$@" || status=$?
  kill "$keyring" 2>/dev/null
  exit "$status"' with-keyring "$@" || status=$?
exit "$status"
