// Gain, ramps, fades, loops, gapless chains, mix matrices and the underflow policy, rendered by
// the OfflineMixer (the callback's own block processing) and compared sample by sample with a
// reference computed here from the formulas the engine documents (zig/mixer.zig `automation`,
// `Action.gainAt`): float64 gains rounded to float32, then float32 `out += source × gain`.
import { describe, expect, test } from "bun:test";
import { type Action, dB, OfflineMixer, pan, RingBuffer } from "../mod.ts";

const FS = 48000;
const f32 = Math.fround;

/** Renders `frames` frames in blocks of `block` (odd sizes put changes and wraps mid-block). */
function render(m: OfflineMixer, frames: number, block = 100, channels = 2): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let at = 0; at < frames; at += block) {
    const n = Math.min(block, frames - at);
    const part = new Float32Array(n * channels);
    m.process(n, { output: part });
    out.set(part, at * channels);
  }
  return out;
}

/** A buffer of values that are distinct and exact in float32. */
function noise(n: number, seed = 1): Float32Array {
  const b = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    b[i] = (x / 2 ** 31) * 2 - 1;
  }
  return b;
}

type Curve = "linear" | "exponential" | "target";

/** zig/mixer.zig `automation`. */
function automation(from: number, to: number, rs: number, re: number, curve: Curve, x: number): number {
  if (x <= rs) return x >= re ? to : from;
  if (curve === "target") {
    const tau = re - rs;
    if (tau === 0 || x - rs >= 32 * tau) return to;
    return to + (from - to) * Math.exp(-(x - rs) / tau);
  }
  if (x >= re) return to;
  const t = (x - rs) * (1 / (re - rs));
  if (curve === "exponential" && from > 0 && to > 0) return from * Math.pow(to / from, t);
  return from + (to - from) * t;
}

/** zig/mixer.zig `Action.gainAt` for frame `p` of what an action plays (no cancel fade). */
function fades(g: number, p: number, total: number, fadeIn: number, fadeOut: number): number {
  if (p < fadeIn) g *= p * (1 / fadeIn);
  if (fadeOut > 0 && total - p < fadeOut) g *= (total - p) * (1 / fadeOut);
  return g;
}

describe("gain, fades and gain changes", () => {
  test("gain and fades: every sample is source × f32(gain × fade-in × fade-out)", () => {
    using m = new OfflineMixer();
    const n = 3000;
    const src = noise(2 * n);
    const fadeIn = 0.01; // 480 frames
    const fadeOut = 0.005; // 240 frames
    const a = m.playBuffer(src, 2, { startFrame: 37, gain: 0.3, fadeIn, fadeOut });
    const out = render(m, 3100);
    for (let f = 0; f < 3100; f++) {
      for (let c = 0; c < 2; c++) {
        const p = f - 37;
        const want = p < 0 || p >= n ? 0 : f32(src[2 * p + c] * f32(fades(0.3, p, n, 480, 240)));
        if (out[2 * f + c] !== want) throw new Error(`frame ${f} channel ${c}: ${out[2 * f + c]} !== ${want}`);
      }
    }
    expect(a.outcome).toBe("done");
    expect(a.gain).toBeCloseTo(0.3 / 240, 12);
  });

  for (const curve of ["linear", "exponential", "target"] as const) {
    test(`setGain with a ${curve} ramp starts at its exact frame, mid-block, and follows the curve`, () => {
      using m = new OfflineMixer();
      const src = noise(4000, 7);
      const a = m.playBuffer(src, [1], { startFrame: 0, gain: 0.25 });
      const change = m.setGain(a, 2, { frame: 1234, ramp: 0.01, curve }); // 480 frames
      const out = render(m, 4000, 128);
      let worst = 0;
      for (let f = 0; f < 4000; f++) {
        const want = f32(src[f] * f32(automation(0.25, 2, 1234, 1234 + 480, curve, f)));
        if (f < 1234) expect(out[2 * f]).toBe(f32(src[f] * 0.25));
        worst = Math.max(worst, Math.abs(out[2 * f] - want));
      }
      // Linear is exact; exponential and target step by a constant ratio from each chunk's first
      // frame, within a few float64 ulps of these formulas.
      expect(worst).toBeLessThanOrEqual(curve === "linear" ? 0 : 1e-6);
      expect(change.outcome).toBe("done");
      expect(change.type).toBe(6);
      expect(change.target).toBe(a);
      expect(a.outcome).toBe("done");
      expect(a.gain).toBeCloseTo(curve === "target" ? automation(0.25, 2, 1234, 1714, "target", 3999) : 2, 9);
    });
  }

  test("a gain change by time lands on the frame of that time", () => {
    using m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(1000).fill(1), [2]);
    m.setGain(a, 0.5, { time: 300.4 / FS });
    const out = render(m, 1000);
    for (let f = 0; f < 1000; f++) expect(out[2 * f + 1]).toBe(f < 300 ? 1 : 0.5);
  });

  test("cancel with a fade falls from 1 at its frame to 0, and ends the action there", () => {
    using m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(10000).fill(1), [1], { startFrame: 0 });
    const c = m.cancel(a, { frame: 777, fade: 0.002 }); // 96 frames
    const out = render(m, 1000);
    for (let f = 0; f < 1000; f++) {
      const want = f < 777 ? 1 : f < 873 ? f32((873 - f) * (1 / 96)) : 0;
      expect(out[2 * f]).toBe(want);
    }
    expect(a.outcome).toBe("cancelled");
    expect(a.doneFrames).toBe(873);
    expect(c.outcome).toBe("done");
  });
});

