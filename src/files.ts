/**
 * Sound files: `loadSample` decodes a file (WAV, FLAC, MP3, Ogg Vorbis or Opus, and the other
 * formats `audio-decode` knows) into a {@link Sample} at the rate of the stream it will play on,
 * resampling natively (zig/resample.zig) when the file's rate differs; `saveWav` writes samples to a WAV
 * file. This is a separate entry point (`rtmixer/files`), so that the core module (`mod.ts`)
 * stays free of dependencies: the decoders and the resampler are loaded on first use.
 *
 * ```ts
 * import { Mixer } from "rtmixer";
 * import { loadSample } from "rtmixer/files";
 *
 * using mixer = new Mixer({ channels: 2 });
 * using song = await loadSample("song.flac", { sampleRate: mixer.sampleRate, channels: 2 });
 * mixer.start();
 * await mixer.wait(mixer.playBuffer(song, [1, 2]));
 * ```
 */
import { readFile } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { native } from "./ffi/mod.ts";
import { Sample } from "./sample.ts";
import * as v from "./validate.ts";
import { packageSpecifier } from "./packages.ts";

/** The Sample class that {@link loadSample} returns (also exported by the main module). */
export type { Sample };

/**
 * The packages, by exact version (package.json's "dependencies" repeat them; a test checks).
 * Deno imports them from the sources as `npm:` specifiers, which resolve without an import map (a
 * URL import of this module too) and from the local node_modules in a checkout
 * (`nodeModulesDir: "manual"`); Bun, and either runtime running the npm package's JavaScript,
 * by bare name from node_modules (packages.ts).
 */
export const DEPENDENCIES = {
  "audio-decode": "3.12.0",
} as const;

function importPackage(name: keyof typeof DEPENDENCIES): Promise<unknown> {
  return import(packageSpecifier(name, DEPENDENCIES[name]));
}

/** A sound file that could not be read or decoded: missing, unreadable, not audio, or empty. */
export class AudioFileError extends Error {
  /** The error's name, for messages and `instanceof`-free checks. */
  override name = "AudioFileError";
  /** The file's path, when the source was a path. */
  readonly path?: string;
  /** The file system's error code (`ENOENT`, `EISDIR`, ...), when reading failed. */
  readonly code?: string;

  /** Creates the error, with the file's `path` and the file system's error `code` when known. */
  constructor(message: string, options?: ErrorOptions & { path?: string; code?: string }) {
    super(message, options);
    this.path = options?.path;
    this.code = options?.code;
  }
}

/** The resampler's filter: zig/resample.zig's Kaiser-windowed sinc, longest to shortest. */
export type Quality = "best" | "medium" | "fastest";

/** Options of {@link loadSample} and {@link decodeFile}. */
export interface LoadOptions {
  /**
   * The rate to deliver, in Hz: the stream's `sampleRate`. A file at another rate is resampled
   * (its length in seconds and its pitch stay the same).
   */
  sampleRate: number;
  /**
   * Channels to deliver (default: the file's). A mono file is copied onto every channel; a file
   * of several channels becomes mono by their average; other mismatches are a RangeError.
   */
  channels?: number;
  /**
   * The resampler's filter (default `"medium"`: flat within 0.1 dB to 90% of the lower Nyquist
   * frequency, 125 dB of stopband rejection from it on, as libsamplerate's
   * SRC_SINC_MEDIUM_QUALITY or better). `"best"`: 96% and 150 dB, about 3x the time;
   * `"fastest"`: 80% and 100 dB, about half the time.
   */
  quality?: Quality;
}

/** Decoded audio: interleaved float32 frames. */
export interface AudioData {
  /** Interleaved samples, `channels` per frame. */
  data: Float32Array;
  /** Channels per frame. */
  channels: number;
  /** The frames' rate (Hz): the one asked for. */
  sampleRate: number;
  /** Frames in `data`. */
  frames: number;
  /** The file's own rate and channels, before resampling and channel mapping. */
  source: { sampleRate: number; channels: number; frames: number };
}

/** What `audio-decode` returns. */
interface Decoded {
  channelData: Float32Array[];
  sampleRate: number;
}

let decoder: Promise<(bytes: Uint8Array) => Promise<Decoded>> | undefined;

