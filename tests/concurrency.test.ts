// Concurrency: JavaScript against native threads for seconds on end.
//
// - A ring buffer between JavaScript and a native producer, then a native consumer
//   (zig/selftest.zig Peer), 5 s each way: every element arrives exactly once, in order.
// - The action queues: a native thread runs the callback's block processing back to back
//   (zig/selftest.zig Driver, as an audio callback would, but without pause) while JavaScript
//   submits and collects actions as fast as it can for 10 s through the engine that every stream
//   and OfflineMixer use (src/engine.ts: playBuffer, recordBuffer, cancel, fetchAndResetStats,
//   actions). Every action must come back exactly once with a sane ending.
// - Live fields: while the native thread plays looped voices (on the callback's fast path, which
//   leaves their reports alone and lets their counts be derived from the frame clock, then
//   back on the general path at each wrap), JavaScript polls doneFrames and stats.blocks for
//   seconds: no read is torn (every value is whole blocks, never goes back, and agrees with the
//   ones read before and after it).
// The threaded Zig test (zig/queue_test.zig) runs the same protocol under the thread sanitizer.
// RTMIXER_HAMMER_MS shortens (or lengthens) each phase for quick local runs.
import { describe, expect, test } from "bun:test";
import { type Action, RingBuffer, Sample } from "../mod.ts";
import { native } from "../src/ffi/mod.ts";
import { Engine } from "../src/engine.ts";
import { ringInternals } from "../src/ringbuffer.ts";
import { startDriver, support } from "./helpers/support.ts";

const RING_MS = Number(process.env.RTMIXER_HAMMER_MS ?? 5000);
const QUEUE_MS = Number(process.env.RTMIXER_HAMMER_MS ?? 10_000);