describe("loops", () => {
  test("loop: n with a region plays [0, loopEnd), the region n - 1 more times, then the rest", () => {
    using m = new OfflineMixer();
    const src = noise(500, 3);
    const a = m.playBuffer(src, [1], { startFrame: 11, loop: 5, loopStart: 100, loopEnd: 400 });
    expect(a.totalFrames).toBe(500 + 4 * 300);
    const out = render(m, 1800, 77);
    const want: number[] = new Array(11).fill(0);
    for (let i = 0; i < 400; i++) want.push(src[i]);
    for (let k = 0; k < 4; k++) for (let i = 100; i < 400; i++) want.push(src[i]);
    for (let i = 400; i < 500; i++) want.push(src[i]);
    while (want.length < 1800) want.push(0);
    for (let f = 0; f < 1800; f++) if (out[2 * f] !== want[f]) throw new Error(`frame ${f}: ${out[2 * f]} !== ${want[f]}`);
    expect(a.outcome).toBe("done");
  });

  test("loop: true repeats a Sample until a fading cancel ends it", () => {
    using m = new OfflineMixer();
    const src = noise(2 * 64, 5);
    const a = m.playBuffer(src, 2, { loop: true, gain: 0.5 });
    expect(a.totalFrames).toBe(Infinity);
    const out1 = render(m, 1000);
    for (let f = 0; f < 1000; f++) expect(out1[2 * f + 1]).toBe(f32(src[2 * (f % 64) + 1] * 0.5));
    m.cancel(a, { fade: 0.001 });
    render(m, 100);
    expect(a.outcome).toBe("cancelled");
  });

  test("bad loops are refused, naming the option", () => {
    using m = new OfflineMixer();
    const b = new Float32Array(100);
    expect(() => m.playBuffer(b, [1], { loop: 0 })).toThrow(/loop/);
    expect(() => m.playBuffer(b, [1], { loop: 2.5 })).toThrow(RangeError);
    expect(() => m.playBuffer(b, [1], { loop: 2, loopStart: 50, loopEnd: 50 })).toThrow(/loopEnd/);
    expect(() => m.playBuffer(b, [1], { loop: 2, loopEnd: 101 })).toThrow(/loopEnd/);
    expect(() => m.playBuffer(b, [1], { loopStart: 3 })).toThrow(/loopStart and loopEnd need loop/);
    expect(() => m.playBuffer(new Float32Array(0), [1], { loop: true })).toThrow(/empty/);
    expect(m.actions.size).toBe(0);
  });
});

