/**
 * Callback cost: the audio callback's block processing (`rtm_mixer_process`, which a stream's
 * callback and OfflineMixer run) mixing 1 to 1024 play actions into 2 output channels, beside
 * two native references compiled with the library (zig/benchsupport.zig): the obvious scalar loop
 * with channel-mapping indirection, and a memcpy of the same source bytes (the physical limit).
 * All three are called once per block through the same FFI, so they pay the same call cost.
 *
 * Two cases: sources in cache (every voice plays one shared small buffer, all at the same
 * position: a `Sample`, native memory that every action plays in place) and streaming from
 * memory (each voice its own slice of one 256 MiB buffer, all of it read every round; a
 * Float32Array's samples are copied into native memory when its action is submitted, so the
 * engine then reads its own copies, as large as the slices). Rounds of the three alternate,
 * every figure is a median, and the ratios are medians of
 * ratios of rounds measured back to back.
 *
 *   bun bench/callback.ts [--smoke]
 *   deno run -A bench/callback.ts [--smoke]
 *
 * --smoke: tiny sizes, only checks that the benchmark still runs; nothing is written.
 */
import { native } from "../src/ffi/mod.ts";
import { Engine } from "../src/engine.ts";
import { Sample } from "../src/sample.ts";
import { support } from "../tests/helpers/support.ts";
import { machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/callback.ts");

const SAMPLE_RATE = 48000;
const OUT_CHANNELS = 2;
const VOICES = [1, 16, 256, 1024];
const BLOCKS = [64, 256];
const MAPPINGS = [
  { name: "1,2", channels: [1, 2], contiguous: true }, // stereo onto 1-2: the vectorised path
  { name: "2,1", channels: [2, 1], contiguous: false }, // stereo swapped: a scattered mapping
  { name: "2", channels: [2], contiguous: false }, // mono onto channel 2 of 2: a strided mapping
];
// 32 KiB of stereo, shared by every voice: it stays in L1/L2; a segment is still 16 blocks of
// 256 or 64 of 64.
const CACHE_FRAMES = smoke ? 1024 : 4096;
// Far beyond the caches: on the reference machine (2 MiB L2) a 256 MiB copy runs at the same
// speed as a 1 GiB one, whatever L3 size the VM reports.
const MEMORY_BYTES = smoke ? 8 << 20 : 256 << 20;
const ROUNDS = smoke ? 1 : 9; // odd, so the median is one measured round
const WARMUP_ROUNDS = smoke ? 0 : 2;
const ROUND_MS = smoke ? 0.2 : 25; // at least this much engine time per round

const lib = native();
/** The reference loops live in the test-support library (zig/benchsupport.zig), beside the product. */
const bench = support();

interface Case {
  place: "cache" | "memory";
  mapping: (typeof MAPPINGS)[number];
  voices: number;
  block: number;
  /** All voices' samples: voice v starts at v × stride. */
  src: Float32Array;
  stride: number;
  /** What each engine action plays (one shared Sample for every voice in the cache case). */
  sources: (Float32Array | Sample)[];
  /** Frames each voice plays in one segment: a whole number of blocks. */
  segmentFrames: number;
}

const srcChannels = (c: Case) => c.mapping.channels.length;

/**
 * One segment through the engine: submit every voice, process blocks until all have played
 * through, collect. Only blocks 2..n are timed: submitting (which copies each buffer into native
 * memory) is not the callback's work, and the first block takes the new actions off the queue
 * (its time is returned apart).
 */
function engineSegment(c: Case, engine: Engine, out: Float32Array): { ms: number; intakeMs: number } {
  for (const buffer of c.sources) engine.playBuffer(buffer, c.mapping.channels);
  const m = engine.mixer;
  let frame = engine.frameTime;
  const t = () => frame / SAMPLE_RATE;
  const t0 = performance.now();
  lib.rtm_mixer_process(m, null, 0, out, out.byteLength, c.block, t(), t(), t(), 0);
  const t1 = performance.now();
  for (let at = c.block; at < c.segmentFrames; at += c.block) {
    frame += c.block;
    lib.rtm_mixer_process(m, null, 0, out, out.byteLength, c.block, t(), t(), t(), 0);
  }
  const t2 = performance.now();
  engine.collect();
  if (engine.actions.size !== 0) throw new Error("actions outlived their buffers");
  return { ms: t2 - t1, intakeMs: t1 - t0 };
}

/** One segment of the scalar reference, the first block untimed like the engine's. */
function scalarSegment(c: Case, mapping: Uint32Array, out: Float32Array): number {
  const ch = srcChannels(c);
  bench.rtm_bench_scalar_block(out, OUT_CHANNELS, c.src, ch, mapping, c.voices, c.stride, 0, c.block);
  const t0 = performance.now();
  for (let at = c.block; at < c.segmentFrames; at += c.block) {
    bench.rtm_bench_scalar_block(out, OUT_CHANNELS, c.src, ch, mapping, c.voices, c.stride, at, c.block);
  }
  return performance.now() - t0;
}

/** One segment of memcpy of the same bytes, the first block untimed. */
function copySegment(c: Case, out: Float32Array): number {
  const ch = srcChannels(c);
  bench.rtm_bench_copy_block(out, c.src, ch, c.voices, c.stride, 0, c.block);
  const t0 = performance.now();
  for (let at = c.block; at < c.segmentFrames; at += c.block) {
    bench.rtm_bench_copy_block(out, c.src, ch, c.voices, c.stride, at, c.block);
  }
  return performance.now() - t0;
}

interface Row {
  place: Case["place"];
  mapping: string;
  voices: number;
  block: number;
  /** Nanoseconds per sample per action; a sample is one frame of one source channel. */
  engineNs: number;
  scalarNs: number;
  copyNs: number;
  /** Median over rounds of scalar time / engine time. */
  engineVsScalar: number;
  /** Median over rounds of engine time / copy time (1 = as fast as memcpy). */
  engineOfCopy: number;
  /** Voices one core could mix in real time at 48 kHz, at this block size and voice count. */
  realtimeVoices: number;
  /** The first block of a segment (takes every new action off the queue), microseconds. */
  intakeUs: number;
}

function measure(c: Case): Row {
  const queueSize = Math.max(64, 2 ** Math.ceil(Math.log2(c.voices)));
  const mixer = lib.rtm_mixer_create(0, OUT_CHANNELS, SAMPLE_RATE, queueSize);
  if (!mixer) throw new Error("rtm_mixer_create failed");
  const engine = new Engine(mixer, 0, OUT_CHANNELS, {});
  const mapping = Uint32Array.from(c.mapping.channels, (ch) => ch - 1);
  const outs = {
    engine: new Float32Array(c.block * OUT_CHANNELS),
    scalar: new Float32Array(c.block * OUT_CHANNELS),
    copy: new Float32Array(c.block * OUT_CHANNELS),
  };
  const intakes: number[] = [];
  const variants = {
    engine: () => {
      const r = engineSegment(c, engine, outs.engine);
      intakes.push(r.intakeMs);
      return r.ms;
    },
    scalar: () => scalarSegment(c, mapping, outs.scalar),
    copy: () => copySegment(c, outs.copy),
  };
  try {
    // Calibrate on the engine (this also warms it up): enough segments for ROUND_MS per round.
    variants.engine();
    const segments = Math.max(1, Math.ceil(ROUND_MS / Math.max(variants.engine(), 1e-3)));
    intakes.length = 0;
    const names = Object.keys(variants) as (keyof typeof variants)[];
    const times = { engine: [] as number[], scalar: [] as number[], copy: [] as number[] };
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      // Rotate the order every round so no variant always runs first.
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + Math.max(round, 0)) % names.length];
        let ms = 0;
        for (let s = 0; s < segments; s++) ms += variants[name]();
        if (round >= 0) times[name].push(ms);
      }
    }
    // Both end on the same last block of a segment, with the voices added in the same order.
    if (!outs.engine.every((x, i) => x === outs.scalar[i]) || outs.engine.every((x) => x === 0)) {
      throw new Error(`engine and scalar reference disagree (${c.place}, [${c.mapping.name}], ${c.voices} voices)`);
    }
    const timedBlocks = segments * (c.segmentFrames / c.block - 1);
    const samples = timedBlocks * c.block * srcChannels(c) * c.voices;
    const ns = (ms: number[]) => (median(ms) * 1e6) / samples;
    const blockSeconds = median(times.engine) / 1e3 / timedBlocks;
    return {
      place: c.place,
      mapping: c.mapping.name,
      voices: c.voices,
      block: c.block,
      engineNs: ns(times.engine),
      scalarNs: ns(times.scalar),
      copyNs: ns(times.copy),
      engineVsScalar: median(times.engine.map((e, i) => times.scalar[i] / e)),
      engineOfCopy: median(times.engine.map((e, i) => e / times.copy[i])),
      realtimeVoices: (c.voices * c.block) / SAMPLE_RATE / blockSeconds,
      intakeUs: median(intakes) * 1e3,
    };
  } finally {
    engine.close();
    lib.rtm_mixer_destroy(mixer);
  }
}

