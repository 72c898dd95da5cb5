/**
 * Callback cost: the audio callback's block processing (`rtm_mixer_process`, which a stream's
 * callback and OfflineMixer run) mixing 1 to 1024 play actions into 2 output channels, beside
 * the peer, python-rtmixer 0.1.7's own C callback (the `callback` of its wheel's
 * `_rtmixer.abi3.so`, which bench/_peer.ts installs into bench/.peer/), and two native
 * references compiled into the support library (zig/benchsupport.zig): the obvious scalar loop
 * with channel-mapping indirection, and a memcpy of the same source bytes (the physical limit).
 * All four run a segment's blocks in one native loop of the support library, one call per block
 * as PortAudio's thread calls a callback: no variant pays a JavaScript-to-native call per block
 * (which no stream pays; what it costs in this runtime is printed first, beside the floor). The
 * peer's callback is called as PortAudio calls it, with its `struct state`, its `struct action`s
 * (type PLAY_BUFFER, start 0, allow_belated, as `play_buffer` makes them) handed over through
 * its own action queue before a segment and taken back from its result queue after it, outside
 * the timed region, exactly like the engine's. If the peer cannot be had (no python3, no
 * network), the benchmark says why and measures the rest.
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
import process from "node:process";
import { libraryPath, native } from "../src/ffi/mod.ts";
import { Engine } from "../src/engine.ts";
import { Sample } from "../src/sample.ts";
import type { Pointer } from "../src/ffi/mod.ts";
import { pystubPath, support } from "../tests/helpers/support.ts";
import { machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";
import { type Peer, peer as installPeer } from "./_peer.ts";

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

const encoder = new TextEncoder();
/** The product's own `rtm_mixer_process`, which the support library's loop calls like a stream. */
const productPath = encoder.encode(libraryPath());
const processFn = bench.rtm_bench_product_process(productPath, productPath.length);
if (processFn === null) throw new Error("the support library did not find rtm_mixer_process in the loaded product");
/**
 * python-rtmixer, or why it is not measured. Its library is a Linux build here (the wheel for this
 * machine), and is loaded after zig/pystub.zig's stand-ins for the Python symbols it imports.
 */
const peerFound: Peer | { missing: string } = process.platform === "linux"
  ? installPeer()
  : { missing: `the peer is loaded on Linux only (this is ${process.platform})` };
const thePeer = "missing" in peerFound ? null : peerFound;

/** The peer's state for `voices` voices of `channels` channels (its callback's userData). */
function peerCreate(p: Peer, voices: number, channels: number): Pointer {
  const stub = encoder.encode(pystubPath());
  const so = encoder.encode(p.library);
  const made = bench.rtm_bench_peer_create(
    stub,
    stub.length,
    so,
    so.length,
    OUT_CHANNELS,
    SAMPLE_RATE,
    voices,
    channels,
  );
  if (made === null) {
    const why = new Uint8Array(512);
    const n = bench.rtm_bench_peer_error(why, why.length);
    throw new Error(`python-rtmixer's library: ${new TextDecoder().decode(why.subarray(0, n))}`);
  }
  return made;
}

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
  /** The same samples as `src`, in native memory, for the peer (which plays them in place). */
  peerSrc: Pointer | null;
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
  const frame = engine.frameTime;
  const blocks = c.segmentFrames / c.block;
  const t0 = performance.now();
  let status = bench.rtm_bench_engine_blocks(processFn, m, out, out.byteLength, c.block, frame, 1, SAMPLE_RATE);
  const t1 = performance.now();
  status |= bench.rtm_bench_engine_blocks(
    processFn,
    m,
    out,
    out.byteLength,
    c.block,
    frame + c.block,
    blocks - 1,
    SAMPLE_RATE,
  );
  const t2 = performance.now();
  if (status !== 0) throw new Error(`rtm_mixer_process refused a block (${status})`);
  engine.collect();
  if (engine.actions.size !== 0) throw new Error("actions outlived their buffers");
  return { ms: t2 - t1, intakeMs: t1 - t0 };
}

