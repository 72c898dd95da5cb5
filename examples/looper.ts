/**
 * looper: one sampler voice with a loop, fades, a live gain ramp and a pan. It loops a sound (a
 * file decoded by rtmixer/files at the stream's rate, or a synthesized tone) with a fade-in,
 * panned by a mix matrix onto two channels; while it plays it ramps the gain to another level,
 * and at the end it cancels it with a fade-out, so that it stops at silence instead of a click.
 * The gain change and the cancel are sent while the loop plays, each for an exact frame; the
 * report gives the frames where each took effect. On a terminal a progress line shows the time,
 * the actions in flight, the xruns and the voice's gain.
 *
 *   bun examples/looper.ts                               # a synthesized tone
 *   bun examples/looper.ts drums.wav --loop-start 0.5 --loop-end 1.5 --pan -0.5 --to -24
 *   deno run -A examples/looper.ts --help
 */
import { type Action, dB, Mixer, pan, type Sample } from "../mod.ts";
import {
  cli,
  dB as dBFS,
  int,
  num,
  orExit,
  orExitAsync,
  Progress,
  sleep,
  streamOptions,
  usageError,
} from "./_common.ts";

const { values, positionals } = cli({
  name: "looper",
  summary: "Loops a sound (a file, or a synthesized tone) with a fade-in and a pan, ramps its gain live, " +
    "and stops it with a fade-out.",
  args: "[FILE]",
}, {
  seconds: { type: "string", short: "s", help: "seconds from the start to the fading cancel", default: "4" },
  loops: { type: "string", help: "times to play the loop region in all; 0 loops until cancelled", default: "0" },
  "loop-start": { type: "string", help: "the loop region's start, in seconds of the sound", default: "0" },
  "loop-end": { type: "string", help: "the loop region's end, in seconds of the sound (default: its end)" },
  "fade-in": { type: "string", help: "seconds of fade-in", default: "0.5" },
  "fade-out": { type: "string", help: "seconds of the cancel's fade-out", default: "1" },
  gain: { type: "string", short: "g", help: "starting gain in dB", default: "-6" },
  to: { type: "string", help: "the gain in dB that the live ramp goes to", default: "-18" },
  "ramp-at": { type: "string", help: "seconds from the start to the gain ramp", default: "1.5" },
  ramp: { type: "string", help: "seconds the gain ramp takes", default: "1" },
  curve: { type: "string", help: `the ramp's shape: "linear", "exponential" or "target"`, default: "linear" },
  pan: { type: "string", short: "p", help: "-1 (left) to 1 (right); a stereo sound is balanced", default: "0" },
});
if (positionals.length > 1) usageError("give at most one sound file (--help for usage)");
const seconds = num(values, "seconds", 0.01, 3600);
const loops = int(values, "loops", 0, 1_000_000);
const loopStartSeconds = num(values, "loop-start", 0, 3600);
const loopEndSeconds = values["loop-end"] === undefined ? undefined : num(values, "loop-end", 0, 3600);
const fadeIn = num(values, "fade-in", 0, 3600);
const fadeOut = num(values, "fade-out", 0, 3600);
const gainDB = num(values, "gain", -120, 24);
const toDB = num(values, "to", -120, 24);
const rampAt = num(values, "ramp-at", 0, 3600);
const ramp = num(values, "ramp", 0, 3600);
const curve = values.curve as string;
if (curve !== "linear" && curve !== "exponential" && curve !== "target") {
  usageError(`--curve must be "linear", "exponential" or "target", got ${JSON.stringify(curve)}`);
}
const position = num(values, "pan", -1, 1);
if (rampAt >= seconds) usageError(`--ramp-at (${rampAt} s) must come before the cancel at --seconds (${seconds} s)`);

using mixer = orExit(() => new Mixer({ ...streamOptions(values), channels: 2, queueSize: 16 }));
const fs = mixer.sampleRate;

/**
 * A tone of `frames` frames that loops without a seam: its partials make whole cycles in it (so
 * the last sample leads into the first), with a slow tremolo that does as well.
 */
function tone(frames: number): Float32Array {
  const cycles = (hz: number) => Math.max(1, Math.round(hz * frames / fs));
  const partials = [[cycles(220), 0.5], [cycles(330), 0.25], [cycles(440), 0.15], [cycles(660), 0.1]];
  const wobble = cycles(4);
  return Float32Array.from({ length: frames }, (_, i) => {
    const t = i / frames;
    let x = 0;
    for (const [k, a] of partials) x += a * Math.sin(2 * Math.PI * k * t);
    return 0.5 * x * (0.8 + 0.2 * Math.sin(2 * Math.PI * wobble * t));
  });
}

