/**
 * Waiting actions (issue 12 §3): what actions scheduled far in the future cost while they wait.
 * Goal: the callback's cost per block does not grow with the number of actions waiting to start.
 *
 * Three mixers side by side, with 0, 1,000 and 100,000 play actions waiting (16 stereo frames
 * each, start frames 2^40 and on: never reached). The callback takes new actions off a lock-free
 * stack at the start of a block and keeps the waiting ones in a binary heap ordered by start
 * frame (zig/mixer.zig, zig/heap.zig), so a block looks at the earliest only. Measured in
 * rounds that run every variant in a new random order, each after a full garbage collection
 * (medians; ratios are medians of per-round ratios against 0 waiting):
 *
 * - block: `OfflineMixer.process(256)` (the same native block processing a stream's callback
 *   runs, plus its JavaScript: argument checks, collecting), and the native block alone
 *   (`rtm_mixer_process` through FFI, as bench/callback.ts calls it) on a second mixer with as
 *   many waiting, since a few tens of nanoseconds of growth would hide in the JavaScript.
 * - submit: one `playBuffer` call (16 stereo frames, to start at once) with that many waiting, in
 *   batches of 1024 that are then played and collected untimed.
 *
 * Apart: the hand-over, the first block after the waiting actions were sent, which moves all of
 * them from the incoming stack into the heap (checked: every one has its start frame placed
 * after it); and what starting them costs, on fresh mixers whose waiting actions start one per
 * block from the fourth block on: the block in which the first starts,
 * the worst of the next nine, and the mean of the blocks after those.
 *
 *   bun bench/queue.ts [--smoke]
 *   deno run -A --v8-flags=--expose-gc bench/queue.ts [--smoke]
 *
 * --smoke: tiny rounds, only checks that the benchmark still runs; nothing is written.
 */
