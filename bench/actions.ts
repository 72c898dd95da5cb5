/**
 * Action throughput: what one `playBuffer` call costs (just the call: validation, writing the
 * action slot, the submit FFI call, the Action object), and how many complete round trips
 * (playBuffer, one tiny block processed, the finished action collected) a runtime sustains.
 * An empty FFI call is measured beside them for scale. Measured through OfflineMixer (no
 * device), which runs the same Engine and native mixer a stream does. Rounds of the three
 * alternate and every figure is a median.
 *
 *   bun bench/actions.ts [--smoke]
 *   deno run -A bench/actions.ts [--smoke]
 *
 * --smoke: tiny rounds, only checks that the benchmark still runs; nothing is written.
 */
import { OfflineMixer } from "../mod.ts";
import { native } from "../src/ffi/mod.ts";
import { machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/actions.ts");

const QUEUE_SIZE = 65536; // slots made ready at once, far more than a batch: no page is added while timing
// Calls timed back to back before the batch is completed untimed. The callback takes a batch in
// time linear in its size (a lock-free incoming stack, then a binary heap ordered by start
// frame: zig/mixer.zig, zig/heap.zig), so the size is not forced any more; 1024 is kept because
// larger batches measure memory rather than the call: with 65536 actions in flight at once a
// call cost 1.3x to 1.6x as much as with 1024 (Bun and Deno, two runs each), and the completing
// block about 2x per action, while batches of 256 and 1024 agreed within noise.
const BATCH = smoke ? 64 : 1024;
const BLOCK_FRAMES = 16;
const ROUNDS = smoke ? 1 : 15; // odd, so the median is one measured round
const WARMUP_ROUNDS = smoke ? 1 : 3;
const ROUND_MS = smoke ? 1 : 25;
const GOAL_US = runtime.name === "bun" ? 2 : 5;

const buffer = new Float32Array(BLOCK_FRAMES * 2).fill(0.25); // one block of stereo

/** Time for `batches` batches of playBuffer calls, excluding their completion. */
function timePlayBuffer(m: OfflineMixer, batches: number): number {
  let ms = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) m.playBuffer(buffer, 2);
    ms += performance.now() - t0;
    m.process(BLOCK_FRAMES); // every action plays its one block and comes back
    if (m.actions.size !== 0) throw new Error("a batch did not complete");
  }
  return ms;
}

/** Time for `n` round trips: submit, process one block, collect (m.actions collects). */
function timeRoundTrips(m: OfflineMixer, output: Float32Array, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const action = m.playBuffer(buffer, 2);
    m.process(BLOCK_FRAMES, { output });
    if (m.actions.size !== 0 || !action.finished) throw new Error("the action did not come back");
  }
  return performance.now() - t0;
}

function timeEmptyCalls(n: number): number {
  const lib = native();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) lib.rtm_abi_version();
  return performance.now() - t0;
}

/** How many `unit`s make a round of ROUND_MS (doubling from 1; also warms the code up). */
function calibrate(run: (units: number) => number): number {
  let units = 1;
  while (run(units) < ROUND_MS / 4) units *= 2;
  return units * 4;
}

using bulk = new OfflineMixer({ queueSize: QUEUE_SIZE });
using single = new OfflineMixer();
const output = new Float32Array(BLOCK_FRAMES * 2);
const batches = calibrate((n) => timePlayBuffer(bulk, n));
const trips = calibrate((n) => timeRoundTrips(single, output, n));
const empties = calibrate(timeEmptyCalls);

const variants = {
  playBuffer: () => timePlayBuffer(bulk, batches),
  roundTrip: () => timeRoundTrips(single, output, trips),
  emptyCall: () => timeEmptyCalls(empties),
};
const ops = { playBuffer: batches * BATCH, roundTrip: trips, emptyCall: empties };
const names = Object.keys(variants) as (keyof typeof variants)[];
const times = { playBuffer: [] as number[], roundTrip: [] as number[], emptyCall: [] as number[] };
for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + Math.max(round, 0)) % names.length];
    const ms = variants[name]();
    if (round >= 0) times[name].push(ms);
  }
}
if (output.every((x) => x === 0)) throw new Error("the round trips played nothing");

const labels = {
  playBuffer: `playBuffer call (queueSize ${QUEUE_SIZE}, batches of ${BATCH}, completion not timed)`,
  roundTrip: `round trip: playBuffer + process(${BLOCK_FRAMES}) + collect`,
  emptyCall: "empty FFI call (rtm_abi_version), for scale",
};
const rows = names.map((name) => {
  const us = (median(times[name]) * 1e3) / ops[name];
  return { measurement: name, us, perSecond: 1e6 / us, ops: ops[name] };
});

console.log(
  `# action throughput: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${
    smoke ? " (smoke run)" : ""
  }`,
);
console.log(
  `medians of ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms; through OfflineMixer (no device), not the Mixer ` +
    "stream class: the same Engine and native mixer a stream uses\n",
);
console.log("| measurement | µs per op | ops/s |");
console.log("|-------------|----------:|------:|");
for (const r of rows) {
  console.log(row([labels[r.measurement as keyof typeof labels], r.us.toFixed(3), Math.round(r.perSecond)]));
}

// The goal is shown, not asserted: a benchmark reports, the tests decide.
const call = rows[0].us;
const goal = { goal: `playBuffer call < ${GOAL_US} µs in ${runtime.name}`, us: call, met: call < GOAL_US };
console.log(`\ngoal: ${goal.goal}: ${goal.met ? "met" : "NOT met"} (${call.toFixed(3)} µs)`);

writeResults("actions", smoke, {
  settings: { queueSize: QUEUE_SIZE, batch: BATCH, blockFrames: BLOCK_FRAMES, rounds: ROUNDS, roundMs: ROUND_MS },
  rows,
  goal,
});