/** The per-call floor: one block of 64 frames with no voices (FFI call, zeroing, bookkeeping). */
function floorNs(): { engine: number; scalar: number; copy: number } {
  const mixer = lib.rtm_mixer_create(0, OUT_CHANNELS, SAMPLE_RATE, 64)!;
  const out = new Float32Array(64 * OUT_CHANNELS);
  const none = new Float32Array(0);
  const map = new Uint32Array([0, 1]);
  const calls = smoke ? 1000 : 200_000;
  const time = (f: () => void) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) f();
    return ((performance.now() - t0) * 1e6) / calls;
  };
  const variants = {
    engine: () => lib.rtm_mixer_process(mixer, null, 0, out, out.byteLength, 64, 0, 0, 0, 0),
    scalar: () => bench.rtm_bench_scalar_block(out, OUT_CHANNELS, none, 2, map, 0, 0, 0, 64),
    copy: () => bench.rtm_bench_copy_block(out, none, 2, 0, 0, 0, 64),
  };
  const times = { engine: [] as number[], scalar: [] as number[], copy: [] as number[] };
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const [name, f] of Object.entries(variants)) times[name as keyof typeof times].push(time(f));
  }
  lib.rtm_mixer_destroy(mixer);
  return { engine: median(times.engine), scalar: median(times.scalar), copy: median(times.copy) };
}

