#!/usr/bin/env bash
# linux-arm64 on this x86_64 machine, under qemu-user: the Zig unit tests built for
# aarch64-linux-gnu, and the release build of librtmixer.so for arm64 driven by the arm64 builds
# of Bun and Deno (the versions package.json pins) running test files of the suite against Debian's
# arm64 PortAudio and libjack (multiarch) and its arm64 jackd (dummy driver). Installs what it needs
# (idempotent), and prints a summary and "N passed, N failed" as its last line. Usage:
#   bash .ci/arm64.sh            the default set (.ci/test.sh runs this)
#   bash .ci/arm64.sh --full     and more test files (see below)
#   bash .ci/arm64.sh FILE...    these test files (tests/x.test.ts) in Bun and in Deno
#
# Why it looks like this (measured, see the README's "Platforms"):
# - A qemu'd arm64 libjack cannot talk to an x86_64 jackd: it reads the server's shared memory with
#   another layout (it tried to mlock areas of 805306368 and 1610612736 bytes, then crashed). So the
#   server is Debian's arm64 jackd under qemu too, in a mount namespace with a /dev/shm of its own,
#   where no x86_64 JACK server or client (other runs' servers, the x86_64 suite's) can meet it.
#   jackd2:arm64 is not co-installable with the x86_64 jackd2, and its libsystemd0:arm64 would
#   upgrade the machine's systemd: those packages are downloaded and unpacked into zig-out/arm64/.
# - Tests spawn child processes of their runtime (process.execPath): binfmt_misc is registered for
#   aarch64 (qemu-user-static's own entry), so that an arm64 executable starts under qemu by itself.
# - Left out, with the reason (all of them run on x86_64 in .ci/test.sh):
#   in Bun, files that make a resizable ArrayBuffer (api, typed-ring, safety, fuzz): JavaScriptCore
#     then calls mprotect(address, 0, PROT_NONE), which Linux accepts and qemu 7.2 refuses with
#     ENOMEM, and Bun aborts ("mprotect failed: Cannot allocate memory"). Deno runs them.
#   faults.test.ts: it kills and restarts the JACK server through .ci/jack.sh, an x86_64 jackd.
#   realtime.test.ts: its LD_PRELOAD interposer is looked up in zig-out/lib/ (x86_64) only.
#   Timing and throughput files (bench-smoke, examples, concurrency) measure qemu, not the library.
# - qemu on an x86_64 host does not reproduce arm64's weaker memory ordering: the lock-free code's
#   ordering is checked by the thread sanitizer (.ci/test.sh), not here.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/zig-out/arm64"
TARGET=aarch64-linux-gnu.2.28 # as .ci/release.sh builds linux-arm64
QEMU=/usr/bin/qemu-aarch64-static
JACK_ROOT="$OUT/jackd-root"
# The x86_64 suite's files that run here, unchanged. The default set (what .ci/test.sh runs) has
# no real-time margin to miss: offline block processing, and device queries and child processes
# on the arm64 JACK server. --full adds loopback files that schedule ahead of the emulated clock;
# under qemu on a loaded machine those miss now and then (see the README's "Platforms").
BUN_TESTS=(tests/offline.test.ts tests/shape.test.ts tests/devices.test.ts)
DENO_TESTS=(tests/devices.test.ts)
BUN_FULL=(tests/ringbuffer.test.ts tests/stream.test.ts tests/expressive.test.ts tests/mixer.test.ts)
DENO_FULL=(tests/shape.test.ts tests/stream.test.ts tests/expressive.test.ts tests/typed-ring.test.ts tests/api.test.ts)

say() { printf '[arm64] %s\n' "$*" >&2; }

