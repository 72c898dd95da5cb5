// Fuzzing: random sequences of public calls on a running MixerAndRecorder (JACK dummy server),
// with valid and invalid arguments: wrong types, NaN, negative and huge numbers, unknown option
// keys, an action of another stream, a disposed ring buffer, calls while stopped, a stream closed
// and reopened; and hostile ones: typed arrays whose length lies, Proxies, null prototypes,
// detached buffers, options whose getters close the stream, dispose a ring or detach the buffer
// being passed, record targets transferred while they record, rings used from both sides. After every step: the process is alive (implicitly), any error is one of the
// documented classes with a message naming the argument, and `stream.actions` equals a model
// (the actions submitted and not yet finished; every action that left it has a real outcome).
//
// Reproducible: the run uses the seed in FC_SEED (default below). On failure fast-check prints
// the seed and the failing run's path; replay it with
//   FC_SEED=<seed> FC_PATH=<path> JACK_DEFAULT_SERVER=<server> bun test tests/fuzz.test.ts
// (or the same environment with `deno test -A --v8-flags=--expose-gc tests/fuzz.test.ts`).
// FC_RUNS changes the number of runs (default 20 runs of 150 steps).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  type Action,
  MixerAndRecorder,
  OfflineMixer,
  PortAudioError,
  RingBuffer,
  StreamClosedError,
} from "../mod.ts";
import { requireJack, sleep } from "./helpers/jack.ts";

const SEED = Number(process.env.FC_SEED ?? 20240607);
const PATH = process.env.FC_PATH;
const RUNS = Number(process.env.FC_RUNS ?? 20);
const STEPS = 150;
const QUEUE_SIZE = 64;

// ---- What a step is: plain data, turned into arguments when the step runs ---------------------

/** A value picked from a menu of valid and invalid ones; `rel` values are relative to "now". */
type Pick = { v: unknown } | { rel: "frame" | "time"; delta: number } | { make: string; n?: number };

const weird = fc.constantFrom<unknown>(NaN, -1, Infinity, 2 ** 60, 1.5, "5", null, true, {}, [], 0);
const bufferArb: fc.Arbitrary<Pick> = fc.oneof(
  { weight: 16, arbitrary: fc.integer({ min: 0, max: 800 }).map((n) => ({ make: "f32", n })) },
  { weight: 1, arbitrary: fc.constantFrom("f64", "array", "string", "null", "arraybuffer").map((make) => ({ make })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }).map((n) => ({ make: "f32", n: 2 * n + 1 })) },
  // Hostile: a lying length, a Proxy, a null prototype, a fake, detached memory; and shared memory (valid).
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 400 }).map((n) => ({ make: "liar", n })) },
  { weight: 2, arbitrary: fc.constantFrom("proxy", "nullproto", "fake", "detached").map((make) => ({ make, n: 64 })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }).map((n) => ({ make: "shared", n })) },
);
const channelsArb: fc.Arbitrary<Pick> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom<unknown>(1, 2, [1, 2], [2, 1], [2], [1, 1]).map((v) => ({ v })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 3, -1, NaN, 1.5, "2", null, [], [0], [3], [1, "2"], undefined).map((v) => ({ v })) },
  { weight: 1, arbitrary: fc.constantFrom("proxyChannels", "closingChannels").map((make) => ({ make })) },
);
/** Options whose getters do something hostile while the library reads them. */
const hostileOptionsArb: fc.Arbitrary<Pick> = fc.constantFrom("closing", "disposing", "detaching", "throwing", "nullproto")
  .map((make) => ({ make: `${make}Options` }));
/** A start or time: relative to now (negative: in the past), or a raw (often invalid) value. */
const whenArb = (unit: "frame" | "time"): fc.Arbitrary<Pick> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -3000, max: 6000 }).map((delta) => ({ rel: unit, delta })) },
    { weight: 1, arbitrary: weird.map((v) => ({ v })) },
  );
