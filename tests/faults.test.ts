// Faults from the audio system: a JACK server that dies under a running stream, no device at all,
// a stream stopped and started again, a stream closed while something waits on it. Nothing may
// crash the process or hang.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { Mixer, MixerAndRecorder, StreamClosedError } from "../mod.ts";
import { loopback, requireJack, sleep } from "./helpers/jack.ts";
import { isBun, MOD, ROOT, startScript as child } from "./helpers/child.ts";

const root = ROOT;
const mod = MOD;
const jackHelpers = JSON.stringify(new URL("./helpers/jack.ts", import.meta.url).href);


/** Stops a server that may have been killed: starting it again reclaims its registry slot. */
function cleanUpServer(name: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (spawnSync(`${root}.ci/jack.sh`, ["start", name, "48000", "256"]).status === 0) break;
    spawnSync("sleep", ["0.3"]);
  }
  spawnSync("sleep", ["0.3"]); // stopped at once, a fresh jackd may not release its slot
  spawnSync(`${root}.ci/jack.sh`, ["stop", name]);
}

/**
 * The server these tests kill. A fixed name per runtime: a killed jackd keeps its slot in JACK's
 * registry of at most 8 servers (/dev/shm/jack-shm-registry) until a server of the same name
 * starts again, so a unique name per run would leak a slot whenever a run is interrupted.
 */
const FAULT_SERVER = `rtmixer-fault-${isBun ? "bun" : "deno"}`;

/**
 * Starts a JACK server of this test's own; returns its pid. Retried: until the killed server of
 * the same name is reaped (which init may take a second or two to do), JACK finds its pid alive
 * and refuses ("already active").
 */
