#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the demo on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/cli/hatang.js demo "$@"
