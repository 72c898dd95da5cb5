/**
 * Finds, opens and checks librtmixer, once, on first use. Lookup order: the `RTMIXER_LIB`
 * environment variable, then the build output next to this module (`zig-out/lib/`), else an
 * error that says how to build it. A library with another ABI version is refused.
 */
import { ABI_VERSION, type Pointer, type Runtime, type Symbols } from "./symbols.ts";
import { bunRuntime } from "./bun.ts";
import { denoRuntime } from "./deno.ts";

export type { Pointer, Runtime, Symbols };

/** The runtime adapter: FFI helpers that do not need the library. */
export const runtime: Runtime = "Bun" in globalThis ? await bunRuntime() : denoRuntime();

let lib: Symbols | undefined;

function libraryFileName(): string {
  return runtime.os === "windows" ? "rtmixer.dll" : runtime.os === "darwin" ? "librtmixer.dylib" : "librtmixer.so";
}

function candidatePaths(): string[] {
  const explicit = runtime.env("RTMIXER_LIB");
  if (explicit) return [explicit];
  const dir = runtime.os === "windows" ? "bin" : "lib";
  const url = new URL(`../../zig-out/${dir}/${libraryFileName()}`, import.meta.url);
  return url.protocol === "file:" ? [decodeURIComponent(url.pathname)] : [];
}

/** The library's symbols; opens it on the first call. */
export function native(): Symbols {
  if (lib) return lib;
  const paths = candidatePaths();
  const path = paths.find((p) => runtime.exists(p));
  if (!path) {
    throw new Error(
      `librtmixer not found (looked at: ${paths.join(", ") || "nothing: not a local checkout"}). ` +
        `Build it with \`bash .ci/setup.sh\` (or \`zig build\` with Zig 0.17.1) in the rtmixer ` +
        `checkout, or set RTMIXER_LIB to the library's path.`,
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
  lib = opened.symbols;
  return lib;
}