function startServer(name: string, attempts = 1): number {
  for (let attempt = 1; ; attempt++) {
    const started = spawnSync(`${root}.ci/jack.sh`, ["start", name, "48000", "256"], { encoding: "utf8" });
    const pid = Number(started.stdout.trim());
    // Never signal pid 0 or a negative pid: that would reach the whole process group.
    if (started.status === 0 && pid > 1) return pid;
    if (attempt >= attempts) throw new Error(`JACK server ${name} did not start: ${started.stderr}`);
    spawnSync("sleep", ["0.3"]);
  }
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe("faults", () => {
  test("the JACK server killed under a playing stream: waits settle with a clear error, nothing hangs; once it is back, a new stream plays bit-exact without a restart", async () => {
    requireJack();
    const server = FAULT_SERVER;
    const pid = startServer(server);
    // The child waits for this file: the server runs again.
    const back = `${root}tests/.fault-jack-back-${isBun ? "bun" : "deno"}-${process.pid}`;
    rmSync(back, { force: true });
    const c = child("fault-jack", `
      import { existsSync } from "node:fs";
      import { Mixer, MixerAndRecorder, reinitialize } from ${mod};
      import { loopback, sleep } from ${jackHelpers};
      const m = new Mixer({ channels: 2, blockSize: 256 });
      m.start();
      const a = m.playBuffer(new Float32Array(2 * 48000 * 30), 2);
      const b = m.playBuffer(new Float32Array(2 * 48000), 2, { start: m.time + 20 });
      const waits = [m.wait(a), m.wait(b), m.wait()].map((p) => p.then(() => "resolved", (e) => e.name + ": " + e.message));
      console.log("PLAYING");
      const t0 = Date.now();
      const results = await Promise.all(waits);
      console.log("SETTLED " + (Date.now() - t0));
      for (const r of results) console.log("WAIT " + r);
      console.log("OUTCOMES " + a.outcome + " " + b.outcome);
      console.log("ACTIVE " + m.active + " ACTIONS " + m.actions.size);
      try { m.playBuffer(new Float32Array(2), 2); } catch (e) { console.log("SUBMIT " + e.name + ": " + e.message); }
      m.close();
      console.log("CLOSED " + m.closed);
      const end = Date.now() + 20000;
      while (!existsSync(${JSON.stringify(back)}) && Date.now() < end) await sleep(20);
      // PortAudio 19.6 cannot re-initialise after its JACK server died: a fresh copy is loaded.
      try { reinitialize(); console.log("REINIT ok"); } catch (e) { console.log("REINIT " + e.name + ": " + e.message); }
      const n = new MixerAndRecorder({ channels: 2, blockSize: 256 });
      n.start();
      loopback();
      const buf = Float32Array.from({ length: 2 * 1000 }, (_, i) => ((i * 7919) % 1000 + 1) / 2000);
      const p = Math.ceil(n.frameTime + 0.2 * 48000);
      const rec = new Float32Array(2 * 1200);
      const r = n.recordBuffer(rec, 2, { startFrame: p + 512 - 100, allowBelated: false });
      const played = n.playBuffer(buf, 2, { startFrame: p, allowBelated: false });
      await n.wait();
      console.log("AGAIN " + played.outcome + " " + r.outcome);
      console.log("BITEXACT " + rec.subarray(200, 200 + buf.length).every((x, i) => x === buf[i]));
      n.close();
    `, { JACK_DEFAULT_SERVER: server });
    try {
      await until("the child to play", () => c.lines().includes("PLAYING"), 15_000);
      await sleep(300);
      process.kill(pid, "SIGKILL");
      await until("the child to close its stream", () => c.lines().includes("CLOSED true"), 15_000);
      startServer(server, 30);
      writeFileSync(back, "");
      const code = await Promise.race([c.exited, sleep(20_000).then(() => "hung")]);
      const lines = c.lines();
      expect({ code, stderr: c.stderr().slice(0, 500) }).toEqual({ code: 0, stderr: expect.any(String) });
      const settled = Number(lines.find((l) => l.startsWith("SETTLED "))!.split(" ")[1]);
      expect(settled).toBeLessThan(3000);
      const waits = lines.filter((l) => l.startsWith("WAIT "));
      expect(waits).toHaveLength(3);
      for (const w of waits) expect(w).toMatch(/StreamClosedError: the stream stopped before the action finished: the audio host ended it \(for JACK: the server quit\)/);
      expect(lines).toContain("OUTCOMES aborted aborted");
      expect(lines).toContain("ACTIVE false ACTIONS 0");
      expect(lines.find((l) => l.startsWith("SUBMIT "))).toMatch(/StreamClosedError: the stream stopped/);
      expect(lines).toContain("CLOSED true");
      expect(lines).toContain("REINIT ok");
      expect(lines).toContain("AGAIN done done");
      expect(lines).toContain("BITEXACT true");
    } finally {
      rmSync(back, { force: true });
      c.kill();
      await Promise.race([c.exited, sleep(2000)]); // its dead JACK client must be gone first
      c.cleanup();
      cleanUpServer(server);
    }
  }, 60_000);

  test("with no JACK server and no sound card, opening a stream is a clear error", async () => {
    const c = child("fault-nodevice", `
      import { Mixer, queryDevices } from ${mod};
      console.log("DEVICES " + queryDevices().length);
      try { new Mixer(); console.log("OPENED"); } catch (e) { console.log("OPEN " + e.name + ": " + e.message); }
    `, { JACK_DEFAULT_SERVER: `rtmixer-nonexistent-${process.pid}` });
    try {
      const code = await Promise.race([c.exited, sleep(20_000).then(() => "hung")]);
      expect(code).toBe(0);
      expect(c.lines()).toContain("DEVICES 0");
      expect(c.lines().find((l) => l.startsWith("OPEN"))).toMatch(/^OPEN RangeError: device: there is no default output device \(0 devices found\)/);
    } finally {
      c.cleanup();
    }
  }, 30_000);

  test("a stream stopped and started again keeps playing bit-exact (loopback)", async () => {
    requireJack();
    using m = new MixerAndRecorder({ channels: 2, blockSize: 256, queueSize: 64 });
    for (let round = 0; round < 3; round++) {
      m.start();
      loopback();
      const buf = Float32Array.from({ length: 2 * 1000 }, (_, i) => ((i * 7919) % 1000 + 1) / 2000);
      const p = Math.ceil(m.frameTime + 0.2 * 48000);
      const rec = new Float32Array(2 * 1200);
      const r = m.recordBuffer(rec, 2, { startFrame: p + 512 - 100, allowBelated: false });
      const a = m.playBuffer(buf, 2, { startFrame: p, allowBelated: false });
      await m.wait();
      expect([a.outcome, r.outcome]).toEqual(["done", "done"]);
      expect(rec.subarray(200, 200 + buf.length)).toEqual(buf);
      m.stop();
      expect(m.stopped).toBe(true);
      await sleep(50);
    }
  }, 30_000);

  test("an action pending across stop() and start() finishes after the restart", async () => {
    requireJack();
    using m = new Mixer({ channels: 2, blockSize: 256 });
    m.start();
    const a = m.playBuffer(new Float32Array(2 * 4800), 2, { startFrame: Math.ceil(m.frameTime + 0.3 * 48000) });
    m.stop();
    const waiting = m.wait(a, { sleepTime: 5 });
    await sleep(100);
    expect(a.finished).toBe(false); // a stopped stream is not a dead one: the action waits
    m.start();
    await waiting;
    expect(a.outcome).toBe("done");
  });

  test("close() during wait() settles every wait at once", async () => {
    requireJack();
    const m = new Mixer({ channels: 2 });
    m.start();
    const a = m.playBuffer(new Float32Array(2 * 48000), 2, { start: m.time + 5 });
    const b = m.playBuffer(new Float32Array(2 * 48000), 2);
    const waits = [m.wait(a), m.wait(b), m.wait()];
    await sleep(30);
    const t0 = Date.now();
    m.close();
    const settled = await Promise.allSettled(waits);
    for (const r of settled) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StreamClosedError);
    }
    expect(Date.now() - t0).toBeLessThan(500);
    expect([a.outcome, b.outcome]).toEqual(["aborted", "aborted"]);
  });
});
