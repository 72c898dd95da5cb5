/**
 * record_file: records the input to a WAV file (32-bit float, written by the `wavefile`
 * package), for a given time or until Enter. The callback records into a ring buffer; this
 * program empties it into memory as it goes and writes the file at the end. On a terminal a
 * progress line shows the time, the actions in flight and the xruns.
 *
 *   bun examples/record_file.ts take1.wav            # until Enter
 *   bun examples/record_file.ts take1.wav -s 10      # ten seconds
 */
import process from "node:process";
import { Recorder, RingBuffer } from "../mod.ts";
import {
  cli,
  createFile,
  int,
  keys,
  num,
  orExit,
  powerOfTwo,
  Progress,
  sleep,
  streamOptions,
  usageError,
  writeWav,
} from "./_common.ts";

const { values, positionals } = cli({
  name: "record_file",
  summary: "Records the input to a WAV file for a given time or until Enter.",
  args: "FILE.wav",
}, {
  seconds: { type: "string", short: "s", help: "how long; 0: until Enter", default: "0" },
  channels: { type: "string", short: "c", help: "channels (default: all of the device)" },
  buffersize: { type: "string", short: "q", help: "ring buffer size in seconds", default: "1" },
});
if (positionals.length !== 1) usageError("give one output file (--help for usage)");
const seconds = num(values, "seconds", 0, 86_400);
const bufferSeconds = num(values, "buffersize", 0.01, 60);
const requestedChannels = values.channels !== undefined ? int(values, "channels", 1, 1024) : undefined;
// A file that cannot be written is found now, not after the recording.
orExit(() => createFile(positionals[0]));

using recorder = orExit(() =>
  new Recorder({
    ...streamOptions(values),
    ...(requestedChannels !== undefined ? { channels: requestedChannels } : {}),
  })
);
const channels = recorder.channels;
const fs = recorder.sampleRate;
using ring = new RingBuffer(4 * channels, powerOfTwo(bufferSeconds * fs));
const chunks: Float32Array[] = [];
let frames = 0;
const drain = () => {
  const n = ring.readAvailable;
  if (n === 0) return;
  const chunk = new Float32Array(n * channels);
  frames += ring.readInto(chunk);
  chunks.push(chunk);
};

recorder.start();
const action = recorder.recordRingBuffer(ring);
let stopRequested = false;
let input: ReturnType<typeof keys> | undefined;
if (seconds > 0) {
  console.log(`recording ${seconds} s of ${channels} channel(s) at ${fs} Hz into ${positionals[0]}`);
  setTimeout(() => (stopRequested = true), seconds * 1000);
} else {
  console.log(`recording ${channels} channel(s) at ${fs} Hz into ${positionals[0]}; press Enter to stop`);
  input = keys();
  (async () => {
    for (let k = await input!.next(); k !== null && k !== "\n"; k = await input!.next());
    stopRequested = true;
  })();
}
const progress = new Progress(recorder, seconds > 0 ? { total: seconds } : {});
while (!stopRequested && !action.finished) {
  drain();
  await sleep(20);
}
input?.stop();
progress.stop();
// With --seconds, stop at exactly that many frames.
const cancel = recorder.cancel(action, seconds > 0 ? { frame: action.startFrame + Math.round(seconds * fs) } : {});
await recorder.wait(cancel);
await recorder.wait(action);
drain();
const overflowed = action.outcome === "ringEnded";
const data = new Float32Array(frames * channels);
let at = 0;
for (const c of chunks) {
  data.set(c, at);
  at += c.length;
}
const keep = seconds > 0 ? Math.min(frames, Math.round(seconds * fs)) : frames;
writeWav(positionals[0], data.subarray(0, keep * channels), channels, fs);
console.log(`wrote ${keep} frames (${(keep / fs).toFixed(3)} s) to ${positionals[0]}`);
if (overflowed) {
  console.log("error: the ring buffer ran full, so the recording stopped early (try a larger --buffersize)");
  process.exitCode = 1;
}
