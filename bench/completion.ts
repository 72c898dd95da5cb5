/**
 * Completion latency (issue 12 §2): how long after the audio callback has finished an action
 * `await stream.wait(action)` and `await stream.wait()` settle, on a real PortAudio stream on the
 * JACK dummy server. Goal: within one block period of the action's end.
 *
 * What the figure is. An action's end is the moment the callback returns from the block that
 * played its last frame: the callback marks the action finished and then advances the stream's
 * frame clock (`frameTime`) past that block, so the end is when `frameTime` first reaches the
 * block end at or after `startFrame + totalFrames`. JavaScript cannot see that moment while it
 * awaits, so each trial brackets it: just before the action is sent and just after the wait has
 * settled, a tight loop on `frameTime` notes the wall-clock time (`performance.now()`) at which
 * the callback ends a host cycle; the action's end is interpolated between those two anchors on
 * the frame clock (the dummy driver is clocked, so cycles are evenly spaced but for jitter). The
 * latency is the time from that end to the code after the `await`. A trial in which the time
 * between the anchors differs from the frames between them by more than IRREGULAR_MS (an xrun,
 * a stalled server, the polling thread kept from running) is counted but not measured: its end
 * is unknown. A third method, a tight loop polling `action.finished` (a live getter that reads
 * native memory), is measured the same way: it sees the end within microseconds, so its figures
 * are the error of the end-time estimate itself (callback jitter, a descheduled main thread),
 * the floor of the other two.
 *
 * Each trial sends play actions of random length (1-50 ms of silence) to start as soon as
 * possible, at a random point within a block, as a program would: wait(action) with one action,
 * wait() with three (the latency counts from the last one's end). The three methods alternate
 * trial by trial; medians and 99th percentiles, in ms and in blocks (block = blockSize frames).
 *
 * Three streams: block 256 on the server of JACK_DEFAULT_SERVER (period 256: one callback per
 * JACK cycle), block 64 on a JACK dummy server with period 64 that this benchmark starts for the
 * purpose (again one callback per cycle; measured in a child process, since PortAudio picks its
 * JACK server when it initialises), and block 64 on the period-256 server: PortAudio then runs
 * four callbacks back to back every 256 frames, so an action's end becomes visible only at the
 * end of its JACK cycle, up to three blocks after its own block; its figures count from that
 * cycle's end, and its blocks are still blocks of 64 frames.
 *
 *   bun bench/completion.ts [--smoke]
 *   deno run -A bench/completion.ts [--smoke]
 *
 * Needs JACK_DEFAULT_SERVER (bench/run.sh starts a server) and .ci/jack.sh for the second one.
 * --smoke: a few trials, only checks that the benchmark still runs; nothing is written.
 */
import process from "node:process";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Action, Mixer } from "../mod.ts";
import { native } from "../src/ffi/mod.ts";
import { requireJack } from "../tests/helpers/jack.ts";
import { runArgs } from "../tests/helpers/child.ts";
import { machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/completion.ts");

const SAMPLE_RATE = 48000; // the rate .ci/jack.sh and bench/run.sh start servers with
const TRIALS = smoke ? 4 : 200; // measured per method and stream
/** Trials per method at most, counting those whose clock was irregular. */
const MAX_TRIALS = 2 * TRIALS;
/** A trial's clock is irregular when the time between its anchors is this far from nominal. */
const IRREGULAR_MS = 0.25;
const WARMUP_TRIALS = smoke ? 1 : 5; // per method, not counted
const CALIBRATION_MS = smoke ? 100 : 400; // tight polling to learn the host cycle
const ACTION_MS = [1, 50]; // lengths of the actions, uniformly
const ANCHOR_TIMEOUT_MS = 2000;
/** Set in the child process that measures a stream on the benchmark's own period-64 server. */
const CHILD_ENV = "RTMIXER_BENCH_COMPLETION_CHILD";

const METHODS = ["wait(action)", "wait()", "poll finished"] as const;
type Method = (typeof METHODS)[number];

interface StreamCase {
  /** The JACK server's period, in frames. */
  period: number;
  block: number;
  /** Where the server comes from. */
  server: "JACK_DEFAULT_SERVER" | "own";
}

const CASES: StreamCase[] = [
  { period: 256, block: 256, server: "JACK_DEFAULT_SERVER" },
  { period: 64, block: 64, server: "own" },
  { period: 256, block: 64, server: "JACK_DEFAULT_SERVER" },
];

interface MethodResult {
  method: Method;
  trials: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  minMs: number;
  medianBlocks: number;
  p99Blocks: number;
}

interface CaseResult extends StreamCase {
  /** Frames between the ends of host cycles, as observed (the period, unless PortAudio buffers). */
  cycleFrames: number;
  blockMs: number;
  methods: MethodResult[];
  xruns: number;
  /** Trials not measured: the clock ran irregularly between their anchors. */
  irregular: number;
}

// A small seeded generator: the same random lengths and phases in every run.
let seed = 0x2f6b1a3d;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
};

