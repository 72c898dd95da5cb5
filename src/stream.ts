/**
 * The stream base of Mixer, Recorder and MixerAndRecorder: a PortAudio stream whose callback is
 * librtmixer's (zig/stream.zig), with sounddevice's options, properties and methods.
 */
import { native, type Pointer, runtime } from "./ffi/mod.ts";
import { STATS, STREAM_INFO } from "./ffi/layout.ts";
import { readStats, type Stats } from "./action.ts";
import {
  checkBlockSize,
  checkChannels,
  checkDeviceSpec,
  checkDtype,
  checkLatency,
  checkQueueSize,
  checkSampleRate,
  defaults,
  type DeviceSpec,
  type Direction,
  type Kind,
  type Latency,
  paramsBlock,
  type PerKind,
  perKind,
  resolveDirection,
} from "./devices.ts";
import { check, jackClientNameBytes, PA, portAudio, portAudioError } from "./portaudio.ts";
import * as v from "./validate.ts";

/** What a stream does: record, play, or both. */
export type StreamKind = "input" | "output" | "duplex";

/**
 * Options of every stream (sounddevice's stream arguments; all optional, defaults from
 * `defaults`). For duplex streams `device`, `channels` and `latency` may be `[input, output]`
 * pairs; a single value applies to both directions.
 */
export interface StreamOptions {
  /** Device index or name query (see `queryDevices`). */
  device?: PerKind<DeviceSpec>;
  /** Channel count; default: all channels of the device. */
  channels?: PerKind<number>;
  /** Frames per second; default: the device's default rate. */
  sampleRate?: number;
  /** Frames per callback; 0 (default) lets the host choose. */
  blockSize?: number;
  /** `"low"`, `"high"` (default) or seconds. */
  latency?: PerKind<Latency>;
  /** Always `"float32"`; any other value is an error. */
  dtype?: "float32" | readonly ["float32", "float32"];
  /** rtmixer's `qsize`: how many actions can be in flight (a power of two, default 16). */
  queueSize?: number;
  /** PortAudio's `paClipOff`: do not clip out-of-range samples. */
  clipOff?: boolean;
  /** PortAudio's `paDitherOff`: do not dither. */
  ditherOff?: boolean;
  /** PortAudio's `paNeverDropInput` (full-duplex streams with `blockSize` 0 only). */
  neverDropInput?: boolean;
  /** PortAudio's `paPrimeOutputBuffersUsingStreamCallback`: the first output comes from the callback, not silence. */
  primeOutputBuffersUsingStreamCallback?: boolean;
  /**
   * The JACK client name (host API JACK only). PortAudio has one JACK client for all streams,
   * so a new name re-initialises PortAudio, which needs every other stream closed.
   */
  jackClientName?: string;
}

const OPTION_NAMES = [
  "device",
  "channels",
  "sampleRate",
  "blockSize",
  "latency",
  "dtype",
  "queueSize",
  "clipOff",
  "ditherOff",
  "neverDropInput",
  "primeOutputBuffersUsingStreamCallback",
  "jackClientName",
] as const;

const FLAGS = {
  clipOff: 0x1,
  ditherOff: 0x2,
  neverDropInput: 0x4,
  primeOutputBuffersUsingStreamCallback: 0x8,
} as const;

/**
 * Streams whose callback runs. Holding them keeps them (and whatever their subclasses keep
 * referenced for the callback) from being collected while the audio thread uses their memory.
 */
const running = new Set<Stream>();
/** A stream dropped without `close()` is closed and freed when collected (it is not running). */
const registry = new FinalizationRegistry<Pointer>((handle) => native().rtm_stream_destroy(handle));

/**
 * A PortAudio stream with librtmixer's callback (sounddevice's `InputStream`, `OutputStream` or
 * `Stream`, without `read`/`write`). `Mixer`, `Recorder` and `MixerAndRecorder` extend it.
 *
 * ```ts
 * using stream = new Stream("output", { channels: 2, blockSize: 256 });
 * stream.start();
 * // ... the stream plays silence until actions arrive; `using` stops and closes it
 * ```
 */
export class Stream {
  readonly #kind: StreamKind;
  #handle: Pointer | null;
  #mixer: Pointer | null;
  #stats: Float64Array | null;
  readonly #blockSize: number;
  readonly #device: [number, number];
  readonly #channels: [number, number];
  readonly #sampleRate: number;
  readonly #info = new Float64Array(STREAM_INFO.count);

