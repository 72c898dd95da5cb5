/**
 * Memory: process RSS and the library's live native allocations after 100,000 actions played
 * and collected through an OfflineMixer, and after creating and closing mixers and ring buffers.
 * Garbage is collected (forced, twice, with a pause for finalizers) before every reading. The
 * baseline is taken after a warm-up that runs every code path once, so that what the JIT
 * compiles and the allocator keeps for reuse is not counted as growth.
 *
 *   bun bench/memory.ts [--smoke]
 *   deno run -A --v8-flags=--expose-gc bench/memory.ts [--smoke]
 *
 * --smoke: a few thousand actions, only checks that the benchmark still runs; nothing is written.
 */
import process from "node:process";
import { memoryUsage, OfflineMixer, RingBuffer } from "../mod.ts";
import { gc, machine, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/memory.ts");

const ACTIONS = smoke ? 2_000 : 100_000;
const OBJECTS = smoke ? 2 : 20; // mixers and ring buffers created and closed
const WARMUP_ACTIONS = smoke ? 200 : 1_000;
const BLOCK = 64;
const RSS_GOAL_MB = 5;

/** Plays `count` actions, each with its own new buffer, and collects every one. */
function playActions(m: OfflineMixer, count: number): void {
  const output = new Float32Array(BLOCK * 2);
  const perBlock = 32; // half the default queue: admission never refuses
  for (let done = 0; done < count; done += perBlock) {
    for (let i = 0; i < perBlock; i++) m.playBuffer(new Float32Array(BLOCK * 2).fill(i / perBlock), 2);
    m.process(BLOCK, { output });
    if (m.actions.size !== 0) throw new Error("actions did not come back");
  }
}

/** Mixers that play a few actions and a ring buffer, and ring buffers used and disposed. */
function churn(count: number): void {
  for (let k = 0; k < count; k++) {
    using m = new OfflineMixer();
    playActions(m, 64);
    using ring = new RingBuffer(8, 1024); // stereo float32 frames
    ring.write(new Float32Array(2 * 256).fill(0.5));
    const action = m.playRingBuffer(ring);
    while (!action.finished) m.process(BLOCK);
    if (action.outcome !== "ringEnded" || action.doneFrames !== 256) throw new Error("ring buffer did not play out");
  }
}

interface Reading {
  phase: string;
  rssBytes: number;
  /** The JavaScript heap, in use and reserved, to tell its growth from the rest of RSS. */
  heapUsedBytes: number;
  heapTotalBytes: number;
  nativeAllocations: number;
}
const readings: Reading[] = [];

async function read(phase: string): Promise<Reading> {
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let finalizers run
  }
  const usage = process.memoryUsage();
  const r = {
    phase,
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    nativeAllocations: memoryUsage().allocations,
  };
  readings.push(r);
  return r;
}

await read("start (library loaded)");
{
  using m = new OfflineMixer();
  playActions(m, WARMUP_ACTIONS);
  churn(1);
}
const baseline = await read(`baseline (after a warm-up of ${WARMUP_ACTIONS} actions)`);
const m = new OfflineMixer();
playActions(m, ACTIONS);
await read(`${ACTIONS} actions played and collected (mixer open)`);
m.close();
await read("that mixer closed");
churn(OBJECTS);
const final = await read(`${OBJECTS} more mixers and ring buffers created, used, closed`);
// Not part of the goal: whether memory keeps growing with more actions or has levelled off.
{
  using again = new OfflineMixer();
  playActions(again, ACTIONS);
}
const again = await read(`another ${ACTIONS} actions (new mixer, closed): does it level off?`);

const mb = (bytes: number) => bytes / 1e6;
console.log(
  `# memory: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${smoke ? " (smoke run)" : ""}`,
);
console.log("RSS from process.memoryUsage(); native = the library's live allocations; MB = 10^6 bytes\n");
console.log("| phase | RSS MB | RSS growth MB | JS heap used/total MB | native allocations | native growth |");
console.log("|-------|-------:|--------------:|----------------------:|-------------------:|--------------:|");
for (const r of readings) {
  console.log(row([
    r.phase,
    mb(r.rssBytes).toFixed(1),
    mb(r.rssBytes - baseline.rssBytes).toFixed(2),
    `${mb(r.heapUsedBytes).toFixed(1)} / ${mb(r.heapTotalBytes).toFixed(1)}`,
    r.nativeAllocations,
    r.nativeAllocations - baseline.nativeAllocations,
  ]));
}

// The goals are shown, not asserted: a benchmark reports, the tests decide.
const growthMb = mb(final.rssBytes - baseline.rssBytes);
const goals = [
  {
    goal: "native allocations back to the baseline",
    value: final.nativeAllocations - baseline.nativeAllocations,
    met: final.nativeAllocations === baseline.nativeAllocations,
  },
  { goal: `RSS growth < ${RSS_GOAL_MB} MB`, value: growthMb, met: growthMb < RSS_GOAL_MB },
];
console.log();
console.log(`goal: ${goals[0].goal}: ${goals[0].met ? "met" : "NOT met"} (growth ${goals[0].value})`);
console.log(`goal: ${goals[1].goal}: ${goals[1].met ? "met" : "NOT met"} (${growthMb.toFixed(2)} MB)`);
console.log(
  `(RSS growth over the second ${ACTIONS} actions, not a goal: ${mb(again.rssBytes - final.rssBytes).toFixed(2)} MB; ` +
    `native growth ${again.nativeAllocations - baseline.nativeAllocations})`,
);

writeResults("memory", smoke, {
  settings: { actions: ACTIONS, objects: OBJECTS, warmupActions: WARMUP_ACTIONS, block: BLOCK },
  rows: readings,
  goals,
});
