/**
 * Measuring what comes back: Farina's exponential sine sweep and its inverse filter, the
 * deconvolution of a recording into an impulse response (by FFT), and the peak of that response
 * with a sub-sample estimate and a peak-to-noise ratio. `MixerAndRecorder.measureLatency` is
 * built on these; they are exported for impulse-response measurements of one's own.
 *
 * The FFT (npm `fft.js`) is loaded on first use, so that the core module stays free of
 * dependencies until a measurement runs: only {@link impulseResponse} and {@link convolve} load it,
 * and so they are async.
 *
 * ```ts
 * import { expSweep, impulseResponse, peakOf } from "rtmixer";
 *
 * const { sweep, inverse, referencePeak } = expSweep({ sampleRate: 48000, seconds: 1 });
 * // ... play `sweep`, record `recorded` (sweep length + the longest response expected) ...
 * const ir = await impulseResponse(recorded, inverse); // its spectrum: the gain, 0 dB for a loopback
 * const { frame, value, confidence } = peakOf(ir); // value / referencePeak: 1 for a loopback
 * ```
 *
 * @module
 */
import * as v from "./validate.ts";
import { packageSpecifier } from "./packages.ts";

/**
 * The packages this module loads, by exact version (package.json's "dependencies" repeat them;
 * a test checks). Imported as src/files.ts imports its own: `npm:` specifiers in Deno, bare names
 * in Bun, computed so that neither runtime resolves the other's form while loading this module.
 */
export const DEPENDENCIES = {
  "fft.js": "4.0.4",
} as const;

/** fft.js's class, as far as it is used here (its own typings are `any` throughout). */
interface FFTInstance {
  realTransform(out: Float64Array, data: Float64Array): void;
  completeSpectrum(spectrum: Float64Array): void;
  inverseTransform(out: Float64Array, data: Float64Array): void;
}
type FFTClass = new (size: number) => FFTInstance;

let fftClass: Promise<FFTClass> | undefined;

function loadFft(): Promise<FFTClass> {
  const name = "fft.js";
  fftClass ??= import(packageSpecifier(name, DEPENDENCIES[name])).then((m: { default?: FFTClass }) => (m.default ?? m) as FFTClass, (e) => {
    fftClass = undefined;
    throw new Error(
      `rtmixer/measure: the FFT package ${name}@${DEPENDENCIES[name]} could not be loaded (npm install)`,
      { cause: e },
    );
  });
  return fftClass;
}

/** Options of {@link expSweep}. */
export interface SweepOptions {
  /** Samples per second (the stream's `sampleRate`). */
  sampleRate: number;
  /** Length of the sweep in seconds (default 1). */
  seconds?: number;
  /** Start frequency in Hz, below `f1` (default 20 Hz, or f1 / 10 if that is lower). */
  f0?: number;
  /** End frequency in Hz (default: 20 kHz or 0.45 × sampleRate, the lower). */
  f1?: number;
  /** Peak amplitude of the sweep (default 0.5; 1 is full scale). */
  level?: number;
}

/** An exponential sine sweep and the filter that turns a recording of it into an impulse response. */
export interface Sweep {
  /** The test signal, mono: a sine whose frequency rises exponentially from f0 to f1, faded in and out. */
  sweep: Float32Array;
  /**
   * The inverse filter: the sweep reversed in time, falling 6 dB per octave (Farina's amplitude
   * compensation), scaled so that sweep ⊛ inverse has a gain of 1 (0 dB) in the middle of the
   * band (see {@link Sweep.referenceHz}): the magnitude spectrum of a measured response reads the
   * system's gain, 0 dB for one that passes the sweep unchanged, over f0..f1.
   */
  inverse: Float32Array;
  /**
   * The height at frame 0 of `impulseResponse(sweep, inverse)`, the reference response: a
   * band-limited impulse (f0..f1), lower than 1 as its band is narrower than the whole spectrum
   * (about 0.8 for 20 Hz-20 kHz at 48 kHz). A system that passes the sweep unchanged, delayed by
   * d frames, has a response that peaks at this height at frame d; a peak's height over it is the
   * system's gain.
   */
  referencePeak: number;
  /** The frequency (Hz) at which sweep ⊛ inverse is scaled to a gain of 1: 1 kHz, or the band's geometric centre if 1 kHz is not an octave inside it. */
  referenceHz: number;
  /** The sample rate the sweep was made for (Hz). */
  sampleRate: number;
  /** The sweep's first frequency (Hz). */
  f0: number;
  /** The sweep's last frequency (Hz). */
  f1: number;
  /** The sweep's peak amplitude. */
  level: number;
}

/**
 * Farina's exponential sine sweep (2000): x(t) = level · sin(2π f0 T / L · (e^(t L / T) − 1)),
 * L = ln(f1 / f0), over T seconds, with short raised-cosine fades at both ends; and its inverse
 * filter. Its deconvolution separates the linear response (at lag ≥ 0) from harmonic distortion
 * (which lands before it), and it has the same energy in every octave.
 */
