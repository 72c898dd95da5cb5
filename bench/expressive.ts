/**
 * Callback cost of expressive playback: the audio callback's block processing
 * (`rtm_mixer_process`, as bench/callback.ts measures it) with every voice carrying a constant
 * gain, a gain ramp (setGain with a ramp over the whole segment: linear, exponential, target),
 * fades (fade-in and fade-out over the whole segment), or a loop (a 300-frame region wrapped 13
 * times, inside blocks and across their edges), against plain play (gain 1, no loop: the plain
 * bit-exact sum) in the same run. Rounds of the variants alternate (the order rotates every
 * round), every figure is a median, and each ratio is the median over rounds of variant time /
 * plain time measured in the same round.
 *
 * Every voice plays from one shared Sample (native memory, in cache), so the figures are the
 * arithmetic of the mixing, not memory bandwidth: the worst case for the ratio.
 *
 *   bun bench/expressive.ts [--smoke]
 *   deno run -A bench/expressive.ts [--smoke]
 *
 * --smoke: tiny sizes, only checks that the benchmark still runs; nothing is written.
 */
import { native } from "../src/ffi/mod.ts";
import { Engine } from "../src/engine.ts";
import { Sample } from "../src/sample.ts";
import { machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/expressive.ts");

const SAMPLE_RATE = 48000;
const OUT_CHANNELS = 2;
const CHANNELS = [1, 2]; // stereo onto 1-2: the plain path is the vectorised one
const VOICES = [16, 256];
const BLOCKS = [64, 256];
/** Frames each voice plays in a segment: 16 blocks of 256, 64 of 64. */
const SEGMENT = 4096;
/** The loop: a region of LOOP frames at the buffer's start, played LOOPS times, then the tail. */
const LOOP = 300;
const LOOPS = 13;
const TAIL = SEGMENT - LOOP * LOOPS; // 196 frames after the region
const ROUNDS = smoke ? 1 : 7; // odd, so the median is one measured round
const WARMUP_ROUNDS = smoke ? 0 : 1;
const ROUND_MS = smoke ? 0.2 : 10; // at least this much plain engine time per round
const GOAL = 1.3;

const lib = native();

// Frame i of the pattern: multiples of 1/1024 below 1, periodic with period LOOP, so the loop
// variant plays exactly what plain play of the unrolled buffer plays.
const frameValue = (i: number, c: number) => ((((i % LOOP) * 2 + c) * 7919) % 1021) / 1024;
const unrolled = Float32Array.from({ length: SEGMENT * 2 }, (_, k) => frameValue(k >> 1, k & 1));
const looped = unrolled.subarray(0, (LOOP + TAIL) * 2);

type Variant = "plain" | "gain" | "ramp linear" | "ramp exponential" | "ramp target" | "fades" | "loop";
const VARIANTS: Variant[] = ["plain", "gain", "ramp linear", "ramp exponential", "ramp target", "fades", "loop"];
const SEGMENT_SECONDS = SEGMENT / SAMPLE_RATE;

interface Setup {
  engine: Engine;
  mixer: NonNullable<ReturnType<typeof lib.rtm_mixer_create>>;
  full: Sample;
  loop: Sample;
  out: Float32Array;
}

/** Submits one segment's voices of `variant`. */
function submit(s: Setup, variant: Variant, voices: number): void {
  const e = s.engine;
  for (let v = 0; v < voices; v++) {
    switch (variant) {
      case "plain":
        e.playBuffer(s.full, CHANNELS);
        break;
      case "gain":
        e.playBuffer(s.full, CHANNELS, { gain: 0.5 });
        break;
      case "ramp linear":
      case "ramp exponential":
      case "ramp target": {
        // From the first frame on, over the whole segment: the gain differs on every frame.
        const a = e.playBuffer(s.full, CHANNELS);
        const curve = variant.slice(5) as "linear" | "exponential" | "target";
        e.setGain(a, 0.25, { ramp: curve === "target" ? SEGMENT_SECONDS / 8 : SEGMENT_SECONDS, curve });
        break;
      }
      case "fades":
        e.playBuffer(s.full, CHANNELS, { fadeIn: SEGMENT_SECONDS / 2, fadeOut: SEGMENT_SECONDS / 2 });
        break;
      case "loop":
        e.playBuffer(s.loop, CHANNELS, { loop: LOOPS, loopStart: 0, loopEnd: LOOP });
        break;
    }
  }
}

/**
 * One segment: submit every voice, process blocks until all have played through, collect. Only
 * blocks 2..n are timed (the first takes the new actions off the queue), as in bench/callback.ts.
 */
function segment(s: Setup, variant: Variant, voices: number, block: number): number {
  submit(s, variant, voices);
  let frame = s.engine.frameTime;
  const t = () => frame / SAMPLE_RATE;
  const out = s.out.subarray(0, block * OUT_CHANNELS);
  lib.rtm_mixer_process(s.mixer, null, 0, out, out.byteLength, block, t(), t(), t(), 0);
  const t0 = performance.now();
  for (let at = block; at < SEGMENT; at += block) {
    frame += block;
    lib.rtm_mixer_process(s.mixer, null, 0, out, out.byteLength, block, t(), t(), t(), 0);
  }
  const ms = performance.now() - t0;
  s.engine.collect();
  if (s.engine.actions.size !== 0) throw new Error(`${variant}: actions outlived their segment`);
  return ms;
}

interface Row {
  voices: number;
  block: number;
  variant: Variant;
  /** Nanoseconds per sample per voice (a sample: one frame of one source channel). */
  ns: number;
  /** Median over rounds of this variant's time / plain's time in the same round. */
  vsPlain: number;
  /** Lowest and highest of those ratios over the rounds. */
  vsPlainRange: [number, number];
}

function measure(voices: number, block: number): Row[] {
  const queueSize = Math.max(64, 2 ** Math.ceil(Math.log2(2 * voices)));
  const mixer = lib.rtm_mixer_create(0, OUT_CHANNELS, SAMPLE_RATE, queueSize);
  if (!mixer) throw new Error("rtm_mixer_create failed");
  const engine = new Engine(mixer, 0, OUT_CHANNELS, {});
  const s: Setup = {
    engine,
    mixer,
    full: new Sample(unrolled, { channels: 2 }),
    loop: new Sample(looped, { channels: 2 }),
    out: new Float32Array(block * OUT_CHANNELS),
  };
  try {
    // The loop plays what plain play plays: the last block of a segment is the same.
    segment(s, "plain", voices, block);
    const plainOut = s.out.slice();
    segment(s, "loop", voices, block);
    if (!s.out.every((x, i) => x === plainOut[i]) || plainOut.every((x) => x === 0)) {
      throw new Error(`loop and plain disagree (${voices} voices, block ${block})`);
    }
    // Calibrate on plain: enough segments for ROUND_MS per round.
    const segments = Math.max(1, Math.ceil(ROUND_MS / Math.max(segment(s, "plain", voices, block), 1e-3)));
    const times = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      for (let k = 0; k < VARIANTS.length; k++) {
        const variant = VARIANTS[(k + Math.max(round, 0)) % VARIANTS.length];
        let ms = 0;
        for (let n = 0; n < segments; n++) ms += segment(s, variant, voices, block);
        if (round >= 0) times[variant].push(ms);
      }
    }
    const samples = segments * (SEGMENT - block) * CHANNELS.length * voices;
    return VARIANTS.map((variant) => {
      const ratios = times[variant].map((t, i) => t / times.plain[i]);
      return {
        voices,
        block,
        variant,
        ns: (median(times[variant]) * 1e6) / samples,
        vsPlain: median(ratios),
        vsPlainRange: [Math.min(...ratios), Math.max(...ratios)] as [number, number],
      };
    });
  } finally {
    engine.close();
    s.full[Symbol.dispose]();
    s.loop[Symbol.dispose]();
    lib.rtm_mixer_destroy(mixer);
  }
}

