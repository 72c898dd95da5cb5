/**
 * Samples copied once into native memory, so that any number of play actions can play them,
 * also at the same time, without a copy each: for sounds played again and again (a sampler's
 * slots, a metronome's click, a stimulus set).
 */
import { native, type Pointer } from "./ffi/mod.ts";
import * as v from "./validate.ts";

/** Drops the owner's reference of a Sample nothing reaches any more (actions hold their own). */
const registry = new FinalizationRegistry<Pointer>((sample) => native().rtm_sample_unref(sample));

/** Whether `value` is a real Sample. */
export let isSample: (value: unknown) => value is Sample;

/** What the engine reads of a Sample, beyond the public API (not shadowable on an instance). */
export let sampleInternals: {
  /** The native samples, for a play action (which takes its own reference); throws once disposed. */
  pointer(s: Sample, name: string): Pointer;
  /** Number of samples. */
  length(s: Sample): number;
};

/**
 * Interleaved float32 samples in native memory, played with `playBuffer(sample, channels, ...)`.
 *
 * ```ts
 * using click = new Sample(new Float32Array(96).fill(0.5));
 * for (let beat = 1; beat <= 4; beat++) mixer.playBuffer(click, 1, { start: t0 + beat * 0.5 });
 * ```
 */
export class Sample {
  readonly #length: number;
  #pointer: Pointer | null;

  /** Copies `data` (interleaved float32 samples) into native memory. */
  constructor(data: Float32Array) {
    const samples = v.transient("data", data, "Float32Array", "a Float32Array of interleaved float32 samples");
    const pointer = native().rtm_sample_create(samples.view, samples.byteLength);
    if (pointer === null) throw new RangeError(`data: no native memory for ${samples.length} samples`);
    this.#length = samples.length;
    this.#pointer = pointer;
    registry.register(this, pointer, this);
  }

  static {
    isSample = (value): value is Sample => typeof value === "object" && value !== null && #pointer in value;
    sampleInternals = {
      pointer(s, name) {
        if (s.#pointer === null) throw new TypeError(`${name}: the Sample is disposed`);
        return s.#pointer;
      },
      length: (s) => s.#length,
    };
  }

  /** Number of samples (frames × channels). */
  get length(): number {
    return this.#length;
  }

  /** Whether {@link Symbol.dispose} was called. */
  get disposed(): boolean {
    return this.#pointer === null;
  }

  /** Lets go of the samples; they are freed once no action plays them any more. */
  [Symbol.dispose](): void {
    if (this.#pointer === null) return;
    registry.unregister(this);
    native().rtm_sample_unref(this.#pointer);
    this.#pointer = null;
  }
}
