// The API without traps (issue 12), end to end through PortAudio on the JACK dummy server:
// action state that is live with no call of the user's, waits that settle (and can be bounded),
// scheduling limited by memory only, planar audio, and a process that stays alive under its own
// sound. What is played is recorded back through the stream's own loopback and compared.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MOD, runScript } from "./helpers/child.ts";
import { Mixer, MixerAndRecorder, OfflineMixer, Sample, StreamClosedError } from "../mod.ts";
import { loopback, noise, requireJack, sleep } from "./helpers/jack.ts";

const FS = 48000;
const BLOCK = 256;
/** Output frame n comes back as input frame n + DELAY (JACK period 256 + block size 256). */
const DELAY = 512;
const JACK_HELPER = JSON.stringify(new URL("./helpers/jack.ts", import.meta.url).href);

/** A frame well ahead of the callback, so that nothing scheduled there is belated. */
const ahead = (m: MixerAndRecorder, seconds = 0.2) => Math.ceil(m.frameTime + seconds * FS);

/** Awaits `condition` without calling the library in between, for at most `ms`. */
async function until(condition: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await sleep(1);
  }
  return true;
}

/** The frame of each nonzero run's first sample in channel `c` of interleaved `data`. */
function onsets(data: Float32Array, channels: number, c = 0): number[] {
  const found: number[] = [];
  let previous = 0;
  for (let f = 0; f < data.length / channels; f++) {
    const x = data[f * channels + c];
    if (x !== 0 && previous === 0) found.push(f);
    previous = x;
  }
  return found;
}

