#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs the Zig tests, the thread-sanitizer
# build, and three passes of the TypeScript suite (Bun, Deno, and Bun against the library built
# with -Doptimize=safe), then the linux-arm64 ones under qemu (.ci/arm64.sh), and prints
# "N passed, N failed" as its last line.
# Extra arguments are passed to `bun test` and `deno test` (e.g. a file filter).
#
# Most of a pass is spent waiting on real-time audio, not computing (the Bun pass: about 80 s of
# CPU in 210 s), so the three passes run at the same time, each on a JACK dummy server of its own,
# with the builds beside them (thread sanitizer and arm64 niced); .ci/pass.sh keeps the few test
# files that touch shared state one pass at a time. Each job writes to files of its own; the
# outputs are printed one after the other once every job is done, in the order below, each
# heading with the job's wall time.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source .ci/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
set +e # setup.sh runs with -e; from here on a failing suite must not end the script
echo "== setup ($SECONDS s)"

run_id="rtmixer-test-$$-$RANDOM"
reports="$(mktemp -d)"
servers=()
jobs_started=()
cleanup() {
  # Each job runs in a session of its own (setsid): this ends it with every process it started.
  for pid in "${jobs_started[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
  for server in "${servers[@]}"; do .ci/jack.sh stop "$server"; done
  rm -rf "$reports"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for pass in bun deno safe; do
  servers+=("$run_id-$pass")
  JACK_REALTIME=1 .ci/jack.sh start "$run_id-$pass" 48000 256 >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
done
export RTMIXER_CI_LOCK="$reports/exclusive.lock"
# At most 3 + 2 JACK servers of this run at once (of the 8 a machine has room for): one demo
# server at a time (.ci/demo.sh), and one of faults.test.ts or the benchmarks at a time (pass.sh).
export RTMIXER_CI_DEMO_LOCK="$reports/demo.lock"

# job NAME COMMAND...: runs COMMAND in the background in a session of its own; its output goes to
# $reports/NAME.out, its exit status to $reports/NAME.rc, its wall time to $reports/NAME.time.
job() {
  local name="$1"; shift
  setsid bash -c 'start=$SECONDS; "$@" >"$0.out" 2>&1; echo $? >"$0.rc"; echo $((SECONDS - start)) >"$0.time"' \
    "$reports/$name" "$@" </dev/null &
  jobs_started+=($!)
}
t0=$SECONDS
# The Bun pass against the library built with Zig's safety checks waits for that build, so it
# builds first, at the test passes' priority; the thread sanitizer's and arm64's builds start once
# it is done (they would slow it down, and hold Zig's global cache while it waits for a runtime
# they compile too), niced below the passes, which have real-time audio to keep up with.
# The safe pass runs the same suite once more, on a build where every out-of-bounds access, bad
# cast, integer overflow or misaligned pointer in the native code panics with a trace instead of
# corrupting memory. Child processes inherit RTMIXER_LIB, so examples and benchmarks run on it too.
job safe bash -c '"$1" build -Doptimize=safe -p zig-out/safe; built=$?; touch "$4/safe.built"
  [ $built = 0 ] || { echo "the safety-checked library did not build"; exit 1; }
  JACK_DEFAULT_SERVER="$2" RTMIXER_LIB="$3/zig-out/safe/lib/librtmixer.so" bash .ci/pass.sh bun "$4/safe" first "${@:5}"' \
  _ "$ZIG" "$run_id-safe" "$ROOT" "$reports" "$@"
job bun env JACK_DEFAULT_SERVER="$run_id-bun" bash .ci/pass.sh bun "$reports/bun" last "$@"
job deno env JACK_DEFAULT_SERVER="$run_id-deno" bash .ci/pass.sh deno "$reports/deno" last "$@"
after_safe_build=(bash -c 'until [ -e "$0/safe.built" ]; do sleep 1; done; exec "$@"' "$reports")
job tsan "${after_safe_build[@]}" nice -n 15 "$ZIG" build test -Dtsan=true
job arm64 "${after_safe_build[@]}" env ZIG="$ZIG" nice -n 15 bash .ci/arm64.sh

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

wait
jobs_started=() # all reaped: their ids may belong to other processes from now on
took() { echo "($(cat "$reports/$1.time" 2>/dev/null || echo "?") s)"; }

echo "== Zig under the thread sanitizer $(took tsan)"
# The same tests built with -fsanitize-thread: the threaded ring buffer test shows TSan every
# cross-thread access of the lock-free protocol. Counted as one test (its build is cached).
if [ "$(cat "$reports/tsan.rc")" = 0 ]; then
  add 1 0
else
  tail -n 40 "$reports/tsan.out"; add 0 1
fi

# count_pass NAME: the JUnit reports and exit statuses of one .ci/pass.sh run.
count_pass() {
  cat "$reports/$1.out" "$reports/$1.log" 2>/dev/null
  local n=0 p f status
  for status in "$reports/$1"-*.status; do
    [ -f "$status" ] || continue
    n=$((n + 1))
    read -r p f < <(node .ci/junit-count.mjs "${status%.status}.xml"); add "$p" "$f"
    [ "$(cat "$status")" -ne 0 ] && [ "$f" -eq 0 ] && add 0 1
  done
  # No run at all (the pass or its build failed before the runner started) is a failure.
  if [ $n -eq 0 ] || [ "$(cat "$reports/$1.rc" 2>/dev/null)" != 0 ]; then add 0 1; fi
}

echo "== Bun $(took bun)"
count_pass bun
echo "== Deno $(took deno)"
count_pass deno
echo "== Bun against the library built with Zig's safety checks (-Doptimize=safe) $(took safe)"
count_pass safe

echo "== linux-arm64 under qemu-user (.ci/arm64.sh) $(took arm64)"
# The Zig tests built for aarch64, and the arm64 library driven by arm64 Bun and Deno on an arm64
# JACK server, all emulated (README, Platforms). Its last line gives its counts.
arm64_out="$(cat "$reports/arm64.out")"; arm64_status="$(cat "$reports/arm64.rc" 2>/dev/null || echo 1)"
echo "$arm64_out" | sed '$d' | tail -n 60
if [[ "$(echo "$arm64_out" | tail -n 1)" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  add "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  [ "$arm64_status" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ] && add 0 1
else
  add 0 1
fi

echo "== all jobs took $((SECONDS - t0)) s after setup"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
