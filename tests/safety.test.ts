// Hostile-but-legal JavaScript against the public API: values that lie about their memory,
// getters and Proxy traps that close, dispose or detach what a call is using while it runs,
// objects dropped while their Actions live on, JavaScript memory changing under the audio
// thread, misaligned memory, and instances whose properties are shadowed. Every call must either
// throw a TypeError/RangeError (or StreamClosedError) whose message starts with the argument's
// name, or succeed with exactly the right samples; nothing may crash, corrupt audio or leak native
// memory. Variants that could crash the process run in a child process of their own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Action,
  type MemoryUsage,
  memoryUsage,
  MixerAndRecorder,
  OfflineMixer,
  RingBuffer,
  Sample,
  StreamClosedError,
} from "../mod.ts";
import { MOD, runScript, startScript } from "./helpers/child.ts";
import { loopback, noise, requireJack, sleep } from "./helpers/jack.ts";
import * as h from "./helpers/hostile.ts";

const FS = 48000;
/** Output frame n of the loopback stream comes back as input frame n + DELAY (see mixer.test.ts). */
const DELAY = 512;
const GC = JSON.stringify(new URL("./helpers/gc.ts", import.meta.url).href);
const HOSTILE = JSON.stringify(new URL("./helpers/hostile.ts", import.meta.url).href);

const arr = (x: ArrayLike<number>): number[] => Array.from(x);
const zeros = (n: number): number[] => new Array(n).fill(0);

/** One block of `frames` frames; its output (the mixer's channels, interleaved). */
function render(m: OfflineMixer, frames: number, input?: Float32Array): Float32Array {
  const output = new Float32Array(frames * m.outputChannels);
  m.process(frames, input === undefined ? { output } : { input, output });
  return output;
}

