// Gain changes, loops, fading cancels, gapless chains, ring underflow with silence and mix
// matrices, end to end through PortAudio on the JACK dummy server: what the mixer plays is
// recorded back through a loopback of the stream's own ports and compared sample by sample with
// what zig/mixer.zig's formulas give (the gain is computed in f64, rounded to float32, and each
// output sample is the float32 `src * gain`). Signals and gains are chosen so that the products
// are exact in float32, or computed here with Math.fround exactly as the callback does.
// The tests check what is heard and what the actions report, never how long anything took.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Action, MixerAndRecorder, pan, RingBuffer } from "../mod.ts";
import { loopback, noise, requireJack, sleep } from "./helpers/jack.ts";

const FS = 48000;
const BLOCK = 256;
/** Output frame n comes back as input frame n + DELAY (JACK period 256 + block size 256), as in tests/mixer.test.ts. */
const DELAY = 512;
const f32 = Math.fround;

/** Records what the stream plays at output frames [from, from + frames), stereo. */
function capture(m: MixerAndRecorder, from: number, frames: number): { data: Float32Array; action: Action } {
  const data = new Float32Array(frames * 2);
  const action = m.recordBuffer(data, 2, { startFrame: from + DELAY, allowBelated: false });
  return { data, action };
}

/**
 * A frame well ahead of the callback, so that nothing scheduled there is belated even on a
 * loaded machine.
 */
const ahead = (m: MixerAndRecorder, seconds = 0.3) => Math.ceil(m.frameTime + seconds * FS);

/** A stereo buffer of `frames` frames, every sample `value`. */
const constant = (frames: number, value: number) => new Float32Array(frames * 2).fill(value);

/** The frames [from, to) of an interleaved stereo recording where `expected(frame, channel)` is not what was heard. */
function mismatches(
  data: Float32Array,
  from: number,
  to: number,
  expected: (frame: number, channel: number) => number,
): { frame: number; channel: number; heard: number; expected: number }[] {
  const bad = [];
  for (let f = from; f < to; f++) {
    for (let c = 0; c < 2; c++) {
      const e = expected(f, c);
      if (!Object.is(data[2 * f + c] + 0, e + 0)) bad.push({ frame: f, channel: c, heard: data[2 * f + c], expected: e });
      if (bad.length >= 5) return bad;
    }
  }
  return bad;
}

