/**
 * The mixer without a device: the callback's own block processing, run on demand. Renders what a
 * stream would play (and records from given input) with the same sample-exact semantics, for
 * offline rendering and for tests.
 */
import { native, type Pointer } from "./ffi/mod.ts";
import { LIMIT, STATUS_FLAGS_ALL } from "./ffi/layout.ts";
import type { Action, Recording, Stats } from "./action.ts";
import {
  type CancelOptions,
  Engine,
  type PlayOptions,
  type RecordOptions,
  type SetGainOptions,
  type TimeOptions,
  type WaitOptions,
} from "./engine.ts";
import type { PlayRingBufferOptions, RingBufferOptions } from "./mixer.ts";
import type { RingBuffer } from "./ringbuffer.ts";
import type { Sample } from "./sample.ts";
import type { Channels } from "./mixer.ts";
import { type PerKind, perKind } from "./devices.ts";
import * as v from "./validate.ts";

/**
 * Options of {@link OfflineMixer}, named as the streams' options are. Channels are given as a
 * `MixerAndRecorder` takes them: `channels: [input, output]`, or one count for both directions.
 */
export interface OfflineMixerOptions {
  /**
   * `[input, output]` channel counts (0..1024 each; an `undefined` element takes its default), or
   * one count for both. Default `[0, 2]`: no input, stereo output.
   */
  channels?: PerKind<number>;
  /** Input channels (default 0): an alias of `channels[0]`, not to be given with `channels`. */
  inputChannels?: number;
  /** Output channels (default 2): an alias of `channels[1]`, not to be given with `channels`. */
  outputChannels?: number;
  /** Samples per second (default 48000). */
  sampleRate?: number;
  /** Action slots made ready at once (default 64; more are added as needed). */
  queueSize?: number;
}

/** The buffers of one {@link OfflineMixer.process} block. */
export interface ProcessBuffers {
  /** Interleaved input, at least frames × inputChannels samples (default: silence). */
  input?: Float32Array;
  /** Interleaved output, overwritten, at least frames × outputChannels samples (default: discarded). */
  output?: Float32Array;
  /** PortAudio status flags to report for the block (PaStreamCallbackFlags, default 0). */
  statusFlags?: number;
}

const OPTION_NAMES = ["channels", "inputChannels", "outputChannels", "sampleRate", "queueSize"];
const BUFFER_NAMES = ["input", "output", "statusFlags"];

/** Whether two memories share bytes. */
function overlap(a: v.Memory, b: v.Memory): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Frees a native mixer that nothing (no OfflineMixer, no Action of it) reaches any more. */
const registry = new FinalizationRegistry<Pointer>((mixer) => native().rtm_mixer_destroy(mixer));

/**
 * A mixer you drive block by block. Its clock is exact: time t is frame round(t · sampleRate).
 *
 * ```ts
 * using m = new OfflineMixer({ channels: [0, 1] }); // no input, one output channel
 * m.playBuffer(new Float32Array([1, 2, 3]), 1, { start: 10 / 48000 });
 * const out = new Float32Array(64);
 * m.process(64, { output: out }); // out[10..12] = 1, 2, 3
 * ```
 */
export class OfflineMixer {
  /** Frames per second of its clock. */
  readonly sampleRate: number;
  #engine: Engine | null;
  /** Registered with the finalizer; the engine (and so every Action) holds it. */
  #token: object;
  #mixer: Pointer;

  /** A mixer with its own frame clock at 0; nothing runs until {@link process}. */
  constructor(options?: OfflineMixerOptions) {
    const o = v.options("options", options, OPTION_NAMES);
    const count = (name: string, x: unknown) => v.integer(name, x, 0, LIMIT.channelsMax);
    if (o.channels !== undefined && (o.inputChannels !== undefined || o.outputChannels !== undefined)) {
      const alias = o.inputChannels !== undefined ? "inputChannels" : "outputChannels";
      throw new TypeError(
        `options: give channels ([input, output]) or its older names inputChannels/outputChannels, not both (got channels and ${alias})`,
      );
    }
    let [inputChannels, outputChannels] = perKind("channels", o.channels, count);
    if (o.inputChannels !== undefined) inputChannels = count("inputChannels", o.inputChannels);
    if (o.outputChannels !== undefined) outputChannels = count("outputChannels", o.outputChannels);
    inputChannels ??= 0;
    outputChannels ??= 2;
    this.sampleRate = o.sampleRate === undefined ? 48000 : v.finite("sampleRate", o.sampleRate, 1, LIMIT.sampleRateMax);
    const queueSize = o.queueSize === undefined ? 64 : v.integer("queueSize", o.queueSize, 1, LIMIT.queueSizeMax);
    const mixer = native().rtm_mixer_create(inputChannels, outputChannels, this.sampleRate, queueSize);
    if (mixer === null) throw new RangeError("the mixer could not be created (out of memory?)");
    this.#mixer = mixer;
    this.#token = {};
    registry.register(this.#token, mixer, this.#token);
    this.#engine = new Engine(mixer, inputChannels, outputChannels, this.#token);
  }

  get #live(): Engine {
    if (!this.#engine) throw new TypeError("the OfflineMixer is closed");
    return this.#engine;
  }

  /** Input channels. */
  get inputChannels(): number {
    return this.#live.inputChannels;
  }
  /** Output channels. */
  get outputChannels(): number {
    return this.#live.outputChannels;
  }
  /** Frames processed so far. */
  get frameTime(): number {
    return this.#live.frameTime;
  }
  /** The time of the next block's first frame, in seconds. */
  get time(): number {
    return this.#live.frameTime / this.sampleRate;
  }
  /** The actions in flight (finished ones are collected first). */
  get actions(): ReadonlySet<Action> {
    return this.#live.actions;
  }
  /** Over- and underflow statistics of the blocks processed so far. */
  get stats(): Stats {
    return this.#live.stats;
  }
  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#engine === null;
  }

