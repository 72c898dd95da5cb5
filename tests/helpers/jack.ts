/**
 * Test helpers for the JACK dummy server that `npm test` starts (.ci/jack.sh): a check that one
 * runs, a loopback that feeds a PortAudio client's outputs back into its inputs, and a probe
 * stream that plays a known ramp, so the loopback can be proven bit-exact. Everything goes
 * through the test-support library (zig/jacktest.zig via helpers/support.ts), identical in Bun
 * and Deno.
 */
import { type Pointer, runtime } from "../../src/ffi/mod.ts";
import { PARAMS } from "../../src/ffi/layout.ts";
import { jackClientName, portAudio, readString } from "../../src/portaudio.ts";
import { support } from "./support.ts";

const encoder = new TextEncoder();

/** The JACK server's name; throws (never skips) when the tests run without one. */
export function requireJack(): string {
  const name = runtime.env("JACK_DEFAULT_SERVER");
  if (!name) {
    throw new Error(
      "JACK_DEFAULT_SERVER is not set: these tests need a JACK dummy server. Run them with `npm test`, " +
        "or start one with `.ci/jack.sh start NAME` and set JACK_DEFAULT_SERVER=NAME (stop it afterwards " +
        "with `.ci/jack.sh stop NAME`).",
    );
  }
  return name;
}

/**
 * Connects the client's own out_i -> in_i and removes every other connection of its ports
 * (PortAudio's automatic system links). `client` defaults to PortAudio's JACK client.
 * Returns the number of loopback links.
 */
export function loopback(client = ""): number {
  const name = encoder.encode(client || jackClientName());
  const n = support().rtm_test_jack_loopback(name, name.length);
  if (n < 0) throw new Error(`JACK loopback failed with code ${n} (see zig/jacktest.zig errorCode)`);
  return n;
}

/** Every connection of the client's ports, as "source>destination". */
export function connections(client = ""): string[] {
  const name = encoder.encode(client || jackClientName());
  const text = readString((buf, cap) => support().rtm_test_jack_connections(name, name.length, buf, cap));
  return text.split("\n").filter((l) => l !== "");
}

/** Sample `frame` of `channel` of the probe's ramp (zig/jacktest.zig rampSample). */
export function rampSample(frame: number, channel: number): number {
  const v = ((frame % 65536) + 1) / 65536;
  return channel % 2 === 0 ? v : -v;
}

/** A duplex stream on device 0 that plays the ramp on every channel and captures its input. */
export class Probe {
  #p: Pointer | null;
  readonly channels: number;

  constructor(
    options: { channels: number; sampleRate: number; blockSize: number; capacityFrames: number; latency?: number },
  ) {
    portAudio(); // the product's PortAudio first, so that its JACK client name applies
    const lib = support();
    this.#p = lib.rtm_test_probe_create(options.capacityFrames);
    if (this.#p === null) throw new Error("out of memory creating the probe");
    this.channels = options.channels;
    const p = new Float64Array(PARAMS.count);
    p[PARAMS.inputDevice] = 0;
    p[PARAMS.outputDevice] = 0;
    p[PARAMS.inputChannels] = p[PARAMS.outputChannels] = options.channels;
    p[PARAMS.inputLatency] = p[PARAMS.outputLatency] = options.latency ?? 0;
    p[PARAMS.sampleRate] = options.sampleRate;
    p[PARAMS.blockSize] = options.blockSize;
    p[PARAMS.queueSize] = 1;
    const code = lib.rtm_test_probe_open(this.#p, p, p.byteLength);
    if (code !== 0) {
      this.close();
      throw new Error(`probe stream did not open: PaError ${code}`);
    }
  }

  start(): void {
    const code = support().rtm_test_probe_start(this.#p!);
    if (code !== 0) throw new Error(`probe stream did not start: PaError ${code}`);
  }

  /** The frames captured so far, interleaved. */
  captured(maxFrames: number): Float32Array {
    const out = new Float32Array(maxFrames * this.channels);
    const n = support().rtm_test_probe_read(this.#p!, out, out.byteLength, maxFrames);
    return out.subarray(0, n * this.channels);
  }

  close(): void {
    if (this.#p !== null) support().rtm_test_probe_destroy(this.#p);
    this.#p = null;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deterministic noise that never contains 0, so onsets in a recording are unambiguous. */
export function noise(frames: number, channels: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: frames * channels }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 65535 + 1) / 65536 * ((x & 1) ? 1 : -1);
  });
}
