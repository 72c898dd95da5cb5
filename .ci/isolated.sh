#!/usr/bin/env bash
# Runs a command beside a JACK dummy server of its own that no other JACK server or client on the
# machine can meet, so that .ci/test.sh can run its suites side by side:
#   .ci/isolated.sh COMMAND [ARG...]
# The command runs with JACK_DEFAULT_SERVER naming that server and TMPDIR a directory of its own;
# the exit status is the command's. Server and directory are gone when it returns.
#
# Why a mount namespace with a /dev/shm of its own: libjack puts a client's notification socket
# at /dev/shm/jack_<client name>_<uid>_0 whatever the server, so two processes opening a client
# of the same name ("PortAudio") at the same moment on two servers unlink each other's socket
# and fail to connect (PortAudio then finds no device; 11 of 15 simultaneous opens of three
# jack_lsp on three servers failed). JACK's registry of servers (at most 8) lives there too.
# Root runs `unshare --mount`; anyone else gets a user namespace as well (then JACK runs without
# realtime scheduling, as .ci/jack.sh does when it may not have it).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "${1:-}" != "--inside" ]; then
  [ $# -gt 0 ] || { echo "usage: .ci/isolated.sh COMMAND [ARG...]" >&2; exit 2; }
  namespaces=(--mount)
  [ "$(id -u)" = 0 ] || namespaces=(--user --map-root-user --mount)
  exec unshare "${namespaces[@]}" --propagation private -- bash "${BASH_SOURCE[0]}" --inside "$@"
fi
shift

mount -t tmpfs -o size=1g,mode=1777 tmpfs /dev/shm || { echo "isolated.sh: cannot mount a private /dev/shm" >&2; exit 1; }
TMPDIR="$(mktemp -d)" || exit 1
export TMPDIR JACK_DEFAULT_SERVER="rtmixer-test-$$"
cleanup() { "$ROOT/.ci/jack.sh" stop "$JACK_DEFAULT_SERVER"; rm -rf "$TMPDIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
JACK_REALTIME=1 "$ROOT/.ci/jack.sh" start "$JACK_DEFAULT_SERVER" 48000 256 >/dev/null || exit 1
"$@"