/**
 * `frameTime` reads native memory through a typed array, and Bun's optimising JIT moves such a
 * read out of a loop that makes no opaque call (seen: a tight loop on `frameTime` saw no change
 * for seconds while the clock ran). An empty FFI call in the loop (2-10 ns) forces the read.
 */
const lib = native();

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* spin: a sub-millisecond delay */ }
}

/** A host cycle's end as the tight loop saw it: the frame clock's new value and when. */
interface Anchor {
  frame: number;
  t: number;
}

/**
 * Polls the frame clock until the callback ends a host cycle (the clock reaches `phase` modulo
 * `cycle`) and returns when it was first seen. The first change is seen while polling, so the
 * time is that of the callback's return, give or take one poll.
 */
function anchor(m: Mixer, cycle: number, phase: number): Anchor {
  let last = m.frameTime;
  const deadline = performance.now() + ANCHOR_TIMEOUT_MS;
  for (let i = 0;; i++) {
    lib.rtm_abi_version();
    const frame = m.frameTime;
    if (frame !== last) {
      const t = performance.now();
      if ((((frame - phase) % cycle) + cycle) % cycle === 0) return { frame, t };
      last = frame;
    }
    if ((i & 1023) === 0 && performance.now() > deadline) throw new Error("the stream's frame clock stopped");
  }
}

/**
 * Polls the frame clock for `ms` and returns the host cycle: frames between the ends of bursts
 * of callbacks (one callback per JACK cycle, or several back to back when the block is smaller
 * than the period), and the clock's value at cycle ends modulo the cycle.
 */
function calibrate(m: Mixer, ms: number): { cycle: number; phase: number } {
  const changes: Anchor[] = [];
  let last = m.frameTime;
  const end = performance.now() + ms;
  for (let t = performance.now(); t < end; t = performance.now()) {
    lib.rtm_abi_version();
    const frame = m.frameTime;
    if (frame !== last) changes.push({ frame, t });
    last = frame;
  }
  // A burst's callbacks follow one another within microseconds; cycles are at least 1.3 ms apart.
  const ends: Anchor[] = [];
  for (let i = 0; i < changes.length; i++) {
    if (i + 1 === changes.length || changes[i + 1].t - changes[i].t > 0.2) ends.push(changes[i]);
  }
  if (ends.length < 4) throw new Error(`the stream's frame clock hardly moved (${changes.length} changes in ${ms} ms)`);
  const cycle = median(ends.slice(1).map((e, i) => e.frame - ends[i].frame));
  return { cycle, phase: median(ends.map((e) => e.frame % cycle)) };
}

/** The wall-clock time at which the callback finished `actions` (the last of them), by the anchors. */
function endTime(actions: Action[], block: number, cycle: number, phase: number, a: Anchor, b: Anchor): number {
  let end = 0;
  for (const action of actions) {
    const last = action.startFrame + action.totalFrames;
    const blockEnd = Math.ceil(last / block) * block;
    end = Math.max(end, phase + Math.ceil((blockEnd - phase) / cycle) * cycle);
  }
  if (!(end > a.frame && end <= b.frame)) {
    throw new Error(`the action's end (frame ${end}) lies outside its anchors (${a.frame}..${b.frame})`);
  }
  return a.t + ((end - a.frame) / (b.frame - a.frame)) * (b.t - a.t);
}

