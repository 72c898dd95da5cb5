// Measuring the round trip: the sweep and its deconvolution offline, then measureLatency, playrec
// and recordBuffer's align: "output" through PortAudio on the JACK dummy server, where a loopback
// of the stream's own ports makes the round trip known exactly.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { convolve, expSweep, impulseResponse, MeasurementError, Mixer, MixerAndRecorder, peakOf, Recorder } from "../mod.ts";
import { loopback, noise, requireJack } from "./helpers/jack.ts";

const FS = 48000;
/**
 * The round trip on the loopback, by blockSize: one JACK period (256) from output port to input
 * port, plus PortAudio's own buffer of one block when the block size is fixed.
 */
const ROUND_TRIP = { 256: 512, 0: 256 } as const;

function openLoopback(blockSize: number): MixerAndRecorder {
  requireJack();
  const m = new MixerAndRecorder({ channels: 2, blockSize });
  m.start();
  loopback();
  return m;
}

/** The reason a promise rejected with, or a failure if it resolved. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

/** |H(f)| in dB of a response (a direct DFT at f Hz). */
function levelAt(response: ArrayLike<number>, f: number): number {
  const w = (2 * Math.PI * f) / FS;
  let re = 0, im = 0;
  for (let i = 0; i < response.length; i++) {
    re += response[i] * Math.cos(w * i);
    im -= response[i] * Math.sin(w * i);
  }
  return 10 * Math.log10(re * re + im * im);
}

/** Frequencies from lo to hi Hz, `n` spaced evenly on a log scale. */
const logSpaced = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, k) => lo * (hi / lo) ** (k / (n - 1)));

describe("the sweep and its deconvolution (no device)", () => {
  const { sweep, inverse, referencePeak, referenceHz } = expSweep({ sampleRate: FS, seconds: 0.25 });

  test("a sweep deconvolved by its own inverse is the reference response: 0 dB over the band, a peak of referencePeak at frame 0", async () => {
    const ir = await impulseResponse(sweep, inverse);
    expect(ir.length).toBe(sweep.length);
    const p = peakOf(ir);
    expect(p.frame).toBe(0);
    expect(p.value).toBeCloseTo(referencePeak, 5);
    // A band-limited impulse (20 Hz-20 kHz, less at the bottom where the fade-in is): below 1.
    expect(referencePeak).toBeGreaterThan(0.6);
    expect(referencePeak).toBeLessThan(0.85);
    expect(p.confidence).toBeGreaterThan(1000);
    // The whole of sweep ⊛ inverse (its pre-ringing too, before lag 0): 0 dB at 1 kHz, flat in the band.
    expect(referenceHz).toBe(1000);
    const full = await convolve(sweep, inverse);
    expect(Math.abs(levelAt(full, 1000))).toBeLessThan(0.01);
    for (const f of logSpaced(200, 15000, 40)) expect(Math.abs(levelAt(full, f))).toBeLessThan(0.05);
    // Outside the sweep's band there is nothing.
    expect(levelAt(full, 22000)).toBeLessThan(-40);
  });

  test("a system's gain is the peak over referencePeak, and the spectrum's level: 0.5 is 0.5 and -6.02 dB", async () => {
    const rec = new Float32Array(sweep.length + 4000);
    for (let i = 0; i < sweep.length; i++) rec[100 + i] = 0.5 * sweep[i];
    const ir = await impulseResponse(rec, inverse);
    const p = peakOf(ir);
    expect(p.frame).toBe(100);
    expect(p.value / referencePeak).toBeCloseTo(0.5, 5);
    expect(levelAt(ir, 1000)).toBeCloseTo(20 * Math.log10(0.5), 1);
  });

  test("the reference frequency is 1 kHz, or the band's middle when 1 kHz is not an octave inside it", () => {
    expect(expSweep({ sampleRate: FS, f0: 100, f1: 10000 }).referenceHz).toBe(1000);
    expect(expSweep({ sampleRate: FS, f0: 2000, f1: 8000 }).referenceHz).toBe(4000);
  });

  test("a delay of d frames gives the peak at d; half a frame more gives d + 0.5 within 0.01", async () => {
    const rec = new Float32Array(sweep.length + 2000);
    rec.set(sweep, 777);
    expect(peakOf(await impulseResponse(rec, inverse)).frame).toBe(777);
    const half = new Float32Array(sweep.length + 2000);
    for (let i = 0; i < sweep.length - 1; i++) half[300 + i] = 0.5 * (sweep[i] + sweep[i + 1]);
    const p = peakOf(await impulseResponse(half, inverse));
    expect(Math.abs(p.exactFrame - 299.5)).toBeLessThan(0.01);
  });

  test("the sweep rises from f0 to f1 at the asked level", () => {
    const s = expSweep({ sampleRate: FS, seconds: 1, f0: 100, f1: 10000, level: 0.1 });
    expect(s.sweep.length).toBe(FS);
    expect(Math.max(...s.sweep.map(Math.abs))).toBeCloseTo(0.1, 3);
    // Zero crossings per 10 ms near the start and near the end: about 2·f·0.01.
    const crossings = (from: number) => {
      let n = 0;
      for (let i = from + 1; i < from + 480; i++) if (Math.sign(s.sweep[i]) !== Math.sign(s.sweep[i - 1])) n++;
      return n;
    };
    expect(crossings(4800)).toBeLessThan(6); // ~126 Hz at 0.1 s
    expect(crossings(FS - 1500)).toBeGreaterThan(150); // ~9 kHz near the end
  });

  test("silence has a peak of 0 and confidence 0; a lone impulse has confidence Infinity", () => {
    expect(peakOf(new Float32Array(100))).toEqual({ frame: 0, exactFrame: 0, value: 0, confidence: 0 });
    const one = new Float32Array(100);
    one[40] = -2;
    expect(peakOf(one)).toEqual({ frame: 40, exactFrame: 40, value: -2, confidence: Infinity });
  });

  test("bad options are named", async () => {
    expect(() => expSweep({} as never)).toThrow(/sampleRate is required/);
    expect(() => expSweep({ sampleRate: FS, f0: 500, f1: 100 })).toThrow(/f0 \(500 Hz\) must be below f1/);
    expect(() => expSweep({ sampleRate: FS, level: 2 })).toThrow(RangeError);
    expect(() => expSweep({ sampleRate: FS, level: 0 })).toThrow(/level must be above 0/);
    expect(() => expSweep({ sampleRate: FS, seconds: "1" as never })).toThrow(/seconds must be a number/);
    expect(() => expSweep({ sampleRate: FS, f2: 1 } as never)).toThrow(/unknown option "f2"/);
    expect(() => peakOf(new Float32Array(10), { from: 5, to: 3 })).toThrow(/to must be an integer from 5/);
    expect(await rejection(impulseResponse(sweep, new Float32Array(0)))).toBeInstanceOf(RangeError);
  });
});