/** The floats of a ring's `read()` (elementSize 4k bytes). */
function floatsOf(bytes: Uint8Array): number[] {
  return arr(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
}

function expectError(e: unknown, type: ErrorConstructor | typeof StreamClosedError, message: RegExp): void {
  if (!(e instanceof type)) {
    throw new Error(
      `expected a ${type.name} matching ${message}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  }
  expect((e as Error).message).toMatch(message);
}

async function memoryBack(before: MemoryUsage): Promise<void> {
  expect(await h.settles(before)).toEqual(before);
}

/** Runs `source` in a child process; it must exit 0, and what it printed as JSON lines is returned. */
function child(name: string, source: string, timeoutMs = 30_000): unknown[] {
  const r = runScript(name, source, {}, timeoutMs);
  const tail = (s: string | null) => (s ?? "").split("\n").slice(-40).join("\n");
  expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? "" : tail(r.stderr) + tail(r.stdout) }).toEqual(
    {
      status: 0,
      signal: null,
      stderr: "",
    },
  );
  return h.jsonLines(r.stdout);
}

/** The prelude of child scripts: the library, GC, the hostile helpers, and `out` for results. */
const PRELUDE = `
import * as rt from ${MOD};
import { forceGc } from ${GC};
import * as h from ${HOSTILE};
import process from "node:process";
const { OfflineMixer, Mixer, MixerAndRecorder, RingBuffer, Sample, memoryUsage } = rt;
const out = (x) => console.log(JSON.stringify(x));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
`;

// ------------------------------------------------------------------------------------------------

describe("1. values that lie about their memory", () => {
  for (const lie of h.LIES) {
    test(`playBuffer plays exactly the true samples of a Float32Array whose accessors lie (${lie.name})`, async () => {
      const before = await h.baseline();
      {
        using m = new OfflineMixer({ outputChannels: 1 });
        const { memory, view } = h.island(32, 4, 8);
        view.set(h.ramp(8));
        const x = h.liar(memory, 16, 8, lie);
        const a = m.playBuffer(x, 1, { startFrame: 2 });
        expect(a.totalFrames).toBe(8);
        expect(a.buffer).toBe(x);
        const out = render(m, 16);
        expect(arr(out)).toEqual([0, 0, ...arr(h.ramp(8)), 0, 0, 0, 0, 0, 0]);
        expect(a.outcome).toBe("done");
      }
      await memoryBack(before);
    });

    test(`recordBuffer records into exactly the true memory of a Float32Array whose accessors lie (${lie.name})`, async () => {
      const before = await h.baseline();
      {
        using m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
        const { memory, whole } = h.island(32, 4, 8);
        const x = h.liar(memory, 16, 8, lie);
        const a = m.recordBuffer(x, 1, { startFrame: 3 });
        expect(a.totalFrames).toBe(8);
        m.process(16, { input: h.ramp(16, 100) });
        expect(a.outcome).toBe("done");
        expect(a.recording).toBe(x);
        expect(arr(whole)).toEqual([7, 7, 7, 7, ...arr(h.ramp(8, 103)), ...new Array(20).fill(7)]);
      }
      await memoryBack(before);
    });

    test(`new Sample copies exactly the true samples of a Float32Array whose accessors lie (${lie.name})`, async () => {
      const before = await h.baseline();
      {
        using m = new OfflineMixer({ outputChannels: 1 });
        const { memory, view } = h.island(32, 4, 8);
        view.set(h.ramp(8, 20));
        using s = new Sample(h.liar(memory, 16, 8, lie));
        expect(s.length).toBe(8);
        const a = m.playBuffer(s, 1);
        expect(a.totalFrames).toBe(8);
        expect(arr(render(m, 12))).toEqual([...arr(h.ramp(8, 20)), 0, 0, 0, 0]);
      }
      await memoryBack(before);
    });

    test(`OfflineMixer.process reads input from and writes output to the true memory of lying Float32Arrays (${lie.name})`, async () => {
      const before = await h.baseline();
      {
        using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
        const rec = m.recordBuffer(new Float32Array(8), 1);
        m.playBuffer(h.ramp(8, 50), 1);
        const input = h.island(32, 4, 8);
        input.view.set(h.ramp(8, 200));
        const output = h.island(32, 8, 8);
        m.process(8, { input: h.liar(input.memory, 16, 8, lie), output: h.liar(output.memory, 32, 8, lie) });
        expect(rec.outcome).toBe("done");
        expect(arr(rec.recording!)).toEqual(arr(h.ramp(8, 200)));
        expect(arr(output.whole)).toEqual([...new Array(8).fill(7), ...arr(h.ramp(8, 50)), ...new Array(16).fill(7)]);
        expect(arr(input.whole)).toEqual([7, 7, 7, 7, ...arr(h.ramp(8, 200)), ...new Array(20).fill(7)]);
      }
      await memoryBack(before);
    });

    test(`RingBuffer.write and readInto copy exactly the true memory of lying Float32Arrays (${lie.name})`, async () => {
      const before = await h.baseline();
      {
        using ring = new RingBuffer(4, 16);
        const src = h.island(32, 4, 8);
        src.view.set(h.ramp(8, 40));
        expect(ring.write(h.liar(src.memory, 16, 8, lie))).toBe(8);
        expect(floatsOf(ring.read())).toEqual(arr(h.ramp(8, 40)));
        ring.write(h.ramp(12, 60));
        const dst = h.island(32, 4, 8);
        expect(ring.readInto(h.liar(dst.memory, 16, 8, lie))).toBe(8);
        expect(arr(dst.whole)).toEqual([7, 7, 7, 7, ...arr(h.ramp(8, 60)), ...new Array(20).fill(7)]);
        expect(floatsOf(ring.read())).toEqual(arr(h.ramp(4, 68)));
      }
      await memoryBack(before);
    });
  }

  // Where each kind of memory is read, and the name its errors must start with.
  interface Entry {
    name: string;
    arg: RegExp;
    /** Only Float32Arrays are accepted here (else any typed array, DataView or buffer). */
    floatsOnly: boolean;
    /**
     * The library keeps this memory beyond the call (else it reads or writes it during the call
     * only: then memory that may grow or shrink later is fine, its size being read at the call).
     */
    keeps: boolean;
    call(x: unknown): void;
  }
  const ENTRIES: Entry[] = [
    {
      name: "playBuffer(buffer)",
      arg: /^buffer\b/,
      floatsOnly: true,
      keeps: false,
      call(x) {
        using m = new OfflineMixer({ outputChannels: 1 });
        m.playBuffer(x as never, 1);
      },
    },
    {
      name: "recordBuffer(buffer)",
      arg: /^buffer\b/,
      floatsOnly: true,
      keeps: true,
      call(x) {
        using m = new OfflineMixer({ inputChannels: 1 });
        m.recordBuffer(x as never, 1);
      },
    },
    {
      name: "new Sample(data)",
      arg: /^data\b/,
      floatsOnly: true,
      keeps: false,
      call(x) {
        using _s = new Sample(x as never);
      },
    },
    {
      name: "process({ output })",
      arg: /^buffers\.output\b/,
      floatsOnly: true,
      keeps: false,
      call(x) {
        using m = new OfflineMixer({ outputChannels: 1 });
        m.process(2, { output: x as never });
      },
    },
    {
      name: "process({ input })",
      arg: /^buffers\.input\b/,
      floatsOnly: true,
      keeps: false,
      call(x) {
        using m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
        m.process(2, { input: x as never });
      },
    },
    {
      name: "RingBuffer.write(data)",
      arg: /^data\b/,
      floatsOnly: false,
      keeps: false,
      call(x) {
        using r = new RingBuffer(4, 16);
        r.write(x as never);
      },
    },
    {
      name: "RingBuffer.readInto(data)",
      arg: /^data\b/,
      floatsOnly: false,
      keeps: false,
      call(x) {
        using r = new RingBuffer(4, 16);
        r.write(new Float32Array(8));
        r.readInto(x as never);
      },
    },
    {
      name: "new RingBuffer(4, undefined, buffer)",
      arg: /^buffer\b/,
      floatsOnly: false,
      keeps: true,
      call(x) {
        using _r = new RingBuffer(4, undefined, x as never);
      },
    },
  ];

  const throwingCtor = () => {
    class Sneaky {}
    Object.defineProperty(Sneaky.prototype, "constructor", {
      get: () => {
        throw new Error("constructor getter ran");
      },
    });
    return new Sneaky();
  };
  /**
   * Not memory the library may read (refused everywhere, naming the argument), or, where the last
   * entry is set, memory it may not keep: refused where it keeps memory, used where it does not
   * (a "float32" value wherever a Float32Array will do, an "any" one where any memory will).
   */
  const REFUSED: [string, () => unknown, boolean, ("float32" | "any")?][] = [
    ["Object.create(Float32Array.prototype)", () => Object.create(Float32Array.prototype), false],
    ["a Proxy of a Float32Array", () => new Proxy(new Float32Array(8), {}), false],
    ["a Proxy of an ArrayBuffer", () => new Proxy(new ArrayBuffer(32), {}), false],
    ["a Proxy of a SharedArrayBuffer", () => new Proxy(new SharedArrayBuffer(32), {}), false],
    ["a Proxy of a Float32Array whose every trap throws", () => h.trapsThrow(new Float32Array(8)), false],
    ["a revoked Proxy of a Float32Array", () => h.revoked(new Float32Array(8)), false],
    [
      "an object with a null prototype that describes memory",
      () =>
        Object.assign(Object.create(null), { length: 8, byteLength: 32, byteOffset: 0, buffer: new ArrayBuffer(32) }),
      false,
    ],
    ["an object whose constructor getter throws", throwingCtor, false],
    [
      "a Float64Array that says it is a Float32Array",
      () => Object.defineProperty(new Float64Array(8), Symbol.toStringTag, { value: "Float32Array" }),
      true,
    ],
    ["a Float32Array on a detached ArrayBuffer", () => h.detachedF32(), false],
    ["a Float32Array on a resizable ArrayBuffer", () => new Float32Array(h.resizable(32, 64), 0, 8), false, "float32"],
    ["a length-tracking Float32Array on a resizable ArrayBuffer", () => new Float32Array(h.resizable(32, 64)), false, "float32"],
    ["a resizable ArrayBuffer", () => h.resizable(32, 64), false, "any"],
    ["a Float32Array on a growable SharedArrayBuffer", () => new Float32Array(h.growable(32, 64), 0, 8), false, "float32"],
    ["a growable SharedArrayBuffer", () => h.growable(32, 64), false, "any"],
    ["a DataView where a Float32Array is needed", () => new DataView(new ArrayBuffer(32)), true],
    ["an Array of numbers", () => [1, 2, 3, 4, 5, 6, 7, 8], false],
  ];

  describe("refused everywhere, with the argument's name first", () => {
    let before: MemoryUsage;
    beforeAll(async () => {
      before = await h.baseline();
    });
    for (const entry of ENTRIES) {
      for (const [what, make, floatsOnly, onlyWhereKept] of REFUSED) {
        if (floatsOnly && !entry.floatsOnly) continue;
        if (onlyWhereKept && !entry.keeps && (onlyWhereKept === "float32" || !entry.floatsOnly)) {
          test(`${entry.name} uses ${what} as it is at the call (it keeps nothing)`, () => {
            expect(h.caught(() => entry.call(make()))).toBeUndefined();
          });
          continue;
        }
        test(`${entry.name} refuses ${what} with a TypeError naming the argument`, () => {
          const e = h.caught(() => entry.call(make()));
          expectError(e, TypeError, entry.arg);
          // The library's own message, not one from the value's code or the runtime's internals.
          expect((e as Error).message).not.toMatch(/getter ran|trap \w+ ran|revoked|IsArray|Array\.isArray/);
        });
      }
    }
    test("nothing refused left native memory behind", async () => {
      await memoryBack(before);
    });
  });

  test("memory that may grow later is played and copied exactly as it is at the call", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    const ab = h.resizable(16, 64);
    const tracking = new Float32Array(ab);
    tracking.set([1, 2, 3, 4]);
    const a = m.playBuffer(tracking, 1);
    ab.resize(64); // after the call: the action has its own copy of the 4 samples
    const out = new Float32Array(8);
    m.process(8, { output: out });
    expect(a.outcome).toBe("done");
    expect(a.totalFrames).toBe(4);
    expect(arr(out)).toEqual([1, 2, 3, 4, 0, 0, 0, 0]);
    using sample = new Sample(new Float32Array(h.growable(8, 64)).fill(0.5));
    expect(sample.length).toBe(2);
  });

  test("a Proxy or a look-alike is not described as the Float32Array or ArrayBuffer it pretends to be", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    using ring = new RingBuffer(4, 16);
    const messages = [
      h.caught(() => m.playBuffer(new Proxy(new Float32Array(8), {}) as never, 1)),
      h.caught(() => m.playBuffer(Object.create(Float32Array.prototype), 1)),
      h.caught(() => ring.write(new Proxy(new ArrayBuffer(8), {}) as never)),
    ].map((e) => (e as Error).message);
    // "buffer must be a Float32Array ..., got a Float32Array" contradicts itself.
    for (const message of messages) expect(message).not.toMatch(/got an? (Float32Array|ArrayBuffer)$/);
  });

  test("a Float32Array with a null prototype, or whose constructor getter throws, or on a SharedArrayBuffer, is real memory: used exactly", async () => {
    const before = await h.baseline();
    const variants: [string, (n: number) => { x: Float32Array; plain: Float32Array }][] = [
      ["null prototype", (n) => {
        const plain = new Float32Array(n);
        return { x: Object.setPrototypeOf(new Float32Array(plain.buffer), null), plain };
      }],
      ["own constructor getter that throws", (n) => {
        const plain = new Float32Array(n);
        const x = new Float32Array(plain.buffer);
        Object.defineProperty(x, "constructor", {
          get: () => {
            throw new Error("constructor getter ran");
          },
        });
        return { x, plain };
      }],
      ["subclass whose prototype constructor getter throws", (n) => {
        class C extends Float32Array {}
        Object.defineProperty(C.prototype, "constructor", {
          get: () => {
            throw new Error("constructor getter ran");
          },
        });
        const x = new C(n);
        return { x, plain: new Float32Array(x.buffer) };
      }],
      ["SharedArrayBuffer", (n) => {
        const plain = new Float32Array(new SharedArrayBuffer(n * 4));
        return { x: plain, plain };
      }],
    ];
    for (const [name, make] of variants) {
      using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
      const play = make(8);
      play.plain.set(h.ramp(8, 10));
      using s = (() => {
        const src = make(4);
        src.plain.set(h.ramp(4, 30));
        return new Sample(src.x);
      })();
      const dst = make(8);
      m.playBuffer(play.x, 1);
      m.playBuffer(s, 1, { startFrame: 8 });
      const rec = m.recordBuffer(dst.x, 1);
      const input = make(16);
      input.plain.set(h.ramp(16, 100));
      const output = make(16);
      m.process(16, { input: input.x, output: output.x });
      expect({ name, out: arr(output.plain) }).toEqual({
        name,
        out: [...arr(h.ramp(8, 10)), ...arr(h.ramp(4, 30)), 0, 0, 0, 0],
      });
      expect(rec.outcome).toBe("done");
      expect({ name, rec: arr(dst.plain) }).toEqual({ name, rec: arr(h.ramp(8, 100)) });
      using ring = new RingBuffer(4, 16);
      expect(ring.write(play.x)).toBe(8);
      const back = make(8);
      expect(ring.readInto(back.x)).toBe(8);
      expect({ name, ring: arr(back.plain) }).toEqual({ name, ring: arr(h.ramp(8, 10)) });
    }
    await memoryBack(before);
  });

  test("RingBuffer.write and readInto take DataViews and ArrayBuffers as plain bytes", () => {
    using ring = new RingBuffer(4, 16);
    const src = new DataView(h.ramp(6, 1).buffer, 4, 16);
    expect(ring.write(src)).toBe(4);
    expect(ring.write(h.ramp(2, 9).buffer as ArrayBuffer)).toBe(2);
    const dst = new ArrayBuffer(24);
    expect(ring.readInto(new DataView(dst))).toBe(6);
    expect(arr(new Float32Array(dst))).toEqual([2, 3, 4, 5, 9, 10]);
  });
});

// ------------------------------------------------------------------------------------------------

/**
 * The calls whose arguments are read before anything native happens, each with what a getter of
 * its options (or a Proxy of its channel list) may do to the objects the call is using.
 */
interface Reentry {
  call: string;
  /** The option keys whose getters run code, with the value each returns after the effect. */
  keys: Record<string, unknown>;
  /** Effects besides closing and processing the mixer, each with the error it must cause. */
  effects: Record<string, RegExp>;
  /** Whether a channel list (Proxy) is read: as argument 2, or as the `channels` option. */
  channels: "argument" | "option" | "none";
}

const REENTRIES: Reentry[] = [
  {
    call: "playBuffer(Float32Array)",
    keys: { start: 0, startFrame: 16, allowBelated: true },
    effects: { "transfers the buffer": /^buffer uses a detached ArrayBuffer/ },
    channels: "argument",
  },
  {
    call: "playBuffer(Sample)",
    keys: { start: 0, startFrame: 16, allowBelated: true },
    effects: { "disposes the Sample": /^buffer: the Sample is disposed/ },
    channels: "argument",
  },
  {
    call: "recordBuffer",
    keys: { start: 0, startFrame: 16, allowBelated: true },
    effects: { "transfers the buffer": /^buffer uses a detached ArrayBuffer/ },
    channels: "argument",
  },
  {
    call: "playRingBuffer",
    keys: { start: 0, startFrame: 16, allowBelated: true, channels: 1 },
    effects: { "disposes the ring buffer": /^ringBuffer is disposed/ },
    channels: "option",
  },
  {
    call: "recordRingBuffer",
    keys: { start: 0, startFrame: 16, allowBelated: true, channels: 1 },
    effects: { "disposes the ring buffer": /^ringBuffer is disposed/ },
    channels: "option",
  },
  { call: "cancel", keys: { time: 0, frame: 16, allowBelated: true }, effects: {}, channels: "none" },
  { call: "fetchAndResetStats", keys: { time: 0, frame: 16, allowBelated: true }, effects: {}, channels: "none" },
];

/** What one re-entrancy case works on: a mixer-like target and the objects of the call. */
interface Setup {
  buffer: Float32Array;
  sample: Sample;
  ring: RingBuffer;
  target?: Action;
  cleanup(): void;
}

function setupFor(call: string, submitTarget: () => Action): Setup {
  const buffer = call === "recordBuffer" ? new Float32Array(8) : h.ramp(8);
  const sample = new Sample(h.ramp(8));
  const ring = new RingBuffer(4, 16);
  if (call === "playRingBuffer") ring.write(h.ramp(8));
  const target = call === "cancel" ? submitTarget() : undefined;
  return {
    buffer,
    sample,
    ring,
    target,
    cleanup() {
      sample[Symbol.dispose]();
      ring[Symbol.dispose]();
    },
  };
}

interface Caller {
  playBuffer(b: Float32Array | Sample, c: unknown, o?: unknown): Action;
  recordBuffer(b: Float32Array, c: unknown, o?: unknown): Action;
  playRingBuffer(r: RingBuffer, o?: unknown): Action;
  recordRingBuffer(r: RingBuffer, o?: unknown): Action;
  cancel(a: Action, o?: unknown): Action;
  fetchAndResetStats(o?: unknown): Action;
}

function invoke(m: Caller, call: string, s: Setup, options: unknown, channels: unknown = 1): Action {
  switch (call) {
    case "playBuffer(Float32Array)":
      return m.playBuffer(s.buffer, channels as never, options as never);
    case "playBuffer(Sample)":
      return m.playBuffer(s.sample, channels as never, options as never);
    case "recordBuffer":
      return m.recordBuffer(s.buffer, channels as never, options as never);
    case "playRingBuffer":
      return m.playRingBuffer(s.ring, options as never);
    case "recordRingBuffer":
      return m.recordRingBuffer(s.ring, options as never);
    case "cancel":
      return m.cancel(s.target!, options as never);
    default:
      return m.fetchAndResetStats(options as never);
  }
}

function effectOf(name: string, s: Setup): () => void {
  switch (name) {
    case "transfers the buffer":
      return () => void (s.buffer.buffer as ArrayBuffer).transfer();
    case "disposes the Sample":
      return () => s.sample[Symbol.dispose]();
    default:
      return () => s.ring[Symbol.dispose]();
  }
}

/** The hostile variants of one call: [label, options, channels] with the effect in a getter or trap. */
function variants(r: Reentry, effect: () => void): [string, unknown, unknown][] {
  const out: [string, unknown, unknown][] = Object.entries(r.keys).map(([key, value]) => [
    `the ${key} getter`,
    h.getterOptions(key, value, effect),
    1,
  ]);
  if (r.channels === "argument") out.push(["a Proxy as the channel list", undefined, h.channelsProxy([1], effect)]);
  if (r.channels === "option") out.push(["a Proxy as options.channels", { channels: h.channelsProxy([1], effect) }, 1]);
  return out;
}

describe("2. re-entrancy: option getters and Proxy traps that run code during the call (OfflineMixer)", () => {
  for (const r of REENTRIES) {
    for (const [label] of variants(r, () => {})) {
      test(`${r.call}: ${label} closes the mixer: TypeError, nothing native touched`, async () => {
        const before = await h.baseline();
        {
          const m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
          const s = setupFor(r.call, () => m.playBuffer(new Float32Array(64).fill(1), 1));
          const [, options, channels] = variants(r, () => m.close()).find(([l]) => l === label)!;
          expectError(h.caught(() => invoke(m, r.call, s, options, channels)), TypeError, /closed/);
          expect(m.closed).toBe(true);
          if (s.target) expect(s.target.outcome).toBe("aborted");
          s.cleanup();
        }
        await memoryBack(before);
      });

      test(`${r.call}: ${label} runs process() on the same mixer: the call then works on the new frame clock`, async () => {
        const before = await h.baseline();
        {
          using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
          const target = () => m.playBuffer(new Float32Array(64).fill(1), 1);
          const s = setupFor(r.call, target);
          const [, options, channels] = variants(r, () => m.process(16, { input: new Float32Array(16).fill(-1) })).find(
            ([l]) => l === label,
          )!;
          const a = invoke(m, r.call, s, options, channels);
          expect(m.frameTime).toBe(16);
          const input = h.ramp(32, 100);
          const out = render(m, 32, input);
          switch (r.call) {
            case "playBuffer(Float32Array)":
            case "playBuffer(Sample)":
            case "playRingBuffer":
              expect(a.startFrame).toBe(16);
              expect(arr(out)).toEqual([...arr(h.ramp(8)), ...zeros(24)]);
              break;
            case "recordBuffer":
              expect(a.startFrame).toBe(16);
              expect(arr(a.recording as Float32Array)).toEqual(arr(h.ramp(8, 100)));
              break;
            case "recordRingBuffer":
              expect(a.startFrame).toBe(16);
              expect(floatsOf(s.ring.read())).toEqual(arr(h.ramp(16, 100)));
              break;
            case "cancel":
              expect(a.outcome).toBe("done");
              expect(s.target!.outcome).toBe("cancelled");
              expect(s.target!.doneFrames).toBe(16);
              expect(arr(out)).toEqual(zeros(32));
              break;
            default:
              expect(a.outcome).toBe("done");
              expect(a.stats.blocks).toBeGreaterThanOrEqual(1);
          }
          s.cleanup();
        }
        await memoryBack(before);
      });

      for (const [effectName, message] of Object.entries(r.effects)) {
        test(`${r.call}: ${label} ${effectName}: a clear error, nothing submitted`, async () => {
          const before = await h.baseline();
          {
            using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
            const s = setupFor(r.call, () => m.playBuffer(new Float32Array(64), 1));
            const [, options, channels] = variants(r, effectOf(effectName, s)).find(([l]) => l === label)!;
            expectError(h.caught(() => invoke(m, r.call, s, options, channels)), TypeError, message);
            expect(m.actions.size).toBe(0);
            expect(arr(render(m, 16))).toEqual(zeros(16));
            s.cleanup();
          }
          await memoryBack(before);
        });
      }
    }
  }

  test("wait: a sleepTime getter that closes the mixer rejects with StreamClosedError", async () => {
    const before = await h.baseline();
    {
      const m = new OfflineMixer({ outputChannels: 1 });
      const a = m.playBuffer(new Float32Array(64), 1);
      const e = await h.caughtAsync(() => m.wait(a, h.getterOptions("sleepTime", 1, () => m.close())));
      expectError(e, StreamClosedError, /closed/);
      expect(a.outcome).toBe("aborted");
    }
    await memoryBack(before);
  });

  test("wait: a sleepTime getter that runs process() to the end resolves at once", async () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    const a = m.playBuffer(new Float32Array(64), 1);
    await m.wait(a, h.getterOptions("sleepTime", 1, () => m.process(64)));
    expect(a.outcome).toBe("done");
  });

  test("process: an input getter that closes the mixer is refused before native code runs", async () => {
    const before = await h.baseline();
    {
      const m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
      m.playBuffer(h.ramp(8), 1);
      const e = h.caught(() =>
        m.process(8, {
          get input() {
            m.close();
            return new Float32Array(8);
          },
          output: new Float32Array(8),
        })
      );
      expectError(e, TypeError, /closed/);
    }
    await memoryBack(before);
  });

  test("process: a buffers Proxy whose ownKeys trap closes the mixer is refused", () => {
    const m = new OfflineMixer({ outputChannels: 1 });
    const buffers = new Proxy({ output: new Float32Array(8) }, {
      ownKeys(t) {
        m.close();
        return Reflect.ownKeys(t);
      },
    });
    expectError(h.caught(() => m.process(8, buffers)), TypeError, /closed/);
  });

  test("process: a statusFlags getter that transfers the output buffer: TypeError naming buffers.output", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    const output = new Float32Array(8);
    const e = h.caught(() =>
      m.process(8, {
        output,
        get statusFlags() {
          (output.buffer as ArrayBuffer).transfer();
          return 0;
        },
      })
    );
    expectError(e, TypeError, /^buffers\.output uses a detached ArrayBuffer/);
    expect(m.frameTime).toBe(0);
  });

  test("process: a statusFlags getter that transfers the input buffer: TypeError naming buffers.input", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
    const input = new Float32Array(8);
    const e = h.caught(() =>
      m.process(8, {
        input,
        get statusFlags() {
          (input.buffer as ArrayBuffer).transfer();
          return 0;
        },
      })
    );
    expectError(e, TypeError, /^buffers\.input uses a detached ArrayBuffer/);
  });

  test("process: an output getter that runs process() on the same mixer: both blocks are right", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    m.playBuffer(h.ramp(32), 1);
    const inner = new Float32Array(16);
    const outer = new Float32Array(16);
    m.process(16, {
      get output() {
        m.process(16, { output: inner });
        return outer;
      },
    });
    expect(arr(inner)).toEqual(arr(h.ramp(16)));
    expect(arr(outer)).toEqual(arr(h.ramp(16, 17)));
    expect(m.frameTime).toBe(32);
  });

  test("process: each buffers key is read once, through a Proxy whose get trap answers differently each time", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    m.playBuffer(h.ramp(8), 1);
    const first = new Float32Array(8);
    const reads: string[] = [];
    const buffers = new Proxy({ output: first } as Record<string, unknown>, {
      get(t, k) {
        reads.push(String(k));
        // The first read of a key gets the real value; any later one would get a 1-sample array.
        return reads.filter((r) => r === String(k)).length === 1 ? Reflect.get(t, k) : new Float32Array(1);
      },
    });
    m.process(8, buffers);
    expect(reads.filter((k) => k === "output")).toEqual(["output"]);
    expect(arr(first)).toEqual(arr(h.ramp(8)));
  });

  test("process: a getter that transfers an in-flight record buffer makes that action fail, keeping its frames", async () => {
    const before = await h.baseline();
    {
      using m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
      const dst = new Float32Array(8);
      const a = m.recordBuffer(dst, 1);
      m.process(8, {
        input: h.ramp(8, 5),
        get statusFlags() {
          (dst.buffer as ArrayBuffer).transfer();
          return 0;
        },
      });
      expect(a.outcome).toBe("failed");
      expectError(a.error, TypeError, /^buffer\b/);
      expect(a.recording).not.toBe(dst);
      expect(arr(a.recording!)).toEqual(arr(h.ramp(8, 5)));
    }
    await memoryBack(before);
  });
});

// ------------------------------------------------------------------------------------------------


describe("2b/4. a running MixerAndRecorder on JACK (loopback)", () => {
  let m: MixerAndRecorder;
  const ahead = (seconds = 0.2) => Math.ceil(m.frameTime + seconds * FS);
  beforeAll(() => {
    requireJack();
    m = new MixerAndRecorder({ channels: 2, blockSize: 256, queueSize: 64 });
    m.start();
    loopback();
  });
  afterAll(() => m?.close());

  const streamCaller = (): Caller => m as unknown as Caller;

  for (const r of REENTRIES) {
    for (const [effectName, message] of Object.entries(r.effects)) {
      test(`${r.call} on a running stream: every getter or Proxy that ${effectName} gives a clear error`, async () => {
        await m.wait();
        const before = await h.baseline();
        for (const [label] of variants(r, () => {})) {
          const s = setupFor(r.call, () => m.playBuffer(new Float32Array(2), 1));
          const [, options, channels] = variants(r, effectOf(effectName, s)).find(([l]) => l === label)!;
          const e = h.caught(() => invoke(streamCaller(), r.call, s, options, channels));
          const ok = e instanceof TypeError && message.test(e.message);
          expect({ label, ok, got: ok ? "" : String(e) }).toEqual({ label, ok: true, got: "" });
          s.cleanup();
        }
        await m.wait();
        await memoryBack(before);
      });
    }
  }

  for (const r of REENTRIES) {
    test(`${r.call} on a running stream: getters and Proxies that close the stream give TypeError, and the stream's memory comes back`, async () => {
      await m.wait();
      const before = await h.baseline();
      for (const [label] of variants(r, () => {})) {
        const other = new MixerAndRecorder({ channels: 2, blockSize: 256 });
        other.start();
        const s = setupFor(r.call, () => other.playBuffer(new Float32Array(2 * 48000), 2));
        const [, options, channels] = variants(r, () => other.close()).find(([l]) => l === label)!;
        const e = h.caught(() => invoke(other as unknown as Caller, r.call, s, options, channels));
        const ok = e instanceof TypeError && /closed/.test(e.message);
        expect({ label, ok, got: ok ? "" : String(e) }).toEqual({ label, ok: true, got: "" });
        expect(other.closed).toBe(true);
        if (s.target) expect(s.target.outcome).toBe("aborted");
        s.cleanup();
      }
      await memoryBack(before);
    });
  }

  test("wait on a running stream: a sleepTime getter that closes the stream rejects with StreamClosedError", async () => {
    const other = new MixerAndRecorder({ channels: 2, blockSize: 256 });
    other.start();
    const a = other.playBuffer(new Float32Array(2 * 48000), 2);
    const e = await h.caughtAsync(() => other.wait(a, h.getterOptions("sleepTime", 1, () => other.close())));
    expectError(e, StreamClosedError, /closed/);
    expect(a.outcome).toBe("aborted");
  });

  test("a record buffer transferred right after submit: outcome failed, error names buffer, recording holds the exact frames", async () => {
    await m.wait();
    const before = await h.baseline();
    const buf = noise(2000, 2, 11);
    const p = ahead();
    const play = m.playBuffer(buf, 2, { startFrame: p });
    const dst = new Float32Array(2000 * 2);
    const rec = m.recordBuffer(dst, 2, { startFrame: p + DELAY, allowBelated: false });
    const moved = new Float32Array((dst.buffer as ArrayBuffer).transfer());
    await m.wait();
    expect(play.outcome).toBe("done");
    expect(rec.outcome).toBe("failed");
    expectError(rec.error, TypeError, /^buffer\b/);
    expect(rec.recording).not.toBe(dst);
    expect(rec.recording).toBeInstanceOf(Float32Array);
    expect(rec.recording!.length).toBe(buf.length);
    expect(rec.recording!.every((v, i) => v === buf[i])).toBe(true);
    expect(moved.every((v) => v === 0)).toBe(true); // nothing ever wrote into the JavaScript memory
    expect(dst.length).toBe(0);
    await memoryBack(before);
  });

  test("a play buffer transferred right after submit still plays bit-exact (it was copied)", async () => {
    await m.wait();
    const buf = noise(1500, 2, 12);
    const expected = buf.slice();
    const p = ahead();
    const dst = new Float32Array(1500 * 2);
    const rec = m.recordBuffer(dst, 2, { startFrame: p + DELAY, allowBelated: false });
    const play = m.playBuffer(buf, 2, { startFrame: p });
    (buf.buffer as ArrayBuffer).transfer();
    await m.wait();
    expect(play.outcome).toBe("done");
    expect(rec.outcome).toBe("done");
    expect(dst.every((v, i) => v === expected[i])).toBe(true);
  });

  test("a lent (SharedArrayBuffer) ring is refused by playRingBuffer and recordRingBuffer on a stream, naming ringBuffer", () => {
    using lent = new RingBuffer(8, undefined, new SharedArrayBuffer(8 * 64));
    expectError(h.caught(() => m.playRingBuffer(lent)), TypeError, /^ringBuffer uses lent memory/);
    expectError(h.caught(() => m.recordRingBuffer(lent)), TypeError, /^ringBuffer uses lent memory/);
    using odd = new RingBuffer(8, undefined, new Uint8Array(new SharedArrayBuffer(8 * 64 + 4), 4, 8 * 64));
    expectError(h.caught(() => m.playRingBuffer(odd)), TypeError, /^ringBuffer uses lent memory/);
  });

  test("after all of the above the stream still plays and records bit-exact", async () => {
    await m.wait();
    const buf = noise(3000, 2, 13);
    const p = ahead();
    const dst = new Float32Array(3000 * 2);
    const rec = m.recordBuffer(dst, 2, { startFrame: p + DELAY, allowBelated: false });
    const play = m.playBuffer(buf, 2, { startFrame: p });
    await m.wait();
    expect([play.outcome, rec.outcome]).toEqual(["done", "done"]);
    expect(dst.every((v, i) => v === buf[i])).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------

describe("3. ownership and finalizers (child processes)", () => {
  test("an OfflineMixer dropped while its Actions live on: after GC every field reads sanely, and the memory comes back once they go", () => {
    const lines = child(
      "safety-offline-drop",
      `${PRELUDE}
      const base = await h.baseline();
      let done, pending, rec, ringAct, ref;
      (() => {
        const m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
        done = m.playBuffer(h.ramp(8), 1);
        m.process(16, { input: new Float32Array(16) });
        pending = m.playBuffer(new Float32Array(64).fill(1), 1, { startFrame: 1000 });
        rec = m.recordBuffer(new Float32Array(32), 1, { startFrame: 1000 });
        const ring = new RingBuffer(4, 16);
        ring.write(h.ramp(4));
        ringAct = m.playRingBuffer(ring, { startFrame: 1000 });
        ref = new WeakRef(m);
      })();
      await h.collect(8);
      (() => {
        const fields = (a) => ({ outcome: a.outcome, finished: a.finished, doneFrames: a.doneFrames, startFrame: a.startFrame,
          actualTime: a.actualTime, blocks: a.stats.blocks, error: a.error ?? null, recording: a.recording ? Array.from(a.recording) : null,
          totalFrames: a.totalFrames, channels: a.channels });
        out({ done: fields(done) });
        out({ pending: fields(pending) });
        out({ rec: fields(rec) });
        out({ ring: fields(ringAct), ringDisposed: ringAct.ringBuffer.disposed });
      })();
      (() => {
        const m = ref.deref();
        if (!m) return;
        // Still reachable (the collector kept it): cancel with it, on the same mixer.
        const c = m.cancel(pending);
        m.process(16, { input: new Float32Array(16) });
        if (c.outcome !== "done" || pending.outcome !== "cancelled") out({ cancelFailed: [c.outcome, pending.outcome] });
      })();
      done = pending = rec = ringAct = ref = undefined;
      const end = Date.now() + 5000;
      while (Date.now() < end && JSON.stringify(memoryUsage()) !== JSON.stringify(base)) await h.collect(1);
      out({ freed: JSON.stringify(memoryUsage()) === JSON.stringify(base) });
    `,
    );
    expect(lines).toEqual([
      {
        done: {
          outcome: "done",
          finished: true,
          doneFrames: 8,
          startFrame: 0,
          actualTime: 0,
          blocks: 1,
          error: null,
          recording: null,
          totalFrames: 8,
          channels: 1,
        },
      },
      {
        pending: {
          outcome: "pending",
          finished: false,
          doneFrames: 0,
          startFrame: -1,
          actualTime: 0,
          blocks: 0,
          error: null,
          recording: null,
          totalFrames: 64,
          channels: 1,
        },
      },
      {
        rec: {
          outcome: "pending",
          finished: false,
          doneFrames: 0,
          startFrame: -1,
          actualTime: 0,
          blocks: 0,
          error: null,
          recording: null,
          totalFrames: 32,
          channels: 1,
        },
      },
      {
        ring: {
          outcome: "pending",
          finished: false,
          doneFrames: 0,
          startFrame: -1,
          actualTime: 0,
          blocks: 0,
          error: null,
          recording: null,
          totalFrames: Infinity,
          channels: 1,
        },
        ringDisposed: false,
      },
      { freed: true },
    ].map((x) => JSON.parse(JSON.stringify(x))));
  });

  test("an OfflineMixer dropped while a wait() on it is pending: the promise stays pending, the Action stays readable", () => {
    const lines = child(
      "safety-offline-wait",
      `${PRELUDE}
      let a, state = "pending";
      (() => {
        const m = new OfflineMixer({ outputChannels: 1 });
        a = m.playBuffer(new Float32Array(64), 1, { startFrame: 10 });
        m.wait(a, { sleepTime: 2 }).then(() => { state = "resolved"; }, (e) => { state = "rejected: " + e.message; });
      })();
      await h.collect(8);
      await sleep(30);
      out({ state, outcome: a.outcome, finished: a.finished, doneFrames: a.doneFrames });
      process.exit(0); // nothing will ever process that mixer: the wait polls on
    `,
    );
    expect(lines).toEqual([{ state: "pending", outcome: "pending", finished: false, doneFrames: 0 }]);
  });

  test("a stopped (not closed) Mixer on JACK dropped while its Action lives on: fields readable, cancel through it works, memory comes back", () => {
    requireJack();
    const lines = child(
      "safety-mixer-drop",
      `${PRELUDE}
      const base = await h.baseline();
      let a, ref;
      await (async () => {
        const m = new Mixer({ channels: 2, blockSize: 256 });
        m.start();
        const d = m.playBuffer(new Float32Array(2 * 64), 2);
        await m.wait(d);
        a = m.playBuffer(new Float32Array(2 * 4800).fill(0.5), 2, { start: m.time + 60 });
        await sleep(50); // the callback has taken it
        m.stop();
        ref = new WeakRef(m);
      })();
      await h.collect(8);
      (() => out({ outcome: a.outcome, finished: a.finished, doneFrames: a.doneFrames, actualTime: a.actualTime,
        error: a.error ?? null, recording: a.recording ?? null, totalFrames: a.totalFrames, channels: a.channels }))();
      await (async () => {
        const m = ref.deref();
        out({ reachable: m !== undefined }); // the Action's engine keeps its stream
        if (!m) return;
        m.start();
        const c = m.cancel(a);
        await m.wait(a);
        out({ cancelled: a.outcome, cancel: c.outcome });
        m.stop();
      })();
      a = undefined;
      ref = undefined;
      const end = Date.now() + 8000;
      while (Date.now() < end && JSON.stringify(memoryUsage()) !== JSON.stringify(base)) await h.collect(1);
      out({ freed: JSON.stringify(memoryUsage()) === JSON.stringify(base) });
    `,
    );
    expect(lines).toEqual([
      {
        outcome: "pending",
        finished: false,
        doneFrames: 0,
        actualTime: 0,
        error: null,
        recording: null,
        totalFrames: 4800,
        channels: 2,
      },
      { reachable: true },
      { cancelled: "cancelled", cancel: "done" },
      { freed: true },
    ]);
  });

  test("a RingBuffer dropped while views from getReadBuffers/getWriteBuffers are held: after GC they are detached, and using them is harmless", () => {
    const lines = child(
      "safety-ring-views",
      `${PRELUDE}
      const base = await h.baseline();
      let views;
      (() => {
        const r = new RingBuffer(4, 16);
        r.write(h.ramp(10));
        r.read(6);
        r.write(h.ramp(10, 20)); // the readable part wraps around
        const [n, a, b] = r.getReadBuffers(14);
        const [, w] = r.getWriteBuffers(2);
        views = [a, b, w];
        out({ n, lengths: views.map((v) => v.length) });
      })();
      const end = Date.now() + 5000;
      while (Date.now() < end && views[0].length !== 0) await h.collect(1);
      out({ lengths: views.map((v) => v.length), byteLengths: views.map((v) => v.byteLength) });
      for (const v of views) { v[0] = 1; v[3] = 2; }
      out({ reads: views.map((v) => v[0] ?? null) });
      while (Date.now() < end && JSON.stringify(memoryUsage()) !== JSON.stringify(base)) await h.collect(1);
      out({ freed: JSON.stringify(memoryUsage()) === JSON.stringify(base) });
    `,
    );
    expect(lines).toEqual([
      { n: 14, lengths: [40, 16, 8] },
      { lengths: [0, 0, 0], byteLengths: [0, 0, 0] },
      { reads: [null, null, null] },
      { freed: true },
    ]);
  });

  test("a view's buffer transferred away, then the ring disposed: the transferred buffer stays valid memory (kept by the library)", () => {
    const lines = child(
      "safety-ring-transfer",
      `${PRELUDE}
      const churn = () => {
        for (let i = 0; i < 300; i++) {
          const x = new RingBuffer(4, 16);
          x.write(new Float32Array(16).fill(-1));
          x[Symbol.dispose]();
          const s = new Sample(new Float32Array(16).fill(-2));
          s[Symbol.dispose]();
        }
      };
      // Disposed.
      {
        const r = new RingBuffer(4, 16);
        r.write(h.ramp(3));
        const [n, first] = r.getReadBuffers(3);
        const moved = first.buffer.transfer();
        out({ n, viewAfterTransfer: first.length, movedBytes: moved.byteLength });
        r[Symbol.dispose]();
        const f = new Float32Array(moved);
        const initial = [f[0], f[1], f[2]];
        f.fill(5);
        churn();
        out({ disposed: initial, intact: f.every((v) => v === 5) });
      }
      // Collected instead of disposed.
      {
        let moved;
        (() => {
          const r = new RingBuffer(4, 16);
          r.write(h.ramp(4, 10));
          moved = r.getReadBuffers(4)[1].buffer.transfer();
        })();
        await h.collect(8);
        const f = new Float32Array(moved);
        const initial = [f[0], f[1], f[2], f[3]];
        f.fill(6);
        churn();
        out({ collected: initial, intact: f.every((v) => v === 6) });
      }
      // Played by an action when disposed.
      {
        const m = new OfflineMixer({ outputChannels: 1 });
        const r = new RingBuffer(4, 16);
        r.write(h.ramp(8, 30));
        const moved = r.getWriteBuffers(4)[1].buffer.transfer();
        const a = m.playRingBuffer(r);
        r[Symbol.dispose]();
        const o = new Float32Array(16);
        m.process(16, { output: o });
        out({ played: Array.from(o), outcome: a.outcome });
        m.close();
        churn();
        const f = new Float32Array(moved);
        out({ afterPlay: Array.from(f.subarray(0, 8)) });
      }
    `,
    );
    expect(lines).toEqual([
      { n: 3, viewAfterTransfer: 0, movedBytes: 64 },
      { disposed: [1, 2, 3], intact: true },
      { collected: [10, 11, 12, 13], intact: true },
      { played: [...arr(h.ramp(8, 30)), ...zeros(8)], outcome: "ringEnded" },
      { afterPlay: arr(h.ramp(8, 30)) },
    ]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("4. JavaScript memory and the audio thread (OfflineMixer)", () => {
  test("a record buffer transferred after submit: outcome failed, error names buffer, recording holds every frame", async () => {
    const before = await h.baseline();
    {
      using m = new OfflineMixer({ inputChannels: 2, outputChannels: 0 });
      const dst = new Float32Array(2 * 24);
      const a = m.recordBuffer(dst, [2, 1], { startFrame: 4 });
      const moved = new Float32Array((dst.buffer as ArrayBuffer).transfer());
      const input = h.ramp(2 * 16, 1);
      m.process(16, { input });
      expect(a.finished).toBe(false);
      m.process(16, { input: h.ramp(2 * 16, 33) });
      expect(a.outcome).toBe("failed");
      expectError(a.error, TypeError, /^buffer was detached/);
      expect(a.recording).toBeInstanceOf(Float32Array);
      expect(a.recording).not.toBe(dst);
      const all = [...arr(input), ...arr(h.ramp(2 * 16, 33))];
      const expected: number[] = [];
      for (let f = 4; f < 28; f++) expected.push(all[2 * f + 1], all[2 * f]);
      expect(arr(a.recording!)).toEqual(expected);
      expect(moved.every((v) => v === 0)).toBe(true);
    }
    await memoryBack(before);
  });

  test("a record buffer transferred mid-way, then the mixer closed: failed (not aborted), with the frames recorded so far", async () => {
    const before = await h.baseline();
    {
      const m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
      const dst = new Float32Array(64);
      const a = m.recordBuffer(dst, 1);
      m.process(10, { input: h.ramp(10) });
      (dst.buffer as ArrayBuffer).transfer();
      m.close();
      expect(a.outcome).toBe("failed");
      expectError(a.error, TypeError, /^buffer\b/);
      expect(arr(a.recording!)).toEqual(arr(h.ramp(10)));
      expect(a.doneFrames).toBe(10);
    }
    await memoryBack(before);
  });

  test("a record buffer over a ring's native memory, the ring disposed before the end: failed, frames kept", async () => {
    const before = await h.baseline();
    {
      using m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
      const ring = new RingBuffer(4, 16);
      const [, part] = ring.getWriteBuffers(8);
      const dst = new Float32Array(part.buffer, part.byteOffset, 8);
      const a = m.recordBuffer(dst, 1);
      ring[Symbol.dispose]();
      m.process(8, { input: h.ramp(8, 70) });
      expect(a.outcome).toBe("failed");
      expectError(a.error, TypeError, /^buffer\b/);
      expect(arr(a.recording!)).toEqual(arr(h.ramp(8, 70)));
      expect(dst.length).toBe(0);
    }
    await memoryBack(before);
  });

  test("a play buffer transferred right after submit, and a Sample's source transferred after construction, play exactly", async () => {
    const before = await h.baseline();
    {
      using m = new OfflineMixer({ outputChannels: 1 });
      const buf = h.ramp(8, 1);
      const a = m.playBuffer(buf, 1);
      (buf.buffer as ArrayBuffer).transfer();
      const src = h.ramp(4, 90);
      using s = new Sample(src);
      (src.buffer as ArrayBuffer).transfer();
      const b = m.playBuffer(s, 1, { startFrame: 8 });
      expect(arr(render(m, 16))).toEqual([...arr(h.ramp(8, 1)), ...arr(h.ramp(4, 90)), 0, 0, 0, 0]);
      expect([a.outcome, b.outcome]).toEqual(["done", "done"]);
    }
    await memoryBack(before);
  });

  test("new RingBuffer over a plain ArrayBuffer (or a view of one) is refused, naming the SharedArrayBuffer alternative", () => {
    using native = new RingBuffer(4, 16);
    const nativeView = native.getWriteBuffers(16)[1]; // a view of another ring's native memory
    for (
      const x of [
        new ArrayBuffer(16),
        new Uint8Array(new ArrayBuffer(16)),
        new DataView(new ArrayBuffer(16)),
        new Float32Array(4),
        nativeView,
      ]
    ) {
      const e = h.caught(() => new RingBuffer(4, undefined, x as never));
      expectError(e, TypeError, /^buffer must be a SharedArrayBuffer or a view of one/);
      expect((e as Error).message).toMatch(/Omit buffer/);
    }
  });

  test("a lent (SharedArrayBuffer) ring is refused by playRingBuffer and recordRingBuffer, naming ringBuffer; JavaScript may still use it", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
    const sab = new SharedArrayBuffer(4 * 16);
    using lent = new RingBuffer(4, undefined, sab);
    expectError(h.caught(() => m.playRingBuffer(lent)), TypeError, /^ringBuffer uses lent memory/);
    expectError(h.caught(() => m.recordRingBuffer(lent)), TypeError, /^ringBuffer uses lent memory/);
    expect(m.actions.size).toBe(0);
    expect(lent.write(h.ramp(3))).toBe(3);
    expect(arr(new Float32Array(sab, 0, 3))).toEqual([1, 2, 3]);
    expect(floatsOf(lent.read())).toEqual([1, 2, 3]);
  });

  test("process() with one Float32Array as both input and output records the input as given", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
    const dst = new Float32Array(8);
    const rec = m.recordBuffer(dst, 1);
    m.playBuffer(new Float32Array(8).fill(0.5), 1);
    const both = h.ramp(8, 1);
    const e = h.caught(() => m.process(8, { input: both, output: both }));
    if (e !== undefined) {
      // Refusing the aliasing is fine too, if it names the buffers.
      expectError(e, TypeError, /^buffers\.(input|output)\b/);
      return;
    }
    expect(rec.outcome).toBe("done");
    expect(arr(dst)).toEqual(arr(h.ramp(8, 1)));
  });

  test("empty play and record buffers (0 frames) finish as done without touching memory (child process)", () => {
    const lines = child(
      "safety-empty",
      `${PRELUDE}
      const base = await h.baseline();
      // In a function of its own: a suspended module's frame may keep its last values alive (V8).
      (() => {
        const m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
        const results = {};
        for (const [name, submit] of [
          ["play", () => m.playBuffer(new Float32Array(0), 1)],
          ["record", () => m.recordBuffer(new Float32Array(0), 1)],
          ["sample", () => m.playBuffer(new Sample(new Float32Array(0)), 1)],
        ]) {
          const a = submit();
          const o = new Float32Array(4);
          m.process(4, { input: new Float32Array(4), output: o });
          results[name] = [a.outcome, Array.from(o), a.recording ? a.recording.length : null];
        }
        m.close();
        out(results);
      })();
      const end = Date.now() + 5000;
      while (Date.now() < end && JSON.stringify(memoryUsage()) !== JSON.stringify(base)) await h.collect(1);
      out({ freed: JSON.stringify(memoryUsage()) === JSON.stringify(base) });
    `,
    );
    expect(lines).toEqual([
      { play: ["done", zeros(4), null], record: ["done", zeros(4), 0], sample: ["done", zeros(4), null] },
      { freed: true },
    ]);
  });

  test("process(0) is a legal empty block, with and without buffers", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 2 });
    m.process(0);
    m.process(0, { input: new Float32Array(0), output: new Float32Array(0) });
    expect(m.frameTime).toBe(0);
  });
});

describe("4b. an uncaught exception ends the process while a native ring plays on JACK", () => {
  test("exit code 1 (never a signal) in each of 10 runs", async () => {
    requireJack();
    const throwers = [
      `await sleep(60); out({ armed: true }); throw new Error("deliberate");`,
      `out({ armed: true }); setTimeout(() => { throw new Error("deliberate"); }, 40);`,
      `out({ armed: true }); throw new Error("deliberate");`,
    ];
    const runs = Array.from({ length: 10 }, (_, i) =>
      `${PRELUDE}
      const m = new MixerAndRecorder({ channels: 2, blockSize: 256 });
      m.start();
      const ring = new RingBuffer(8, 65536);
      ring.write(new Float32Array(2 * 65536).fill(0.25));
      m.playRingBuffer(ring);
      const back = new RingBuffer(8, 65536);
      m.recordRingBuffer(back);
      m.playBuffer(new Float32Array(2 * 48000).fill(0.1), 2);
      m.recordBuffer(new Float32Array(2 * 48000), 2);
      ${throwers[i % throwers.length]}
    `);
    const results: { run: number; code: number | null; armed: boolean }[] = [];
    for (let batch = 0; batch < runs.length; batch += 5) {
      const children = runs.slice(batch, batch + 5).map((source, j) => ({
        run: batch + j,
        c: startScript(`safety-exit-${batch + j}`, source),
      }));
      for (const { run, c } of children) {
        const code = await Promise.race([c.exited, sleep(30_000).then(() => "timeout" as const)]);
        if (code === "timeout") c.kill();
        c.cleanup();
        results.push({ run, code: code === "timeout" ? -1 : code, armed: c.lines().some((l) => l.includes("armed")) });
      }
    }
    expect(results).toEqual(results.map(({ run }) => ({ run, code: 1, armed: true })));
  }, 120_000);
});

// ------------------------------------------------------------------------------------------------

describe("5. misalignment", () => {
  for (
    const [name, es, make] of [
      ["Uint8Array at byte offset 1", 4, () => new Uint8Array(new SharedArrayBuffer(260), 1, 256)],
      ["Uint8Array at byte offset 2", 8, () => new Uint8Array(new SharedArrayBuffer(260), 2, 128)],
      ["DataView at byte offset 3", 4, () => new DataView(new SharedArrayBuffer(80), 3, 64)],
      ["Uint16Array at byte offset 6", 4, () => new Uint16Array(new SharedArrayBuffer(80), 6, 32)],
    ] as [string, number, () => ArrayBufferView][]
  ) {
    test(`a ring lent a ${name}: JavaScript reads and writes exact bytes; playing and recording it are refused`, () => {
      const view = make();
      using ring = new RingBuffer(es, undefined, view);
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const src = new Uint8Array(es * 3).map((_, i) => i + 1);
      expect(ring.write(src)).toBe(3);
      expect(arr(bytes.subarray(0, es * 3))).toEqual(arr(src));
      expect(new Uint8Array(view.buffer)[view.byteOffset - 1] ?? 0).toBe(0);
      expect(arr(ring.read())).toEqual(arr(src));
      using m = new OfflineMixer({ inputChannels: es / 4, outputChannels: es / 4 });
      expectError(h.caught(() => m.playRingBuffer(ring)), TypeError, /^ringBuffer\b/);
      expectError(h.caught(() => m.recordRingBuffer(ring)), TypeError, /^ringBuffer\b/);
      expect(m.actions.size).toBe(0);
    });
  }

  test("a Float32Array can never sit at an odd byte offset; at 4-byte offsets it is used exactly", () => {
    expectError(h.caught(() => new Float32Array(new ArrayBuffer(64), 1, 4)), RangeError, /./);
    expectError(h.caught(() => new Float32Array(new SharedArrayBuffer(64), 2)), RangeError, /./);
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
    const play = h.island(24, 3, 8);
    play.view.set(h.ramp(8));
    m.playBuffer(play.view, 1);
    const rec = h.island(24, 5, 8);
    m.recordBuffer(rec.view, 1);
    const input = h.island(24, 1, 8);
    input.view.set(h.ramp(8, 40));
    const output = h.island(24, 7, 8);
    m.process(8, { input: input.view, output: output.view });
    expect(arr(output.whole)).toEqual([...new Array(7).fill(7), ...arr(h.ramp(8)), ...new Array(9).fill(7)]);
    expect(arr(rec.whole)).toEqual([...new Array(5).fill(7), ...arr(h.ramp(8, 40)), ...new Array(11).fill(7)]);
  });

  test("RingBuffer.write and readInto take bytes at odd offsets exactly", () => {
    using ring = new RingBuffer(4, 16);
    const src = new Uint8Array(40).map((_, i) => i);
    expect(ring.write(new Uint8Array(src.buffer, 1, 8))).toBe(2);
    expect(ring.write(new DataView(src.buffer, 13, 4))).toBe(1);
    const dst = new Uint8Array(20).fill(255);
    expect(ring.readInto(new Uint8Array(dst.buffer, 3, 12))).toBe(3);
    expect(arr(dst)).toEqual([255, 255, 255, 1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 16, 255, 255, 255, 255, 255]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("6. errors name the argument", () => {
  test("a buffer detached by an options getter: TypeError naming buffer (playBuffer, recordBuffer)", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
    for (const call of ["play", "record"]) {
      const buf = new Float32Array(8);
      const opts = h.getterOptions("start", 0, () => (buf.buffer as ArrayBuffer).transfer());
      const e = h.caught(() => call === "play" ? m.playBuffer(buf, 1, opts) : m.recordBuffer(buf, 1, opts));
      expectError(e, TypeError, /^buffer uses a detached ArrayBuffer/);
    }
  });

  const revokedRows: [string, (m: OfflineMixer, x: object) => unknown, RegExp][] = [
    ["playBuffer options", (m, x) => m.playBuffer(new Float32Array(2), 1, x as never), /^options\b/],
    ["playBuffer channels", (m, x) => m.playBuffer(new Float32Array(2), x as never), /^channels\b/],
    ["recordBuffer channels", (m, x) => m.recordBuffer(new Float32Array(2), x as never), /^channels\b/],
    ["playRingBuffer options", (m, x) => {
      using ring = new RingBuffer(4, 4);
      return m.playRingBuffer(ring, x as never);
    }, /^options\b/],
    ["cancel options", (m, x) => m.cancel(m.playBuffer(new Float32Array(2), 1), x as never), /^options\b/],
    ["fetchAndResetStats options", (m, x) => m.fetchAndResetStats(x as never), /^options\b/],
    ["process buffers", (m, x) => m.process(2, x as never), /^buffers\b/],
    ["new OfflineMixer options", (_m, x) => new OfflineMixer(x as never).close(), /^options\b/],
  ];
  for (const [name, call, arg] of revokedRows) {
    test(`a revoked Proxy as ${name}: TypeError naming it, not the runtime's message`, () => {
      using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
      const target = /channels/.test(name) ? [1] : {};
      const e = h.caught(() => call(m, h.revoked(target)));
      expectError(e, TypeError, arg);
    });
  }

  test("a revoked Proxy as wait options: rejects with a TypeError naming options", async () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    expectError(await h.caughtAsync(() => m.wait(undefined, h.revoked({}) as never)), TypeError, /^options\b/);
  });

  test("options Proxies whose traps throw: TypeError naming options (ownKeys), or the caller's own error (get)", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    expectError(
      h.caught(() => m.playBuffer(new Float32Array(2), 1, h.trapsThrow({}) as never)),
      TypeError,
      /^options\b/,
    );
    const e = h.caught(() =>
      m.playBuffer(
        new Float32Array(2),
        1,
        new Proxy({}, {
          get() {
            throw new RangeError("the caller's get trap");
          },
        }),
      )
    );
    expectError(e, RangeError, /the caller's get trap/);
    expect(m.actions.size).toBe(0);
  });

  const unknownRows: [string, (m: OfflineMixer, ring: RingBuffer) => unknown, RegExp][] = [
    [
      "process buffers { ouput }",
      (m) => m.process(4, { ouput: new Float32Array(8) } as never),
      /^buffers: unknown option "ouput"/,
    ],
    [
      "process buffers { statusflags }",
      (m) => m.process(4, { statusflags: 0 } as never),
      /^buffers: unknown option "statusflags"/,
    ],
    [
      "OfflineMixer options { inputChanels }",
      () => new OfflineMixer({ inputChanels: 1 } as never).close(),
      /^options: unknown option "inputChanels"/,
    ],
    [
      "playBuffer options { strat }",
      (m) => m.playBuffer(new Float32Array(2), 1, { strat: 0 } as never),
      /^options: unknown option "strat"/,
    ],
    [
      "playRingBuffer options { channel }",
      (m, ring) => m.playRingBuffer(ring, { channel: 1 } as never),
      /^options: unknown option "channel"/,
    ],
    [
      "cancel options { tiem }",
      (m) => m.cancel(m.playBuffer(new Float32Array(2), 1), { tiem: 0 } as never),
      /^options: unknown option "tiem"/,
    ],
    [
      "wait options { sleeptime }",
      (m) => m.wait(undefined, { sleeptime: 1 } as never),
      /^options: unknown option "sleeptime"/,
    ],
  ];
  for (const [name, fn, message] of unknownRows) {
    test(`an unknown key is named: ${name}`, async () => {
      using m = new OfflineMixer({ outputChannels: 1 });
      using ring = new RingBuffer(4, 4);
      expectError(await h.caughtAsync(() => fn(m, ring)), TypeError, message);
    });
  }
});

// ------------------------------------------------------------------------------------------------

describe("7. one reader and one writer per ring", () => {
  const READERS: [string, (r: RingBuffer) => unknown][] = [
    ["read()", (r) => r.read()],
    ["read(1)", (r) => r.read(1)],
    ["readInto", (r) => r.readInto(new Float32Array(4))],
    ["getReadBuffers", (r) => r.getReadBuffers(1)],
    ["advanceReadIndex(0)", (r) => r.advanceReadIndex(0)],
    ["flush", (r) => r.flush()],
  ];
  const WRITERS: [string, (r: RingBuffer) => unknown][] = [
    ["write", (r) => r.write(new Float32Array(1))],
    ["getWriteBuffers", (r) => r.getWriteBuffers(1)],
    ["advanceWriteIndex(0)", (r) => r.advanceWriteIndex(0)],
    ["flush", (r) => r.flush()],
  ];

  test("a second play action on a ring is refused (on the same and on another mixer), naming ringBuffer; the first plays on", async () => {
    const before = await h.baseline();
    {
      using m = new OfflineMixer({ outputChannels: 1 });
      using other = new OfflineMixer({ outputChannels: 1 });
      using ring = new RingBuffer(4, 64);
      ring.write(h.ramp(40));
      const first = m.playRingBuffer(ring);
      expectError(h.caught(() => m.playRingBuffer(ring)), TypeError, /^ringBuffer\b/);
      expectError(h.caught(() => other.playRingBuffer(ring)), TypeError, /^ringBuffer\b/);
      expect(arr(render(m, 64))).toEqual([...arr(h.ramp(40)), ...zeros(24)]);
      expect(first.outcome).toBe("ringEnded");
      ring.write(h.ramp(4, 50));
      const again = other.playRingBuffer(ring);
      expect(arr(render(other, 8))).toEqual([50, 51, 52, 53, 0, 0, 0, 0]);
      expect(again.outcome).toBe("ringEnded");
    }
    await memoryBack(before);
  });

  test("a second record action on a ring is refused, naming ringBuffer", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
    using ring = new RingBuffer(4, 64);
    m.recordRingBuffer(ring);
    expectError(h.caught(() => m.recordRingBuffer(ring)), TypeError, /^ringBuffer\b/);
  });

  test("while a play action reads a ring, JavaScript's reading calls throw a TypeError naming the action; writing works; after the action they all work", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    using ring = new RingBuffer(4, 64);
    ring.write(h.ramp(8));
    const play = m.playRingBuffer(ring, { startFrame: 1000 });
    for (const [name, fn] of READERS) {
      const e = h.caught(() => fn(ring));
      expect({ name, ok: e instanceof TypeError && /action/.test((e as Error).message) }).toEqual({ name, ok: true });
    }
    expect(ring.write(h.ramp(2, 9))).toBe(2);
    const [n] = ring.getWriteBuffers(1);
    expect(ring.advanceWriteIndex(n)).toBeGreaterThan(0);
    expect(ring.readAvailable).toBe(11);
    m.cancel(play);
    m.process(1);
    expect(play.outcome).toBe("cancelled");
    expect(floatsOf(ring.read(10))).toEqual([...arr(h.ramp(10)).slice(0, 8), 9, 10]);
    for (const [, fn] of READERS) fn(ring);
  });

  test("while a record action writes a ring, JavaScript's writing calls throw a TypeError naming the action; reading works; after the action they all work", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 0 });
    using ring = new RingBuffer(4, 64);
    ring.write(h.ramp(4));
    const rec = m.recordRingBuffer(ring, { startFrame: 1000 });
    for (const [name, fn] of WRITERS) {
      const e = h.caught(() => fn(ring));
      expect({ name, ok: e instanceof TypeError && /action/.test((e as Error).message) }).toEqual({ name, ok: true });
    }
    expect(floatsOf(ring.read(2))).toEqual([1, 2]);
    m.cancel(rec);
    m.process(1, { input: new Float32Array(1) });
    expect(rec.outcome).toBe("cancelled");
    for (const [, fn] of WRITERS) fn(ring);
  });

  test("one play and one record action may share a ring (one reader, one writer): what is recorded is played", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
    using ring = new RingBuffer(4, 64);
    ring.write(new Float32Array(16)); // 16 frames of latency
    const rec = m.recordRingBuffer(ring);
    const play = m.playRingBuffer(ring);
    const out1 = render(m, 16, h.ramp(16, 1));
    const out2 = render(m, 16, h.ramp(16, 17));
    expect(arr(out1)).toEqual(zeros(16));
    expect(arr(out2)).toEqual(arr(h.ramp(16, 1)));
    expect([rec.outcome, play.outcome]).toEqual(["pending", "pending"]);
  });

  test("a ring disposed while an action plays it: the action plays its data to the end; the ring's memory comes back after", async () => {
    const before = await h.baseline();
    {
      using m = new OfflineMixer({ outputChannels: 1 });
      const ring = new RingBuffer(4, 16);
      ring.write(h.ramp(12));
      const [, view] = ring.getReadBuffers(12);
      const a = m.playRingBuffer(ring);
      ring[Symbol.dispose]();
      expect(view.length).toBe(0);
      expectError(h.caught(() => ring.write(new Float32Array(1))), TypeError, /disposed/);
      expect(arr(render(m, 16))).toEqual([...arr(h.ramp(12)), 0, 0, 0, 0]);
      expect(a.outcome).toBe("ringEnded");
    }
    await memoryBack(before);
  });

  for (
    const [oname, title] of [
      [
        "write(view)",
        "write(view of the ring's own memory), e.g. ring.write(ring.getReadBuffers(n)[2]), leaves the ring holding what writing a copy gives",
      ],
      [
        "readInto(view)",
        "readInto(view of the ring's own memory) leaves the view holding the elements read, as reading into other memory does",
      ],
    ] as const
  ) {
    test(title, () => {
      const sources: [string, (r: RingBuffer, n: number) => Uint8Array][] = [
        ["the second part of getReadBuffers", (r, n) => r.getReadBuffers(n)[2]],
        ["the first part of getReadBuffers", (r, n) => r.getReadBuffers(n)[1]],
        ["the first part of getWriteBuffers", (r, n) => r.getWriteBuffers(n)[1]],
        ["the second part of getWriteBuffers", (r, n) => r.getWriteBuffers(n)[2]],
      ];
      const failures: string[] = [];
      for (let shift = 0; shift < 8; shift++) {
        for (let fill = 0; fill <= 8; fill++) {
          for (const [sname, source] of sources) {
            const a = new RingBuffer(4, 8);
            const b = new RingBuffer(4, 8);
            for (const r of [a, b]) {
              r.write(new Float32Array(shift));
              r.read();
              r.write(h.ramp(fill, 1));
            }
            const view = source(a, 8);
            const copy = source(b, 8).slice();
            let got: unknown;
            let want: unknown;
            if (oname === "write(view)") {
              // Writing from the ring's own memory: the ring then holds what writing a copy gives.
              got = [a.write(view), floatsOf(a.read())];
              want = [b.write(copy), floatsOf(b.read())];
            } else {
              // Reading into the ring's own memory: the view then holds the elements read (what the
              // rest of the ring holds afterwards is the caller's business: it overwrote it).
              const into = new Uint8Array(copy.byteLength);
              got = [a.readInto(view), floatsOf(new Uint8Array(view))];
              want = [b.readInto(into), floatsOf(into)];
            }
            if (JSON.stringify(got) !== JSON.stringify(want)) {
              failures.push(
                `ring at ${shift} holding ${fill}: ${oname} with ${sname}: ${JSON.stringify(got)}, expected ${
                  JSON.stringify(want)
                }`,
              );
            }
            a[Symbol.dispose]();
            b[Symbol.dispose]();
          }
        }
      }
      expect(failures).toEqual([]);
    });
  }
});

