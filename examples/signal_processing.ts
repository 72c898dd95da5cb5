/**
 * signal_processing: block-wise processing in JavaScript between a record ring buffer and a play
 * ring buffer (a port of rtmixer's signal_processing.py). The callback records into one ring;
 * this program takes whole blocks from it, processes them (a gain and a one-pole low-pass) and
 * writes them into the other ring, which the callback plays `--latency-blocks` blocks later. On a
 * terminal a progress line shows the time, the actions in flight and the xruns.
 *
 *   bun examples/signal_processing.ts --gain 0.5 --cutoff 1000
 */
import process from "node:process";
import { MixerAndRecorder, RingBuffer } from "../mod.ts";
import { cli, int, num, orExit, powerOfTwo, Progress, sleep, streamOptions, usageError } from "./_common.ts";

const { values } = cli({
  name: "signal_processing",
  summary: "Processes the input block by block (gain, low-pass) between a record and a play ring buffer.",
}, {
  seconds: { type: "string", short: "s", help: "how long to run", default: "5" },
  channels: { type: "string", short: "c", help: "channels", default: "1" },
  gain: { type: "string", short: "g", help: "gain", default: "0.5" },
  cutoff: { type: "string", help: "low-pass cutoff in Hz", default: "2000" },
  "processing-block": { type: "string", help: "frames per processing step", default: "512" },
  "latency-blocks": { type: "string", help: "processing blocks between input and output", default: "8" },
});
const seconds = num(values, "seconds", 0.01, 86_400);
const channels = int(values, "channels", 1, 64);
const gain = num(values, "gain", -100, 100);
const block = int(values, "processing-block", 1, 1 << 20);
const latencyBlocks = int(values, "latency-blocks", 1, 1024);
const cutoff = num(values, "cutoff", 1);

using stream = orExit(() => new MixerAndRecorder({ ...streamOptions(values), channels }));
const fs = stream.sampleRate;
if (cutoff > fs / 2) usageError(`--cutoff must be at most ${fs / 2} Hz (half the sample rate), got ${cutoff}`);
const coefficient = 1 - Math.exp(-2 * Math.PI * cutoff / fs);
const size = powerOfTwo(block * (latencyBlocks + 4));
using input = new RingBuffer(4 * channels, size);
using output = new RingBuffer(4 * channels, size);
// Silence to cover the processing latency, so playback starts with a full margin.
output.write(new Float32Array(block * latencyBlocks * channels));
stream.start();
const start = stream.time + 0.1;
const record = stream.recordRingBuffer(input, { start, allowBelated: false });
const play = stream.playRingBuffer(output, { start, allowBelated: false });
console.log(`processing ${channels} channel(s) at ${fs} Hz in blocks of ${block} frames for ${seconds} s`);

const data = new Float32Array(block * channels);
const state = new Float64Array(channels);
let blocks = 0;
const progress = new Progress(stream, { total: seconds, extra: () => `${blocks} blocks processed` });
let worstMs = 0;
const until = performance.now() + seconds * 1000;
while (performance.now() < until && !record.finished && !play.finished) {
  while (input.readAvailable >= block && output.writeAvailable >= block) {
    const t = performance.now();
    input.readInto(data);
    for (let i = 0; i < data.length; i++) {
      const c = i % channels;
      state[c] += coefficient * (data[i] - state[c]);
      data[i] = gain * state[c];
    }
    output.write(data);
    worstMs = Math.max(worstMs, performance.now() - t);
    blocks++;
  }
  await sleep(Math.max(1, block / fs * 1000 / 2));
}
const failed = record.finished || play.finished;
for (const a of [record, play]) if (!a.finished) stream.cancel(a);
const s = await progress.stats();
await stream.wait();
console.log(`processed ${blocks} blocks (${blocks * block} frames); slowest block took ${worstMs.toFixed(3)} ms`);
console.log(`input overflows ${s.inputOverflows}, output underflows ${s.outputUnderflows} in ${s.blocks} blocks`);
if (failed) {
  console.log(`error: ${record.outcome === "ringEnded" ? "the input ring ran full" : "the output ring ran dry"} (processing fell behind)`);
  process.exitCode = 1;
}
