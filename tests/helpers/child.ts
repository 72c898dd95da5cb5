/**
 * Child processes of the runtime running the tests: examples, benchmarks, and scripts that must
 * run in a process of their own (a fresh PortAudio, an exit, an LD_PRELOAD, a JACK server that
 * dies). One place knows how to start Bun or Deno.
 */
import { spawn, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const isBun = "Bun" in globalThis;
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** mod.ts as a specifier a script written anywhere can import. */
export const MOD = JSON.stringify(new URL("../../mod.ts", import.meta.url).href);

/** The arguments that run `file` in this runtime (Deno: every permission, GC exposed). */
export function runArgs(file: string, ...args: string[]): string[] {
  return isBun ? [file, ...args] : ["run", "-A", "--v8-flags=--expose-gc", file, ...args];
}

/** Writes `source` to a module file of its own in tests/ and returns its path and a remover. */
function scriptFile(name: string, source: string): { file: string; remove: () => void } {
  const file = `${ROOT}tests/.${name}-${isBun ? "bun" : "deno"}-${process.pid}.ts`;
  writeFileSync(file, source);
  return { file, remove: () => rmSync(file, { force: true }) };
}

/** Runs `source` to completion in a fresh process of this runtime, with `env` added. */
export function runScript(name: string, source: string, env: Record<string, string> = {}, timeoutMs = 60_000) {
  const { file, remove } = scriptFile(name, source);
  try {
    return spawnSync(process.execPath, runArgs(file), {
      cwd: ROOT,
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: timeoutMs,
    });
  } finally {
    remove();
  }
}

/** Starts `source` in a fresh process of this runtime, with `env` added; watch it as it runs. */
export function startScript(name: string, source: string, env: Record<string, string> = {}) {
  const { file, remove } = scriptFile(name, source);
  const p = spawn(process.execPath, runArgs(file), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout!.on("data", (d) => (out += d));
  p.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
  return {
    lines: () => out.split("\n").filter((l) => l !== ""),
    stderr: () => err,
    exited,
    kill: () => p.kill("SIGKILL"),
    cleanup: remove,
  };
}

/**
 * Busy loops, one per core by default, for the "loaded" conditions of tests and benchmarks;
 * the returned function kills them. Each loop also ends by itself once its parent is gone (it
 * looks every few million iterations), so a run that dies or is killed never leaves them
 * spinning: four orphaned loops once kept this 2-core machine busy for 45 minutes and skewed
 * every measurement taken meanwhile.
 */
export function cpuHogs(count = 2): () => void {
  const loop = "const p=process.ppid;let x=0;for(;;){for(let i=0;i<5e6;i++)x+=i;if(process.ppid!==p)break;}";
  const args = isBun ? ["-e", loop] : ["eval", loop];
  const hogs = Array.from({ length: count }, () => spawn(process.execPath, args, { stdio: "ignore" }));
  return () => hogs.forEach((h) => h.kill("SIGKILL"));
}
