/**
 * playBuffer against python-rtmixer's play_buffer, in the same run on the same JACK server: what
 * a call costs cold (the first 300 calls of a fresh process, each with a fresh 2-frame buffer, a
 * start time and allowBelated off, as a bleep schedule makes them), warm (batches of 1000 such
 * calls after those: calls 3,000-15,000) and hot (calls 25,000-40,000). Each process is a fresh
 * one: bench/peer/calls.ts under this runtime, bench/peer/calls.py under the peer's Python
 * (bench/_peer.ts installs python-rtmixer 0.1.7), alternating, ROUNDS of each. Figures are
 * medians over the processes of each process's median (cold: of its calls, each timed alone;
 * warm and hot: of groups of 10 calls timed together, per call); ranges are over the processes.
 * Medians, because on a loaded machine a call or group is now and then preempted: a batch timed
 * whole measured the share of a core the process got (10-50 µs per call of ours at load 10 on 2
 * cores). A cold figure includes one pair of clock reads, whose own cost is shown beside it.
 *
 *   bun bench/playbuffer.ts [--smoke]
 *   deno run -A bench/playbuffer.ts [--smoke]
 *
 * Needs JACK_DEFAULT_SERVER (bench/run.sh starts a server). --smoke: one tiny process of ours,
 * no peer; nothing is written.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { peer, PEER_VERSION } from "./_peer.ts";
import { machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/playbuffer.ts");
const ROUNDS = smoke ? 1 : 5;
const COLD = smoke ? 20 : 300;
const BATCHES = smoke ? 2 : 40;
const BATCH = smoke ? 50 : 1000;
const WARMUP_BATCHES = smoke ? 0 : 3; // warm figures leave out the first batches (still warming up)
const WARM_END = smoke ? 2 : 15; // warm: calls 3,000-15,000
// Hot: calls 25,000-40,000. Deno's V8 compiles a function with its top tier (TurboFan) only after
// 16,000 calls (--invocation-count-for-turbofan=16000 there), so warm measures its middle tier
// (Maglev), whose calls into native code take the slow path; Bun's and CPython's figures change
// little between the two.
const HOT_FROM = smoke ? 1 : 25;
const GOAL_RATIO = 10;

if (!process.env.JACK_DEFAULT_SERVER) {
  console.error("bench/playbuffer.ts needs a JACK server: JACK_DEFAULT_SERVER is not set (bench/run.sh starts one)");
  process.exit(2);
}

interface Child {
  open_ms: number;
  clock_us: number;
  cold_us: number[];
  /** Per batch: per call, each group of 10 calls timed together. */
  warm_us: number[][];
}

interface Figures {
  coldMedian: number;
  coldP90: number;
  first: number;
  warm: number;
  hot: number;
  open: number;
  clock: number;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

function figures(c: Child): Figures {
  return {
    coldMedian: median(c.cold_us),
    coldP90: pct(c.cold_us, 0.9),
    first: c.cold_us[0],
    warm: median(c.warm_us.slice(WARMUP_BATCHES, WARM_END).flat()),
    hot: median(c.warm_us.slice(HOT_FROM).flat()),
    open: c.open_ms,
    clock: c.clock_us,
  };
}

function run(cmd: string, args: string[]): Child {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 300_000, env: process.env });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  const line = r.stdout.trim().split("\n").at(-1)!;
  return JSON.parse(line) as Child;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const sizes = [String(COLD), String(BATCHES), String(BATCH)];
const ours = () =>
  run(
    process.execPath,
    runtime.name === "bun" ? [here("peer/calls.ts"), ...sizes] : ["run", "-A", here("peer/calls.ts"), ...sizes],
  );

const found = smoke ? { missing: "smoke run: the peer is not run" } : peer();
const theirs = "missing" in found ? undefined : () => run(found.python, [here("peer/calls.py"), ...sizes]);
if ("missing" in found) console.log(`python-rtmixer ${PEER_VERSION}: not measured (${found.missing})`);