async function measure(c: StreamCase): Promise<CaseResult> {
  using m = new Mixer({ channels: 2, blockSize: c.block });
  if (m.sampleRate !== SAMPLE_RATE) throw new Error(`the JACK server runs at ${m.sampleRate} Hz, not ${SAMPLE_RATE}`);
  const framesOf = (ms: number) => Math.max(1, Math.round((ms / 1000) * SAMPLE_RATE));
  const silence = new Float32Array(2 * framesOf(ACTION_MS[1]));
  const length = () => framesOf(ACTION_MS[0] + random() * (ACTION_MS[1] - ACTION_MS[0]));
  m.start();
  const { cycle, phase } = calibrate(m, CALIBRATION_MS);
  const cycleMs = (cycle / SAMPLE_RATE) * 1000;
  const blockMs = (c.block / SAMPLE_RATE) * 1000;
  const play = () => {
    const frames = length();
    return m.playBuffer(silence.subarray(0, 2 * frames), 2);
  };

  /** One trial: sent at a random point of a cycle; returns the latency in ms. */
  const trial = async (method: Method, a: Anchor): Promise<{ ms: number | undefined; next: Anchor }> => {
    busyWait(random() * cycleMs);
    let actions: Action[];
    let settled: number;
    if (method === "wait(action)") {
      const action = play();
      await m.wait(action);
      settled = performance.now();
      actions = [action];
    } else if (method === "wait()") {
      actions = [play(), play(), play()];
      await m.wait();
      settled = performance.now();
    } else {
      const action = play();
      while (!action.finished) { /* the reference: JavaScript looking all the time */ }
      settled = performance.now();
      actions = [action];
    }
    for (const action of actions) if (action.outcome !== "done") throw new Error(`an action ended ${action.outcome}`);
    const b = anchor(m, cycle, phase);
    // Between the anchors the clock must have run at its nominal rate: an xrun, a stall of the
    // server, or the anchoring loop kept from running leaves the end unknown. Such trials are
    // counted, not measured.
    const drift = b.t - a.t - ((b.frame - a.frame) / SAMPLE_RATE) * 1000;
    const ms = Math.abs(drift) > IRREGULAR_MS ? undefined : settled - endTime(actions, c.block, cycle, phase, a, b);
    return { ms, next: b };
  };

  const latencies = new Map<Method, number[]>(METHODS.map((k) => [k, []]));
  let irregular = 0;
  let a = anchor(m, cycle, phase);
  const enough = () => METHODS.every((k) => latencies.get(k)!.length >= TRIALS);
  for (let i = -WARMUP_TRIALS; i < MAX_TRIALS && !enough(); i++) {
    // Rotate the order so that no method always follows the same one.
    for (let k = 0; k < METHODS.length; k++) {
      const method = METHODS[(k + Math.max(i, 0)) % METHODS.length];
      const r = await trial(method, a);
      a = r.next;
      if (i < 0) continue;
      if (r.ms === undefined) irregular++;
      else latencies.get(method)!.push(r.ms);
    }
  }
  m.stop();
  const s = m.stats;
  const blocks = (ms: number) => ms / blockMs;
  return {
    ...c,
    cycleFrames: cycle,
    blockMs,
    xruns: s.outputUnderflows + s.outputOverflows + s.inputUnderflows + s.inputOverflows,
    irregular,
    methods: METHODS.map((method) => {
      const ms = latencies.get(method)!;
      // NaN when no trial of the method could be measured (a smoke run on a busy machine).
      const none = ms.length === 0;
      return {
        method,
        trials: ms.length,
        medianMs: none ? NaN : median(ms),
        p99Ms: none ? NaN : percentile(ms, 0.99),
        maxMs: none ? NaN : Math.max(...ms),
        minMs: none ? NaN : Math.min(...ms),
        medianBlocks: none ? NaN : blocks(median(ms)),
        p99Blocks: none ? NaN : blocks(percentile(ms, 0.99)),
      };
    }),
  };
}

