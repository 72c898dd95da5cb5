// Benchmarks are not tests, but they must not rot: run each one's --smoke mode under the
// current runtime and check that it still prints its table.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHUNKS = [16, 64, 256, 1024, 4096, 16384]; // as in bench/ringbuffer.ts

test("bench/ringbuffer.ts --smoke runs and prints a row for every chunk size and path", () => {
  const script = ["bench/ringbuffer.ts", "--smoke"];
  const args = "Bun" in globalThis ? script : ["run", "-A", ...script];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`exit ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
  for (const chunk of CHUNKS) {
    for (const path of ["copy", "zero-copy"]) {
      expect(run.stdout).toMatch(new RegExp(`^\\| ${chunk} \\| ${path} \\|( [0-9.]+ \\|){5}$`, "m"));
    }
  }
  expect(run.stdout).toContain("results not written");
});
