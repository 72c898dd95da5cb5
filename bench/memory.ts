/**
 * Memory: process RSS and the library's live native allocations after 100,000 actions played
 * and collected through an OfflineMixer, and after creating and closing mixers and ring buffers.
 * Garbage is collected (forced, twice, with a pause for finalizers) before every reading.
 *
 *   bun bench/memory.ts [--smoke]
 *   deno run -A --v8-flags=--expose-gc bench/memory.ts [--smoke]
 *
 * --smoke: a few thousand actions, only checks that the benchmark still runs; nothing is written.
 *
 * The baseline is taken after a warm-up of 20,000 actions, so that what a runtime pays once per
 * process for its JIT is not counted as growth. Until 2026-12-02 the warm-up was 1,000 actions,
 * too few for V8 to optimise the hot path: Deno 2.9.6's RSS then grew 7.8–9.8 MB over the next
 * 100,000, of which (read from /proc/self/smaps and /proc/self/status) 3.4–5.2 MB were
 * file-backed pages of Deno's own executable (V8's optimising compiler and the code it runs,
 * mapped in the first time they run: clean pages, shared with the page cache) and 3–5 MB
 * anonymous memory (the compiler threads' malloc arenas, V8 heap pages); with V8's top tier
 * turned off (--max-opt=2) 1.8 MB and 2.7 MB of them remained. After a warm-up of
 * 20,000 actions the next 100,000 (and 20 mixers) added 0–0.3 MB of file-backed pages; the
 * JavaScript heap in use (+0.15 MB) and the native allocations (0) did not grow with either
 * warm-up. The reading after the first 1,000 actions is still taken, and the growth from it
 * still printed: the former figure (spanning 19,000 more actions than it did).
 *
 * What does keep growing, in steps, is V8's young generation ("new space"): V8 doubles it when
 * the bytes that survived its scavenges since it last grew exceed its size. Any program that
 * allocates steadily while keeping some objects alive across scavenges (here: the actions in
 * flight, 32 at a time) reaches each step after about four times as many allocations as the
 * step before; each step adds the new size to RSS once. Here the steps came at 120,000–320,000
 * and about 1,200,000 actions (new space 4.2 → 8.4 → 16.8 MB, RSS +5–6 MB and +11 MB; its
 * maximum on this machine is 67 MB). The same loop without the library (a new Float32Array,
 * one FFI call into libc and a 340-byte object kept per action, 32 at a time) stepped from 4.2
 * to 8.4 MB at 400,000. The further rounds after the goal's reading show this: RSS split into
 * anonymous and file-backed memory (Linux), and the young generation's size (Deno;
 * JavaScriptCore has none to report).
 *
 * Last, not a goal: one burst of 100,000 actions in flight at once, on a new mixer. The action
 * pool grows by pages to hold them (native memory +54.5 MB, about 0.53 KB per action). Until
 * 2026-12-03 it kept those pages, its high-water mark, while the mixer was open (+52.9 MB once all
 * were collected); now, once nothing is in flight, it gives back all but its first 16 pages (2.4
 * MB) and hands libc's free pages back to the system. Closing the mixer frees the rest, and since
 * 2026-12-02 trims libc's heap too (glibc's malloc_trim: without it Deno's process kept the
 * pages, RSS up to +223 MB after the close).
 * What Deno still keeps after that, +141 to +146 MB in 5 runs, is V8's: its heap grew to 100 MB
 * for the 100,000 Actions in flight (about 625 bytes each, with the caller's small buffers) and
 * its young generation to 33.8 MB, and it keeps those pages resident. Bun's RSS comes back
 * within 1 MB.
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { memoryUsage, OfflineMixer, RingBuffer } from "../mod.ts";
import { gc, machine, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/memory.ts");

const ACTIONS = smoke ? 2_000 : 100_000;
const OBJECTS = smoke ? 2 : 20; // mixers and ring buffers created and closed
const FIRST_ACTIONS = smoke ? 100 : 1_000; // the warm-up before 2026-12-02
const WARMUP_ACTIONS = smoke ? 400 : 20_000; // in all, the first ones included
const MORE_ROUNDS = smoke ? 1 : 3; // of ACTIONS each, after the goal's reading
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
  /** RSS split into anonymous memory and file-backed pages (code, mapped files); Linux only. */
  rssAnonBytes?: number;
  rssFileBytes?: number;
  /** The JavaScript heap, in use and reserved, to tell its growth from the rest of RSS. */
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** V8's young generation (new space), reserved; undefined where the engine reports none. */
  youngGenerationBytes?: number;
  nativeAllocations: number;
  nativeBytes: number;
}
const readings: Reading[] = [];

