/**
 * The JavaScript side of one native mixer (zig/mixer.zig): reads and checks requests, writes
 * them into the mixer's request block, submits them into free slots of the action pool (which
 * grows by pages: actions in flight are limited by memory only), collects finished ones, and
 * keeps everything the callback may touch referenced until it has come back. Streams and the
 * offline mixer share it.
 *
 * Every public call runs in three steps: (1) read the arguments once (options, channel lists:
 * any getter or Proxy trap of the caller's runs here, and only here), (2) check them and that the
 * mixer is still open (the caller's code may have closed it in step 1), (3) call native code,
 * with memory read through the engine's intrinsics (validate.ts) and its byte length.
 */
import { native, type Pointer, runtime } from "./ffi/mod.ts";
import { FLAG, frameOf, HEADER, LIMIT, RELEASE, REPORT, REQUEST, STATS, SUBMIT } from "./ffi/layout.ts";
import {
  Action,
  actionInternals,
  type ActionOwner,
  type ActionPayload,
  ActionType,
  type Ending,
  isAction,
  readStats,
  ReportView,
  type Stats,
} from "./action.ts";
import { StreamClosedError } from "./errors.ts";
import { type WaitOptions, Waits } from "./waits.ts";

export type { WaitOptions };
import { isRingBuffer, ringInternals } from "./ringbuffer.ts";
import { isSample, sampleInternals } from "./sample.ts";
import { deinterleave, interleave, isPlanar, type Planes, readPlanes } from "./planar.ts";
import * as v from "./validate.ts";
import {
  cancelShape,
  GAIN_KEYS,
  type GainOptions,
  gainShape,
  LOOP_KEYS,
  type LoopOptions,
  loopShape,
  PLAIN,
  PLAY_KEYS,
  playShape,
  type PlayShapeOptions,
  type Shape,
  UNDERFLOW_KEYS,
  underflowShape,
} from "./shape.ts";

/** When an action starts (play/record) or takes effect (cancel, stats). */
export interface StartOptions {
  /** Stream time in seconds (see `time`); 0, the default, means as soon as possible. */
  start?: number;
  /** Alternatively, a frame position on the stream's sample clock (see `frameTime`). */
  startFrame?: number;
  /** If the start has passed: true (default) starts at once, false drops the action. */
  allowBelated?: boolean;
}

/** Options of `playBuffer`: its start, gain, fades, loop, chain and mix matrix. */
export interface PlayOptions extends StartOptions, PlayShapeOptions, LoopOptions {}

/** Options of `recordBuffer`: its start, or the action it is chained after. */
export interface RecordOptions extends StartOptions {
  /** Starts at exactly the frame `after` ends (see `PlayOptions.after`). Not with `start`. */
  after?: Action;
  /**
   * What `start` / `startFrame` names: an input frame or time (`"input"`, the default), or an
   * output one (`"output"`, on a MixerAndRecorder): then the recording starts where that output
   * comes back, the round trip later, so that its frame k is what came back from output frame
   * start + k.
   */
  align?: "input" | "output";
  /**
   * With `align: "output"`: the round trip in frames (default: the last `measureLatency()` of
   * this stream).
   */
  latency?: number;
}

/** When a gain change takes effect, and its ramp. */
export interface SetGainOptions extends TimeOptions, GainOptions {}

/** When a cancel takes effect, and its fade-out. */
export interface CancelOptions extends TimeOptions {
  /**
   * Seconds of fade-out from the cancel's frame; the action ends when it reaches silence, so a
   * cut does not click. An action that has not started by then is removed at once.
   */
  fade?: number;
}

/** When a cancel or stats fetch takes effect. */
export interface TimeOptions {
  /** Stream time in seconds; 0, the default, means as soon as possible. */
  time?: number;
  /** Alternatively, a frame position on the stream's sample clock. */
  frame?: number;
  /** If the time has passed: true (default) acts at once, false drops the action. */
  allowBelated?: boolean;
}

interface Timing {
  /** With FLAG.alignOutput: the round trip, in frames, added to the output frame. */
  offset?: number;
  requested: number;
  requestedTime: number;
  requestedFrame?: number;
  flags: number;
  allowBelated: boolean;
}

/** What the engine keeps of an action in flight. A class, not a literal: see ReportView (action.ts). */
class InFlight {
  constructor(
    readonly action: Action,
    /** A record action's destination, as read when it was submitted. */
    readonly destination: v.Memory | undefined,
    /** A planar record action's destinations (one per channel), as read when it was submitted. */
    readonly planes: v.Memory[] | undefined,
    readonly channels: number,
    /** Frames it plays or records; Infinity for a ring buffer. */
    readonly frames: number,
  ) {}
}

/** Native memory the engine reads through views, detached when the mixer goes. */
interface Views {
  f64: Float64Array;
  u32: Uint32Array;
  buffer: ArrayBuffer;
}

function viewsOf(pointer: Pointer, bytes: number): Views {
  const buffer = runtime.view(pointer, bytes);
  return { f64: new Float64Array(buffer), u32: new Uint32Array(buffer), buffer };
}

/** A page of the action pool: its reports' views, and what is in flight in each of its slots. */
interface Page extends Views {
  /** By slot within the page; own properties from the start (see #pages). */
  entries: (InFlight | null)[];
}

/** The mapping of cancels and stats fetches. */
const NO_CHANNELS: Mapping = { channels: new Int32Array(0), count: 0 };

/**
 * A channel mapping: 1-based channel numbers in a typed array (which nothing on Array.prototype
 * reaches), and how many, kept beside it (a replaced %TypedArray%.prototype.length could lie).
 */
export interface Mapping {
  channels: Int32Array;
  count: number;
}

/** 1..n as a mapping, shared (nothing writes to it). */
const identities = new Map<number, Mapping>();
function identity(n: number): Mapping {
  let m = identities.get(n);
  if (m === undefined) {
    const channels = new Int32Array(n);
    for (let i = 0; i < n; i++) channels[i] = i + 1;
    identities.set(n, m = { channels, count: n });
  }
  return m;
}

const START_KEYS = ["start", "startFrame", "allowBelated"];
const TIME_KEYS = ["time", "frame", "allowBelated"];
const PLAY_BUFFER_KEYS = [...START_KEYS, ...PLAY_KEYS, ...LOOP_KEYS];
const PLAY_BUFFER_NAMES = v.optionNames(PLAY_BUFFER_KEYS);
// A ring plays until it runs dry or is cancelled: no end to fade out at, no loop.
const PLAY_RING_KEYS = [...START_KEYS, "channels", ...PLAY_KEYS.filter((k) => k !== "fadeOut"), ...UNDERFLOW_KEYS];
const RECORD_KEYS = [...START_KEYS, "after"];
const RECORD_BUFFER_KEYS = [...RECORD_KEYS, "align", "latency"];
/** Saved at load: a later replacement of Object.freeze cannot reach the engine. */
const freeze = Object.freeze;

