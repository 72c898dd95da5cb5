/**
 * The README's demo (run by `npm run demo`, i.e. .ci/demo.sh): bleeperoo on the default output
 * device. Without a usable output device it exits with status 3 after saying so; demo.sh then
 * starts the project's headless JACK dummy server and runs it again with --loopback: the stream's
 * outputs are wired back into its inputs, everything played is recorded, written to demo.wav,
 * and the report is measured from that recording, and drawn beside it (demo.png: the recording,
 * its onsets against the scheduled ones, a histogram of onset errors). On a terminal a progress line shows the time,
 * the bleeps in flight and the xruns while it plays.
 */
import process from "node:process";
import { checkOutputSettings, MixerAndRecorder, queryDevices } from "../mod.ts";
import { loopback } from "../tests/helpers/jack.ts";
import { type BleepOptions, main as bleeperoo, scheduleBleeps, timing } from "./bleeperoo.ts";
import { cli, int, num, orExit, Progress, writeWav, xruns as xrunsOf } from "./_common.ts";
import { type Figure, histogram, savePicture } from "../src/plot.ts";

export const NO_OUTPUT_DEVICE = 3;

const { values } = cli({
  name: "demo",
  summary: "bleeperoo on the default output device, or recorded through a JACK dummy server's loopback.",
}, {
  seconds: { type: "string", short: "s", help: "the bleeps start within this many seconds", default: "6" },
  bleeps: { type: "string", short: "n", help: "number of bleeps", default: "150" },
  loopback: { type: "boolean", help: "play on a JACK dummy server, record the loopback, write --out" },
  out: { type: "string", short: "o", help: "the recording (with --loopback); its picture beside it, as .png", default: "demo.wav" },
  "jack-period": { type: "string", help: "the JACK server's period (with --loopback)", default: "256" },
}, { common: false });

const options: BleepOptions = {
  bleeps: int(values, "bleeps", 1, 10_000),
  seconds: num(values, "seconds", 0.5, 600),
  bleepSeconds: 0.03,
  minFrequency: 500,
  maxFrequency: 5000,
  lead: 0.5,
  seed: 1,
  gain: 0.25,
  separate: Boolean(values.loopback),
};

if (!values.loopback) {
  try {
    checkOutputSettings({});
  } catch (e) {
    console.log(`No usable output device (${(e as Error).message}).`);
    process.exit(NO_OUTPUT_DEVICE);
  }
  const device = queryDevices(undefined, "output") as { name: string };
  console.log(`Playing ${options.bleeps} bleeps on "${device.name}" (the default output device)...`);
  await bleeperoo(["-n", String(options.bleeps), "-s", String(options.seconds)]);
} else {
  await loopbackDemo();
}

