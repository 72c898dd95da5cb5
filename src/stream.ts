/**
 * The stream base of Mixer, Recorder and MixerAndRecorder: a PortAudio stream whose callback is
 * librtmixer's (zig/stream.zig), with sounddevice's options, properties and methods.
 */
import { native, type Pointer, runtime } from "./ffi/mod.ts";
import { PARAMS, STATS, STREAM_INFO } from "./ffi/layout.ts";
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
import { StreamActiveError } from "./errors.ts";
import * as v from "./validate.ts";

/** What a stream does: record (`Recorder`), play (`Mixer`), or both (`MixerAndRecorder`). */
export type StreamKind = "input" | "output" | "duplex";

/**
 * What a stream of kind `K` reports for a per-direction property (`device`, `channels`,
 * `latency`, ...): one value for an input or output stream (`Recorder`, `Mixer`), an
 * `[input, output]` pair for a duplex stream (`MixerAndRecorder`).
 */
export type PerStream<K extends StreamKind, T> = K extends "duplex" ? [T, T] : T;

/**
 * What a stream of kind `K` takes for a per-direction option: one value for an input or output
 * stream; for a duplex stream one value (for both directions) or an `[input, output]` pair (an
 * `undefined` element falls back to `defaults`).
 */
export type PerStreamOption<K extends StreamKind, T> = K extends "duplex" ? PerKind<T> : T;

/**
 * Options of a stream of kind `K` (sounddevice's stream arguments; all optional, defaults from
 * `defaults`). `device`, `channels`, `latency` and `dtype` are single values for `Mixer` and
 * `Recorder` (an array is refused: a `TypeError` naming the option), and may be `[input, output]`
 * pairs for `MixerAndRecorder`, where a single value applies to both directions. Without `K`, the
 * options of any stream.
 */
export interface StreamOptions<K extends StreamKind = StreamKind> {
  /** Device index or name query (see `queryDevices`). */
  device?: PerStreamOption<K, DeviceSpec>;
  /** Channel count; default: all channels of the device. */
  channels?: PerStreamOption<K, number>;
  /** Frames per second; default: the device's default rate. */
  sampleRate?: number;
  /** Frames per callback; 0 (default) lets the host choose. */
  blockSize?: number;
  /** `"low"`, `"high"` (default) or seconds. */
  latency?: PerStreamOption<K, Latency>;
  /** Always `"float32"`; any other value is an error. */
  dtype?: PerStreamOption<K, "float32">;
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
 * Streams whose callback may run. Holding them keeps them (and whatever their subclasses keep
 * referenced for the callback) from being collected while the audio thread uses their memory.
 */
const running = new Set<Stream>();
/**
 * A stream that nothing reaches any more (not running, not referenced, and none of its Actions
 * referenced: they hold its engine, which holds the token registered here) is closed and freed.
 */
const registry = new FinalizationRegistry<Pointer>((handle) => native().rtm_stream_destroy(handle));

/** What the stream classes of this package reach in a Stream, beyond its public API. */
export let streamInternals: {
  /** The native Mixer that the callback feeds (zig/mixer.zig); throws once closed. */
  mixer(s: Stream): Pointer;
  /**
   * The object whose collection closes and frees the native stream: whatever uses the stream's
   * native memory (the engine, and through it every Action) holds it.
   */
  owner(s: Stream): object;
  /** [input, output] channel counts. */
  channels(s: Stream): [number, number];
  /** PortAudio's stream time now (the time base of the callback's `currentTime`); NaN once closed. */
  time(s: Stream): number;
  /**
   * Registers what `close()` calls when the stream is about to be freed: it takes back the
   * actions in flight, through native memory when `stopped` (the callback has stopped for good),
   * else without touching it.
   */
  onClose(s: Stream, fn: (stopped: boolean) => void): void;
};

/**
 * A PortAudio stream with librtmixer's callback (sounddevice's `InputStream`, `OutputStream` or
 * `Stream`, without `read`/`write`): what `Mixer` (`K` = `"output"`), `Recorder` (`"input"`) and
 * `MixerAndRecorder` (`"duplex"`) share. It is exported as a type only: open a stream through one
 * of those classes.
 *
 * ```ts
 * import { Mixer, type Stream } from "./mod.ts";
 *
 * function describe(stream: Stream): string {
 *   return `${stream.kind} stream, ${stream.channels} channel(s) at ${stream.sampleRate} Hz`;
 * }
 * using mixer = new Mixer({ channels: 2, blockSize: 256 });
 * console.log(describe(mixer)); // "output stream, 2 channel(s) at 48000 Hz"
 * ```
 */
export class Stream<K extends StreamKind = StreamKind> {
  readonly #kind: K;
  #handle: Pointer | null;
  #mixer: Pointer | null;
  #stats: Float64Array | null;
  readonly #blockSize: number;
  readonly #device: [number, number];
  readonly #channels: [number, number];
  readonly #sampleRate: number;
  readonly #info = new Float64Array(STREAM_INFO.count);
  /** Registered with the finalizer in its place: whatever uses the native stream holds it. */
  readonly #token: object = {};
  /** What a subclass takes back when the stream closes (see `streamInternals.onClose`). */
  #closer: ((stopped: boolean) => void) | undefined;

