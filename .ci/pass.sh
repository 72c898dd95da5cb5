#!/usr/bin/env bash
# One pass of the TypeScript suite under one runtime, as .ci/test.sh runs several at once (each
# on a JACK server of its own, JACK_DEFAULT_SERVER set by the caller):
#   .ci/pass.sh bun|deno OUT first|last [test arguments...]
# Everything the runner prints goes to OUT.log; each run of the runner leaves OUT-<n>.xml (its
# JUnit report) and OUT-<n>.status (its exit status), which .ci/test.sh counts.
#
# Passes share this checkout and this machine, so the files that touch what other passes use run
# one pass at a time, under the lock file $RTMIXER_CI_LOCK (flock):
#   distribution.test.ts  .ci/release.sh --host replaces zig-out/release/ and `npm pack`
#                         replaces dist/, which the other passes' distribution tests read
#   version.test.ts       also runs .ci/release.sh --host (tests/helpers/release.ts): run beside
#                         another pass's distribution tests, it removed the release they were
#                         serving (manifest.json 404 in a clean-clone run)
#   faults.test.ts        kills and restarts the JACK server rtmixer-fault-<runtime>: one name for
#                         both Bun passes
#   bench-smoke.test.ts   installs the benchmarks' python-rtmixer into bench/.peer/ on first use,
#                         and its benchmarks load both cores (bench/accuracy.ts on purpose)
# "first" runs those before the other files, "last" after them. Given test arguments (a filter),
# the pass runs them as they are, all under the lock, as the passes ran before they overlapped.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
runtime="${1:?usage: pass.sh bun|deno OUT first|last [test arguments...]}"
out="${2:?OUT missing}"
order="${3:?first or last missing}"
shift 3
lock="${RTMIXER_CI_LOCK:?RTMIXER_CI_LOCK (a lock file shared by the passes) is not set}"
EXCLUSIVE=(tests/distribution.test.ts tests/version.test.ts tests/faults.test.ts tests/bench-smoke.test.ts)

runs=0
# run_tests [--locked] ARGS...: one run of the runner, its report in OUT-<n>.xml.
run_tests() {
  local locked=()
  if [ "$1" = --locked ]; then locked=(flock "$lock"); shift; fi
  runs=$((runs + 1))
  local report="$out-$runs.xml"
  if [ "$runtime" = bun ]; then
    "${locked[@]}" "$BUN" test --timeout 120000 --reporter=junit --reporter-outfile="$report" "$@"
  else
    "${locked[@]}" "$DENO" test --allow-all --v8-flags=--expose-gc --junit-path="$report" "$@"
  fi
  echo $? >"$out-$runs.status"
}

exec >"$out.log" 2>&1
if [ $# -gt 0 ]; then
  run_tests --locked "$@"
  exit 0
fi
shared=()
for f in tests/*.test.ts; do
  [[ " ${EXCLUSIVE[*]} " == *" $f "* ]] || shared+=("./$f")
done
exclusive=("${EXCLUSIVE[@]/#/./}")
if [ "$order" = first ]; then
  run_tests --locked "${exclusive[@]}"
  run_tests "${shared[@]}"
else
  run_tests "${shared[@]}"
  run_tests --locked "${exclusive[@]}"
fi
