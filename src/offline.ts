/**
 * The mixer without a device: the callback's own block processing, run on demand. Renders what a
 * stream would play (and records from given input) with the same sample-exact semantics, for
 * offline rendering and for tests.
 */
import { native } from "./ffi/mod.ts";
import type { Action, Stats } from "./action.ts";
import { Engine, type StartOptions, type TimeOptions, type WaitOptions } from "./engine.ts";
import type { RingBuffer } from "./ringbuffer.ts";
import type { Sample } from "./sample.ts";
import * as v from "./validate.ts";

/** Options of {@link OfflineMixer}. */
export interface OfflineMixerOptions {
  /** Input channels (default 0). */
  inputChannels?: number;
  /** Output channels (default 2). */
  outputChannels?: number;
  /** Samples per second (default 48000). */
  sampleRate?: number;
  /** Actions in flight at most, a power of two (default 64). */
  queueSize?: number;
}

const registry = new FinalizationRegistry<unknown>((mixer) => native().rtm_mixer_destroy(mixer as never));

/**
 * A mixer you drive block by block. Its clock is exact: time t is frame round(t · sampleRate).
 *
 * ```ts
 * using m = new OfflineMixer({ outputChannels: 1 });
 * m.playBuffer(new Float32Array([1, 2, 3]), 1, { start: 10 / 48000 });
 * const out = new Float32Array(64);
 * m.process(64, { output: out }); // out[10..12] = 1, 2, 3
 * ```
 */
export class OfflineMixer {
  /** Frames per second of its clock. */
  readonly sampleRate: number;
  #engine: Engine | null;

  /** A mixer with its own frame clock at 0; nothing runs until {@link process}. */
  constructor(options?: OfflineMixerOptions) {
    const o = v.options("options", options);
    const inputChannels = o.inputChannels === undefined ? 0 : v.integer("inputChannels", o.inputChannels, 0, 1024);
    const outputChannels = o.outputChannels === undefined ? 2 : v.integer("outputChannels", o.outputChannels, 0, 1024);
    this.sampleRate = o.sampleRate === undefined ? 48000 : v.finite("sampleRate", o.sampleRate, 1, 10_000_000);
    const queueSize = o.queueSize === undefined ? 64 : v.integer("queueSize", o.queueSize, 1, 2 ** 20);
    if ((queueSize & (queueSize - 1)) !== 0) throw new RangeError(`queueSize must be a power of two, got ${queueSize}`);
    const mixer = native().rtm_mixer_create(inputChannels, outputChannels, this.sampleRate, queueSize);
    if (mixer === null) throw new RangeError("the mixer could not be created (out of memory?)");
    this.#engine = new Engine(mixer, inputChannels, outputChannels);
    registry.register(this, mixer, this);
  }

  get #live(): Engine {
    if (!this.#engine) throw new TypeError("the OfflineMixer is closed");
    return this.#engine;
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

  /** Plays `buffer` (interleaved, copied now) on `channels`; see `Mixer.playBuffer`. */
  playBuffer(buffer: Float32Array | Sample, channels: number | readonly number[], options?: StartOptions): Action {
    return this.#live.playBuffer(buffer, channels, options);
  }
  /** Records into `buffer` (interleaved) from `channels`; see `Recorder.recordBuffer`. */
  recordBuffer(buffer: Float32Array, channels: number | readonly number[], options?: StartOptions): Action {
    return this.#live.recordBuffer(buffer, channels, options);
  }
  /** Plays what is written into `ringBuffer`; see `Mixer.playRingBuffer`. */
  playRingBuffer(ringBuffer: RingBuffer, options?: StartOptions & { channels?: number | readonly number[] }): Action {
    return this.#live.playRingBuffer(ringBuffer, options);
  }
  /** Records into `ringBuffer`; see `Recorder.recordRingBuffer`. */
  recordRingBuffer(ringBuffer: RingBuffer, options?: StartOptions & { channels?: number | readonly number[] }): Action {
    return this.#live.recordRingBuffer(ringBuffer, options);
  }
  /** Cancels `action` at the given time (default: at once). */
  cancel(action: Action, options?: TimeOptions): Action {
    return this.#live.cancel(action, options);
  }
  /** Fetches the statistics and resets them, at the given time; the action's `stats` has them. */
  fetchAndResetStats(options?: TimeOptions): Action {
    return this.#live.fetchAndResetStats(options);
  }
  /** Resolves when `action` (default: every action in flight) has finished. */
  wait(action?: Action, options?: WaitOptions): Promise<void> {
    return this.#live.wait(action, options);
  }

  /**
   * Runs one block of `frames` frames: mixes the active actions into `output` (interleaved,
   * overwritten) and records from `input`. Finished actions are collected afterwards.
   */
  process(frames: number, buffers?: { input?: Float32Array; output?: Float32Array; statusFlags?: number }): void {
    const engine = this.#live;
    v.integer("frames", frames, 0, 2 ** 24);
    const b = v.options("buffers", buffers);
    const check = (name: string, x: unknown, channels: number) => {
      if (x === undefined) return null;
      if (!(x instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array, got ${v.describe(x)}`);
      if (x.length < frames * channels) {
        throw new RangeError(`${name} holds ${x.length} samples, fewer than frames × ${channels} channels`);
      }
      return x;
    };
    const input = check("input", b.input, engine.inputChannels);
    let output = check("output", b.output, engine.outputChannels);
    // The callback always has the buffers of its channels.
    const scratchIn = engine.inputChannels > 0 && !input ? new Float32Array(frames * engine.inputChannels) : null;
    if (!output && engine.outputChannels > 0) output = new Float32Array(frames * engine.outputChannels);
    const flags = b.statusFlags === undefined ? 0 : v.integer("statusFlags", b.statusFlags, 0, 0x1f);
    const t = engine.frameTime / this.sampleRate;
    engine.process(input ?? scratchIn, output, frames, { current: t, inputAdc: t, outputDac: t }, flags);
    engine.collect();
  }

  /** Frees the native mixer; actions still in flight end as "aborted". */
  close(): void {
    const engine = this.#engine;
    if (!engine) return;
    this.#engine = null;
    engine.close();
    registry.unregister(this);
    native().rtm_mixer_destroy(engine.mixer);
  }

  /** Closes the mixer (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
