import { beforeAll, describe, expect, test } from "bun:test";
import {
  jackClientName,
  memoryUsage,
  Mixer,
  MixerAndRecorder,
  Recorder,
  setJackClientName,
  StreamActiveError,
} from "../mod.ts";
import { Stream, type StreamOptions } from "../src/stream.ts";
import { connections, loopback, Probe, rampSample, requireJack, sleep } from "./helpers/jack.ts";

const RATE = 48000; // .ci/test.sh starts the server at 48 kHz with period 256
const PERIOD = 256;

describe("stream options are checked before anything reaches PortAudio", () => {
  const bad: [string, unknown, RegExp][] = [
    ["dtype", { dtype: "int16" }, /dtype must be "float32"/],
    ["queueSize", { queueSize: 0 }, /queueSize must be an integer from 1 to/],
    ["latency", { latency: "medium" }, /latency must be "low", "high" or a number of seconds/],
    ["blockSize", { blockSize: -1 }, /blockSize must be an integer from 0 to/],
    ["sampleRate", { sampleRate: 0 }, /sampleRate must be a positive number/],
    ["channels", { channels: 0 }, /channels must be an integer from 1 to 1024/],
    ["channels pair", { channels: [1, 2, 3] }, /channels must be a single value for a Mixer \(an output stream\)/],
    ["device", { device: true }, /device must be a device index or a device name/],
    ["clipOff", { clipOff: 1 }, /clipOff must be true or false/],
    ["jackClientName", { jackClientName: "" }, /jackClientName must be 1 to 63 UTF-8 bytes/],
    ["unknown option", { samplerate: 48000 }, /options: unknown option "samplerate" \(allowed: device, channels, sampleRate/],
  ];
  for (const [name, options, message] of bad) {
    test(`bad ${name}`, () => {
      expect(() => new Stream("output", options as StreamOptions)).toThrow(message);
    });
  }

  test("a bad kind or a non-object options is a TypeError", () => {
    expect(() => new Stream("sideways" as "input")).toThrow(
      new TypeError('kind must be "input", "output" or "duplex", got the string "sideways"'),
    );
    expect(() => new Stream("output", 5 as unknown as StreamOptions)).toThrow(TypeError);
  });

  test("a subclass may pass its own option names through, and only those", () => {
    // The unknown-option check comes first, so a bad value of a known option shows it passed.
    expect(() => new Stream("output", { mine: 1, dtype: "int8" } as unknown as StreamOptions, ["mine"])).toThrow(
      /dtype must be/,
    );
    expect(() => new Stream("output", { yours: 1 } as StreamOptions, ["mine"])).toThrow(/unknown option "yours"/);
  });
});

describe("streams on the JACK dummy server", () => {
  beforeAll(() => {
    requireJack();
  });

  test("an output stream reports the real values", () => {
    using s = new Stream("output");
    expect(s.kind).toBe("output");
    expect(s.sampleRate).toBe(RATE);
    expect(s.blockSize).toBe(0);
    expect(s.device).toBe(0);
    expect(s.channels).toBe(2);
    expect(s.dtype).toBe("float32");
    expect(s.sampleSize).toBe(4);
    expect(s.latency).toBeGreaterThan(0);
    expect([s.active, s.stopped, s.closed]).toEqual([false, true, false]);
  });

  test("an input stream with one channel and a block size reports them", () => {
    using s = new Stream("input", { channels: 1, blockSize: 128, latency: "low", device: "system" });
    expect([s.device, s.channels, s.blockSize, s.sampleRate]).toEqual([0, 1, 128, RATE]);
    expect(typeof s.latency).toBe("number");
  });

  test("a duplex stream takes and reports [input, output] pairs", () => {
    using s = new Stream("duplex", { channels: [1, 2], device: [0, "system"], latency: ["low", "high"] });
    expect(s.channels).toEqual([1, 2]);
    expect(s.device).toEqual([0, 0]);
    expect(s.dtype).toEqual(["float32", "float32"]);
    expect(s.sampleSize).toEqual([4, 4]);
    const latency = s.latency as [number, number];
    expect(latency).toHaveLength(2);
    expect(latency[1]).toBeGreaterThan(0);
  });

  const streamOf = { output: Mixer, input: Recorder, duplex: MixerAndRecorder } as const;
  for (const kind of ["output", "input", "duplex"] as const) {
    test(`${kind === "output" ? "an" : "a"} ${kind} stream starts, runs in step with the audio clock, stops and counts its blocks`, async () => {
      using s = new streamOf[kind]({ blockSize: PERIOD });
      s.start();
      s.start(); // harmless when running
      expect([s.active, s.stopped]).toEqual([true, false]);
      // The stream time (JACK's frame clock) keeps up with the blocks the callback processed,
      // and never runs ahead of the wall clock. Not "as fast as the wall clock": a JACK dummy
      // server that wakes late counts an xrun and starts its clock again from there, so under
      // load its clock falls behind for good (9 ms in 600 ms, seen once at load 3). Each
      // reading is bracketed by the other clock's, so that the thread being descheduled
      // between two readings cannot look like the clocks drifting apart.
      const wall = () => performance.now() / 1000;
      const fs = s.sampleRate;
      const before0 = wall(), t0 = s.time, f0 = s.frameTime, after0 = wall();
      await sleep(600);
      const f1 = s.frameTime, before1 = wall(), t1 = s.time, after1 = wall();
      const slack = 0.02; // stream time ticks in blocks of 5.3 ms
      expect(f1 - f0).toBeGreaterThan(0);
      expect(t1 - t0).toBeGreaterThan((f1 - f0) / fs - slack);
      expect(t1 - t0).toBeLessThan(after1 - before0 + slack);
      expect(s.cpuLoad).toBeGreaterThanOrEqual(0);
      expect(() => s.stats).toThrow(StreamActiveError);
      expect(() => s.stats).toThrow(/only be read while the stream is inactive/);
      s.stop();
      s.stop(); // harmless when stopped
      expect([s.active, s.stopped]).toEqual([false, true]);
      const stats = s.stats;
      // Every block the callback ran is counted, and each processed PERIOD frames of its clock.
      // (Not "about the stream time that passed": a loaded JACK server skips cycles while its
      // clock runs on.)
      expect(stats.blocks).toBeGreaterThan(0);
      expect(stats.blocks * PERIOD).toBe(s.frameTime);
      expect([stats.minBlockSize, stats.maxBlockSize]).toEqual([PERIOD, PERIOD]);
      expect(stats.inputOverflows + stats.inputUnderflows).toBeGreaterThanOrEqual(0);
    });
  }

  test("abort stops at once, and the stream can start again", async () => {
    using s = new Stream("output", { blockSize: PERIOD });
    s.start();
    await sleep(50);
    s.abort();
    expect(s.active).toBe(false);
    const blocks = s.stats.blocks;
    s.start();
    await sleep(100);
    s.stop();
    expect(s.stats.blocks).toBeGreaterThan(blocks);
  });

  test("using a closed stream throws; closing again is harmless", () => {
    const s = new Stream("output");
    s.close();
    s.close();
    s[Symbol.dispose]();
    expect(s.closed).toBe(true);
    for (
      const use of [
        () => s.start(),
        () => s.stop(),
        () => s.abort(),
        () => s.active,
        () => s.time,
        () => s.stats,
        () => s.latency,
        () => s.cpuLoad,
      ]
    ) {
      expect(use).toThrow(new TypeError("stream is closed"));
    }
  });

  test("disposing a running stream stops and closes it, and frees its native memory", async () => {
    // Counted across the opening and across the disposal, each synchronous: during the await a
    // finalizer of an earlier test's garbage may free native memory of its own (a count taken
    // before the await and compared after it failed that way once, under load).
    let kept: Stream;
    let made: number;
    let atDisposal: number;
    {
      const before = memoryUsage().allocations;
      using s = new Stream("duplex");
      kept = s;
      s.start();
      made = memoryUsage().allocations - before;
      expect(made).toBeGreaterThan(0);
      await sleep(50);
      expect(s.active).toBe(true);
      atDisposal = memoryUsage().allocations;
    }
    expect(kept.closed).toBe(true);
    expect(atDisposal - memoryUsage().allocations).toBe(made);
  });

  // PortAudio 19.6 numbers a client's ports across streams (out_0, out_1, then out_2 ... for the
  // next stream), so the tests discover the numbers rather than expect out_0.
  const ports = (links: string[], client: string) =>
    links.map((l) => l.split(">").map((p) => p.replace(client, "C").replace(/_\d+$/, "_N")).join(">"));

  test("PortAudio's automatic connections go to the system ports", () => {
    using s = new Stream("duplex", { blockSize: PERIOD });
    s.start();
    const client = jackClientName();
    expect(ports(connections(), client).sort()).toEqual(
      ["C:out_N>system:playback_N", "C:out_N>system:playback_N", "system:capture_N>C:in_N", "system:capture_N>C:in_N"],
    );
  });

  test("loopback leaves exactly out_i -> in_i and no system links", () => {
    using s = new Stream("duplex", { blockSize: PERIOD });
    s.start();
    const client = jackClientName();
    expect(loopback()).toBe(2);
    const links = connections();
    expect(ports(links, client)).toEqual(["C:out_N>C:in_N", "C:out_N>C:in_N"]);
    // Channel i's output goes to channel i's input: the port numbers rise together.
    const numbers = links.map((l) => l.split(">").map((p) => Number(p.slice(p.lastIndexOf("_") + 1))));
    expect(numbers[1][0] - numbers[0][0]).toBe(1);
    expect(numbers[1][1] - numbers[0][1]).toBe(1);
  });

  test("the JACK client name can be chosen while no stream is open", () => {
    const name = `rtmixer-test-${Math.floor(Math.random() * 1e6)}`;
    try {
      using s = new Stream("duplex", { jackClientName: name });
      s.start();
      expect(jackClientName()).toBe(name);
      expect(loopback(name)).toBe(2);
      // A fresh client: its first stream's ports are numbered from 0.
      expect(connections(name)).toEqual([`${name}:out_0>${name}:in_0`, `${name}:out_1>${name}:in_1`]);
    } finally {
      setJackClientName("PortAudio");
    }
    expect(jackClientName()).toBe("PortAudio");
  });

  for (const [blockSize, delay] of [[0, PERIOD], [PERIOD, 2 * PERIOD]]) {
    test(`loopback is bit-exact with a delay of ${delay} frames at block size ${blockSize}`, async () => {
      const frames = RATE; // one second of capture room
      const probe = new Probe({ channels: 2, sampleRate: RATE, blockSize, capacityFrames: frames });
      try {
        probe.start();
        loopback();
        await sleep(400);
        const x = probe.captured(frames);
        const n = x.length / 2;
        // Each channel on its own: loopback() links out_0 -> in_0 and out_1 -> in_1 one after
        // the other, and a loaded server may apply them a cycle apart (seen: channel 1 silent
        // for the first 256 frames after channel 0 came back, in 7 of 25 runs under load).
        for (const ch of [0, 1]) {
          let first = 0;
          while (first < n && x[2 * first + ch] === 0) first++;
          expect(first).toBeLessThan(n - RATE / 10); // the ramp came back, with time to spare
          // Before the link the dummy capture delivered exact zeros.
          let nonzero = 0;
          for (let k = 0; k < first; k++) if (x[2 * k + ch] !== 0) nonzero++;
          expect(nonzero).toBe(0);
          // The first value names the frame it was played at.
          const played = Math.round(Math.abs(x[2 * first + ch]) * 65536) - 1;
          expect({ ch, delay: first - played }).toEqual({ ch, delay });
          let wrong = 0;
          for (let k = first; k < n; k++) if (x[2 * k + ch] !== rampSample(k - delay, ch)) wrong++;
          expect({ ch, wrong }).toEqual({ ch, wrong: 0 });
        }
      } finally {
        probe.close();
      }
    });
  }
});
