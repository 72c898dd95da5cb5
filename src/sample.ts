/**
 * Samples copied once into native memory, so that any number of play actions can play them,
 * also at the same time, without a copy each: for sounds played again and again (a sampler's
 * slots, a metronome's click, a stimulus set).
 */
import { native, type Pointer } from "./ffi/mod.ts";
import { LIMIT } from "./ffi/layout.ts";
import { interleave, isPlanar, readPlanes } from "./planar.ts";
import * as v from "./validate.ts";

/** Drops the owner's reference of a Sample nothing reaches any more (actions hold their own). */
const registry = new FinalizationRegistry<Pointer>((sample) => native().rtm_sample_unref(sample));

/** Whether `value` is a real Sample. */
export let isSample: (value: unknown) => value is Sample;

/** What the engine reads of a Sample, beyond the public API (not shadowable on an instance). */
export let sampleInternals: {
  /** The native samples, for a play action (which takes its own reference); throws once disposed. */
  pointer(s: Sample, name: string): Pointer;
  /** Number of samples (frames × channels). */
  length(s: Sample): number;
  channels(s: Sample): number;
  sampleRate(s: Sample): number | undefined;
};

/** Options of {@link Sample}. */
export interface SampleOptions {
  /** Channels of interleaved `data` (default 1; planar data has one array per channel). */
  channels?: number;
  /**
   * The rate the samples were recorded or made at, if known: playing them on a stream of another
   * rate is then refused (it would change speed and pitch) rather than done silently.
   */
  sampleRate?: number;
}

/**
 * Float32 samples in native memory, played with `playBuffer(sample, channels, ...)`. It knows its
 * channel count (and, if given, its sample rate): played on a mapping of another count, or on a
 * stream of another rate, it is refused with a RangeError, never reinterpreted.
 *
 * ```ts
 * using click = new Sample(new Float32Array(96).fill(0.5));           // mono
 * using pair = new Sample([left, right], { sampleRate: 48000 });       // planar stereo
 * for (let beat = 1; beat <= 4; beat++) mixer.playBuffer(click, 1, { start: t0 + beat * 0.5 });
 * mixer.playBuffer(pair, [3, 4]);
 * ```
 */
export class Sample {
  readonly #length: number;
  readonly #channels: number;
  readonly #sampleRate: number | undefined;
  #pointer: Pointer | null;

  /**
   * Copies `data` into native memory: interleaved float32 samples (`options.channels` of them per
   * frame, default 1), or one Float32Array per channel.
   */
  constructor(data: Float32Array | readonly Float32Array[], options?: SampleOptions) {
    const o = v.options("options", options, ["channels", "sampleRate"]);
    const sampleRate = o.sampleRate === undefined ? undefined : v.finite("sampleRate", o.sampleRate, 1, LIMIT.sampleRateMax);
    const given = o.channels === undefined ? undefined : v.integer("channels", o.channels, 1, LIMIT.mappingMax);
    let samples: v.Transient;
    let channels: number;
    if (isPlanar(data)) {
      const planes = readPlanes("data", data, LIMIT.mappingMax, false);
      channels = planes.channels.length;
      if (given !== undefined && given !== channels) {
        throw new RangeError(`channels (${given}) disagrees with data, which has ${channels} (one Float32Array each)`);
      }
      samples = v.transient("data", interleave(planes), "Float32Array");
    } else {
      channels = given ?? 1;
      samples = v.transient(
        "data",
        data,
        "Float32Array",
        "a Float32Array of interleaved float32 samples, or a list of Float32Arrays (one per channel)",
      );
      if (samples.length % channels !== 0) {
        throw new RangeError(`data holds ${samples.length} samples, not a multiple of channels (${channels}): frames would be cut`);
      }
    }
    const pointer = native().rtm_sample_create(samples.view, samples.byteLength);
    if (pointer === null) throw new RangeError(`data: no native memory for ${samples.length} samples`);
    this.#length = samples.length;
    this.#channels = channels;
    this.#sampleRate = sampleRate;
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
      channels: (s) => s.#channels,
      sampleRate: (s) => s.#sampleRate,
    };
  }

  /** Number of samples (frames × channels). */
  get length(): number {
    return this.#length;
  }

  /** Channels per frame. */
  get channels(): number {
    return this.#channels;
  }

  /** Frames. */
  get frames(): number {
    return this.#length / this.#channels;
  }

  /** The sample rate it was made at, if it was given. */
  get sampleRate(): number | undefined {
    return this.#sampleRate;
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