/** RssAnon and RssFile of /proc/self/status, in bytes, where there is one. */
function rssSplit(): { anon: number; file: number } | undefined {
  let status: string;
  try {
    status = readFileSync("/proc/self/status", "utf8");
  } catch {
    return undefined;
  }
  const kB = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  const anon = kB("RssAnon"), file = kB("RssFile");
  return Number.isFinite(anon) && Number.isFinite(file) ? { anon, file } : undefined;
}

function youngGeneration(): number | undefined {
  const size = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size;
  return size ? size : undefined; // Bun reports 0: JavaScriptCore has no such space
}

async function read(phase: string): Promise<Reading> {
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let finalizers run
  }
  const usage = process.memoryUsage();
  const split = rssSplit();
  const native = memoryUsage();
  const r = {
    phase,
    rssBytes: usage.rss,
    rssAnonBytes: split?.anon,
    rssFileBytes: split?.file,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    youngGenerationBytes: youngGeneration(),
    nativeAllocations: native.allocations,
    nativeBytes: native.bytes,
  };
  readings.push(r);
  return r;
}

await read("start (library loaded)");
{
  using m = new OfflineMixer();
  playActions(m, FIRST_ACTIONS);
  churn(1);
}
const first = await read(`after the first ${FIRST_ACTIONS} actions (the baseline before 2026-12-02)`);
{
  using m = new OfflineMixer();
  playActions(m, WARMUP_ACTIONS - FIRST_ACTIONS);
}
const baseline = await read(`baseline (after a warm-up of ${WARMUP_ACTIONS} actions: the JIT's top tier)`);
const m = new OfflineMixer();
playActions(m, ACTIONS);
await read(`${ACTIONS} actions played and collected (mixer open)`);
m.close();
await read("that mixer closed");
churn(OBJECTS);
const final = await read(`${OBJECTS} more mixers and ring buffers created, used, closed`);
// Not part of the goal: whether memory keeps growing with more actions or has levelled off.
for (let k = 1; k <= MORE_ROUNDS; k++) {
  {
    using again = new OfflineMixer();
    playActions(again, ACTIONS);
  }
  await read(`another ${ACTIONS} actions (new mixer, closed): ${(k + 1) * ACTIONS} since the baseline`);
}
const last = readings[readings.length - 1];
// Not a goal either: one burst of actions in flight at once. The action pool grows by pages to
// hold them all, and gives back all but its first 16 once they have all come back.
const burst = new OfflineMixer();
for (let i = 0; i < ACTIONS; i++) burst.playBuffer(new Float32Array(4).fill(0.25), 2);
const inFlight = await read(`${ACTIONS} actions in flight at once (one burst, new mixer)`);
burst.process(BLOCK); // every one starts and ends in this block
if (burst.actions.size !== 0) throw new Error("the burst's actions did not come back");
const collected = await read(`those ${ACTIONS} collected (mixer open: its pool gave back the burst's pages)`);
burst.close();
const burstClosed = await read("the burst's mixer closed");

