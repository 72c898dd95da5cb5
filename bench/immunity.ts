/**
 * JavaScript load immunity: continuous playback through a ring buffer at block size 64, once
 * with the JavaScript side idle but for feeding the ring, once while it allocates heavily and
 * forces garbage collections. The audio callback runs no JavaScript, so GC pauses can only show
 * up as ring underflows (the feeder late), never as xruns (the callback late). Reported: xruns
 * from the stream's stats, ring underflows (the play action ran dry and had to be restarted),
 * and the longest pause the feeder saw. Needs JACK_DEFAULT_SERVER (bench/run.sh starts one).
 */
import { Mixer, RingBuffer } from "../mod.ts";
import { requireJack, sleep } from "../tests/helpers/jack.ts";
import { gc, parseSmoke, row, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/immunity.ts");
const SECONDS = smoke ? 2 : 60;
const BLOCK = 64;
const RING_FRAMES = 8192; // 170 ms at 48 kHz: the feeder's slack

interface Result {
  condition: string;
  seconds: number;
  framesPlayed: number;
  xruns: number;
  ringUnderflows: number;
  longestFeederPauseMs: number;
  gcs: number;
}

async function run(condition: string, load: boolean): Promise<Result> {
  using m = new Mixer({ channels: 2, blockSize: BLOCK });
  using ring = new RingBuffer(8, RING_FRAMES);
  const fs = m.sampleRate;
  let phase = 0;
  const feed = () => {
    const [n, a, b] = ring.getWriteBuffers(ring.writeAvailable);
    for (const part of [a, b]) {
      const f = new Float32Array(part.buffer, part.byteOffset, part.length / 4);
      for (let i = 0; i < f.length; i += 2) f[i] = f[i + 1] = 0.1 * Math.sin((phase++ * 2 * Math.PI * 440) / fs);
    }
    ring.advanceWriteIndex(n);
  };
  feed();
  m.start();
  let action = m.playRingBuffer(ring);
  let underflows = 0;
  let played = 0;
  let gcs = 0;
  let longest = 0;
  let last = performance.now();
  const end = last + SECONDS * 1000;
  let garbage: unknown[] = [];
  while (performance.now() < end) {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    feed();
    if (action.finished) {
      // The ring ran dry: the feeder was late. Count it and play on.
      if (action.outcome === "ringEnded") underflows++;
      played += action.doneFrames;
      action = m.playRingBuffer(ring);
    } else m.actions; // collects finished actions
    if (load) {
      // Heavy allocation, then a forced full collection now and then.
      for (let i = 0; i < 2000; i++) garbage.push({ i, data: new Float64Array(64), text: `item ${i}` });
      if (garbage.length > 200_000) {
        garbage = [];
        gc();
        gcs++;
      }
    }
    await sleep(5);
  }
  m.stop();
  played += action.doneFrames;
  const s = m.stats;
  return {
    condition,
    seconds: SECONDS,
    framesPlayed: played,
    xruns: s.outputUnderflows + s.outputOverflows,
    ringUnderflows: underflows,
    longestFeederPauseMs: longest,
    gcs,
  };
}

requireJack();
const results = [await run("idle", false), await run("allocating + forced GC", true)];
console.log(`\nJavaScript load immunity: ${SECONDS} s of ring buffer playback at block size ${BLOCK} (ring ${RING_FRAMES} frames)\n`);
console.log(row(["condition", "frames played", "xruns", "ring underflows", "longest feeder pause (ms)", "forced GCs"]));
console.log(row(["---", "--:", "--:", "--:", "--:", "--:"]));
for (const r of results) {
  console.log(row([r.condition, r.framesPlayed, r.xruns, r.ringUnderflows, r.longestFeederPauseMs.toFixed(1), r.gcs]));
}
const [idle, loaded] = results;
console.log(`\ngoal (no more xruns than idle): ${loaded.xruns <= idle.xruns ? "met" : `MISSED (${loaded.xruns} vs ${idle.xruns})`}`);
writeResults("immunity", smoke, { seconds: SECONDS, blockSize: BLOCK, ringFrames: RING_FRAMES, results });