describe("issue 12: live state, waits, scheduling and planar audio (JACK loopback)", () => {
  let m: MixerAndRecorder;
  beforeAll(() => {
    requireJack();
    m = new MixerAndRecorder({ channels: 2, blockSize: BLOCK });
    m.start();
    loopback();
  });
  afterAll(() => m?.close());

  test("finished, outcome and a record action's buffer change with no call to the library", async () => {
    const p = ahead(m);
    const buf = noise(600, 2, 21);
    const play = m.playBuffer(buf, 2, { startFrame: p });
    const dst = new Float32Array(600 * 2);
    const rec = m.recordBuffer(dst, 2, { startFrame: p + DELAY, allowBelated: false });
    expect([play.finished, rec.finished]).toEqual([false, false]);
    // Only the action's own getters are read while waiting: no wait(), no stream property.
    expect(await until(() => play.finished && rec.finished && rec.recording !== undefined)).toBe(true);
    expect([play.outcome, rec.outcome]).toEqual(["done", "done"]);
    expect(rec.recording).toBe(dst);
    expect(dst).toEqual(buf);
  });

  test("a synchronous loop waiting for frameTime to change sees it change, also once optimised", () => {
    // A JIT may hoist a typed-array read out of a loop with no call in it (Bun's did, from the
    // third run on: the loop never ended); frameTime is read through a call.
    const spin = (limit: number) => {
      const f0 = m.frameTime;
      let i = 0;
      while (m.frameTime === f0 && i < limit) i++;
      return i;
    };
    const runs = Array.from({ length: 8 }, () => spin(2e8));
    expect(runs.filter((i) => i >= 2e8)).toEqual([]);
  });

  test("wait(action) resolves to that action; wait() once everything sent so far is done", async () => {
    const p = ahead(m);
    const a = m.playBuffer(new Float32Array(2 * 300).fill(0.25), 2, { startFrame: p });
    const b = m.playBuffer(new Float32Array(2 * 3000).fill(0.25), 2, { startFrame: p + 300 });
    expect(await m.wait(a)).toBe(a);
    expect(a.finished).toBe(true);
    expect(b.finished).toBe(false); // b ends 3000 frames later
    const c = m.playBuffer(new Float32Array(2 * 100).fill(0.25), 2, { startFrame: ahead(m) });
    expect(await m.wait()).toBeUndefined();
    expect([a, b, c].map((x) => x.outcome)).toEqual(["done", "done", "done"]);
  });

  test("wait with a timeout or a signal ends the wait, not the action", async () => {
    const long = m.playBuffer(new Float32Array(2 * FS).fill(0.1), 2, { startFrame: ahead(m) }); // one second
    const t0 = Date.now();
    const timedOut = await m.wait(long, { timeout: 100 }).then(() => undefined, (e) => e);
    expect(timedOut).toBeInstanceOf(DOMException);
    expect((timedOut as DOMException).name).toBe("TimeoutError");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(long.finished).toBe(false);
    const controller = new AbortController();
    const pending = m.wait(long, { signal: controller.signal }).then(() => "resolved", (e) => e);
    controller.abort(new Error("no longer needed"));
    expect(((await pending) as Error).message).toBe("no longer needed");
    const already = await m.wait(long, { signal: AbortSignal.abort(new Error("before")) }).then(() => "resolved", (e) => e);
    expect((already as Error).message).toBe("before");
    expect(long.finished).toBe(false);
    expect(await m.wait(long)).toBe(long);
    expect(long.outcome).toBe("done");
  });

  test("40 clicks with default options: every one heard, at its exact sample", async () => {
    // rtmixer's qsize (16 here before) once capped the actions in flight: click 17 was refused.
    using click = new Sample(new Float32Array(8).fill(0.5));
    const p = ahead(m);
    const spacing = 1200; // 25 ms: 40 clicks in a second
    const rec = m.recordBuffer(new Float32Array((40 * spacing + 600) * 2), 2, { startFrame: p + DELAY - 300 });
    const clicks = Array.from({ length: 40 }, (_, i) => m.playBuffer(click, [1], { startFrame: p + i * spacing }));
    expect(m.actions.size).toBe(41);
    await m.wait();
    expect(clicks.every((c) => c.outcome === "done")).toBe(true);
    expect(clicks.map((c) => c.startFrame)).toEqual(clicks.map((_, i) => p + i * spacing));
    const heard = onsets(rec.recording!, 2, 0);
    expect(heard).toEqual(clicks.map((_, i) => 300 + i * spacing));
    expect(onsets(rec.recording!, 2, 1)).toEqual([]); // channel 2 stayed silent
  });

  test("10,000 actions scheduled in one burst with default options: all played where asked", async () => {
    const count = 10_000;
    const spacing = 8;
    const p = ahead(m, 0.5);
    const rec = m.recordBuffer(new Float32Array((count * spacing + 512) * 2), 2, { startFrame: p + DELAY - 256 });
    const actions = [];
    for (let i = 0; i < count; i++) {
      const v = ((i % 1000) + 1) / 1024;
      actions.push(m.playBuffer(new Float32Array([v, -v]), 2, { startFrame: p + i * spacing }));
    }
    const cancel = m.cancel(actions[count - 1]); // never refused for lack of room
    await m.wait();
    expect(cancel.outcome).toBe("done");
    expect(actions[count - 1].outcome).toBe("cancelled");
    const data = rec.recording!;
    let wrong = 0;
    for (let i = 0; i < count - 1; i++) {
      const at = (256 + i * spacing) * 2;
      const v = ((i % 1000) + 1) / 1024;
      if (actions[i].outcome !== "done" || data[at] !== v || data[at + 1] !== -v || data[at + 2] !== 0) wrong++;
    }
    expect(wrong).toBe(0);
    expect(data[(256 + (count - 1) * spacing) * 2]).toBe(0); // the cancelled one never played
  });

  test("planar play and record (one Float32Array per channel) are bit-exact, on any mapping", async () => {
    const frames = 1500;
    const interleaved = noise(frames, 2, 31);
    const left = new Float32Array(frames);
    const right = new Float32Array(frames);
    for (let f = 0; f < frames; f++) [left[f], right[f]] = [interleaved[2 * f], interleaved[2 * f + 1]];
    const p = ahead(m);
    const play = m.playBuffer([left, right], { startFrame: p });
    const got = [new Float32Array(frames), new Float32Array(frames)];
    const rec = m.recordBuffer(got, { startFrame: p + DELAY, allowBelated: false });
    // Swapped onto [2, 1], recorded planar from [2] only, later.
    const q = p + 2 * frames;
    const swapped = m.playBuffer([left, right], [2, 1], { startFrame: q });
    const onlyTwo = [new Float32Array(frames)];
    const rec2 = m.recordBuffer(onlyTwo, [2], { startFrame: q + DELAY, allowBelated: false });
    await m.wait();
    expect([play, rec, swapped, rec2].map((a) => a.outcome)).toEqual(["done", "done", "done", "done"]);
    // The same arrays, in a list of the library's own (frozen: the list passed may change).
    expect(rec.recording).toEqual(got);
    expect(rec.recording!.every((x, c) => x === got[c])).toBe(true);
    expect(Object.isFrozen(rec.recording)).toBe(true);
    expect(play.buffers!.every((x, c) => x === [left, right][c])).toBe(true);
    expect(got[0]).toEqual(left);
    expect(got[1]).toEqual(right);
    expect(onlyTwo[0]).toEqual(left);
  });

  test("a planar Sample plays its own channels; a mono one on [1, 2] is refused, not halved", async () => {
    const frames = 400;
    const a = noise(frames, 1, 41);
    const b = noise(frames, 1, 42);
    using stereo = new Sample([a, b], { sampleRate: FS });
    expect([stereo.channels, stereo.frames, stereo.sampleRate]).toEqual([2, frames, FS]);
    const p = ahead(m);
    const play = m.playBuffer(stereo, { startFrame: p });
    const got = [new Float32Array(frames), new Float32Array(frames)];
    m.recordBuffer(got, { startFrame: p + DELAY, allowBelated: false });
    await m.wait();
    expect(play.totalFrames).toBe(frames);
    expect([got[0], got[1]]).toEqual([a, b]);
    using mono = new Sample(a);
    expect(() => m.playBuffer(mono, [1, 2])).toThrow(RangeError);
    expect(() => m.playBuffer(mono, [1, 2])).toThrow(/the Sample has 1 channel and channels names 2/);
    using at44 = new Sample(a, { sampleRate: 44100 });
    expect(() => m.playBuffer(at44, 1)).toThrow(/44100 Hz and the stream runs at 48000 Hz/);
  });
});

