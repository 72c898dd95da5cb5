/**
 * sequencer: a step sequencer built on gapless chains. Each step of the pattern is a buffer of
 * exactly one step's length (a synthesized drum, cut to the step, or silence for a rest), and
 * each is played `after` the step before it: it starts at exactly the frame where that one ends,
 * as the callback finds it, with no gap and no overlap and no start time computed in JavaScript.
 * Step lengths are whole frames, rounded so that the steps add up to the tempo without drifting
 * (at 48 kHz and 120 BPM every 16th note is 6000 frames; at 44.1 kHz and 130 BPM they are 5088
 * or 5089). The drums are mono, placed by a pan matrix. At the end it checks every step's start
 * frame against the previous step's start plus its length, and prints what it found.
 *
 * Pattern letters: x kick, o snare, h hi-hat, . (or -) rest.
 *
 *   bun examples/sequencer.ts --bpm 100 --pattern "x.h.o.h.x.xho.h." --bars 4
 *   deno run -A examples/sequencer.ts --help
 */
import process from "node:process";
import { type Action, Mixer, pan } from "../mod.ts";
import { cli, int, num, orExit, powerOfTwo, Progress, random, streamOptions, usageError } from "./_common.ts";

const { values } = cli({
  name: "sequencer",
  summary: "A drum step sequencer: each step starts where the previous one ends (gapless chains with `after`).",
}, {
  pattern: {
    type: "string",
    short: "p",
    help: "x kick, o snare, h hi-hat, . or - rest; one letter per step",
    default: "x.h.o.h.x.xho.h.",
  },
  bpm: { type: "string", short: "t", help: "tempo in beats per minute", default: "120" },
  "steps-per-beat": { type: "string", help: "steps in a beat (4: 16th notes)", default: "4" },
  bars: { type: "string", short: "n", help: "times to play the pattern", default: "2" },
  gain: { type: "string", short: "g", help: "linear gain of the drums", default: "0.5" },
  verbose: { type: "boolean", short: "v", help: "print every step's frames" },
});
const pattern = (values.pattern as string).replaceAll("-", ".");
const bad = /[^xoh.]/.exec(pattern);
if (pattern.length === 0) usageError("--pattern needs at least one step (--help for usage)");
if (bad) {
  usageError(
    `--pattern: unknown step ${JSON.stringify(bad[0])} at ${bad.index + 1} (x kick, o snare, h hi-hat, . rest)`,
  );
}
const bpm = num(values, "bpm", 20, 999);
const perBeat = int(values, "steps-per-beat", 1, 16);
const bars = int(values, "bars", 1, 1000);
const gain = num(values, "gain", 0, 1);
const steps = pattern.length * bars;
if (steps > 4096) usageError(`${steps} steps (--pattern × --bars): at most 4096`);

using mixer = orExit(() =>
  new Mixer({
    ...streamOptions(values),
    channels: 2,
    // Every step is sent ahead and in flight at once, plus the progress line's stats fetch.
    queueSize: powerOfTwo(steps + 2),
  })
);
const fs = mixer.sampleRate;
const stepSeconds = 60 / bpm / perBeat;

// ---------------------------------------------------------------------------------------------
// The drums: mono, synthesized for `frames` frames (a step's length), ending in a 2 ms fade so
// that a sound cut short by the end of its step does not click.

const noise = random(7);
const drums: Record<string, (t: number) => number> = {
  x: (t) => Math.sin(2 * Math.PI * (50 * t + (100 / 30) * (1 - Math.exp(-30 * t)))) * Math.exp(-t / 0.15),
  o: (t) => (0.6 * (2 * noise() - 1) + 0.4 * Math.sin(2 * Math.PI * 185 * t)) * Math.exp(-t / 0.08),
  h: (() => {
    let last = 0;
    return (t: number) => {
      const n = 2 * noise() - 1;
      const high = n - last; // a first difference: the noise's highs
      last = n;
      return 0.5 * high * Math.exp(-t / 0.025);
    };
  })(),
};
const placement: Record<string, number> = { x: 0, o: -0.15, h: 0.45, ".": 0 };

function drum(letter: string, frames: number): Float32Array {
  const out = new Float32Array(frames);
  const sound = drums[letter];
  if (!sound) return out; // a rest: silence, which keeps the chain going
  const fade = Math.min(frames, Math.round(0.002 * fs));
  for (let i = 0; i < frames; i++) {
    const tail = Math.min(1, (frames - i) / fade);
    out[i] = gain * sound(i / fs) * tail;
  }
  return out;
}

