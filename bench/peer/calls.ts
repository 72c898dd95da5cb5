/**
 * Our side of bench/playbuffer.ts: one fresh process, the same calls bench/peer/calls.py makes
 * of python-rtmixer. Prints one JSON line.
 *
 *   bun bench/peer/calls.ts COLD WARM_BATCHES BATCH
 *   deno run -A bench/peer/calls.ts COLD WARM_BATCHES BATCH
 *
 * Opens a Mixer (2 outputs, block size 256, queueSize 1024) on the JACK server named by
 * JACK_DEFAULT_SERVER, then times playBuffer: the first COLD calls of this process (each with a
 * fresh 2-frame mono buffer on channel 1 or 2, a start time and allowBelated false, as a bleep
 * schedule makes them), each timed alone; then WARM_BATCHES batches of BATCH such calls, timed in
 * groups of 10 (per call), each batch waited for before the next.
 */
import process from "node:process";
import { Mixer } from "../../mod.ts";

const [coldCalls, batches, batch] = process.argv.slice(2).map(Number);
const clock = () => performance.now();

let t = clock();
const m = new Mixer({ channels: 2, blockSize: 256, queueSize: 1024 });
m.start();
const openMs = clock() - t;
const fs = m.sampleRate;

// What one pair of clock reads costs here (it is inside every cold figure).
const pairs: number[] = [];
for (let i = 0; i < 300; i++) {
  const a = clock();
  pairs.push(clock() - a);
}
pairs.sort((a, b) => a - b);
const clockUs = pairs[pairs.length >> 1] * 1e3;

const t0 = m.time + 1;
const cold: number[] = [];
const keep = [];
for (let i = 0; i < coldCalls; i++) {
  const b = new Float32Array(2);
  b[0] = 0.5;
  b[1] = 0.25;
  const s = clock();
  const action = m.playBuffer(b, [1 + (i & 1)], { start: t0 + (i * 1000) / fs, allowBelated: false });
  cold.push((clock() - s) * 1e3);
  keep.push(action);
}

// Warm: per call, from groups of GROUP calls timed together (the clock's cost spread over the
// group); a median of groups leaves out those the system preempted, as the cold median does.
const GROUP = 10;
const warm: number[][] = [];
for (let k = 0; k < batches; k++) {
  const buffers = Array.from({ length: batch }, () => new Float32Array(2).fill(0.25));
  const start = m.time + 0.05;
  const groups: number[] = [];
  for (let g = 0; g + GROUP <= batch; g += GROUP) {
    t = clock();
    for (let i = g; i < g + GROUP; i++) m.playBuffer(buffers[i], [1 + (i & 1)], { start, allowBelated: false });
    groups.push(((clock() - t) * 1e3) / GROUP);
  }
  warm.push(groups);
  await m.wait();
}

m.abort();
m.close();
console.log(JSON.stringify({ open_ms: openMs, clock_us: clockUs, cold_us: cold, warm_us: warm }));
