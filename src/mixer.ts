/**
 * rtmixer's three stream classes: `Mixer` plays, `Recorder` records, `MixerAndRecorder` does
 * both, each through actions carried out by the native callback with sample-accurate starts.
 */
import type { Action, Recording } from "./action.ts";
import {
  type CancelOptions,
  Engine,
  type PlayOptions,
  type RecordOptions,
  type SetGainOptions,
  type StartOptions,
  type TimeOptions,
  type WaitOptions,
  warmUp,
} from "./engine.ts";
import type { PlayShapeOptions, UnderflowOptions } from "./shape.ts";
import type { RingBuffer } from "./ringbuffer.ts";
import type { Sample } from "./sample.ts";
import * as v from "./validate.ts";
import { Stream, streamInternals, type StreamKind, type StreamOptions } from "./stream.ts";
import { MeasurementError } from "./errors.ts";
import { expSweep, impulseResponse, type Peak, peakOf } from "./measure.ts";

/** How long a stream must look ended by its host before it counts as such (see #hostEnded). */
const ENDED_AFTER_MS = 200;

/**
 * Options of a {@link Mixer}: `device`, `channels`, `latency` and `dtype` are single values (an
 * array is refused with a `TypeError` naming the option).
 */
export type MixerOptions = StreamOptions<"output">;
/** Options of a {@link Recorder}: `device`, `channels`, `latency` and `dtype` are single values. */
export type RecorderOptions = StreamOptions<"input">;
/**
 * Options of a {@link MixerAndRecorder}: `device`, `channels`, `latency` and `dtype` are
 * `[input, output]` pairs, or single values for both directions.
 */
export type MixerAndRecorderOptions = StreamOptions<"duplex">;

/** Channels of an action: a count (channels 1..n) or a list of 1-based channel numbers. */
export type Channels = number | readonly number[];

/** Options of `playRingBuffer` / `recordRingBuffer`. */
export interface RingBufferOptions extends StartOptions {
  /** Default: the ring's elementSize / 4 channels, 1..n (with a matrix: 1..its columns). */
  channels?: Channels;
  /** Starts at exactly the frame `after` ends (see `PlayOptions.after`). Not with `start`. */
  after?: Action;
}

/** Options of `playRingBuffer`: as {@link RingBufferOptions}, with gain, fade-in, matrix and underflow policy. */
export interface PlayRingBufferOptions extends RingBufferOptions, Omit<PlayShapeOptions, "fadeOut">, UnderflowOptions {}

/** Options of {@link MixerAndRecorder.measureLatency}. */
export interface MeasureLatencyOptions {
  /** Output channels the test signal plays on (default 1: channel 1). */
  outputChannels?: Channels;
  /** Input channels recorded (default 1: channel 1); the one with the clearest peak answers. */
  inputChannels?: Channels;
  /** Peak amplitude of the test signal (default 0.25, −12 dBFS). */
  level?: number;
  /** Length of the test signal, an exponential sine sweep, in seconds (default 0.5). */
  seconds?: number;
  /** The longest round trip looked for, in seconds (default 0.5): the recording is this much longer than the sweep. */
  maxLatency?: number;
  /** The least peak-to-noise ratio of the response that counts as an answer (default 10). */
  minConfidence?: number;
  /** The least peak amplitude of the recording that counts as a signal (default 1e-4, −80 dBFS). */
  minLevel?: number;
}