async function loopbackDemo(): Promise<void> {
  const blockSize = 256;
  using m = orExit(() =>
    new MixerAndRecorder({ channels: 2, blockSize, queueSize: 2 ** Math.ceil(Math.log2(options.bleeps + 4)) })
  );
  const fs = m.sampleRate;
  m.start();
  loopback();
  // Output frame n returns as input frame n + delay (JACK period + block size, see
  // TESTING-AUDIO.md); a click at a known frame checks that before anything is measured.
  const delay = int(values, "jack-period", 1) + blockSize;
  const first = Math.ceil(m.frameTime + 0.3 * fs);
  const recordFrames = Math.ceil((options.lead + options.seconds + 0.5) * fs);
  const recording = new Float32Array(recordFrames * 2);
  const record = m.recordBuffer(recording, 2, { startFrame: first + delay, allowBelated: false });
  m.playBuffer(new Float32Array([1, 1]), 2, { startFrame: first });
  const bleeps = scheduleBleeps(m, { ...options, lead: 0.4 + (first - m.frameTime) / fs });
  // Where each bleep belongs on the frame clock, as scheduled (per the clock model now).
  const scheduled = bleeps.map((b) => m.frameAt(b.start));
  console.log(`Scheduled ${bleeps.length} bleeps within ${options.seconds} s at ${fs} Hz; playing and recording...`);
  const progress = new Progress(m, { total: recordFrames / fs + 0.3 });
  await m.wait();
  const s = await progress.stats();
  const xruns = xrunsOf(s);
  writeWav(String(values.out), recording, 2, fs);

  const clickAt = recording.findIndex((x) => x !== 0);
  const onsets = [1, 2].map((ch) => onsetsIn(recording, ch, clickAt + 1, Math.round(0.005 * fs)));
  let found = 0;
  let worst = 0;
  const missing: number[] = [];
  const pairs: OnsetPair[] = []; // for the picture
  for (const ch of [1, 2]) {
    const mine = bleeps.map((b, i) => ({ b, i })).filter(({ b }) => b.channel === ch && b.action.outcome === "done");
    mine.sort((a, b) => a.b.start - b.b.start);
    const heard = onsets[ch - 1];
    found += Math.min(heard.length, mine.length);
    mine.forEach(({ i }, k) => {
      if (k >= heard.length) return missing.push(i);
      worst = Math.max(worst, Math.abs(heard[k] - (scheduled[i] - first)));
      pairs.push({ channel: ch, scheduled: scheduled[i] - first, measured: heard[k] });
    });
  }
  const t = timing(bleeps, fs);
  console.log(`Recorded ${(record.doneFrames / fs).toFixed(2)} s through the loopback into ${values.out}.`);
  console.log(
    `loopback delay: ${clickAt === 0 ? `${delay} samples (as expected)` : `UNEXPECTED (click at ${clickAt})`}`,
  );
  console.log(`bleeps scheduled: ${bleeps.length}`);
  console.log(`bleeps played:    ${found} (found in the recording)`);
  console.log(`bleeps belated:   ${t.belated}`);
  console.log(`onset error:      ${worst} samples at worst (recording vs scheduled frame)`);
  console.log(`xruns:            ${xruns} (${s.blocks} blocks)`);
  const picture = String(values.out).replace(/(\.wav)?$/i, ".png");
  await savePicture(picture, demoFigure(recording, fs, pairs));
  console.log(`picture:          ${picture} (the recording, measured against scheduled onsets, onset errors)`);
  if (clickAt !== 0 || found + t.belated !== bleeps.length || missing.length > 0) process.exitCode = 1;
}

/** A bleep's onset: where it was scheduled and where the recording has it, in frames of the recording. */
interface OnsetPair {
  channel: number;
  scheduled: number;
  measured: number;
}

/** The picture beside the recording: its waveform, measured against scheduled onsets, and the errors. */
function demoFigure(recording: Float32Array, fs: number, pairs: OnsetPair[]): Figure {
  const frames = recording.length / 2;
  const t = Array.from({ length: frames }, (_, i) => i / fs);
  const channel = (ch: number) => Array.from({ length: frames }, (_, i) => recording[2 * i + ch - 1]);
  const on = (ch: number) => pairs.filter((p) => p.channel === ch);
  const errors = pairs.map((p) => p.measured - p.scheduled);
  return {
    title: `demo: ${pairs.length} bleeps through the JACK loopback at ${fs} Hz`,
    panels: [
      {
        title: "The recording",
        xLabel: "time in the recording (s)",
        yLabel: "amplitude",
        lines: [{ x: t, y: channel(1), label: "channel 1" }, { x: t, y: channel(2), label: "channel 2" }],
      },
      {
        title: "Onsets: measured in the recording against scheduled",
        xLabel: "scheduled onset (s)",
        yLabel: "measured onset (s)",
        lines: [{ x: [0, frames / fs], y: [0, frames / fs], color: "#888", dashed: true, label: "measured = scheduled" }],
        points: [1, 2].map((ch) => ({
          x: on(ch).map((p) => p.scheduled / fs),
          y: on(ch).map((p) => p.measured / fs),
          label: `channel ${ch}`,
        })),
      },
      {
        title: "Onset errors (measured - scheduled)",
        xLabel: "error (samples)",
        yLabel: "bleeps",
        xRange: errorRange(errors),
        bars: histogram(errors, 1),
      },
    ],
  };
}

/** At least -5 to 5 samples, so that a perfect run shows one narrow bar at 0. */
function errorRange(errors: number[]): [number, number] {
  const m = Math.max(5, ...errors.map(Math.abs)) + 0.5;
  return [-m, m];
}

/** First frames of the runs of non-zero samples on channel `ch` (1-based), from `from` on. */
function onsetsIn(data: Float32Array, ch: number, from: number, minGap: number): number[] {
  const frames = data.length / 2;
  const onsets: number[] = [];
  let lastNonZero = -Infinity;
  for (let i = from; i < frames; i++) {
    if (data[2 * i + ch - 1] === 0) continue;
    if (i - lastNonZero > minGap) onsets.push(i);
    lastNonZero = i;
  }
  return onsets;
}
