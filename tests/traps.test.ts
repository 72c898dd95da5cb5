// Issue 12 §7, "small traps", each pinned: a named error for stats on an active stream; device,
// channels and latency typed per class (numbers for Mixer and Recorder, pairs for
// MixerAndRecorder) and refused at run time as the types refuse them; OfflineMixer's `channels`
// option; no documentation that constructs what is exported as a type only. The type-level
// checks are `@ts-expect-error` lines and type assertions, verified by `deno check` and by
// `deno test` (which type-checks the file); Bun runs the same lines for their run-time half.
// (The device list's readability is pinned in devices.test.ts, the examples' answers to bad
// input and their progress line in examples.test.ts.)
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import * as mod from "../mod.ts";
import {
  type ActionStream,
  Mixer,
  MixerAndRecorder,
  type MixerAndRecorderOptions,
  type MixerOptions,
  OfflineMixer,
  Recorder,
  type RecorderOptions,
  type Stream,
  StreamActiveError,
} from "../mod.ts";
import { requireJack, sleep } from "./helpers/jack.ts";

/** True exactly when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only if `T` is `true`: a type assertion that `deno check` verifies. */
function assertType<T extends true>(): T | void {}

const ROOT = new URL("..", import.meta.url);

describe("stats on an active stream", () => {
  beforeAll(() => {
    requireJack();
  });

  test("throws StreamActiveError, exported and named, and works again once stopped", async () => {
    using mixer = new Mixer({ blockSize: 256 });
    mixer.start();
    await sleep(30);
    let error: unknown;
    try {
      void mixer.stats;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamActiveError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("StreamActiveError");
    expect(String(error)).toMatch(
      /^StreamActiveError: stats can only be read while the stream is inactive; use fetchAndResetStats\(\)/,
    );
    expect(mod.StreamActiveError).toBe(StreamActiveError);
    // The way it points to works on the active stream.
    const fetch = mixer.fetchAndResetStats();
    await mixer.wait(fetch, { timeout: 5000 });
    expect(fetch.stats.blocks).toBeGreaterThan(0);
    mixer.stop();
    expect(mixer.stats.blocks).toBeGreaterThanOrEqual(0);
  });

  test("every stream class throws it", () => {
    for (const open of [() => new Recorder({ blockSize: 256 }), () => new MixerAndRecorder({ blockSize: 256 })]) {
      using s = open();
      s.start();
      expect(() => s.stats).toThrow(StreamActiveError);
    }
  });
});

describe("device, channels and latency are typed per class", () => {
  test("getters: numbers for Mixer and Recorder, [input, output] pairs for MixerAndRecorder (types)", () => {
    assertType<Equal<Mixer["channels"], number>>();
    assertType<Equal<Mixer["latency"], number>>();
    assertType<Equal<Mixer["device"], number>>();
    assertType<Equal<Mixer["kind"], "output">>();
    assertType<Equal<Recorder["channels"], number>>();
    assertType<Equal<Recorder["latency"], number>>();
    assertType<Equal<Recorder["device"], number>>();
    assertType<Equal<Recorder["kind"], "input">>();
    assertType<Equal<MixerAndRecorder["channels"], [number, number]>>();
    assertType<Equal<MixerAndRecorder["latency"], [number, number]>>();
    assertType<Equal<MixerAndRecorder["device"], [number, number]>>();
    assertType<Equal<MixerAndRecorder["kind"], "duplex">>();
    assertType<Equal<MixerAndRecorder["dtype"], ["float32", "float32"]>>();
    // Any stream: either shape.
    assertType<Equal<Stream["channels"], number | [number, number]>>();
    assertType<Equal<ActionStream["latency"], number | [number, number]>>();
    assertType<Equal<Mixer<"output" | "duplex">["channels"], number | [number, number]>>();
  });

  test("options: single values for Mixer and Recorder, pairs or single values for MixerAndRecorder (types)", () => {
    assertType<Equal<MixerOptions["channels"], number | undefined>>();
    assertType<Equal<RecorderOptions["latency"], "low" | "high" | number | undefined>>();
    const duplex: MixerAndRecorderOptions[] = [
      { channels: 2 },
      { channels: [1, 2], latency: ["low", 0.1], device: [0, "system"] },
      { channels: [undefined, 2] },
    ];
    expect(duplex.length).toBe(3);
    // Type errors, never called: what each class refuses to compile.
    const refused = [
      // @ts-expect-error a Mixer has one direction: no pair
      (): MixerOptions => ({ channels: [1, 2] }),
      // @ts-expect-error a Recorder has one direction: no pair
      (): RecorderOptions => ({ latency: ["low", "high"] }),
      // @ts-expect-error no pair for device either
      (): MixerOptions => ({ device: [0, 0] }),
      // @ts-expect-error a MixerAndRecorder's pair has two elements
      (): MixerAndRecorderOptions => ({ channels: [1, 2, 3] }),
      // @ts-expect-error a Mixer's channels are a number
      (m: Mixer): [number, number] => m.channels,
      // @ts-expect-error a MixerAndRecorder's channels are a pair
      (m: MixerAndRecorder): number => m.channels,
      // @ts-expect-error a MixerAndRecorder is not a Mixer<"output"> (its channels would not be a number)
      (m: MixerAndRecorder): Mixer => m,
    ];
    expect(refused.length).toBe(7);
    // What is accepted: any Mixer as Mixer<"output" | "duplex">, any stream as ActionStream or Stream.
    const accepted = [
      (m: MixerAndRecorder): Mixer<"output" | "duplex"> => m,
      (m: Mixer): Mixer<"output" | "duplex"> => m,
      (r: Recorder): ActionStream => r,
      (m: MixerAndRecorder): Stream => m,
    ];
    expect(accepted.length).toBe(4);
  });

  const pairs: [string, () => unknown, RegExp][] = [
    // @ts-expect-error refused by the types, and at run time
    ["Mixer channels", () => new Mixer({ channels: [1, 2] }), /^channels must be a single value for a Mixer/],
    // @ts-expect-error refused by the types, and at run time
    ["Mixer device", () => new Mixer({ device: [0, 0] }), /^device must be a single value for a Mixer/],
    // @ts-expect-error refused by the types, and at run time
    ["Mixer latency", () => new Mixer({ latency: ["low", "low"] }), /^latency must be a single value for a Mixer/],
    // @ts-expect-error refused by the types, and at run time
    ["Mixer dtype", () => new Mixer({ dtype: ["float32", "float32"] }), /^dtype must be a single value for a Mixer/],
    // @ts-expect-error refused by the types, and at run time
    ["Recorder channels", () => new Recorder({ channels: [1, 2] }), /^channels must be a single value for a Recorder/],
    // @ts-expect-error refused by the types, and at run time
    ["Recorder latency", () => new Recorder({ latency: [0.1, 0.1] }), /^latency must be a single value for a Recorder/],
  ];
  for (const [name, open, message] of pairs) {
    test(`a pair given to a ${name} is a TypeError naming the option, before PortAudio is asked`, () => {
      // No JACK needed: the options are refused before any device is looked up.
      let error: unknown;
      try {
        open();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain("[input, output] pairs are for MixerAndRecorder");
    });
  }

  test("at run time the getters hold what the types say", () => {
    requireJack();
    {
      using m = new Mixer({ channels: 1 });
      expect([typeof m.channels, typeof m.latency, typeof m.device]).toEqual(["number", "number", "number"]);
      expect(m.channels).toBe(1);
    }
    {
      using r = new Recorder({ channels: 2, latency: "low" });
      expect([typeof r.channels, typeof r.latency, typeof r.device]).toEqual(["number", "number", "number"]);
    }
    {
      using d = new MixerAndRecorder({ channels: [1, 2], latency: ["low", "high"] });
      expect(d.channels).toEqual([1, 2]);
      expect(d.device).toEqual([0, 0]);
      expect(d.latency).toHaveLength(2);
      using both = new MixerAndRecorder({ channels: 1 }); // one value for both directions
      expect(both.channels).toEqual([1, 1]);
    }
  });
});

describe("OfflineMixer takes the streams' option names", () => {
  test("channels: an [input, output] pair, or one count for both, as MixerAndRecorder takes it", () => {
    const sizes = (o: ConstructorParameters<typeof OfflineMixer>[0]) => {
      using m = new OfflineMixer(o);
      return [m.inputChannels, m.outputChannels];
    };
    expect(sizes({ channels: [1, 3] })).toEqual([1, 3]);
    expect(sizes({ channels: 4 })).toEqual([4, 4]);
    expect(sizes({ channels: [0, 1] })).toEqual([0, 1]);
    expect(sizes({ channels: [undefined, 1] })).toEqual([0, 1]); // an undefined element: its default
    expect(sizes({})).toEqual([0, 2]);
    // The older names still work.
    expect(sizes({ inputChannels: 2, outputChannels: 1 })).toEqual([2, 1]);
    expect(sizes({ outputChannels: 1 })).toEqual([0, 1]);
  });

  test("channels renders what it says: one output channel, no input", () => {
    using m = new OfflineMixer({ channels: [0, 1] });
    m.playBuffer(new Float32Array([1, 2, 3]), 1, { startFrame: 2 });
    const out = new Float32Array(8);
    m.process(8, { output: out });
    expect([...out]).toEqual([0, 0, 1, 2, 3, 0, 0, 0]);
  });

  test("channels with an older name is refused, naming both; bad counts name the element", () => {
    expect(() => new OfflineMixer({ channels: 1, outputChannels: 2 })).toThrow(
      new TypeError(
        "options: give channels ([input, output]) or its older names inputChannels/outputChannels, not both (got channels and outputChannels)",
      ),
    );
    expect(() => new OfflineMixer({ channels: [1, 1], inputChannels: 1 })).toThrow(
      /not both \(got channels and inputChannels\)/,
    );
    // @ts-expect-error three elements are refused by the types, and at run time
    expect(() => new OfflineMixer({ channels: [1, 2, 3] })).toThrow(
      /^channels must be a single value or an \[input, output\] pair, got an array of 3/,
    );
    expect(() => new OfflineMixer({ channels: [0, -1] })).toThrow(RangeError);
    expect(() => new OfflineMixer({ channels: [0, -1] })).toThrow(
      /^channels\[1\] \(output\) must be an integer from 0 to 1024/,
    );
    expect(() => new OfflineMixer({ channels: 1.5 })).toThrow(/^channels must be an integer/);
  });
});

describe("the documentation shows only what the types allow", () => {
  /** Names that mod.ts exports as types only (`export type { ... }` or `type X` in a list). */
  function typeOnlyExports(): string[] {
    const source = readFileSync(new URL("mod.ts", ROOT), "utf8");
    const names: string[] = [];
    for (const [, only, list] of source.matchAll(/export (type )?\{([^}]*)\}/g)) {
      for (const item of list.split(",").map((s) => s.trim()).filter(Boolean)) {
        const m = /^(type\s+)?(\w+)/.exec(item)!;
        if (only || m[1]) names.push(m[2]);
      }
    }
    return names;
  }

  test("Stream and ActionStream are exported as types only: no value of that name", () => {
    const types = typeOnlyExports();
    expect(types).toContain("Stream");
    expect(types).toContain("ActionStream");
    for (const name of types) expect(name in mod).toBe(false);
  });

  test("no JSDoc in src/, no example and no README code constructs a type-only export", () => {
    const types = typeOnlyExports();
    const files = [
      ...readdirSync(new URL("src/", ROOT), { recursive: true }).map((f) => `src/${f}`),
      ...readdirSync(new URL("examples/", ROOT)).map((f) => `examples/${f}`),
      "mod.ts",
      "README.md",
    ].filter((f) => /\.(ts|md)$/.test(f));
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(new URL(file, ROOT), "utf8");
      // In src/ the module itself may construct them: only its documentation counts.
      const docOnly = file.startsWith("src/");
      text.split("\n").forEach((line, i) => {
        if (docOnly && !/^\s*(\/\*\*|\*|\/\/)/.test(line)) return;
        for (const name of types) {
          if (new RegExp(`\\bnew ${name}\\s*[(<]`).test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    expect(found).toEqual([]);
  });
});
