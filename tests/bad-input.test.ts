// The bad-input matrix: every public call, given wrong types, lengths, numbers and objects,
// throws the documented error class with a message that names the argument, before native code
// runs (nothing is left in flight). README.md "What each call accepts" summarises it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  checkInputSettings,
  checkOutputSettings,
  defaults,
  Mixer,
  MixerAndRecorder,
  OfflineMixer,
  queryDevices,
  queryHostApis,
  Recorder,
  RingBuffer,
  setJackClientName,
  setVerbose,
} from "../mod.ts";
import { requireJack } from "./helpers/jack.ts";

type Row = [string, () => unknown, ErrorConstructor, RegExp];

function check(rows: Row[], after?: () => void) {
  for (const [name, fn, type, message] of rows) {
    test(name, async () => {
      let error: unknown;
      try {
        await fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
      after?.();
    });
  }
}

const NUMBERS: [string, unknown, ErrorConstructor][] = [
  ["NaN", NaN, RangeError],
  ["Infinity", Infinity, RangeError],
  ["negative", -1, RangeError],
  ["a string", "1", TypeError],
  ["null", null, TypeError],
];

describe("bad input on a running duplex stream", () => {
  let m: MixerAndRecorder;
  let other: OfflineMixer;
  beforeAll(() => {
    requireJack();
    m = new MixerAndRecorder({ channels: 2, blockSize: 256 });
    m.start();
    other = new OfflineMixer();
  });
  afterAll(() => {
    m?.close();
    other?.close();
  });
  const f = () => new Float32Array(4);
  const disposed = () => {
    const r = new RingBuffer(8, 4);
    r[Symbol.dispose]();
    return r;
  };
  const rows: Row[] = [
    ["playBuffer: buffer of float64", () => m.playBuffer(new Float64Array(4) as never, 2), TypeError, /^buffer must be a Float32Array/],
    ["playBuffer: buffer a plain array", () => m.playBuffer([0, 0] as never, 2), TypeError, /^buffer must be a Float32Array/],
    ["playBuffer: buffer missing", () => m.playBuffer(undefined as never, 2), TypeError, /^buffer must be a Float32Array/],
    ["playBuffer: length not a multiple of channels", () => m.playBuffer(new Float32Array(3), 2), RangeError, /buffer length \(3\)/],
    ["playBuffer: channels 0", () => m.playBuffer(f(), 0), RangeError, /^channels must be an integer/],
    ["playBuffer: channels fractional", () => m.playBuffer(f(), 1.5), RangeError, /^channels must be an integer/],
    ["playBuffer: channels huge", () => m.playBuffer(f(), 2 ** 40), RangeError, /^channels must be an integer/],
    ["playBuffer: channels more than the stream has", () => m.playBuffer(new Float32Array(3), 3), RangeError, /^channels \(3\) exceeds/],
    ["playBuffer: channels a string", () => m.playBuffer(f(), "2" as never), TypeError, /^channels must be a channel count/],
    ["playBuffer: channel number 0", () => m.playBuffer(f(), [0, 1]), RangeError, /^channels\[0\] \(1-based channel number\)/],
    ["playBuffer: channel number NaN", () => m.playBuffer(f(), [1, NaN]), RangeError, /^channels\[1\]/],
    ["playBuffer: empty mapping", () => m.playBuffer(f(), []), RangeError, /^channels must list/],
    ...NUMBERS.map(([what, x, type]): Row => [`playBuffer: start ${what}`, () => m.playBuffer(f(), 2, { start: x as never }), type, /^start must be/]),
    ...NUMBERS.map(([what, x, type]): Row => [`recordBuffer: startFrame ${what}`, () => m.recordBuffer(f(), 2, { startFrame: x as never }), type, /^startFrame must be/]),
    ["playBuffer: startFrame fractional", () => m.playBuffer(f(), 2, { startFrame: 1.5 }), RangeError, /^startFrame must be an integer/],
    ["playBuffer: start and startFrame", () => m.playBuffer(f(), 2, { start: 1, startFrame: 1 }), TypeError, /start or startFrame, not both/],
    ["playBuffer: allowBelated a number", () => m.playBuffer(f(), 2, { allowBelated: 1 as never }), TypeError, /^allowBelated must be true or false/],
    ["playBuffer: options a number", () => m.playBuffer(f(), 2, 5 as never), TypeError, /^options must be an object/],
    ["recordBuffer: buffer of int16", () => m.recordBuffer(new Int16Array(4) as never, 2), TypeError, /^buffer must be a Float32Array/],
    ["playRingBuffer: not a ring buffer", () => m.playRingBuffer({} as never), TypeError, /^ringBuffer must be a RingBuffer/],
    ["playRingBuffer: a disposed ring buffer", () => m.playRingBuffer(disposed()), TypeError, /^ringBuffer is disposed/],
    ["playRingBuffer: element size not float32 frames", () => m.playRingBuffer(new RingBuffer(6, 4)), RangeError, /^ringBuffer.elementSize \(6\) must be a multiple of 4/],
    ["recordRingBuffer: element size does not match channels", () => m.recordRingBuffer(new RingBuffer(12, 4), { channels: 2 }), RangeError, /^ringBuffer.elementSize \(12\) must be 4 × channels/],
    ["cancel: not an action", () => m.cancel({} as never), TypeError, /^action must be an Action/],
    ["cancel: an action of another stream", () => m.cancel(other.playBuffer(f(), 2)), TypeError, /action belongs to another stream/],
    ...NUMBERS.map(([what, x, type]): Row => [`cancel: time ${what}`, () => m.cancel(m.playBuffer(f(), 2), { time: x as never }), type, /^time must be/]),
    ["fetchAndResetStats: frame fractional", () => m.fetchAndResetStats({ frame: 0.5 }), RangeError, /^frame must be an integer/],
    ["wait: not an action", () => m.wait(5 as never), TypeError, /^action must be an Action/],
    ["wait: an action of another stream", () => m.wait(other.playBuffer(f(), 2)), TypeError, /action belongs to another stream/],
    ...NUMBERS.map(([what, x, type]): Row => [`wait: sleepTime ${what}`, () => m.wait(undefined, { sleepTime: x as never }), type, /^sleepTime must be/]),
    ["frameAt: time NaN", () => m.frameAt(NaN), RangeError, /^time must be a finite number/],
    ["timeAt: frame a string", () => m.timeAt("0" as never), TypeError, /^frame must be a number/],
    ["frameAt: direction unknown", () => m.frameAt(0, "sideways" as never), TypeError, /^direction must be "input" or "output"/],
  ];
  check(rows);
  test("nothing that failed is left in flight", async () => {
    await m.wait();
    expect(m.actions.size).toBe(0);
  });
});

describe("bad input to constructors and functions", () => {
  beforeAll(() => {
    requireJack();
  });
  const rows: Row[] = [
    ["Mixer: options a number", () => new Mixer(5 as never), TypeError, /^options must be an object/],
    ["Mixer: unknown option", () => new Mixer({ samplerate: 1 } as never), TypeError, /^options: unknown option "samplerate"/],
    ...NUMBERS.map(([what, x, type]): Row => [`Mixer: sampleRate ${what}`, () => new Mixer({ sampleRate: x as never }), type, /^sampleRate must be/]),
    ["Mixer: channels fractional", () => new Mixer({ channels: 1.5 }), RangeError, /^channels must be an integer/],
    ["Mixer: channels more than the device has", () => new Mixer({ channels: 3 }), RangeError, /^channels must be from 1 to 2/],
    ["Mixer: device out of range", () => new Mixer({ device: 99 }), RangeError, /^device must be an integer from 0/],
    ["Mixer: device name unknown", () => new Mixer({ device: "no such device" }), RangeError, /^device: no output device matches/],
    ["Mixer: blockSize negative", () => new Mixer({ blockSize: -1 }), RangeError, /^blockSize must be an integer/],
    ["Mixer: queueSize 0", () => new Mixer({ queueSize: 0 }), RangeError, /^queueSize must be an integer from 1 to/],
    ["Mixer: latency unknown", () => new Mixer({ latency: "medium" as never }), TypeError, /^latency must be "low", "high"/],
    ["Mixer: dtype int16", () => new Mixer({ dtype: "int16" as never }), TypeError, /^dtype must be "float32"/],
    ["Mixer: clipOff a number", () => new Mixer({ clipOff: 1 as never }), TypeError, /^clipOff must be true or false/],
    ["Mixer: jackClientName empty", () => new Mixer({ jackClientName: "" }), RangeError, /^jackClientName must be 1 to 63/],
    ["Recorder: channels pair of three", () => new Recorder({ channels: [1, 2, 3] as never }), TypeError, /^channels must be a single value for a Recorder/],
    ["Recorder: channels a pair", () => new Recorder({ channels: [1, 2] as never }), TypeError, /^channels must be a single value for a Recorder \(an input stream\), got an array; \[input, output\] pairs are for MixerAndRecorder/],
    ["Mixer: latency a pair", () => new Mixer({ latency: ["low", "low"] as never }), TypeError, /^latency must be a single value for a Mixer/],
    ["Mixer: device a pair", () => new Mixer({ device: [0, 0] as never }), TypeError, /^device must be a single value for a Mixer/],
    ["MixerAndRecorder: channels pair of three", () => new MixerAndRecorder({ channels: [1, 2, 3] as never }), TypeError, /^channels must be a single value or an \[input, output\] pair/],
    ["MixerAndRecorder: channels[1] zero", () => new MixerAndRecorder({ channels: [1, 0] }), RangeError, /^channels\[1\] \(output\) must be an integer/],
    ["RingBuffer: elementSize 0", () => new RingBuffer(0, 4), RangeError, /^elementSize must be an integer/],
    ["RingBuffer: size not a power of two", () => new RingBuffer(4, 3), RangeError, /^size must be a power of two/],
    ["RingBuffer: size NaN", () => new RingBuffer(4, NaN), RangeError, /^size must be an integer/],
    ["RingBuffer: both size and buffer", () => new RingBuffer(4, 4, new Uint8Array(16)), TypeError, /exactly one of size and buffer/],
    ["RingBuffer: write a string", () => new RingBuffer(4, 4).write("abcd" as never), TypeError, /^data must be an ArrayBuffer/],
    ["RingBuffer: read size negative", () => new RingBuffer(4, 4).read(-1), RangeError, /^size must be an integer/],
    ["RingBuffer: advanceReadIndex past the data", () => new RingBuffer(4, 4).advanceReadIndex(1), RangeError, /^size \(1\) exceeds readAvailable/],
    ["RingBuffer: use after dispose", () => {
      const r = new RingBuffer(4, 4);
      r[Symbol.dispose]();
      return r.readAvailable;
    }, TypeError, /^RingBuffer is disposed/],
    ["OfflineMixer: queueSize 0.5", () => new OfflineMixer({ queueSize: 0.5 }), RangeError, /^queueSize must be an integer from 1 to/],
    ["OfflineMixer: a misspelt option", () => new OfflineMixer({ ouputChannels: 1 } as never), TypeError, /^options: unknown option "ouputChannels"/],
    ["OfflineMixer: channels and an older name", () => new OfflineMixer({ channels: [0, 1], outputChannels: 1 }), TypeError, /^options: give channels \(\[input, output\]\) or its older names inputChannels\/outputChannels, not both/],
    ["OfflineMixer: channels[0] fractional", () => new OfflineMixer({ channels: [0.5, 1] }), RangeError, /^channels\[0\] \(input\) must be an integer from 0 to 1024/],
    ["OfflineMixer: channels a string", () => new OfflineMixer({ channels: "2" as never }), TypeError, /^channels must be an integer number/],
    ["OfflineMixer: process buffers with a misspelt key", () => new OfflineMixer().process(4, { ouput: new Float32Array(8) } as never), TypeError, /^buffers: unknown option "ouput"/],
    ["OfflineMixer: process frames fractional", () => new OfflineMixer().process(1.5), RangeError, /^frames must be an integer/],
    ["OfflineMixer: process output too short", () => new OfflineMixer().process(4, { output: new Float32Array(2) }), RangeError, /^buffers.output holds 2 samples/],
    ["queryDevices: kind unknown", () => queryDevices(0, "both" as never), TypeError, /^kind must be "input" or "output"/],
    ["queryDevices: device fractional", () => queryDevices(0.5), RangeError, /^device must be an integer/],
    ["queryHostApis: index out of range", () => queryHostApis(99), RangeError, /^index must be an integer from 0/],
    ["checkOutputSettings: unknown option", () => checkOutputSettings({ rate: 1 } as never), TypeError, /^options: unknown option "rate"/],
    ["checkInputSettings: channels 0", () => checkInputSettings({ channels: 0 }), RangeError, /^channels must be an integer/],
    ["checkInputSettings: sampleRate not supported", () => checkInputSettings({ sampleRate: 44100 }), Error, /Unsupported input settings/],
    ["defaults.queueSize = 0", () => (defaults.queueSize = 0), RangeError, /^defaults.queueSize must be an integer from 1 to/],
    ["defaults.latency = 'x'", () => (defaults.latency = "x" as never), TypeError, /^defaults.latency must be/],
    ["defaults.sampleRate = -1", () => (defaults.sampleRate = -1), RangeError, /^defaults.sampleRate must be/],
    ["defaults.clipOff = 'yes'", () => (defaults.clipOff = "yes" as never), TypeError, /^defaults.clipOff must be true or false/],
    ["setVerbose: a number", () => setVerbose(1 as never), TypeError, /^on must be true or false/],
    ["setJackClientName: too long", () => setJackClientName("x".repeat(64)), RangeError, /^name must be 1 to 63 UTF-8 bytes/],
    ["setJackClientName: not a string", () => setJackClientName(5 as never), TypeError, /^name must be a string/],
  ];
  check(rows, () => defaults.reset());
});