export function expSweep(options: SweepOptions): Sweep {
  const o = v.options("options", options, ["sampleRate", "seconds", "f0", "f1", "level"]);
  if (o.sampleRate === undefined) throw new TypeError("options.sampleRate is required (the stream's sampleRate)");
  const fs = v.finite("sampleRate", o.sampleRate, 1000, 1_536_000);
  const seconds = o.seconds === undefined ? 1 : v.finite("seconds", o.seconds, 0.01, 600);
  const f1 = o.f1 === undefined ? Math.min(20000, 0.45 * fs) : v.finite("f1", o.f1, 1, fs / 2);
  const f0 = o.f0 === undefined ? Math.min(20, f1 / 10) : v.finite("f0", o.f0, 0.1, fs / 2);
  if (!(f0 < f1)) throw new RangeError(`f0 (${f0} Hz) must be below f1 (${f1} Hz)`);
  const level = o.level === undefined ? 0.5 : v.finite("level", o.level, 0, 1);
  if (level === 0) throw new RangeError("level must be above 0 (a silent sweep measures nothing)");

  const n = Math.round(seconds * fs);
  const L = Math.log(f1 / f0);
  const T = n / fs;
  const k = (2 * Math.PI * f0 * T) / L;
  // Fades: in over a few periods of f0 (at most a tenth of the sweep), out over at most 10 ms.
  const fadeIn = Math.max(1, Math.round(Math.min(T / 10, 4 / f0) * fs));
  const fadeOut = Math.max(1, Math.round(Math.min(T / 20, 0.01) * fs));
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let g = level;
    if (i < fadeIn) g *= 0.5 - 0.5 * Math.cos((Math.PI * i) / fadeIn);
    if (i >= n - fadeOut) g *= 0.5 - 0.5 * Math.cos((Math.PI * (n - 1 - i)) / fadeOut);
    x[i] = g * Math.sin(k * (Math.exp((i / n) * L) - 1));
  }
  // inverse[m] = x[n−1−m] · e^(−m L / n): the reversed sweep, its gain falling with its frequency
  // so that sweep ⊛ inverse has a flat magnitude over f0..f1 (Farina). That magnitude is scaled
  // to 1 in the middle of the band, where the flat part is flattest (at the edges the fades
  // roll it off): the mean power of sweep ⊛ inverse over the octave around referenceHz.
  const raw = new Float64Array(n);
  for (let m = 0; m < n; m++) raw[m] = x[n - 1 - m] * Math.exp((-m * L) / n);
  const referenceHz = 2 * f0 <= 1000 && 1000 <= f1 / 2 ? 1000 : Math.sqrt(f0 * f1);
  const points = 16;
  const cycles = new Float64Array(points);
  for (let k = 0; k < points; k++) cycles[k] = (referenceHz * 2 ** ((k + 0.5) / points - 0.5)) / fs;
  const a = dftPower(x, cycles), b = dftPower(raw, cycles);
  let power = 0;
  for (let k = 0; k < points; k++) power += (a[k] * b[k]) / points;
  const scale = 1 / Math.sqrt(power);
  // The reference response's value at lag 0 (index n − 1 of the full convolution).
  let peak = 0;
  for (let i = 0; i < n; i++) peak += x[i] * raw[n - 1 - i];
  const inverse = new Float32Array(n);
  for (let m = 0; m < n; m++) inverse[m] = raw[m] * scale;
  return {
    sweep: Float32Array.from(x),
    inverse,
    referencePeak: peak * scale,
    referenceHz,
    sampleRate: fs,
    f0,
    f1,
    level,
  };
}

/**
 * |DFT of `x`|² at each of `cycles` (per sample): Σ x[i] e^(−2πi·cycles·i), by a rotating phasor
 * per frequency (re-anchored every 4096 samples), all frequencies in one pass over `x`. (One call
 * per frequency, each returning an object, was where Deno's V8 once returned 0 for two of the 32
 * transforms of one sweep, under the test suite's load: the sweep's inverse came out 6.9% off.
 * Not reproduced alone; these loops compute the same sums in the same order, bit for bit.)
 */
function dftPower(x: Float64Array, cycles: Float64Array): Float64Array {
  const count = cycles.length;
  const w = new Float64Array(count), cw = new Float64Array(count), sw = new Float64Array(count);
  const re = new Float64Array(count), im = new Float64Array(count);
  const c = new Float64Array(count), s = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    w[k] = -2 * Math.PI * cycles[k];
    cw[k] = Math.cos(w[k]);
    sw[k] = Math.sin(w[k]);
  }
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const anchor = (i & 4095) === 0;
    for (let k = 0; k < count; k++) {
      if (anchor) {
        c[k] = Math.cos(w[k] * i);
        s[k] = Math.sin(w[k] * i);
      }
      const ck = c[k], sk = s[k];
      re[k] += xi * ck;
      im[k] += xi * sk;
      c[k] = ck * cw[k] - sk * sw[k];
      s[k] = ck * sw[k] + sk * cw[k];
    }
  }
  const power = new Float64Array(count);
  for (let k = 0; k < count; k++) power[k] = re[k] * re[k] + im[k] * im[k];
  return power;
}

