/**
 * bleeperoo: hundreds of random bleeps, each scheduled at an absolute stream time with
 * allowBelated off, on random channels (a port of rtmixer's bleeperoo.py). Prints underflows,
 * how many bleeps were belated, and where they started compared with where they were asked to.
 * On a terminal a progress line shows the time, the bleeps still in flight and the xruns.
 *
 *   bun examples/bleeperoo.ts --bleeps 300 --seconds 10
 *   deno run -A examples/bleeperoo.ts --help
 */
import { type Action, Mixer } from "../mod.ts";
import { cli, int, isMain, num, orExit, Progress, random, streamOptions } from "./_common.ts";

export interface BleepOptions {
  bleeps: number;
  /** The bleeps start within this many seconds. */
  seconds: number;
  /** Length of each bleep in seconds. */
  bleepSeconds: number;
  /** Lowest and highest frequency in Hz. */
  minFrequency: number;
  maxFrequency: number;
  /** Seconds from now to the first possible start (room to send every action in time). */
  lead: number;
  seed: number;
  /** Peak amplitude of one bleep. */
  gain: number;
  /** Keep bleeps on one channel from overlapping (so each can be found in a recording). */
  separate?: boolean;
}

/** One scheduled bleep. */
export interface Bleep {
  action: Action;
  /** The stream time asked for. */
  start: number;
  /** 1-based output channel. */
  channel: number;
  frames: number;
}

/**
 * A sine burst with a raised-cosine fade in and out. Its first sample is not zero (the envelope
 * starts one step in, the sine at its peak), so its onset is visible in a recording.
 */
export function bleep(frames: number, frequency: number, sampleRate: number, gain: number): Float32Array {
  const fade = Math.min(Math.floor(frames / 2), Math.round(0.005 * sampleRate));
  return Float32Array.from({ length: frames }, (_, i) => {
    const edge = Math.min(i + 1, frames - i, fade + 1) / (fade + 1);
    const envelope = 0.5 - 0.5 * Math.cos(Math.PI * edge);
    return gain * envelope * Math.cos(2 * Math.PI * frequency * i / sampleRate);
  });
}

/** Schedules the bleeps on `mixer` (a Mixer or a MixerAndRecorder), all before the first one is due. */
export function scheduleBleeps(mixer: Mixer<"output" | "duplex">, o: BleepOptions): Bleep[] {
  const rand = random(o.seed);
  const fs = mixer.sampleRate;
  const channels = Array.isArray(mixer.channels) ? mixer.channels[1] : mixer.channels;
  const frames = Math.max(1, Math.round(o.bleepSeconds * fs));
  const base = mixer.time + o.lead;
  const bleeps: Bleep[] = [];
  for (let i = 0; i < o.bleeps; i++) {
    let start = 0;
    let channel = 1;
    for (let attempt = 0; attempt < 1000; attempt++) {
      // Starts on the sample grid, so that the spacing of two bleeps is a whole number of frames.
      start = base + Math.round(rand() * o.seconds * fs) / fs;
      channel = 1 + Math.floor(rand() * channels);
      if (!o.separate || !overlaps(bleeps, start, channel, (frames + 0.01 * fs) / fs)) break;
    }
    const frequency = o.minFrequency * (o.maxFrequency / o.minFrequency) ** rand();
    const action = mixer.playBuffer(bleep(frames, frequency, fs, o.gain), [channel], { start, allowBelated: false });
    bleeps.push({ action, start, channel, frames });
  }
  return bleeps;
}

function overlaps(bleeps: Bleep[], start: number, channel: number, span: number): boolean {
  return bleeps.some((b) => b.channel === channel && Math.abs(b.start - start) < span);
}

/** The timing figures of finished bleeps: belated count and (actual − requested) in samples. */
export function timing(bleeps: Bleep[], sampleRate: number) {
  const played = bleeps.filter((b) => b.action.outcome === "done");
  const errors = played.map((b) => (b.action.actualTime - b.start) * sampleRate);
  const range = (xs: number[]) => (xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 0]);
  return {
    played: played.length,
    belated: bleeps.filter((b) => b.action.outcome === "belated").length,
    error: range(errors),
  };
}

/** Runs the example with command-line arguments `args`. */
export async function main(args?: string[]): Promise<void> {
  const { values } = cli({
    name: "bleeperoo",
    summary: "Plays hundreds of random bleeps at absolute times (allowBelated off) on random channels.",
  }, {
    bleeps: { type: "string", short: "n", help: "number of bleeps", default: "300" },
    seconds: { type: "string", short: "s", help: "the bleeps start within this many seconds", default: "10" },
    "bleep-duration": { type: "string", help: "seconds per bleep", default: "0.05" },
    "min-frequency": { type: "string", help: "Hz", default: "500" },
    "max-frequency": { type: "string", help: "Hz", default: "5000" },
    channels: { type: "string", short: "c", help: "output channels (default: all of the device)" },
    gain: { type: "string", short: "g", help: "peak amplitude of one bleep", default: "0.1" },
    seed: { type: "string", help: "random seed", default: "1" },
  }, { args });
  const options: BleepOptions = {
    bleeps: int(values, "bleeps", 1, 100_000),
    seconds: num(values, "seconds", 0, 3600),
    bleepSeconds: num(values, "bleep-duration", 0.001, 10),
    minFrequency: num(values, "min-frequency", 1, 100_000),
    maxFrequency: num(values, "max-frequency", 1, 100_000),
    lead: 0.5,
    seed: int(values, "seed"),
    gain: num(values, "gain", 0, 1),
  };
  const channels = values.channels !== undefined ? int(values, "channels", 1, 1024) : undefined;
  using mixer = orExit(() =>
    new Mixer({
      ...streamOptions(values),
      ...(channels !== undefined ? { channels } : {}),
      // Every bleep is in flight at once, plus the stats fetch.
      queueSize: 2 ** Math.ceil(Math.log2(options.bleeps + 2)),
    })
  );
  mixer.start();
  const t0 = performance.now();
  const bleeps = scheduleBleeps(mixer, options);
  const sendMs = performance.now() - t0;
  console.log(
    `scheduled ${bleeps.length} bleeps within ${options.seconds} s on ${mixer.channels} channel(s) at ` +
      `${mixer.sampleRate} Hz in ${sendMs.toFixed(1)} ms (allowBelated off)`,
  );
  const progress = new Progress(mixer, { total: options.lead + options.seconds + options.bleepSeconds });
  await mixer.wait();
  const s = await progress.stats();
  const t = timing(bleeps, mixer.sampleRate);
  console.log(`played ${t.played}, belated ${t.belated}`);
  console.log(`output underflows ${s.outputUnderflows} in ${s.blocks} blocks (block sizes ${s.minBlockSize}-${s.maxBlockSize})`);
  console.log(`start error (actualTime - start): ${fixed(t.error[0])} to ${fixed(t.error[1])} samples`);
}

/** Two decimals, without "-0.00". */
const fixed = (x: number) => (Math.round(x * 100) / 100 || 0).toFixed(2);

if (isMain(import.meta)) await main();