describe("gapless chains", () => {
  test("each action chained with after starts on the frame the previous one ends, down a chain", () => {
    using m = new OfflineMixer();
    const parts = [noise(130, 1), noise(77, 2), noise(301, 3), noise(5, 4)];
    let prev: Action = m.playBuffer(parts[0], [1], { startFrame: 50 });
    const actions = [prev];
    for (const p of parts.slice(1)) actions.push(prev = m.playBuffer(p, [1], { after: prev }));
    const out = render(m, 700, 64);
    let f = 50;
    for (const [i, p] of parts.entries()) {
      expect(actions[i].startFrame).toBe(f);
      expect(actions[i].after).toBe(i === 0 ? undefined : actions[i - 1]);
      for (let k = 0; k < p.length; k++) expect(out[2 * (f + k)]).toBe(p[k]);
      f += p.length;
    }
    expect(out.subarray(2 * f).every((x) => x === 0)).toBe(true);
  });

  test("after a cancelled action: at the cancel's frame; after a finished one: at once", () => {
    using m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(5000).fill(1), [1], { startFrame: 0 });
    const b = m.playBuffer(new Float32Array(10).fill(2), [1], { after: a });
    m.cancel(a, { frame: 333 });
    const out = render(m, 400);
    expect(b.startFrame).toBe(333);
    expect(out[2 * 332]).toBe(1);
    expect(out[2 * 333]).toBe(2);
    expect(out[2 * 343]).toBe(0);
    const late = m.playBuffer(new Float32Array(10).fill(3), [1], { after: a });
    render(m, 100);
    expect(late.startFrame).toBe(400);
  });

  test("after must be an Action of this mixer, and not with a start", () => {
    using m = new OfflineMixer();
    using other = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(10), [1]);
    const foreign = other.playBuffer(new Float32Array(10), [1]);
    expect(() => m.playBuffer(new Float32Array(10), [1], { after: {} as Action })).toThrow(/after must be an Action/);
    expect(() => m.playBuffer(new Float32Array(10), [1], { after: foreign })).toThrow(/after belongs to another stream/);
    expect(() => m.playBuffer(new Float32Array(10), [1], { after: a, startFrame: 5 })).toThrow(/after or a start/);
    expect(() => m.recordBuffer(new Float32Array(10), [1], { after: foreign })).toThrow(/after/);
  });

  test("a record buffer chained after a play starts where it ends", () => {
    using m = new OfflineMixer({ channels: [1, 1] });
    const a = m.playBuffer(new Float32Array(90), [1], { startFrame: 10 });
    const r = m.recordBuffer(new Float32Array(20), [1], { after: a });
    const input = new Float32Array(200).map((_, i) => i);
    m.process(200, { input, output: new Float32Array(200) });
    expect(r.startFrame).toBe(100);
    expect(Array.from(r.recording!)).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
  });
});

describe("mix matrices", () => {
  test("pan spreads a mono source with equal power; a matrix mixes stereo down to mono", () => {
    using m = new OfflineMixer();
    const src = noise(300, 9);
    const [[l, r]] = pan(-0.5);
    expect(l * l + r * r).toBeCloseTo(1, 12);
    m.playBuffer(src, [1, 2], { matrix: pan(-0.5), gain: 0.5 });
    const stereo = noise(600, 10);
    m.playBuffer(stereo, [2], { matrix: [[0.5], [0.5]] });
    const out = render(m, 300);
    for (let f = 0; f < 300; f++) {
      expect(out[2 * f]).toBe(f32(src[f] * f32(0.5 * f32(l))));
      const right = f32(src[f] * f32(0.5 * f32(r)));
      const down = f32(f32(stereo[2 * f] * 0.5) + f32(stereo[2 * f + 1] * 0.5));
      expect(Math.abs(out[2 * f + 1] - f32(right + down))).toBeLessThanOrEqual(2e-7);
    }
  });

  test("a matrix must fit the source and the channels", () => {
    using m = new OfflineMixer();
    const b = new Float32Array(100);
    expect(() => m.playBuffer(b, [1, 2], { matrix: [[1, 1], [1]] })).toThrow(/matrix\[1\] has 1 entries/);
    expect(() => m.playBuffer(b, [1, 2], { matrix: [[1, 1, 1]] })).toThrow(/3 columns/);
    expect(() => m.playBuffer(b, [1], { matrix: [[NaN]] })).toThrow(/matrix\[0\]\[0\]/);
    expect(() => m.playBuffer(b, [1], { matrix: [] })).toThrow(/matrix/);
    expect(() => m.playBuffer([b, b], [1], { matrix: [[1]] })).toThrow(/1 row/);
    expect(() => pan(2)).toThrow(/position/);
  });
});