/** playBuffer's options as read: every key of PLAY_BUFFER_KEYS, each once, in that order. */
type PlayBufferOptions = {
  start: unknown;
  startFrame: unknown;
  allowBelated: unknown;
  gain: unknown;
  fadeIn: unknown;
  fadeOut: unknown;
  after: unknown;
  matrix: unknown;
  loop: unknown;
  loopStart: unknown;
  loopEnd: unknown;
};
const NO_PLAY_BUFFER_OPTIONS: PlayBufferOptions = freeze({
  start: undefined,
  startFrame: undefined,
  allowBelated: undefined,
  gain: undefined,
  fadeIn: undefined,
  fadeOut: undefined,
  after: undefined,
  matrix: undefined,
  loop: undefined,
  loopStart: undefined,
  loopEnd: undefined,
});
if (Object.keys(NO_PLAY_BUFFER_OPTIONS).join() !== PLAY_BUFFER_KEYS.join()) {
  throw new Error("internal error: playBuffer's options reader does not read PLAY_BUFFER_KEYS");
}

/**
 * playBuffer's options: as v.options reads them (the same checks and errors, each allowed key read
 * once, in the same order), into an object of one fixed shape: by name, which engines run several
 * times faster than a copy by computed keys into a null-prototype object, cold or warm. Every key
 * is an own property, so nothing on Object.prototype is ever read through it.
 */
function readPlayBufferOptions(value: unknown): PlayBufferOptions {
  if (!v.optionsGiven("options", value, PLAY_BUFFER_NAMES)) return NO_PLAY_BUFFER_OPTIONS;
  const o = value as Record<string, unknown>;
  return {
    start: o.start,
    startFrame: o.startFrame,
    allowBelated: o.allowBelated,
    gain: o.gain,
    fadeIn: o.fadeIn,
    fadeOut: o.fadeOut,
    after: o.after,
    matrix: o.matrix,
    loop: o.loop,
    loopStart: o.loopStart,
    loopEnd: o.loopEnd,
  };
}

export class Engine implements ActionOwner {
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly #mixer: Pointer;
  /**
   * Whose collection frees the native mixer (an OfflineMixer's token, or a stream's): every
   * Action keeps this engine, so it keeps the native memory its report lives in.
   */
  readonly #keepAlive: object;
  readonly #header: Views;
  readonly #streamTime: (() => number) | undefined;
  /** The frame clock when the engine closed (the mixer may be freed then). */
  #finalFrameTime = 0;
  readonly #request: Views;
  /** The request block's route gains (float32). */
  readonly #requestF32: Float32Array;
  // Bookkeeping in a Map, typed arrays and arrays created whole, never in growing plain arrays:
  // an index accessor that someone put on Array.prototype would intercept stores into holes.
  readonly #pages = new Map<number, Page>();
  readonly #free = new SlotStack();
  #inFlight = 0;
  /** The page count after the pool last shrank (or was asked to): it is asked again past it. */
  #shrunkTo = 0;
  #closed = false;
  /** Why the callback will never run again although the stream is open (its host ended it). */
  #failed: string | undefined;
  #hostEnded: () => string | undefined;
  /** Frames per block as the stream was opened with (0: the host chooses). */
  readonly #blockFrames: number;
  /** The round trip output -> input in frames, once measured (MixerAndRecorder.measureLatency). */
  roundTripFrames: number | undefined;
  readonly #waits: Waits;
  /**
   * The request block's samples. Play buffers of up to REQUEST.samplesBytes are copied here and
   * submitted by `rtm_mixer_submit_inline`, which copies them into the action's own memory: a
   * fresh small typed array lives inside the collected heap, and handing it to native code makes
   * the engine move it out first (a new backing store, per call), which costs more than this copy;
   * and the call takes one argument instead of six (each costs, most of all in Deno's Maglev: the
   * slot and the byte count are request fields, REQUEST.slotU32 and REQUEST.samplesBytesU32).
   */
  readonly #requestSamples: Float32Array;