describe("concurrency", () => {
  test(`a native writer and JavaScript reader exchange every element exactly once, in order, for ${RING_MS} ms`, () => {
    using ring = new RingBuffer(8, 4096);
    const peer = support().rtm_test_ring_peer_start(ringInternals.header(ring, "ring"), Infinity, 0);
    expect(peer).not.toBeNull();
    const chunk = new Float64Array(1000);
    let next = 0;
    let errors = 0;
    const take = (round: number) => {
      if (round % 2 === 0) {
        const got = ring.readInto(chunk);
        for (let i = 0; i < got; i++) if (chunk[i] !== next++) errors++;
      } else {
        // Zero-copy reads too: the views on the ring's memory, then the index update.
        const [n, first, second] = ring.getReadBuffers(777);
        for (const part of [first, second]) {
          const values = new Float64Array(part.buffer, part.byteOffset, part.length / 8);
          for (let i = 0; i < values.length; i++) if (values[i] !== next++) errors++;
        }
        ring.advanceReadIndex(n);
      }
    };
    const end = Date.now() + RING_MS;
    for (let round = 0; Date.now() < end; round++) take(round);
    const written = support().rtm_test_ring_peer_stop(peer);
    for (let round = 0; next < written; round++) take(round);
    expect(support().rtm_test_ring_peer_join(peer)).toBe(0);

    expect(errors).toBe(0);
    expect(next).toBe(written);
    expect(ring.readAvailable).toBe(0);
    console.log(`ring, native writer: ${written} elements`);
    expect(written).toBeGreaterThan(1_000_000); // it really ran
  }, RING_MS + 20_000);

  test(`JavaScript writes to a native reader for ${RING_MS} ms: every element arrives exactly once, in order`, () => {
    using ring = new RingBuffer(8, 4096);
    const peer = support().rtm_test_ring_peer_start(ringInternals.header(ring, "ring"), Infinity, 1);
    expect(peer).not.toBeNull();
    const chunk = new Float64Array(1000);
    let next = 0;
    const end = Date.now() + RING_MS;
    for (let round = 0; Date.now() < end; round++) {
      if (round % 2 === 0) {
        const n = Math.min(chunk.length, ring.writeAvailable);
        for (let i = 0; i < n; i++) chunk[i] = next + i;
        next += ring.write(chunk.subarray(0, n));
      } else {
        const [n, first, second] = ring.getWriteBuffers(777);
        for (const part of [first, second]) {
          const values = new Float64Array(part.buffer, part.byteOffset, part.length / 8);
          for (let i = 0; i < values.length; i++) values[i] = next++;
        }
        ring.advanceWriteIndex(n);
      }
    }
    const read = support().rtm_test_ring_peer_stop(peer);
    expect(support().rtm_test_ring_peer_join(peer)).toBe(0);

    console.log(`ring, native reader: ${read} elements`);
    expect(read).toBe(next);
    expect(next).toBeGreaterThan(1_000_000);
  }, RING_MS + 20_000);

  test(`doneFrames and stats.blocks read for ${RING_MS} ms while a native callback thread plays looped voices are never torn`, () => {
    const lib = native();
    const mixer = lib.rtm_mixer_create(0, 2, 48000, 64)!;
    const engine = new Engine(mixer, 0, 2, {});
    // Loop regions of whole blocks and not (wraps between blocks and inside them).
    using sample = new Sample(new Float32Array(2 * 64 * 20).fill(0.125), { channels: 2 });
    const voices = [64 * 20, 64 * 7 + 37, 64 * 3, 101].map((loopEnd) =>
      engine.playBuffer(sample, 2, { loop: true, loopEnd })
    );
    const driver = startDriver(mixer, 64);
    const last = voices.map(() => ({ done: 0, blocks: 0 }));
    const problems: string[] = [];
    let reads = 0;
    try {
      const end = Date.now() + RING_MS;
      while (Date.now() < end && problems.length === 0) {
        voices.forEach((a, i) => {
          const done = a.doneFrames;
          const blocks = a.stats.blocks;
          const after = a.doneFrames;
          reads++;
          // Every voice started on a block's first frame and plays every frame of every block.
          if (done % 64 !== 0) problems.push(`voice ${i}: doneFrames ${done} is not whole blocks`);
          if (done < last[i].done || blocks < last[i].blocks) {
            problems.push(`voice ${i} went back: ${last[i].done} → ${done} frames, ${last[i].blocks} → ${blocks} blocks`);
          }
          // The general path counts a block in stats.blocks before it plays its frames: one
          // block ahead of doneFrames while it runs.
          if (blocks * 64 < done || after < (blocks - 1) * 64) {
            problems.push(`voice ${i}: ${done} frames, then ${blocks} blocks, then ${after} frames`);
          }
          last[i] = { done: after, blocks };
        });
      }
    } finally {
      const blocks = support().rtm_test_mixer_driver_stop(driver);
      for (const a of voices) engine.cancel(a);
      engine.close();
      lib.rtm_mixer_destroy(mixer);
      console.log(`live fields: ${reads} reads of each, over ${blocks} blocks`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(Math.min(...last.map((x) => x.blocks))).toBeGreaterThan(1000); // it really ran
  }, RING_MS + 20_000);

  test(`actions submitted and collected from JavaScript for ${QUEUE_MS} ms against a native callback thread all come back once, sanely`, () => {
    const lib = native();
    const mixer = lib.rtm_mixer_create(2, 2, 48000, 64)!;
    const engine = new Engine(mixer, 2, 2, {});
    const driver = startDriver(mixer, 64);
    const pending = new Set<Action>();
    const outcomes: Record<string, number> = {};
    const problems: string[] = [];
    const play = new Float32Array(2 * 300).fill(0.5);
    let submitted = 0;
    let blocksRun = 0;
    let rand = 12345;
    const random = (n: number) => {
      rand = (Math.imul(rand, 1103515245) + 12345) >>> 0;
      return (rand >>> 8) % n;
    };

    /** Collects, and checks every action that left the in-flight set since the last call. */
    const check = () => {
      const inFlight = engine.actions; // collects first
      for (const a of pending) {
        if (inFlight.has(a)) continue;
        pending.delete(a);
        if (!a.finished) problems.push(`left the set unfinished: type ${a.type}`);
        const o = a.outcome;
        outcomes[o] = (outcomes[o] ?? 0) + 1;
        const sane = a.type === 4 // cancel
          ? ["done", "targetFinished", "cancelled", "belated"].includes(o)
          : a.type === 5 // stats
          ? ["done", "cancelled", "belated"].includes(o)
          : ["done", "cancelled", "belated"].includes(o);
        if (!sane) problems.push(`type ${a.type} ended ${o}`);
        if (o === "done" && a.type <= 2 && a.doneFrames !== a.totalFrames) {
          problems.push(`done with ${a.doneFrames} of ${a.totalFrames} frames`);
        }
        if (o === "belated" && a.doneFrames !== 0) problems.push(`belated with ${a.doneFrames} frames`);
        if (a.type === 2 && a.buffer!.subarray(0, a.doneFrames * 2).some((x) => x !== 0.25)) {
          problems.push("recorded samples differ from the driver's input");
        }
      }
      for (const a of inFlight) if (!pending.has(a)) problems.push("an unknown action is in flight");
    };

    const submit = () => {
      const frames = 1 + random(300);
      const startFrame = Math.floor(engine.frameTime) + random(2000);
      const when = [{}, { startFrame }, { startFrame: 0, allowBelated: false }, { start: startFrame / 48000 }][random(4)];
      const kind = random(8);
      if (kind <= 2) return engine.playBuffer(play.subarray(0, 2 * frames), 2, when);
      if (kind === 3) return engine.recordBuffer(new Float32Array(2 * frames), [1, 2], when);
      if (kind <= 5) {
        // A target in flight, or one that may have come back already (its slot reused).
        const targets = [...pending];
        const target = targets[random(targets.length)];
        if (target) return engine.cancel(target, random(2) ? {} : { frame: startFrame });
      }
      return engine.fetchAndResetStats(random(2) ? {} : { frame: startFrame });
    };

    try {
      const end = Date.now() + QUEUE_MS;
      while (Date.now() < end && problems.length === 0) {
        // Up to 64 in flight at a time: far more would only wait for their starts.
        for (let i = 0; i < 16 && pending.size < 64; i++) {
          pending.add(submit());
          submitted++;
        }
        check();
      }
      // The rest come due within a few thousand frames: microseconds for the driver.
      const drained = Date.now() + 5000;
      while (pending.size > 0 && Date.now() < drained) check();
    } finally {
      const blocks = support().rtm_test_mixer_driver_stop(driver);
      blocksRun = blocks;
      check();
      engine.close();
      lib.rtm_mixer_destroy(mixer);
      console.log(
        `queue hammer: ${submitted} actions, ${blocks} blocks, outcomes ${
          JSON.stringify(outcomes)
        }`,
      );
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(pending.size).toBe(0);
    expect(blocksRun).toBeGreaterThan(0);
    expect(submitted).toBeGreaterThan(10_000);
    for (const o of ["done", "cancelled", "belated", "targetFinished"]) expect(outcomes[o]).toBeGreaterThan(0);
  }, QUEUE_MS + 30_000);
});