describe("ring underflow policy", () => {
  test('onUnderflow "silence" plays zeros while the ring is empty and resumes when data comes', () => {
    using m = new OfflineMixer();
    const ring = new RingBuffer(8, 1024);
    const data = noise(2 * 150, 11);
    ring.write(data);
    const a = m.playRingBuffer(ring, { onUnderflow: "silence", gain: 0.5 });
    const out = render(m, 400);
    for (let f = 0; f < 400; f++) expect(out[2 * f]).toBe(f < 150 ? f32(data[2 * f] * 0.5) : 0);
    expect(a.outcome).toBe("pending");
    expect(a.silentFrames).toBe(250);
    ring.write(data);
    const again = render(m, 100);
    for (let f = 0; f < 100; f++) expect(again[2 * f]).toBe(f32(data[2 * f] * 0.5));
    m.cancel(a);
    m.process(1);
    expect(a.outcome).toBe("cancelled");
    expect(a.silentFrames).toBe(250);
  });

  test('the default ("end") ends the action when the ring runs dry, as rtmixer does', () => {
    using m = new OfflineMixer();
    const ring = new RingBuffer(8, 64);
    ring.write(new Float32Array(2 * 10));
    const a = m.playRingBuffer(ring);
    m.process(64);
    expect(a.outcome).toBe("ringEnded");
    expect(() => m.playRingBuffer(new RingBuffer(8, 64), { onUnderflow: "pause" as "end" })).toThrow(/onUnderflow/);
  });
});

describe("options are checked, naming the argument", () => {
  test("bad gains, fades, ramps and curves", () => {
    using m = new OfflineMixer({ channels: [1, 2] });
    const b = new Float32Array(100);
    expect(() => m.playBuffer(b, [1], { gain: NaN })).toThrow(/gain/);
    expect(() => m.playBuffer(b, [1], { gain: "1" as unknown as number })).toThrow(TypeError);
    expect(() => m.playBuffer(b, [1], { fadeIn: -1 })).toThrow(/fadeIn/);
    expect(() => m.playBuffer(b, [1], { fadeOut: Infinity })).toThrow(/fadeOut/);
    const a = m.playBuffer(b, [1]);
    expect(() => m.setGain(a, NaN)).toThrow(/gain/);
    expect(() => m.setGain(a, 1, { ramp: -0.1 })).toThrow(/ramp/);
    expect(() => m.setGain(a, 1, { curve: "cubic" as "linear" })).toThrow(/curve/);
    expect(() => m.setGain(a, 0, { curve: "exponential", ramp: 1 })).toThrow(/above 0/);
    expect(() => m.setGain({} as Action, 1)).toThrow(/action must be an Action/);
    expect(() => m.cancel(a, { fade: -1 })).toThrow(/fade/);
    const rec = m.recordBuffer(new Float32Array(10), [1]);
    expect(() => m.setGain(rec, 1)).toThrow(/play action/);
    expect(() => m.playRingBuffer(new RingBuffer(8, 64), { fadeOut: 1 } as never)).toThrow(/unknown option "fadeOut"/);
  });

  test("a getter on the options runs once, and closing the mixer from it is caught", () => {
    const m = new OfflineMixer();
    const a = m.playBuffer(new Float32Array(100), [1]);
    let reads = 0;
    const options = {
      get ramp() {
        reads++;
        m.close();
        return 0.1;
      },
    };
    expect(() => m.setGain(a, 0.5, options)).toThrow(/closed/);
    expect(reads).toBe(1);
  });

  test("dB converts decibels to a linear gain", () => {
    expect(dB(0)).toBe(1);
    expect(dB(-20)).toBeCloseTo(0.1, 15);
    expect(dB(6)).toBeCloseTo(1.9953, 4);
    expect(() => dB(NaN)).toThrow(/decibels/);
  });
});