/** A step's buffer, by letter and length (steps differ by a frame at most: two lengths). */
const buffers = new Map<string, Float32Array>();
function stepBuffer(letter: string, frames: number): Float32Array {
  const key = `${letter}${frames}`;
  let b = buffers.get(key);
  if (!b) buffers.set(key, b = drum(letter, frames));
  return b;
}

/** Step i's length: the frames between the rounded starts of steps i and i + 1 on the tempo's grid. */
const stepFrames = (i: number) => Math.round((i + 1) * stepSeconds * fs) - Math.round(i * stepSeconds * fs);

// ---------------------------------------------------------------------------------------------
// The chain: the first step at a frame a little ahead, each next one after the one before.

mixer.start();
const first = mixer.frameTime + Math.round(0.2 * fs);
const chain: Action[] = [];
for (let i = 0; i < steps; i++) {
  const letter = pattern[i % pattern.length];
  const buffer = stepBuffer(letter, stepFrames(i));
  const options = { matrix: pan(placement[letter]), ...(i === 0 ? { startFrame: first } : { after: chain[i - 1] }) };
  chain.push(mixer.playBuffer(buffer, [1, 2], options));
}
const lengths = [...new Set(Array.from({ length: steps }, (_, i) => stepFrames(i)))].sort((a, b) => a - b);
console.log(
  `playing ${JSON.stringify(pattern)} ${bars} time(s) at ${bpm} BPM, ${perBeat} steps per beat: ${steps} steps of ` +
    `${lengths.join(" or ")} frames (${
      (stepSeconds * 1000).toFixed(3)
    } ms) at ${fs} Hz, each chained after the one before`,
);
const progress = new Progress(mixer, {
  total: 0.2 + steps * stepSeconds,
  extra: () => `step ${Math.min(steps, chain.filter((a) => a.finished).length + 1)} of ${steps}`,
});
await mixer.wait(chain[steps - 1]);
await mixer.wait();
const stats = await progress.stats();

// ---------------------------------------------------------------------------------------------
// The check: each step started at exactly the frame where the previous one ended.

let gaps = 0;
let overlaps = 0;
let unplayed = 0;
for (let i = 0; i < steps; i++) {
  const a = chain[i];
  const expected = i === 0 ? first : chain[i - 1].startFrame + chain[i - 1].totalFrames;
  // (the first step's start is the stream's to keep: a late one is reported, not a gap)
  const off = i === 0 ? 0 : a.startFrame - expected;
  if (off > 0) gaps++;
  if (off < 0) overlaps++;
  if (a.outcome !== "done" || a.doneFrames !== a.totalFrames) unplayed++;
  if (values.verbose) {
    const from = i === 0 ? `asked: ${first}` : `step ${i} ended at ${expected}`;
    console.log(
      `step ${String(i + 1).padStart(4)} ${pattern[i % pattern.length]}: frames ${a.startFrame}-${
        a.startFrame + a.totalFrames
      } ` +
        `(${a.totalFrames}), ${from}${
          off === 0 ? "" : `: ${off > 0 ? "GAP" : "OVERLAP"} of ${Math.abs(off)}`
        } [${a.outcome}]`,
    );
  }
}
const last = chain[steps - 1];
const span = last.startFrame + last.totalFrames - chain[0].startFrame;
console.log(
  `played ${steps - unplayed} of ${steps} steps from frame ${chain[0].startFrame} to ${chain[0].startFrame + span} ` +
    `(${span} frames, ${(span / fs).toFixed(3)} s; the tempo's grid gives ${Math.round(steps * stepSeconds * fs)}); ` +
    `the first step was asked for frame ${first}`,
);
if (gaps === 0 && overlaps === 0) {
  console.log(`every step started exactly where the previous one ended: 0 gaps, 0 overlaps`);
} else {
  console.log(`error: ${gaps} step(s) started after the previous one ended (gaps), ${overlaps} before (overlaps)`);
  process.exitCode = 1;
}
if (unplayed > 0) {
  console.log(`error: ${unplayed} step(s) did not play all their frames`);
  process.exitCode = 1;
}
console.log(`output underflows ${stats.outputUnderflows} in ${stats.blocks} blocks`);