/** What {@link MixerAndRecorder.measureLatency} found. */
export interface LatencyMeasurement {
  /**
   * The round trip in frames, on the stream's sample clock: what output frame f plays comes back
   * as input frame f + frames (`recordBuffer(..., { startFrame: f + frames })` records it).
   */
  frames: number;
  /** A sub-sample estimate of the round trip (a parabola through the response's peak). */
  exactFrames: number;
  /** `frames` in seconds. */
  seconds: number;
  /** The round trip PortAudio reports: its input plus output latency, in frames (often wrong). */
  reportedFrames: number;
  /** The response's peak over the RMS of the rest (a peak-to-noise ratio). */
  confidence: number;
  /**
   * The gain of the round trip: the response's peak over the peak of the sweep's own reference
   * response (sweep ⊛ inverse), so 1 for a unit-gain loopback; negative if inverted.
   */
  gain: number;
  /** The input channel whose response answered. */
  inputChannel: number;
  /**
   * That channel's impulse response, frames 0 to `maxLatency` seconds after the test signal
   * started (as `impulseResponse` gives it: its magnitude spectrum is the round trip's gain over
   * the sweep's band; a unit-gain loopback peaks at the sweep's `referencePeak`, about 0.8).
   */
  response: Float32Array;
}

/** Options of {@link MixerAndRecorder.playrec}. */
export interface PlayrecOptions {
  /** Input channels recorded (default: the channel numbers played on). */
  inputChannels?: Channels;
  /** The round trip in frames (default: the last `measureLatency()` of this stream). */
  latency?: number;
  /** The output frame at which playing starts (default: about 0.2 s from now). */
  startFrame?: number;
}

/** Frames ahead of the callback at which a measurement starts (a fifth of a second). */
const MEASURE_AHEAD_SECONDS = 0.2;