  /**
   * Opens a PortAudio stream (not started).
   *
   * @param kind `"input"`, `"output"` or `"duplex"`
   * @param options stream options (see {@link StreamOptions})
   * @param extraOptions option names that a subclass handles itself (passed over here)
   */
  constructor(kind: K, options: StreamOptions<K> = {}, extraOptions: readonly string[] = []) {
    if (kind !== "input" && kind !== "output" && kind !== "duplex") {
      throw new TypeError(`kind must be "input", "output" or "duplex", got ${v.describe(kind)}`);
    }
    this.#kind = kind;
    const o = checkOptions(kind, options, extraOptions);

    // Everything above is plain checking; from here on PortAudio is involved.
    const lib = portAudio();
    if (o.jackClientName !== undefined) {
      const bytes = jackClientNameBytes("jackClientName", o.jackClientName);
      check(lib.rtm_pa_set_jack_client_name(bytes.view, bytes.byteLength), "Error setting the JACK client name");
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
    const code = lib.rtm_stream_open(handle, params, PARAMS.count * 8);
    if (code < 0) {
      lib.rtm_stream_destroy(handle);
      throw portAudioError(code, `Error opening ${kind} stream`);
    }
    this.#handle = handle;
    this.#mixer = lib.rtm_stream_mixer(handle);
    this.#stats = new Float64Array(runtime.view(lib.rtm_mixer_header(this.#mixer!)!, STATS.f64Count * 8));
    registry.register(this.#token, handle, this.#token);
    this.#blockSize = blockSize;
    this.#device = [input?.device ?? -1, output?.device ?? -1];
    this.#channels = [input?.channels ?? 0, output?.channels ?? 0];
    check(lib.rtm_stream_info(handle, this.#info, STREAM_INFO.count * 8), "Error querying the stream");
    this.#sampleRate = this.#info[STREAM_INFO.sampleRate];
  }

  // ---- For subclasses ----

  /** Throws `TypeError("stream is closed")` after `close()`. */
  protected assertOpen(): void {
    if (this.#handle === null) throw new TypeError("stream is closed");
  }

  static {
    // What subclasses in this package need, through private fields (a subclass of the user's
    // cannot override or shadow any of it).
    streamInternals = {
      mixer(s) {
        if (s.#mixer === null) throw new TypeError("stream is closed");
        return s.#mixer;
      },
      owner: (s) => s.#token,
      channels: (s) => [s.#channels[0], s.#channels[1]],
      time: (s) => (s.#handle === null ? NaN : native().rtm_stream_time(s.#handle)),
      onClose(s, fn) {
        if (s.#closer !== undefined) throw new Error("internal error: a stream has one closer");
        s.#closer = fn;
      },
    };
  }

  /** The native stream handle; throws once closed. */
  #live(): Pointer {
    this.assertOpen();
    return this.#handle!;
  }

  #pick<T>(pair: readonly [T, T]): PerStream<K, T> {
    const kind: StreamKind = this.#kind;
    return (kind === "input" ? pair[0] : kind === "output" ? pair[1] : [pair[0], pair[1]]) as PerStream<K, T>;
  }

  // ---- Properties ----

  /** `"input"` (a Recorder), `"output"` (a Mixer) or `"duplex"` (a MixerAndRecorder). */
  get kind(): K {
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

  /** Device index: a number for a Mixer or Recorder, `[input, output]` for a MixerAndRecorder. */
  get device(): PerStream<K, number> {
    return this.#pick(this.#device);
  }

  /** Channel count: a number for a Mixer or Recorder, `[input, output]` for a MixerAndRecorder. */
  get channels(): PerStream<K, number> {
    return this.#pick(this.#channels);
  }

  /** Always `"float32"` (a pair for a MixerAndRecorder). */
  get dtype(): PerStream<K, "float32"> {
    return this.#pick<"float32">(["float32", "float32"]);
  }

  /** Bytes per sample: 4 (a pair for a MixerAndRecorder). */
  get sampleSize(): PerStream<K, number> {
    return this.#pick([4, 4]);
  }

  /**
   * Latency in seconds as PortAudio reports it: a number for a Mixer or Recorder,
   * `[input, output]` for a MixerAndRecorder.
   */
  get latency(): PerStream<K, number> {
    check(native().rtm_stream_info(this.#live(), this.#info, STREAM_INFO.count * 8), "Error querying the stream");
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
   * Over- and underflow statistics since the stream opened (or the last `fetchAndResetStats`).
   * Only on an inactive stream: the callback updates them while it runs, so reading them on an
   * active one throws a {@link StreamActiveError} (use `fetchAndResetStats()` then).
   */
  get stats(): Stats {
    if (this.active) {
      throw new StreamActiveError(
        "stats can only be read while the stream is inactive; use fetchAndResetStats() on an active one",
      );
    }
    this.assertOpen();
    return readStats(this.#stats!);
  }

  // ---- Methods ----

  /** Starts the callback (nothing happens if it runs already). */
  start(): void {
    const handle = this.#live();
    // Held before the callback can run: it must never outlive what it uses.
    running.add(this);
    const code = native().rtm_stream_start(handle);
    if (code !== 0 && code !== PA.streamIsNotStopped) {
      if (this.#callbackStopped(handle)) running.delete(this);
      check(code, "Error starting stream");
    }
  }

  /** Stops after the buffers already queued have played (nothing happens if stopped). */
  stop(): void {
    this.#halt(native().rtm_stream_stop, "Error stopping stream");
  }

  /** Stops at once, dropping queued buffers (nothing happens if stopped). */
  abort(): void {
    this.#halt(native().rtm_stream_abort, "Error aborting stream");
  }

  /** Stop or abort; the stream counts as stopped only once PortAudio says it is. */
  #halt(how: (handle: Pointer) => number, context: string): void {
    const handle = this.#live();
    const code = how(handle);
    if (code === 0 || code === PA.streamIsStopped || this.#callbackStopped(handle)) running.delete(this);
    if (code !== PA.streamIsStopped) check(code, context);
  }

  /** Whether PortAudio says the callback cannot run now (stopped, or its host ended it). */
  #callbackStopped(handle: Pointer): boolean {
    const lib = native();
    return lib.rtm_stream_is_stopped(handle) === 1 || lib.rtm_stream_is_active(handle) === 0;
  }

  /**
   * Closes the stream (aborting it if it runs) and frees it. Calling it again does nothing. The
   * actions in flight end as "aborted" (a record action keeps what it recorded). If PortAudio
   * fails to stop or close the stream, its native memory is left allocated (the callback might
   * still use it) and the error is thrown.
   */
  close(): void {
    const handle = this.#handle;
    if (handle === null) return;
    const lib = native();
    const abortCode = lib.rtm_stream_abort(handle);
    // PortAudio terminated since (bad stream pointer) closed it already.
    const stopped = abortCode === 0 || abortCode === PA.streamIsStopped || abortCode === PA.badStreamPtr;
    this.#handle = this.#mixer = this.#stats = null;
    registry.unregister(this.#token);
    // The engine takes back what it lent the callback: from native memory if the callback has
    // surely stopped, else without touching it.
    this.#closer?.(stopped);
    const code = lib.rtm_stream_close(handle);
    // Left running (held, with all it holds) if PortAudio could not close it.
    if (code === 0) running.delete(this);
    lib.rtm_stream_destroy(handle);
    if (!stopped) check(abortCode, "Error aborting stream");
    check(code, "Error closing stream");
  }



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

/** The options that take `[input, output]` pairs on duplex streams only. */
const PER_KIND_NAMES = ["device", "channels", "latency", "dtype"] as const;

/** Checks every option's type and range, before anything reaches native code. */
function checkOptions(kind: StreamKind, options: unknown, extra: readonly string[]): CheckedOptions {
  const o = v.options("options", options, [...OPTION_NAMES, ...extra]);
  if (kind !== "duplex") {
    // A pair would be half ignored: an output stream would take its second element silently.
    for (const name of PER_KIND_NAMES) {
      if (v.isArray(name, o[name])) {
        const cls = kind === "output" ? "a Mixer (an output stream)" : "a Recorder (an input stream)";
        throw new TypeError(
          `${name} must be a single value for ${cls}, got an array; [input, output] pairs are for MixerAndRecorder`,
        );
      }
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