  /**
   * @param keepAlive the object whose finalizer frees `mixer` (held for as long as the engine)
   * @param hostEnded returns why the callback stopped for good on its own (the host ended the
   *   stream), after making sure it cannot run again; undefined while it may still run.
   * @param blockFrames frames per block, if fixed (0: the host chooses)
   * @param streamTime the stream's clock now, in the time base of the callback's current time
   *   (PortAudio's stream time): tells where in its block the callback is, so that the waits can
   *   wake just after the block that finishes an action
   */
  constructor(
    mixer: Pointer,
    inputChannels: number,
    outputChannels: number,
    keepAlive: object,
    hostEnded = (): string | undefined => undefined,
    blockFrames = 0,
    streamTime?: () => number,
  ) {
    const lib = native();
    this.#mixer = mixer;
    this.#blockFrames = blockFrames;
    this.#streamTime = streamTime;
    this.#waits = new Waits({
      collect: () => this.collect(),
      outcome: (a) => actionInternals.finalOutcome(a),
      nextEndMs: () => this.#nextEndMs(),
      blockMs: () => this.#blockMs(),
      busy: () => this.#inFlight > 0,
      look: () => {
        if (this.#closed || this.#failed !== undefined) return;
        const ended = this.#hostEnded();
        if (ended !== undefined) this.fail(ended);
      },
    });
    this.#keepAlive = keepAlive;
    this.#hostEnded = hostEnded;
    this.inputChannels = inputChannels;
    this.outputChannels = outputChannels;
    this.#header = viewsOf(lib.rtm_mixer_header(mixer)!, HEADER.bytes);
    this.#request = viewsOf(lib.rtm_mixer_request(mixer)!, REQUEST.bytes);
    this.#requestF32 = new Float32Array(this.#request.buffer);
    this.#requestSamples = this.#requestF32.subarray(REQUEST.samplesF32, REQUEST.samplesF32 + REQUEST.samplesBytes / 4);
    // The pages made when the mixer was created (its initial slots).
    for (let page = 0;; page++) {
      const pointer = lib.rtm_mixer_page(mixer, page);
      if (pointer === null) break;
      this.#mapPage(pointer);
    }
    this.#freeSlots(0, this.#pages.size * LIMIT.pageSlots);
  }

  get mixer(): Pointer {
    return this.#mixer;
  }

  get sampleRate(): number {
    return this.#header.f64[HEADER.sampleRateF64];
  }

  /** Frames the callback has processed: the stream's sample clock. */
  get frameTime(): number {
    // A call, not a read of the header's view: a JIT may hoist a typed-array read out of a loop
    // that waits for the audio thread to change it (Bun's did: such a loop never ended).
    return this.#closed ? this.#finalFrameTime : native().rtm_mixer_frame_time(this.#mixer);
  }

  /** The stream's statistics (only meaningful while the callback is not running). */
  get stats(): Stats {
    this.#assertOpen();
    return readStats(this.#header.f64, HEADER.statsF64);
  }

  /** The actions in flight, as a new Set; finished ones are collected first. */
  get actions(): ReadonlySet<Action> {
    this.collect();
    const set = new Set<Action>();
    if (this.#inFlight > 0) {
      for (const page of this.#pages.values()) for (const e of page.entries) if (e) set.add(e.action);
    }
    return set;
  }

  /** Whether close() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The frame at which output due at stream time `t` is played (per the current clock model). */
  outputFrameAt(t: number): number {
    return frameOf(t, this.sampleRate, this.#header.f64[HEADER.outputAppliedF64]);
  }
  /** The stream time at which output frame `frame` is played. */
  outputTimeAt(frame: number): number {
    return (frame + this.#header.f64[HEADER.outputAppliedF64]) / this.sampleRate;
  }
  /** The frame at which input captured at stream time `t` arrives. */
  inputFrameAt(t: number): number {
    return frameOf(t, this.sampleRate, this.#header.f64[HEADER.inputAppliedF64]);
  }
  /** The stream time at which input frame `frame` was captured. */
  inputTimeAt(frame: number): number {
    return (frame + this.#header.f64[HEADER.inputAppliedF64]) / this.sampleRate;
  }

  playBuffer(buffer: unknown, channels?: unknown, options?: unknown): Action {
    const planar = isPlanar(buffer);
    const sample = !planar && isSample(buffer);
    if (planar || sample) [channels, options] = planarArguments(channels, options);
    const opts = readPlayBufferOptions(options);
    const timing = timingOf(opts.allowBelated, opts.start, opts.startFrame, "start", "startFrame");
    let shape = playShape(opts, this.sampleRate, isAction);
    if (shape.after !== undefined) this.#checkAction(shape.after, "after");
    const columns = shape.matrix?.columns;
    if (planar) {
      const planes = readPlanes("buffer", buffer, LIMIT.mappingMax, false);
      const mapping = this.#planarMapping(channels, planes, this.outputChannels, "output", shape);
      shape = loopShape(shape, opts, planes.frames);
      // Interleaved here and copied into native memory at once: nothing runs in between.
      const interleaved = interleave(planes);
      const samples = v.transient("buffer", interleaved, "Float32Array");
      const buffers = freeze(planes.channels.map((m) => m.view as Float32Array));
      return this.#submit(
        ActionType.PLAY_BUFFER,
        timing,
        planes.frames,
        mapping,
        { buffers },
        samples,
        undefined,
        undefined,
        shape,
      );
    }
    if (sample) {
      const known = sampleInternals.channels(buffer);
      // Left out, the channels are the Sample's own: 1..n (or 1..columns of a matrix).
      const mapping = channels === undefined
        ? this.#defaultMapping(columns ?? known, this.outputChannels, "the Sample has", "output")
        : this.#mapping("channels", channels, this.outputChannels, "output");
      this.#checkSource(shape, mapping, known, "the Sample has");
      const rate = sampleInternals.sampleRate(buffer);
      if (rate !== undefined && rate !== this.sampleRate) {
        throw new RangeError(
          `buffer: the Sample's samples are at ${rate} Hz and the stream runs at ${this.sampleRate} Hz; ` +
            `it would play at the wrong speed and pitch (make a Sample at the stream's rate, e.g. with loadSample from rtmixer/files)`,
        );
      }
      const frames = framesOf("buffer", sampleInternals.length(buffer), known, "samples of the Sample");
      shape = loopShape(shape, opts, frames);
      return this.#submit(
        ActionType.PLAY_BUFFER,
        timing,
        frames,
        mapping,
        { sample: buffer },
        null,
        undefined,
        undefined,
        shape,
      );
    }
    const mapping = this.#mapping("channels", channels, this.outputChannels, "output");
    // Copied into native memory during the submit call: read as transient memory.
    const samples = v.transient(
      "buffer",
      buffer,
      "Float32Array",
      "a Float32Array of interleaved float32 samples, a list of Float32Arrays (one per channel), or a Sample",
    );
    const sourceChannels = shape.matrix?.rows ?? mapping.count;
    if (shape.matrix) this.#checkSource(shape, mapping, sourceChannels, "");
    const frames = framesOf("buffer", samples.length, sourceChannels, "buffer length");
    shape = loopShape(shape, opts, frames);
    return this.#submit(
      ActionType.PLAY_BUFFER,
      timing,
      frames,
      mapping,
      { buffer: samples.view as Float32Array },
      samples,
      undefined,
      undefined,
      shape,
    );
  }

  /** A matrix must have a row per source channel and a column per channel played on. */
  #checkSource(shape: Shape, mapping: Mapping, sourceChannels: number, what: string): void {
    const m = shape.matrix;
    if (m === undefined) {
      if (mapping.count !== sourceChannels) {
        throw new RangeError(
          `channels: ${what} ${sourceChannels} channel${
            sourceChannels === 1 ? "" : "s"
          } and channels names ${mapping.count}; ` +
            `give one channel number per channel (or a matrix)`,
        );
      }
      return;
    }
    if (what !== "" && m.rows !== sourceChannels) {
      throw new RangeError(
        `matrix has ${m.rows} row${
          m.rows === 1 ? "" : "s"
        } and ${what} ${sourceChannels} channels: give one row per source channel`,
      );
    }
    if (m.columns !== mapping.count) {
      throw new RangeError(
        `matrix has ${m.columns} columns and channels names ${mapping.count}: give one column per channel`,
      );
    }
  }

  recordBuffer(buffer: unknown, channels?: unknown, options?: unknown): Action {
    if (isPlanar(buffer)) {
      [channels, options] = planarArguments(channels, options);
      const opts = v.options("options", options, RECORD_BUFFER_KEYS);
      const timing = this.#recordTiming(opts);
      const shape = this.#recordShape(opts);
      const planes = readPlanes("buffer", buffer, LIMIT.mappingMax, true);
      const mapping = this.#planarMapping(channels, planes, this.inputChannels, "input", PLAIN);
      const buffers = freeze(planes.channels.map((m) => m.view as Float32Array));
      return this.#submit(
        ActionType.RECORD_BUFFER,
        timing,
        planes.frames,
        mapping,
        { buffers },
        null,
        undefined,
        planes.channels,
        shape,
      );
    }
    const opts = v.options("options", options, RECORD_BUFFER_KEYS);
    const timing = this.#recordTiming(opts);
    const shape = this.#recordShape(opts);
    const mapping = this.#mapping("channels", channels, this.inputChannels, "input");
    const destination = v.float32(
      "buffer",
      buffer,
      "a Float32Array to record interleaved float32 samples into, or a list of Float32Arrays (one per channel)",
    );
    const frames = framesOf("buffer", destination.length, mapping.count, "buffer length");
    return this.#submit(
      ActionType.RECORD_BUFFER,
      timing,
      frames,
      mapping,
      { buffer: destination.view as Float32Array },
      null,
      destination,
      undefined,
      shape,
    );
  }

  /**
   * A recordBuffer's start. With align: "output" the start names an output frame, or an output
   * time that the callback turns into a frame by the output clock (as it does a play's start,
   * in the same block for both when they are sent together), and the recording starts the round
   * trip later, on the same sample clock: frame k of it is what came back from that frame + k.
   */
  #recordTiming(opts: Record<string, unknown>): Timing {
    const timing = timingOf(opts.allowBelated, opts.start, opts.startFrame, "start", "startFrame");
    const align = opts.align;
    if (align === undefined || align === "input") {
      if (opts.latency !== undefined) throw new TypeError('latency is only for align: "output"');
      return timing;
    }
    if (align !== "output") throw new TypeError(`align must be "input" or "output", got ${v.describe(align)}`);
    if (this.outputChannels === 0) {
      throw new TypeError('align: "output" needs a stream with outputs (a MixerAndRecorder)');
    }
    if (opts.after !== undefined) throw new TypeError('give after or align: "output", not both');
    if (timing.requestedFrame === undefined && timing.requestedTime === 0) {
      throw new TypeError('align: "output" needs start or startFrame: the output frame the recording lines up with');
    }
    const latency = opts.latency === undefined
      ? this.roundTripFrames
      : v.integer("latency", opts.latency, 0, LIMIT.positionMax);
    if (latency === undefined) {
      throw new TypeError(
        'align: "output" needs the round trip: call measureLatency() first, or pass latency (in frames)',
      );
    }
    if (timing.requestedFrame !== undefined && timing.requestedFrame + latency > LIMIT.positionMax) {
      throw new RangeError(`startFrame + latency (${timing.requestedFrame + latency}) is beyond ${LIMIT.positionMax}`);
    }
    return { ...timing, flags: timing.flags | FLAG.alignOutput, offset: latency };
  }

  /** A record action's only shape: what it is chained after. */
  #recordShape(opts: Record<string, unknown>): Shape {
    if (opts.after === undefined) return PLAIN;
    if (opts.start !== undefined || opts.startFrame !== undefined) {
      throw new TypeError("give after or a start (start, startFrame), not both: after starts where that action ends");
    }
    this.#checkAction(opts.after, "after");
    return { ...PLAIN, after: opts.after as Action };
  }

  /** Channels 1..n, for audio that knows it has n channels. */
  #defaultMapping(n: number, streamChannels: number, what: string, direction: string, how = ""): Mapping {
    if (streamChannels === 0) throw new TypeError(`this stream has no ${direction} channels`);
    if (n > streamChannels) {
      throw new RangeError(
        `buffer: ${what} ${n} channels${how}, more than the stream's ${streamChannels} ${direction} channels`,
      );
    }
    return identity(n);
  }

  /** The mapping of planar audio: its channels 1..n by default, else one number per channel. */
  #planarMapping(channels: unknown, planes: Planes, streamChannels: number, direction: string, shape: Shape): Mapping {
    const n = planes.channels.length;
    const m = shape.matrix;
    if (m !== undefined) {
      const mapping = channels === undefined
        ? this.#defaultMapping(m.columns, streamChannels, "the matrix has", direction, " (columns)")
        : this.#mapping("channels", channels, streamChannels, direction);
      this.#checkSource(shape, mapping, n, "buffer has");
      return mapping;
    }
    if (channels === undefined) {
      return this.#defaultMapping(n, streamChannels, "it has", direction, " (one Float32Array each)");
    }
    const mapping = this.#mapping("channels", channels, streamChannels, direction);
    if (mapping.count !== n) {
      throw new RangeError(
        `channels names ${mapping.count} channel${
          mapping.count === 1 ? "" : "s"
        } and buffer has ${n} (one Float32Array each); ` +
          `give one channel number per array`,
      );
    }
    return mapping;
  }

  playRingBuffer(ringBuffer: unknown, options?: unknown): Action {
    return this.#ring(ActionType.PLAY_RINGBUFFER, ringBuffer, options, this.outputChannels, "output");
  }

  /**
   * Changes a play action's gain at `time`/`frame` (default: at once), there exactly: at once,
   * or along a ramp of `ramp` seconds shaped by `curve`.
   */
  setGain(action: unknown, gain: unknown, options?: unknown): Action {
    const opts = v.options("options", options, [...TIME_KEYS, ...GAIN_KEYS]);
    const timing = timingOf(opts.allowBelated, opts.time, opts.frame, "time", "frame");
    const shape = gainShape(gain, opts, this.sampleRate);
    this.#checkAction(action);
    const type = (action as Action).type;
    if (type !== ActionType.PLAY_BUFFER && type !== ActionType.PLAY_RINGBUFFER) {
      throw new TypeError("action must be a play action (from playBuffer or playRingBuffer): only those have a gain");
    }
    return this.#submitTargeted(ActionType.SET_GAIN, timing, action as Action, shape);
  }

  recordRingBuffer(ringBuffer: unknown, options?: unknown): Action {
    return this.#ring(ActionType.RECORD_RINGBUFFER, ringBuffer, options, this.inputChannels, "input");
  }

  cancel(action: unknown, options?: unknown): Action {
    const opts = v.options("options", options, [...TIME_KEYS, "fade"]);
    const timing = timingOf(opts.allowBelated, opts.time, opts.frame, "time", "frame");
    const shape = cancelShape(opts, this.sampleRate);
    this.#checkAction(action);
    return this.#submitTargeted(ActionType.CANCEL, timing, action as Action, shape);
  }

  /** A gain change or a cancel: no channels and no samples, only the action it acts on. */
  #submitTargeted(type: ActionType, timing: Timing, target: Action, shape: Shape): Action {
    return this.#submit(type, timing, 0, NO_CHANNELS, { target }, null, undefined, undefined, shape);
  }

  fetchAndResetStats(options?: unknown): Action {
    return this.#submit(ActionType.FETCH_AND_RESET_STATS, timeTiming(options), 0, NO_CHANNELS, {});
  }

  /**
   * Resolves when `action` has finished (to the action), or without one when every action sent so
   * far has. Rejects with StreamClosedError if the stream is closed, aborted or ended by its host
   * first, with a TimeoutError after `timeout` ms, or with the reason of an aborted `signal`.
   */
  wait(action?: unknown, options?: unknown): Promise<Action | void> {
    try {
      const opts = v.options("options", options, ["sleepTime", "timeout", "signal"]);
      const sleepTime = opts.sleepTime === undefined ? Infinity : v.finite("sleepTime", opts.sleepTime, 0, 60_000);
      const timeout = opts.timeout === undefined ? undefined : v.finite("timeout", opts.timeout, 0, 2 ** 31 - 1);
      const signal = opts.signal === undefined ? undefined : checkSignal("signal", opts.signal);
      if (action !== undefined) this.#checkAction(action);
      // Closed meanwhile (by a getter of the options): what a wait on a closing stream gets.
      if (this.#closed) throw new StreamClosedError("the stream was closed before the action finished");
      this.collect();
      if (action !== undefined) {
        return this.#waits.wait([action as Action], action as Action, timeout, signal, sleepTime);
      }
      return this.#waits.wait<void>(this.#inFlightActions(), undefined, timeout, signal, sleepTime);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Whether the callback runs (the stream says so): the wait timer looks only then. */
  setRunning(running: boolean): void {
    // The first read of the stream's clock in a process took 15-35 us (its FFI call's first
    // run): read once now, not inside the first action sent (the waits read it to predict ends).
    if (running) this.#streamTime?.();
    this.#waits.setRunning(running);
  }

  /** Whether the wait timer keeps the process alive. */
  setRef(ref: boolean): void {
    this.#waits.setRef(ref);
  }

  /**
   * The stream was aborted (the callback has stopped): every action in flight ends as aborted,
   * and every wait settles.
   */
  abortActions(): void {
    if (this.#closed) return;
    this.#drain();
    this.#waits.end("the stream was aborted before the action finished");
  }

  #inFlightActions(): Action[] {
    const list: Action[] = [];
    if (this.#inFlight > 0) {
      for (const page of this.#pages.values()) for (const e of page.entries) if (e) list.push(e.action);
    }
    return list;
  }

  /**
   * Milliseconds until the callback block that finishes the earliest action in flight has run
   * (negative: it should have); undefined if an end is unknown.
   */
  #nextEndMs(): number | undefined {
    if (this.#inFlight > 1024) return undefined; // not worth the scan: look each block
    const fs = this.sampleRate;
    const now = this.frameTime;
    const streamTime = this.#streamTime?.() ?? NaN;
    const applied = this.#header.f64[HEADER.currentAppliedF64];
    const clocked = Number.isFinite(streamTime) && applied !== 0;
    // When the callback for the block that starts at `frame` runs, from now, on the clock it is
    // given (its current time).
    const callbackMs = (frame: number) => ((frame + applied) / fs - streamTime) * 1000;
    let end = Infinity;
    // Indexed, and only until every action in flight was seen: a scan of all slots through
    // entries() iterators took 0.6 ms in Bun and 13-18 ms in Deno on the first call (1024
    // slots, interpreted), and this runs each time the timer is set again.
    let left = this.#inFlight;
    for (const page of this.#pages.values()) {
      const entries = page.entries;
      for (let i = 0; i < entries.length && left > 0; i++) {
        const e = entries[i];
        if (!e) continue;
        left--;
        if (e.frames === Infinity) return undefined; // a ring's action ends when the ring does
        const start = page.f64[i * (REPORT.bytes / 8) + REPORT.startFrameF64];
        // Not placed yet: the next callback places it (and may finish it).
        if (start < 0) return clocked ? callbackMs(now) : undefined;
        end = Math.min(end, start + e.frames);
      }
      if (left === 0) break;
    }
    if (end === Infinity) return undefined;
    if (clocked) {
      // The block that plays the last frame (end - 1) starts at this frame.
      const block = this.#blockFrameCount();
      return callbackMs(now + Math.floor(Math.max(end - 1 - now, 0) / block) * block);
    }
    // No clock to place the callback within its block: half a block after the end, on average.
    return ((end - now) / fs) * 1000 + this.#blockMs() / 2;
  }

  #blockFrameCount(): number {
    return this.#blockFrames || this.#header.f64[HEADER.statsF64 + STATS.maxBlocksize] || 256;
  }

  #blockMs(): number {
    return (this.#blockFrameCount() / this.sampleRate) * 1000;
  }

  /** Takes back every finished action from the callback, and settles the waits they complete. */
  collect(): void {
    if (this.#closed) return;
    const lib = native();
    let any = false;
    for (let slot = lib.rtm_mixer_collect(this.#mixer); slot >= 0; slot = lib.rtm_mixer_collect(this.#mixer)) {
      this.#release(slot, false);
      any = true;
    }
    if (any && this.#inFlight === 0 && this.#pages.size > this.#shrunkTo) this.#shrink();
    if (any) this.#waits.settle();
  }

  /**
   * Once nothing is in flight, the pages a burst added go back to the system (the native pool
   * keeps its first pages): their views are detached at once, with no JavaScript run between,
   * and their slots leave the free list.
   */
  #shrink(): void {
    const had = this.#pages.size;
    const pages = native().rtm_mixer_shrink(this.#mixer);
    this.#shrunkTo = pages;
    if (pages >= had) return;
    for (let p = pages; p < had; p++) {
      v.takeBack(this.#pages.get(p)!.buffer);
      this.#pages.delete(p);
    }
    this.#free.keepBelow(pages * LIMIT.pageSlots);
  }

  /**
   * The callback will not run again (its stream is closed or stopped for good): take back every
   * action (those it did not finish end as aborted, releasing everything they held), and detach
   * the views on native memory. The native mixer may be freed afterwards.
   */
  close(): void {
    if (this.#closed) return;
    this.#drain();
    this.#finalFrameTime = this.frameTime;
    this.#closed = true;
    this.#waits.end("the stream was closed before the action finished");
    v.takeBack(this.#header.buffer);
    v.takeBack(this.#request.buffer);
    for (const views of this.#pages.values()) v.takeBack(views.buffer);
  }

  /**
   * The callback will not run again (its stream is closed) but its native memory cannot be
   * reached safely (closing it failed): end everything in flight as aborted without touching
   * native memory, which is left allocated.
   */
  abandon(): void {
    if (this.#closed) return;
    for (const page of this.#pages.values()) {
      for (const [i, entry] of page.entries.entries()) {
        if (entry) actionInternals.finish(entry.action, { aborted: true });
        page.entries[i] = null;
      }
    }
    this.#inFlight = 0;
    this.#finalFrameTime = this.#header.f64[HEADER.frameTimeF64]; // the view, not a call: left alone
    this.#closed = true;
    this.#waits.end("the stream was closed before the action finished");
  }

  /**
   * The callback has stopped for good though the stream is open (its host ended it, and it was
   * aborted): end what is in flight as aborted. New actions are refused from now on.
   */
  fail(reason: string): void {
    if (this.#failed !== undefined || this.#closed) return;
    this.#drain();
    this.#failed = reason;
    this.#waits.end(`the stream stopped before the action finished: ${reason}`);
  }

  /** Hands back everything the callback holds and takes it all: pending ones end as aborted. */
  #drain(): void {
    native().rtm_mixer_drain(this.#mixer);
    const lib = native();
    for (let slot = lib.rtm_mixer_collect(this.#mixer); slot >= 0; slot = lib.rtm_mixer_collect(this.#mixer)) {
      this.#release(slot, true);
    }
  }

  /**
   * Runs one block of the callback's processing on the caller's buffers (the offline mixer).
   * `input`/`output` are read already (validate.ts `memory`); both checked here against the
   * frames, and again by native code.
   */
  process(
    input: Float32Array | null,
    output: Float32Array | null,
    frames: number,
    time: number,
    statusFlags: number,
  ): void {
    this.#assertUsable();
    // Read here, not taken as read: nothing the caller hands over is trusted.
    const inMemory = input === null ? null : v.transient("buffers.input", input, "Float32Array");
    const outMemory = output === null ? null : v.transient("buffers.output", output, "Float32Array");
    const status = native().rtm_mixer_process(
      this.#mixer,
      inMemory?.view ?? null,
      inMemory?.byteLength ?? 0,
      outMemory?.view ?? null,
      outMemory?.byteLength ?? 0,
      frames,
      time,
      time,
      time,
      statusFlags,
    );
    if (status !== 0) throw new Error(`internal error: the mixer refused a block of ${frames} frames (${status})`);
    this.collect();
  }

  #checkAction(action: unknown, name = "action"): void {
    if (!isAction(action)) throw new TypeError(`${name} must be an Action, got ${v.describe(action)}`);
    if (!actionInternals.isOwnedBy(action, this)) throw new TypeError(`${name} belongs to another stream`);
  }

  #assertOpen(): void {
    if (this.#closed) throw new TypeError("the stream is closed");
  }

  /** Open, and its callback may still run: actions can be sent. */
  #assertUsable(): void {
    this.#assertOpen();
    if (this.#failed !== undefined) throw new StreamClosedError(`the stream stopped: ${this.#failed}; close it`);
  }

  #release(slot: number, aborted: boolean): void {
    const page = this.#pages.get(Math.floor(slot / LIMIT.pageSlots))!;
    const index = slot % LIMIT.pageSlots;
    const { action, destination, channels, planes } = page.entries[index]!;
    const lib = native();
    const ending: Ending = { aborted };
    let status: number;
    if (planes) {
      // Recorded interleaved: into each channel's array now (into new ones, and the action
      // fails, if one was detached meanwhile).
      const done = page.f64[index * (REPORT.bytes / 8) + REPORT.doneFramesF64];
      const interleaved = new Float32Array(done * channels);
      status = lib.rtm_mixer_release(this.#mixer, slot, interleaved, done * channels * 4);
      const detached = planes.findIndex((m) => !v.stillAttached(m));
      const targets = detached < 0
        ? planes.map((m) => m.view as Float32Array)
        : planes.map(() => new Float32Array(done));
      deinterleave(interleaved, done, targets);
      ending.recording = freeze(targets);
      if (detached >= 0) {
        ending.error = new TypeError(
          `buffer[${detached}] was detached (transferred) before the recording could be copied into it; ` +
            `the ${done} frames recorded are in action.recording (new arrays, one per channel)`,
        );
      }
    } else if (destination) {
      // A record action's frames come out of native memory now, into its buffer, unless the
      // buffer was detached meanwhile: then into a new one, and the action fails, naming it.
      if (v.stillAttached(destination)) {
        status = lib.rtm_mixer_release(this.#mixer, slot, destination.view, destination.byteLength);
        ending.recording = destination.view as Float32Array;
      } else {
        const done = page.f64[index * (REPORT.bytes / 8) + REPORT.doneFramesF64];
        const recording = new Float32Array(done * channels);
        status = lib.rtm_mixer_release(this.#mixer, slot, recording, recording.byteLength);
        ending.recording = recording;
        ending.error = new TypeError(
          `buffer was detached (transferred) before the recording could be copied into it; the ${done} frames ` +
            `recorded are in action.recording`,
        );
      }
    } else {
      status = lib.rtm_mixer_release(this.#mixer, slot, null, 0);
    }
    if (status !== RELEASE.ok) throw new Error(`internal error: the mixer refused to release slot ${slot} (${status})`);
    actionInternals.finish(action, ending);
    page.entries[index] = null;
    this.#inFlight--;
    this.#free.push(slot);
  }

  #ring(type: ActionType, ringBuffer: unknown, options: unknown, streamChannels: number, direction: string): Action {
    if (!isRingBuffer(ringBuffer)) {
      throw new TypeError(`ringBuffer must be a RingBuffer, got ${v.describe(ringBuffer)}`);
    }
    const play = type === ActionType.PLAY_RINGBUFFER;
    const opts = v.options("options", options, play ? PLAY_RING_KEYS : [...RECORD_KEYS, "channels"]);
    const timing = timingOf(opts.allowBelated, opts.start, opts.startFrame, "start", "startFrame");
    let shape = PLAIN;
    if (play) {
      shape = playShape(opts, this.sampleRate, isAction);
      if (shape.after !== undefined) this.#checkAction(shape.after, "after");
      shape = underflowShape(shape, opts);
    } else shape = this.#recordShape(opts);
    // Everything read: the ring's state now is what counts.
    const elementSize = ringInternals.elementSize(ringBuffer);
    const m = shape.matrix;
    let channels = opts.channels;
    if (channels === undefined) {
      if (m !== undefined) channels = m.columns;
      else {
        if (elementSize % 4 !== 0) {
          throw new RangeError(
            `ringBuffer.elementSize (${elementSize}) must be a multiple of 4 (float32 samples) to infer channels`,
          );
        }
        channels = elementSize / 4;
      }
    }
    const mapping = this.#mapping("channels", channels, streamChannels, direction);
    const sourceChannels = m?.rows ?? mapping.count;
    if (m !== undefined) this.#checkSource(shape, mapping, sourceChannels, "");
    if (elementSize !== sourceChannels * 4) {
      throw new RangeError(
        m === undefined
          ? `ringBuffer.elementSize (${elementSize}) must be 4 × channels (${mapping.count} channels: ${
            mapping.count * 4
          })`
          : `ringBuffer.elementSize (${elementSize}) must be 4 × the matrix's rows (${m.rows} rows: ${m.rows * 4})`,
      );
    }
    ringInternals.checkPlayable(ringBuffer, "ringBuffer", play ? "reader" : "writer");
    return this.#submit(type, timing, Infinity, mapping, { ringBuffer }, null, undefined, undefined, shape);
  }

  /** The 1-based channel numbers of `channels` (a count or a list), as the action's own copy. */
  #mapping(name: string, channels: unknown, streamChannels: number, direction: string): Mapping {
    if (typeof channels === "number") {
      v.integer(name, channels, 1, LIMIT.mappingMax);
      if (streamChannels === 0) throw new TypeError(`this stream has no ${direction} channels`);
      if (channels > streamChannels) {
        throw new RangeError(`${name} (${channels}) exceeds the stream's ${streamChannels} ${direction} channels`);
      }
      return identity(channels);
    }
    if (typeof channels !== "object" || channels === null) {
      throw new TypeError(
        `${name} must be a channel count or an array of 1-based channel numbers, got ${v.describe(channels)}`,
      );
    }
    if (streamChannels === 0) throw new TypeError(`this stream has no ${direction} channels`);
    return v.integers(name, channels, LIMIT.mappingMax, 1, streamChannels, "1-based channel number");
  }

  /** Writes the request, submits it, and returns its Action. Only native code runs in here. */
  #submit(
    type: ActionType,
    timing: Timing,
    frames: number,
    mapping: Mapping,
    payload: ActionPayload,
    samples: v.Transient | null = null,
    destination?: v.Memory,
    planes?: v.Memory[],
    shape: Shape = PLAIN,
  ): Action {
    this.#assertUsable();
    const ring = payload.ringBuffer ? ringInternals.header(payload.ringBuffer, "ringBuffer") : null;
    const shared = payload.sample ? sampleInternals.pointer(payload.sample, "buffer") : null;
    const slot = this.#takeSlot();
    const { f64, u32 } = this.#request;
    const routes = shape.matrix ? this.#writeRoutes(shape, mapping) : 0;
    u32[REQUEST.kindU32] = type;
    u32[REQUEST.flagsU32] = timing.flags | (shape.after ? FLAG.after : 0) |
      (shape.silence ? FLAG.underflowSilence : 0) |
      (shape.matrix ? FLAG.routed : 0);
    f64[REQUEST.requestedF64] = timing.requested;
    f64[REQUEST.totalFramesF64] = frames === Infinity ? 0 : frames;
    f64[REQUEST.gainF64] = shape.gain;
    f64[REQUEST.fadeInF64] = shape.fadeIn;
    f64[REQUEST.fadeOutF64] = shape.fadeOut;
    f64[REQUEST.loopCountF64] = shape.loopCount;
    f64[REQUEST.loopStartF64] = shape.loopStart;
    f64[REQUEST.loopEndF64] = shape.loopEnd < 0 ? frames : shape.loopEnd;
    f64[REQUEST.rampF64] = timing.offset ?? shape.ramp;
    u32[REQUEST.curveU32] = shape.curve;
    const { channels, count } = mapping;
    if (shape.matrix) {
      u32[REQUEST.channelCountU32] = routes;
      u32[REQUEST.sourceChannelsU32] = shape.matrix.rows;
    } else {
      u32[REQUEST.channelCountU32] = count;
      u32[REQUEST.sourceChannelsU32] = count;
      for (let i = 0; i < count; i++) u32[REQUEST.mappingU32 + i] = channels[i] - 1;
    }
    const target = payload.target ?? shape.after;
    u32[REQUEST.targetSlotU32] = 0;
    u32[REQUEST.targetSerialU32] = 0;
    if (target) {
      // A finished target's slot may hold another action by now: the serial tells them apart
      // (0 for a target known to have finished matches nothing).
      const targetSlot = actionInternals.slot(target);
      const page = this.#pages.get(Math.floor(targetSlot / LIMIT.pageSlots));
      if (page?.entries[targetSlot % LIMIT.pageSlots]?.action === target) {
        u32[REQUEST.targetSlotU32] = targetSlot;
        u32[REQUEST.targetSerialU32] = actionInternals.serial(target);
      }
    }
    // What it plays in all: a loop repeats its region.
    const played = shape.loopCount === 1
      ? frames
      : frames + (shape.loopCount - 1) * ((shape.loopEnd < 0 ? frames : shape.loopEnd) - shape.loopStart);
    const bytes = samples === null ? 0 : samples.byteLength;
    let status;
    u32[REQUEST.slotU32] = slot;
    if (samples !== null && bytes <= REQUEST.samplesBytes) {
      v.copyInto(this.#requestSamples, samples.view);
      u32[REQUEST.samplesBytesU32] = bytes;
      status = native().rtm_mixer_submit_inline(this.#mixer);
    } else {
      status = native().rtm_mixer_submit(this.#mixer, samples?.view ?? null, bytes, ring, shared);
    }
    if (status !== SUBMIT.ok) {
      this.#free.push(slot);
      throw submitError(status, frames, count);
    }
    const page = this.#pages.get(Math.floor(slot / LIMIT.pageSlots))!;
    const report = new ReportView(
      page.f64,
      page.u32,
      (slot % LIMIT.pageSlots) * (REPORT.bytes / 8),
      slot,
      this.#header.f64,
    );
    const action = new Action(this, report, type, timing, played, mapping, payload, shape.after);
    // Not the payload: native code holds what it plays itself (its own copy of the samples, a
    // reference on a ring or Sample), and a record's destination is kept here.
    page.entries[slot % LIMIT.pageSlots] = new InFlight(action, destination, planes, count, played);
    this.#inFlight++;
    this.#waits.schedule();
    return action;
  }

  /**
   * Writes a mix matrix's nonzero entries as routes (source channel, output channel, gain) into
   * the request block; returns how many (at least one: an all-zero matrix plays silence).
   */
  #writeRoutes(shape: Shape, mapping: Mapping): number {
    const { rows, columns, gains } = shape.matrix!;
    const { u32 } = this.#request;
    const f32 = this.#requestF32;
    let n = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const g = gains[r * columns + c];
        if (g === 0 && !(n === 0 && r === rows - 1 && c === columns - 1)) continue;
        if (n === LIMIT.mappingMax) throw new RangeError(`matrix has more than ${LIMIT.mappingMax} nonzero entries`);
        u32[REQUEST.mappingU32 + n] = mapping.channels[c] - 1;
        u32[REQUEST.sourcesU32 + n] = r;
        f32[REQUEST.routeGainsF32 + n] = g;
        n++;
      }
    }
    return n;
  }

  /** A free slot: one that came back, else a new page's. */
  #takeSlot(): number {
    if (this.#free.length === 0) this.collect();
    if (this.#free.length === 0) {
      const lib = native();
      const count = lib.rtm_mixer_add_page(this.#mixer);
      if (count < 0) throw new RangeError("out of native memory for more actions in flight");
      this.#mapPage(lib.rtm_mixer_page(this.#mixer, this.#pages.size)!);
      this.#freeSlots((this.#pages.size - 1) * LIMIT.pageSlots, this.#pages.size * LIMIT.pageSlots);
    }
    return this.#free.pop();
  }

  #mapPage(pointer: Pointer): void {
    const page = this.#pages.size;
    // Array.from defines each element (no setter on Array.prototype runs), so stores later hit
    // own properties.
    const entries = Array.from({ length: LIMIT.pageSlots }, () => null as InFlight | null);
    this.#pages.set(page, { ...viewsOf(pointer, LIMIT.pageSlots * REPORT.bytes), entries });
  }

  /**
   * Slots `from` to `to` (new ones) become free, the lowest first out of the stack: the waits'
   * prediction scans the slots from 0 up to the last action in flight, so those stay low. (With
   * each page's slots pushed as it was mapped, a 1024-slot stream handed out slot 768 first, and
   * the first scan, interpreted, walked 768 empty slots: 0.05-0.4 ms of a stream's first
   * playBuffer.)
   */
  #freeSlots(from: number, to: number): void {
    for (let slot = to - 1; slot >= from; slot--) this.#free.push(slot);
  }
}

let warmedUp = false;

/**
 * Runs one small play action through a scratch native mixer, once per process (a stream with
 * outputs calls this when it opens). A call's first run in a process compiles every function on
 * its way (the engines compile lazily) and fills their caches: 2-4 ms measured for the first
 * playBuffer on a stream, where later ones took microseconds. This moves that to the stream's
 * opening (measured alone: Bun 1.5-3 ms, Deno 2-9 ms, most of Deno's in closing the scratch
 * engine; at load 6 on 2 cores, with spikes to 30 ms), so that the first bleep a script
 * schedules costs about what the next ones do. Everything it made is freed before it returns.
 */
export function warmUp(): void {
  if (warmedUp) return;
  warmedUp = true;
  const lib = native();
  const mixer = lib.rtm_mixer_create(0, 2, 48000, 4);
  if (mixer === null) return; // out of memory: nothing to warm, and the stream's own error will say so
  // A running engine with a clock, as a stream's: each action sent sets the waits' timer, which
  // predicts when the callback finishes it (the first call of that prediction compiled it:
  // 0.2-0.5 ms of a stream's first playBuffer).
  const engine = new Engine(mixer, 0, 2, {}, undefined, 16, () => 1);
  try {
    const output = new Float32Array(2 * 16);
    engine.process(null, output, 16, 1, 0); // sets the clock (stream time 1 s at frame 0)
    engine.setRunning(true);
    engine.playBuffer(new Float32Array(2), [1], { start: 1.0005, allowBelated: false });
    engine.process(null, output, 16, 1 + 16 / 48000, 0);
    engine.setRunning(false);
  } finally {
    engine.close();
    lib.rtm_mixer_destroy(mixer);
  }
}

/** A stack of free slot numbers in a typed array (which nothing on Array.prototype reaches). */
class SlotStack {
  #items = new Uint32Array(LIMIT.pageSlots);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(slot: number): void {
    if (this.#length === this.#items.length) {
      const grown = new Uint32Array(this.#items.length * 2);
      grown.set(this.#items);
      this.#items = grown;
    }
    this.#items[this.#length++] = slot;
  }

  /** The last slot pushed; the caller made sure there is one. */
  pop(): number {
    return this.#items[--this.#length];
  }

  /** Drops the slots from `limit` on, keeping the others in their order. */
  keepBelow(limit: number): void {
    let kept = 0;
    for (let i = 0; i < this.#length; i++) if (this.#items[i] < limit) this.#items[kept++] = this.#items[i];
    this.#length = kept;
  }
}

/**
 * The channels and options of a planar play or record: `channels` may be left out
 * (`playBuffer(planes, options)`): an object that is not a list is the options.
 */
function planarArguments(channels: unknown, options: unknown): [unknown, unknown] {
  if (typeof channels === "object" && channels !== null && !v.isArray("channels", channels) && options === undefined) {
    return [undefined, channels];
  }
  return [channels, options];
}

/** An AbortSignal, recognised by its own getter (a look-alike or a Proxy is refused). */
const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")!.get!;
function checkSignal(name: string, value: unknown): AbortSignal {
  try {
    abortedGetter.call(value);
  } catch {
    throw new TypeError(`${name} must be an AbortSignal, got ${v.describe(value)}`);
  }
  return value as AbortSignal;
}

/** A refused submission, as the error its argument deserves. */
function submitError(status: number, frames: number, channels: number): Error {
  switch (status) {
    case SUBMIT.outOfMemory:
      return new RangeError(`buffer: no native memory for ${frames} frames × ${channels} channels`);
    case SUBMIT.ringBusy:
      return new TypeError(
        "ringBuffer: its side is already used by another action (one reader and one writer per ring)",
      );
    case SUBMIT.badRing:
      return new TypeError(
        "ringBuffer cannot be played or recorded by an action (lent memory, or a mismatched element size)",
      );
    case SUBMIT.badSamples:
      return new RangeError(`buffer holds fewer than ${frames} frames × ${channels} channels`);
    default:
      return new Error(`internal error: the mixer refused an action (status ${status})`);
  }
}

/** Frames in `length` samples of `channels` channels. */
function framesOf(name: string, length: number, channels: number, what: string): number {
  if (length % channels !== 0) {
    throw new RangeError(`${name}: ${what} (${length}) must be a multiple of the channel count (${channels})`);
  }
  const frames = length / channels;
  if (frames > LIMIT.framesMax) throw new RangeError(`${name} holds ${frames} frames, more than ${LIMIT.framesMax}`);
  return frames;
}

/** An action's start (or time) from its options' values, read already. */
function timingOf(belated: unknown, seconds: unknown, frame: unknown, secondsName: string, frameName: string): Timing {
  const allowBelated = belated === undefined ? true : v.boolean("allowBelated", belated);
  const flags = allowBelated ? FLAG.allowBelated : 0;
  if (frame !== undefined) {
    if (seconds !== undefined) throw new TypeError(`give ${secondsName} or ${frameName}, not both`);
    const f = v.integer(frameName, frame, 0, LIMIT.positionMax);
    return { requested: f, requestedTime: NaN, requestedFrame: f, flags: flags | FLAG.startIsFrame, allowBelated };
  }
  const t = seconds === undefined ? 0 : v.finite(secondsName, seconds, 0);
  return { requested: t, requestedTime: t, flags, allowBelated };
}

function timeTiming(options: unknown): Timing {
  const o = v.options("options", options, TIME_KEYS);
  return timingOf(o.allowBelated, o.time, o.frame, "time", "frame");
}