function cases(place: Case["place"], shared: Float32Array, big: Float32Array): Case[] {
  const list: Case[] = [];
  for (const mapping of MAPPINGS) {
    for (const voices of VOICES) {
      for (const block of BLOCKS) {
        const ch = mapping.channels.length;
        if (place === "cache") {
          const src = shared.subarray(0, CACHE_FRAMES * ch);
          const sample = new Sample(src, { channels: ch });
          const sources = Array.from({ length: voices }, () => sample);
          list.push({ place, mapping, voices, block, src, stride: 0, sources, segmentFrames: CACHE_FRAMES });
        } else {
          const unit = block * ch;
          const stride = Math.floor(big.length / voices / unit) * unit;
          const sources = Array.from({ length: voices }, (_, v) => big.subarray(v * stride, (v + 1) * stride));
          list.push({ place, mapping, voices, block, src: big, stride, sources, segmentFrames: stride / ch });
        }
      }
    }
  }
  return list;
}

// Sample values: multiples of 1/1024 below 1, so every sum is exact and easy to compare.
const pattern = (a: Float32Array) => {
  for (let i = 0; i < a.length; i++) a[i] = ((i * 7919) % 1021) / 1024;
  return a;
};
const shared = pattern(new Float32Array(CACHE_FRAMES * 2));
const big = pattern(new Float32Array(MEMORY_BYTES / 4));

console.log(
  `# callback cost: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${
    smoke ? " (smoke run)" : ""
  }`,
);
console.log(
  `${OUT_CHANNELS} output channels at ${SAMPLE_RATE} Hz; medians of ${ROUNDS} interleaved rounds of >= ${ROUND_MS} ms ` +
    `(engine time); every variant is one FFI call per block.`,
);
console.log(
  "ns/sample = nanoseconds per sample per action, a sample being one frame of one source channel (what an action adds);",
);
console.log(
  "scalar = the obvious per-sample loop with mapping indirection, copy = memcpy of the same bytes (both native, ReleaseFast);",
);
console.log(
  "vs scalar = x faster than scalar; of copy = engine time / copy time; RT voices = voices one core mixes at 48 kHz.",
);
const floor = floorNs();
console.log(
  `per-call floor (block 64, no voices): engine ${floor.engine.toFixed(0)} ns, scalar ${floor.scalar.toFixed(0)} ns, ` +
    `copy ${floor.copy.toFixed(0)} ns`,
);

