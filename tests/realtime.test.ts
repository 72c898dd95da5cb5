// Realtime safety: nothing in the callback's block processing allocates, locks or blocks, while
// every kind of action runs. A child process of this runtime is started with
// LD_PRELOAD=zig-out/lib/librtcheck.so (zig/rtcheck.zig, built by `zig build`): it wraps
// malloc/calloc/realloc/free/posix_memalign/aligned_alloc/memalign/valloc, pthread
// mutex/rwlock/spin locks, semaphores, nanosleep/usleep and write, and counts the calls made on
// a thread between rtcheck_enter() and rtcheck_exit(). The product library has no such marks:
// the test-support library's driver thread (zig/selftest.zig Driver) calls the product's own
// `rtm_mixer_process` block after block, between the marks, on a mixer that JavaScript feeds
// with every kind of action through the engine all streams use. (A stream's PortAudio callback,
// zig/stream.zig, calls the same Mixer.process and nothing else.) The child reads the count
// through the support library's rtm_test_rtcheck.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { sleep } from "./helpers/jack.ts";
import { ROOT, startScript } from "./helpers/child.ts";

const root = ROOT;
const src = (path: string) => JSON.stringify(new URL(`../${path}`, import.meta.url).href);
const interposer = `${root}zig-out/lib/librtcheck.so`;

/** Runs `script` in a fresh process of this runtime with `env` added; resolves with its output. */
async function child(script: string, env: Record<string, string>, timeoutMs: number) {
  const c = startScript("realtime", script, env);
  try {
    const code = await Promise.race([c.exited, sleep(timeoutMs).then(() => "hung")]);
    if (code === "hung") c.kill();
    const lines = c.lines();
    const value = (key: string) => Number(lines.find((l) => l.startsWith(key + " "))?.split(" ")[1]);
    return { code, lines, stderr: c.stderr(), value };
  } finally {
    c.cleanup();
  }
}

