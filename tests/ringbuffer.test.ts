import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RingBuffer } from "../mod.ts";
import { runtime } from "../src/ffi/mod.ts";
import { ringInternals } from "../src/ringbuffer.ts";
import { support } from "./helpers/support.ts";

const f32 = (...xs: number[]) => new Float32Array(xs);

describe("RingBuffer", () => {
  test("reports its element size, size and availability", () => {
    using ring = new RingBuffer(8, 16);
    expect(ring.elementSize).toBe(8);
    expect(ring.size).toBe(16);
    expect(ring.readAvailable).toBe(0);
    expect(ring.writeAvailable).toBe(16);
  });

  test("write then read returns the same bytes, and all N elements are usable", () => {
    using ring = new RingBuffer(4, 4);
    expect(ring.write(f32(1, 2, 3, 4, 5))).toBe(4);
    expect(ring.readAvailable).toBe(4);
    expect(ring.writeAvailable).toBe(0);
    expect(ring.write(f32(6))).toBe(0);
    const out = ring.read();
    expect(Array.from(new Float32Array(out.buffer))).toEqual([1, 2, 3, 4]);
    expect(ring.readAvailable).toBe(0);
  });

  test("write honours size, read honours size, readInto fills what fits", () => {
    using ring = new RingBuffer(4, 8);
    expect(ring.write(f32(1, 2, 3, 4), 3)).toBe(3);
    expect(Array.from(new Float32Array(ring.read(1).buffer))).toEqual([1]);
    const into = new Float32Array(5);
    expect(ring.readInto(into)).toBe(2);
    expect(Array.from(into)).toEqual([2, 3, 0, 0, 0]);
  });

  test("accepts any ArrayBuffer view or an ArrayBuffer as data", () => {
    using ring = new RingBuffer(2, 8);
    expect(ring.write(new Uint8Array([1, 2, 3, 4]))).toBe(2);
    expect(ring.write(new Int16Array([5]))).toBe(1);
    expect(ring.write(new DataView(new Uint8Array([7, 8]).buffer))).toBe(1);
    expect(ring.write(new Uint8Array([9, 10]).buffer)).toBe(1);
    // A view with an offset writes from its own start.
    expect(ring.write(new Uint8Array([0, 0, 11, 12]).subarray(2))).toBe(1);
    expect(Array.from(ring.read())).toEqual([1, 2, 3, 4, 5, 0, 7, 8, 9, 10, 11, 12]);
  });

  test("getWriteBuffers and getReadBuffers give zero-copy views in two parts at the wrap", () => {
    using ring = new RingBuffer(1, 8);
    ring.advanceWriteIndex(ring.getWriteBuffers(6)[0]);
    ring.advanceReadIndex(ring.getReadBuffers(5)[0]);
    const [count, first, second] = ring.getWriteBuffers(100);
    expect([count, first.length, second.length]).toEqual([7, 2, 5]);
    first.set([1, 2]);
    second.set([3, 4, 5, 6, 7]);
    expect(ring.advanceWriteIndex(7)).toBe(13);
    const [n, a, b] = ring.getReadBuffers(8);
    expect(n).toBe(8);
    expect([...a, ...b].slice(1)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The views are the ring's memory, not copies.
    a[1] = 99;
    expect(ring.read(2)[1]).toBe(99);
  });

  test("flush empties it", () => {
    using ring = new RingBuffer(4, 4);
    ring.write(f32(1, 2));
    ring.flush();
    expect(ring.readAvailable).toBe(0);
    expect(ring.writeAvailable).toBe(4);
  });

  test("a caller's SharedArrayBuffer view is used in place", () => {
    const memory = new Float32Array(new SharedArrayBuffer(32));
    using ring = new RingBuffer(4, undefined, memory);
    expect(ring.size).toBe(8);
    ring.write(f32(0.5, 0.25));
    expect(Array.from(memory.subarray(0, 2))).toEqual([0.5, 0.25]);
    memory[2] = 0.125;
    ring.advanceWriteIndex(1);
    expect(Array.from(new Float32Array(ring.read().buffer))).toEqual([0.5, 0.25, 0.125]);
  });

  test("a SharedArrayBuffer can be lent", () => {
    const shared = new SharedArrayBuffer(16);
    using ring = new RingBuffer(4, undefined, shared);
    ring.write(f32(3));
    expect(new Float32Array(shared)[0]).toBe(3);
  });

  describe("bad input", () => {
    const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
      ["size not a power of two", () => new RingBuffer(4, 3), RangeError, /size must be a power of two/],
      ["size zero", () => new RingBuffer(4, 0), RangeError, /size/],
      ["size too large", () => new RingBuffer(1, 2 ** 31), RangeError, /size/],
      ["fractional size", () => new RingBuffer(4, 2.5), RangeError, /size must be an integer/],
      ["NaN size", () => new RingBuffer(4, NaN), RangeError, /size/],
      ["string size", () => new RingBuffer(4, "8" as unknown as number), TypeError, /size must be an integer/],
      ["elementSize zero", () => new RingBuffer(0, 8), RangeError, /elementSize/],
      ["negative elementSize", () => new RingBuffer(-4, 8), RangeError, /elementSize/],
      ["neither size nor buffer", () => new RingBuffer(4), TypeError, /exactly one of size and buffer/],
      ["both size and buffer", () => new RingBuffer(4, 2, new Float32Array(2)), TypeError, /exactly one/],
      [
        "buffer not a multiple of elementSize",
        () => new RingBuffer(4, undefined, new Uint8Array(new SharedArrayBuffer(10))),
        RangeError,
        /buffer length \(10 bytes\) must be a multiple of elementSize/,
      ],
      [
        "buffer length not a power of two",
        () => new RingBuffer(4, undefined, new Float32Array(new SharedArrayBuffer(24))),
        RangeError,
        /buffer length \/ elementSize must be a power of two/,
      ],
      ["buffer not a buffer", () => new RingBuffer(4, undefined, [1, 2] as unknown as Float32Array), TypeError, /buffer must be/],
      [
        "buffer in memory that can be detached",
        () => new RingBuffer(4, undefined, new Float32Array(8)),
        TypeError,
        /buffer must be a SharedArrayBuffer or a view of one: .* Omit buffer/,
      ],
    ];
    for (const [name, fn, type, message] of cases) {
      test(`constructor: ${name}`, () => {
        expect(fn).toThrow(type);
        expect(fn).toThrow(message);
      });
    }

    test("data whose length is not a multiple of elementSize", () => {
      using ring = new RingBuffer(4, 8);
      expect(() => ring.write(new Uint8Array(6))).toThrow(/data length \(6 bytes\) must be a multiple of elementSize \(4\)/);
      expect(() => ring.readInto(new Uint8Array(3))).toThrow(RangeError);
      expect(() => ring.write("abcd" as unknown as Uint8Array)).toThrow(TypeError);
    });

    test("counts that are negative, fractional, NaN or larger than the data", () => {
      using ring = new RingBuffer(4, 8);
      expect(() => ring.write(f32(1, 2), 3)).toThrow(/size \(3\) exceeds the 2 elements in data/);
      expect(() => ring.write(f32(1), -1)).toThrow(RangeError);
      expect(() => ring.read(1.5)).toThrow(/size must be an integer/);
      expect(() => ring.getReadBuffers(NaN)).toThrow(RangeError);
      expect(() => ring.getWriteBuffers(-2)).toThrow(RangeError);
    });

    test("advancing past what is available", () => {
      using ring = new RingBuffer(4, 8);
      expect(() => ring.advanceReadIndex(1)).toThrow(/size \(1\) exceeds readAvailable \(0\)/);
      ring.write(f32(1, 2, 3));
      expect(() => ring.advanceWriteIndex(6)).toThrow(/size \(6\) exceeds writeAvailable \(5\)/);
      expect(ring.readAvailable).toBe(3);
    });

    test("use after dispose", () => {
      const ring = new RingBuffer(4, 8);
      ring[Symbol.dispose]();
      ring[Symbol.dispose](); // harmless twice
      expect(ring.disposed).toBe(true);
      expect(() => ring.readAvailable).toThrow(/RingBuffer is disposed/);
      expect(() => ring.write(f32(1))).toThrow(/disposed/);
      expect(() => ring.getReadBuffers(1)).toThrow(/disposed/);
    });
  });

  test("once a view's buffer was transferred away, get*Buffers throw a TypeError naming the call; copies still work", () => {
    using ring = new RingBuffer(4, 8);
    ring.write(f32(1, 2, 3));
    const [, first] = ring.getReadBuffers(3);
    const moved = (first.buffer as ArrayBuffer).transfer();
    expect(() => ring.getReadBuffers(1)).toThrow(TypeError);
    expect(() => ring.getReadBuffers(1)).toThrow(/^RingBuffer.getReadBuffers: the ring's memory was transferred away/);
    expect(() => ring.getWriteBuffers(1)).toThrow(/^RingBuffer.getWriteBuffers: the ring's memory was transferred away/);
    expect(ring.readAvailable).toBe(3);
    expect(Array.from(new Float32Array(ring.read(2).buffer))).toEqual([1, 2]);
    expect(ring.write(f32(4))).toBe(1);
    expect(Array.from(new Float32Array(moved, 8, 2))).toEqual([3, 4]); // still the ring's memory
  });

  test("matches a reference model over random operation sequences", () => {
    type Op =
      | { kind: "write"; n: number }
      | { kind: "read"; n: number }
      | { kind: "readInto"; n: number }
      | { kind: "writeParts"; n: number; commit: number }
      | { kind: "readParts"; n: number; commit: number }
      | { kind: "flush" };
    const op = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), n: fc.nat(40) }),
      fc.record({ kind: fc.constant("read" as const), n: fc.nat(40) }),
      fc.record({ kind: fc.constant("readInto" as const), n: fc.nat(40) }),
      fc.record({ kind: fc.constant("writeParts" as const), n: fc.nat(40), commit: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant("readParts" as const), n: fc.nat(40), commit: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant("flush" as const) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8, 16, 32), fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (size, es, ops: Op[]) => {
        using ring = new RingBuffer(es, size);
        const model: number[] = []; // one byte value per element byte
        let counter = 0;
        const fresh = (n: number) => Uint8Array.from({ length: n * es }, () => (counter++ & 0xff));
        for (const o of ops) {
          if (o.kind === "write") {
            const data = fresh(o.n);
            const written = ring.write(data);
            expect(written).toBe(Math.min(o.n, size - model.length / es));
            model.push(...data.subarray(0, written * es));
          } else if (o.kind === "read" || o.kind === "readInto") {
            const expected = model.splice(0, Math.min(o.n, model.length / es) * es);
            if (o.kind === "read") expect(Array.from(ring.read(o.n))).toEqual(expected);
            else {
              const into = new Uint8Array(o.n * es);
              expect(ring.readInto(into)).toBe(expected.length / es);
              expect(Array.from(into.subarray(0, expected.length))).toEqual(expected);
            }
          } else if (o.kind === "writeParts") {
            const [n, a, b] = ring.getWriteBuffers(o.n);
            expect(n).toBe(Math.min(o.n, size - model.length / es));
            expect(a.length + b.length).toBe(n * es);
            const k = Math.floor(n * o.commit);
            const data = fresh(k);
            a.set(data.subarray(0, Math.min(a.length, data.length)));
            b.set(data.subarray(a.length));
            ring.advanceWriteIndex(k);
            model.push(...data);
          } else if (o.kind === "readParts") {
            const [n, a, b] = ring.getReadBuffers(o.n);
            expect(n).toBe(Math.min(o.n, model.length / es));
            expect([...a, ...b]).toEqual(model.slice(0, n * es));
            const k = Math.floor(n * o.commit);
            ring.advanceReadIndex(k);
            model.splice(0, k * es);
          } else {
            ring.flush();
            model.length = 0;
          }
          expect(ring.readAvailable).toBe(model.length / es);
          expect(ring.writeAvailable).toBe(size - model.length / es);
        }
      }),
      { numRuns: 300, seed: Number(runtime.env("FC_SEED") ?? 20261125) },
    );
  });

  const TOTAL = 10_000_000;

  test(`a native writer thread delivers ${TOTAL} elements to JavaScript exactly once, in order`, () => {
    using ring = new RingBuffer(8, 4096);
    const peer = support().rtm_test_ring_peer_start(ringInternals.header(ring, "ring"), TOTAL, 0);
    expect(peer).not.toBeNull();
    const chunk = new Float64Array(1000);
    let next = 0;
    let errors = 0;
    while (next < TOTAL) {
      const got = ring.readInto(chunk);
      for (let i = 0; i < got; i++) if (chunk[i] !== next++) errors++;
    }
    expect(support().rtm_test_ring_peer_join(peer)).toBe(0);

    expect(errors).toBe(0);
    expect(ring.readAvailable).toBe(0);
  });

  test(`JavaScript delivers ${TOTAL} elements to a native reader thread exactly once, in order`, () => {
    using ring = new RingBuffer(8, 4096);
    const peer = support().rtm_test_ring_peer_start(ringInternals.header(ring, "ring"), TOTAL, 1);
    const chunk = new Float64Array(777);
    let next = 0;
    while (next < TOTAL) {
      const [n, first, second] = ring.getWriteBuffers(Math.min(chunk.length, TOTAL - next));
      const a = new Float64Array(first.buffer, first.byteOffset, first.length / 8);
      const b = new Float64Array(second.buffer, second.byteOffset, second.length / 8);
      for (let i = 0; i < a.length; i++) a[i] = next++;
      for (let i = 0; i < b.length; i++) b[i] = next++;
      ring.advanceWriteIndex(n);
    }
    expect(support().rtm_test_ring_peer_join(peer)).toBe(0);

  });
});
