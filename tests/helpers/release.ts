/**
 * The prebuilt release for this machine's platform, made by `.ci/release.sh --host` (a warm Zig
 * cache makes that a second or two), once per test process, so the distribution tests always
 * ship what the sources build now, never a stale release.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository's root directory, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const RELEASE_DIR = `${ROOT}zig-out/release`;
export const BUN = `${ROOT}node_modules/.bin/bun`;
export const DENO = `${ROOT}node_modules/.bin/deno`;

export interface Manifest {
  version: string;
  abiVersion: number;
  files: Record<string, { path: string; sha256: string; size: number }>;
}

let built: Manifest | undefined;

export function hostRelease(): Manifest {
  if (built) return built;
  const result = spawnSync("bash", [`${ROOT}.ci/release.sh`, "--host"], { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`.ci/release.sh --host failed:\n${result.stderr}`);
  built = JSON.parse(readFileSync(`${RELEASE_DIR}/manifest.json`, "utf8")) as Manifest;
  return built;
}