let sound: Float32Array | Sample;
let channels: number;
let frames: number;
let name: string;
if (positionals.length === 1) {
  const { loadSample } = await import("../src/files.ts");
  const sample = await orExitAsync(() => loadSample(positionals[0], { sampleRate: fs }));
  if (sample.channels > 2) usageError(`${positionals[0]}: ${sample.channels} channels; give a mono or stereo file`);
  [sound, channels, frames, name] = [sample, sample.channels, sample.frames, positionals[0]];
} else {
  frames = Math.round(0.5 * fs);
  [sound, channels, name] = [tone(frames), 1, "a synthesized tone"];
}

// The mix matrix: a mono sound panned with equal power; a stereo one balanced (each side kept
// at its level in the middle, the far side turned down towards an edge).
const matrix = channels === 1 ? pan(position) : balance(position);
function balance(p: number): number[][] {
  const [[left, right]] = pan(p);
  return [[Math.min(1, Math.SQRT2 * left), 0], [0, Math.min(1, Math.SQRT2 * right)]];
}

// The loop region in frames of the sound (the library checks it against the sound's length).
const loopStart = Math.round(loopStartSeconds * fs);
const loopEnd = loopEndSeconds === undefined ? frames : Math.round(loopEndSeconds * fs);

mixer.start();
// The voice starts a little ahead, on a frame of its own; everything after it is counted from there.
const start = mixer.frameTime + Math.round(0.2 * fs);
const voice: Action = orExit(() =>
  mixer.playBuffer(sound as Float32Array, [1, 2], {
    startFrame: start,
    loop: loops === 0 ? true : loops,
    loopStart,
    loopEnd,
    fadeIn,
    gain: dB(gainDB),
    matrix,
  })
);
const region = `${loopStart}-${loopEnd}`;
console.log(
  `looping ${name}: ${frames} frames (${(frames / fs).toFixed(3)} s), ${channels} channel(s) at ${fs} Hz, ` +
    `loop region ${region} ${loops === 0 ? "until cancelled" : `${loops} time(s)`}`,
);
console.log(
  `fade-in ${fadeIn} s, gain ${gainDB} dB, pan ${position} (matrix ${
    JSON.stringify(matrix.map((r) => r.map((g) => +g.toFixed(3))))
  })`,
);
const progress = new Progress(mixer, {
  total: 0.2 + seconds + fadeOut,
  extra: () => `gain ${dBFS(Math.abs(voice.gain))} dB`,
});

/** Sleeps until the stream is about 100 ms before `frame` (or the voice has ended). */
async function until(frame: number): Promise<void> {
  while (!voice.finished && mixer.frameTime < frame - 0.1 * fs) {
    await sleep(Math.min(50, (frame - mixer.frameTime) / fs * 1000 - 100));
  }
}

// Live: the gain change is sent while the voice plays, for an exact frame.
const rampFrame = start + Math.round(rampAt * fs);
await until(rampFrame);
const change = mixer.setGain(voice, dB(toDB), { frame: rampFrame, ramp, curve });
const cancelFrame = start + Math.round(seconds * fs);
await until(cancelFrame);
const cancel = mixer.cancel(voice, { frame: cancelFrame, fade: fadeOut });
await mixer.wait(voice);
await mixer.wait(change);
await mixer.wait(cancel);
const stats = await progress.stats();

console.log(`started at frame ${voice.startFrame} (asked: ${start})`);
if (change.outcome === "done") {
  console.log(
    `gain ${gainDB} dB -> ${toDB} dB from frame ${change.startFrame} (asked: ${rampFrame}), ` +
      `along a ramp of ${Math.round(ramp * fs)} frames (${curve})`,
  );
} else {
  console.log(`gain change: ${change.outcome} (the voice had ended before frame ${rampFrame})`);
}
const fadeFrames = Math.round(fadeOut * fs);
if (cancel.outcome === "done") {
  const exact = voice.startFrame + voice.doneFrames === cancelFrame + fadeFrames;
  console.log(
    `cancel with a ${fadeOut} s fade-out at frame ${cancel.startFrame} (asked: ${cancelFrame}): ` +
      `the voice played ${voice.doneFrames} frames and ended (${voice.outcome}) at frame ${
        voice.startFrame + voice.doneFrames
      }` +
      (exact ? `, where the fade reached silence (${fadeFrames} frames after the cancel)` : ""),
  );
} else {
  console.log(
    `the voice played ${voice.doneFrames} frames and ended (${voice.outcome}) before the cancel (${cancel.outcome})`,
  );
}
console.log(`output underflows ${stats.outputUnderflows} in ${stats.blocks} blocks`);
