/**
 * play_file: streams a sound file through a ring buffer (a port of rtmixer's play_file.py). The
 * file (WAV, FLAC, MP3, Ogg Vorbis or Opus) is decoded by rtmixer/files at the stream's rate,
 * resampled when the file has another rate (a 44.1 kHz file plays at its own pitch and length on
 * a 48 kHz device), and written into the ring piece by piece while the callback plays from it;
 * underflows are reported, and at the end the number of frames played is checked against the
 * file's. On a terminal a progress line shows the time, the actions in flight, the xruns and the
 * ring's fill.
 *
 *   bun examples/play_file.ts music.flac
 */
import process from "node:process";
import { Mixer, queryDevices, RingBuffer } from "../mod.ts";
import { decodeFile } from "../src/files.ts";
import { cli, int, num, orExit, orExitAsync, Progress, sleep, streamOptions, usageError } from "./_common.ts";

const { values, positionals } = cli({
  name: "play_file",
  summary: "Streams a sound file (WAV, FLAC, MP3, Ogg Vorbis/Opus) through a ring buffer to the output.",
  args: "FILE",
}, {
  buffersize: { type: "string", short: "q", help: "ring buffer size in frames (a power of two)", default: "16384" },
  prefill: { type: "string", help: "fraction of the ring written before playback starts", default: "0.5" },
});
if (positionals.length !== 1) usageError("give one sound file (--help for usage)");
const ringFrames = int(values, "buffersize", 2, 1 << 26);
if ((ringFrames & (ringFrames - 1)) !== 0) usageError(`--buffersize must be a power of two, got ${ringFrames}`);
const prefill = num(values, "prefill", 0, 1);

const options = streamOptions(values);
// The file is decoded for the rate the stream will run at: the one asked for, else the device's.
const sampleRate = options.sampleRate ?? orExit(() => queryDevices(options.device, "output").defaultSampleRate);
const file = await orExitAsync(() => decodeFile(positionals[0], { sampleRate }));
const { channels, frames } = file;
using mixer = orExit(
  () => new Mixer({ ...options, channels, sampleRate }),
  `cannot play ${channels} channel(s) at ${sampleRate} Hz`,
);
using ring = new RingBuffer(4 * channels, ringFrames);
let written = 0;
const feed = (max: number) => {
  const n = Math.min(max, ring.writeAvailable, frames - written);
  if (n > 0) ring.write(file.data.subarray(written * channels, (written + n) * channels));
  written += n;
};
while (written < frames && ring.writeAvailable > ringFrames * (1 - prefill)) feed(ringFrames);
mixer.start();
const action = mixer.playRingBuffer(ring);
const { source } = file;
const resampled = source.sampleRate === sampleRate ? "" : ` (the file's ${source.frames} frames at ${source.sampleRate} Hz, resampled)`;
console.log(
  `playing ${positionals[0]}: ${frames} frames (${(frames / sampleRate).toFixed(2)} s), ` +
    `${channels} channel(s), ${sampleRate} Hz${resampled}, through a ring of ${ringFrames} frames`,
);
const progress = new Progress(mixer, {
  total: frames / sampleRate,
  extra: () => `ring ${Math.round(100 * ring.readAvailable / ringFrames)}% full`,
});
// Refill about four times per ring's length of audio.
const pause = Math.max(1, (ringFrames / sampleRate) * 1000 / 4);
while (written < frames && !action.finished) {
  feed(frames);
  await sleep(pause);
}
await mixer.wait(action);
const underflow = action.doneFrames < frames;
const stats = await progress.stats();
console.log(`played ${action.doneFrames} of ${frames} frames${underflow ? "" : " (all of them)"}`);
console.log(`output underflows: ${stats.outputUnderflows} in ${stats.blocks} blocks`);
if (underflow) {
  console.log(`error: the ring buffer ran dry after ${action.doneFrames} frames (try a larger --buffersize)`);
  process.exitCode = 1;
}