# ---- Inside the mount namespace (the script re-runs itself there) -------------------------------
if [ "${1:-}" = "--inside" ]; then
  shift
  reports="$1"; shift
  # A /dev/shm of its own: JACK's sockets, shared memory registry and metadata database live there.
  mount -t tmpfs -o size=512m tmpfs /dev/shm || { say "cannot mount a private /dev/shm"; exit 1; }
  export JACK_DEFAULT_SERVER=rtmixer-arm64 JACK_NO_AUDIO_RESERVATION=1
  jack_libs="$JACK_ROOT/lib/aarch64-linux-gnu:$JACK_ROOT/usr/lib/aarch64-linux-gnu"
  LD_LIBRARY_PATH="$jack_libs" JACK_DRIVER_DIR="$JACK_ROOT/usr/lib/aarch64-linux-gnu/jack" \
    "$QEMU" "$JACK_ROOT/usr/bin/jackd" -n "$JACK_DEFAULT_SERVER" --no-realtime -d dummy -r 48000 -p 256 -C 2 -P 2 \
    >"$reports/jackd.log" 2>&1 </dev/null &
  jackd_pid=$!
  up=0
  for _ in $(seq 1 200); do
    if JACK_NO_START_SERVER=1 "$QEMU" "$JACK_ROOT/usr/bin/jack_lsp" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$jackd_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ $up = 0 ]; then
    say "the arm64 JACK server did not come up:"; cat "$reports/jackd.log" >&2
    kill -KILL "$jackd_pid" 2>/dev/null; exit 1
  fi
  say "arm64 jackd (dummy, 48000 Hz, period 256) runs under qemu"
  trap 'kill -TERM "$jackd_pid" 2>/dev/null' EXIT
  export RTMIXER_LIB="$OUT/lib/librtmixer.so"
  bun_files=() deno_files=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do bun_files+=("$1"); shift; done
  shift
  deno_files=("$@")
  start=$SECONDS
  if [ ${#bun_files[@]} -gt 0 ]; then
    "$OUT/bun/bin/bun" test --timeout 120000 --reporter=junit --reporter-outfile="$reports/bun.xml" "${bun_files[@]}" \
      >"$reports/bun.log" 2>&1
    echo $? >"$reports/bun.status"
  fi
  say "Bun arm64: $((SECONDS - start)) s"
  start=$SECONDS
  # Type-checking is the x86_64 suite's job; under qemu it would only add minutes.
  if [ ${#deno_files[@]} -gt 0 ]; then
    "$OUT/deno/deno" test --allow-all --no-check --v8-flags=--expose-gc --junit-path="$reports/deno.xml" \
      "${deno_files[@]}" >"$reports/deno.log" 2>&1
    echo $? >"$reports/deno.status"
  fi
  say "Deno arm64: $((SECONDS - start)) s"
  exit 0
fi

# ---- Installing (idempotent) --------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
apt_updated=0
apt_update() {
  [ $apt_updated = 1 ] && return 0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt_updated=1
}

install_system() {
  if [ ! -x "$QEMU" ]; then
    say "installing qemu-user-static"
    apt_update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      qemu-user-static >/dev/null || return 1
  fi
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "adding the arm64 architecture (Debian multiarch)"
    as_root dpkg --add-architecture arm64 && apt_updated=0 && apt_update || return 1
  fi
  local missing=()
  for p in libportaudio2:arm64 libjack-jackd2-0:arm64; do installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    # --no-remove: never let apt remove an x86_64 package to make room.
    apt_update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove \
      "${missing[@]}" >/dev/null || return 1
  fi
  if [ ! -x "$JACK_ROOT/usr/bin/jackd" ]; then
    say "unpacking jackd2:arm64 and the libraries it needs into zig-out/arm64/jackd-root"
    local debs="$OUT/debs"
    rm -rf "$debs" "$JACK_ROOT" && mkdir -p "$debs" "$JACK_ROOT"
    apt_update || return 1
    (cd "$debs" && apt-get download -q=2 jackd2:arm64 libsystemd0:arm64 libdbus-1-3:arm64 libcap2:arm64 \
      libgcrypt20:arm64 libgpg-error0:arm64 liblz4-1:arm64 liblzma5:arm64 libzstd1:arm64 2>&1 | grep -v '^W: ') || true
    for d in "$debs"/*.deb; do dpkg -x "$d" "$JACK_ROOT" || return 1; done
    [ -x "$JACK_ROOT/usr/bin/jackd" ] || { say "jackd2:arm64 did not download"; return 1; }
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    say "registering qemu-aarch64 with binfmt_misc"
    [ -e /proc/sys/fs/binfmt_misc/register ] || as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || return 1
    # qemu-user-static's entry; its F flag opens the interpreter now, so it works in any namespace.
    as_root sh -c 'cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register' || return 1
  fi
}

# Bun and Deno for arm64 from npm, the versions package.json pins for x86_64.
# fetch_runtime <dir under $OUT> <npm package> <package.json devDependency>
fetch_runtime() {
  local dir="$OUT/$1" package="$2" version tmp
  version="$(node -p "require('./package.json').devDependencies['$3']")"
  [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ] && return 0
  say "fetching $package@$version"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack -q "$package@$version" >/dev/null && tar -xzf ./*.tgz) || return 1
  rm -rf "$dir" && mv "$tmp/package" "$dir" && echo "$version" >"$dir/version"
  rm -rf "$tmp"
}
install_runtimes() {
  fetch_runtime bun @oven/bun-linux-aarch64 bun && fetch_runtime deno @deno/linux-arm64-glibc deno
}

# ---- Running ------------------------------------------------------------------------------------
passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }
summary=()
finish() {
  say "summary:"
  for line in "${summary[@]}"; do printf '  %s\n' "$line"; done
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

ZIG="${ZIG:-$ROOT/.venv/bin/zig}"
mkdir -p "$OUT"
t0=$SECONDS
if ! install_system || ! install_runtimes; then
  summary+=("setup: FAILED (see the messages above)")
  add 0 1
  finish
fi
summary+=("setup: $((SECONDS - t0)) s")

t0=$SECONDS
# The product as .ci/release.sh builds it for linux-arm64 (plus the test-support libraries), and the
# Zig unit tests in Debug, as on x86_64.
if ! "$ZIG" build install test-bin -Dtarget="$TARGET" -Doptimize=fast -Dstrip=true -p "$OUT"; then
  summary+=("build for $TARGET: FAILED")
  add 0 1
  finish
fi
summary+=("build for $TARGET: $((SECONDS - t0)) s")

t0=$SECONDS
zig_out="$("$QEMU" "$OUT/bin/rtmixer-tests" 2>&1)"; zig_status=$?
echo "$zig_out" | grep -v '\.\.\.OK$' | tail -n 40
if [[ "$zig_out" =~ All\ ([0-9]+)\ tests\ passed ]]; then
  add "${BASH_REMATCH[1]}" 0
  summary+=("Zig unit tests (aarch64, Debug) under qemu: ${BASH_REMATCH[1]} passed in $((SECONDS - t0)) s")
elif [[ "$zig_out" =~ ([0-9]+)\ passed\;\ ([0-9]+)\ skipped\;\ ([0-9]+)\ failed ]]; then
  add "${BASH_REMATCH[1]}" $((BASH_REMATCH[3] + BASH_REMATCH[2]))
  summary+=("Zig unit tests (aarch64, Debug) under qemu: FAILED: ${BASH_REMATCH[0]}")
else
  add 0 1
  summary+=("Zig unit tests (aarch64, Debug) under qemu: FAILED (exit status $zig_status)")
fi

bun_files=("${BUN_TESTS[@]}") deno_files=("${DENO_TESTS[@]}")
if [ "${1:-}" = --full ]; then
  bun_files+=("${BUN_FULL[@]}") deno_files+=("${DENO_FULL[@]}")
elif [ $# -gt 0 ]; then
  bun_files=("$@") deno_files=("$@")
fi
reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
t0=$SECONDS
if ! as_root unshare --mount --propagation private -- bash "$0" --inside "$reports" "${bun_files[@]}" -- "${deno_files[@]}"; then
  summary+=("Bun and Deno arm64 on the arm64 JACK server: FAILED to start (see above)")
  add 0 1
  finish
fi
for runtime in bun deno; do
  [ -f "$reports/$runtime.status" ] || continue
  sed -n '/^\(tests\/\|(fail)\|error\)/p' "$reports/$runtime.log" | tail -n 40
  read -r p f < <(node .ci/junit-count.mjs "$reports/$runtime.xml")
  add "$p" "$f"
  status="$(cat "$reports/$runtime.status")"
  [ "$status" -ne 0 ] && [ "$f" -eq 0 ] && { add 0 1; f="$f (exit status $status)"; }
  [ "$f" != 0 ] && tail -n 30 "$reports/$runtime.log"
  [ $runtime = bun ] && n=${#bun_files[@]} || n=${#deno_files[@]}
  summary+=("$runtime arm64 under qemu, $n test files: $p passed, $f failed")
done
summary+=("Bun and Deno arm64 together: $((SECONDS - t0)) s")
finish
