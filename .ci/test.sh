#!/usr/bin/env bash
# The whole test suite: installs what is missing, starts a JACK dummy server of its own, runs the
# Zig, Bun and Deno suites, then the linux-arm64 ones under qemu (.ci/arm64.sh), stops the server,
# and prints "N passed, N failed" as its last line.
# Extra arguments are passed to `bun test` and `deno test` (e.g. a file filter).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source .ci/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
set +e # setup.sh runs with -e; from here on a failing suite must not end the script

export JACK_DEFAULT_SERVER="rtmixer-test-$$-$RANDOM"
reports="$(mktemp -d)"
cleanup() { .ci/jack.sh stop "$JACK_DEFAULT_SERVER"; rm -rf "$reports"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
JACK_REALTIME=1 .ci/jack.sh start "$JACK_DEFAULT_SERVER" 48000 256 >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

echo "== Zig"
# The test binary is run directly (not through `zig build test`, whose summary is cached away)
# so that its own closing line gives the counts.
if "$ZIG" build test-bin; then
  zig_out="$(./zig-out/bin/rtmixer-tests 2>&1)"; zig_status=$?
  echo "$zig_out" | grep -v '\.\.\.OK$' | tail -n 40
  if [[ "$zig_out" =~ All\ ([0-9]+)\ tests\ passed ]]; then
    add "${BASH_REMATCH[1]}" 0
  elif [[ "$zig_out" =~ ([0-9]+)\ passed\;\ ([0-9]+)\ skipped\;\ ([0-9]+)\ failed ]]; then
    add "${BASH_REMATCH[1]}" $((BASH_REMATCH[3] + BASH_REMATCH[2]))
  else
    add 0 1
  fi
  [ $zig_status -ne 0 ] && [[ ! "$zig_out" =~ [1-9][0-9]*\ failed ]] && add 0 1
else
  echo "the Zig tests did not compile"; add 0 1
fi

echo "== Zig under the thread sanitizer"
# The same tests built with -fsanitize-thread: the threaded ring buffer test shows TSan every
# cross-thread access of the lock-free protocol. Counted as one test (its build is cached).
if tsan_out="$("$ZIG" build test -Dtsan=true 2>&1)"; then
  add 1 0
else
  echo "$tsan_out" | tail -n 40; add 0 1
fi

echo "== Bun"
"$BUN" test --timeout 120000 --reporter=junit --reporter-outfile="$reports/bun.xml" "$@"
bun_status=$?
read -r p f < <(node .ci/junit-count.mjs "$reports/bun.xml"); add "$p" "$f"
[ $bun_status -ne 0 ] && [ "$f" -eq 0 ] && add 0 1

echo "== Deno"
"$DENO" test --allow-all --v8-flags=--expose-gc --junit-path="$reports/deno.xml" "$@"
deno_status=$?
read -r p f < <(node .ci/junit-count.mjs "$reports/deno.xml"); add "$p" "$f"
[ $deno_status -ne 0 ] && [ "$f" -eq 0 ] && add 0 1

echo "== Bun against the library built with Zig's safety checks (-Doptimize=safe)"
# The same suite once more, on a build where every out-of-bounds access, bad cast, integer
# overflow or misaligned pointer in the native code panics with a trace instead of corrupting
# memory. Child processes inherit RTMIXER_LIB, so examples and benchmarks run on it too.
if "$ZIG" build -Doptimize=safe -p zig-out/safe; then
  RTMIXER_LIB="$ROOT/zig-out/safe/lib/librtmixer.so" \
    "$BUN" test --timeout 120000 --reporter=junit --reporter-outfile="$reports/bun-safe.xml" "$@"
  safe_status=$?
  read -r p f < <(node .ci/junit-count.mjs "$reports/bun-safe.xml"); add "$p" "$f"
  [ $safe_status -ne 0 ] && [ "$f" -eq 0 ] && add 0 1
else
  echo "the safety-checked library did not build"; add 0 1
fi

echo "== linux-arm64 under qemu-user (.ci/arm64.sh)"
# The Zig tests built for aarch64, and the arm64 library driven by arm64 Bun and Deno on an arm64
# JACK server, all emulated: 1.3-2 min warm, plus about 75 s of setup and cold build on a fresh
# machine (README, Platforms). Its last line gives its counts.
arm64_out="$(ZIG="$ZIG" bash .ci/arm64.sh 2>&1)"; arm64_status=$?
echo "$arm64_out" | sed '$d' | tail -n 60
if [[ "$(echo "$arm64_out" | tail -n 1)" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  add "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  [ $arm64_status -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ] && add 0 1
else
  add 0 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
