#!/usr/bin/env bash
# The README's demo command: installs what is missing, then runs the demo under Bun.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source .ci/setup.sh
exec "$BUN" examples/demo.ts "$@"
