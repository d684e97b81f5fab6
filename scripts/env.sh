# Sourced by the other scripts: put the project's tools on PATH.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.tools/venv/bin:$HOME/.cargo/bin:$PATH"