// ------------------------------------------------------------------------------------------------

describe("8. shadowed properties cannot steer the library", () => {
  const realGetter = (proto: object, key: string) => Object.getOwnPropertyDescriptor(proto, key)!.get!;

  test("a Sample whose own properties lie (pointer, length, disposed, prototype) plays its true samples", async () => {
    const before = await h.baseline();
    {
      using m = new OfflineMixer({ outputChannels: 1 });
      const s = new Sample(h.ramp(8));
      const own = s as unknown as Record<string, unknown>;
      own._pointer = () => 0x1234;
      own.pointer = 0x1234;
      own["#pointer"] = 0x1234;
      Object.defineProperty(s, "length", { value: 1e9 });
      Object.defineProperty(s, "disposed", { value: true });
      const a = m.playBuffer(s, 1);
      expect(a.totalFrames).toBe(8);
      expectError(h.caught(() => m.playBuffer(s, [1, 1, 1])), RangeError, /^channels: the Sample has 1 channel and channels names 3/);
      Object.setPrototypeOf(s, null);
      const b = m.playBuffer(s, 1, { startFrame: 8 });
      expect(arr(render(m, 16))).toEqual([...arr(h.ramp(8)), ...arr(h.ramp(8))]);
      expect([a.outcome, b.outcome]).toEqual(["done", "done"]);
      Sample.prototype[Symbol.dispose].call(s);
      expect(realGetter(Sample.prototype, "disposed").call(s)).toBe(true);
      expect(h.caught(() => m.playBuffer(Object.setPrototypeOf({}, Sample.prototype), 1))).toBeInstanceOf(TypeError);
    }
    await memoryBack(before);
  });

  test("a RingBuffer whose elementSize is shadowed is played with its true element size", () => {
    using m = new OfflineMixer({ outputChannels: 2 });
    using ring = new RingBuffer(8, 16);
    ring.write(new Float32Array([1, -1, 2, -2]));
    const assign = h.caught(() => {
      (ring as unknown as { elementSize: number }).elementSize = 4;
    });
    if (assign !== undefined) expect(assign).toBeInstanceOf(TypeError);
    Object.defineProperty(ring, "elementSize", { value: 4 });
    Object.defineProperty(ring, "size", { value: 1 << 30 });
    Object.defineProperty(ring, "disposed", { value: true });
    (ring as unknown as Record<string, unknown>).header = 0x1234;
    const a = m.playRingBuffer(ring);
    expect(a.channels).toBe(2);
    expect(arr(render(m, 4))).toEqual([1, -1, 2, -2, 0, 0, 0, 0]);
    using other = new RingBuffer(8, 16);
    Object.defineProperty(other, "elementSize", { value: 4 });
    expectError(h.caught(() => m.playRingBuffer(other, { channels: 1 })), RangeError, /^ringBuffer\.elementSize \(8\)/);
    expect(h.caught(() => m.playRingBuffer(Object.create(ring)))).toBeInstanceOf(TypeError);
  });

  test("an Action whose own properties lie is still cancelled at the true sample; look-alikes are refused", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    const a = m.playBuffer(new Float32Array(100).fill(1), 1);
    for (
      const key of [
        "finished",
        "outcome",
        "type",
        "mapping",
        "totalFrames",
        "target",
        "buffer",
        "startFrame",
        "doneFrames",
      ]
    ) {
      Object.defineProperty(a, key, { value: key === "finished" ? true : key === "outcome" ? "done" : 12345 });
    }
    const c = m.cancel(a, { time: 10 / FS });
    const out = render(m, 64);
    expect(arr(out)).toEqual([...new Array(10).fill(1), ...zeros(54)]);
    expect(realGetter(Action.prototype, "outcome").call(a)).toBe("cancelled");
    expect(realGetter(Action.prototype, "doneFrames").call(a)).toBe(10);
    expect(c.outcome).toBe("done");
    for (const fake of [new Proxy(a, {}), Object.create(a), Object.setPrototypeOf({}, Action.prototype)]) {
      expectError(h.caught(() => m.cancel(fake)), TypeError, /^action must be an Action/);
    }
  });

  test("wait(action) waits for the true end of an action whose own finished/outcome properties lie", async () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    const a = m.playBuffer(new Float32Array(256), 1);
    Object.defineProperty(a, "finished", { value: true });
    Object.defineProperty(a, "outcome", { value: "done" });
    let settled = false;
    const p = m.wait(a, { sleepTime: 1 }).then(() => {
      settled = true;
    });
    await sleep(30);
    expect(settled).toBe(false); // not a single frame has been processed
    m.process(256);
    await p;
    expect(settled).toBe(true);
  });

  test("mixer.actions cannot be used to change what wait() waits for (clear, add, delete on the set)", async () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    const a = m.playBuffer(new Float32Array(64), 1);
    const set = m.actions as Set<unknown>;
    h.caught(() => set.clear());
    h.caught(() => set.add({ finished: false, outcome: "pending" }));
    h.caught(() => set.delete(a));
    expect({ size: m.actions.size, hasTheAction: m.actions.has(a) }).toEqual({ size: 1, hasTheAction: true });
    let settled = false;
    const p = m.wait(undefined, { sleepTime: 1 }).then(() => {
      settled = true;
    });
    await sleep(20);
    expect(settled).toBe(false); // nothing has been processed yet
    m.process(64);
    await Promise.race([p, sleep(2000)]);
    expect(settled).toBe(true);
    expect(m.actions.size).toBe(0);
  });

  test("a stream's engine, reachable as a property, cannot be made to write past a buffer (child process)", () => {
    requireJack();
    const lines = child(
      "safety-engine-property",
      `${PRELUDE}
      const m = new MixerAndRecorder({ channels: 2, blockSize: 256 }); // not started: no callback runs
      const engine = m.engine;
      const big = new Float32Array(1024).fill(7);
      const view = big.subarray(0, 4); // 4 samples; the claim below is 1024
      let error = null;
      if (engine !== undefined) {
        try {
          engine.process({ view: new Float32Array(1024), byteLength: 4096 }, { view, byteLength: 4096 }, 256, 0, 0);
        } catch (e) {
          error = e.constructor.name;
        }
      }
      out({ outsideTheView: big.subarray(4).every((v) => v === 7), error });
      m.close();
      out({ survived: true });
    `,
    );
    expect((lines[0] as { outsideTheView: boolean }).outsideTheView).toBe(true);
    expect(lines[1]).toEqual({ survived: true });
  });

  test("a subclass whose callbackStopped does nothing cannot keep Actions on a freed mixer: close() still ends them as aborted (child process)", () => {
    requireJack();
    const lines = child(
      "safety-callback-stopped",
      `${PRELUDE}
      class Sub extends MixerAndRecorder { callbackStopped() {} }
      const m = new Sub({ channels: 2, blockSize: 256 });
      m.start();
      const a = m.playBuffer(new Float32Array(2 * 48000), 2, { start: m.time + 10 });
      const r = m.recordBuffer(new Float32Array(2 * 4800), 2);
      await sleep(50);
      m.close();
      // Freed native memory would be reused by these.
      const junk = Array.from({ length: 20 }, () => new MixerAndRecorder({ channels: 2, blockSize: 256 }));
      out({ a: a.outcome, r: r.outcome, finished: [a.finished, r.finished] });
      for (const j of junk) j.close();
      out({ survived: true });
    `,
    );
    expect(lines).toEqual([{ a: "aborted", r: "aborted", finished: [true, true] }, { survived: true }]);
  });

  test("global intrinsics replaced after loading (TypedArray and ArrayBuffer getters, call, isArray, keys): calls still use the true memory", () => {
    const lines = child(
      "safety-intrinsics",
      `${PRELUDE}
      const m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
      const ring = new RingBuffer(4, 16);
      const sample = new Sample(h.ramp(4, 50));
      const TA = Object.getPrototypeOf(Uint8Array.prototype);
      for (const k of ["length", "byteLength", "byteOffset"]) Object.defineProperty(TA, k, { configurable: true, get() { return 1e6; } });
      Object.defineProperty(TA, "buffer", { configurable: true, get() { return new ArrayBuffer(8); } });
      Object.defineProperty(TA, Symbol.toStringTag, { configurable: true, get() { return "Float32Array"; } });
      Object.defineProperty(ArrayBuffer.prototype, "byteLength", { configurable: true, get() { return 1e6; } });
      Object.defineProperty(ArrayBuffer.prototype, "detached", { configurable: true, get() { return false; } });
      Function.prototype.call = function () { throw new Error("hijacked call"); };
      Array.isArray = () => { throw new Error("hijacked isArray"); };
      Object.keys = () => { throw new Error("hijacked keys"); };
      const play = m.playBuffer(new Float32Array([1, 2, 3]), 1);
      m.playBuffer(sample, 1, { startFrame: 4 });
      const dst = new Float32Array(4);
      const rec = m.recordBuffer(dst, 1);
      const o = new Float32Array(8);
      m.process(8, { output: o, input: new Float32Array([9, 8, 7, 6, 5, 4, 3, 2]) });
      ring.write(new Float32Array([4, 5]));
      const back = new Float32Array(2);
      ring.readInto(back);
      const f64 = new Float64Array(2);
      let refused = "no";
      try { m.playBuffer(f64, 1); } catch (e) { refused = e.constructor.name; }
      out({ out: [o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]], rec: [dst[0], dst[1], dst[2], dst[3]], outcome: [play.outcome, rec.outcome],
        ring: [back[0], back[1]], refused });
    `,
    );
    expect(lines).toEqual([{
      out: [1, 2, 3, 0, 50, 51, 52, 53],
      rec: [9, 8, 7, 6],
      outcome: ["done", "done"],
      ring: [4, 5],
      refused: "TypeError",
    }]);
  });

  test("an Array.prototype index accessor cannot change a channel list after it was checked", () => {
    const lines = child(
      "safety-array-proto",
      `${PRELUDE}
      const m = new OfflineMixer({ outputChannels: 2 });
      let reads = 0;
      Object.defineProperty(Array.prototype, "0", { configurable: true, set(v) {}, get() { return reads++ === 0 ? 2 : 1e9; } });
      let result;
      try {
        const a = m.playBuffer(new Float32Array([0.5, 0.25]), [2]);
        delete Array.prototype[0];
        const o = new Float32Array(4);
        m.process(2, { output: o });
        result = { mapping: Array.from(a.mapping), out: Array.from(o) };
      } catch (e) {
        delete Array.prototype[0];
        result = { error: e.constructor.name, message: e.message };
      }
      out(result);
    `,
    );
    const [r] = lines as [Record<string, unknown>];
    if ("error" in r) {
      expect(r.error === "TypeError" || r.error === "RangeError").toBe(true);
      expect(r.message).toMatch(/^channels\b/);
    } else {
      expect(r).toEqual({ mapping: [2], out: [0, 0.5, 0, 0.25] });
    }
  });
});
