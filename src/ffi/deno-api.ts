/**
 * The part of Deno's API that rtmixer calls (deno.ts, download.ts), declared here instead of
 * taken from Deno's global types. The npm package's JavaScript and declarations are compiled by
 * `tsc` with Bun's types, which know no `Deno`; a global `Deno` type in the shipped declarations
 * would leak into a Bun project's type checks. Each file that calls Deno declares the global with
 * this type (`declare const Deno: DenoApi`): the code is unchanged, only its type is local.
 * tests/distribution.test.ts checks, under Deno's own type checker, that the real `Deno` namespace
 * satisfies this interface, so it cannot drift from Deno's.
 */

/** The FFI parameter types deno.ts maps the symbol table onto (a result may also be "void"). */
export type DenoNativeType = "bool" | "i32" | "u32" | "f64" | "pointer" | "buffer";

/** One foreign function's signature, as `Deno.dlopen` takes it. */
export interface DenoForeignFunction {
  readonly parameters: readonly DenoNativeType[];
  readonly result: DenoNativeType | "void";
}

/** A Deno error class (`Deno.errors.*`), for `instanceof`. */
type ErrorClass = new (message?: string) => Error;

/** What rtmixer uses of the `Deno` global. */
export interface DenoApi {
  readonly build: { readonly os: string; readonly arch: string };
  readonly env: { get(name: string): string | undefined };
  readonly errors: { readonly NotCapable: ErrorClass; readonly PermissionDenied: ErrorClass };
  dlopen(path: string, symbols: Record<string, DenoForeignFunction>): { readonly symbols: unknown; close(): void };
  readonly UnsafePointerView: { getArrayBuffer(pointer: object, byteLength: number): ArrayBuffer };
  readonly UnsafePointer: { value(pointer: object | null): number | bigint };
  statSync(path: string): unknown;
  unrefTimer(id: number): void;
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
  writeFile(path: string, data: Uint8Array, options: { mode: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}