/**
 * One segment through python-rtmixer's callback: arm every voice and hand it over (as
 * `play_buffer` does), call the callback once per block, take the actions back from its result
 * queue. As for the engine, only blocks 2..n are timed (the first takes the new actions).
 */
function peerSegment(
  c: Case,
  state: Pointer,
  mapping: Uint32Array,
  clock: { frame: number },
  out: Float32Array,
): number {
  const handed = bench.rtm_bench_peer_arm(state, c.peerSrc!, c.stride, c.segmentFrames, mapping);
  if (handed !== c.voices) throw new Error(`python-rtmixer's action queue took ${handed} of ${c.voices} actions`);
  const blocks = c.segmentFrames / c.block;
  let status = bench.rtm_bench_peer_blocks(state, out, c.block, clock.frame, 1, SAMPLE_RATE);
  const t0 = performance.now();
  status |= bench.rtm_bench_peer_blocks(state, out, c.block, clock.frame + c.block, blocks - 1, SAMPLE_RATE);
  const ms = performance.now() - t0;
  clock.frame += c.segmentFrames;
  if (status !== 0) throw new Error(`python-rtmixer's callback returned ${status} (paContinue is 0)`);
  const whole = bench.rtm_bench_peer_collect(state);
  if (whole !== c.voices) throw new Error(`python-rtmixer played ${whole} of ${c.voices} actions whole`);
  return ms;
}

/** One segment of the scalar reference, the first block untimed like the engine's. */
function scalarSegment(c: Case, mapping: Uint32Array, out: Float32Array): number {
  const ch = srcChannels(c);
  bench.rtm_bench_scalar_blocks(out, OUT_CHANNELS, c.src, ch, mapping, c.voices, c.stride, 0, c.block, c.block);
  const t0 = performance.now();
  bench.rtm_bench_scalar_blocks(
    out,
    OUT_CHANNELS,
    c.src,
    ch,
    mapping,
    c.voices,
    c.stride,
    c.block,
    c.segmentFrames,
    c.block,
  );
  return performance.now() - t0;
}

/** One segment of memcpy of the same bytes, the first block untimed. */
function copySegment(c: Case, out: Float32Array): number {
  const ch = srcChannels(c);
  bench.rtm_bench_copy_blocks(out, c.src, ch, c.voices, c.stride, 0, c.block, c.block);
  const t0 = performance.now();
  bench.rtm_bench_copy_blocks(out, c.src, ch, c.voices, c.stride, c.block, c.segmentFrames, c.block);
  return performance.now() - t0;
}