function loadDecoder() {
  decoder ??= importPackage("audio-decode").then((m) => (m as { default: (b: Uint8Array) => Promise<Decoded> }).default);
  return decoder;
}

/** zig/resample.zig's quality numbers. */
const QUALITY = { best: 0, medium: 1, fastest: 2 } as const;

/** zig/resample.zig's limits (channels, and the ratio either way). */
const RESAMPLE = { channelsMax: 1024, ratioMax: 256 };
const CHANNELS_MAX = 1024;

/**
 * Decodes a sound file into interleaved float32 frames at `options.sampleRate` (resampled when
 * the file's rate differs) with `options.channels` channels. {@link loadSample} puts the result
 * into a Sample; this is for when the frames are wanted in JavaScript (to stream through a ring
 * buffer, or to process first).
 *
 * `source` is a path (string or file: URL) or the file's bytes. Throws a TypeError or RangeError
 * for bad arguments, and an {@link AudioFileError} for a file that cannot be read or decoded.
 */
export async function decodeFile(
  source: string | URL | Uint8Array | ArrayBuffer,
  options: LoadOptions,
): Promise<AudioData> {
  const o = v.options("options", options, ["sampleRate", "channels", "quality"]);
  if (o.sampleRate === undefined) throw new TypeError("options.sampleRate is required: the rate of the stream to play on, in Hz");
  const sampleRate = v.integer("sampleRate", o.sampleRate, 1, 1e7);
  const wanted = o.channels === undefined ? undefined : v.integer("channels", o.channels, 1, CHANNELS_MAX);
  const quality = o.quality ?? "medium";
  if (typeof quality !== "string" || !Object.hasOwn(QUALITY, quality)) {
    throw new RangeError(`quality must be "best", "medium" or "fastest", got ${v.describe(quality)}`);
  }
  const { bytes, name, path } = await readSource(source);

  let decoded: Decoded;
  try {
    decoded = await (await loadDecoder())(bytes);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new AudioFileError(`${name}: not a sound file that can be decoded (${why})`, { cause, path });
  }
  const planes = decoded.channelData;
  const rate = decoded.sampleRate;
  const frames = planes[0]?.length ?? 0;
  if (planes.length === 0 || frames === 0 || !(rate > 0)) {
    throw new AudioFileError(`${name}: the file holds no audio`, { path });
  }
  const source_ = { sampleRate: rate, channels: planes.length, frames };

  const mapped = mapChannels(planes, wanted ?? planes.length, name);
  const channels = mapped.length;
  let data = interleave(mapped);
  let outFrames = frames;
  if (rate !== sampleRate) {
    outFrames = Math.round(frames * sampleRate / rate);
    data = resample(data, channels, rate, sampleRate, outFrames, quality as Quality, name);
  }
  return { data, channels, sampleRate, frames: outFrames, source: source_ };
}

/**
 * Decodes a sound file into a {@link Sample} for a stream of `options.sampleRate`: WAV (8, 16,
 * 24 and 32-bit PCM, 32 and 64-bit float), FLAC, MP3, Ogg Vorbis and Opus, among others. A file
 * at another rate is resampled (a windowed-sinc filter, zig/resample.zig), so it plays at its own pitch and length. The
 * Sample knows its channels and rate; playing it on a stream of another rate is refused.
 *
 * ```ts
 * using hit = await loadSample("snare.wav", { sampleRate: mixer.sampleRate });
 * mixer.playBuffer(hit, [1]);
 * ```
 *
 * Throws a TypeError or RangeError for bad arguments (naming the argument), and an
 * {@link AudioFileError} for a file that is missing, unreadable, not audio, or empty.
 */
export async function loadSample(
  source: string | URL | Uint8Array | ArrayBuffer,
  options: LoadOptions,
): Promise<Sample> {
  const audio = await decodeFile(source, options);
  return new Sample(audio.data, { channels: audio.channels, sampleRate: audio.sampleRate });
}

