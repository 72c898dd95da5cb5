// The Deno.dlopen adapter.
import type { Runtime, Signature } from "./symbols.ts";
import { symbols } from "./symbols.ts";
import type { DenoApi, DenoForeignFunction } from "./deno-api.ts";

declare const Deno: DenoApi; // the global, typed locally (see deno-api.ts)

const DENO_TYPES = { void: "void", bool: "bool", i32: "i32", u32: "u32", f64: "f64", pointer: "pointer", buffer: "buffer" } as const;

export function denoRuntime(): Runtime {
  return {
    name: "deno",
    open(path: string, table?: Record<string, Signature>) {
      const defs = Object.fromEntries(
        Object.entries((table ?? symbols) as Record<string, Signature>).map(([name, s]) => [name, {
          parameters: s.args.map((t) => DENO_TYPES[t]),
          result: DENO_TYPES[s.returns],
        }]),
      );
      const lib = Deno.dlopen(path, defs as Record<string, DenoForeignFunction>);
      return { symbols: lib.symbols as never, close: () => lib.close() };
    },
    view: (pointer, byteLength) =>
      Deno.UnsafePointerView.getArrayBuffer(pointer as unknown as object, byteLength),
    address: (pointer) => Number(Deno.UnsafePointer.value(pointer as unknown as object | null)),
    env(name) {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // no --allow-env: behave as if unset
      }
    },
    exists(path) {
      try {
        Deno.statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    unrefTimer: (timer) => Deno.unrefTimer(timer as unknown as number),
    onExit: (fn) => globalThis.addEventListener("unload", fn, { once: true }),
    os: Deno.build.os === "windows" ? "windows" : Deno.build.os === "darwin" ? "darwin" : "linux",
    arch: Deno.build.arch === "aarch64" ? "arm64" : "x64",
  };
}