interface Row {
  place: Case["place"];
  mapping: string;
  voices: number;
  block: number;
  /** Nanoseconds per sample per action; a sample is one frame of one source channel. */
  engineNs: number;
  /** python-rtmixer's callback (null: not measured). */
  peerNs: number | null;
  scalarNs: number;
  copyNs: number;
  /** Median over rounds of peer time / engine time: how many times faster than python-rtmixer. */
  engineVsPeer: number | null;
  /** Median over rounds of scalar time / engine time. */
  engineVsScalar: number;
  /**
   * Nanoseconds per action per block beyond what copying its bytes takes: the median over rounds
   * of (engine - copy) time, each pair measured back to back (the bookkeeping around the mixing,
   * and the mixing's cost above a plain copy). The same for the peer (null: not measured).
   */
  engineBeyondCopyNs: number;
  peerBeyondCopyNs: number | null;
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
    peer: new Float32Array(c.block * OUT_CHANNELS),
    scalar: new Float32Array(c.block * OUT_CHANNELS),
    copy: new Float32Array(c.block * OUT_CHANNELS),
  };
  const intakes: number[] = [];
  const state = thePeer && c.peerSrc ? peerCreate(thePeer, c.voices, srcChannels(c)) : null;
  const peerMapping = Uint32Array.from(c.mapping.channels); // rtmixer's mappings are 1-based
  const peerClock = { frame: 0 };
  const variants: Record<"engine" | "peer" | "scalar" | "copy", () => number> = {
    engine: () => {
      const r = engineSegment(c, engine, outs.engine);
      intakes.push(r.intakeMs);
      return r.ms;
    },
    peer: () => peerSegment(c, state!, peerMapping, peerClock, outs.peer),
    scalar: () => scalarSegment(c, mapping, outs.scalar),
    copy: () => copySegment(c, outs.copy),
  };
  if (state === null) delete (variants as Partial<typeof variants>).peer;
  try {
    // Calibrate on the engine (this also warms it up): enough segments for ROUND_MS per round.
    variants.engine();
    const segments = Math.max(1, Math.ceil(ROUND_MS / Math.max(variants.engine(), 1e-3)));
    intakes.length = 0;
    const names = Object.keys(variants) as (keyof typeof variants)[];
    const times = { engine: [] as number[], peer: [] as number[], scalar: [] as number[], copy: [] as number[] };
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
    // The peer mixed the same block of the same voices, in the same order: the same sums.
    if (state !== null && !outs.engine.every((x, i) => x === outs.peer[i])) {
      throw new Error(`engine and python-rtmixer disagree (${c.place}, [${c.mapping.name}], ${c.voices} voices)`);
    }
    const timedBlocks = segments * (c.segmentFrames / c.block - 1);
    const samples = timedBlocks * c.block * srcChannels(c) * c.voices;
    const ns = (ms: number[]) => (median(ms) * 1e6) / samples;
    const blockSeconds = median(times.engine) / 1e3 / timedBlocks;
    const perActionBlock = (ms: number) => (ms * 1e6) / (timedBlocks * c.voices);
    return {
      place: c.place,
      mapping: c.mapping.name,
      voices: c.voices,
      block: c.block,
      engineNs: ns(times.engine),
      peerNs: state === null ? null : ns(times.peer),
      scalarNs: ns(times.scalar),
      copyNs: ns(times.copy),
      engineVsPeer: state === null ? null : median(times.engine.map((e, i) => times.peer[i] / e)),
      engineVsScalar: median(times.engine.map((e, i) => times.scalar[i] / e)),
      engineBeyondCopyNs: median(times.engine.map((e, i) => perActionBlock(e - times.copy[i]))),
      peerBeyondCopyNs: state === null ? null : median(times.peer.map((e, i) => perActionBlock(e - times.copy[i]))),
      engineOfCopy: median(times.engine.map((e, i) => e / times.copy[i])),
      realtimeVoices: (c.voices * c.block) / SAMPLE_RATE / blockSeconds,
      intakeUs: median(intakes) * 1e3,
    };
  } finally {
    engine.close();
    lib.rtm_mixer_destroy(mixer);
    if (state !== null) bench.rtm_bench_peer_destroy(state);
  }
}

/**
 * The per-block floor: blocks of 64 frames with no voices (zeroing, bookkeeping), in the native
 * loop every variant runs in; and the engine's block called from JavaScript, one FFI call per
 * block, which is what this runtime adds to a block called that way (a stream never is).
 */
