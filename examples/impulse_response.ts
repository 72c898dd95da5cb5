/**
 * impulse_response: measures the impulse response from an output channel to an input channel
 * with Farina's exponential sine sweep. It plays the sweep, records the input from the same
 * frame on, deconvolves the recording with the sweep's inverse filter (rtmixer's expSweep and
 * convolve, as impulseResponse does), and writes the response as a WAV file and a picture beside
 * it (the response, a close-up of its peak, its magnitude spectrum). It prints where the peak is:
 * the round trip in frames, since frame 0 is the frame the sweep started on; the peak's height
 * against the sweep's own band-limited impulse (the gain); and the spectrum's level (0 dB for a
 * unit-gain system). On a terminal a progress line shows the time while it measures.
 *
 *   bun examples/impulse_response.ts -o room.wav --seconds 3
 *   bun examples/impulse_response.ts --jack-loopback -b 256   # on a JACK server: a single impulse at 512
 */
import process from "node:process";
import { convolve, expSweep, MixerAndRecorder, peakOf } from "../mod.ts";
import { saveWav } from "../src/files.ts";
import { type Figure, savePicture } from "../src/plot.ts";
import { cli, createFile, int, num, orExit, Progress, streamOptions, usageError } from "./_common.ts";

const { values } = cli({
  name: "impulse_response",
  summary: "Measures an impulse response (output channel -> input channel) with an exponential sine sweep.",
}, {
  "output-channel": { type: "string", help: "the channel the sweep is played on", default: "1" },
  "input-channel": { type: "string", help: "the channel recorded", default: "1" },
  seconds: { type: "string", short: "s", help: "the sweep's length in seconds", default: "1" },
  level: { type: "string", help: "the sweep's peak amplitude, 0 to 1", default: "0.5" },
  f0: { type: "string", help: "the sweep's first frequency in Hz", default: "20" },
  f1: { type: "string", help: "the sweep's last frequency in Hz (default: 20000 or 0.45 x the rate)" },
  length: { type: "string", help: "seconds of response to keep (and to record after the sweep)", default: "0.5" },
  out: { type: "string", short: "o", help: "the response as WAV; its picture beside it, as .png", default: "impulse_response.wav" },
  "jack-loopback": { type: "boolean", help: "wire the stream's outputs to its inputs (on a JACK server)" },
});
const outChannel = int(values, "output-channel", 1, 1024);
const inChannel = int(values, "input-channel", 1, 1024);
const seconds = num(values, "seconds", 0.05, 600);
const level = num(values, "level", 0.001, 1);
const f0 = num(values, "f0", 1, 100_000);
const responseSeconds = num(values, "length", 0.001, 60);
const out = String(values.out);
if (!out.toLowerCase().endsWith(".wav")) usageError(`--out must end in .wav, got ${JSON.stringify(out)}`);
const picture = out.replace(/\.wav$/i, ".png");
orExit(() => createFile(out)); // a file that cannot be written is found before anything is measured

using stream = orExit(() => new MixerAndRecorder({ ...streamOptions(values), channels: Math.max(outChannel, inChannel) }));
const fs = stream.sampleRate;
const f1 = values.f1 === undefined ? Math.min(20000, 0.45 * fs) : num(values, "f1", f0 + 1, fs / 2);
const { sweep, inverse, referencePeak } = orExit(() => expSweep({ sampleRate: fs, seconds, f0, f1, level }));
const responseFrames = Math.round(responseSeconds * fs);
stream.start();
if (values["jack-loopback"]) {
  // The test helper that the demo uses too: JACK ports out_i -> in_i of this stream's client.
  const { loopback } = await import("../tests/helpers/jack.ts");
  loopback();
}

// The sweep and the recording start on one frame: frame k of the response is k frames after the
// sweep left, so its peak is the round trip. The recording runs on for the response's length.
const start = stream.frameTime + Math.round(0.2 * fs);
const recorded = new Float32Array(sweep.length + responseFrames);
console.log(
  `Sweep ${f0}-${Math.round(f1)} Hz over ${seconds} s at ${fs} Hz, level ${level}: ` +
    `playing on output ${outChannel}, recording input ${inChannel}...`,
);
const rec = stream.recordBuffer(recorded, [inChannel], { startFrame: start, allowBelated: false });
stream.playBuffer(sweep, [outChannel], { startFrame: start, allowBelated: false });
const progress = new Progress(stream, { total: recorded.length / fs + 0.2 });
await stream.wait();
await progress.stats();
if (rec.outcome !== "done") {
  console.error(`impulse_response: the recording did not run (${rec.outcome})`);
  process.exit(1);
}

