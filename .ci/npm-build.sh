#!/usr/bin/env bash
# Builds dist/, the content of the npm package (package.json "files" and "exports"). `npm pack`
# and `npm publish` run it (package.json "prepack"); nothing runs when a user installs.
#   dist/mod.js, dist/src/**/*.js    the sources compiled by tsc (tsconfig.npm.json): Deno refuses
#                                    to strip types in node_modules, and a consumer's tsc would
#                                    check .ts sources under its own, stricter settings
#   dist/**/*.d.ts                   their declarations
#   dist/zig-out/release/            the prebuilt libraries and manifest (.ci/release.sh), where
#                                    src/ffi/mod.ts looks beside the module (<module root> = dist/)
# `npm publish` (or --all-platforms) refuses a release that lacks any platform .ci/release.sh
# builds: `npm pack` in the tests ships the host-only release that tests/helpers/release.ts makes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RELEASE="$ROOT/zig-out/release"

[ -f "$RELEASE/manifest.json" ] || {
  echo "[npm-build] no release in zig-out/release: run \`bash .ci/release.sh\` first" >&2
  exit 1
}
if [ "${npm_command:-}" = "publish" ] || [ "${1:-}" = "--all-platforms" ]; then
  # shellcheck disable=SC2046 # one argument per platform
  missing="$(node -e 'const m = require(process.argv[1]); for (const p of process.argv.slice(2)) if (!m.files[p]) process.stdout.write(` ${p}`)' \
    "$RELEASE/manifest.json" $(bash .ci/release.sh --list))"
  if [ -n "$missing" ]; then
    echo "[npm-build] the release lacks:$missing. A published package must carry every platform: run \`bash .ci/release.sh\`" >&2
    exit 1
  fi
fi

# Built beside dist/ and renamed into place, so that a concurrent pack never sees half a tree.
staging="$(mktemp -d "$ROOT/zig-out/npm-build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
"$ROOT/node_modules/.bin/tsc" -p tsconfig.npm.json --outDir "$staging"
mkdir -p "$staging/zig-out"
cp -R "$RELEASE" "$staging/zig-out/release"
rm -rf "$ROOT/dist.old"
[ -d "$ROOT/dist" ] && mv "$ROOT/dist" "$ROOT/dist.old"
mv "$staging" "$ROOT/dist"
rm -rf "$ROOT/dist.old"
echo "[npm-build] dist/ built: $(find dist -name '*.js' | wc -l) modules, release for $(cd "$RELEASE" && ls -d */ | tr -d / | tr '\n' ' ')" >&2