console.log(`# expressive playback callback cost: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${smoke ? " (smoke run)" : ""}`);
console.log(
  `${OUT_CHANNELS} output channels at ${SAMPLE_RATE} Hz, stereo voices onto [1,2] from one shared ${SEGMENT}-frame Sample; ` +
    `medians of ${ROUNDS} interleaved rounds of >= ${ROUND_MS} ms.`,
);
console.log(
  "ns/sample = nanoseconds per sample per voice (one frame of one source channel); vs plain = median over rounds of " +
    "variant time / plain time in the same round (range: lowest-highest round).",
);
console.log(
  `gain: constant 0.5; ramp: setGain to 0.25 over the whole segment (target: time constant 1/8 of it); ` +
    `fades: fadeIn and fadeOut of half the segment each; loop: a ${LOOP}-frame region ${LOOPS} times.`,
);
console.log("\n| voices | block | variant | ns/sample | vs plain | range |");
console.log("|-------:|------:|---------|----:|----:|----:|");
const rows: Row[] = [];
for (const voices of VOICES) {
  for (const block of BLOCKS) {
    for (const r of measure(voices, block)) {
      rows.push(r);
      console.log(row([
        r.voices,
        r.block,
        r.variant,
        r.ns.toFixed(3),
        r.vsPlain.toFixed(2) + "x",
        `${r.vsPlainRange[0].toFixed(2)}-${r.vsPlainRange[1].toFixed(2)}`,
      ]));
    }
  }
}

// Shown, not asserted: a benchmark reports, the tests decide. Judged per variant on every row.
console.log();
const goals = VARIANTS.filter((v) => v !== "plain").map((variant) => {
  const group = rows.filter((r) => r.variant === variant);
  const worst = group.reduce((a, b) => (b.vsPlain > a.vsPlain ? b : a));
  const met = group.filter((r) => r.vsPlain <= GOAL).length;
  const g = {
    goal: `${variant}: at most ${GOAL}x plain mixing`,
    rowsMet: met,
    rows: group.length,
    worst: `${worst.vsPlain.toFixed(2)}x, ${worst.voices} voices, block ${worst.block}`,
  };
  console.log(`goal: ${g.goal}: ${met === group.length ? "met" : "NOT met"} (met in ${met} of ${group.length} rows; worst ${g.worst})`);
  return g;
});

writeResults("expressive", smoke, {
  settings: {
    sampleRate: SAMPLE_RATE,
    outputChannels: OUT_CHANNELS,
    channels: CHANNELS,
    segmentFrames: SEGMENT,
    loopFrames: LOOP,
    loops: LOOPS,
    rounds: ROUNDS,
    warmupRounds: WARMUP_ROUNDS,
    roundMs: ROUND_MS,
    sample: "one frame of one source channel",
  },
  rows,
  goals,
});
