// The callback driven through its exported block-processing entry (no device): the TypeScript
// API, validation and action lifecycle on top of the Zig engine.
import { describe, expect, test } from "bun:test";
import { Action, ActionType, memoryUsage, OfflineMixer, RingBuffer, Sample, StreamClosedError } from "../mod.ts";

const FS = 48000;

function render(m: OfflineMixer, blocks: number, block = 64, channels = 2): Float32Array {
  const out = new Float32Array(blocks * block * channels);
  for (let b = 0; b < blocks; b++) {
    const part = new Float32Array(block * channels);
    m.process(block, { output: part });
    out.set(part, b * block * channels);
  }
  return out;
}

describe("OfflineMixer", () => {
  test("a buffer starts on the rounded sample of its start time and is played whole", () => {
    using m = new OfflineMixer();
    const buf = new Float32Array([1, -1, 2, -2, 3, -3]);
    const a = m.playBuffer(buf, 2, { start: 100.4 / FS });
    expect(a.type).toBe(ActionType.PLAY_BUFFER);
    expect(a.totalFrames).toBe(3);
    expect(a.mapping).toEqual([1, 2]);
    const out = render(m, 4);
    expect(Array.from(out.subarray(200, 206))).toEqual([1, -1, 2, -2, 3, -3]);
    expect(out.reduce((s, x) => s + Math.abs(x), 0)).toBe(12);
    expect(a.finished).toBe(true);
    expect(a.outcome).toBe("done");
    expect(a.doneFrames).toBe(3);
    expect(a.startFrame).toBe(100);
    expect(a.actualTime).toBeCloseTo(100 / FS, 12);
    expect(m.actions.size).toBe(0);
  });

  test("buffers of up to 4 KiB (through the request block) and larger ones play their exact samples", () => {
    using m = new OfflineMixer({ outputChannels: 1 });
    // 1024 frames of mono are 4096 bytes, the most the request block holds; 1025 go by pointer.
    const ramp = (n: number, base: number) => Float32Array.from({ length: n }, (_, i) => base + i / 4096);
    const small = ramp(1024, 0.25);
    const large = ramp(1025, -0.5);
    const a = m.playBuffer(small, [1], { startFrame: 0 });
    const b = m.playBuffer(large, [1], { startFrame: 2048 });
    small.fill(9); // each action holds its own copy from the submit on
    large.fill(9);
    const out = render(m, 64, 64, 1);
    expect(Array.from(out.subarray(0, 1024))).toEqual(Array.from(ramp(1024, 0.25)));
    expect(out.subarray(1024, 2048).every((x) => x === 0)).toBe(true);
    expect(Array.from(out.subarray(2048, 3073))).toEqual(Array.from(ramp(1025, -0.5)));
    expect([a.outcome, b.outcome, a.doneFrames, b.doneFrames]).toEqual(["done", "done", 1024, 1025]);
  });

  test("fields are live while the action runs", () => {
    using m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(2 * 200), 2);
    expect(a.doneFrames).toBe(0);
    expect(a.finished).toBe(false);
    m.process(64);
    expect(a.doneFrames).toBe(64);
    expect(a.outcome).toBe("pending");
    expect(m.actions.has(a)).toBe(true);
    m.process(64);
    expect(a.doneFrames).toBe(128);
  });

  test("doneFrames and stats stay live block by block while voices play steadily, in blocks of any size", () => {
    // After its first whole block a steady voice is mixed on the callback's fast path, which
    // leaves its report alone: what the action reads is derived from the stream's frame clock.
    using m = new OfflineMixer();
    const frames = 64 * 50;
    const a = m.playBuffer(new Float32Array(2 * frames).fill(0.25), 2);
    const b = m.playBuffer(new Float32Array(frames).fill(0.5), [2], { gain: 0.5 });
    const sizes = [64, 64, 64, 64, 64, 32, 64, 64, 64, 128, 64, 64, 64, 16, 64, 64, 64];
    let done = 0;
    sizes.forEach((size, i) => {
      m.process(size);
      done += size;
      const seen = sizes.slice(0, i + 1);
      for (const x of [a, b]) {
        expect(x.doneFrames).toBe(done);
        const { blocks, minBlockSize, maxBlockSize } = x.stats;
        expect([blocks, minBlockSize, maxBlockSize]).toEqual([i + 1, Math.min(...seen), Math.max(...seen)]);
      }
    });
    m.cancel(a);
    m.process(64);
    expect(a.outcome).toBe("cancelled");
    expect([a.doneFrames, a.stats.blocks]).toEqual([done, sizes.length + 1]);
    expect([b.doneFrames, b.stats.blocks]).toEqual([done + 64, sizes.length + 1]);
    m.close();
    expect(b.outcome).toBe("aborted");
    expect([b.doneFrames, b.stats.blocks]).toEqual([done + 64, sizes.length + 1]);
  });

  test("a mapping onto channel 2 only sounds on channel 2; overlapping buffers sum", () => {
    using m = new OfflineMixer();
    m.playBuffer(new Float32Array(64).fill(0.5), [2]);
    m.playBuffer(new Float32Array(128).fill(0.25), 2, { startFrame: 32 });
    const out = render(m, 1);
    for (let f = 0; f < 64; f++) {
      expect(out[2 * f]).toBe(f >= 32 ? 0.25 : 0);
      expect(out[2 * f + 1]).toBe(f >= 32 ? 0.75 : 0.5);
    }
  });

  test("a belated action without allowBelated is dropped: actualTime 0, doneFrames 0", () => {
    using m = new OfflineMixer();
    render(m, 2);
    const dropped = m.playBuffer(new Float32Array(2).fill(1), 2, { start: 10 / FS, allowBelated: false });
    const late = m.playBuffer(new Float32Array(2).fill(1), 2, { start: 10 / FS });
    const out = render(m, 1);
    expect(dropped.outcome).toBe("belated");
    expect(dropped.actualTime).toBe(0);
    expect(dropped.doneFrames).toBe(0);
    expect(late.outcome).toBe("done");
    expect(late.startFrame).toBe(128);
    expect(out[0]).toBe(1);
  });

  test("cancel at a time cuts playback at exactly that sample", async () => {
    using m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(2 * 1000).fill(1), 2);
    const c = m.cancel(a, { time: 150 / FS });
    expect(c.type).toBe(ActionType.CANCEL);
    expect(c.target).toBe(a);
    const out = render(m, 4);
    for (let f = 0; f < 256; f++) expect(out[2 * f]).toBe(f < 150 ? 1 : 0);
    await m.wait(a);
    expect(a.outcome).toBe("cancelled");
    expect(a.doneFrames).toBe(150);
    expect(c.outcome).toBe("done");
  });

  test("recordBuffer records the mapped input channels from its start sample", () => {
    using m = new OfflineMixer({ inputChannels: 2, outputChannels: 0 });
    const dst = new Float32Array(2 * 50);
    const a = m.recordBuffer(dst, [2, 1], { startFrame: 10 });
    const input = new Float32Array(2 * 64).map((_, i) => (i % 2 === 0 ? i / 2 : -i));
    m.process(64, { input });
    expect(a.outcome).toBe("done");
    for (let f = 0; f < 50; f++) {
      expect(dst[2 * f + 1]).toBe(10 + f);
      expect(dst[2 * f]).toBe(input[2 * (10 + f) + 1]);
    }
  });

  test("ring buffers stream through play and record actions, ending when they run dry", () => {
    using m = new OfflineMixer({ inputChannels: 1, outputChannels: 1 });
    using ring = new RingBuffer(4, 256);
    ring.write(new Float32Array(100).map((_, i) => i + 1));
    const play = m.playRingBuffer(ring);
    expect(play.channels).toBe(1);
    expect(play.totalFrames).toBe(Infinity);
    const out = new Float32Array(64);
    m.process(64, { output: out });
    expect(out[63]).toBe(64);
    m.process(64, { output: out });
    expect(out[35]).toBe(100);
    expect(out[36]).toBe(0);
    expect(play.outcome).toBe("ringEnded");
    expect(play.doneFrames).toBe(100);
    using rec = new RingBuffer(4, 64);
    const record = m.recordRingBuffer(rec, { channels: [1] });
    m.process(64, { input: new Float32Array(64).fill(7) });
    expect(Array.from(new Float32Array(rec.read().buffer)).every((x) => x === 7)).toBe(true);
    m.process(64, { input: new Float32Array(64).fill(8) });
    expect(record.outcome).toBe("pending");
    expect(rec.readAvailable).toBe(64);
    m.process(64, { input: new Float32Array(64) });
    expect(record.outcome).toBe("ringEnded");
  });

  test("fetchAndResetStats hands over the stream's stats; per-action stats count only its blocks", () => {
    using m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(2 * 100), 2, { startFrame: 100 });
    for (let i = 0; i < 5; i++) m.process(64);
    m.process(32, { statusFlags: 4 });
    expect(a.stats.blocks).toBe(3);
    const s = m.fetchAndResetStats();
    m.process(64);
    expect(s.type).toBe(ActionType.FETCH_AND_RESET_STATS);
    expect(s.stats).toEqual({
      blocks: 7,
      minBlockSize: 32,
      maxBlockSize: 64,
      inputUnderflows: 0,
      inputOverflows: 0,
      outputUnderflows: 1,
      outputOverflows: 0,
    });
    expect(m.stats.blocks).toBe(0);
  });

  test("wait resolves for one action and for all", async () => {
    using m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(2 * 64), 2);
    const b = m.playBuffer(new Float32Array(2 * 128), 2);
    let all = false;
    const waitAll = m.wait().then(() => (all = true));
    m.process(64);
    await m.wait(a, { sleepTime: 1 });
    expect(a.finished).toBe(true);
    expect(all).toBe(false);
    m.process(64);
    await waitAll;
    expect(b.finished).toBe(true);
  });

  test("queueSize limits nothing: 10,000 actions wait at once, and every one comes back", () => {
    using m = new OfflineMixer({ queueSize: 4 });
    const buf = new Float32Array([1, 1]);
    const actions = Array.from({ length: 10_000 }, (_, i) => m.playBuffer(buf, 2, { startFrame: 64 + (i % 64) }));
    expect(m.actions.size).toBe(10_000);
    const out = new Float32Array(2 * 128);
    m.process(64);
    m.process(128, { output: out });
    expect(actions.every((a) => a.outcome === "done")).toBe(true);
    expect(m.actions.size).toBe(0);
    // 10,000 unit samples spread evenly over frames 64..127 of the stream (0..63 of this block).
    for (let f = 0; f < 64; f++) expect(out[2 * f]).toBe(Math.floor(10_000 / 64) + (f < 10_000 % 64 ? 1 : 0));
    expect(m.playBuffer(buf, 2)).toBeInstanceOf(Action);
  });

  test("closing settles pending waits with StreamClosedError and marks actions aborted", async () => {
    const m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(2 * 64), 2, { startFrame: 10_000 });
    const waiting = m.wait(a, { sleepTime: 1 });
    m.close();
    await expect(waiting).rejects.toThrow(StreamClosedError);
    expect(a.outcome).toBe("aborted");
    expect(() => m.playBuffer(new Float32Array(2), 2)).toThrow(/closed/);
    m.close(); // harmless twice
  });

  test("100,000 actions through the pool return native memory to its baseline", () => {
    const baseline = memoryUsage().allocations;
    {
      using m = new OfflineMixer({ queueSize: 256 });
      const buf = new Float32Array(2 * 16);
      for (let i = 0; i < 100_000; i++) {
        const kind = i % 4;
        if (kind === 0) m.playBuffer(buf, 2);
        else if (kind === 1) m.cancel(m.playBuffer(buf, 2, { startFrame: m.frameTime + 10_000 }));
        else if (kind === 2) m.playBuffer(buf, 2, { startFrame: 0, allowBelated: false });
        if (m.actions.size > 200) m.process(64);
      }
      while (m.actions.size > 0) m.process(64);
    }
    expect(memoryUsage().allocations).toBe(baseline);
  });

  test("a Sample is played by many actions at once, and outlives its disposal while they play", () => {
    const baseline = memoryUsage().allocations;
    {
      using m = new OfflineMixer();
      const sample = new Sample(new Float32Array([0.25, 0.5, 0.25, 0.5]), { channels: 2 });
      expect(sample.length).toBe(4);
      expect(sample.frames).toBe(2);
      const a = m.playBuffer(sample, 2, { startFrame: 0 });
      const b = m.playBuffer(sample, 2, { startFrame: 1 });
      expect(a.sample).toBe(sample);
      expect(a.totalFrames).toBe(2);
      sample[Symbol.dispose](); // the actions keep the samples alive
      expect(sample.disposed).toBe(true);
      const out = render(m, 1);
      expect(Array.from(out.subarray(0, 6))).toEqual([0.25, 0.5, 0.5, 1, 0.25, 0.5]);
      expect([a.outcome, b.outcome]).toEqual(["done", "done"]);
      expect(() => m.playBuffer(sample, 2)).toThrow(/buffer: the Sample is disposed/);
      using mono = new Sample(new Float32Array(3));
      expect(() => m.playBuffer(mono, 2)).toThrow(/channels: the Sample has 1 channel and channels names 2/);
      expect(() => new Sample(new Float32Array(3), { channels: 2 })).toThrow(/multiple of/);
      expect(() => new Sample([1, 2] as never)).toThrow(/data must be a Float32Array, got an Array of numbers/);
    }
    expect(memoryUsage().allocations).toBe(baseline);
  });

  describe("bad input names the argument", () => {
    const cases: [string, (m: OfflineMixer) => unknown, ErrorConstructor, RegExp][] = [
      ["buffer of float64", (m) => m.playBuffer(new Float64Array(4) as never, 2), TypeError, /buffer must be a Float32Array/],
      ["buffer not a typed array", (m) => m.playBuffer([1, 2] as never, 2), TypeError, /buffer must be a Float32Array/],
      ["length not a multiple of channels", (m) => m.playBuffer(new Float32Array(3), 2), RangeError, /multiple of the channel count/],
      ["channel number 0", (m) => m.playBuffer(new Float32Array(2), [0, 1]), RangeError, /channels\[0\] \(1-based channel number\)/],
      ["channel out of range", (m) => m.playBuffer(new Float32Array(2), [1, 3]), RangeError, /channels\[1\]/],
      ["too many channels", (m) => m.playBuffer(new Float32Array(3), 3), RangeError, /exceeds the stream's 2 output channels/],
      ["fractional channel count", (m) => m.playBuffer(new Float32Array(3), 1.5), RangeError, /channels must be an integer/],
      ["empty mapping", (m) => m.playBuffer(new Float32Array(3), []), RangeError, /channels must list/],
      ["NaN start", (m) => m.playBuffer(new Float32Array(2), 2, { start: NaN }), RangeError, /start must be a finite number/],
      ["Infinity start", (m) => m.playBuffer(new Float32Array(2), 2, { start: Infinity }), RangeError, /start/],
      ["negative start", (m) => m.playBuffer(new Float32Array(2), 2, { start: -1 }), RangeError, /start/],
      ["string start", (m) => m.playBuffer(new Float32Array(2), 2, { start: "1" as never }), TypeError, /start must be a number/],
      ["start and startFrame", (m) => m.playBuffer(new Float32Array(2), 2, { start: 1, startFrame: 1 }), TypeError, /not both/],
      ["fractional startFrame", (m) => m.playBuffer(new Float32Array(2), 2, { startFrame: 1.5 }), RangeError, /startFrame/],
      ["allowBelated not boolean", (m) => m.playBuffer(new Float32Array(2), 2, { allowBelated: 1 as never }), TypeError, /allowBelated/],
      ["options not an object", (m) => m.playBuffer(new Float32Array(2), 2, 5 as never), TypeError, /options must be an object/],
      ["a misspelt option", (m) => m.playBuffer(new Float32Array(2), 2, { startTime: 1 } as never), TypeError, /unknown option "startTime"/],
      ["a misspelt cancel option", (m) => m.fetchAndResetStats({ start: 1 } as never), TypeError, /unknown option "start" \(allowed: time, frame, allowBelated\)/],
      ["record on a mixer without input", (m) => m.recordBuffer(new Float32Array(2), 2), TypeError, /no input channels/],
      ["ring element size mismatch", (m) => m.playRingBuffer(new RingBuffer(12, 4), { channels: 2 }), RangeError, /elementSize \(12\) must be 4 × channels/],
      ["ring element size not float", (m) => m.playRingBuffer(new RingBuffer(6, 4)), RangeError, /multiple of 4/],
      ["not a ring buffer", (m) => m.playRingBuffer({} as never), TypeError, /ringBuffer must be a RingBuffer/],
      ["cancel of a non-action", (m) => m.cancel({} as never), TypeError, /action must be an Action/],
      ["wait on a non-action", (m) => m.wait(5 as never), TypeError, /action must be an Action/],
    ];
    for (const [name, fn, type, message] of cases) {
      test(name, async () => {
        using m = new OfflineMixer();
        let error: unknown;
        try {
          await fn(m);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(type);
        expect(String((error as Error).message)).toMatch(message);
        expect(m.actions.size).toBe(0);
      });
    }

    test("a disposed ring buffer", () => {
      using m = new OfflineMixer();
      const ring = new RingBuffer(8, 4);
      ring[Symbol.dispose]();
      expect(() => m.playRingBuffer(ring)).toThrow(/ringBuffer is disposed/);
    });

    test("an action from another mixer", () => {
      using a = new OfflineMixer();
      using b = new OfflineMixer();
      const action = a.playBuffer(new Float32Array(2), 2);
      expect(() => b.cancel(action)).toThrow(/another stream/);
    });
  });
});
