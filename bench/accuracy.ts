/**
 * Scheduling accuracy, the headline: bleeps at random start times, allowBelated off, played on
 * the JACK dummy server and recorded back through a loopback of the stream's own ports. Each
 * onset is found in the recording and compared with round(Δt · sampleRate) from the first one.
 * Once idle, once with both cores loaded. (The comparison with rtmixer's own placement, by each
 * block's raw timestamp, belongs to a side-by-side run of the real python-rtmixer.)
 *
 * Start times are random on the sample grid (base + k/fs), so round(Δt · fs) is exact and any
 * error is the scheduler's. Needs JACK_DEFAULT_SERVER (bench/run.sh starts a server).
 */
import { spawn } from "node:child_process";
import { MixerAndRecorder } from "../mod.ts";
import { loopback, requireJack, sleep } from "../tests/helpers/jack.ts";
import { parseSmoke, row, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/accuracy.ts");
const BLEEPS = smoke ? 20 : 300;
const SECONDS = smoke ? 1 : 10;
const BLOCK = 256;
const BLEEP_FRAMES = 480; // 10 ms at 48 kHz
const DELAY = 512; // loopback: JACK period 256 + block size 256

interface Result {
  condition: string;
  bleeps: number;
  played: number;
  belated: number;
  worstError: number;
  meanError: number;
  xruns: number;
}

/** A 10 ms sine bleep whose first sample is the marker value `id / 4096` (exact in float32). */
function bleep(id: number, fs: number): Float32Array {
  const b = new Float32Array(BLEEP_FRAMES);
  const hz = 500 + (id % 20) * 100;
  for (let i = 1; i < b.length; i++) {
    b[i] = 0.3 * Math.sin(2 * Math.PI * hz * i / fs) * Math.sin(Math.PI * i / b.length);
  }
  b[0] = id / 4096;
  return b;
}

async function run(m: MixerAndRecorder, condition: string, seed: number): Promise<Result> {
  const fs = m.sampleRate;
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  // Random, sorted frame offsets over SECONDS, at least one bleep apart per channel.
  const span = SECONDS * fs - BLEEP_FRAMES;
  const k: number[] = [];
  while (k.length < BLEEPS) {
    const candidate = Math.floor(rand() * span);
    if (k.every((o) => Math.abs(o - candidate) >= BLEEP_FRAMES + 16)) k.push(candidate);
  }
  k.sort((a, b) => a - b);
  const channels = k.map(() => (rand() < 0.5 ? 1 : 2));

  m.fetchAndResetStats();
  const base = m.time + 0.5;
  const from = m.frameAt(base) - 2000;
  const recording = new Float32Array(2 * (SECONDS * fs + 8000));
  m.recordBuffer(recording, 2, { startFrame: from + DELAY });
  const actions = k.map((ki, i) =>
    m.playBuffer(bleep(i + 1, fs), [channels[i]], { start: base + ki / fs, allowBelated: false })
  );
  await m.wait(undefined, { sleepTime: 20 });
  const stats = m.fetchAndResetStats();
  await m.wait(stats);

  const onsets = actions.map((_, i) => {
    const ch = channels[i] - 1;
    for (let f = 0; f < recording.length / 2; f++) if (recording[2 * f + ch] === (i + 1) / 4096) return f;
    return -1;
  });
  const played = onsets.filter((o) => o >= 0).length;
  const belated = actions.filter((a) => a.outcome === "belated").length;
  const errors: number[] = [];
  const first = onsets.findIndex((o) => o >= 0);
  for (let i = 0; i < BLEEPS; i++) {
    if (onsets[i] < 0 || first < 0) continue;
    errors.push(Math.abs(onsets[i] - onsets[first] - (k[i] - k[first])));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const s = stats.stats;
  return {
    condition,
    bleeps: BLEEPS,
    played,
    belated,
    worstError: Math.max(0, ...errors),
    meanError: mean(errors),
    xruns: s.outputUnderflows + s.outputOverflows + s.inputUnderflows + s.inputOverflows,
  };
}

requireJack();
const m = new MixerAndRecorder({ channels: 2, blockSize: BLOCK, queueSize: 1024 });
m.start();
loopback();
const results: Result[] = [];
try {
  await sleep(300);
  results.push(await run(m, "idle", 1));
  const hogs = [0, 1].map(() => spawn("node", ["-e", "for(;;){}"], { stdio: "ignore" }));
  try {
    await sleep(300);
    results.push(await run(m, "both cores loaded", 2));
  } finally {
    for (const h of hogs) h.kill("SIGKILL");
  }
} finally {
  m.close();
}

console.log(`\nScheduling accuracy: ${BLEEPS} bleeps over ${SECONDS} s, allowBelated off, JACK dummy loopback`);
console.log("errors in samples against round(Δt·fs)\n");
console.log(row(["condition", "bleeps", "played", "belated", "worst error", "mean error", "xruns"]));
console.log(row(["---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]));
for (const r of results) {
  console.log(row([
    r.condition,
    r.bleeps,
    r.played,
    r.belated,
    r.worstError,
    r.meanError.toFixed(3),
    r.xruns,
  ]));
}
const goal = results.every((r) => r.worstError === 0 && r.belated === 0 && r.played === r.bleeps);
console.log(`\ngoal (worst error 0 samples, 0 belated, every bleep played): ${goal ? "met" : "MISSED"}`);
writeResults("accuracy", smoke, { bleeps: BLEEPS, seconds: SECONDS, blockSize: BLOCK, results });