for (const blockSize of [256, 0] as const) {
  describe(`measureLatency on the JACK loopback, blockSize ${blockSize}`, () => {
    let m: MixerAndRecorder;
    beforeAll(() => {
      m = openLoopback(blockSize);
    });
    afterAll(() => m?.close());

    test(`finds the round trip of exactly ${ROUND_TRIP[blockSize]} frames`, async () => {
      expect(m.measuredLatency).toBeUndefined();
      const r = await m.measureLatency();
      expect(r.frames).toBe(ROUND_TRIP[blockSize]);
      expect(Math.abs(r.exactFrames - ROUND_TRIP[blockSize])).toBeLessThan(0.01);
      expect(r.seconds).toBe(ROUND_TRIP[blockSize] / FS);
      const [input, output] = m.latency;
      expect(r.reportedFrames).toBe(Math.round((input + output) * FS));
      expect(r.gain).toBeCloseTo(1, 4);
      expect(r.confidence).toBeGreaterThan(100);
      expect(r.inputChannel).toBe(1);
      // The response itself, up to maxLatency (0.5 s): the sweep's own band-limited impulse at the
      // round trip (the sweep measureLatency plays: 0.5 s, 100 Hz to 20 kHz).
      const { referencePeak } = expSweep({ sampleRate: FS, seconds: 0.5, level: 0.25, f0: 100, f1: 20000 });
      expect(r.response.length).toBe(FS / 2);
      expect(peakOf(r.response).frame).toBe(ROUND_TRIP[blockSize]);
      expect(r.response[ROUND_TRIP[blockSize]]).toBeCloseTo(referencePeak, 4);
      expect(referencePeak).toBeLessThan(0.85);
      expect(m.measuredLatency).toEqual(r);
    });

    test("on other channels too: output 2 to input 2, and the clearest of inputs 1 and 2", async () => {
      const r = await m.measureLatency({ outputChannels: [2], inputChannels: [2] });
      expect(r.frames).toBe(ROUND_TRIP[blockSize]);
      expect(r.inputChannel).toBe(2);
      const both = await m.measureLatency({ outputChannels: [2], inputChannels: 2 });
      expect([both.frames, both.inputChannel]).toEqual([ROUND_TRIP[blockSize], 2]);
    });

    test("playrec returns impulses at exactly the frames where they were played", async () => {
      const frames = 6000;
      const buffer = new Float32Array(frames);
      const at = [0, 1, 255, 256, 1000, 4321, frames - 1];
      at.forEach((f, i) => (buffer[f] = (i + 1) / 8));
      const recording = await m.playrec(buffer, 1);
      expect(recording.length).toBe(frames);
      const found = [...recording.keys()].filter((k) => recording[k] !== 0);
      expect(found).toEqual(at);
      expect(recording).toEqual(buffer);
    });

    test('recordBuffer with align: "output" records what an output frame or time sent', async () => {
      if (m.measuredLatency === undefined) await m.measureLatency(); // when run alone (-t)
      const buf = noise(2000, 2, 5);
      const p = Math.ceil(m.frameTime + 0.2 * FS);
      const data = new Float32Array(buf.length);
      const rec = m.recordBuffer(data, 2, { startFrame: p, align: "output", allowBelated: false });
      const play = m.playBuffer(buf, 2, { startFrame: p, allowBelated: false });
      await m.wait();
      expect([play.outcome, rec.outcome]).toEqual(["done", "done"]);
      expect(rec.startFrame - play.startFrame).toBe(ROUND_TRIP[blockSize]);
      expect(data).toEqual(buf);

      // By time: the callback turns it into an output frame for both, by the same clock.
      const t = m.time + 0.2;
      const byTime = new Float32Array(buf.length);
      const rec2 = m.recordBuffer(byTime, 2, { start: t, align: "output", allowBelated: false });
      const play2 = m.playBuffer(buf, 2, { start: t, allowBelated: false });
      await m.wait();
      expect([play2.outcome, rec2.outcome]).toEqual(["done", "done"]);
      expect(rec2.startFrame - play2.startFrame).toBe(ROUND_TRIP[blockSize]);
      expect(byTime).toEqual(buf);
    });
  });
}

