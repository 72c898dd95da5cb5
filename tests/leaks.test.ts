// Native memory comes back: actions of every ending on a real stream, ring buffers and streams
// that are disposed or only dropped and collected. memoryUsage() counts librtmixer's own live
// allocations (zig/alloc.zig).
import { describe, expect, test } from "bun:test";
import { memoryUsage, Mixer, OfflineMixer, RingBuffer } from "../mod.ts";
import { forceGc } from "./helpers/gc.ts";
import { requireJack, sleep } from "./helpers/jack.ts";
import { MOD, runScript } from "./helpers/child.ts";

const live = () => memoryUsage().allocations;

/** Collects garbage until the count is back at `baseline` (finalizers run asynchronously). */
async function settlesAt(baseline: number, ms = 5000): Promise<number> {
  const end = Date.now() + ms;
  for (;;) {
    forceGc();
    await sleep(20);
    if (live() === baseline || Date.now() > end) return live();
  }
}

describe("leaks", () => {
  test("100,000 actions on a running stream (done, cancelled, belated) leave nothing behind", async () => {
    requireJack();
    const baseline = live();
    const counts = { done: 0, cancelled: 0, belated: 0, other: 0 };
    {
      using m = new Mixer({ channels: 2, blockSize: 256 });
      m.start();
      const buf = new Float32Array(2 * 16);
      for (let i = 0; i < 100_000; i++) {
        const kind = i % 3;
        if (kind === 0) m.playBuffer(buf, 2);
        else if (kind === 1) m.cancel(m.playBuffer(buf, 2, { startFrame: m.frameTime + 48_000 }));
        else m.playBuffer(buf, 2, { startFrame: 0, allowBelated: false });
        if (i % 1000 === 999) await sleep(1); // let the callback take them in batches
      }
      expect(live()).toBeGreaterThan(baseline);
      await m.wait();
      // Everything came back before close; count the endings from a last, observed batch.
      const probe = [m.playBuffer(buf, 2), m.playBuffer(buf, 2, { startFrame: 0, allowBelated: false })];
      await m.wait();
      for (const a of probe) counts[a.outcome === "done" ? "done" : a.outcome === "belated" ? "belated" : "other"]++;
    }
    expect(counts.other).toBe(0);
    expect(await settlesAt(baseline)).toBe(baseline);
  }, 120_000);

  test("ring buffers disposed, or dropped and collected, free their native memory", async () => {
    const baseline = live();
    // In a function of its own: an async function's frame may keep its last locals alive (V8).
    (() => {
      for (let i = 0; i < 200; i++) {
        const r = new RingBuffer(8, 1024);
        r.write(new Float32Array(2 * 100));
        if (i % 2 === 0) r[Symbol.dispose]();
      }
    })();
    expect(live()).toBeGreaterThan(baseline);
    expect(await settlesAt(baseline)).toBe(baseline);
  });

  test("streams closed, or dropped unstarted and collected, free their native memory", async () => {
    requireJack();
    const baseline = live();
    (() => {
      for (let i = 0; i < 20; i++) {
        const m = new Mixer({ channels: 2 });
        m.playBuffer(new Float32Array(2 * 1000), 2);
        if (i % 2 === 0) m.close();
      }
    })();
    expect(await settlesAt(baseline, 10_000)).toBe(baseline);
  }, 30_000);

  test("after a burst, the action pool gives back the pages it grew by once every action came back, and grows again", () => {
    using m = new OfflineMixer();
    const baseline = memoryUsage().bytes;
    const out = new Float32Array(2 * 64);
    const burst = () => {
      const actions = Array.from({ length: 10_000 }, () => m.playBuffer(new Float32Array(2).fill(0.25), 2));
      const grown = memoryUsage().bytes;
      m.process(64, { output: out });
      expect(m.actions.size).toBe(0); // collected: every one came back
      expect([out[0], out[1], out[2]]).toEqual([2500, 2500, 0]);
      return { actions, grown: grown - baseline, after: memoryUsage().bytes - baseline };
    };
    const first = burst();
    // 10,000 actions in flight took 40 pages of 256 slots; the pool keeps its first 16.
    expect(first.after).toBeLessThan(first.grown / 2);
    // The actions of the burst still say how they ended; a cancel sent to one finds it finished.
    const oldest = first.actions[9_999];
    expect([oldest.outcome, oldest.doneFrames, oldest.stats.blocks]).toEqual(["done", 1, 1]);
    const cancel = m.cancel(oldest);
    m.process(64);
    expect(cancel.outcome).toBe("targetFinished");
    const second = burst();
    expect(second.grown).toBeGreaterThan(first.grown * 0.9);
    expect(second.after).toBeLessThan(first.grown / 2);
  });

  test("after a burst of 100,000 actions in flight, closing the mixer gives the memory back to the system", () => {
    // In a process of its own, reading what libc's main heap holds resident ([heap] in
    // /proc/self/smaps: where librtmixer's allocations go). Without the trim at close, Deno kept
    // all of it (82 MB), and Bun's heap did not shrink either.
    const run = runScript(
      "burst-trim",
      `import { OfflineMixer } from ${MOD};
      import { readFileSync } from "node:fs";
      const heapKb = () => {
        let kb = 0, inHeap = false;
        for (const line of readFileSync("/proc/self/smaps", "utf8").split("\\n")) {
          if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inHeap = line.endsWith("[heap]");
          else if (inHeap && line.startsWith("Rss:")) kb += Number(line.split(/\\s+/)[1]);
        }
        return kb;
      };
      const before = heapKb();
      const m = new OfflineMixer();
      for (let i = 0; i < 100000; i++) m.playBuffer(new Float32Array(32).fill(0.25), 2);
      const inFlight = heapKb();
      m.process(64); // every one plays and comes back in this block
      const left = m.actions.size;
      for (let i = 0; i < 2; i++) {
        globalThis.Bun ? globalThis.Bun.gc(true) : globalThis.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      m.close();
      console.log(JSON.stringify({ left, before, inFlight, closed: heapKb() }));`,
    );
    expect(run.stderr).toBe("");
    const { left, before, inFlight, closed } = JSON.parse(run.stdout);
    expect(left).toBe(0);
    // kB: the copies of the samples, 16 frames each (the pool's pages are large enough that libc
    // maps them apart from [heap]).
    expect(inFlight - before).toBeGreaterThan(5_000);
    // Measured: 6.7 MB of 78 MB stayed in Deno (runtime allocations made during the burst), 0 in Bun.
    expect(closed - before).toBeLessThan((inFlight - before) / 4);
  }, 60_000);
});
