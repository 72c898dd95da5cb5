#!/usr/bin/env bash
# A headless JACK server with the dummy driver: real-time clocked audio on a machine with no sound
# card. Used by the test command, the demo and tests that need a server of their own.
#
#   .ci/jack.sh start NAME [RATE] [PERIOD]   start server NAME, wait until it answers, print its pid
#   .ci/jack.sh stop NAME                    stop it (TERM, then KILL) and remove its shared memory
#
# Clients select the server with JACK_DEFAULT_SERVER=NAME. With JACK_REALTIME=1 the server (and
# through it the clients' audio threads) runs with realtime scheduling, as on a real audio
# machine; that needs root or rtprio rights, and falls back to --no-realtime otherwise.
set -euo pipefail
cmd="${1:?usage: jack.sh start|stop NAME [RATE] [PERIOD]}"
name="${2:?server name missing}"
rate="${3:-48000}"
period="${4:-256}"
logdir="${TMPDIR:-/tmp}"

answers() { JACK_DEFAULT_SERVER="$name" JACK_NO_START_SERVER=1 jack_lsp >/dev/null 2>&1; }

remove_shared_memory() {
  # A killed server leaves these behind, and the next start then fails with "already active".
  rm -f /dev/shm/jack_"${name}"_* /dev/shm/jack_sem.*_"${name}"_* 2>/dev/null || true
  rm -rf /dev/shm/jack-*/"${name}" 2>/dev/null || true
}

# Only servers in this mount namespace: .ci/isolated.sh runs suites side by side, each in a
# namespace of its own, where servers of the same name (the fault tests') must not meet.
own_namespace="$(readlink /proc/self/ns/mnt)"
server_pids() {
  local pid
  for pid in $(pgrep -f -- "^jackd -n ${name} "); do
    [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$own_namespace" ] && echo "$pid"
  done
  return 0
}

case "$cmd" in
  start)
    if answers; then server_pids | head -n1; exit 0; fi
    remove_shared_memory
    scheduling=(--no-realtime)
    if [ "${JACK_REALTIME:-0}" = 1 ] && chrt -f 70 true 2>/dev/null; then scheduling=(-R -P 70); fi
    JACK_NO_AUDIO_RESERVATION=1 setsid jackd -n "$name" "${scheduling[@]}" -d dummy -r "$rate" -p "$period" -C 2 -P 2 \
      >"$logdir/jackd-$name.log" 2>&1 </dev/null &
    pid=$!
    for _ in $(seq 1 200); do
      if answers; then echo "$pid"; exit 0; fi
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      sleep 0.05
    done
    echo "jack.sh: server $name did not come up; its log:" >&2
    cat "$logdir/jackd-$name.log" >&2 || true
    kill -9 "$pid" 2>/dev/null || true
    remove_shared_memory
    exit 1
    ;;
  stop)
    pids="$(server_pids)"
    if [ -n "$pids" ]; then
      kill -TERM $pids 2>/dev/null || true
      for _ in $(seq 1 100); do
        [ -z "$(server_pids)" ] && break
        sleep 0.05
      done
      pids="$(server_pids)"
      [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
    fi
    remove_shared_memory
    rm -f "$logdir/jackd-$name.log"
    ;;
  *)
    echo "usage: jack.sh start|stop NAME [RATE] [PERIOD]" >&2
    exit 2
    ;;
esac