import { type Action, OfflineMixer } from "../mod.ts";
import { Engine } from "../src/engine.ts";
import { native, type Pointer } from "../src/ffi/mod.ts";
import { gc, machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/queue.ts");

const WAITING = [0, 1_000, 100_000];
const SAMPLE_RATE = 48000;
const CHANNELS = 2;
const BLOCK = 256;
const ACTION_FRAMES = 16;
/** Where the waiting actions start: 2^40 frames is 260 days at 48 kHz, never reached here. */
const FAR = 2 ** 40;
/** playBuffer calls timed back to back, as in bench/actions.ts. */
const BATCH = 1024;
const ROUNDS = smoke ? 1 : 21; // odd, so the median is one measured round
const WARMUP_ROUNDS = smoke ? 0 : 3;
const ROUND_MS = smoke ? 0.5 : 20; // per variant and round, about
/** Fresh mixers per waiting count for the start measurements. */
const START_REPEATS = smoke ? 1 : 5;
/** Blocks timed together after the first ten starts, one start each. */
const LATER_STARTS = smoke ? 20 : 500;

const lib = native();
const samples = new Float32Array(ACTION_FRAMES * CHANNELS).fill(0.25);
const output = new Float32Array(BLOCK * CHANNELS);

/** A native mixer with its Engine (as bench/callback.ts makes them), driven block by block. */
class Raw {
  readonly pointer: Pointer;
  readonly engine: Engine;
  #frame = 0;

  constructor() {
    const pointer = lib.rtm_mixer_create(0, CHANNELS, SAMPLE_RATE, 256);
    if (!pointer) throw new Error("rtm_mixer_create failed");
    this.pointer = pointer;
    this.engine = new Engine(pointer, 0, CHANNELS, {});
  }

  /** One block of the native processing, through FFI only. */
  block(): void {
    const t = this.#frame / SAMPLE_RATE;
    lib.rtm_mixer_process(this.pointer, null, 0, output, output.byteLength, BLOCK, t, t, t, 0);
    this.#frame += BLOCK;
  }

  close(): void {
    this.engine.close();
    lib.rtm_mixer_destroy(this.pointer);
  }
}

interface Subject {
  waiting: number;
  offline: OfflineMixer;
  raw: Raw;
  /** The waiting actions (both mixers'), to check they were handed over and are still waiting. */
  actions: Action[];
  fillUs: number;
  handOverUs: { offline: number; native: number };
}

/** Sends `n` actions to start at FAR + i × spacing; returns them and the µs per call. */
function fill(send: (startFrame: number) => Action, n: number, from: number, spacing: number) {
  const actions: Action[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) actions.push(send(from + i * spacing));
  return { actions, us: n === 0 ? NaN : ((performance.now() - t0) * 1e3) / n };
}

/** Every action has been taken by the callback (its start placed) and none has finished. */
function checkWaiting(actions: Action[], from: number, spacing: number, what: string): void {
  actions.forEach((a, i) => {
    if (a.startFrame !== from + i * spacing) {
      throw new Error(
        `${what}: action ${i} was not handed over (start frame ${a.startFrame}, not ${from + i * spacing})`,
      );
    }
    if (a.finished) throw new Error(`${what}: action ${i} finished (${a.outcome}) instead of waiting`);
  });
}

function subject(waiting: number): Subject {
  const offline = new OfflineMixer({ outputChannels: CHANNELS, sampleRate: SAMPLE_RATE });
  const raw = new Raw();
  const a = fill((startFrame) => offline.playBuffer(samples, CHANNELS, { startFrame }), waiting, FAR, 1);
  const b = fill((startFrame) => raw.engine.playBuffer(samples, CHANNELS, { startFrame }), waiting, FAR, 1);
  let t0 = performance.now();
  offline.process(BLOCK, { output });
  const offlineUs = (performance.now() - t0) * 1e3;
  t0 = performance.now();
  raw.block();
  const nativeUs = (performance.now() - t0) * 1e3;
  checkWaiting(a.actions, FAR, 1, `${waiting} waiting (OfflineMixer)`);
  checkWaiting(b.actions, FAR, 1, `${waiting} waiting (native)`);
  return {
    waiting,
    offline,
    raw,
    actions: [...a.actions, ...b.actions],
    fillUs: median([a.us, b.us]),
    handOverUs: { offline: offlineUs, native: nativeUs },
  };
}

const KINDS = ["process", "native", "submit"] as const;
type Kind = (typeof KINDS)[number];

const buffers = { output };
/** Milliseconds for `units` of `kind` on `s`: blocks, or batches of playBuffer calls. */
function run(kind: Kind, s: Subject, units: number): number {
  if (kind === "process") {
    const t0 = performance.now();
    for (let i = 0; i < units; i++) s.offline.process(BLOCK, buffers);
    return performance.now() - t0;
  }
  if (kind === "native") {
    const t0 = performance.now();
    for (let i = 0; i < units; i++) s.raw.block();
    return performance.now() - t0;
  }
  let ms = 0;
  for (let b = 0; b < units; b++) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH; i++) s.offline.playBuffer(samples, CHANNELS);
    ms += performance.now() - t0;
    s.offline.process(BLOCK, buffers); // they play, finish and are collected
  }
  return ms;
}

/** How many units make about ROUND_MS (doubling from 1; this warms the code up too). */
function calibrate(kind: Kind, s: Subject): number {
  let units = 1;
  while (run(kind, s, units) < ROUND_MS / 4) units *= 2;
  return units * 4;
}

interface StartResult {
  waiting: number;
  handOverUs: number;
  firstStartUs: number;
  /** The slowest of starts 2-10. */
  nextStartsMaxUs: number;
  /** Mean per block over LATER_STARTS blocks after the first ten, one start each. */
  laterStartNs: number;
}

/**
 * A fresh mixer whose `n` waiting actions start one per block from block 4 on: the hand-over,
 * the first start, starts 2-10 and the ones after, each in microseconds of native block time.
 */