const rows: Row[] = [];
const titles = {
  cache:
    `sources in cache (every voice plays one shared ${CACHE_FRAMES}-frame Sample)`,
  memory: `streaming from memory (each voice its own slice of one ${MEMORY_BYTES >> 20} MiB buffer)`,
};
for (const place of ["cache", "memory"] as const) {
  console.log(`\n## ${titles[place]}\n`);
  console.log(
    "| case | mapping | voices | block | engine ns/sample | scalar ns/sample | copy ns/sample | vs scalar | of copy | RT voices | 1st block µs |",
  );
  console.log("|------|---------|-------:|------:|----:|----:|----:|----:|----:|----:|----:|");
  for (const c of cases(place, shared, big)) {
    const r = measure(c);
    rows.push(r);
    console.log(row([
      r.place,
      `[${r.mapping}]`,
      r.voices,
      r.block,
      r.engineNs.toFixed(3),
      r.scalarNs.toFixed(3),
      r.copyNs.toFixed(3),
      r.engineVsScalar.toFixed(2) + "x",
      r.engineOfCopy.toFixed(2) + "x",
      r.realtimeVoices.toFixed(0),
      r.intakeUs.toFixed(1),
    ]));
  }
}

// The goals are shown, not asserted: a benchmark reports, the tests decide. Each is judged on
// every row of its group; the worst row is named.
const contiguous = (r: Row) => MAPPINGS.find((m) => m.name === r.mapping)!.contiguous;
/** A goal "value >= limit" (at least) or "value <= limit" (at most), judged on every row of `group`. */
const goal = (text: string, group: Row[], value: (r: Row) => number, unit: string, limit: number, atLeast: boolean) => {
  const ok = (r: Row) => atLeast ? value(r) >= limit : value(r) <= limit;
  const worst = group.reduce((a, b) => (atLeast ? value(b) < value(a) : value(b) > value(a)) ? b : a);
  return {
    goal: text,
    rowsMet: group.filter(ok).length,
    rows: group.length,
    worst: `${value(worst).toFixed(2)}x ${unit}, [${worst.mapping}], ${worst.voices} voices, block ${worst.block}`,
  };
};
const goals = [
  goal(
    "contiguous [1,2], sources in cache: engine >= 10x the scalar loop",
    rows.filter((r) => r.place === "cache" && contiguous(r)),
    (r) => r.engineVsScalar,
    "faster",
    10,
    true,
  ),
  goal(
    "contiguous [1,2], from memory: engine within 1.25x of the copy",
    rows.filter((r) => r.place === "memory" && contiguous(r)),
    (r) => r.engineOfCopy,
    "of copy",
    1.25,
    false,
  ),
  goal(
    "non-contiguous [2,1] and [2]: engine no slower than the scalar loop",
    rows.filter((r) => !contiguous(r)),
    (r) => r.engineVsScalar,
    "faster",
    1,
    true,
  ),
];
console.log();
for (const g of goals) {
  const verdict = g.rowsMet === g.rows ? "met" : "NOT met";
  console.log(`goal: ${g.goal}: ${verdict} (met in ${g.rowsMet} of ${g.rows} rows; worst ${g.worst})`);
}

writeResults("callback", smoke, {
  settings: {
    sampleRate: SAMPLE_RATE,
    outputChannels: OUT_CHANNELS,
    cacheFrames: CACHE_FRAMES,
    memoryBytes: MEMORY_BYTES,
    rounds: ROUNDS,
    warmupRounds: WARMUP_ROUNDS,
    roundMs: ROUND_MS,
    sample: "one frame of one source channel",
  },
  floorNs: floor,
  rows,
  goals,
});