function floorNs(): { engine: number; peer: number | null; scalar: number; copy: number; engineFfi: number } {
  const mixer = lib.rtm_mixer_create(0, OUT_CHANNELS, SAMPLE_RATE, 64)!;
  const state = thePeer ? peerCreate(thePeer, 1, 2) : null;
  const out = new Float32Array(64 * OUT_CHANNELS);
  const none = new Float32Array(0);
  const map = new Uint32Array([0, 1]);
  const blocks = smoke ? 1000 : 200_000;
  let frame = 0;
  const time = (f: () => void, calls: number) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) f();
    return ((performance.now() - t0) * 1e6) / blocks;
  };
  const variants: Record<string, () => number> = {
    engine: () =>
      time(() => {
        bench.rtm_bench_engine_blocks(processFn, mixer, out, out.byteLength, 64, frame, blocks, SAMPLE_RATE);
        frame += 64 * blocks;
      }, 1),
    engineFfi: () =>
      time(() => {
        const t = frame / SAMPLE_RATE;
        lib.rtm_mixer_process(mixer, null, 0, out, out.byteLength, 64, t, t, t, 0);
        frame += 64;
      }, blocks),
    scalar: () =>
      time(() => bench.rtm_bench_scalar_blocks(out, OUT_CHANNELS, none, 2, map, 0, 0, 0, 64 * blocks, 64), 1),
    copy: () => time(() => bench.rtm_bench_copy_blocks(out, none, 2, 0, 0, 0, 64 * blocks, 64), 1),
  };
  if (state !== null) {
    variants.peer = () => time(() => bench.rtm_bench_peer_blocks(state, out, 64, 0, blocks, SAMPLE_RATE), 1);
  }
  const times: Record<string, number[]> = { engine: [], engineFfi: [], peer: [], scalar: [], copy: [] };
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const [name, f] of Object.entries(variants)) times[name].push(f());
  }
  lib.rtm_mixer_destroy(mixer);
  if (state !== null) bench.rtm_bench_peer_destroy(state);
  return {
    engine: median(times.engine),
    engineFfi: median(times.engineFfi),
    peer: state === null ? null : median(times.peer),
    scalar: median(times.scalar),
    copy: median(times.copy),
  };
}