function starts(n: number): StartResult {
  const raw = new Raw();
  try {
    const from = 4 * BLOCK;
    const { actions } = fill((startFrame) => raw.engine.playBuffer(samples, CHANNELS, { startFrame }), n, from, BLOCK);
    const time = () => {
      const t0 = performance.now();
      raw.block();
      return (performance.now() - t0) * 1e3;
    };
    const handOverUs = time();
    checkWaiting(actions, from, BLOCK, `${n} waiting (starts)`);
    for (let b = 1; b < 4; b++) raw.block();
    const firstStartUs = time();
    const next: number[] = [];
    for (let k = 1; k < Math.min(10, n); k++) next.push(time());
    const later = Math.max(0, Math.min(LATER_STARTS, n - 10));
    const t0 = performance.now();
    for (let k = 0; k < later; k++) raw.block();
    const laterStartNs = later === 0 ? NaN : ((performance.now() - t0) * 1e6) / later;
    raw.engine.collect();
    const started = actions.slice(0, 10 + later);
    if (started.some((a) => a.outcome !== "done") || actions.slice(10 + later).some((a) => a.finished)) {
      throw new Error(`${n} waiting: the actions did not start one per block as scheduled`);
    }
    return {
      waiting: n,
      handOverUs,
      firstStartUs,
      nextStartsMaxUs: next.length === 0 ? NaN : Math.max(...next),
      laterStartNs,
    };
  } finally {
    raw.close();
  }
}

// --- the block and submit costs, side by side ---

{
  // Warm the code up first, so that the fill figures are not the compiler's.
  using warm = new OfflineMixer({ outputChannels: CHANNELS, sampleRate: SAMPLE_RATE });
  for (let i = 0; i < 20_000; i++) warm.playBuffer(samples, CHANNELS, { startFrame: FAR + i });
  warm.process(BLOCK, { output });
  for (let i = 0; i < 20; i++) run("submit", { offline: warm } as Subject, 1);
}
const subjects = WAITING.map(subject);
const units = Object.fromEntries(KINDS.map((k) => [k, calibrate(k, subjects[0])])) as Record<Kind, number>;
const variants = KINDS.flatMap((kind) => subjects.map((s) => ({ kind, s })));
const times = new Map(variants.map((v) => [v, [] as number[]]));
let seed = 0x5eed;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
  // A new order every round, so that no variant always runs first or after the same one; and a
  // full collection before each, so that none pays for the garbage of another (submit makes some).
  const order = [...variants];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const v of order) {
    gc();
    const ms = run(v.kind, v.s, units[v.kind]);
    if (round >= 0) times.get(v)!.push(ms);
  }
}
for (const s of subjects) {
  // Still waiting after everything: none started, finished or was lost.
  if (s.offline.actions.size !== s.waiting || s.raw.engine.actions.size !== s.waiting) {
    throw new Error(`${s.waiting} waiting: the waiting actions did not all stay waiting`);
  }
  s.actions.forEach((a) => {
    if (a.finished) throw new Error(`${s.waiting} waiting: an action finished`);
  });
}

const per = { process: 1e6 / units.process, native: 1e6 / units.native, submit: 1e3 / (units.submit * BATCH) };
interface Row {
  waiting: number;
  processNs: number;
  nativeNs: number;
  submitUs: number;
  processVs0: number;
  nativeVs0: number;
  submitVs0: number;
  fillUs: number;
  handOverOfflineUs: number;
  handOverNativeUs: number;
}
const vs0 = (kind: Kind, s: Subject) => {
  const mine = times.get(variants.find((v) => v.kind === kind && v.s === s)!)!;
  const base = times.get(variants.find((v) => v.kind === kind && v.s === subjects[0])!)!;
  return median(mine.map((t, i) => t / base[i]));
};
const med = (kind: Kind, s: Subject) =>
  median(times.get(variants.find((v) => v.kind === kind && v.s === s)!)!) * per[kind];
const rows: Row[] = subjects.map((s) => ({
  waiting: s.waiting,
  processNs: med("process", s),
  nativeNs: med("native", s),
  submitUs: med("submit", s),
  processVs0: vs0("process", s),
  nativeVs0: vs0("native", s),
  submitVs0: vs0("submit", s),
  fillUs: s.fillUs,
  handOverOfflineUs: s.handOverUs.offline,
  handOverNativeUs: s.handOverUs.native,
}));
for (const s of subjects) {
  s.offline.close();
  s.raw.close();
}

// --- starting waiting actions ---

const startRows: StartResult[] = [1, ...WAITING.filter((n) => n > 0)].map((n) => {
  const runs = Array.from({ length: START_REPEATS }, () => starts(n));
  const m = (f: (r: StartResult) => number) => median(runs.map(f));
  return {
    waiting: n,
    handOverUs: m((r) => r.handOverUs),
    firstStartUs: m((r) => r.firstStartUs),
    nextStartsMaxUs: m((r) => r.nextStartsMaxUs),
    laterStartNs: m((r) => r.laterStartNs),
  };
});

