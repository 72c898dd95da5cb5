/**
 * The peer: the real python-rtmixer 0.1.7, installed by the benchmarks themselves into a virtual
 * environment of their own (bench/.peer/venv, made with the project's python3 and PyPI), plus
 * the sdist's `src/rtmixer.h` (the layouts of its `struct state` and `struct action`).
 *
 * `peer()` is idempotent: once installed, it checks and returns in well under a second. When
 * something cannot be had (no python3, no network, no venv module), it returns the reason
 * instead, and the benchmark says so and runs the rest.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PEER_VERSION = "0.1.7";

export interface Peer {
  /** The venv's python, which can `import rtmixer, sounddevice, numpy`. */
  python: string;
  /** The wheel's `_rtmixer.abi3.so` (exports `callback` and PaUtil_*RingBuffer*). */
  library: string;
  /** The sdist's `src/rtmixer.h`. */
  header: string;
  /** The wheel's `rtmixer.py`. */
  module: string;
  version: string;
}

const dir = fileURLToPath(new URL("./.peer/", import.meta.url));
const venv = `${dir}venv`;
const python = `${venv}/bin/python`;

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim() };
}

const lastLine = (s: string) => s.split("\n").filter(Boolean).at(-1) ?? "(no output)";

function located(): Peer | string {
  const where = run(python, [
    "-c",
    "import os, rtmixer, sounddevice, numpy, _rtmixer; print(rtmixer.__version__); print(_rtmixer.__file__); print(rtmixer.__file__)",
  ]);
  if (!where.ok) return lastLine(where.out);
  const [version, library, module] = where.out.split("\n");
  const header = `${dir}sdist/rtmixer-${PEER_VERSION}/src/rtmixer.h`;
  if (!existsSync(header)) return `${header} is missing`;
  return { python, library, header, module, version };
}

/** The peer, installed on first use; or why it cannot be had. */
export function peer(): Peer | { missing: string } {
  const found = located();
  if (typeof found !== "string") return found;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(python)) {
    const made = run("python3", ["-m", "venv", venv]);
    if (!made.ok) return { missing: `python3 -m venv failed: ${lastLine(made.out)}` };
  }
  console.error(`[peer] installing python-rtmixer ${PEER_VERSION} into ${venv}`);
  const pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"];
  const installed = run(pip[0], [...pip.slice(1), `rtmixer==${PEER_VERSION}`, "numpy"]);
  if (!installed.ok) return { missing: `pip install rtmixer==${PEER_VERSION} failed: ${lastLine(installed.out)}` };
  const sdist = `${dir}sdist`;
  if (!existsSync(`${sdist}/rtmixer-${PEER_VERSION}/src/rtmixer.h`)) {
    const got = run(python, [
      "-m",
      "pip",
      "download",
      "-q",
      "--disable-pip-version-check",
      "--no-binary",
      ":all:",
      "--no-deps",
      `rtmixer==${PEER_VERSION}`,
      "-d",
      sdist,
    ]);
    if (!got.ok) return { missing: `pip download of the rtmixer ${PEER_VERSION} sdist failed: ${lastLine(got.out)}` };
    const tarball = readdirSync(sdist).find((f) => f.endsWith(".tar.gz"));
    if (!tarball) return { missing: `no sdist in ${sdist}` };
    const unpacked = run("tar", ["-xzf", `${sdist}/${tarball}`, "-C", sdist]);
    if (!unpacked.ok) return { missing: `tar: ${lastLine(unpacked.out)}` };
  }
  const again = located();
  return typeof again === "string" ? { missing: again } : again;
}

/** The header's text, for a benchmark that wants to show it read the layouts it relies on. */
export const peerHeader = (p: Peer) => readFileSync(p.header, "utf8");
