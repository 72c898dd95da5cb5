/**
 * Scheduling accuracy, side by side with python-rtmixer: 300 bleeps at random start times over
 * 10 s, allowBelated off, played on a JACK dummy server and recorded back through a loopback of
 * the stream's own ports, by this library (bench/peer/onsets.ts, under this runtime) and by the
 * real python-rtmixer 0.1.7 (bench/peer/onsets.py; bench/_peer.ts installs it), the same
 * schedule for both, each in a fresh process. Each onset is found in the recording and compared
 * with round(Δt · sampleRate). On a non-realtime and a realtime server
 * (both started here), once idle and once with both cores loaded.
 *
 * Start times are random on the sample grid (base + k/fs), so round(Δt · fs) is exact and any
 * error is the scheduler's. Errors are taken against the schedule placed where most bleeps are
 * (the median shift), not against the first bleep, whose own error would shift all the others. python-rtmixer places a start by each block's own timestamp
 * (outputBufferDacTime), which jitters; this library by its stream's sample clock.
 *
 *   bun bench/accuracy.ts [--smoke]
 *   deno run -A bench/accuracy.ts [--smoke]
 *
 * --smoke: 20 bleeps over 1 s, ours only, on the server JACK_DEFAULT_SERVER names; nothing written.
 */
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { cpuHogs } from "../tests/helpers/child.ts";
import { peer, PEER_VERSION } from "./_peer.ts";
import { parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/accuracy.ts");
const BLEEPS = smoke ? 20 : 300;
const SECONDS = smoke ? 1 : 10;
const BLEEP_FRAMES = 480; // 10 ms at 48 kHz
const RATE = 48000;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const ROOT = here("../");
const JACK_SH = `${ROOT}.ci/jack.sh`;
const SUPPORT = `${ROOT}zig-out/lib/librtmixer-support.so`;

interface Schedule {
  seconds: number;
  offsets: number[];
  channels: number[];
}

interface Child {
  onsets: number[];
  belated: number;
  xruns: number;
}

interface Result {
  implementation: string;
  server: string;
  condition: string;
  bleeps: number;
  found: number;
  belated: number;
  worstError: number;
  p99Error: number;
  meanError: number;
  xruns: number;
  loadAverage: number;
}

/** Random, sorted frame offsets over SECONDS, at least one bleep apart, and a channel for each. */
function schedule(seed: number): Schedule {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const span = SECONDS * RATE - BLEEP_FRAMES;
  const offsets: number[] = [];
  while (offsets.length < BLEEPS) {
    const candidate = Math.floor(rand() * span);
    if (offsets.every((o) => Math.abs(o - candidate) >= BLEEP_FRAMES + 16)) offsets.push(candidate);
  }
  offsets.sort((a, b) => a - b);
  return { seconds: SECONDS, offsets, channels: offsets.map(() => (rand() < 0.5 ? 1 : 2)) };
}

/**
 * Errors in samples of the onsets found: each one's distance from where the schedule puts it,
 * the schedule being placed where most bleeps are (the median of onset − offset over the bleeps
 * found). Measured from one bleep instead, a misplaced first bleep would shift every error; an
 * exact scheduler gives 0 either way.
 */
function errorsOf(s: Schedule, onsets: number[]): number[] {
  const shifts: number[] = [];
  for (let i = 0; i < onsets.length; i++) if (onsets[i] >= 0) shifts.push(onsets[i] - s.offsets[i]);
  if (shifts.length === 0) return [];
  const reference = [...shifts].sort((a, b) => a - b)[shifts.length >> 1];
  return shifts.map((shift) => Math.abs(shift - reference));
}

/** Runs a child to its end (asynchronously: the busy loops and the server keep running). */
function runChild(cmd: string, args: string[], server: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      env: { ...process.env, JACK_DEFAULT_SERVER: server },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout!.on("data", (d) => (out += d));
    p.stderr!.on("data", (d) => (err += d));
    p.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args[0]} failed (${code}):\n${out}\n${err}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as Child);
    });
  });
}

const ours = (s: Schedule, server: string) =>
  runChild(
    process.execPath,
    runtime.name === "bun"
      ? [here("peer/onsets.ts"), JSON.stringify(s)]
      : ["run", "-A", here("peer/onsets.ts"), JSON.stringify(s)],
    server,
  );

