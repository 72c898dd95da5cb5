#!/usr/bin/env bash
# The README's demo command: installs what is missing, then plays examples/bleeperoo on the
# default output device. Where there is none, it starts the project's headless JACK dummy server,
# plays there, records its own output through a loopback, writes demo.wav and reports what the
# recording shows; the server is stopped on every way out. Arguments go to examples/demo.ts
# (--help lists them). RTMIXER_DEMO_RUNTIME=deno runs it under Deno instead of Bun.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source .ci/setup.sh
case "${RTMIXER_DEMO_RUNTIME:-bun}" in
  bun) run=("$BUN") ;;
  deno) run=("$DENO" run --allow-all --v8-flags=--expose-gc) ;;
  *) echo "RTMIXER_DEMO_RUNTIME must be bun or deno" >&2; exit 2 ;;
esac

set +e
"${run[@]}" examples/demo.ts "$@"
status=$?
set -e
[ "$status" -ne 3 ] && exit "$status" # 3: no usable output device

server="rtmixer-demo-$$-$RANDOM"
period=256
echo "Starting a headless JACK server with the dummy driver ($server) to play and record there instead."
trap '.ci/jack.sh stop "$server"' EXIT
trap 'exit 130' INT TERM
.ci/jack.sh start "$server" 48000 "$period" >/dev/null
JACK_DEFAULT_SERVER="$server" "${run[@]}" examples/demo.ts --loopback --jack-period "$period" "$@"