  /** Plays `buffer` (interleaved, planar or a Sample); see `Mixer.playBuffer`. */
  playBuffer(buffer: Float32Array, channels: Channels, options?: PlayOptions): Action;
  /** Plays planar audio (one Float32Array per channel) or a Sample, on `channels` (default 1..n). */
  playBuffer(buffer: readonly Float32Array[] | Sample, channels?: Channels, options?: PlayOptions): Action;
  /** Plays planar audio or a Sample on channels 1..n. */
  playBuffer(buffer: readonly Float32Array[] | Sample, options?: PlayOptions): Action;
  playBuffer(buffer: unknown, channels?: unknown, options?: unknown): Action {
    return this.#live.playBuffer(buffer, channels, options);
  }
  /** Records into `buffer` (interleaved or planar); see `Recorder.recordBuffer`. */
  recordBuffer(buffer: Float32Array, channels: Channels, options?: RecordOptions): Action<Float32Array>;
  /** Records into one Float32Array per channel (planar), from `channels` (default 1..n). */
  recordBuffer(buffer: readonly Float32Array[], channels?: Channels, options?: RecordOptions): Action<readonly Float32Array[]>;
  /** Records into one Float32Array per channel (planar), from channels 1..n. */
  recordBuffer(buffer: readonly Float32Array[], options?: RecordOptions): Action<readonly Float32Array[]>;
  recordBuffer(buffer: unknown, channels?: unknown, options?: unknown): Action<Recording> {
    return this.#live.recordBuffer(buffer, channels, options);
  }
  /** Plays what is written into `ringBuffer`; see `Mixer.playRingBuffer`. */
  playRingBuffer(ringBuffer: RingBuffer, options?: PlayRingBufferOptions): Action {
    return this.#live.playRingBuffer(ringBuffer, options);
  }
  /** Records into `ringBuffer`; see `Recorder.recordRingBuffer`. */
  recordRingBuffer(ringBuffer: RingBuffer, options?: RingBufferOptions): Action {
    return this.#live.recordRingBuffer(ringBuffer, options);
  }
  /** Cancels `action` at the given time (default: at once), with an optional `fade`; see `Mixer.cancel`. */
  cancel(action: Action, options?: CancelOptions): Action {
    return this.#live.cancel(action, options);
  }
  /** Changes a play action's gain at the given time or frame; see `Mixer.setGain`. */
  setGain(action: Action, gain: number, options?: SetGainOptions): Action {
    return this.#live.setGain(action, gain, options);
  }
  /** Fetches the statistics and resets them, at the given time; the action's `stats` has them. */
  fetchAndResetStats(options?: TimeOptions): Action {
    return this.#live.fetchAndResetStats(options);
  }
  /**
   * Resolves to `action` once it has finished; `process()` is what makes actions finish here.
   * Options as for streams (`timeout`, `signal`).
   */
  wait<A extends Action>(action: A, options?: WaitOptions): Promise<A>;
  /** Resolves once every action sent so far has finished. */
  wait(action?: undefined, options?: WaitOptions): Promise<void>;
  wait(action?: Action, options?: WaitOptions): Promise<Action | void> {
    return this.#live.wait(action, options);
  }

  /**
   * Runs one block of `frames` frames: mixes the active actions into `output` (interleaved,
   * overwritten) and records from `input`. Finished actions are collected afterwards.
   */
  process(frames: number, buffers?: ProcessBuffers): void {
    void this.#live; // closed mixers refuse at once, before reading anything
    const b = v.options("buffers", buffers, BUFFER_NAMES);
    v.integer("frames", frames, 0, LIMIT.blockSizeMax);
    const flags = b.statusFlags === undefined ? 0 : v.integer("statusFlags", b.statusFlags, 0, STATUS_FLAGS_ALL);
    // The buffers' getters (if any) have run: the mixer may have been closed by them.
    const engine = this.#live;
    const memory = (name: string, x: unknown, channels: number): v.Memory | null => {
      if (x === undefined) return null;
      const m = v.memory(`buffers.${name}`, x, "Float32Array", undefined, true); // used during this call only
      if (m.length < frames * channels) {
        throw new RangeError(`buffers.${name} holds ${m.length} samples, fewer than ${frames} frames × ${channels} channels`);
      }
      return m;
    };
    let input = memory("input", b.input, engine.inputChannels);
    const output = memory("output", b.output, engine.outputChannels);
    // The block's output is cleared before anything is recorded: input in the same memory is
    // recorded as given, from a copy.
    if (input && output && overlap(input, output)) {
      input = v.float32("buffers.input", (input.view as Float32Array).slice(0, frames * engine.inputChannels));
    }
    // The callback always gets a buffer for each direction that has channels.
    const view = (m: v.Memory | null, channels: number) =>
      m ? m.view as Float32Array : channels > 0 ? new Float32Array(frames * channels) : null;
    engine.process(
      view(input, engine.inputChannels),
      view(output, engine.outputChannels),
      frames,
      engine.frameTime / this.sampleRate,
      flags,
    );
  }

  /** Frees the native mixer; actions still in flight end as "aborted". */
  close(): void {
    const engine = this.#engine;
    if (!engine) return;
    this.#engine = null;
    engine.close();
    registry.unregister(this.#token);
    native().rtm_mixer_destroy(this.#mixer);
  }

  /** Closes the mixer (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
