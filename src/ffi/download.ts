/**
 * The prebuilt library for a Deno program that imports rtmixer from an http(s) URL: fetched once
 * from the release, checked against the release manifest's SHA-256, and cached in the user's
 * cache directory, where later runs find it with no network.
 *
 * A release is a directory (see .ci/release.sh) holding `manifest.json`
 * (`{version, abiVersion, files: {<platform>: {path, sha256, size}}}`) and the files it names,
 * relative to it. Its default location is `zig-out/release/` under the module's root URL, the
 * same layout as the npm package; `RTMIXER_RELEASE_URL` overrides it (`{version}` in it is
 * replaced by rtmixer's version).
 *
 * Only Deno imports modules from URLs, so this file uses Deno's APIs.
 */
import { VERSION } from "../version.ts";
import { ABI_VERSION } from "./symbols.ts";
import type { DenoApi } from "./deno-api.ts";

declare const Deno: DenoApi; // the global, typed locally (see deno-api.ts)

/** One platform's entry in the release manifest. */
interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}

/** The release manifest written by .ci/release.sh. */
interface Manifest {
  version: string;
  abiVersion: number;
  files: Record<string, ManifestFile>;
}

type Env = (name: string) => string | undefined;

/** The release directory's URL: `RTMIXER_RELEASE_URL`, else `<module root>/zig-out/release/`. */
export function releaseBase(moduleRoot: URL, env: Env): URL {
  const override = env("RTMIXER_RELEASE_URL");
  const base = override ? override.replaceAll("{version}", VERSION) : new URL("zig-out/release/", moduleRoot).href;
  return new URL(base.endsWith("/") ? base : base + "/");
}

/**
 * The path of this platform's library in the cache, downloading and verifying it first if the
 * cache has no intact copy.
 */
export async function cachedLibrary(base: URL, platform: string, fileName: string, env: Env): Promise<string> {
  const dir = `${cacheRoot(env)}/rtmixer/${VERSION}/${platform}`;
  const path = `${dir}/${fileName}`;
  const sumPath = `${path}.sha256`;

  // A cached copy is used only if it still has the hash recorded when it was verified.
  const cached = await readCached(path, sumPath);
  if (cached) return path;

  const manifest = await fetchManifest(base);
  const entry = manifest.files[platform];
  if (!entry) {
    const available = Object.keys(manifest.files).join(", ") || "none";
    throw new Error(
      `The rtmixer ${VERSION} release at ${base} has no library for ${platform} (it has: ${available}). ` +
        `Build librtmixer from source (\`zig build\` in a checkout) and set RTMIXER_LIB to its path.`,
    );
  }
  const url = new URL(entry.path, base);
  const bytes = await fetchBytes(url);
  const actual = await sha256(bytes);
  if (actual !== entry.sha256.toLowerCase()) {
    throw new Error(
      `Checksum mismatch for librtmixer downloaded from ${url}: the manifest says SHA-256 ${entry.sha256}, ` +
        `the download has ${actual} (${bytes.length} bytes). The file is corrupt or was replaced; ` +
        `it was not cached or loaded.`,
    );
  }
  await permitted(`write the library cache at ${dir}`, "--allow-write", async () => {
    await Deno.mkdir(dir, { recursive: true });
    // Written under a temporary name and renamed, so that a concurrent or interrupted run never
    // sees half a file; the hash file last, because it marks the copy as complete.
    await writeAtomically(path, bytes);
    await writeAtomically(sumPath, new TextEncoder().encode(actual + "\n"));
  });
  return path;
}

/** The platform's cache directory: XDG on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA%. */
function cacheRoot(env: Env): string {
  const os = Deno.build.os;
  const root = os === "windows"
    ? env("LOCALAPPDATA")
    : os === "darwin"
    ? env("HOME") && `${env("HOME")}/Library/Caches`
    : env("XDG_CACHE_HOME") || (env("HOME") && `${env("HOME")}/.cache`);
  if (!root) {
    throw new Error(
      `rtmixer cannot find your cache directory to keep its native library in ` +
        `(${os === "windows" ? "LOCALAPPDATA" : "HOME"} is not readable: run with --allow-env), ` +
        `or set RTMIXER_LIB to the library's path.`,
    );
  }
  return root;
}

async function readCached(path: string, sumPath: string): Promise<boolean> {
  let bytes: Uint8Array, recorded: string;
  try {
    [bytes, recorded] = await Promise.all([Deno.readFile(path), Deno.readTextFile(sumPath)]);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw permissionError(`read the library cache at ${path}`, "--allow-read", e);
    }
    return false; // not cached yet
  }
  return (await sha256(bytes)) === recorded.trim();
}

async function fetchManifest(base: URL): Promise<Manifest> {
  const url = new URL("manifest.json", base);
  const text = new TextDecoder().decode(await fetchBytes(url));
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text);
  } catch (cause) {
    throw new Error(`The rtmixer release manifest at ${url} is not JSON`, { cause });
  }
  if (typeof manifest !== "object" || manifest === null || typeof manifest.files !== "object") {
    throw new Error(`The rtmixer release manifest at ${url} has no "files"`);
  }
  if (manifest.version !== VERSION || manifest.abiVersion !== ABI_VERSION) {
    throw new Error(
      `The release at ${base} is rtmixer ${manifest.version} (ABI ${manifest.abiVersion}), but this ` +
        `module is rtmixer ${VERSION} (ABI ${ABI_VERSION}). Point RTMIXER_RELEASE_URL at the ` +
        `release of version ${VERSION}.`,
    );
  }
  return manifest;
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  return await permitted(`download ${url}`, `--allow-net=${url.host}`, async () => {
    let response: Response;
    try {
      response = await fetch(url);
    } catch (cause) {
      if (cause instanceof Deno.errors.NotCapable || cause instanceof Deno.errors.PermissionDenied) throw cause;
      throw new Error(
        `rtmixer could not download its native library from ${url}: ${(cause as Error).message}. ` +
          `Set RTMIXER_RELEASE_URL to a reachable release, or RTMIXER_LIB to a local library.`,
        { cause },
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(
        `rtmixer could not download its native library: ${url} answered ${response.status} ` +
          `${response.statusText}. Set RTMIXER_RELEASE_URL to the release directory of version ` +
          `${VERSION}, or RTMIXER_LIB to a local library.`,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  });
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(temporary, bytes, { mode: 0o755 });
    await Deno.rename(temporary, path);
  } catch (e) {
    await Deno.remove(temporary).catch(() => {});
    throw e;
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs `fn`, turning a missing Deno permission into an error that names the flag. */
async function permitted<T>(what: string, flag: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      throw permissionError(what, flag, e);
    }
    throw e;
  }
}

function permissionError(what: string, flag: string, cause: Error): Error {
  return new Error(
    `rtmixer needs permission to ${what}: run Deno with ${flag} (a first run downloads the ` +
      `native library, later runs read it from the cache: --allow-net, --allow-read, --allow-write, ` +
      `--allow-env and --allow-ffi cover both), or set RTMIXER_LIB to a local library.`,
    { cause },
  );
}
