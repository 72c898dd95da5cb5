/**
 * What the benchmarks share: argument parsing (--smoke), the runtime and machine description,
 * medians, forced garbage collection, and writing bench/results/<name>-<runtime>.json.
 * (bench/run.sh skips files starting with _.)
 */
import os from "node:os";
import process from "node:process";
import { mkdirSync, writeFileSync } from "node:fs";

/** True with --smoke (tiny sizes, nothing written); exits with usage on any other argument. */
export function parseSmoke(usage: string): boolean {
  const args = process.argv.slice(2);
  if (args.some((a) => a !== "--smoke")) {
    console.error(`usage: ${usage} [--smoke]`);
    process.exit(2);
  }
  return args.includes("--smoke");
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
export const runtime = "Bun" in globalThis
  ? { name: "bun" as const, version: g.Bun.version as string }
  : { name: "deno" as const, version: g.Deno.version.deno as string, v8: g.Deno.version.v8 as string };

const cpus = os.cpus();
export const machine = {
  cpu: cpus[0]?.model ?? "unknown",
  cores: cpus.length,
  os: `${os.platform()} ${os.release()}`,
  arch: os.arch(),
};

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A full, synchronous garbage collection; Deno needs --v8-flags=--expose-gc. */
export function gc(): void {
  if (runtime.name === "bun") g.Bun.gc(true);
  else if (typeof g.gc === "function") g.gc();
  else throw new Error("garbage collection is not exposed: run Deno with --v8-flags=--expose-gc");
}

/** Writes the results as JSON (not in a smoke run) and says where, or that it did not. */
export function writeResults(name: string, smoke: boolean, results: Record<string, unknown>): void {
  if (smoke) {
    console.log("\nsmoke run: results not written");
    return;
  }
  const all = { benchmark: name, runtime, date: new Date().toISOString(), machine, ...results };
  // Four significant digits of a measurement are more than the noise allows; counts stay exact.
  const json =
    JSON.stringify(all, (_, v) => typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v, 2) +
    "\n";
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}-${runtime.name}.json`, dir);
  writeFileSync(file, json);
  console.log(`\nresults: ${decodeURIComponent(file.pathname)}`);
}

/** A markdown table row. */
export const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