const results = { ours: [] as Figures[], peer: [] as Figures[] };
const load: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternating, and each side first in every other round.
  const order = round % 2 === 0 ? ["ours", "peer"] as const : ["peer", "ours"] as const;
  for (const side of order) {
    if (side === "ours") results.ours.push(figures(ours()));
    else if (theirs) results.peer.push(figures(theirs()));
  }
  load.push(os.loadavg()[0]);
}

type Key = keyof Figures;
const mid = (fs: Figures[], k: Key) => median(fs.map((f) => f[k]));
const range = (fs: Figures[], k: Key) => {
  const xs = fs.map((f) => f[k]);
  return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
};
const cell = (fs: Figures[], k: Key) => fs.length === 0 ? "-" : `${mid(fs, k).toFixed(2)} (${range(fs, k)})`;
const ratio = (k: Key) => results.peer.length === 0 ? undefined : mid(results.peer, k) / mid(results.ours, k);
const ratioCell = (k: Key) => ratio(k)?.toFixed(1).concat("x") ?? "-";

console.log(
  `# playBuffer vs python-rtmixer ${PEER_VERSION} play_buffer: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${
    smoke ? " (smoke run)" : ""
  }`,
);
console.log(
  `${ROUNDS} fresh process${
    ROUNDS === 1 ? "" : "es"
  } of each, alternating, on JACK server ${process.env.JACK_DEFAULT_SERVER}; ` +
    `medians over the processes (range); load average ${Math.min(...load).toFixed(1)}–${
      Math.max(...load).toFixed(1)
    }\n`,
);
console.log(row(["measurement", `python-rtmixer ${PEER_VERSION}`, `ours (${runtime.name})`, "python / ours"]));
console.log(row(["---", "--:", "--:", "--:"]));
const lines: [string, Key][] = [
  [`cold call, median of the first ${COLD} (µs)`, "coldMedian"],
  [`cold call, p90 of the first ${COLD} (µs)`, "coldP90"],
  ["the very first call (µs)", "first"],
  [
    `warm call, batches of ${BATCH} (calls ${WARMUP_BATCHES * BATCH}-${WARM_END * BATCH}), timed in groups of 10 (µs)`,
    "warm",
  ],
  [`hot call, batches of ${BATCH} (calls ${HOT_FROM * BATCH}-${BATCHES * BATCH}), timed in groups of 10 (µs)`, "hot"],
  ["one pair of clock reads, inside each cold figure (µs)", "clock"],
  // Not like for like: sounddevice initialises PortAudio when it is imported, before this is timed;
  // ours does on the first stream (and warms its call path up then: engine.ts warmUp).
  ["opening and starting the first stream (ms; ours includes PortAudio's initialisation)", "open"],
];
for (const [label, k] of lines) console.log(row([label, cell(results.peer, k), cell(results.ours, k), ratioCell(k)]));

const goals = (["coldMedian", "warm"] as const).map((k) => {
  const r = ratio(k);
  return {
    goal: `${k === "warm" ? "warm" : "cold"} call ≥ ${GOAL_RATIO}x faster than python-rtmixer`,
    ratio: r,
    met: r !== undefined && r >= GOAL_RATIO,
  };
});
console.log();
for (const g of goals) {
  console.log(
    `goal: ${g.goal}: ${
      g.ratio === undefined ? "not measured (no peer)" : `${g.met ? "met" : "NOT met"} (${g.ratio.toFixed(1)}x)`
    }`,
  );
}

writeResults("playbuffer", smoke, {
  settings: {
    rounds: ROUNDS,
    coldCalls: COLD,
    batches: BATCHES,
    batch: BATCH,
    warmupBatches: WARMUP_BATCHES,
    warmEnd: WARM_END,
    hotFrom: HOT_FROM,
  },
  peer: "missing" in found ? { missing: found.missing } : { version: found.version },
  loadAverage: load,
  ours: results.ours,
  python: results.peer,
  goals,
});
