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
} from "./engine.ts";
import type { PlayShapeOptions, UnderflowOptions } from "./shape.ts";
import type { RingBuffer } from "./ringbuffer.ts";
import type { Sample } from "./sample.ts";
import * as v from "./validate.ts";
import { Stream, streamInternals, type StreamKind, type StreamOptions } from "./stream.ts";

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
  recordBuffer(buffer: readonly Float32Array[], channels?: Channels, options?: RecordOptions): Action<readonly Float32Array[]>;
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
  recordBuffer(buffer: readonly Float32Array[], channels?: Channels, options?: RecordOptions): Action<readonly Float32Array[]>;
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
}
