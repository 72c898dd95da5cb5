/**
 * latency: measures the round trip from an output channel to an input channel with
 * `MixerAndRecorder.measureLatency` (an exponential sine sweep, deconvolved), and compares it
 * with what PortAudio reports. It prints the round trip in frames (and to a fraction of a frame),
 * in seconds, PortAudio's input + output latency and the difference, the gain and the confidence,
 * and draws the response around its peak with both latencies marked (a PNG, or SVG if the path
 * ends in .svg). Nothing coming back (no cable, no loopback) is one line on stderr and exit
 * status 1: the measurement never guesses.
 *
 *   bun examples/latency.ts -b 256 -o latency.png
 *   bun examples/latency.ts --jack-loopback -b 256   # on a JACK server: 512 frames
 */
import process from "node:process";
import { MeasurementError, MixerAndRecorder } from "../mod.ts";
import { type Figure, savePicture } from "../src/plot.ts";
import { cli, createFile, int, num, oneLine, orExit, streamOptions, usageError } from "./_common.ts";

const { values } = cli({
  name: "latency",
  summary:
    "Measures the round trip (output channel -> input channel) and compares it with PortAudio's reported latency.",
}, {
  "output-channel": { type: "string", help: "the channel the test signal is played on", default: "1" },
  "input-channel": { type: "string", help: "the channel recorded", default: "1" },
  level: { type: "string", help: "the test signal's peak amplitude, 0 to 1", default: "0.25" },
  out: { type: "string", short: "o", help: "the picture of the response (.png, or .svg)", default: "latency.png" },
  "jack-loopback": { type: "boolean", help: "wire the stream's outputs to its inputs (on a JACK server)" },
});
const outChannel = int(values, "output-channel", 1, 1024);
const inChannel = int(values, "input-channel", 1, 1024);
const level = num(values, "level", 0.0001, 1);
const out = String(values.out);
if (!/\.(png|svg)$/i.test(out)) usageError(`--out must end in .png or .svg, got ${JSON.stringify(out)}`);
orExit(() => createFile(out)); // a file that cannot be written is found before anything is measured

using stream = orExit(() =>
  new MixerAndRecorder({ ...streamOptions(values), channels: Math.max(outChannel, inChannel) })
);
const fs = stream.sampleRate;
stream.start();
if (values["jack-loopback"]) {
  // The test helper that the demo uses too: JACK ports out_i -> in_i of this stream's client.
  const { loopback } = await import("../tests/helpers/jack.ts");
  loopback();
}

console.log(
  `Measuring the round trip at ${fs} Hz, block size ${
    stream.blockSize || "chosen by the host"
  }: output ${outChannel} -> input ${inChannel}...`,
);
let m;
try {
  m = await stream.measureLatency({ outputChannels: [outChannel], inputChannels: [inChannel], level });
} catch (e) {
  if (!(e instanceof MeasurementError)) throw e;
  // Not bad input (that is status 2) but a measurement that gave no answer.
  const hint = e.reason === "silence" && !values["jack-loopback"]
    ? " (on a JACK server, --jack-loopback links them)"
    : "";
  console.error(`latency: no round trip measured (${e.reason}): ${oneLine(e.message)}${hint}`);
  process.exit(1);
}

const ms = (frames: number) => `${((frames / fs) * 1000).toFixed(3)} ms`;
const difference = m.reportedFrames - m.frames;
console.log(`round trip:       ${m.frames} frames (${ms(m.frames)}; sub-sample ${m.exactFrames.toFixed(2)})`);
console.log(`seconds:          ${m.seconds.toFixed(6)}`);
console.log(
  `reported:         ${m.reportedFrames} frames (${ms(m.reportedFrames)}): PortAudio's input + output latency, ` +
    (difference === 0
      ? "exact"
      : `${Math.abs(difference)} frames (${ms(Math.abs(difference))}) ${difference < 0 ? "short" : "over"}`),
);
const gainDb = (20 * Math.log10(Math.abs(m.gain))).toFixed(2).replace(/^-(0\.0+)$/, "$1"); // no "-0.00"
console.log(`gain:             ${m.gain.toFixed(4)} (${gainDb} dB${m.gain < 0 ? ", inverted" : ""})`);
console.log(
  `confidence:       ${
    Number.isFinite(m.confidence) ? m.confidence.toFixed(1) : "infinite"
  } (the peak over the RMS of the rest)`,
);
await savePicture(out, latencyFigure(m.response, m.frames, m.exactFrames, m.reportedFrames, m.gain));
console.log(`picture:          ${out} (the response around its peak, the measured and the reported round trip)`);

/**
 * The response from 0 to past both latencies, each marked by a vertical line (the measured one
 * solid, the reported one dashed over it, so that both show where they coincide); and a close-up
 * of ±24 frames around the peak, its samples and the sub-sample estimate.
 */
function latencyFigure(response: Float32Array, frames: number, exact: number, reported: number, gain: number): Figure {
  const end = Math.min(
    response.length,
    Math.max(frames, reported) + Math.max(64, Math.round(Math.max(frames, reported) / 4)),
  );
  const x = Array.from({ length: end }, (_, i) => i);
  const y = Array.from(response.subarray(0, end));
  const peak = response[frames];
  let lo = 0, hi = 0;
  for (const v of y) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const span = hi - lo || 1;
  const yRange: [number, number] = [lo - 0.08 * span, hi + 0.08 * span];
  const mark = (at: number, label: string, color: string, dashed: boolean) => ({
    x: [at, at],
    y: yRange,
    label,
    color,
    dashed,
  });
  const near = 24;
  const from = Math.max(0, frames - near), to = Math.min(response.length, frames + near + 1);
  const closeX = Array.from({ length: to - from }, (_, i) => from + i);
  const closeY = Array.from(response.subarray(from, to));
  return {
    title: `Round trip, output ${outChannel} -> input ${inChannel}: ${frames} frames measured, ${reported} reported`,
    panels: [
      {
        title: "The response (the sweep deconvolved)",
        xLabel: "frames after the test signal started",
        yLabel: "amplitude",
        xRange: [0, end - 1],
        yRange,
        lines: [
          mark(frames, `measured: ${frames}`, "#d62728", false),
          mark(reported, `reported by PortAudio: ${reported}`, "#2ca02c", true),
          { x, y, color: "#1f77b4" },
        ],
      },
      {
        title: `Its peak, ±${near} frames: ${peak.toFixed(3)} (gain ${gain.toFixed(3)}) at ${frames}, sub-sample ${
          exact.toFixed(2)
        }`,
        xLabel: "frames after the test signal started",
        yLabel: "amplitude",
        xRange: [from, to - 1],
        yRange,
        lines: [
          mark(exact, `measured: ${exact.toFixed(2)}`, "#d62728", false),
          ...(reported >= from && reported < to ? [mark(reported, `reported: ${reported}`, "#2ca02c", true)] : []),
          { x: closeX, y: closeY, color: "#1f77b4" },
        ],
        points: [{ x: closeX, y: closeY, radius: 2.5, color: "#1f77b4" }],
      },
    ],
    panelHeight: 320,
  };
}