// --- report ---

const fmt = (x: number, digits: number) => Number.isNaN(x) ? "-" : x.toFixed(digits);
const count = (n: number) => n.toLocaleString("en-US");
console.log(
  `# waiting actions: ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${
    smoke ? " (smoke run)" : ""
  }`,
);
console.log(
  `medians of ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms; block = ${BLOCK} frames, ${CHANNELS} output channels, ` +
    `${SAMPLE_RATE} Hz; waiting actions: ${ACTION_FRAMES} stereo frames each, start frame 2^40 and on`,
);
console.log(
  "process = OfflineMixer.process(256) (native block + its JavaScript); native = rtm_mixer_process alone (FFI); " +
    `submit = one playBuffer call (batches of ${BATCH}); vs 0 = median of per-round ratios against 0 waiting\n`,
);
console.log(
  "| waiting | process ns/block | native ns/block | submit µs/call | process vs 0 | native vs 0 | submit vs 0 |",
);
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(row([
    count(r.waiting),
    fmt(r.processNs, 0),
    fmt(r.nativeNs, 0),
    fmt(r.submitUs, 3),
    fmt(r.processVs0, 2) + "x",
    fmt(r.nativeVs0, 2) + "x",
    fmt(r.submitVs0, 2) + "x",
  ]));
}

console.log(
  "(every mixer lives in one process, so 0 waiting here is not bench/actions.ts's figure: the others' waiting " +
    "actions are live objects too)",
);
console.log(
  "\nhanding over and starting: fill = the playBuffer calls that queued them (µs each, pages grown as needed) and " +
    "hand-over (process) = the first block after them, on the mixers above; the rest on fresh mixers (median of " +
    `${START_REPEATS}) whose waiting actions start one per block from the fourth: hand-over (native) = their first ` +
    `block, which takes them all into the heap; later = mean over ${LATER_STARTS} blocks after the first ten starts; ` +
    "waiting 1 = a single action, for reference\n",
);
console.log(
  "| waiting | fill µs/action | hand-over µs (process) | hand-over µs (native) | hand-over ns/action | first start µs | starts 2-10 max µs | later starts ns/block |",
);
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const n of [1, ...WAITING.filter((w) => w > 0)]) {
  const r = rows.find((x) => x.waiting === n);
  const s = startRows.find((x) => x.waiting === n)!;
  console.log(row([
    count(n),
    fmt(r?.fillUs ?? NaN, 3),
    fmt(r?.handOverOfflineUs ?? NaN, 1),
    fmt(s.handOverUs, 1),
    fmt((s.handOverUs * 1e3) / n, 1),
    fmt(s.firstStartUs, 1),
    fmt(s.nextStartsMaxUs, 1),
    fmt(s.laterStartNs, 0),
  ]));
}

// The goal is shown, not asserted: a benchmark reports, the tests decide. "Does not grow" is
// judged with room for noise: within 1.2x of the block with nothing waiting.
const LIMIT = 1.2;
const goals = rows.filter((r) => r.waiting > 0).map((r) => ({
  goal: `block cost with ${count(r.waiting)} waiting within ${LIMIT}x of 0 waiting`,
  nativeVs0: r.nativeVs0,
  processVs0: r.processVs0,
  met: r.nativeVs0 <= LIMIT && r.processVs0 <= LIMIT,
}));
console.log();
for (const g of goals) {
  console.log(
    `goal: ${g.goal}: ${g.met ? "met" : "NOT met"} (native ${fmt(g.nativeVs0, 2)}x, process ${fmt(g.processVs0, 2)}x)`,
  );
}

writeResults("queue", smoke, {
  settings: {
    waiting: WAITING,
    sampleRate: SAMPLE_RATE,
    channels: CHANNELS,
    block: BLOCK,
    actionFrames: ACTION_FRAMES,
    batch: BATCH,
    rounds: ROUNDS,
    roundMs: ROUND_MS,
    units,
    startRepeats: START_REPEATS,
    laterStarts: LATER_STARTS,
  },
  rows,
  startRows,
  goals,
});
