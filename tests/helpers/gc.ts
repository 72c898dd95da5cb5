/** Forces full garbage collections in Bun or Deno (Deno needs --v8-flags=--expose-gc). */
export function forceGc(): void {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Bun) g.Bun.gc(true);
  else if (typeof g.gc === "function") g.gc();
  else throw new Error("no way to force garbage collection: run Deno with --v8-flags=--expose-gc");
}
