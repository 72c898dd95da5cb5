#!/usr/bin/env bash
# The whole test suite: installs what is missing, starts a JACK dummy server of its own, runs the
# Zig, Bun and Deno suites, stops the server, and prints "N passed, N failed" as its last line.
# Extra arguments are passed to `bun test` and `deno test` (e.g. a file filter).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source .ci/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

export JACK_DEFAULT_SERVER="rtmixer-test-$$-$RANDOM"
reports="$(mktemp -d)"
cleanup() { .ci/jack.sh stop "$JACK_DEFAULT_SERVER"; rm -rf "$reports"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
.ci/jack.sh start "$JACK_DEFAULT_SERVER" 48000 256 >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

echo "== Zig"
zig_out="$("$ZIG" build test --summary all 2>&1)"; zig_status=$?
echo "$zig_out" | tail -n 20
if [[ "$zig_out" =~ ([0-9]+)/([0-9]+)\ tests\ passed ]]; then
  add "${BASH_REMATCH[1]}" $((BASH_REMATCH[2] - BASH_REMATCH[1]))
elif [ $zig_status -ne 0 ]; then add 0 1; fi
[ $zig_status -ne 0 ] && [ "$failed" -eq 0 ] && add 0 1

echo "== Bun"
"$BUN" test --reporter=junit --reporter-outfile="$reports/bun.xml" "$@"
bun_status=$?
read -r p f < <(node .ci/junit-count.mjs "$reports/bun.xml"); add "$p" "$f"
[ $bun_status -ne 0 ] && [ "$f" -eq 0 ] && add 0 1

echo "== Deno"
"$DENO" test --allow-all --v8-flags=--expose-gc --junit-path="$reports/deno.xml" "$@"
deno_status=$?
read -r p f < <(node .ci/junit-count.mjs "$reports/deno.xml"); add "$p" "$f"
[ $deno_status -ne 0 ] && [ "$f" -eq 0 ] && add 0 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
