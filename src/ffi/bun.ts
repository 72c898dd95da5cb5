// The bun:ffi adapter. Its import is computed so Deno's module graph never sees "bun:ffi".
import type { Runtime, Signature } from "./symbols.ts";
import { symbols } from "./symbols.ts";

interface BunFFI {
  dlopen(path: string, defs: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, (...a: unknown[]) => unknown>;
    close(): void;
  };
  toArrayBuffer(pointer: number, offset: number, length: number): ArrayBuffer;
}

const BUN_TYPES = { void: "void", bool: "bool", i32: "i32", u32: "u32", f64: "f64", pointer: "ptr", buffer: "ptr" };

export async function bunRuntime(): Promise<Runtime> {
  const moduleName = "bun:ffi";
  const ffi = (await import(moduleName)) as BunFFI;
  const { existsSync } = await import("node:fs");
  // deno-lint-ignore no-explicit-any
  const proc = (globalThis as any).process;
  return {
    name: "bun",
    open(path: string, table?: Record<string, Signature>) {
      const defs = Object.fromEntries(
        Object.entries((table ?? symbols) as Record<string, Signature>).map(([name, s]) => [name, {
          args: s.args.map((t) => BUN_TYPES[t]),
          returns: BUN_TYPES[s.returns],
        }]),
      );
      const lib = ffi.dlopen(path, defs);
      return { symbols: lib.symbols as never, close: () => lib.close() };
    },
    view: (pointer, byteLength) => ffi.toArrayBuffer(pointer as unknown as number, 0, byteLength),
    address: (pointer) => (pointer as unknown as number) ?? 0,
    env: (name) => proc.env[name],
    exists: (path) => existsSync(path),
    unrefTimer: (timer) => (timer as unknown as { unref(): void }).unref(),
    onExit: (fn) => proc.once("exit", fn),
    os: proc.platform === "win32" ? "windows" : proc.platform,
    arch: proc.arch,
  };
}
