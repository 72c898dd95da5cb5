/**
 * Samples copied once into native memory, so that any number of play actions can play them,
 * also at the same time, without a copy each: for sounds played again and again (a sampler's
 * slots, a metronome's click, a stimulus set).
 */
import { native, type Pointer } from "./ffi/mod.ts";
import * as v from "./validate.ts";

const registry = new FinalizationRegistry<Pointer>((sample) => native().rtm_sample_unref(sample));

/**
 * Interleaved float32 samples in native memory, played with `playBuffer(sample, channels, ...)`.
 *
 * ```ts
 * using click = new Sample(new Float32Array(96).fill(0.5));
 * for (let beat = 1; beat <= 4; beat++) mixer.playBuffer(click, 1, { start: t0 + beat * 0.5 });
 * ```
 */
export class Sample {
  /** Number of samples (frames × channels). */
  readonly length: number;
  #pointer: Pointer | null;

  /** Copies `data` (interleaved float32 samples) into native memory. */
  constructor(data: Float32Array) {
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`data must be a Float32Array of interleaved float32 samples, got ${v.describe(data)}`);
    }
    v.bytes("data", data);
    const pointer = native().rtm_sample_create(data, data.length);
    if (pointer === null) throw new RangeError(`data: no native memory for ${data.length} samples`);
    this.length = data.length;
    this.#pointer = pointer;
    registry.register(this, pointer, this);
  }

  /** Whether {@link Symbol.dispose} was called. */
  get disposed(): boolean {
    return this.#pointer === null;
  }

  /** @internal The native samples, for a play action (which takes its own reference). */
  _pointer(): Pointer {
    if (this.#pointer === null) throw new TypeError("buffer: the Sample is disposed");
    return this.#pointer;
  }

  /** Lets go of the samples; they are freed once no action plays them any more. */
  [Symbol.dispose](): void {
    if (this.#pointer === null) return;
    registry.unregister(this);
    native().rtm_sample_unref(this.#pointer);
    this.#pointer = null;
  }
}