describe("issue 12: stopped, aborted and closed streams settle every wait", () => {
  test("a stopped stream keeps its actions pending (bound the wait); start() finishes them", async () => {
    requireJack();
    using mixer = new Mixer({ channels: 2, blockSize: BLOCK });
    const a = mixer.playBuffer(new Float32Array(2 * 256), 2);
    const e = await mixer.wait(a, { timeout: 150 }).then(() => undefined, (x) => x);
    expect((e as DOMException).name).toBe("TimeoutError");
    expect(a.finished).toBe(false);
    mixer.start();
    expect(await mixer.wait(a, { timeout: 5000 })).toBe(a);
    expect(a.outcome).toBe("done");
  });

  test("abort() ends the actions in flight as aborted and rejects their waits at once", async () => {
    requireJack();
    using mixer = new Mixer({ channels: 2, blockSize: BLOCK });
    mixer.start();
    const a = mixer.playBuffer(new Float32Array(2 * 10 * FS), 2); // ten seconds
    const pending = mixer.wait(a).then(() => undefined, (x) => x);
    const all = mixer.wait().then(() => undefined, (x) => x);
    await sleep(50);
    const t0 = Date.now();
    mixer.abort();
    expect(await pending).toBeInstanceOf(StreamClosedError);
    expect(await all).toBeInstanceOf(StreamClosedError);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(a.outcome).toBe("aborted");
    expect(a.finished).toBe(true);
  });

  test("close() rejects every pending wait with StreamClosedError", async () => {
    requireJack();
    const mixer = new Mixer({ channels: 2, blockSize: BLOCK });
    mixer.start();
    const a = mixer.playBuffer(new Float32Array(2 * 10 * FS), 2);
    const pending = mixer.wait(a).then(() => undefined, (x) => x);
    mixer.close();
    expect(await pending).toBeInstanceOf(StreamClosedError);
    expect(a.outcome).toBe("aborted");
  });
});