async function readSource(source: unknown): Promise<{ bytes: Uint8Array; name: string; path?: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: "source (bytes)" };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: "source (bytes)" };
  let path: string;
  if (typeof source === "string") path = source;
  else if (source instanceof URL && source.protocol === "file:") path = decodeURIComponent(source.pathname);
  else {
    throw new TypeError(`source must be a path (a string or a file: URL) or the file's bytes (a Uint8Array or ArrayBuffer), got ${v.describe(source)}`);
  }
  if (path === "") throw new TypeError("source: the path is empty");
  try {
    return { bytes: await readFile(path), name: path, path };
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a file" : code === "EACCES" ? "permission denied" : (cause as Error).message;
    throw new AudioFileError(`${path}: ${why}`, { cause, path, code: typeof code === "string" ? code : undefined });
  }
}

function mapChannels(planes: Float32Array[], channels: number, name: string): Float32Array[] {
  if (channels === planes.length) return planes;
  if (planes.length === 1) return Array.from({ length: channels }, () => planes[0]);
  if (channels === 1) {
    const mono = new Float32Array(planes[0].length);
    const scale = 1 / planes.length;
    for (const p of planes) for (let i = 0; i < mono.length; i++) mono[i] += p[i] * scale;
    return [mono];
  }
  throw new RangeError(
    `channels (${channels}) disagrees with ${name}, which has ${planes.length}: only mono to many and many to mono are mapped`,
  );
}

function interleave(planes: Float32Array[]): Float32Array {
  if (planes.length === 1) return planes[0];
  const n = planes.length;
  const frames = planes[0].length;
  const out = new Float32Array(frames * n);
  for (let c = 0; c < n; c++) {
    const p = planes[c];
    for (let i = 0, k = c; i < frames; i++, k += n) out[k] = p[i];
  }
  return out;
}

function resample(
  data: Float32Array,
  channels: number,
  from: number,
  to: number,
  frames: number,
  quality: Quality,
  name: string,
): Float32Array {
  if (to / from > RESAMPLE.ratioMax || from / to > RESAMPLE.ratioMax) {
    throw new RangeError(`cannot resample ${name} from ${from} to ${to} Hz: a ratio beyond ${RESAMPLE.ratioMax}`);
  }
  if (channels > RESAMPLE.channelsMax) {
    throw new RangeError(`cannot resample ${name}: ${channels} channels, the resampler takes up to ${RESAMPLE.channelsMax}`);
  }
  // Read through the intrinsics (validate.ts), not the arrays' own getters.
  const src = v.transient("data", data, "Float32Array");
  const out = new Float32Array(frames * channels);
  const dst = v.transient("output", out, "Float32Array");
  const n = native().rtm_resample(src.view, src.byteLength, src.length / channels, channels, from, to, QUALITY[quality], dst.view, dst.byteLength);
  if (n === -2) throw new RangeError(`cannot resample ${name}: no native memory for the filter`);
  if (n !== frames) throw new Error(`resampling ${name} from ${from} to ${to} Hz gave ${n} frames, not ${frames}`);
  return out;
}

/** Options of {@link saveWav}. */
export interface SaveOptions {
  /** The samples' rate in Hz. */
  sampleRate: number;
  /** Channels of interleaved `data` (default 1; planar data has one array per channel). */
  channels?: number;
  /**
   * The file's sample format (default `"float32"`: the samples exactly). `"int16"` and `"int24"`
   * round to the nearest step, after clipping to [-1, 1]; negative samples are scaled by 2^(bits-1),
   * positive ones by 2^(bits-1) - 1, the scaling decoders use, so that a file read back and saved
   * again is the same file.
   */
  format?: "float32" | "int16" | "int24";
}

const FORMAT_BITS = { float32: 32, int16: 16, int24: 24 } as const;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes float32 samples to a WAV file at `path` (replacing it): interleaved in one Float32Array
 * (`options.channels` per frame) or one Float32Array per channel. Synchronous.
 *
 * ```ts
 * saveWav("take.wav", recording, { sampleRate: 48000, channels: 2 });
 * saveWav("take16.wav", [left, right], { sampleRate: 48000, format: "int16" });
 * ```
 */