/** The full linear convolution of `a` and `b` (length a.length + b.length − 1), by FFT. */
export async function convolve(a: Float32Array, b: Float32Array): Promise<Float64Array> {
  const x = v.float32("a", a).view as Float32Array;
  const y = v.float32("b", b).view as Float32Array;
  if (x.length === 0 || y.length === 0) return new Float64Array(0);
  const FFT = await loadFft();
  const length = x.length + y.length - 1;
  let size = 2;
  while (size < length) size *= 2;
  const fft = new FFT(size);
  const spectrum = (s: Float32Array) => {
    const data = new Float64Array(size);
    data.set(s);
    const out = new Float64Array(2 * size);
    fft.realTransform(out, data);
    fft.completeSpectrum(out);
    return out;
  };
  const X = spectrum(x);
  const Y = spectrum(y);
  for (let i = 0; i < 2 * size; i += 2) {
    const re = X[i] * Y[i] - X[i + 1] * Y[i + 1];
    X[i + 1] = X[i] * Y[i + 1] + X[i + 1] * Y[i];
    X[i] = re;
  }
  const out = new Float64Array(2 * size);
  fft.inverseTransform(out, X);
  const result = new Float64Array(length);
  for (let i = 0; i < length; i++) result[i] = out[2 * i];
  return result;
}

/**
 * The impulse response of what `recorded` went through, from a recording of a sweep started at
 * its frame 0 and the sweep's `inverse` filter (see {@link expSweep}): frame k of the result is
 * the response k frames after the sweep started, for k from 0 to recorded.length − 1. (Harmonic
 * distortion, which lands before lag 0, is left out.) Its magnitude spectrum is the system's
 * gain over the sweep's band: 0 dB for a loopback. A loopback that delays by d frames gives the
 * reference response (a band-limited impulse) at frame d, a peak of the sweep's `referencePeak`.
 */
export async function impulseResponse(recorded: Float32Array, inverse: Float32Array): Promise<Float32Array> {
  const r = v.float32("recorded", recorded).view as Float32Array;
  const inv = v.float32("inverse", inverse).view as Float32Array;
  if (inv.length === 0) throw new RangeError("inverse is empty: pass the inverse filter of expSweep()");
  const full = await convolve(r, inv);
  return Float32Array.from(full.subarray(inv.length - 1, inv.length - 1 + r.length));
}

/** The highest peak of an impulse response or a cross-correlation (see {@link peakOf}). */
export interface Peak {
  /** Its frame (the index of the largest magnitude). */
  frame: number;
  /** A sub-sample estimate: a parabola through the peak and its two neighbours. */
  exactFrame: number;
  /** Its value (signed: a negative peak is an inverted polarity). */
  value: number;
  /** |value| over the RMS of the rest of the searched range: a peak-to-noise ratio (Infinity when the rest is 0). */
  confidence: number;
}

/** Frames on each side of a peak left out of the noise estimate (its own main lobe). */
const PEAK_GUARD = 8;

/**
 * The peak of `response` within frames [from, to) (default: all of it): where it is, to a
 * fraction of a frame, and how clearly it stands out of the rest.
 */
export function peakOf(response: Float32Array | Float64Array, range?: { from?: number; to?: number }): Peak {
  const r = v.options("range", range, ["from", "to"]);
  const length = response.length;
  const from = r.from === undefined ? 0 : v.integer("from", r.from, 0, length);
  const to = r.to === undefined ? length : v.integer("to", r.to, from, length);
  if (to - from < 1) throw new RangeError(`the range [${from}, ${to}) holds no frames`);
  let frame = from;
  for (let i = from; i < to; i++) if (Math.abs(response[i]) > Math.abs(response[frame])) frame = i;
  const value = response[frame];
  let exactFrame = frame;
  if (frame > 0 && frame < length - 1) {
    const s = Math.sign(value);
    const a = s * response[frame - 1], b = s * response[frame], c = s * response[frame + 1];
    const d = a - 2 * b + c;
    if (d < 0) exactFrame = frame + Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / d));
  }
  let sum = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    if (Math.abs(i - frame) <= PEAK_GUARD) continue;
    sum += response[i] * response[i];
    count++;
  }
  const rms = count === 0 ? 0 : Math.sqrt(sum / count);
  const confidence = value === 0 ? 0 : rms === 0 ? Infinity : Math.abs(value) / rms;
  return { frame, exactFrame, value, confidence };
}