describe("issue 12: planar audio offline", () => {
  test("planar play and record on an OfflineMixer, with their errors", () => {
    using off = new OfflineMixer({ inputChannels: 2, outputChannels: 2 });
    const l = new Float32Array([1, 2, 3, 4].map((x) => x / 8));
    const r = new Float32Array([5, 6, 7, 8].map((x) => x / 8));
    off.playBuffer([l, r], { startFrame: 0 });
    const got = [new Float32Array(4), new Float32Array(4)];
    const rec = off.recordBuffer(got, [2, 1], { startFrame: 0 });
    const out = new Float32Array(8);
    off.process(4, { output: out, input: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(Array.from(out)).toEqual([1, 5, 2, 6, 3, 7, 4, 8].map((x) => x / 8));
    expect(rec.outcome).toBe("done");
    expect(Array.from(got[0])).toEqual([2, 4, 6, 8]);
    expect(Array.from(got[1])).toEqual([1, 3, 5, 7]);
    expect(() => off.playBuffer([l, new Float32Array(3)])).toThrow(/every channel must have the same length/);
    expect(() => off.playBuffer([l, r, l])).toThrow(/3 channels \(one Float32Array each\), more than the stream's 2 output channels/);
    expect(() => off.playBuffer([l, r], [1])).toThrow(/channels names 1 channel and buffer has 2/);
    expect(() => off.playBuffer([])).toThrow(/one Float32Array per channel, got none/);
    expect(() => off.playBuffer([0.5, 0.25] as never, 1)).toThrow(/got an Array of numbers \(pass new Float32Array\(array\)\)/);
    expect(() => off.playBuffer(Array.from({ length: 4800 }, () => 0.5) as never, 1)).toThrow(/got an Array of numbers/);
    expect(() => off.recordBuffer([l, new Float64Array(4) as never])).toThrow(/buffer\[1\] must be a Float32Array/);
    const resizable = new Float32Array(new ArrayBuffer(16, { maxByteLength: 64 }));
    expect(() => off.recordBuffer([resizable])).toThrow(TypeError); // kept across calls: refused
    off.playBuffer([resizable], { startFrame: 4 }); // used during the call only: accepted
  });

  test("a planar record target detached while recording: failed, with the frames in new arrays", () => {
    using off = new OfflineMixer({ inputChannels: 2, outputChannels: 0 });
    const got = [new Float32Array(4), new Float32Array(4)];
    const rec = off.recordBuffer(got, { startFrame: 0 });
    (got[1].buffer as ArrayBuffer).transfer();
    off.process(4, { input: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(rec.outcome).toBe("failed");
    expect(rec.error?.message).toMatch(/^buffer\[1\]/);
    const kept = rec.recording!;
    expect(kept).not.toBe(got);
    expect(kept.map((x) => Array.from(x))).toEqual([[1, 3, 5, 7], [2, 4, 6, 8]]);
  });
});

describe("issue 12: a script that ends with sounds pending", () => {
  const script = (unref: boolean) => `
    import process from "node:process";
    import { MixerAndRecorder } from ${MOD};
    import { loopback, noise } from ${JACK_HELPER};
    const m = new MixerAndRecorder({ channels: 2, blockSize: 256 });
    m.start();
    loopback();
    ${unref ? "m.unref();" : ""}
    const p = m.frameTime + 9600;
    const buf = noise(24000, 2, 5); // half a second
    const play = m.playBuffer(buf, 2, { startFrame: p });
    const rec = m.recordBuffer(new Float32Array(24000 * 2), 2, { startFrame: p + 512 });
    const t0 = Date.now();
    process.on("exit", () => {
      const r = rec.recording;
      console.log(JSON.stringify({
        ms: Date.now() - t0, play: play.outcome, rec: rec.outcome,
        exact: r !== undefined && r.every((x, i) => x === buf[i]),
      }));
    });
  `;

  test("it plays them to the end, then exits by itself", () => {
    requireJack();
    const run = runScript("pending-sounds", script(false), {}, 30_000);
    expect(run.status).toBe(0);
    const last = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(last).toEqual({ ms: last.ms, play: "done", rec: "done", exact: true });
    expect(last.ms).toBeGreaterThanOrEqual(600); // 0.2 s ahead + 0.5 s of sound, less a block
  });

  test("with unref() it exits at once, the sounds unfinished", () => {
    requireJack();
    const run = runScript("pending-unref", script(true), {}, 30_000);
    expect(run.status).toBe(0);
    const last = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(last.play).toBe("pending");
    expect(last.rec).toBe("pending");
    expect(last.ms).toBeLessThan(600);
  });
});
