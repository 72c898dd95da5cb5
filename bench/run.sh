#!/usr/bin/env bash
# Runs every benchmark (bench/*.ts; files starting with _ are helpers) under Bun, then Deno.
# Arguments are passed through to each benchmark: --smoke runs tiny rounds to check that the
# benchmarks still work, and writes no results.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source .ci/setup.sh # exports BUN, DENO, ZIG and builds the library

# The accuracy and JS-load benchmarks play through a JACK dummy server of their own, with
# realtime scheduling where the machine allows it (as on a real audio machine).
export JACK_DEFAULT_SERVER="rtmixer-bench-$$"
trap '.ci/jack.sh stop "$JACK_DEFAULT_SERVER"' EXIT
JACK_REALTIME=1 .ci/jack.sh start "$JACK_DEFAULT_SERVER" 48000 256 >/dev/null

for file in bench/*.ts; do
  case "$(basename "$file")" in _*) continue ;; esac
  echo "== $file: Bun"
  "$BUN" "$file" "$@"
  echo
  echo "== $file: Deno"
  # --expose-gc: bench/memory.ts forces garbage collection between its readings.
  "$DENO" run -A --v8-flags=--expose-gc "$file" "$@"
  echo
done
