#!/usr/bin/env bash
# The whole test suite: installs what is missing, runs the Zig tests, then side by side the Bun
# suite, the Deno suite, the Bun suite on the safety-checked library (each beside a JACK dummy
# server of its own, .ci/isolated.sh) and the linux-arm64 job under qemu (.ci/arm64.sh), and
# prints "N passed, N failed" as its last line.
# Extra arguments are passed to `bun test` and `deno test` (e.g. a file filter).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source .ci/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
set +e # setup.sh runs with -e; from here on a failing suite must not end the script

reports="$(mktemp -d)"
jobs_running=()
# A suite still running when this script ends (Ctrl-C) is stopped with its whole process group;
# .ci/isolated.sh then stops its JACK server.
stop_jobs() { for pid in "${jobs_running[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done; wait; }
trap 'stop_jobs; rm -rf "$reports"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# The JavaScript suites run through .ci/isolated.sh, each beside a JACK dummy server of its own
# that no other suite can meet, so they and the arm64 job (in a namespace of its own) run side by
# side. The suites mostly wait on the audio clock (each keeps about half a core busy): together
# they take about as long as the slowest alone (about 200 s against 545 s one after another, on
# 2 cores).
start_job() { # NAME COMMAND...: in the background; output in $reports/NAME.log, exit status in NAME.status
  # setsid: a process group of its own, which stop_jobs can signal as a whole.
  setsid bash -c '"${@:2}" >"$1.log" 2>&1; echo $? >"$1.status"' _ "$reports/$1" "${@:2}" &
  jobs_running+=($!)
}
status_of() { cat "$reports/$1.status" 2>/dev/null || echo 1; }
# Prints a suite's output under HEADING and counts its junit report (one failure more when the
# runner failed and the report shows none: a crash, or a file that did not load).
report_suite() { # NAME HEADING
  echo "== $2"
  cat "$reports/$1.log"
  local p=0 f=1
  [ -f "$reports/$1.xml" ] && read -r p f < <(node .ci/junit-count.mjs "$reports/$1.xml")
  add "$p" "$f"
  [ "$(status_of "$1")" -ne 0 ] && [ "$f" -eq 0 ] && add 0 1
  return 0
}

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

# The Bun suite once more, on a build where every out-of-bounds access, bad cast, integer overflow
# or misaligned pointer in the native code panics with a trace instead of corrupting memory.
# Child processes inherit RTMIXER_LIB, so examples and benchmarks run on it too. Left out:
# distribution.test.ts, whose packages load the release build, never RTMIXER_LIB. The build (45 s
# cold on 2 cores) runs in that suite's turn, beside the other suites, not before them.
safe_files=()
for file in tests/*.test.ts; do [ "$file" = tests/distribution.test.ts ] || safe_files+=("$file"); done
[ $# -gt 0 ] && safe_files=("$@")

side_by_side=$SECONDS
start_job bun .ci/isolated.sh "$BUN" test --timeout 120000 --reporter=junit --reporter-outfile="$reports/bun.xml" "$@"
start_job deno .ci/isolated.sh "$DENO" test --allow-all --v8-flags=--expose-gc --junit-path="$reports/deno.xml" "$@"
start_job bun-safe .ci/isolated.sh bash -c '"$ZIG" build -Doptimize=safe -p zig-out/safe || exit
  RTMIXER_LIB="$PWD/zig-out/safe/lib/librtmixer.so" exec "$@"' _ \
  "$BUN" test --timeout 120000 --reporter=junit --reporter-outfile="$reports/bun-safe.xml" "${safe_files[@]}"
start_job arm64 bash .ci/arm64.sh
wait "${jobs_running[@]}"
jobs_running=() # all ended: nothing for stop_jobs to signal
echo "(the suites below ran side by side: $((SECONDS - side_by_side)) s)"
report_suite bun "Bun"
report_suite deno "Deno"
report_suite bun-safe "Bun against the library built with Zig's safety checks (-Doptimize=safe)"

echo "== linux-arm64 under qemu-user (.ci/arm64.sh)"
# The Zig tests built for aarch64, and the arm64 library driven by arm64 Bun and Deno on an arm64
# JACK server, all emulated, in a mount namespace of its own (README, Platforms). Its last line
# gives its counts.
sed '$d' "$reports/arm64.log" | tail -n 60
arm64_status="$(status_of arm64)"
if [[ "$(tail -n 1 "$reports/arm64.log")" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  add "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  [ "$arm64_status" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ] && add 0 1
else
  add 0 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