describe('playrec and align: "output" with a latency given (JACK loopback, blockSize 256)', () => {
  let m: MixerAndRecorder;
  beforeAll(() => {
    m = openLoopback(256);
  });
  afterAll(() => m?.close());

  test("without a measurement, the round trip is needed: a TypeError says how to get it", async () => {
    const e = await rejection(m.playrec(new Float32Array(10), 1));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/call measureLatency\(\) first, or pass latency/);
    expect(() => m.recordBuffer(new Float32Array(10), 1, { startFrame: m.frameTime + FS, align: "output" })).toThrow(
      /call measureLatency\(\) first, or pass latency/,
    );
  });

  test("playrec with latency records other channels than it plays", async () => {
    const buffer = new Float32Array(3000);
    buffer[17] = 0.5;
    buffer[2900] = -0.25;
    const recording = await m.playrec(buffer, [2], { latency: ROUND_TRIP[256], inputChannels: [2, 1] });
    expect(recording.length).toBe(6000);
    const second = recording.filter((_, i) => i % 2 === 0);
    const first = recording.filter((_, i) => i % 2 === 1);
    expect(second).toEqual(buffer);
    expect(first).toEqual(new Float32Array(3000));
  });

  test("a latency one frame off shifts the recording by one frame", async () => {
    const buffer = new Float32Array(1000);
    buffer[500] = 1;
    const recording = await m.playrec(buffer, 1, { latency: ROUND_TRIP[256] + 1 });
    expect(recording.indexOf(1)).toBe(499);
  });

  test("bad options of playrec and align are named", async () => {
    const buf = new Float32Array(10);
    expect(await rejection(m.playrec(buf, 1, { latency: -1 }))).toBeInstanceOf(RangeError);
    expect((await rejection(m.playrec(buf, 1, { latency: 1.5 }))).message).toMatch(/^latency must be an integer/);
    expect((await rejection(m.playrec(buf, 3))).message).toMatch(/^channels must be an integer from 1 to 2/);
    expect((await rejection(m.playrec(buf, 1, { inputChannels: [0], latency: 0 }))).message).toMatch(
      /^inputChannels\[0\]/,
    );
    expect((await rejection(m.playrec(buf, 1, { delay: 3 } as never))).message).toMatch(/unknown option "delay"/);
    expect((await rejection(m.playrec(new Float32Array(3), 2, { latency: 0 }))).message).toMatch(
      /multiple of the channel count/,
    );
    const f = m.frameTime + FS;
    const rec = (options: object) => () => m.recordBuffer(new Float32Array(2), 1, options as never);
    expect(rec({ startFrame: f, align: "sideways" })).toThrow(
      /^align must be "input" or "output", got the string "sideways"/,
    );
    expect(rec({ startFrame: f, latency: 5 })).toThrow(/latency is only for align: "output"/);
    expect(rec({ align: "output", latency: 5 })).toThrow(/needs start or startFrame/);
    expect(rec({ startFrame: f, align: "output", latency: -5 })).toThrow(RangeError);
    expect(m.actions.size).toBe(0);
  });
});

