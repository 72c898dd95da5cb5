#!/usr/bin/env bash
# Installs what the project needs and builds the native library. Idempotent: every step checks
# first, so a second run takes a second or two. Sourced by the demo and test commands; exports
# ZIG, BUN and DENO (absolute paths) for them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZIG_VERSION="0.17.1"   # keep in step with build.zig
# PortAudio is opened at run time: no -dev package. DejaVu: the text of rtmixer/plot's pictures.
APT_PACKAGES=(libportaudio2 jackd2 libjack-jackd2-0 fonts-dejavu-core)

say() { printf '[setup] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  # jackd2 asks whether to enable realtime limits and hangs on a terminal unless pre-answered.
  echo "jackd2 jackd/tweak_rt_limits boolean false" | as_root debconf-set-selections
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_zig() {
  if command -v zig >/dev/null 2>&1 && [ "$(zig version)" = "$ZIG_VERSION" ]; then
    ZIG="$(command -v zig)"; return 0
  fi
  local venv="$ROOT/.venv"
  ZIG="$venv/bin/zig"
  if [ -x "$ZIG" ] && [ "$("$ZIG" version)" = "$ZIG_VERSION" ]; then return 0; fi
  say "installing Zig $ZIG_VERSION from PyPI into .venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "ziglang==$ZIG_VERSION"
  local pkg
  pkg="$("$venv/bin/python" -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))')"
  ln -sf "$pkg/zig" "$ZIG"
}

install_npm_packages() {
  # node_modules/.package-lock.json is rewritten by every successful install.
  if [ -x "$ROOT/node_modules/.bin/bun" ] && [ -x "$ROOT/node_modules/.bin/deno" ] &&
     [ "$ROOT/node_modules/.package-lock.json" -nt "$ROOT/package-lock.json" ]; then return 0; fi
  say "installing Bun, Deno and test packages from npm"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

install_apt_packages
find_zig
install_npm_packages
(cd "$ROOT" && "$ZIG" build)
export ZIG
export BUN="$ROOT/node_modules/.bin/bun"
export DENO="$ROOT/node_modules/.bin/deno"
