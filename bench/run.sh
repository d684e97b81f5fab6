#!/usr/bin/env bash
# Install the peers (rclone, s5cmd, aws CLI) and run the S3 benchmark. Arguments go to
# s3_bench.py (--quick, --repeat N, --skip-10g).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh
exec python3 bench/s3_bench.py "$@"