export function saveWav(path: string | URL, data: Float32Array | readonly Float32Array[], options: SaveOptions): void {
  if (typeof path !== "string" && !(path instanceof URL)) throw new TypeError(`path must be a string or a file: URL, got ${v.describe(path)}`);
  const o = v.options("options", options, ["sampleRate", "channels", "format"]);
  if (o.sampleRate === undefined) throw new TypeError("options.sampleRate is required (Hz)");
  const sampleRate = v.integer("sampleRate", o.sampleRate, 1, 0xffffffff);
  const format = o.format ?? "float32";
  if (typeof format !== "string" || !(format in FORMAT_BITS)) {
    throw new RangeError(`format must be "float32", "int16" or "int24", got ${v.describe(format)}`);
  }
  let samples: Float32Array;
  let channels: number;
  if (Array.isArray(data)) {
    channels = data.length;
    if (channels < 1 || channels > 0xffff) throw new RangeError(`data: from 1 to 65535 channels, got ${channels}`);
    for (const [i, p] of data.entries()) {
      if (!(p instanceof Float32Array)) throw new TypeError(`data[${i}] must be a Float32Array, got ${v.describe(p)}`);
      if (p.length !== data[0].length) throw new RangeError(`data[${i}] has ${p.length} samples, data[0] has ${data[0].length}: channels must be of one length`);
    }
    if (o.channels !== undefined && o.channels !== channels) {
      throw new RangeError(`channels (${v.describe(o.channels)}) disagrees with data, which has ${channels} (one Float32Array each)`);
    }
    samples = interleave(data as Float32Array[]);
  } else if (data instanceof Float32Array) {
    channels = o.channels === undefined ? 1 : v.integer("channels", o.channels, 1, 0xffff);
    if (data.length % channels !== 0) {
      throw new RangeError(`data holds ${data.length} samples, not a multiple of channels (${channels}): frames would be cut`);
    }
    samples = data;
  } else {
    throw new TypeError(`data must be a Float32Array of interleaved samples, or a list of Float32Arrays (one per channel), got ${v.describe(data)}`);
  }
  writeFileSync(path, encodeWav(samples, channels, sampleRate, format as keyof typeof FORMAT_BITS));
}

/** A WAV file's bytes: RIFF, `fmt ` (PCM, or IEEE float with its `fact` chunk), `data`. */
export function encodeWav(samples: Float32Array, channels: number, sampleRate: number, format: "float32" | "int16" | "int24"): Uint8Array {
  const bits = FORMAT_BITS[format];
  const bytesPer = bits / 8;
  const dataBytes = samples.length * bytesPer;
  const float = format === "float32";
  const fmtBytes = float ? 18 : 16;
  const header = 12 + 8 + fmtBytes + (float ? 12 : 0) + 8;
  if (header - 8 + dataBytes + (dataBytes & 1) > 0xffffffff) throw new RangeError(`data: ${dataBytes} bytes do not fit a WAV file (4 GiB)`);
  const out = new Uint8Array(header + dataBytes + (dataBytes & 1));
  const view = new DataView(out.buffer);
  const tag = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  tag(0, "RIFF");
  view.setUint32(4, out.length - 8, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  view.setUint32(16, fmtBytes, true);
  view.setUint16(20, float ? 3 : 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * bytesPer, true);
  view.setUint16(32, channels * bytesPer, true);
  view.setUint16(34, bits, true);
  let at = 36;
  if (float) {
    view.setUint16(at, 0, true); // cbSize
    tag(at + 2, "fact");
    view.setUint32(at + 6, 4, true);
    view.setUint32(at + 10, samples.length / channels, true);
    at += 14;
  }
  tag(at, "data");
  view.setUint32(at + 4, dataBytes, true);
  at += 8;
  if (float) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), at);
    else for (let i = 0; i < samples.length; i++) view.setFloat32(at + 4 * i, samples[i], true);
    return out;
  }
  const neg = 2 ** (bits - 1);
  const pos = neg - 1;
  for (let i = 0; i < samples.length; i++, at += bytesPer) {
    const x = samples[i];
    // NaN becomes 0; beyond [-1, 1] clips.
    const q = x > 0 ? Math.round(Math.min(x, 1) * pos) : x < 0 ? Math.round(Math.max(x, -1) * neg) : 0;
    if (bits === 16) view.setInt16(at, q, true);
    else {
      out[at] = q & 255;
      out[at + 1] = (q >> 8) & 255;
      out[at + 2] = (q >> 16) & 255;
    }
  }
  return out;
}
