/**
 * fetch_stats: stream and action statistics (a port of rtmixer's fetch_stats.py). Records into
 * a buffer and into a ring buffer that nobody reads, so it overflows and that action ends;
 * meanwhile fetches (and resets) the stream's statistics at regular intervals.
 *
 *   bun examples/fetch_stats.ts --seconds 3
 */
import { Recorder, RingBuffer, type Stats } from "../mod.ts";
import { cli, int, num, orExit, powerOfTwo, sleep, streamOptions } from "./_common.ts";

const { values } = cli({
  name: "fetch_stats",
  summary: "Prints stream and action statistics while recording into a buffer and into a ring buffer that overflows.",
}, {
  seconds: { type: "string", short: "s", help: "length of the recorded buffer", default: "3" },
  interval: { type: "string", short: "i", help: "seconds between stats fetches", default: "0.5" },
  "ring-seconds": { type: "string", help: "the ring buffer's size (it is never read)", default: "1" },
  channels: { type: "string", short: "c", help: "channels", default: "1" },
});
const seconds = num(values, "seconds", 0.01, 3600);
const interval = num(values, "interval", 0.01, 60);
const channels = int(values, "channels", 1, 64);
const ringSeconds = num(values, "ring-seconds", 0.001, 60);

const show = (s: Stats) =>
  `blocks ${s.blocks}, block size ${s.minBlockSize}-${s.maxBlockSize}, input overflows ${s.inputOverflows}, input underflows ${s.inputUnderflows}`;

using recorder = orExit(() => new Recorder({ ...streamOptions(values), channels }));
const fs = recorder.sampleRate;
using ring = new RingBuffer(4 * channels, powerOfTwo(ringSeconds * fs));
recorder.start();
const buffer = new Float32Array(Math.round(seconds * fs) * channels);
const intoBuffer = recorder.recordBuffer(buffer, channels);
const intoRing = recorder.recordRingBuffer(ring);
console.log(`recording ${seconds} s into a buffer and into a ring buffer of ${ring.size} frames at ${fs} Hz`);

while (!intoBuffer.finished) {
  await sleep(interval * 1000);
  const fetch = recorder.fetchAndResetStats();
  await recorder.wait(fetch);
  console.log(`stream stats: ${show(fetch.stats)}`);
}
await recorder.wait();
for (const [name, a] of [["buffer", intoBuffer], ["ring buffer", intoRing]] as const) {
  console.log(`${name} action: ${a.outcome}, ${a.doneFrames} frames; its stats: ${show(a.stats)}`);
}
recorder.stop();
console.log(`stream stats since the last fetch (inactive stream): ${show(recorder.stats)}`);
console.log(`ring buffer: ${ring.readAvailable} frames waiting to be read (full: ${ring.writeAvailable === 0})`);