const found = smoke ? { missing: "smoke run: the peer is not run" } : peer();
const theirs = "missing" in found
  ? undefined
  : (s: Schedule, server: string) =>
    runChild(found.python, [here("peer/onsets.py"), SUPPORT, JSON.stringify(s)], server);
if ("missing" in found) console.log(`python-rtmixer ${PEER_VERSION}: not measured (${found.missing})`);

const jack = (cmd: string, name: string, env: Record<string, string> = {}) => {
  const r = spawnSync("bash", [JACK_SH, cmd, name, String(RATE), "256"], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`jack.sh ${cmd} ${name} failed:\n${r.stderr}`);
};
const realtimeAllowed = spawnSync("chrt", ["-f", "70", "true"]).status === 0;

// The servers: in a smoke run the one given; else a non-realtime and a realtime one of our own.
const servers: { label: string; name: string; own: boolean }[] = smoke
  ? [{ label: "given", name: process.env.JACK_DEFAULT_SERVER ?? "", own: false }]
  : [
    { label: "non-realtime", name: `rtmixer-accuracy-nrt-${process.pid}`, own: true },
    {
      label: realtimeAllowed ? "realtime" : "realtime unavailable (ran non-realtime)",
      name: `rtmixer-accuracy-rt-${process.pid}`,
      own: true,
    },
  ];
if (smoke && servers[0].name === "") {
  console.error("bench/accuracy.ts --smoke needs JACK_DEFAULT_SERVER (bench/run.sh starts a server)");
  process.exit(2);
}

const results: Result[] = [];
const sides = [
  { name: "ours", run: ours },
  ...(theirs ? [{ name: `python-rtmixer ${PEER_VERSION}`, run: theirs }] : []),
];
let seed = 1;
for (const [si, server] of servers.entries()) {
  if (server.own) jack("start", server.name, si === 1 ? { JACK_REALTIME: "1" } : {});
  try {
    for (const condition of ["idle", "both cores loaded"]) {
      const s = schedule(seed++);
      // Each side first in every other run.
      const order = (si + (condition === "idle" ? 0 : 1)) % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const stop = condition === "idle" ? () => {} : cpuHogs();
        let child: Child;
        const load = os.loadavg()[0];
        try {
          child = await side.run(s, server.name);
        } finally {
          stop();
        }
        const errors = errorsOf(s, child.onsets).sort((a, b) => a - b);
        results.push({
          implementation: side.name,
          server: server.label,
          condition,
          bleeps: BLEEPS,
          found: errors.length,
          belated: child.belated,
          worstError: errors.at(-1) ?? 0,
          p99Error: errors.length ? errors[Math.min(errors.length - 1, Math.floor(errors.length * 0.99))] : 0,
          meanError: errors.reduce((a, b) => a + b, 0) / Math.max(errors.length, 1),
          xruns: child.xruns,
          loadAverage: load,
        });
      }
    }
  } finally {
    if (server.own) jack("stop", server.name);
  }
}

console.log(
  `\nScheduling accuracy: ${BLEEPS} bleeps over ${SECONDS} s, allowBelated off, JACK dummy loopback, block 256`,
);
console.log(
  "errors in samples: each onset against its scheduled frame, the schedule placed at the median of onset − offset " +
    "(so against round(Δt·fs) between bleeps); found: bleeps found in the recording",
);
console.log("(a bleep placed onto another one's is not found); belated: dropped as late, never played\n");
console.log(
  row([
    "implementation",
    "server",
    "condition",
    "bleeps",
    "found",
    "belated",
    "worst error",
    "p99 error",
    "mean error",
    "xruns",
    "load",
  ]),
);
console.log(row(["---", "---", "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]));
for (const r of results) {
  console.log(row([
    r.implementation,
    r.server,
    r.condition,
    r.bleeps,
    r.found,
    r.belated,
    r.worstError,
    r.p99Error,
    r.meanError.toFixed(3),
    r.xruns,
    r.loadAverage.toFixed(1),
  ]));
}
const mine = results.filter((r) => r.implementation === "ours");
const goal = mine.every((r) => r.worstError === 0 && r.belated === 0 && r.found === r.bleeps);
console.log(`\ngoal (ours: worst error 0 samples, 0 belated, every bleep found): ${goal ? "met" : "MISSED"}`);
writeResults("accuracy", smoke, {
  bleeps: BLEEPS,
  seconds: SECONDS,
  blockSize: 256,
  peer: "missing" in found ? { missing: found.missing } : { version: found.version },
  results,
});
