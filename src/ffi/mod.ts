/**
 * Finds, opens and checks librtmixer, once, on first use. Lookup order:
 *
 * 1. `RTMIXER_LIB`, the library's path, overrides everything;
 * 2. a local build under the module root (`../../` from here): `zig-out/lib/` (a checkout after
 *    `zig build`);
 * 3. the prebuilt library for this platform in `zig-out/release/<platform>/` under the module
 *    root (the npm package's root is `dist/`, which holds the compiled modules and every
 *    platform's library, .ci/npm-build.sh; in a checkout, made by `.ci/release.sh`);
 * 4. when this module was imported from an http(s) URL (Deno): the prebuilt library downloaded
 *    from the release (see download.ts), verified against its SHA-256 and cached;
 *
 * else an error that says how to get one. A library with another ABI version is refused.
 */
import { ABI_VERSION, type Pointer, type Runtime, type Symbols } from "./symbols.ts";
import { factMismatch } from "./layout.ts";
import { bunRuntime } from "./bun.ts";
import { denoRuntime } from "./deno.ts";
import { cachedLibrary, releaseBase } from "./download.ts";

export type { Pointer, Runtime, Symbols };

/** The runtime adapter: FFI helpers that do not need the library. */
export const runtime: Runtime = "Bun" in globalThis ? await bunRuntime() : denoRuntime();

/** The platform name used in releases: `linux-x64`, `darwin-arm64`, `windows-x64`, ... */
export const platform = `${runtime.os}-${runtime.arch}`;

const fileName = runtime.os === "windows"
  ? "rtmixer.dll"
  : runtime.os === "darwin"
  ? "librtmixer.dylib"
  : "librtmixer.so";
const moduleRoot = new URL("../../", import.meta.url);
const remote = moduleRoot.protocol === "http:" || moduleRoot.protocol === "https:";

/**
 * A URL import fetches the library while the module loads (a top-level await), so that
 * `native()` stays synchronous. A failure is kept, not thrown: it is the first use that fails,
 * as with a missing local library, and RTMIXER_LIB still wins.
 */
const downloaded: { path: string } | { error: Error } | undefined = remote && !runtime.env("RTMIXER_LIB")
  ? await cachedLibrary(releaseBase(moduleRoot, runtime.env), platform, fileName, runtime.env).then(
    (path) => ({ path }),
    (error: Error) => ({ error }),
  )
  : undefined;

let lib: Symbols | undefined;
let libPath: string | undefined;

function candidatePaths(): string[] {
  const explicit = runtime.env("RTMIXER_LIB");
  if (explicit) return [explicit];
  if (downloaded) {
    if ("error" in downloaded) throw downloaded.error;
    return [downloaded.path];
  }
  if (moduleRoot.protocol !== "file:") return [];
  const local = `zig-out/${runtime.os === "windows" ? "bin" : "lib"}/${fileName}`;
  return [local, `zig-out/release/${platform}/${fileName}`].map((p) => filePath(new URL(p, moduleRoot)));
}

function filePath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return runtime.os === "windows" ? path.replace(/^\/([A-Za-z]:)/, "$1") : path;
}

/** The library's symbols; opens it on the first call. */
export function native(): Symbols {
  if (lib) return lib;
  const paths = candidatePaths();
  const path = paths.find((p) => runtime.exists(p));
  if (!path) {
    throw new Error(
      `librtmixer not found for ${platform} (looked at: ${paths.join(", ") || "nothing"}). In a ` +
        `checkout, build it with \`bash .ci/setup.sh\` (or \`zig build\` with Zig 0.17.1); or set ` +
        `RTMIXER_LIB to the library's path.`,
    );
  }
  let opened;
  try {
    opened = runtime.open(path);
  } catch (cause) {
    throw new Error(`librtmixer at ${path} could not be loaded: ${(cause as Error).message}`, { cause });
  }
  const version = opened.symbols.rtm_abi_version();
  if (version !== ABI_VERSION) {
    opened.close();
    throw new Error(
      `librtmixer at ${path} has ABI version ${version}, but this module needs ${ABI_VERSION}. ` +
        `Rebuild it (\`bash .ci/setup.sh\`) or point RTMIXER_LIB at a matching build.`,
    );
  }
  const mismatch = factMismatch(libraryFacts(opened.symbols));
  if (mismatch !== undefined) {
    opened.close();
    throw new Error(
      `librtmixer at ${path} disagrees with this module on a shared fact (${mismatch}): they were built ` +
        `from different sources. Rebuild it (\`bash .ci/setup.sh\`) or point RTMIXER_LIB at a matching build.`,
    );
  }
  lib = opened.symbols;
  libPath = path;
  return lib;
}

/** The library's facts (zig/facts.zig), parsed. */
function libraryFacts(symbols: Symbols): Record<string, unknown> {
  const capacity = symbols.rtm_facts(null, 0);
  const bytes = new Uint8Array(capacity);
  symbols.rtm_facts(bytes, capacity);
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The path of the library `native()` opened (for test support that opens it beside). */
export function libraryPath(): string {
  native();
  return libPath!;
}