/** Channel numbers from a count (1..n) or a list of 1-based numbers, checked against the stream's. */
function channelNumbers(name: string, value: unknown, streamChannels: number, direction: string): number[] {
  if (streamChannels === 0) throw new TypeError(`this stream has no ${direction} channels`);
  if (typeof value === "number") {
    const n = v.integer(name, value, 1, streamChannels);
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  return Array.from(v.integers(name, value, 256, 1, streamChannels, `${direction} channel number`).channels);
}

/** A stream's engine (private to the stream classes: a subclass cannot reach or replace it). */
let engineOf: (s: ActionStream) => Engine;

/**
 * What all three stream classes share: actions in flight, cancel, stats, wait, the frame clock.
 * `K` is the kind of stream (`"output"`, `"input"` or `"duplex"`); `ActionStream` alone is any of
 * them.
 */
export abstract class ActionStream<K extends StreamKind = StreamKind> extends Stream<K> {
  readonly #engine: Engine;

  /** Opens a stream of `kind` with the action engine on its callback (not started). */
  constructor(kind: K, options: StreamOptions<K> | undefined) {
    super(kind, options);
    const [inputs, outputs] = streamInternals.channels(this);
    const engine = new Engine(
      streamInternals.mixer(this),
      inputs,
      outputs,
      streamInternals.owner(this),
      () => this.#hostEnded(),
      this.blockSize,
      () => streamInternals.time(this),
    );
    this.#engine = engine;
    streamInternals.onClose(this, (stopped) => (stopped ? engine.close() : engine.abandon()));
    if (outputs > 0) warmUp();
  }

  static {
    engineOf = (s) => s.#engine;
  }

  /**
   * Starts the callback. While it runs with actions in flight, the stream keeps the process
   * alive (as a timer does), so that a script ending with sounds scheduled exits once they have
   * played; see {@link unref}.
   */
  override start(): void {
    super.start();
    this.#engine.setRunning(true);
  }

  /**
   * Stops after the buffers already queued have played. Actions in flight stay pending (and
   * their waits too) until the stream starts again.
   */
  override stop(): void {
    super.stop();
    this.#engine.setRunning(false);
  }

  /** Stops at once: every action in flight ends as "aborted", and every wait settles. */
  override abort(): void {
    super.abort();
    this.#engine.setRunning(false);
    this.#engine.abortActions();
  }

  /** The stream no longer keeps the process alive while it plays (Node's and Deno's `unref`). */
  unref(): this {
    this.assertOpen();
    this.#engine.setRef(false);
    return this;
  }

  /** Undoes {@link unref}. */
  ref(): this {
    this.assertOpen();
    this.#engine.setRef(true);
    return this;
  }

  /** The actions in flight (finished ones are collected first). */
  get actions(): ReadonlySet<Action> {
    this.assertOpen();
    return this.#engine.actions;
  }

  /**
   * Frames the callback has processed since the stream started: the stream's own sample clock,
   * on which starts are placed. Schedule with `startFrame` for exact frame positions.
   */
  get frameTime(): number {
    this.assertOpen();
    return this.#engine.frameTime;
  }

  /**
   * The frame (on {@link frameTime}'s clock) at which something due at stream time `time` is
   * played (`"output"`) or was captured (`"input"`), per the clock model the callback uses now.
   * Default direction: output, or input for a Recorder.
   */
  frameAt(time: number, direction?: "input" | "output"): number {
    this.assertOpen();
    v.finite("time", time);
    return this.#direction(direction) === "input" ? this.#engine.inputFrameAt(time) : this.#engine.outputFrameAt(time);
  }

  /** The stream time at which `frame` is played (`"output"`) or was captured (`"input"`). */
  timeAt(frame: number, direction?: "input" | "output"): number {
    this.assertOpen();
    v.finite("frame", frame);
    return this.#direction(direction) === "input" ? this.#engine.inputTimeAt(frame) : this.#engine.outputTimeAt(frame);
  }

  #direction(direction: unknown): "input" | "output" {
    if (direction === undefined) return this.kind === "input" ? "input" : "output";
    if (direction !== "input" && direction !== "output") {
      throw new TypeError(`direction must be "input" or "output", got ${v.describe(direction)}`);
    }
    if ((direction === "input" ? this.#engine.inputChannels : this.#engine.outputChannels) === 0) {
      throw new TypeError(`this stream has no ${direction}`);
    }
    return direction;
  }

  /**
   * Stops an action at `time` (default: as soon as possible): one that has not started by then
   * is removed before it plays anything, a running one stops exactly at that sample, or with
   * `fade` fades out from there and stops when silent. Returns the cancel action; `wait()` on
   * either action waits until it is done.
   */
  cancel(action: Action, options?: CancelOptions): Action {
    this.assertOpen();
    return this.#engine.cancel(action, options);
  }

  /** Fetches the stream's over-/underflow statistics and resets them, at `time`. */
  fetchAndResetStats(options?: TimeOptions): Action {
    this.assertOpen();
    return this.#engine.fetchAndResetStats(options);
  }

  /**
   * Resolves to `action` once it has finished, within about a block of its end and with no call
   * of yours in between. Rejects with StreamClosedError if the stream is closed or aborted, or its
   * host ends it, first; with a TimeoutError after `options.timeout` ms; with the reason of
   * `options.signal` when it aborts. A stopped stream keeps its actions pending until it starts
   * again: bound such a wait with `timeout` or `signal`.
   *
   * ```ts
   * const play = mixer.playBuffer(tone, 2, { start: mixer.time + 0.5 });
   * await mixer.wait(play, { timeout: 5000 });
   * ```
   */
  wait<A extends Action>(action: A, options?: WaitOptions): Promise<A>;
  /** Resolves once every action sent so far has finished (see above). */
  wait(action?: undefined, options?: WaitOptions): Promise<void>;
  wait(action?: Action, options?: WaitOptions): Promise<Action | void> {
    this.assertOpen();
    return this.#engine.wait(action, options);
  }

  /** When the stream was first seen neither active nor stopped (see {@link #hostEnded}). */
  #endedSince: number | undefined;

  /**
   * Our callback never ends a stream, so one that is neither active nor stopped was ended by its
   * host (a JACK server that quit): abort it, so that the callback cannot run again. PortAudio's
   * JACK host API can look so for a moment just after a start (its start waits on a condition
   * once, without a loop, so a spurious wake-up returns early): only a state that lasts counts.
   */
  #hostEnded(): string | undefined {
    if (this.closed || this.active || this.stopped) {
      this.#endedSince = undefined;
      return undefined;
    }
    const now = Date.now();
    this.#endedSince ??= now;
    if (now - this.#endedSince < ENDED_AFTER_MS) return undefined;
    try {
      super.abort(); // the stream's abort only: the engine ends the actions itself, saying why
    } catch {
      return undefined; // not surely stopped: its actions stay where they are
    }
    this.#engine.setRunning(false);
    return "the audio host ended it (for JACK: the server quit)";
  }
}

/**
 * PortAudio output stream for realtime mixing (rtmixer's `Mixer`). Its `device`, `channels` and
 * `latency` are numbers. `K` is `"output"` for a Mixer; a {@link MixerAndRecorder}, a Mixer too,
 * is a `Mixer<"duplex">` (its pairs are typed as such), so a function that takes either takes a
 * `Mixer<"output" | "duplex">`. Do not give `K` yourself: `new Mixer()` always opens an output
 * stream.
 *
 * ```ts
 * using mixer = new Mixer({ channels: 2 });
 * mixer.start();
 * const tone = new Float32Array(2 * 4800).map((_, i) => 0.2 * Math.sin(i / 2 / 48000 * 2 * Math.PI * 440));
 * const action = mixer.playBuffer(tone, 2, { start: mixer.time + 0.5 });
 * await mixer.wait(action);
 * ```
 */
export class Mixer<K extends "output" | "duplex" = "output"> extends ActionStream<K> {
  /** The kind of stream the class opens (MixerAndRecorder, a Mixer too, opens a duplex one). */
  protected static readonly streamKind: StreamKind = "output";

  /** Opens an output stream (not started: call `start()`). */
  constructor(options?: MixerOptions) {
    super((new.target as typeof Mixer).streamKind as K, options as StreamOptions<K> | undefined);
  }

  /**
   * Plays `buffer` starting at `start` (default: as soon as possible):
   * - a Float32Array of interleaved samples on `channels` (a count, 1..n, or a list of 1-based
   *   channel numbers), copied when the action is sent, so it may be reused at once;
   * - a list of Float32Arrays, one per channel (planar, as Web Audio's `getChannelData`), on
   *   channels 1..n unless `channels` names others, also copied;
   * - a {@link Sample}, played where it is and shared by every action that plays it, on
   *   channels 1..sample.channels unless `channels` names others.
   */
  playBuffer(buffer: Float32Array, channels: Channels, options?: PlayOptions): Action;
  /** Plays planar audio (one Float32Array per channel) or a Sample, on `channels` (default 1..n). */
  playBuffer(buffer: readonly Float32Array[] | Sample, channels?: Channels, options?: PlayOptions): Action;
  /** Plays planar audio or a Sample on channels 1..n. */
  playBuffer(buffer: readonly Float32Array[] | Sample, options?: PlayOptions): Action;
  playBuffer(buffer: unknown, channels?: unknown, options?: unknown): Action {
    this.assertOpen();
    return engineOf(this).playBuffer(buffer, channels, options);
  }

  /**
   * Plays what is written into `ringBuffer` (elements of channels × 4 bytes) until it runs dry
   * (or, with `onUnderflow: "silence"`, until cancelled).
   */
  playRingBuffer(ringBuffer: RingBuffer, options?: PlayRingBufferOptions): Action {
    this.assertOpen();
    return engineOf(this).playRingBuffer(ringBuffer, options);
  }

  /**
   * Changes the gain of a play action at `time` or `frame` (default: at once), exactly there: at
   * once, or along a ramp of `ramp` seconds (`curve`: "linear", "exponential" or "target").
   * Returns the gain-change action.
   *
   * ```ts
   * const tone = mixer.playBuffer(beep, 2, { loop: true });
   * mixer.setGain(tone, dB(-12), { time: mixer.time + 1, ramp: 0.5 });
   * ```
   */
  setGain(action: Action, gain: number, options?: SetGainOptions): Action {
    this.assertOpen();
    return engineOf(this).setGain(action, gain, options);
  }
}

/**
 * PortAudio input stream for realtime recording (rtmixer's `Recorder`). Its `device`, `channels`
 * and `latency` are numbers.
 */
export class Recorder extends ActionStream<"input"> {
  /** Opens an input stream (not started: call `start()`). */
  constructor(options?: RecorderOptions) {
    super("input", options);
  }

  /**
   * Records into `buffer` from `start` (default: as soon as possible) until full: a Float32Array
   * of interleaved samples from `channels`, or a list of Float32Arrays, one per channel (planar),
   * from channels 1..n unless `channels` names others. The callback records into native memory;
   * the frames appear in `buffer` when the action has finished (see `wait`), or when the stream
   * closes with what was recorded until then.
   */
  recordBuffer(buffer: Float32Array, channels: Channels, options?: RecordOptions): Action<Float32Array>;
  /** Records into one Float32Array per channel (planar), from `channels` (default 1..n). */
  recordBuffer(
    buffer: readonly Float32Array[],
    channels?: Channels,
    options?: RecordOptions,
  ): Action<readonly Float32Array[]>;
  /** Records into one Float32Array per channel (planar), from channels 1..n. */
  recordBuffer(buffer: readonly Float32Array[], options?: RecordOptions): Action<readonly Float32Array[]>;
  recordBuffer(buffer: unknown, channels?: unknown, options?: unknown): Action<Recording> {
    this.assertOpen();
    return engineOf(this).recordBuffer(buffer, channels, options);
  }

  /** Records into `ringBuffer` (elements of channels × 4 bytes) until it is full. */
  recordRingBuffer(ringBuffer: RingBuffer, options?: RingBufferOptions): Action {
    this.assertOpen();
    return engineOf(this).recordRingBuffer(ringBuffer, options);
  }
}

/**
 * PortAudio duplex stream for realtime mixing and recording (rtmixer's `MixerAndRecorder`).
 * `device`, `channels` and `latency` are `[input, output]` pairs: the options take a pair or one
 * value for both directions, the properties report pairs.
 */
export class MixerAndRecorder extends Mixer<"duplex"> {
  /** A duplex stream, also a Mixer (as rtmixer's `MixerAndRecorder(Mixer, Recorder)`). */
  protected static override readonly streamKind: StreamKind = "duplex";

  /** Opens a duplex stream (not started: call `start()`). */
  constructor(options?: MixerAndRecorderOptions) {
    // Mixer's constructor opens the kind of `new.target` (duplex here), with these options.
    super(options as MixerOptions | undefined);
  }

  /** See {@link Recorder.recordBuffer}. */
  recordBuffer(buffer: Float32Array, channels: Channels, options?: RecordOptions): Action<Float32Array>;
  /** Records into one Float32Array per channel (planar), from `channels` (default 1..n). */
  recordBuffer(
    buffer: readonly Float32Array[],
    channels?: Channels,
    options?: RecordOptions,
  ): Action<readonly Float32Array[]>;
  /** Records into one Float32Array per channel (planar), from channels 1..n. */
  recordBuffer(buffer: readonly Float32Array[], options?: RecordOptions): Action<readonly Float32Array[]>;
  recordBuffer(buffer: unknown, channels?: unknown, options?: unknown): Action<Recording> {
    this.assertOpen();
    return engineOf(this).recordBuffer(buffer, channels, options);
  }

  /** See {@link Recorder.recordRingBuffer}. */
  recordRingBuffer(ringBuffer: RingBuffer, options?: RingBufferOptions): Action {
    this.assertOpen();
    return engineOf(this).recordRingBuffer(ringBuffer, options);
  }

  #latency: LatencyMeasurement | undefined;

  /** The last {@link measureLatency} of this stream, or undefined before one succeeded. */
  get measuredLatency(): LatencyMeasurement | undefined {
    return this.#latency;
  }

  /**
   * Measures the round trip from output to input: plays an exponential sine sweep on
   * `outputChannels` (default channel 1), records `inputChannels` (default channel 1) from the
   * same frame, deconvolves the recording into an impulse response and finds its peak. The stream
   * must be running (`start()` first; the measurement takes about `seconds` + `maxLatency` +
   * 0.2 s). The result is kept: `playrec` and `recordBuffer(..., { align: "output" })` use it.
   *
   * Rejects with a {@link MeasurementError} when nothing trustworthy came back: `reason`
   * `"silence"` (no loopback), `"weak"`, `"unclear"` (no clear peak) or `"belated"`; with a
   * TypeError or RangeError naming the option for bad options.
   *
   * ```ts
   * const { frames, reportedFrames } = await stream.measureLatency({ outputChannels: [1], inputChannels: [1] });
   * ```
   */
  async measureLatency(options?: MeasureLatencyOptions): Promise<LatencyMeasurement> {
    this.assertOpen();
    const o = v.options("options", options, [
      "outputChannels",
      "inputChannels",
      "level",
      "seconds",
      "maxLatency",
      "minConfidence",
      "minLevel",
    ]);
    const [inputs, outputs] = this.channels;
    const outs = channelNumbers("outputChannels", o.outputChannels ?? 1, outputs, "output");
    const ins = channelNumbers("inputChannels", o.inputChannels ?? 1, inputs, "input");
    const level = o.level === undefined ? 0.25 : v.finite("level", o.level, 0, 1);
    if (level === 0) throw new RangeError("level must be above 0 (a silent test signal measures nothing)");
    const seconds = o.seconds === undefined ? 0.5 : v.finite("seconds", o.seconds, 0.05, 60);
    const maxLatency = o.maxLatency === undefined ? 0.5 : v.finite("maxLatency", o.maxLatency, 0.01, 10);
    const minConfidence = o.minConfidence === undefined ? 10 : v.finite("minConfidence", o.minConfidence, 0);
    const minLevel = o.minLevel === undefined ? 1e-4 : v.finite("minLevel", o.minLevel, 0, 1);
    if (!this.active) throw new TypeError("measureLatency needs a running stream: call start() first");
    const fs = this.sampleRate;
    const { sweep, inverse, referencePeak } = expSweep({
      sampleRate: fs,
      seconds,
      level,
      f0: 100,
      f1: Math.min(20000, 0.45 * fs),
    });
    const maxFrames = Math.ceil(maxLatency * fs);
    const played = new Float32Array(sweep.length * outs.length);
    for (let i = 0; i < sweep.length; i++) played.fill(sweep[i], i * outs.length, (i + 1) * outs.length);
    const frames = sweep.length + maxFrames;
    const recorded = new Float32Array(frames * ins.length);
    const start = Math.ceil(this.frameTime + MEASURE_AHEAD_SECONDS * fs);
    const rec = this.recordBuffer(recorded, ins, { startFrame: start, allowBelated: false });
    const play = this.playBuffer(played, outs, { startFrame: start, allowBelated: false });
    const timeout = 5000 + 1000 * (MEASURE_AHEAD_SECONDS + frames / fs);
    await this.wait(rec, { timeout });
    await this.wait(play, { timeout });
    if (rec.outcome !== "done" || play.outcome !== "done") {
      throw new MeasurementError(
        `the test signal could not start on time (play: ${play.outcome}, record: ${rec.outcome}): the stream fell behind`,
        "belated",
      );
    }
    let best: (Peak & { channel: number; response: Float32Array }) | undefined;
    let loudest = 0;
    for (let c = 0; c < ins.length; c++) {
      const channel = new Float32Array(frames);
      let peak = 0;
      for (let i = 0; i < frames; i++) {
        const x = recorded[i * ins.length + c];
        channel[i] = x;
        peak = Math.max(peak, Math.abs(x));
      }
      loudest = Math.max(loudest, peak);
      if (peak < minLevel) continue;
      const response = await impulseResponse(channel, inverse);
      const found = peakOf(response, { from: 0, to: maxFrames });
      if (best === undefined || found.confidence > best.confidence) {
        best = { ...found, channel: ins[c], response: response.slice(0, maxFrames) };
      }
    }
    const where = `input channel${ins.length === 1 ? "" : "s"} ${ins.join(", ")}`;
    if (loudest === 0) {
      throw new MeasurementError(
        `nothing came back on ${where}: every sample was 0 (is output channel ${
          outs.join(", ")
        } connected to the input?)`,
        "silence",
      );
    }
    if (best === undefined) {
      throw new MeasurementError(
        `the signal that came back on ${where} peaks at ${
          loudest.toExponential(2)
        }, below minLevel ${minLevel}: too weak to measure`,
        "weak",
      );
    }
    if (best.confidence < minConfidence) {
      throw new MeasurementError(
        `no clear round trip on ${where}: the response's peak stands ${
          best.confidence.toFixed(1)
        } times above its noise, ` +
          `less than minConfidence ${minConfidence} (too much noise, or no loopback)`,
        "unclear",
      );
    }
    const [inputLatency, outputLatency] = this.latency;
    const result: LatencyMeasurement = {
      frames: best.frame,
      exactFrames: best.exactFrame,
      seconds: best.frame / fs,
      reportedFrames: Math.round((inputLatency + outputLatency) * fs),
      confidence: best.confidence,
      gain: best.value / referencePeak, // the peak over the reference response's (sweep ⊛ inverse)
      inputChannel: best.channel,
      response: best.response,
    };
    this.#latency = result;
    engineOf(this).roundTripFrames = result.frames;
    return result;
  }

  /**
   * Plays `buffer` (interleaved samples on `channels`) and resolves to a recording of the same
   * number of frames, aligned so that its frame k is what came back from frame k of the playback:
   * the recording starts the round trip later, on the stream's sample clock. The round trip is
   * the last {@link measureLatency} of this stream, or `options.latency` (frames). It records the
   * channel numbers it plays on, or `options.inputChannels`. The stream must be running.
   *
   * ```ts
   * await stream.measureLatency();
   * const recording = await stream.playrec(clicks, 1);
   * ```
   */
  async playrec(buffer: Float32Array, channels: Channels, options?: PlayrecOptions): Promise<Float32Array> {
    this.assertOpen();
    const o = v.options("options", options, ["inputChannels", "latency", "startFrame"]);
    const [inputs, outputs] = this.channels;
    const outs = channelNumbers("channels", channels, outputs, "output");
    const ins = o.inputChannels === undefined
      ? channelNumbers("channels (recorded, as no inputChannels are given)", outs, inputs, "input")
      : channelNumbers("inputChannels", o.inputChannels, inputs, "input");
    const latency = o.latency === undefined ? this.#latency?.frames : v.integer("latency", o.latency, 0, 2 ** 31);
    if (latency === undefined) {
      throw new TypeError("playrec needs the round trip: call measureLatency() first, or pass latency (in frames)");
    }
    const startFrame = o.startFrame === undefined ? undefined : v.integer("startFrame", o.startFrame, 0);
    const length = v.float32("buffer", buffer, "a Float32Array of interleaved float32 samples").length;
    if (length % outs.length !== 0) {
      throw new RangeError(`buffer: its length (${length}) must be a multiple of the channel count (${outs.length})`);
    }
    if (!this.active) throw new TypeError("playrec needs a running stream: call start() first");
    const fs = this.sampleRate;
    const frames = length / outs.length;
    const start = startFrame ?? Math.ceil(this.frameTime + MEASURE_AHEAD_SECONDS * fs);
    const recorded = new Float32Array(frames * ins.length);
    const play = this.playBuffer(buffer, outs, { startFrame: start, allowBelated: false });
    let rec: Action<Float32Array>;
    try {
      rec = this.recordBuffer(recorded, ins, { startFrame: start, align: "output", latency, allowBelated: false });
    } catch (e) {
      this.cancel(play);
      throw e;
    }
    const timeout = 5000 + 1000 * ((start - this.frameTime + latency + frames) / fs);
    await this.wait(rec, { timeout });
    await this.wait(play, { timeout });
    if (rec.outcome !== "done" || play.outcome !== "done") {
      throw new MeasurementError(
        `playrec could not start at frame ${start} (play: ${play.outcome}, record: ${rec.outcome}): it had passed`,
        "belated",
      );
    }
    return recorded;
  }
}
