#!/usr/bin/env bash
# Builds the prebuilt libraries that installed copies of rtmixer load (see src/ffi/mod.ts):
#   zig-out/release/<platform>/librtmixer.so | librtmixer.dylib | rtmixer.dll
#   zig-out/release/manifest.json  {version, abiVersion, files: {platform: {path, sha256, size}}}
# Zig cross-compiles every platform from this machine: the library opens PortAudio at run time,
# so no PortAudio (and no SDK) for the target is needed. Usage:
#   bash .ci/release.sh            all platforms (about 10 s each on 2 cores, cold)
#   bash .ci/release.sh --host     only this machine's platform (what the tests need)
#   bash .ci/release.sh --list     prints the platforms of a full release, builds nothing
# The npm package (package.json "files") and a Deno import from a URL both take zig-out/release/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ZIG="${ZIG:-$ROOT/.venv/bin/zig}"
OUT="$ROOT/zig-out/release"

# platform name (as src/ffi/mod.ts computes it) -> Zig target. glibc 2.28 (2018) is the oldest
# the Linux builds ask for; cross targets build for the baseline CPU, never this machine's.
declare -A TARGETS=(
  [linux-x64]=x86_64-linux-gnu.2.28
  [linux-arm64]=aarch64-linux-gnu.2.28
  [darwin-x64]=x86_64-macos.11.0
  [darwin-arm64]=aarch64-macos.11.0
  [windows-x64]=x86_64-windows-gnu
  [windows-arm64]=aarch64-windows-gnu
)
file_name() {
  case "$1" in
    linux-*) echo librtmixer.so ;;
    darwin-*) echo librtmixer.dylib ;;
    windows-*) echo rtmixer.dll ;;
  esac
}
host_platform() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os=windows ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  echo "$os-$arch"
}

if [ "${1:-}" = "--host" ]; then platforms=("$(host_platform)"); else platforms=(linux-x64 linux-arm64 darwin-x64 darwin-arm64 windows-x64 windows-arm64); fi
# --list: the platforms a full release has (.ci/npm-build.sh checks a published package against it).
if [ "${1:-}" = "--list" ]; then printf '%s\n' "${platforms[@]}"; exit 0; fi

# Safe to run twice at once (the Bun and Deno suites, side by side, each build the host's release
# while the other may be packing or serving it): nothing is removed but platforms not asked for,
# and each file is replaced by a rename, so a reader sees the old file or the new one, never half.
# The new file is made in zig-out/release-build (same file system, so the rename is atomic), not
# in zig-out/release, which a concurrent pack may be copying.
mkdir -p "$OUT" "$ROOT/zig-out/release-build"
replace() { # SOURCE DEST
  local temporary
  temporary="$(mktemp "$ROOT/zig-out/release-build/.new.XXXXXX")" && cp "$1" "$temporary" && chmod 755 "$temporary" && mv -f "$temporary" "$2"
}
for dir in "$OUT"/*/; do
  [ -d "$dir" ] || continue
  wanted=0
  for platform in "${platforms[@]}"; do [ "$(basename "$dir")" = "$platform" ] && wanted=1; done
  [ $wanted = 1 ] || rm -rf "$dir"
done
for platform in "${platforms[@]}"; do
  target="${TARGETS[$platform]:?no Zig target for platform $platform}"
  prefix="$ROOT/zig-out/release-build/$platform"
  echo "[release] $platform ($target)" >&2
  if ! "$ZIG" build product -Dtarget="$target" -Doptimize=fast -Dstrip=true --prefix "$prefix"; then
    # Linux is what the tests and CI run: it must build. The others are shipped when they build.
    case "$platform" in linux-*) exit 1 ;; esac
    echo "[release] WARNING: $platform did not build; it is left out of the release" >&2
    rm -rf "${OUT:?}/$platform"
    continue
  fi
  name="$(file_name "$platform")"
  built="$prefix/lib/$name"
  [ -f "$built" ] || built="$prefix/bin/$name" # Windows puts DLLs in bin/
  mkdir -p "$OUT/$platform"
  replace "$built" "$OUT/$platform/$name"
done

VERSION="$(node -p 'require("./package.json").version')"
ABI="$(sed -n 's/^pub const abi_version: u32 = \([0-9]*\);.*/\1/p' zig/root.zig)"
[ -n "$ABI" ] || { echo "[release] abi_version not found in zig/root.zig" >&2; exit 1; }
node - "$OUT" "$VERSION" "$ABI" <<'JS'
const [out, version, abi] = process.argv.slice(2);
const fs = require("node:fs"), path = require("node:path"), crypto = require("node:crypto");
const files = {};
for (const platform of fs.readdirSync(out).sort()) {
  const dir = path.join(out, platform);
  if (!fs.statSync(dir).isDirectory()) continue;
  for (const name of fs.readdirSync(dir)) {
    const bytes = fs.readFileSync(path.join(dir, name));
    files[platform] = {
      path: `${platform}/${name}`,
      sha256: crypto.createHash("sha256").update(bytes).digest("hex"),
      size: bytes.length,
    };
  }
}
const manifest = { version, abiVersion: Number(abi), files };
const temporary = path.join(out, "..", "release-build", `.manifest.${process.pid}`);
fs.writeFileSync(temporary, JSON.stringify(manifest, null, 2) + "\n");
fs.renameSync(temporary, path.join(out, "manifest.json")); // replaced by a rename, as the libraries are
console.log(JSON.stringify(manifest, null, 2));
JS