/** Options of play/record (start keys) or cancel/stats (time keys): often valid, sometimes not. */
const optionsArb = (keys: "start" | "time"): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant({ v: undefined }) },
    {
      weight: 4,
      arbitrary: fc.record({
        [keys === "start" ? "startFrame" : "frame"]: whenArb("frame"),
        allowBelated: fc.constantFrom<unknown>(true, false, false, undefined, undefined, "yes").map((v) => ({ v })),
      }, { requiredKeys: [] }),
    },
    { weight: 1, arbitrary: fc.record({ [keys]: whenArb("time") }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, "now", 5, { startTime: 1 }, { frame: 1, time: 1 }).map((v) => ({ v })) },
    { weight: 2, arbitrary: hostileOptionsArb },
  );
/** An action: one of this run's (by index), one of another stream, or not an action at all. */
const actionArb: fc.Arbitrary<Pick> = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((n) => ({ make: "ours", n })) },
  { weight: 1, arbitrary: fc.constantFrom("foreign", "previous", "object", "undefined").map((make) => ({ make })) },
);
const some = (...values: unknown[]) => fc.constantFrom<unknown>(...values).map((v) => ({ v }));
/** Play options beyond the start: gain, fades, loops, a chain, a matrix, an underflow policy. */
const shapeArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      startFrame: whenArb("frame"),
      gain: some(0.5, 1, 0, -1, 2, NaN, "1", 1e13),
      fadeIn: some(0.001, 0.01, 0, -1, NaN),
      fadeOut: some(0.001, 0.02, 0, Infinity),
      loop: some(2, 3, true, true, false, 0, 1.5, "2"),
      loopStart: some(0, 1, 10, 1000, -1),
      loopEnd: some(5, 20, 64, 2000, 0),
      after: actionArb,
      matrix: some([[1, 0.5]], [[0.5], [0.5]], [[1, 0], [0, 1]], [[NaN]], [], [[1], [1, 2]], "matrix"),
      onUnderflow: some("silence", "silence", "end", "pause"),
    }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: fc.constantFrom("closingGainOptions", "afterClosingOptions").map((make) => ({ make })) },
);
/** One of this run's ring buffers (some disposed). */
const ownRingArb: fc.Arbitrary<Pick> = fc.nat().map((n) => ({ make: "ring", n }));
/** As an argument: also something that is not a ring buffer. */
const ringArb: fc.Arbitrary<Pick> = fc.oneof(
  { weight: 6, arbitrary: ownRingArb },
  { weight: 1, arbitrary: fc.constantFrom("object", "null").map((make) => ({ make })) },
);

const stepArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant("playBuffer"), buffer: bufferArb, channels: channelsArb, options: optionsArb("start") }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("playBuffer"), buffer: bufferArb, channels: channelsArb, options: shapeArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("playRingBuffer"), ring: ringArb, options: shapeArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("recordBuffer"), buffer: bufferArb, channels: channelsArb, options: fc.record({ after: actionArb }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("setGain"),
      action: actionArb,
      gain: some(0.5, 0, 2, -1, NaN, "x", Infinity),
      options: fc.oneof(
        { weight: 4, arbitrary: fc.record({ frame: whenArb("frame"), ramp: some(0, 0.001, 0.05, -1, NaN), curve: some("linear", "exponential", "target", "cubic") }, { requiredKeys: [] }) },
        { weight: 1, arbitrary: hostileOptionsArb },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("cancel"), action: actionArb, options: fc.record({ frame: whenArb("frame"), fade: some(0, 0.001, 0.01, -1, NaN, "1") }, { requiredKeys: [] }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("recordBuffer"), buffer: bufferArb, channels: channelsArb, options: optionsArb("start") }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("playRingBuffer"), ring: ringArb, options: optionsArb("start") }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("recordRingBuffer"), ring: ringArb, options: optionsArb("start") }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("cancel"), action: actionArb, options: optionsArb("time") }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("fetchAndResetStats"), options: optionsArb("time") }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("wait"), action: actionArb, sleepTime: fc.constantFrom<unknown>(undefined, 1, 5, -1, NaN, "1") }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("newRing"), elementSize: fc.constantFrom<unknown>(4, 8, 8, 12, 0, 3, NaN), size: fc.constantFrom<unknown>(16, 64, 256, 1024, 100, 0, -4) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("ringWrite"), ring: ownRingArb, bytes: fc.integer({ min: 0, max: 4096 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("ringRead"), ring: ownRingArb, size: fc.constantFrom<unknown>(undefined, 0, 10, 1000, -1, NaN) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("disposeRing"), ring: ownRingArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("sleep"), ms: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("stopStart"), gap: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" }) },
  // Valid actions, many at once: more than the stream's queueSize, which limits nothing.
  { weight: 1, arbitrary: fc.record({ op: fc.constant("burst"), n: fc.integer({ min: 1, max: 80 }) }) },
  // Detaching between calls: transfer the buffer of an action that is recording into it.
  { weight: 2, arbitrary: fc.record({ op: fc.constant("transferRecorded"), n: fc.nat() }) },
);
type Step = { op: string } & Record<string, unknown>;

/** Which argument names an error message of each call may name. */
const SHAPE_NAMES = ["gain", "fadeIn", "fadeOut", "loop", "loopStart", "loopEnd", "after", "matrix", "onUnderflow"];
const NAMES: Record<string, string[]> = {
  playBuffer: ["buffer", "channels", "options", "startFrame", "start", "allowBelated", ...SHAPE_NAMES],
  recordBuffer: ["buffer", "channels", "options", "startFrame", "start", "allowBelated", "after"],
  playRingBuffer: ["ringBuffer", "channels", "options", "startFrame", "start", "allowBelated", ...SHAPE_NAMES],
  recordRingBuffer: ["ringBuffer", "channels", "options", "startFrame", "start", "allowBelated"],
  cancel: ["action", "options", "frame", "time", "allowBelated", "fade"],
  setGain: ["action", "gain", "options", "frame", "time", "allowBelated", "ramp", "curve"],
  fetchAndResetStats: ["options", "frame", "time", "allowBelated"],
  wait: ["action", "options", "sleepTime"],
  newRing: ["elementSize", "size"],
  ringWrite: ["data", "size", "RingBuffer"],
  ringRead: ["size", "RingBuffer"],
  disposeRing: [],
  burst: [],
};

// ---- One run ------------------------------------------------------------------------------------

/** A Float32Array whose own length getters lie (huge), and throw if asked twice. */
class Liar extends Float32Array {
  #asked = 0;
  override get length(): number {
    if (this.#asked++ > 0) throw new Error("length asked twice");
    return 1e9;
  }
  override get byteLength(): number {
    return 4e9;
  }
}

/** The run whose step is running (hostile getters reach it). */
let run: Run;

class Run {
  stream!: MixerAndRecorder;
  /** The model: every action submitted on the current stream and not yet seen finished. */
  model = new Set<Action>();
  actions: Action[] = [];
  previous: Action[] = [];
  rings: RingBuffer[] = [];
  /** Record actions whose buffer was transferred while they recorded: they must end "failed". */
  transferred = new Set<Action>();
  foreign: Action;
  counts: Record<string, number>;
  waits: Promise<unknown>[] = [];

  constructor(foreign: Action, counts: Record<string, number>) {
    this.foreign = foreign;
    this.counts = counts;
    this.open();
  }

  open(): void {
    this.stream = new MixerAndRecorder({ channels: 2, blockSize: 256, queueSize: QUEUE_SIZE });
    this.stream.start();
    this.model.clear();
    this.previous = this.actions;
    this.actions = [];
  }

  /** The buffer argument of the step running now (options getters may detach it). */
  current: unknown;

  /** A getter closes the stream in the middle of a call: the run carries on with a new one. */
  closeNow(): void {
    if (!this.stream.closed) this.stream.close();
  }

  detachCurrent(): void {
    try {
      const b = this.current as Float32Array;
      if (!(b.buffer instanceof SharedArrayBuffer) && !b.buffer.detached) b.buffer.transfer();
    } catch {
      // Not a real typed array (a fake, a Proxy): nothing to detach.
    }
  }

  value(p: unknown): unknown {
    if (p === undefined || typeof p !== "object" || p === null) return p;
    const pick = p as Record<string, unknown> & { n?: number; delta: number };
    if ("v" in pick) return pick.v;
    if ("rel" in pick) {
      return pick.rel === "frame" ? Math.max(0, Math.floor(this.stream.frameTime) + pick.delta) : Math.max(0, this.stream.time + pick.delta / 48000);
    }
    if ("make" in pick) {
      const n = pick.n ?? 0;
      switch (pick.make) {
        case "f32":
          return new Float32Array(n).fill(0.01);
        case "f64":
          return new Float64Array(8);
        case "array":
          return [0.1, 0.2];
        case "string":
          return "samples";
        case "null":
          return null;
        case "arraybuffer":
          return new ArrayBuffer(16);
        case "ours":
          return this.actions.length ? this.actions[n % this.actions.length] : this.foreign;
        case "foreign":
          return this.foreign;
        case "previous":
          return this.previous.length ? this.previous[n % this.previous.length] : this.foreign;
        case "object":
          return { type: 0 };
        case "undefined":
          return undefined;
        case "ring":
          if (this.rings.length === 0) this.rings.push(new RingBuffer(8, 256));
          return this.rings[n % this.rings.length];
        case "liar": {
          // Its real length is n; its own getters claim far more, and throw on a second look.
          const a = new Liar(n).fill(0.01);
          return a;
        }
        case "proxy":
          return new Proxy(new Float32Array(n).fill(0.01), {});
        case "nullproto":
          return Object.setPrototypeOf(new Float32Array(n), null);
        case "fake":
          return Object.create(Float32Array.prototype);
        case "detached": {
          const a = new Float32Array(n);
          a.buffer.transfer();
          return a;
        }
        case "shared":
          return new Float32Array(new SharedArrayBuffer(4 * n)).fill(0.01);
        case "proxyChannels":
          return new Proxy([1, 2], {});
        case "closingChannels":
          return new Proxy([1, 2], { get: (t, k) => (k === "length" && this.closeNow(), Reflect.get(t, k)) });
        case "closingOptions":
          return { get startFrame() { run.closeNow(); return undefined; } };
        case "disposingOptions":
          return { get allowBelated() { for (const r of run.rings) r[Symbol.dispose](); return true; } };
        case "detachingOptions":
          return { get allowBelated() { run.detachCurrent(); return true; } };
        case "throwingOptions":
          return { get allowBelated(): boolean { throw new RangeError("allowBelated: a getter threw"); } };
        case "nullprotoOptions":
          return Object.assign(Object.create(null), { allowBelated: true });
        case "closingGainOptions":
          return { loop: true, get gain() { run.closeNow(); return 0.5; } };
        case "afterClosingOptions": {
          // Chained after one of ours, with a getter that closes the stream after `after` was read.
          const after = this.actions[n % Math.max(this.actions.length, 1)];
          return { after, get matrix() { run.closeNow(); return undefined; } };
        }
      }
    }
    // An options record: each key's pick becomes its value; absent keys stay absent.
    return Object.fromEntries(Object.entries(pick).filter(([, x]) => x !== undefined).map(([k, x]) => [k, this.value(x)]));
  }

  /** Runs one step; returns the error it threw (if any). */
  async step(s: Step): Promise<unknown> {
    const m = this.stream;
    const a = (k: string) => this.value(s[k]);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    run = this;
    try {
      let submitted: Action | undefined;
      switch (s.op) {
        case "playBuffer":
          this.current = a("buffer");
          submitted = m.playBuffer(this.current as Float32Array, a("channels") as number, a("options") as never);
          break;
        case "recordBuffer":
          this.current = a("buffer");
          submitted = m.recordBuffer(this.current as Float32Array, a("channels") as number, a("options") as never);
          break;
        case "transferRecorded": {
          const recording = this.actions.filter((x) => x.type === 2 && !x.finished);
          const target = recording[(s.n as number) % Math.max(recording.length, 1)];
          const memory = target?.buffer?.buffer;
          if (target && memory instanceof ArrayBuffer && !memory.detached) {
            memory.transfer();
            this.transferred.add(target);
          }
          break;
        }
        case "playRingBuffer":
          submitted = m.playRingBuffer(a("ring") as RingBuffer, a("options") as never);
          break;
        case "recordRingBuffer":
          submitted = m.recordRingBuffer(a("ring") as RingBuffer, a("options") as never);
          break;
        case "cancel":
          submitted = m.cancel(a("action") as Action, a("options") as never);
          break;
        case "setGain":
          submitted = m.setGain(a("action") as Action, a("gain") as number, a("options") as never);
          break;
        case "fetchAndResetStats":
          submitted = m.fetchAndResetStats(a("options") as never);
          break;
        case "wait": {
          const options = s.sleepTime === undefined ? undefined : { sleepTime: s.sleepTime as number };
          const waiting = m.wait(a("action") as Action, options);
          let error: unknown;
          this.waits.push(waiting.catch((e) => (error = e)));
          // Never block the run: an action far in the future is simply left to its wait.
          await Promise.race([waiting.catch(() => {}), sleep(30)]);
          if (error !== undefined) throw error;
          break;
        }
        case "newRing":
          this.rings.push(new RingBuffer(s.elementSize as number, s.size as number));
          break;
        case "ringWrite": {
          const ring = a("ring") as RingBuffer;
          ring.write(new Uint8Array(s.bytes as number));
          break;
        }
        case "ringRead":
          (a("ring") as RingBuffer).read(s.size as number);
          break;
        case "disposeRing":
          (a("ring") as RingBuffer)[Symbol.dispose]();
          break;
        case "sleep":
          await sleep(s.ms as number);
          break;
        case "burst":
          for (let i = 0; i < (s.n as number); i++) {
            const x = m.playBuffer(new Float32Array(2 * 64), 2, { startFrame: Math.floor(m.frameTime) + 2400 + i });
            this.model.add(x);
            this.actions.push(x);
          }
          break;
        case "stopStart":
          m.stop();
          await sleep(s.gap as number);
          m.start();
          break;
        case "reopen": {
          m.close();
          this.closed();
          this.open();
          break;
        }
      }
      if (submitted) {
        this.model.add(submitted);
        this.actions.push(submitted);
      }
      return undefined;
    } catch (e) {
      return e;
    }
  }

  /** A getter closed the stream during the step: every action of it has ended; go on with a new one. */
  reopenIfClosed(): void {
    if (!this.stream.closed) return;
    this.closed();
    this.open();
  }

  /** The model check: `stream.actions` is exactly the submitted, unfinished actions. */
  check(): void {
    const actual = new Set(this.stream.actions); // collects finished ones first
    for (const x of [...this.model]) {
      // `finished` is live: an action may finish after the snapshot, so the snapshot decides.
      if (actual.has(x)) continue;
      expect(x.finished).toBe(true);
      this.model.delete(x);
      if (this.transferred.has(x)) this.checkTransferred(x);
      expect(x.outcome).not.toBe("pending");
      this.counts[x.outcome] = (this.counts[x.outcome] ?? 0) + 1;
    }
    expect(actual.size).toBe(this.model.size);
    for (const x of actual) expect(this.model.has(x)).toBe(true);
  }

  /** A record target transferred while recording: the action failed, naming buffer, and kept the frames. */
  checkTransferred(x: Action): void {
    this.transferred.delete(x);
    expect(x.outcome).toBe("failed");
    expect(x.error).toBeInstanceOf(TypeError);
    expect(x.error!.message).toMatch(/^buffer was detached/);
    expect(x.recording!.length).toBe(x.doneFrames * x.channels);
  }

  /** Closing ends everything in flight ("aborted", or what came back first): none is pending. */
  closed(): void {
    for (const x of this.model) {
      if (!x.finished || x.outcome === "pending") throw new Error(`an action survived close: ${x.outcome}`);
      if (this.transferred.has(x) && x.outcome !== "aborted") this.checkTransferred(x);
      this.counts[x.outcome] = (this.counts[x.outcome] ?? 0) + 1;
    }
    this.model.clear();
  }

  async close(): Promise<void> {
    this.stream.close();
    this.closed();
    await Promise.all(this.waits); // each settles (a closed stream rejects the rest)
    for (const r of this.rings) r[Symbol.dispose]();
  }
}

function checkError(op: string, e: unknown, inFlight: number): void {
  const documented = e instanceof TypeError || e instanceof RangeError || e instanceof StreamClosedError ||
    e instanceof PortAudioError;
  if (!documented) throw new Error(`${op} threw an undocumented ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  if (e instanceof StreamClosedError || e instanceof PortAudioError) return;
  // A getter closed the stream while the call read its arguments: a state error, not a bad one.
  if (e instanceof TypeError && /^the stream is closed$|^stream is closed$/.test(e.message)) return;
  const names = NAMES[op];
  if (!names) throw new Error(`${op} threw ${(e as Error).name}: ${(e as Error).message}`);
  const named = names.some((n) => new RegExp(`\\b${n}\\b`).test((e as Error).message));
  if (!named) throw new Error(`${op}: "${(e as Error).message}" names none of ${names.join(", ")}`);
}

describe("fuzz", () => {
  test(`${RUNS} runs of ${STEPS} random public calls keep stream.actions equal to the model (seed ${SEED})`, async () => {
    requireJack();
    const offline = new OfflineMixer();
    const foreign = offline.playBuffer(new Float32Array(8), 2);
    const counts: Record<string, number> = {};
    const errors: Record<string, number> = {};
    let steps = 0;
    const t0 = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: STEPS, maxLength: STEPS }), async (plan) => {
          run = new Run(foreign, counts);
          try {
            for (const s of plan as Step[]) {
              const error = await run.step(s);
              steps++;
              run.reopenIfClosed();
              if (error !== undefined) {
                errors[(error as Error).name] = (errors[(error as Error).name] ?? 0) + 1;
                // In flight as the engine saw it when it refused (nothing collected since).
                const inFlight = [...run.model].filter((x) => !x.finished).length;
                checkError(s.op, error, inFlight);
              }
              run.check();
            }
          } finally {
            await run.close();
          }
        }),
        { seed: SEED, path: PATH, numRuns: RUNS, endOnFailure: true, verbose: 1 },
      );
    } finally {
      offline.close();
      console.log(
        `fuzz: ${steps} steps in ${Date.now() - t0} ms; outcomes ${JSON.stringify(counts)}; errors ${JSON.stringify(errors)}`,
      );
    }
    // The runs reached every ending and refused bad input of every documented kind.
    for (const o of ["done", "belated", "cancelled", "ringEnded", "targetFinished", "aborted", "failed"]) {
      expect({ [o]: (counts[o] ?? 0) > 0 }).toEqual({ [o]: true });
    }
    for (const name of ["TypeError", "RangeError"]) expect({ [name]: (errors[name] ?? 0) > 0 }).toEqual({ [name]: true });
  }, 120_000);
});