const workload = `
  import { RingBuffer } from ${src("mod.ts")};
  import { native } from ${src("src/ffi/mod.ts")};
  import { Engine } from ${src("src/engine.ts")};
  import { startDriver, support } from ${src("tests/helpers/support.ts")};
  const lib = support();
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  console.log("PRESENT " + lib.rtm_test_rtcheck(0));
  lib.rtm_test_rtcheck(2);
  // Positive control: this thread marked, one malloc, one free, one mutex lock.
  console.log("CONTROL " + lib.rtm_test_rtcheck(3));
  lib.rtm_test_rtcheck(2);

  const mixer = native().rtm_mixer_create(2, 2, 48000, 16);
  const m = new Engine(mixer, 2, 2, {});
  const driver = startDriver(mixer, 256);
  m.setRunning(true); // the driver thread is its callback: waits look while it runs
  const outcomes = {};
  const all = [];
  const add = (a) => (all.push(a), a);
  const tone = new Float32Array(2 * 600).map((_, i) => Math.sin(i / 10) * 0.1);
  const end = Date.now() + 1500;
  for (let round = 0; Date.now() < end; round++) {
    const now = m.frameTime;
    add(m.playBuffer(tone, 2));                                              // done
    add(m.playBuffer(tone.subarray(0, 2 * 64), [2, 1], { start: now / 48000 + 0.01 }));
    add(m.recordBuffer(new Float32Array(2 * 300), 2));                        // done
    add(m.playBuffer(tone, 2, { startFrame: 0, allowBelated: false }));      // belated
    add(m.recordBuffer(new Float32Array(2 * 30), 2, { startFrame: 0, allowBelated: false }));
    const long = add(m.playBuffer(tone, 2, { startFrame: now + 480000 }));
    add(m.cancel(long));                                                     // cancelled before start
    const running = add(m.recordBuffer(new Float32Array(2 * 4800000), 1 + (round % 2)));
    add(m.cancel(running, { frame: now + 600000 }));                         // stops a running one
    const ring = new RingBuffer(8, 1024);
    ring.write(tone);
    add(m.playRingBuffer(ring));                                             // ringEnded (runs dry)
    add(m.recordRingBuffer(new RingBuffer(4, 512), { channels: [2] }));      // ringEnded (full)
    add(m.fetchAndResetStats());
    add(m.fetchAndResetStats({ frame: now + 700 }));
    const quick = add(m.playBuffer(tone.subarray(0, 2), 2));
    await m.wait(quick, { sleepTime: 1 });
    add(m.cancel(quick));                                                    // targetFinished
    for (let i = 0; i < 200; i++) add(m.playBuffer(tone, 2, { startFrame: now + 1000 * i })); // a full heap
    // Gain, fades, loops, a matrix, gain changes on every curve, a fading cancel, a chain, silence.
    const looped = add(m.playBuffer(tone, 2, { gain: 0.5, fadeIn: 0.001, fadeOut: 0.001, loop: 3, loopStart: 100, loopEnd: 500 }));
    const forever = add(m.playBuffer(tone.subarray(0, 200), [1, 2], { loop: true, matrix: [[0.5, 0.25]] }));
    for (const curve of ["linear", "exponential", "target"]) {
      add(m.setGain(forever, 0.7, { frame: now + 300, ramp: 0.002, curve }));
    }
    add(m.cancel(forever, { frame: now + 2000, fade: 0.003 }));          // cancelled, faded
    add(m.playBuffer(tone, 2, { after: looped }));                         // chained
    const dry = new RingBuffer(8, 1024);
    dry.write(tone.subarray(0, 2 * 100));
    const silent = add(m.playRingBuffer(dry, { onUnderflow: "silence", gain: 0.5 }));
    add(m.cancel(silent, { frame: now + 3000 }));                          // silence, then cancelled
    await sleep(15);
    for (const a of all.splice(0)) if (a.finished) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1; else all.push(a);
  }
  await m.wait(undefined, { sleepTime: 1 });
  for (const a of all) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  const blocks = lib.rtm_test_mixer_driver_stop(driver);
  m.setRunning(false);
  console.log("BLOCKS " + blocks);
  console.log("ENTERS " + lib.rtm_test_rtcheck(1));
  console.log("COUNT " + lib.rtm_test_rtcheck(4)); // also prints each function's count to stderr
  console.log("OUTCOMES " + JSON.stringify(outcomes));
  m.close();
  native().rtm_mixer_destroy(mixer);
`;

describe("realtime safety", () => {
  test("the block processing allocates, locks and blocks nothing while every kind of action runs (LD_PRELOAD counter)", async () => {
    if (!existsSync(interposer)) throw new Error(`${interposer} is missing: build it with \`zig build\``);
    const r = await child(workload, { LD_PRELOAD: interposer }, 30_000);
    const report = `exit ${r.code}\n${r.lines.join("\n")}\n${r.stderr.slice(-2000)}`;
    console.log(report); // on failure the stderr lines name each function counted and how often
    expect({ code: r.code, present: r.value("PRESENT") }).toEqual({ code: 0, present: 0 });
    // The counter works: a marked thread's malloc, free and mutex lock are counted.
    expect(r.value("CONTROL")).toBeGreaterThanOrEqual(3);
    // Every block was bracketed, and there were many.
    expect(r.value("BLOCKS")).toBeGreaterThan(1000);
    expect(r.value("ENTERS")).toBe(r.value("BLOCKS"));
    const outcomes = JSON.parse(r.lines.find((l) => l.startsWith("OUTCOMES "))!.slice(9));
    for (const o of ["done", "belated", "cancelled", "ringEnded", "targetFinished"]) {
      expect({ [o]: (outcomes[o] ?? 0) > 0 }).toEqual({ [o]: true });
    }
    expect(outcomes.aborted ?? 0).toBe(0);
    // The point: zero.
    expect(r.value("COUNT")).toBe(0);
  }, 60_000);

  test("without the interposer the support library finds no counter", async () => {
    const r = await child(`
      import { support } from ${src("tests/helpers/support.ts")};
      console.log("PRESENT " + support().rtm_test_rtcheck(0));
    `, {}, 20_000);
    expect(r.code).toBe(0);
    expect(r.value("PRESENT")).toBe(-1);
  }, 30_000);
});
