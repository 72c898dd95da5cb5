/**
 * play_file: streams a WAV file of any length through a ring buffer (a port of rtmixer's
 * play_file.py). The file is read piece by piece (parsed and decoded by the `wavefile` package)
 * and written into the ring while the callback plays from it; underflows are reported, and at
 * the end the number of frames played is checked against the file's. On a terminal a progress
 * line shows the time, the actions in flight, the xruns and the ring's fill.
 *
 *   bun examples/play_file.ts music.wav
 */
import process from "node:process";
import { Mixer, RingBuffer } from "../mod.ts";
import { cli, int, num, orExit, Progress, sleep, streamOptions, usageError, WavReader } from "./_common.ts";

const { values, positionals } = cli({
  name: "play_file",
  summary: "Streams a WAV file through a ring buffer to the output.",
  args: "FILE.wav",
}, {
  buffersize: { type: "string", short: "q", help: "ring buffer size in frames (a power of two)", default: "16384" },
  prefill: { type: "string", help: "fraction of the ring written before playback starts", default: "0.5" },
});
if (positionals.length !== 1) usageError("give one WAV file (--help for usage)");
const ringFrames = int(values, "buffersize", 2, 1 << 26);
if ((ringFrames & (ringFrames - 1)) !== 0) usageError(`--buffersize must be a power of two, got ${ringFrames}`);
const prefill = num(values, "prefill", 0, 1);

const file = orExit(() => new WavReader(positionals[0]));
try {
  using mixer = orExit(
    () => new Mixer({ ...streamOptions(values), channels: file.channels, sampleRate: file.sampleRate }),
    `cannot play ${file.channels} channel(s) at ${file.sampleRate} Hz (the file's)`,
  );
  using ring = new RingBuffer(4 * file.channels, ringFrames);
  const feed = (max: number) => {
    const frames = file.read(Math.min(max, ring.writeAvailable));
    if (frames.length > 0) ring.write(frames);
    return frames.length / file.channels;
  };
  let written = 0;
  while (written < file.frames && ring.writeAvailable > ringFrames * (1 - prefill)) written += feed(ringFrames);
  mixer.start();
  const action = mixer.playRingBuffer(ring);
  console.log(
    `playing ${positionals[0]}: ${file.frames} frames (${(file.frames / file.sampleRate).toFixed(2)} s), ` +
      `${file.channels} channel(s), ${file.sampleRate} Hz, ${file.bitDepth === "32f" ? "32-bit float" : file.bitDepth + "-bit"}, through a ring of ${ringFrames} frames`,
  );
  const progress = new Progress(mixer, {
    total: file.frames / file.sampleRate,
    extra: () => `ring ${Math.round(100 * ring.readAvailable / ringFrames)}% full`,
  });
  // Refill about four times per ring's length of audio.
  const pause = Math.max(1, (ringFrames / file.sampleRate) * 1000 / 4);
  while (written < file.frames && !action.finished) {
    written += feed(file.frames);
    await sleep(pause);
  }
  await mixer.wait(action);
  const underflow = action.doneFrames < file.frames;
  const stats = await progress.stats();
  console.log(`played ${action.doneFrames} of ${file.frames} frames${underflow ? "" : " (all of them)"}`);
  console.log(`output underflows: ${stats.outputUnderflows} in ${stats.blocks} blocks`);
  if (underflow) {
    console.log(`error: the ring buffer ran dry after ${action.doneFrames} frames (try a larger --buffersize)`);
    process.exitCode = 1;
  }
} finally {
  file.close();
}