// The deconvolution (what impulseResponse gives, with the lags before 0 kept): lag k is at
// index lag0 + k. The WAV holds lags 0 on, so that frame k is k frames after the sweep started.
const full = await convolve(recorded, inverse);
const lag0 = inverse.length - 1;
const ir = Float32Array.from(full.subarray(lag0, lag0 + responseFrames));
saveWav(out, ir, { sampleRate: fs });
const peak = peakOf(ir);
// The spectrum is taken from further back than lag 0: the peak is a band-limited impulse that
// rings as much before it as after, and a response cut short of that ringing (a round trip of a
// few ms) has a spectrum that ripples by tenths of a dB at the low end. Back to half-way to the
// second harmonic's distortion, which lands T ln 2 / ln(f1 / f0) before the peak.
const pre = Math.min(Math.round((seconds * Math.LN2) / Math.log(f1 / f0) / 2 * fs), peak.frame + lag0);
const windowed = full.subarray(lag0 + peak.frame - pre, lag0 + responseFrames);
const passband: [number, number] = [5 * f0, f1 / 2]; // away from the sweep's fades
console.log(`Wrote ${responseFrames} frames (${responseSeconds} s) of impulse response to ${out}.`);
if (peak.value === 0) {
  console.log("The recording is silent: nothing came back (is the output connected to the input?).");
  process.exitCode = 1;
} else {
  const dB = (x: number, decimals = 1) => (20 * Math.log10(x)).toFixed(decimals);
  console.log(`peak:             frame ${peak.frame} (${(peak.frame / fs * 1000).toFixed(3)} ms; sub-sample ${peak.exactFrame.toFixed(2)})`);
  const gain = peak.value / referencePeak;
  console.log(
    `height:           ${peak.value.toFixed(4)}, gain ${gain.toFixed(4)} (${dB(Math.abs(gain), 2)} dB): ` +
      `the peak over the sweep's own band-limited impulse's (${referencePeak.toFixed(4)})`,
  );
  const levels = magnitudeSpectrum(windowed, fs, passband[0], passband[1]).dB;
  const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}`;
  console.log(
    `level:            ${signed(magnitudeSpectrum(windowed, fs, 1000, 1000, 1).dB[0])} dB at 1 kHz; ` +
      `${signed(Math.min(...levels))} to ${signed(Math.max(...levels))} dB from ${hz(passband[0])} to ${hz(passband[1])}`,
  );
  console.log(
    `peak-to-noise:    ${Number.isFinite(peak.confidence) ? `${peak.confidence.toFixed(1)} (${dB(peak.confidence)} dB)` : "infinite (the rest is 0)"}`,
  );
}
await savePicture(picture, responseFigure(ir, windowed, fs, peak.frame, pre));
console.log(`picture:          ${picture} (the response, its peak, its magnitude spectrum)`);

/** "100 Hz", "10 kHz". */
function hz(f: number): string {
  return f >= 1000 ? `${+(f / 1000).toPrecision(3)} kHz` : `${+f.toPrecision(3)} Hz`;
}

/**
 * The response over its length, a close-up of ±2 ms around the peak, and the magnitude spectrum
 * of `windowed` (the response from `pre` frames before the peak).
 */
function responseFigure(ir: Float32Array, windowed: Float64Array, fs: number, peakFrame: number, pre: number): Figure {
  const ms = (i: number) => (i / fs) * 1000;
  const t = Array.from(ir, (_, i) => ms(i));
  const near = Math.round(0.002 * fs);
  const from = Math.max(0, peakFrame - near), to = Math.min(ir.length, peakFrame + near + 1);
  const { frequencies, dB } = magnitudeSpectrum(windowed, fs, 20, fs / 2);
  return {
    title: `Impulse response, output ${outChannel} -> input ${inChannel}: peak at frame ${peakFrame}`,
    panels: [
      { title: "The response", xLabel: "time after the sweep started (ms)", yLabel: "amplitude", lines: [{ x: t, y: ir }] },
      {
        title: `Its peak, ±2 ms (frames ${from}-${to - 1})`,
        xLabel: "time after the sweep started (ms)",
        yLabel: "amplitude",
        lines: [{ x: t.slice(from, to), y: Array.from(ir.subarray(from, to)) }],
        points: [{ x: t.slice(from, to), y: Array.from(ir.subarray(from, to)), radius: 2, color: "#1f77b4" }],
      },
      {
        title: `Magnitude spectrum (from ${ms(pre).toFixed(1)} ms before the peak; 0 dB: unit gain)`,
        xLabel: "frequency (Hz)",
        yLabel: "dB",
        xScale: "log",
        yRange: spectrumRange(dB),
        lines: [{ x: frequencies, y: dB }],
      },
    ],
  };
}

/**
 * |H(f)| in dB at `n` frequencies from lo to hi spaced evenly on a log scale (a direct DFT at
 * each: no FFT needed for a picture, and the points fall where a log axis wants them).
 */
function magnitudeSpectrum(
  ir: Float32Array | Float64Array,
  fs: number,
  lo: number,
  hi: number,
  n = 400,
): { frequencies: number[]; dB: number[] } {
  const frequencies = Array.from({ length: n }, (_, k) => n === 1 ? lo : lo * (hi / lo) ** (k / (n - 1)));
  const dB = frequencies.map((f) => {
    const w = (2 * Math.PI * f) / fs;
    let re = 0, im = 0;
    for (let i = 0; i < ir.length; i++) {
      if (ir[i] === 0) continue;
      re += ir[i] * Math.cos(w * i);
      im -= ir[i] * Math.sin(w * i);
    }
    return 10 * Math.log10(Math.max(re * re + im * im, 1e-20));
  });
  return { frequencies, dB };
}

/** From 60 dB under the top (at most) to a little over it, in steps of 10 dB. */
function spectrumRange(dB: number[]): [number, number] {
  const top = Math.ceil((Math.max(...dB) + 3) / 10) * 10;
  const bottom = Math.max(Math.floor(Math.min(...dB) / 10) * 10, top - 70);
  return [bottom, top];
}