describe("Expressive playback end to end (JACK loopback)", () => {
  let m: MixerAndRecorder;
  beforeAll(() => {
    requireJack();
    m = new MixerAndRecorder({ channels: 2, blockSize: BLOCK, queueSize: 256 });
    m.start();
    loopback();
  });
  afterAll(() => m?.close());

  test("setGain at a frame changes the level at exactly that frame", async () => {
    const p = ahead(m);
    const at = 1234; // not on a block edge
    const play = m.playBuffer(constant(4000, 0.5), 2, { startFrame: p });
    const change = m.setGain(play, 0.5, { frame: p + at });
    const rec = capture(m, p - 100, 4200);
    await m.wait();
    expect(play.outcome).toBe("done");
    expect(change.outcome).toBe("done");
    expect(rec.action.outcome).toBe("done");
    expect(play.startFrame).toBe(p);
    const expected = (f: number) => (f < 100 || f >= 4100 ? 0 : f < 100 + at ? 0.5 : 0.25);
    expect(mismatches(rec.data, 0, 4200, expected)).toEqual([]);
    expect(play.gain).toBe(0.5);
  });

  test("a linear gain ramp starts at its frame and follows from + (to - from)·t, rounded to float32", async () => {
    const p = ahead(m);
    const at = 1000;
    const ramp = 480; // 10 ms
    const play = m.playBuffer(constant(3000, 0.5), 2, { startFrame: p, gain: 0.5 });
    m.setGain(play, 0, { frame: p + at, ramp: ramp / FS });
    const rec = capture(m, p, 3000);
    await m.wait();
    expect(play.outcome).toBe("done");
    const gain = (f: number) => (f < at ? 0.5 : f >= at + ramp ? 0 : 0.5 + (0 - 0.5) * ((f - at) * (1 / ramp)));
    expect(mismatches(rec.data, 0, 3000, (f) => f32(0.5 * f32(gain(f))))).toEqual([]);
    // The level falls on every frame of the ramp, and is silent from its end.
    for (let f = at + 1; f < at + ramp; f++) expect(rec.data[2 * f]).toBeLessThan(rec.data[2 * f - 2]);
    expect(rec.data[2 * (at + ramp - 1)]).toBeGreaterThan(0);
    expect(play.gain).toBe(0);
  });

  test("a short buffer looped 5 times comes back as 5 bit-exact copies with no gap", async () => {
    const buf = noise(300, 2, 21); // 300 frames: the wraps fall inside blocks and across their edges
    const p = ahead(m);
    const play = m.playBuffer(buf, 2, { startFrame: p, loop: 5 });
    const rec = capture(m, p - 100, 1700);
    await m.wait();
    expect(play.outcome).toBe("done");
    expect(play.doneFrames).toBe(1500);
    expect(Array.from(rec.data.subarray(0, 200))).toEqual(new Array(200).fill(0));
    for (let k = 0; k < 5; k++) {
      const at = 2 * (100 + 300 * k);
      expect(rec.data.subarray(at, at + buf.length)).toEqual(buf);
    }
    expect(Array.from(rec.data.subarray(2 * 1600))).toEqual(new Array(200).fill(0));
  });

  test("a loop region [loopStart, loopEnd) repeats between the head and the tail of the buffer", async () => {
    const buf = noise(500, 2, 22);
    const p = ahead(m);
    const play = m.playBuffer(buf, 2, { startFrame: p, loop: 3, loopStart: 100, loopEnd: 300 });
    const rec = capture(m, p, 1000);
    await m.wait();
    expect(play.outcome).toBe("done");
    expect(play.doneFrames).toBe(900);
    const frames = (a: number, b: number) => buf.subarray(2 * a, 2 * b);
    const expected = new Float32Array(2 * 1000);
    expected.set(frames(0, 300), 0);
    expected.set(frames(100, 300), 2 * 300);
    expected.set(frames(100, 300), 2 * 500);
    expected.set(frames(300, 500), 2 * 700);
    expect(rec.data).toEqual(expected);
  });

  test("loop: true loops until cancelled, the cancel cutting at its exact frame", async () => {
    const buf = noise(97, 2, 23); // a prime length: no wrap on a block edge for a while
    const p = ahead(m);
    const play = m.playBuffer(buf, 2, { startFrame: p, loop: true });
    m.cancel(play, { frame: p + 2000 });
    const rec = capture(m, p, 2100);
    await m.wait();
    expect(play.outcome).toBe("cancelled");
    expect(play.doneFrames).toBe(2000);
    expect(mismatches(rec.data, 0, 2100, (f, c) => (f < 2000 ? buf[2 * (f % 97) + c] : 0))).toEqual([]);
  });

  test("cancel with a fade falls linearly from the cancel frame to silence, then ends the action", async () => {
    const p = ahead(m);
    const at = 1000;
    const fade = 480; // 10 ms
    const play = m.playBuffer(constant(20000, 0.5), 2, { startFrame: p });
    const cancel = m.cancel(play, { frame: p + at, fade: fade / FS });
    const rec = capture(m, p, 2000);
    await m.wait();
    expect(cancel.outcome).toBe("done");
    expect(play.outcome).toBe("cancelled");
    expect(play.doneFrames).toBe(at + fade);
    // gainAt: (end - x) · (1 / (end - start)) from the cancel's frame: 1 there, 1/fade on the last frame.
    const gain = (f: number) => (f < at ? 1 : f < at + fade ? (at + fade - f) * (1 / fade) : 0);
    expect(mismatches(rec.data, 0, 2000, (f) => f32(0.5 * f32(gain(f))))).toEqual([]);
    // Linear: equal steps of 0.5 / fade all the way down (up to the float32 rounding of each gain).
    const step = 0.5 / fade;
    for (let f = at + 1; f < at + fade; f++) expect(Math.abs(rec.data[2 * f - 2] - rec.data[2 * f] - step)).toBeLessThan(1e-7);
    expect(rec.data[2 * (at + fade)]).toBe(0);
    expect(play.gain).toBeCloseTo(1 / fade, 12);
  });

  test("b with { after: a } starts on the frame after a's last one (a gapless chain of three)", async () => {
    const a = noise(700, 2, 31); // ends inside a block
    const b = noise(500, 2, 32);
    const c = noise(256, 2, 33);
    const p = ahead(m);
    const pa = m.playBuffer(a, 2, { startFrame: p });
    const pb = m.playBuffer(b, 2, { after: pa });
    const pc = m.playBuffer(c, 2, { after: pb, loop: 2 });
    const rec = capture(m, p - 50, 1800);
    await m.wait();
    for (const x of [pa, pb, pc]) expect(x.outcome).toBe("done");
    expect(pb.startFrame).toBe(p + 700);
    expect(pc.startFrame).toBe(p + 1200);
    const expected = new Float32Array(2 * 1800);
    expected.set(a, 2 * 50);
    expected.set(b, 2 * 750);
    expected.set(c, 2 * 1250);
    expected.set(c, 2 * 1506);
    expect(rec.data).toEqual(expected);
  });

  test("a chained action starts at the frame a cancel ends its predecessor, and after a cancel's fade", async () => {
    const p = ahead(m);
    const a = m.playBuffer(constant(48000, 0.5), 2, { startFrame: p });
    const tail = noise(400, 2, 34);
    const b = m.playBuffer(tail, 2, { after: a, fadeIn: 0 });
    m.cancel(a, { frame: p + 1111 });
    const rec = capture(m, p, 1600);
    const q = ahead(m, 0.6);
    const c = m.playBuffer(constant(48000, 0.5), 2, { startFrame: q });
    const d = m.playBuffer(tail, 2, { after: c });
    m.cancel(c, { frame: q + 333, fade: 100 / FS });
    const rec2 = capture(m, q, 900);
    await m.wait();
    expect(a.outcome).toBe("cancelled");
    expect(b.outcome).toBe("done");
    expect(b.startFrame).toBe(p + 1111);
    expect(mismatches(rec.data, 0, 1600, (f, ch) => (f < 1111 ? 0.5 : f < 1511 ? tail[2 * (f - 1111) + ch] : 0))).toEqual([]);
    expect(c.outcome).toBe("cancelled");
    expect(d.startFrame).toBe(q + 433);
    const faded = (f: number) => f32(0.5 * f32((433 - f) / 100));
    expect(mismatches(rec2.data, 0, 900, (f, ch) => (f < 333 ? 0.5 : f < 433 ? faded(f) : f < 833 ? tail[2 * (f - 433) + ch] : 0)))
      .toEqual([]);
  });

  test("a ring that runs dry with onUnderflow: \"silence\" plays zeros, counts them, and resumes bit-exact", async () => {
    using ring = new RingBuffer(8, 16384); // stereo float32 frames
    const first = noise(1000, 2, 41);
    const second = noise(1500, 2, 42);
    expect(ring.write(first)).toBe(1000);
    const p = ahead(m);
    const span = FS; // one second of recording from the start
    const rec = capture(m, p, span);
    const play = m.playRingBuffer(ring, { startFrame: p, onUnderflow: "silence" });
    // Wait until the callback has played the ring dry and counted silence.
    for (let i = 0; i < 500 && play.silentFrames === 0; i++) await sleep(5);
    expect(play.silentFrames).toBeGreaterThan(0);
    expect(play.outcome).toBe("pending");
    expect(ring.write(second)).toBe(1500);
    await m.wait(rec.action);
    expect(rec.action.outcome).toBe("done");
    // Still alive after a second, most of it silence, until it is cancelled.
    expect(play.outcome).toBe("pending");
    expect(play.finished).toBe(false);
    const end = ahead(m, 0.2);
    m.cancel(play, { frame: end });
    await m.wait(play);
    expect(play.outcome).toBe("cancelled");
    expect(play.doneFrames).toBe(end - p);
    expect(play.silentFrames).toBe(end - p - 2500);
    // What was heard: the first data, silence, the second data (from the first block after it was written), silence.
    expect(rec.data.subarray(0, 2000)).toEqual(first);
    const resumed = rec.data.findIndex((v, i) => i >= 2000 && v !== 0) / 2;
    expect(resumed).toBeGreaterThan(1000);
    expect(resumed + 1500).toBeLessThanOrEqual(span);
    expect(Array.from(rec.data.subarray(2000, 2 * resumed)).every((v) => v === 0)).toBe(true);
    expect(rec.data.subarray(2 * resumed, 2 * (resumed + 1500))).toEqual(second);
    expect(Array.from(rec.data.subarray(2 * (resumed + 1500))).every((v) => v === 0)).toBe(true);
  });

  test("a mono source panned onto 2 channels gets cos/sin gains per channel; a 2-row matrix sums its routes", async () => {
    const mono = noise(600, 1, 51);
    const p = ahead(m);
    const [[l, r]] = pan(-0.5);
    expect(l ** 2 + r ** 2).toBeCloseTo(1, 12); // equal power
    expect(l).toBeGreaterThan(r);
    const a = m.playBuffer(mono, [1, 2], { startFrame: p, matrix: pan(-0.5) });
    const b = m.playBuffer(mono, [1, 2], { startFrame: p + 1000, matrix: pan(1), gain: 0.5 });
    const stereo = noise(300, 2, 52);
    // Left -> 0.5 left + 0.25 right; right -> right.
    const c = m.playBuffer(stereo, [1, 2], { startFrame: p + 2000, matrix: [[0.5, 0.25], [0, 1]] });
    const rec = capture(m, p, 2400);
    await m.wait();
    for (const x of [a, b, c]) expect(x.outcome).toBe("done");
    const [[bl, br]] = pan(1);
    const expected = (f: number, ch: number) => {
      if (f < 600) return f32(mono[f] * f32(ch === 0 ? l : r));
      if (f >= 1000 && f < 1600) return f32(mono[f - 1000] * f32(0.5 * f32(ch === 0 ? bl : br)));
      if (f >= 2000 && f < 2300) {
        const [sl, sr] = [stereo[2 * (f - 2000)], stereo[2 * (f - 2000) + 1]];
        return ch === 0 ? f32(sl * 0.5) : f32(f32(sl * 0.25) + sr);
      }
      return 0;
    };
    expect(mismatches(rec.data, 0, 2400, expected)).toEqual([]);
    // pan(1) is all right: the left channel gets cos(π/2) ≈ 6e-17 of it, far below any sample.
    expect(Math.abs(rec.data[2 * 1000])).toBeLessThan(1e-15);
  });
});