/** Starts a JACK dummy server with `period`, measures `c` in a child process on it, stops it. */
function measureOnOwnServer(c: StreamCase): CaseResult {
  const jack = fileURLToPath(new URL("../.ci/jack.sh", import.meta.url));
  const server = `rtmixer-bench-completion-${process.pid}`;
  // Realtime scheduling where the machine allows it, as bench/run.sh starts its server.
  const start = spawnSync("bash", [jack, "start", server, String(SAMPLE_RATE), String(c.period)], {
    env: { ...process.env, JACK_REALTIME: "1" },
    encoding: "utf8",
  });
  try {
    if (start.status !== 0) throw new Error(`could not start a JACK server with period ${c.period}:\n${start.stderr}`);
    const file = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, runArgs(file, ...(smoke ? ["--smoke"] : [])), {
      env: { ...process.env, JACK_DEFAULT_SERVER: server, [CHILD_ENV]: JSON.stringify(c) },
      encoding: "utf8",
      timeout: 600_000,
    });
    const line = child.stdout?.split("\n").find((l) => l.startsWith("result "));
    if (child.status !== 0 || !line) {
      const how = child.status ?? child.signal;
      throw new Error(`the child measuring block ${c.block} failed (${how}):\n${child.stdout}\n${child.stderr}`);
    }
    // JSON has no NaN (a method with no measured trial): it comes back as null.
    return JSON.parse(line.slice("result ".length), (_, v) => v === null ? NaN : v);
  } finally {
    spawnSync("bash", [jack, "stop", server]);
  }
}

const childCase = process.env[CHILD_ENV];
if (childCase !== undefined) {
  // The child: one stream on the server it was given; the parent prints.
  console.log(`result ${JSON.stringify(await measure(JSON.parse(childCase)))}`);
  process.exit(0);
}

requireJack();
const results: CaseResult[] = [];
for (const c of CASES) results.push(c.server === "own" ? measureOnOwnServer(c) : await measure(c));

console.log(
  `# completion latency: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${
    smoke ? " (smoke run)" : ""
  }`,
);
console.log(
  `from the callback finishing a play action (${ACTION_MS.join("-")} ms long, sent at a random point of a block) ` +
    `to the code after the await; at least ${TRIALS} measured trials per method and stream, methods alternating; ` +
    `JACK dummy server at ${SAMPLE_RATE} Hz.`,
);
console.log(
  "poll finished = a tight loop on action.finished: it sees the end at once, so its figures are the error of the end-time estimate.",
);
console.log(
  `blocks = blockSize frames; xruns = blocks PortAudio flagged during the stream's trials; irregular = trials (all methods) ` +
    `not measured: the clock ran > ${IRREGULAR_MS} ms off nominal between their anchors\n`,
);
const fixed = (x: number) => Number.isNaN(x) ? "-" : x.toFixed(2);
console.log(
  "| JACK period | block | method | trials | median ms | p99 ms | min ms | max ms | median blocks | p99 blocks | xruns | irregular |",
);
console.log("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  for (const x of r.methods) {
    console.log(row([
      r.period,
      r.block,
      x.method,
      x.trials,
      fixed(x.medianMs),
      fixed(x.p99Ms),
      fixed(x.minMs),
      fixed(x.maxMs),
      fixed(x.medianBlocks),
      fixed(x.p99Blocks),
      r.xruns,
      r.irregular,
    ]));
  }
  if (r.cycleFrames !== r.period) {
    console.log(`(observed host cycle ${r.cycleFrames} frames on the server said to have period ${r.period})`);
  }
}

// The goal is shown, not asserted: a benchmark reports, the tests decide. Judged on the 99th
// percentile of each wait method, per stream; the median is shown beside it.
const goals = results.flatMap((r) =>
  r.methods.filter((x) => x.method !== "poll finished").map((x) => ({
    goal: `${x.method} settles within one block of the action's end (p99), block ${r.block} on period ${r.period}`,
    p99Blocks: x.p99Blocks,
    medianBlocks: x.medianBlocks,
    met: x.p99Blocks <= 1,
  }))
);
console.log();
for (const g of goals) {
  console.log(
    `goal: ${g.goal}: ${g.met ? "met" : "NOT met"} (p99 ${fixed(g.p99Blocks)} blocks, median ${fixed(g.medianBlocks)})`,
  );
}

writeResults("completion", smoke, {
  settings: {
    sampleRate: SAMPLE_RATE,
    trials: TRIALS,
    maxTrials: MAX_TRIALS,
    warmupTrials: WARMUP_TRIALS,
    actionMs: ACTION_MS,
    irregularMs: IRREGULAR_MS,
  },
  results,
  goals,
});