describe("measureLatency refuses to guess", () => {
  test('no loopback: nothing comes back, a MeasurementError with reason "silence"', async () => {
    requireJack();
    using m = new MixerAndRecorder({ channels: 2, blockSize: 256 });
    m.start();
    const e = await rejection(m.measureLatency());
    expect(e).toBeInstanceOf(MeasurementError);
    expect((e as MeasurementError).reason).toBe("silence");
    expect(e.name).toBe("MeasurementError");
    expect(e.message).toMatch(/nothing came back on input channel 1/);
    expect(m.measuredLatency).toBeUndefined();
  });

  test("a signal too weak (level 1e-7), or no clear peak, is an error, not an answer", async () => {
    using m = openLoopback(256);
    const weak = await rejection(m.measureLatency({ level: 1e-7 }));
    expect(weak).toBeInstanceOf(MeasurementError);
    expect((weak as MeasurementError).reason).toBe("weak");
    expect(weak.message).toMatch(/below minLevel 0.0001/);
    const unclear = await rejection(m.measureLatency({ minConfidence: 1e9 }));
    expect((unclear as MeasurementError).reason).toBe("unclear");
    expect(m.measuredLatency).toBeUndefined();
    // The same quiet signal is enough when the caller says so.
    expect((await m.measureLatency({ level: 1e-7, minLevel: 0 })).frames).toBe(ROUND_TRIP[256]);
  });

  test('streams without input or output have no measureLatency or playrec; align: "output" needs outputs', () => {
    requireJack();
    using mixer = new Mixer({ channels: 1 });
    using recorder = new Recorder({ channels: 1 });
    expect("measureLatency" in mixer).toBe(false);
    expect("playrec" in recorder).toBe(false);
    expect(() => recorder.recordBuffer(new Float32Array(2), 1, { startFrame: 1, align: "output", latency: 0 })).toThrow(
      /align: "output" needs a stream with outputs/,
    );
  });

  test("a stream not started, and bad options, are refused before anything plays", async () => {
    requireJack();
    using m = new MixerAndRecorder({ channels: 2, blockSize: 256 });
    expect((await rejection(m.measureLatency())).message).toMatch(/call start\(\) first/);
    m.start();
    const cases: [object, RegExp][] = [
      [{ level: 2 }, /^level must be a finite number from 0 to 1/],
      [{ level: 0 }, /^level must be above 0/],
      [{ outputChannels: [3] }, /^outputChannels\[0\] \(output channel number\) must be an integer from 1 to 2/],
      [{ inputChannels: "1" }, /^inputChannels must be an array/],
      [{ seconds: 0 }, /^seconds must be a finite number from 0.05/],
      [{ maxLatency: NaN }, /^maxLatency must be a finite number/],
      [{ minConfidence: -1 }, /^minConfidence/],
      [{ channels: 1 }, /unknown option "channels"/],
    ];
    for (const [options, message] of cases) {
      expect((await rejection(m.measureLatency(options as never))).message).toMatch(message);
    }
    expect(m.actions.size).toBe(0);
  });
});