const mb = (bytes: number) => bytes / 1e6;
const growth = (bytes: number | undefined, from: number | undefined) =>
  bytes === undefined || from === undefined ? "-" : mb(bytes - from).toFixed(2);
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
console.log("\nWhere the growth is (from the baseline): anonymous memory, file-backed pages, V8's young generation");
console.log();
console.log("| phase | RSS growth MB | anonymous MB | file-backed MB | young generation MB |");
console.log("|-------|--------------:|-------------:|---------------:|--------------------:|");
for (const r of readings) {
  console.log(row([
    r.phase,
    mb(r.rssBytes - baseline.rssBytes).toFixed(2),
    growth(r.rssAnonBytes, baseline.rssAnonBytes),
    growth(r.rssFileBytes, baseline.rssFileBytes),
    r.youngGenerationBytes === undefined ? "-" : mb(r.youngGenerationBytes).toFixed(1),
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
const former = {
  rssMb: mb(final.rssBytes - first.rssBytes),
  anonMb: final.rssAnonBytes === undefined ? undefined : mb(final.rssAnonBytes - first.rssAnonBytes!),
  fileMb: final.rssFileBytes === undefined ? undefined : mb(final.rssFileBytes - first.rssFileBytes!),
};
const later = {
  rssMb: mb(last.rssBytes - final.rssBytes),
  actions: MORE_ROUNDS * ACTIONS,
  youngGenerationMb: final.youngGenerationBytes === undefined || last.youngGenerationBytes === undefined
    ? undefined
    : [mb(final.youngGenerationBytes), mb(last.youngGenerationBytes)],
};
const young = later.youngGenerationMb?.map((x) => x.toFixed(1));
console.log();
console.log(`goal: ${goals[0].goal}: ${goals[0].met ? "met" : "NOT met"} (growth ${goals[0].value})`);
console.log(
  `goal: ${goals[1].goal}: ${goals[1].met ? "met" : "NOT met"} (${growthMb.toFixed(2)} MB over ${ACTIONS} actions ` +
    `and ${OBJECTS} mixers after the JIT's warm-up)`,
);
console.log(
  `(from the first ${FIRST_ACTIONS} actions' reading, as measured before 2026-12-02: ${former.rssMb.toFixed(2)} MB` +
    (former.anonMb === undefined
      ? ""
      : `, of which ${former.fileMb!.toFixed(2)} MB file-backed and ${former.anonMb.toFixed(2)} MB anonymous`) +
    ")",
);
console.log(
  `(RSS growth over the next ${later.actions} actions, not a goal: ${later.rssMb.toFixed(2)} MB` +
    (young === undefined ? "" : `; V8's young generation ${young[0]} → ${young[1]} MB`) +
    `; native growth ${last.nativeAllocations - baseline.nativeAllocations})`,
);
const burstFigures = {
  nativeInFlightMb: mb(inFlight.nativeBytes - last.nativeBytes),
  nativeCollectedMb: mb(collected.nativeBytes - last.nativeBytes),
  nativeClosedMb: mb(burstClosed.nativeBytes - last.nativeBytes),
  rssInFlightMb: mb(inFlight.rssBytes - last.rssBytes),
  rssCollectedMb: mb(collected.rssBytes - last.rssBytes),
  rssClosedMb: mb(burstClosed.rssBytes - last.rssBytes),
};
console.log(
  `(one burst of ${ACTIONS} actions in flight, not a goal: native memory +${
    burstFigures.nativeInFlightMb.toFixed(2)
  } MB, ` +
    `+${burstFigures.nativeCollectedMb.toFixed(2)} MB once collected while the mixer is open, ` +
    `+${burstFigures.nativeClosedMb.toFixed(2)} MB after it closed; RSS +${burstFigures.rssInFlightMb.toFixed(2)} MB ` +
    `in flight, +${burstFigures.rssCollectedMb.toFixed(2)} MB once collected, ` +
    `+${burstFigures.rssClosedMb.toFixed(2)} MB after it closed)`,
);

writeResults("memory", smoke, {
  settings: {
    actions: ACTIONS,
    objects: OBJECTS,
    firstActions: FIRST_ACTIONS,
    warmupActions: WARMUP_ACTIONS,
    moreRounds: MORE_ROUNDS,
    block: BLOCK,
  },
  rows: readings,
  goals,
  sinceFirstActions: former,
  afterTheGoal: later,
  burst: burstFigures,
});