function cases(place: Case["place"], shared: Float32Array, big: Float32Array, peerSrc: Pointer | null): Case[] {
  const list: Case[] = [];
  for (const mapping of MAPPINGS) {
    for (const voices of VOICES) {
      for (const block of BLOCKS) {
        const ch = mapping.channels.length;
        if (place === "cache") {
          const src = shared.subarray(0, CACHE_FRAMES * ch);
          const sample = new Sample(src, { channels: ch });
          const sources = Array.from({ length: voices }, () => sample);
          list.push({ place, mapping, voices, block, src, stride: 0, sources, segmentFrames: CACHE_FRAMES, peerSrc });
        } else {
          const unit = block * ch;
          const stride = Math.floor(big.length / voices / unit) * unit;
          const sources = Array.from({ length: voices }, (_, v) => big.subarray(v * stride, (v + 1) * stride));
          list.push({ place, mapping, voices, block, src: big, stride, sources, segmentFrames: stride / ch, peerSrc });
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
/** The peer's copies of both (it plays memory in place, as python-rtmixer plays a NumPy array). */
const peerShared = thePeer ? bench.rtm_bench_native_copy(shared, shared.byteLength) : null;
const peerBig = thePeer ? bench.rtm_bench_native_copy(big, big.byteLength) : null;
if (thePeer && (peerShared === null || peerBig === null)) throw new Error("no native memory for the peer's sources");

const fixed = (x: number | null, digits: number, unit = "") => x === null ? "-" : x.toFixed(digits) + unit;

console.log(
  `# callback cost: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${
    smoke ? " (smoke run)" : ""
  }`,
);
console.log(
  thePeer
    ? `peer: python-rtmixer ${thePeer.version}'s callback, ${thePeer.library}`
    : `peer: python-rtmixer not measured: ${(peerFound as { missing: string }).missing}`,
);
console.log(
  `${OUT_CHANNELS} output channels at ${SAMPLE_RATE} Hz; medians of ${ROUNDS} interleaved rounds of >= ${ROUND_MS} ms ` +
    `(engine time); every variant runs a segment's blocks in one native loop.`,
);
console.log(
  "ns/sample = nanoseconds per sample per action, a sample being one frame of one source channel (what an action adds);",
);
console.log(
  "peer = python-rtmixer's C callback; scalar = the obvious per-sample loop with mapping indirection, copy = memcpy of",
);
console.log(
  "the same bytes (both native, ReleaseFast); vs peer / vs scalar = x faster than it; of copy = engine time / copy time;",
);
console.log("RT voices = voices one core mixes at 48 kHz.");
const floor = floorNs();
console.log(
  `per-block floor (block 64, no voices): engine ${floor.engine.toFixed(1)} ns, peer ${fixed(floor.peer, 1, " ns")}, ` +
    `scalar ${floor.scalar.toFixed(1)} ns, copy ${floor.copy.toFixed(1)} ns; the engine's block called from ` +
    `${runtime.name} through FFI, one call per block: ${floor.engineFfi.toFixed(1)} ns`,
);

const rows: Row[] = [];
const titles = {
  cache: `sources in cache (every voice plays one shared ${CACHE_FRAMES}-frame Sample)`,
  memory: `streaming from memory (each voice its own slice of one ${MEMORY_BYTES >> 20} MiB buffer)`,
};
for (const place of ["cache", "memory"] as const) {
  console.log(`\n## ${titles[place]}\n`);
  console.log(
    "| case | mapping | voices | block | engine ns/sample | peer ns/sample | scalar ns/sample | copy ns/sample | vs peer | vs scalar | of copy | RT voices | 1st block µs |",
  );
  console.log("|------|---------|-------:|------:|----:|----:|----:|----:|----:|----:|----:|----:|----:|");
  for (const c of cases(place, shared, big, place === "cache" ? peerShared : peerBig)) {
    const r = measure(c);
    rows.push(r);
    console.log(row([
      r.place,
      `[${r.mapping}]`,
      r.voices,
      r.block,
      r.engineNs.toFixed(3),
      fixed(r.peerNs, 3),
      r.scalarNs.toFixed(3),
      r.copyNs.toFixed(3),
      fixed(r.engineVsPeer, 2, "x"),
      r.engineVsScalar.toFixed(2) + "x",
      r.engineOfCopy.toFixed(2) + "x",
      r.realtimeVoices.toFixed(0),
      r.intakeUs.toFixed(1),
    ]));
  }
}
if (peerShared !== null) bench.rtm_bench_native_free(peerShared, shared.byteLength);
if (peerBig !== null) bench.rtm_bench_native_free(peerBig, big.byteLength);

/**
 * Where the time goes: each variant's time per action per block at blocks 64 and 256 fitted to
 * fixed + perSample × samples (two sizes, two unknowns). `fixedNs` is what an action costs per
 * block whatever its length (the engine: the active list, the action's stats and frame
 * arithmetic, its call into the mixing loop; the peer: the same in C), `perSampleNs` what each
 * sample it adds costs. At block 64 a stereo voice adds 128 samples: a fixed cost of a few ns is
 * then as large as the mixing itself.
 */
interface Split {
  place: Row["place"];
  mapping: string;
  voices: number;
  engine: { fixedNs: number; perSampleNs: number };
  peer: { fixedNs: number; perSampleNs: number } | null;
  copy: { fixedNs: number; perSampleNs: number };
  /** At block 64: ns per action per block beyond the copy (paired rounds; see `Row`). */
  beyondCopy64: { engine: number; peer: number | null };
}
const splits: Split[] = [];
for (const r64 of rows.filter((r) => r.block === 64)) {
  const r256 = rows.find((r) =>
    r.block === 256 && r.place === r64.place && r.mapping === r64.mapping && r.voices === r64.voices
  );
  if (!r256) continue;
  const ch = MAPPINGS.find((m) => m.name === r64.mapping)!.channels.length;
  const fit = (ns64: number, ns256: number) => {
    const [s64, s256] = [64 * ch, 256 * ch]; // samples per action per block
    const perSampleNs = (ns256 * s256 - ns64 * s64) / (s256 - s64);
    return { fixedNs: ns64 * s64 - perSampleNs * s64, perSampleNs };
  };
  splits.push({
    place: r64.place,
    mapping: r64.mapping,
    voices: r64.voices,
    engine: fit(r64.engineNs, r256.engineNs),
    peer: r64.peerNs === null || r256.peerNs === null ? null : fit(r64.peerNs, r256.peerNs),
    copy: fit(r64.copyNs, r256.copyNs),
    beyondCopy64: { engine: r64.engineBeyondCopyNs, peer: r64.peerBeyondCopyNs },
  });
}
console.log(
  "\n## where the time goes: ns per action per block = fixed + per sample × samples (fitted to blocks 64 and 256),\n" +
    "## and at block 64 the time beyond copying the same bytes (median of back-to-back pairs of rounds)\n",
);
console.log(
  "| case | mapping | voices | engine fixed ns | engine ns/sample | peer fixed ns | peer ns/sample | copy fixed ns | copy ns/sample | engine beyond copy, block 64, ns | peer beyond copy, block 64, ns |",
);
console.log("|------|---------|-------:|----:|----:|----:|----:|----:|----:|----:|----:|");
for (const s of splits) {
  console.log(row([
    s.place,
    `[${s.mapping}]`,
    s.voices,
    s.engine.fixedNs.toFixed(1),
    s.engine.perSampleNs.toFixed(3),
    fixed(s.peer?.fixedNs ?? null, 1),
    fixed(s.peer?.perSampleNs ?? null, 3),
    s.copy.fixedNs.toFixed(1),
    s.copy.perSampleNs.toFixed(3),
    s.beyondCopy64.engine.toFixed(1),
    fixed(s.beyondCopy64.peer, 1),
  ]));
}

// The goals are shown, not asserted: a benchmark reports, the tests decide. Each is judged on
// every row of its group; the worst row is named.
const contiguous = (r: Row) => MAPPINGS.find((m) => m.name === r.mapping)!.contiguous;
/** A goal "value >= limit" (at least) or "value <= limit" (at most), judged on every row of `group`. */
const goal = (
  text: string,
  group: Row[],
  value: (r: Row) => number | null,
  unit: string,
  limit: number,
  atLeast: boolean,
) => {
  const measured = group.filter((r) => value(r) !== null);
  if (measured.length === 0) return { goal: text, rowsMet: 0, rows: 0, worst: "not measured" };
  const v = (r: Row) => value(r)!;
  const ok = (r: Row) => atLeast ? v(r) >= limit : v(r) <= limit;
  const worst = measured.reduce((a, b) => (atLeast ? v(b) < v(a) : v(b) > v(a)) ? b : a);
  return {
    goal: text,
    rowsMet: measured.filter(ok).length,
    rows: measured.length,
    worst: `${v(worst).toFixed(2)}x ${unit}, [${worst.mapping}], ${worst.voices} voices, block ${worst.block}`,
  };
};
const goals = [
  goal(
    "contiguous [1,2], sources in cache: engine >= 10x python-rtmixer's callback",
    rows.filter((r) => r.place === "cache" && contiguous(r)),
    (r) => r.engineVsPeer,
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
    "non-contiguous [2,1] and [2]: engine no slower than python-rtmixer's callback",
    rows.filter((r) => !contiguous(r)),
    (r) => r.engineVsPeer,
    "faster",
    1,
    true,
  ),
  goal(
    "contiguous [1,2], sources in cache: engine >= 10x the scalar loop",
    rows.filter((r) => r.place === "cache" && contiguous(r)),
    (r) => r.engineVsScalar,
    "faster",
    10,
    true,
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
  const verdict = g.rows === 0
    ? `not measured (${(peerFound as { missing: string }).missing})`
    : `${g.rowsMet === g.rows ? "met" : "NOT met"} (met in ${g.rowsMet} of ${g.rows} rows; worst ${g.worst})`;
  console.log(`goal: ${g.goal}: ${verdict}`);
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
  peer: thePeer
    ? { name: "python-rtmixer", version: thePeer.version, library: thePeer.library }
    : { name: "python-rtmixer", missing: (peerFound as { missing: string }).missing },
  floorNs: floor,
  rows,
  splits,
  goals,
});
