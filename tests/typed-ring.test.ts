// Float32RingBuffer: a RingBuffer of float32 frames whose own calls take and give Float32Arrays
// and count frames, beside the byte-level calls of the spec on the same object. Checked against a
// reference model, with hostile arguments (lying lengths, Proxies, detached and transferred
// memory, shadowed instance properties), against the one-reader one-writer rule, offline, and end
// to end through the JACK loopback, bit-exact.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Float32RingBuffer, memoryUsage, MixerAndRecorder, OfflineMixer, RingBuffer } from "../mod.ts";
import { runtime } from "../src/ffi/mod.ts";
import { MOD, runScript } from "./helpers/child.ts";
import { loopback, requireJack, sleep } from "./helpers/jack.ts";
import * as h from "./helpers/hostile.ts";

const arr = (x: ArrayLike<number>): number[] => Array.from(x);
const f32 = (...xs: number[]) => new Float32Array(xs);
const GC = JSON.stringify(new URL("./helpers/gc.ts", import.meta.url).href);
const HOSTILE = JSON.stringify(new URL("./helpers/hostile.ts", import.meta.url).href);

function expectError(e: unknown, type: ErrorConstructor, message: RegExp): void {
  if (!(e instanceof type)) {
    throw new Error(`expected a ${type.name} matching ${message}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  expect((e as Error).message).toMatch(message);
}

/** The floats of a byte-level `read()`. */
const floatsOf = (bytes: Uint8Array): number[] => arr(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));

describe("Float32RingBuffer", () => {
  test("is a RingBuffer of frames: elementSize 4 × channels, counts in frames", () => {
    using ring = new Float32RingBuffer(3, 16);
    expect(ring).toBeInstanceOf(RingBuffer);
    expect(ring).toBeInstanceOf(Float32RingBuffer);
    expect([ring.channels, ring.elementSize, ring.size, ring.readAvailable, ring.writeAvailable]).toEqual([3, 12, 16, 0, 16]);
    expect(ring.writeFrames(h.ramp(6))).toBe(2);
    expect([ring.readAvailable, ring.writeAvailable]).toEqual([2, 14]);
  });

  test("writeFrames then readFrames gives the same samples; all frames are usable; a full ring takes none", () => {
    using ring = new Float32RingBuffer(2, 4);
    expect(ring.writeFrames(h.ramp(10))).toBe(4);
    expect(ring.writeFrames(f32(1, 2))).toBe(0);
    const out = ring.readFrames();
    expect(out).toBeInstanceOf(Float32Array);
    expect(arr(out)).toEqual(arr(h.ramp(8)));
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(32);
    expect(ring.readFrames().length).toBe(0);
  });

  test("frames arguments: writeFrames writes that many, readFrames reads at most that many, readFramesInto whole frames", () => {
    using ring = new Float32RingBuffer(2, 8);
    expect(ring.writeFrames(h.ramp(8), 3)).toBe(3);
    expect(ring.writeFrames(h.ramp(8, 50), 0)).toBe(0);
    expect(arr(ring.readFrames(1))).toEqual([1, 2]);
    expect(arr(ring.readFrames(0))).toEqual([]);
    const into = new Float32Array(6).fill(-1);
    expect(ring.readFramesInto(into)).toBe(2);
    expect(arr(into)).toEqual([3, 4, 5, 6, -1, -1]);
    expect(arr(ring.readFrames(100))).toEqual([]);
  });

  test("getWriteFrames and getReadFrames give Float32Array views in two parts at the wrap, on the ring's memory", () => {
    using ring = new Float32RingBuffer(2, 8);
    ring.writeFrames(new Float32Array(2 * 6));
    ring.readFrames(5);
    const [count, first, second] = ring.getWriteFrames(100);
    expect([count, first.length, second.length]).toEqual([7, 4, 10]);
    expect(first).toBeInstanceOf(Float32Array);
    first.set(h.ramp(4, 1));
    second.set(h.ramp(10, 5));
    expect(ring.advanceWriteIndex(count)).toBe(13);
    const [n, a, b] = ring.getReadFrames(8);
    expect([n, a.length, b.length]).toEqual([8, 6, 10]);
    expect([...a, ...b].slice(2)).toEqual(arr(h.ramp(14)));
    a[2] = 99; // a view, not a copy
    expect(arr(ring.readFrames(2))).toEqual([0, 0, 99, 2]);
    expect(ring.getReadFrames(0)[0]).toBe(0);
    // A full ring has no room: empty views.
    ring.writeFrames(new Float32Array(2 * ring.writeAvailable));
    const [none, x, y] = ring.getWriteFrames(4);
    expect([none, x.length, y.length]).toEqual([0, 0, 0]);
  });

  test("the byte-level API works unchanged on the same ring, mixed with the frame calls", () => {
    using ring = new Float32RingBuffer(2, 8);
    expect(ring.write(f32(1, 2, 3, 4))).toBe(2); // elements are frames
    expect(ring.write(new Uint8Array(f32(5, 6).buffer))).toBe(1);
    expect(arr(ring.readFrames(1))).toEqual([1, 2]);
    const bytes = ring.read(1);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(floatsOf(bytes)).toEqual([3, 4]);
    ring.writeFrames(f32(7, 8));
    const [n, first] = ring.getReadBuffers(2);
    expect(first).toBeInstanceOf(Uint8Array);
    expect([n, first.length]).toEqual([2, 16]);
    expect(floatsOf(first)).toEqual([5, 6, 7, 8]);
    ring.advanceReadIndex(n);
    const into = new Float32Array(2);
    ring.writeFrames(f32(9, 10));
    expect(ring.readInto(into)).toBe(1);
    expect(arr(into)).toEqual([9, 10]);
    ring.writeFrames(f32(11, 12));
    ring.flush();
    expect(ring.readAvailable).toBe(0);
  });

  test("a lent SharedArrayBuffer is used in place", () => {
    const memory = new SharedArrayBuffer(4 * 2 * 4);
    using ring = new Float32RingBuffer(2, undefined, memory);
    expect(ring.size).toBe(4);
    ring.writeFrames(f32(0.5, -0.5));
    expect(arr(new Float32Array(memory, 0, 2))).toEqual([0.5, -0.5]);
    const [, first] = ring.getReadFrames(1);
    expect(first.buffer).toBe(memory);
    // A Float32Array view of one, at an offset.
    const view = new Float32Array(new SharedArrayBuffer(4 * 20), 4, 16);
    using ring2 = new Float32RingBuffer(4, undefined, view);
    expect(ring2.size).toBe(4);
    ring2.writeFrames(h.ramp(4));
    expect(arr(view.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(arr(ring2.readFrames())).toEqual([1, 2, 3, 4]);
  });

  test("matches a reference model over random sequences of frame and byte calls", () => {
    type Op =
      | { kind: "writeFrames" | "writeBytes" | "readFrames" | "readFramesInto" | "readBytes"; n: number }
      | { kind: "writeParts" | "readParts"; n: number; commit: number }
      | { kind: "flush" };
    const n = fc.nat(40);
    const commit = fc.double({ min: 0, max: 1, noNaN: true });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constantFrom("writeFrames" as const, "writeBytes" as const), n }),
      fc.record({ kind: fc.constantFrom("readFrames" as const, "readFramesInto" as const, "readBytes" as const), n }),
      fc.record({ kind: fc.constantFrom("writeParts" as const, "readParts" as const), n, commit }),
      fc.record({ kind: fc.constant("flush" as const) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8, 16, 32), fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (size, ch, ops) => {
        using ring = new Float32RingBuffer(ch, size);
        const model: number[] = []; // samples, interleaved
        let counter = 0;
        const fresh = (frames: number) => Float32Array.from({ length: frames * ch }, () => ++counter);
        const frames = () => model.length / ch;
        for (const o of ops) {
          if (o.kind === "writeFrames" || o.kind === "writeBytes") {
            const data = fresh(o.n);
            const written = o.kind === "writeFrames" ? ring.writeFrames(data) : ring.write(new Uint8Array(data.buffer));
            expect(written).toBe(Math.min(o.n, size - frames()));
            model.push(...data.subarray(0, written * ch));
          } else if (o.kind === "readFrames" || o.kind === "readFramesInto" || o.kind === "readBytes") {
            const expected = model.splice(0, Math.min(o.n, frames()) * ch);
            if (o.kind === "readFrames") expect(arr(ring.readFrames(o.n))).toEqual(expected);
            else if (o.kind === "readBytes") expect(floatsOf(ring.read(o.n))).toEqual(expected);
            else {
              const into = new Float32Array(o.n * ch);
              expect(ring.readFramesInto(into)).toBe(expected.length / ch);
              expect(arr(into.subarray(0, expected.length))).toEqual(expected);
            }
          } else if (o.kind === "writeParts") {
            const [count, a, b] = ring.getWriteFrames(o.n);
            expect(count).toBe(Math.min(o.n, size - frames()));
            expect(a.length + b.length).toBe(count * ch);
            const k = Math.floor(count * o.commit);
            const data = fresh(k);
            a.set(data.subarray(0, Math.min(a.length, data.length)));
            b.set(data.subarray(a.length));
            ring.advanceWriteIndex(k);
            model.push(...data);
          } else if (o.kind === "readParts") {
            const [count, a, b] = ring.getReadFrames(o.n);
            expect(count).toBe(Math.min(o.n, frames()));
            expect([...a, ...b]).toEqual(model.slice(0, count * ch));
            const k = Math.floor(count * o.commit);
            ring.advanceReadIndex(k);
            model.splice(0, k * ch);
          } else {
            ring.flush();
            model.length = 0;
          }
          expect([ring.readAvailable, ring.writeAvailable]).toEqual([frames(), size - frames()]);
        }
      }),
      { numRuns: 300, seed: Number(runtime.env("FC_SEED") ?? 20261212) },
    );
  });
});

describe("Float32RingBuffer: bad and hostile input (typed errors that name the argument)", () => {
  test("constructor", () => {
    const cases: [() => unknown, ErrorConstructor, RegExp][] = [
      [() => new Float32RingBuffer(0, 8), RangeError, /^channels must be an integer from 1 to 4194304, got 0/],
      [() => new Float32RingBuffer(1.5, 8), RangeError, /^channels must be an integer/],
      [() => new Float32RingBuffer(2 ** 22 + 1, 1), RangeError, /^channels must be an integer/],
      [() => new Float32RingBuffer("2" as never, 8), TypeError, /^channels must be an integer number, got the string "2"/],
      [() => new Float32RingBuffer({ valueOf: () => 2 } as never, 8), TypeError, /^channels must be an integer number/],
      [() => new Float32RingBuffer(2, 3), RangeError, /^frames must be a power of two from 1 to 2\*\*30, got 3/],
      [() => new Float32RingBuffer(2, 0), RangeError, /^frames must be an integer from 1/],
      [() => new Float32RingBuffer(2, 2 ** 31), RangeError, /^frames must be an integer from 1/],
      [() => new Float32RingBuffer(2, NaN), RangeError, /^frames must be an integer/],
      [() => new Float32RingBuffer(2, 8n as never), TypeError, /^frames must be an integer number/],
      [() => new Float32RingBuffer(2), TypeError, /^Float32RingBuffer needs exactly one of frames and buffer/],
      [() => new Float32RingBuffer(2, 4, new Float32Array(new SharedArrayBuffer(32))), TypeError, /exactly one of frames and buffer/],
      [() => new Float32RingBuffer(2, undefined, new Float32Array(8)), TypeError, /^buffer must be a SharedArrayBuffer or a view of one/],
      [() => new Float32RingBuffer(2, undefined, h.revoked(new Float32Array(8)) as never), TypeError, /^buffer must be/],
      [() => new Float32RingBuffer(2, undefined, new Float32Array(new SharedArrayBuffer(36))), RangeError, /^buffer length \(36 bytes\) must be a multiple of elementSize \(8\)/],
      [() => new Float32RingBuffer(2, undefined, new Float32Array(new SharedArrayBuffer(48))), RangeError, /^buffer length \/ elementSize must be a power of two/],
      [
        () => new Float32RingBuffer(2, undefined, new Uint8Array(new SharedArrayBuffer(8 * 8 + 2), 2, 8 * 8)),
        RangeError,
        /^buffer must start at a multiple of 4 bytes \(float32 samples\), got byte offset 2/,
      ],
    ];
    for (const [fn, type, message] of cases) expectError(h.caught(fn), type, message);
  });

  test("samples that are not a real Float32Array: TypeError naming samples, nothing written or read", () => {
    using ring = new Float32RingBuffer(2, 8);
    ring.writeFrames(f32(1, 2));
    const cases: [unknown, RegExp][] = [
      [new Float64Array(4), /^samples must be a Float32Array, got a Float64Array/],
      [new Uint8Array(8), /^samples must be a Float32Array, got a Uint8Array/],
      [new DataView(new ArrayBuffer(8)), /^samples must be a Float32Array, got a DataView/],
      [new ArrayBuffer(8), /^samples must be a Float32Array, got an ArrayBuffer/],
      [[1, 2], /^samples must be a Float32Array, got an array/],
      [null, /^samples must be a Float32Array, got null/],
      [undefined, /^samples must be a Float32Array, got undefined/],
      [new Proxy(new Float32Array(4), {}), /^samples must be a Float32Array, got an imitation of a Float32Array/],
      [h.revoked(new Float32Array(4)), /^samples must be a Float32Array, got an object/],
      [h.trapsThrow(new Float32Array(4)), /^samples must be a Float32Array, got an object/],
      [Object.create(Float32Array.prototype), /^samples must be a Float32Array, got an imitation of a Float32Array/],
      [Object.defineProperty(new Float64Array(4), Symbol.toStringTag, { value: "Float32Array" }), /^samples must be a Float32Array, got a Float64Array/],
      [h.detachedF32(4), /^samples uses a detached ArrayBuffer/],
    ];
    for (const [x, message] of cases) {
      expectError(h.caught(() => ring.writeFrames(x as never)), TypeError, message);
      expectError(h.caught(() => ring.readFramesInto(x as never)), TypeError, message);
    }
    expect([ring.readAvailable, ring.writeAvailable]).toEqual([1, 7]);
    expect(arr(ring.readFrames())).toEqual([1, 2]);
  });

  test("lengths and counts: RangeError or TypeError naming samples or frames", () => {
    using ring = new Float32RingBuffer(2, 8);
    const cases: [() => unknown, ErrorConstructor, RegExp][] = [
      [() => ring.writeFrames(f32(1, 2, 3)), RangeError, /^samples length \(3\) must be a multiple of channels \(2\)/],
      [() => ring.readFramesInto(new Float32Array(5)), RangeError, /^samples length \(5\) must be a multiple of channels \(2\)/],
      [() => ring.writeFrames(f32(1, 2), 2), RangeError, /^frames \(2\) exceeds the 1 frames in samples/],
      [() => ring.writeFrames(f32(1, 2), -1), RangeError, /^frames must be an integer from 0/],
      [() => ring.writeFrames(f32(1, 2), 0.5), RangeError, /^frames must be an integer/],
      [() => ring.writeFrames(f32(1, 2), "1" as never), TypeError, /^frames must be an integer number/],
      [() => ring.readFrames(-1), RangeError, /^frames must be an integer/],
      [() => ring.readFrames(NaN), RangeError, /^frames must be an integer/],
      [() => ring.readFrames(null as never), TypeError, /^frames must be an integer number, got null/],
      [() => ring.readFrames({ valueOf: () => 1 } as never), TypeError, /^frames must be an integer number/],
      [() => ring.getWriteFrames(2 ** 31), RangeError, /^frames must be an integer from 0 to 1073741824/],
      [() => ring.getReadFrames(Infinity), RangeError, /^frames must be an integer/],
      [() => ring.getReadFrames(undefined as never), TypeError, /^frames must be an integer number, got undefined/],
    ];
    for (const [fn, type, message] of cases) expectError(h.caught(fn), type, message);
    expect([ring.readAvailable, ring.writeAvailable]).toEqual([0, 8]);
  });

  for (const lie of h.LIES) {
    test(`writeFrames and readFramesInto copy exactly the true memory of lying Float32Arrays (${lie.name})`, () => {
      using ring = new Float32RingBuffer(2, 16);
      const src = h.island(32, 4, 8);
      src.view.set(h.ramp(8, 40));
      expect(ring.writeFrames(h.liar(src.memory, 16, 8, lie))).toBe(4);
      expect(arr(ring.readFrames())).toEqual(arr(h.ramp(8, 40)));
      ring.writeFrames(h.ramp(12, 60));
      const dst = h.island(32, 4, 8);
      expect(ring.readFramesInto(h.liar(dst.memory, 16, 8, lie))).toBe(4);
      expect(arr(dst.whole)).toEqual([7, 7, 7, 7, ...arr(h.ramp(8, 60)), ...new Array(20).fill(7)]);
      expect(arr(ring.readFrames())).toEqual(arr(h.ramp(4, 68)));
    });
  }

  test("a Float32Array on a resizable ArrayBuffer is used at its length at the call", () => {
    using ring = new Float32RingBuffer(2, 8);
    const memory = h.resizable(16, 64);
    const x = new Float32Array(memory); // length-tracking
    x.set([1, 2, 3, 4]);
    memory.resize(8);
    expect(ring.writeFrames(x)).toBe(1);
    expect(arr(ring.readFrames())).toEqual([1, 2]);
    memory.resize(0);
    expect(ring.writeFrames(x)).toBe(0);
  });

  test("properties shadowed on the instance, or overridden by a subclass, change nothing the calls do", () => {
    class Liar extends Float32RingBuffer {
      override get channels(): number {
        return 1;
      }
      override get size(): number {
        return 2 ** 30;
      }
    }
    using ring = new Liar(2, 4);
    for (const key of ["channels", "elementSize", "size", "readAvailable", "writeAvailable"]) {
      Object.defineProperty(ring, key, { value: 1 });
    }
    expect(ring.writeFrames(h.ramp(10))).toBe(4);
    expectError(h.caught(() => ring.writeFrames(h.ramp(3))), RangeError, /channels \(2\)/);
    const [n, a, b] = ring.getReadFrames(4);
    expect([n, a.length, b.length]).toEqual([4, 8, 0]);
    expect(arr(ring.readFrames())).toEqual(arr(h.ramp(8)));
  });

  test("called on another object: a TypeError, and the ring it was called on is untouched", () => {
    using plain = new RingBuffer(8, 4);
    plain.write(f32(1, 2));
    const proto = Float32RingBuffer.prototype;
    for (const call of [() => proto.readFrames.call(plain), () => proto.writeFrames.call(plain, f32(1, 2)), () => proto.getReadFrames.call(plain, 1)]) {
      expect(h.caught(call)).toBeInstanceOf(TypeError);
    }
    expect(h.caught(() => proto.readFrames.call(new Proxy(plain, {})))).toBeInstanceOf(TypeError);
    expect(h.caught(() => Object.getOwnPropertyDescriptor(proto, "channels")!.get!.call({}))).toBeInstanceOf(TypeError);
    expect(plain.readAvailable).toBe(1);
    expect(floatsOf(plain.read())).toEqual([1, 2]);
  });

  test("after dispose every call throws, and every view handed out is detached", async () => {
    const before = await h.baseline();
    {
      const ring = new Float32RingBuffer(2, 8);
      ring.writeFrames(h.ramp(10));
      const [, a] = ring.getReadFrames(5);
      const [, w, v] = ring.getWriteFrames(3);
      expect([a.length, w.length, v.length]).toEqual([10, 6, 0]);
      ring[Symbol.dispose]();
      ring[Symbol.dispose]();
      expect(ring.disposed).toBe(true);
      expect([a.length, a.byteLength, w.length]).toEqual([0, 0, 0]);
      a[0] = 1; // harmless
      expect(a[0]).toBeUndefined();
      for (const call of [() => ring.readFrames(), () => ring.writeFrames(f32(1, 2)), () => ring.readFramesInto(f32(1, 2)), () => ring.getReadFrames(1), () => ring.getWriteFrames(1), () => ring.readAvailable]) {
        expectError(h.caught(call), TypeError, /RingBuffer is disposed/);
      }
      // Checked after the arguments were read (they may have run code): the argument errors first.
      expectError(h.caught(() => ring.writeFrames(f32(1))), RangeError, /^samples length/);
      expect(ring.channels).toBe(2);
    }
    expect(await h.settles(before)).toEqual(before);
  });

  test("a view's buffer transferred away: views can no longer be made (a TypeError naming the call), copies still work, the moved memory stays valid", async () => {
    const before = await h.baseline();
    let moved: ArrayBuffer;
    {
      using ring = new Float32RingBuffer(2, 8);
      ring.writeFrames(h.ramp(6));
      const [, first] = ring.getReadFrames(3);
      moved = (first.buffer as ArrayBuffer).transfer();
      expect(first.length).toBe(0);
      expectError(h.caught(() => ring.getReadFrames(1)), TypeError, /^Float32RingBuffer.getReadFrames: the ring's memory was transferred away/);
      expectError(h.caught(() => ring.getWriteFrames(1)), TypeError, /^Float32RingBuffer.getWriteFrames: the ring's memory was transferred away/);
      expectError(h.caught(() => ring.getReadBuffers(1)), TypeError, /^RingBuffer.getReadBuffers: the ring's memory was transferred away/);
      expect(ring.readAvailable).toBe(3);
      expect(arr(ring.readFrames(1))).toEqual([1, 2]);
      expect(ring.writeFrames(f32(7, 8))).toBe(1);
      expect(arr(ring.readFrames())).toEqual([3, 4, 5, 6, 7, 8]);
    }
    // The library keeps that memory (it cannot know who holds it): the moved buffer is still
    // the ring's data, readable and writable.
    const f = new Float32Array(moved);
    expect(arr(f.subarray(0, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    f.fill(5);
    for (let i = 0; i < 100; i++) {
      using churn = new Float32RingBuffer(2, 8);
      churn.writeFrames(new Float32Array(16).fill(-1));
    }
    await h.collect(3);
    expect(f.every((x) => x === 5)).toBe(true);
    expect(memoryUsage().allocations).toBe(before.allocations + 1); // the kept data, and only that
  });

  test("a ring dropped while its Float32Array views are held: after GC they are detached, and the memory is freed", () => {
    const r = runScript(
      "typed-ring-views",
      `
      import { Float32RingBuffer, memoryUsage } from ${MOD};
      import * as h from ${HOSTILE};
      import { forceGc } from ${GC};
      const out = (x) => console.log(JSON.stringify(x));
      const base = await h.baseline();
      let views;
      (() => {
        const r = new Float32RingBuffer(2, 16);
        r.writeFrames(h.ramp(20));
        r.readFrames(6);
        r.writeFrames(h.ramp(20, 40)); // the readable part wraps around
        const [n, a, b] = r.getReadFrames(14);
        const [, w] = r.getWriteFrames(2);
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
      {},
      30_000,
    );
    expect({ status: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(h.jsonLines(r.stdout)).toEqual([
      { n: 14, lengths: [20, 8, 4] },
      { lengths: [0, 0, 0], byteLengths: [0, 0, 0] },
      { reads: [null, null, null] },
      { freed: true },
    ]);
  });
});

describe("Float32RingBuffer with actions (OfflineMixer)", () => {
  test("played on channels 1..channels by default, bit-exact; a record action fills another, read as frames", () => {
    using m = new OfflineMixer({ inputChannels: 3, outputChannels: 3 });
    using out = new Float32RingBuffer(3, 64);
    using back = new Float32RingBuffer(3, 64);
    const data = h.ramp(3 * 40);
    out.writeFrames(data);
    const play = m.playRingBuffer(out);
    const record = m.recordRingBuffer(back, { startFrame: 8 });
    const input = h.ramp(3 * 48, 1000);
    const output = new Float32Array(3 * 48);
    m.process(48, { input, output });
    expect(play.outcome).toBe("ringEnded"); // it ran until the ring had nothing more to give
    expect(play.doneFrames).toBe(40);
    expect(arr(output)).toEqual([...arr(data), ...new Array(24).fill(0)]);
    expect(record.finished).toBe(false);
    expect(arr(back.readFrames())).toEqual(arr(input.subarray(3 * 8)));
    m.cancel(record);
    m.process(1);
    expect(record.outcome).toBe("cancelled");
  });

  test("a channel list maps the frames' samples; a count that disagrees with channels is a RangeError", () => {
    using m = new OfflineMixer({ outputChannels: 3 });
    using ring = new Float32RingBuffer(2, 8);
    ring.writeFrames(f32(1, 2, 3, 4));
    expectError(h.caught(() => m.playRingBuffer(ring, { channels: 3 })), RangeError, /^ringBuffer.elementSize \(8\) must be 4 × channels/);
    const play = m.playRingBuffer(ring, { channels: [3, 1] });
    const output = new Float32Array(3 * 4);
    m.process(4, { output });
    expect(arr(output)).toEqual([2, 0, 1, 4, 0, 3, 0, 0, 0, 0, 0, 0]);
    expect(play.outcome).toBe("ringEnded");
  });

  test("one reader and one writer: a side an action uses refuses the frame calls for that side, naming the call", () => {
    using m = new OfflineMixer({ inputChannels: 2, outputChannels: 2 });
    using ring = new Float32RingBuffer(2, 16);
    ring.writeFrames(h.ramp(8));
    const play = m.playRingBuffer(ring);
    for (const [call, fn] of [["readFrames", () => ring.readFrames()], ["readFramesInto", () => ring.readFramesInto(new Float32Array(2))], ["getReadFrames", () => ring.getReadFrames(1)]] as const) {
      expectError(h.caught(fn), TypeError, new RegExp(`^Float32RingBuffer.${call}: its reading side belongs to a play action`));
    }
    expect(ring.writeFrames(h.ramp(2, 9))).toBe(1); // the writing side is still JavaScript's
    expect(ring.getWriteFrames(1)[0]).toBe(1);
    expect(ring.readAvailable).toBe(5);
    using other = new Float32RingBuffer(2, 16);
    const record = m.recordRingBuffer(other);
    for (const [call, fn] of [["writeFrames", () => other.writeFrames(f32(1, 2))], ["getWriteFrames", () => other.getWriteFrames(1)]] as const) {
      expectError(h.caught(fn), TypeError, new RegExp(`^Float32RingBuffer.${call}: its writing side belongs to a record action`));
    }
    m.cancel(play);
    m.cancel(record);
    m.process(2);
    expect([play.outcome, record.outcome]).toEqual(["cancelled", "cancelled"]);
    expect(ring.readFrames().length).toBe(2 * (5 - play.doneFrames));
    expect(other.writeFrames(f32(1, 2))).toBe(1);
  });

  test("a lent ring is refused by actions, naming ringBuffer", () => {
    using m = new OfflineMixer({ inputChannels: 2, outputChannels: 2 });
    using lent = new Float32RingBuffer(2, undefined, new SharedArrayBuffer(8 * 16));
    expectError(h.caught(() => m.playRingBuffer(lent)), TypeError, /^ringBuffer uses lent memory/);
    expectError(h.caught(() => m.recordRingBuffer(lent)), TypeError, /^ringBuffer uses lent memory/);
  });
});

describe("Float32RingBuffer end to end (JACK loopback)", () => {
  const FS = 48000;
  const BLOCK = 256;
  /** Output frame n comes back as input frame n + DELAY (JACK period 256 + block size 256). */
  const DELAY = 512;
  let m: MixerAndRecorder;
  beforeAll(() => {
    requireJack();
    m = new MixerAndRecorder({ channels: 2, blockSize: BLOCK, queueSize: 256 });
    m.start();
    loopback();
  });
  afterAll(() => m?.close());

  test("three seconds streamed through typed play and record rings come back bit-exact", async () => {
    const totalFrames = 3 * FS;
    using out = new Float32RingBuffer(2, 16384);
    using back = new Float32RingBuffer(2, 16384);
    const value = (n: number, ch: number) => ((n % 1048576) + 1) / 1048576 * (ch === 0 ? 1 : -1);
    let written = 0;
    let turn = 0;
    // Fed alternately through getWriteFrames (zero copy) and writeFrames (a copy).
    const feed = () => {
      const want = Math.min(out.writeAvailable, totalFrames - written);
      if (turn++ % 2 === 0) {
        const [n, a, b] = out.getWriteFrames(want);
        for (const part of [a, b]) {
          for (let i = 0; i < part.length; i += 2, written++) {
            part[i] = value(written, 0);
            part[i + 1] = value(written, 1);
          }
        }
        out.advanceWriteIndex(n);
      } else {
        const samples = new Float32Array(2 * want);
        for (let i = 0; i < want; i++) {
          samples[2 * i] = value(written + i, 0);
          samples[2 * i + 1] = value(written + i, 1);
        }
        written += out.writeFrames(samples);
      }
    };
    let received = 0;
    let leading = 0;
    let mismatches = 0;
    const check = (samples: Float32Array) => {
      for (let i = 0; i < samples.length; i += 2) {
        const l = samples[i];
        const r = samples[i + 1];
        if (received === 0 && l === 0 && r === 0) {
          leading++;
          continue;
        }
        if (received < totalFrames && (l !== value(received, 0) || r !== value(received, 1))) mismatches++;
        received++;
      }
    };
    // Drained alternately through readFrames (a copy) and getReadFrames (zero copy).
    const drain = () => {
      if (turn % 2 === 0) check(back.readFrames());
      else {
        const [n, a, b] = back.getReadFrames(back.readAvailable);
        check(a);
        check(b);
        back.advanceReadIndex(n);
      }
    };
    feed();
    const start = Math.ceil(m.frameTime + 0.2 * FS);
    const record = m.recordRingBuffer(back, { startFrame: start });
    const play = m.playRingBuffer(out, { startFrame: start });
    while (received < totalFrames) {
      feed();
      drain();
      if (record.finished) break;
      await sleep(10);
    }
    await m.wait(play);
    m.cancel(record);
    await m.wait(record);
    drain();
    expect(play.outcome).toBe("ringEnded");
    expect(play.doneFrames).toBe(totalFrames);
    expect(play.startFrame).toBe(start);
    expect(record.startFrame).toBe(start);
    expect(leading).toBe(DELAY);
    expect(received).toBeGreaterThanOrEqual(totalFrames);
    expect(mismatches).toBe(0);
  }, 30_000);
});