  /**
   * Opens a PortAudio stream (not started).
   *
   * @param kind `"input"`, `"output"` or `"duplex"`
   * @param options stream options (see {@link StreamOptions})
   * @param extraOptions option names that a subclass handles itself (passed over here)
   */
  constructor(kind: StreamKind, options: StreamOptions = {}, extraOptions: readonly string[] = []) {
    if (kind !== "input" && kind !== "output" && kind !== "duplex") {
      throw new TypeError(`kind must be "input", "output" or "duplex", got ${v.describe(kind)}`);
    }
    this.#kind = kind;
    const o = checkOptions(options, extraOptions);

    // Everything above is plain checking; from here on PortAudio is involved.
    const lib = portAudio();
    if (o.jackClientName !== undefined) {
      const bytes = jackClientNameBytes("jackClientName", o.jackClientName);
      check(lib.rtm_pa_set_jack_client_name(bytes, bytes.length), "Error setting the JACK client name");
    }
    const direction = (k: Kind): Direction | undefined => {
      const i = k === "input" ? 0 : 1;
      if (kind !== "duplex" && kind !== k) return undefined;
      const suffix = kind === "duplex" ? ` (${k})` : "";
      return resolveDirection(k, o.device[i], o.channels[i], o.latency[i], {
        device: "device" + suffix,
        channels: "channels" + suffix,
      });
    };
    const input = direction("input");
    const output = direction("output");
    let sampleRate = o.sampleRate ?? defaults.sampleRate;
    if (sampleRate === undefined) {
      const rates = [input, output].filter((d) => d !== undefined).map((d) => d!.info.defaultSampleRate);
      if (rates.length === 2 && rates[0] !== rates[1]) {
        throw new RangeError(
          `sampleRate: the input and output devices have different default rates (${rates[0]} and ${
            rates[1]
          }); give one`,
        );
      }
      sampleRate = rates[0];
    }
    const blockSize = o.blockSize ?? defaults.blockSize;
    let flags = 0;
    for (const [name, bit] of Object.entries(FLAGS)) {
      if (o[name as keyof typeof FLAGS] ?? defaults[name as keyof typeof FLAGS]) flags |= bit;
    }
    const params = paramsBlock(input, output, sampleRate, blockSize, flags, o.queueSize ?? defaults.queueSize);

    const handle = lib.rtm_stream_create();
    if (handle === null) throw new RangeError("out of memory creating a stream");
    const code = lib.rtm_stream_open(handle, params);
    if (code < 0) {
      lib.rtm_stream_destroy(handle);
      throw portAudioError(code, `Error opening ${kind} stream`);
    }
    this.#handle = handle;
    this.#mixer = lib.rtm_stream_mixer(handle);
    this.#stats = new Float64Array(runtime.view(this.#mixer!, STATS.f64Count * 8));
    registry.register(this, handle, this);
    this.#blockSize = blockSize;
    this.#device = [input?.device ?? -1, output?.device ?? -1];
    this.#channels = [input?.channels ?? 0, output?.channels ?? 0];
    check(lib.rtm_stream_info(handle, this.#info), "Error querying the stream");
    this.#sampleRate = this.#info[STREAM_INFO.sampleRate];
  }

  // ---- For subclasses ----

  /** Throws `TypeError("stream is closed")` after `close()`. */
  protected assertOpen(): void {
    if (this.#handle === null) throw new TypeError("stream is closed");
  }

  /**
   * The native Mixer that the callback feeds (zig/mixer.zig); throws once closed.
   * @ignore
   */
  protected get mixerPointer(): Pointer {
    this.assertOpen();
    return this.#mixer!;
  }

  /** The native stream handle; throws once closed. */
  #live(): Pointer {
    this.assertOpen();
    return this.#handle!;
  }

  #pick<T>(pair: readonly [T, T]): T | [T, T] {
    return this.#kind === "input" ? pair[0] : this.#kind === "output" ? pair[1] : [pair[0], pair[1]];
  }

  // ---- Properties ----

  /** `"input"`, `"output"` or `"duplex"`. */
  get kind(): StreamKind {
    return this.#kind;
  }

  /** The sample rate PortAudio reports for the open stream. */
  get sampleRate(): number {
    return this.#sampleRate;
  }

  /** Frames per callback as requested; 0 means the host chooses. */
  get blockSize(): number {
    return this.#blockSize;
  }

  /** Device index (`[input, output]` for duplex streams). */
  get device(): number | [number, number] {
    return this.#pick(this.#device);
  }

  /** Channel count (`[input, output]` for duplex streams). */
  get channels(): number | [number, number] {
    return this.#pick(this.#channels);
  }

  /** Always `"float32"` (a pair for duplex streams). */
  get dtype(): "float32" | ["float32", "float32"] {
    return this.#pick(["float32", "float32"] as const);
  }

  /** Bytes per sample: 4 (a pair for duplex streams). */
  get sampleSize(): number | [number, number] {
    return this.#pick([4, 4] as const);
  }

  /** Latency in seconds as PortAudio reports it (`[input, output]` for duplex streams). */
  get latency(): number | [number, number] {
    check(native().rtm_stream_info(this.#live(), this.#info), "Error querying the stream");
    return this.#pick([this.#info[STREAM_INFO.inputLatency], this.#info[STREAM_INFO.outputLatency]]);
  }

  /** True while the callback runs. */
  get active(): boolean {
    return check(native().rtm_stream_is_active(this.#live()), "Error querying the stream") === 1;
  }

  /** True when the stream is stopped (before `start()`, after `stop()` or `abort()`). */
  get stopped(): boolean {
    return check(native().rtm_stream_is_stopped(this.#live()), "Error querying the stream") === 1;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /** The stream's clock in seconds (PortAudio's stream time), the time base of start times. */
  get time(): number {
    return native().rtm_stream_time(this.#live());
  }

  /** The fraction of the available time the callback takes (0..1, rough). */
  get cpuLoad(): number {
    return native().rtm_stream_cpu_load(this.#live());
  }

  /**
   * Over- and underflow statistics since the stream opened. Only on an inactive stream: the
   * callback updates them while it runs (use `fetchAndResetStats` then).
   */
  get stats(): Stats {
    if (this.active) {
      throw new Error("stats can only be read while the stream is inactive; use fetchAndResetStats() on an active one");
    }
    return readStats(this.#stats!);
  }

  // ---- Methods ----

  /** Starts the callback (nothing happens if it runs already). */
  start(): void {
    const code = native().rtm_stream_start(this.#live());
    if (code !== PA.streamIsNotStopped) check(code, "Error starting stream");
    running.add(this);
  }

  /** Stops after the buffers already queued have played (nothing happens if stopped). */
  stop(): void {
    const code = native().rtm_stream_stop(this.#live());
    running.delete(this);
    if (code !== PA.streamIsStopped) check(code, "Error stopping stream");
  }

  /** Stops at once, dropping queued buffers (nothing happens if stopped). */
  abort(): void {
    const code = native().rtm_stream_abort(this.#live());
    running.delete(this);
    if (code !== PA.streamIsStopped) check(code, "Error aborting stream");
  }

  /** Closes the stream (aborting it if it runs) and frees it. Calling it again does nothing. */
  close(): void {
    const handle = this.#handle;
    if (handle === null) return;
    const lib = native();
    // The callback must have stopped before a subclass takes back what it lent it, and that
    // must happen before the native memory goes.
    const abortCode = lib.rtm_stream_abort(handle);
    try {
      this.callbackStopped();
    } finally {
      this.#handle = this.#mixer = this.#stats = null;
      running.delete(this);
      registry.unregister(this);
      const code = lib.rtm_stream_close(handle);
      lib.rtm_stream_destroy(handle);
      check(code, "Error closing stream");
      if (abortCode !== PA.streamIsStopped) check(abortCode, "Error aborting stream");
    }
  }

  /**
   * Called by `close()` once the callback has stopped for good, before the native memory is
   * freed: subclasses take back the actions in flight here.
   */
  protected callbackStopped(): void {}

  /** Stops and closes: `using stream = new Mixer()` works as Python's `with`. */
  [Symbol.dispose](): void {
    if (this.closed) return;
    try {
      this.stop();
    } finally {
      this.close();
    }
  }
}

interface CheckedOptions {
  device: [DeviceSpec | undefined, DeviceSpec | undefined];
  channels: [number | undefined, number | undefined];
  latency: [Latency | undefined, Latency | undefined];
  sampleRate?: number;
  blockSize?: number;
  queueSize?: number;
  clipOff?: boolean;
  ditherOff?: boolean;
  neverDropInput?: boolean;
  primeOutputBuffersUsingStreamCallback?: boolean;
  jackClientName?: string;
}

/** Checks every option's type and range, before anything reaches native code. */
function checkOptions(options: unknown, extra: readonly string[]): CheckedOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${v.describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key) && !extra.includes(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)}; allowed: ${[...OPTION_NAMES, ...extra].join(", ")}`);
    }
  }
  if (o.dtype !== undefined) perKind("dtype", o.dtype, checkDtype);
  const optional = <T>(name: string, f: (name: string, x: unknown) => T): T | undefined =>
    o[name] === undefined ? undefined : f(name, o[name]);
  const checked: CheckedOptions = {
    device: perKind("device", o.device, checkDeviceSpec),
    channels: perKind("channels", o.channels, checkChannels),
    latency: perKind("latency", o.latency, checkLatency),
    sampleRate: optional("sampleRate", checkSampleRate),
    blockSize: optional("blockSize", checkBlockSize),
    queueSize: optional("queueSize", checkQueueSize),
    jackClientName: optional("jackClientName", (n, x) => {
      jackClientNameBytes(n, x);
      return x as string;
    }),
  };
  for (const name of Object.keys(FLAGS) as (keyof typeof FLAGS)[]) checked[name] = optional(name, v.boolean);
  return checked;
}
