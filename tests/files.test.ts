// Sound files (src/files.ts, `rtmixer/files`): WAV decoded exactly in every PCM and float format,
// FLAC, MP3, Ogg Vorbis and Opus decoded (fixtures made by tests/fixtures/make.py), resampling
// that keeps length and pitch, saveWav round trips, errors for bad input, and a 44.1 kHz file
// played on a 48 kHz stream and recorded back through a JACK loopback.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import wavefile from "wavefile";
import { MixerAndRecorder, Sample } from "../mod.ts";
import { AudioFileError, decodeFile, DEPENDENCIES, encodeWav, loadSample, saveWav } from "../src/files.ts";
import { DEPENDENCIES as PLOT_DEPENDENCIES } from "../src/plot.ts";
import { DEPENDENCIES as MEASURE_DEPENDENCIES } from "../src/measure.ts";
import { loopback, requireJack } from "./helpers/jack.ts";

const ROOT = new URL("../", import.meta.url);
const fixture = (name: string) => decodeURIComponent(new URL(`tests/fixtures/${name}`, ROOT).pathname);
/** Files the tests write; removed by the last test. */
const dir = mkdtempSync(join(tmpdir(), "rtmixer-files-"));

// ---------------------------------------------------------------------------------------------
// Helpers

/** A WAV file's bytes around raw sample bytes, written here (not by the code under test). */
function wavBytes(
  { tag, bits, channels, rate, extensible = false }: { tag: 1 | 3; bits: number; channels: number; rate: number; extensible?: boolean },
  data: Uint8Array,
): Uint8Array {
  const fmt = extensible ? 40 : 16;
  const out = new Uint8Array(12 + 8 + fmt + 8 + data.length);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => [...s].forEach((ch, i) => (out[at + i] = ch.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, out.length - 8, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, fmt, true);
  view.setUint16(20, extensible ? 0xfffe : tag, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, (rate * channels * bits) / 8, true);
  view.setUint16(32, (channels * bits) / 8, true);
  view.setUint16(34, bits, true);
  if (extensible) {
    view.setUint16(36, 22, true); // cbSize
    view.setUint16(38, bits, true); // valid bits
    view.setUint32(40, channels === 2 ? 3 : 0, true); // channel mask
    view.setUint16(44, tag, true); // SubFormat GUID: tag, then the fixed tail
    out.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 46);
  }
  text(12 + 8 + fmt, "data");
  view.setUint32(12 + 8 + fmt + 4, data.length, true);
  out.set(data, 12 + 8 + fmt + 8);
  return out;
}

/** Little-endian integer samples of `bits` bits. */
function intBytes(values: number[], bits: number): Uint8Array {
  const bytes = bits / 8;
  const out = new Uint8Array(values.length * bytes);
  values.forEach((v, i) => {
    for (let b = 0; b < bytes; b++) out[i * bytes + b] = (v >> (8 * b)) & 255;
  });
  return out;
}

/** The float an integer sample decodes to: negatives scaled by 2^-(bits-1), positives by 1/(2^(bits-1) - 1). */
const intToFloat = (v: number, bits: number) => Math.fround(v < 0 ? v / 2 ** (bits - 1) : v / (2 ** (bits - 1) - 1));

/** Every integer code at the edges and a spread between them, for `bits`. */
function codes(bits: number): number[] {
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  const out = [0, 1, -1, max, min, max - 1, min + 1];
  for (let i = 0; i < 1000; i++) out.push(Math.round(min + ((i * 7919) % 1000) / 1000 * (max - min)) || 0); // no -0
  return out;
}

/** Channel `c` of interleaved data. */
function channel(data: Float32Array, channels: number, c: number): Float32Array {
  return Float32Array.from({ length: data.length / channels }, (_, i) => data[i * channels + c]);
}

/** Frequency from the upward zero crossings (interpolated) between the first and the last. */
function frequency(x: Float32Array, rate: number, skip = 0): number {
  const ups: number[] = [];
  for (let i = skip + 1; i < x.length - skip; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) ups.push(i - 1 + x[i - 1] / (x[i - 1] - x[i]));
  }
  return ((ups.length - 1) * rate) / (ups[ups.length - 1] - ups[0]);
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

/** An interleaved sine per channel (`freqs[c]` Hz), amplitude 0.5. */
function sines(frames: number, rate: number, freqs: number[]): Float32Array {
  const out = new Float32Array(frames * freqs.length);
  for (let i = 0; i < frames; i++) freqs.forEach((f, c) => (out[i * freqs.length + c] = 0.5 * Math.sin((2 * Math.PI * f * i) / rate)));
  return out;
}

// ---------------------------------------------------------------------------------------------

describe("WAV files decode exactly", () => {
  for (const bits of [8, 16, 24, 32]) {
    for (const extensible of [false, true]) {
      test(`${bits}-bit PCM${extensible ? " (WAVE_FORMAT_EXTENSIBLE)" : ""}: every sample at its exact float`, async () => {
        // 8-bit WAV is unsigned, offset by 128.
        const values = codes(bits);
        const raw = bits === 8 ? Uint8Array.from(values, (v) => v + 128) : intBytes(values, bits);
        const bytes = wavBytes({ tag: 1, bits, channels: 1, rate: 44100, extensible }, raw);
        const audio = await decodeFile(bytes, { sampleRate: 44100 });
        expect([audio.channels, audio.sampleRate, audio.frames]).toEqual([1, 44100, values.length]);
        expect(audio.data).toEqual(Float32Array.from(values, (v) => intToFloat(v, bits)));
      });
    }
  }

  test("32-bit float: the samples bit for bit, stereo interleaved as given", async () => {
    const x = Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i * 0.37) * (i % 3 === 0 ? 1.5 : 0.9));
    x.set([0, -0, 1, -1, 1e-40, -3.4e38], 0);
    const bytes = wavBytes({ tag: 3, bits: 32, channels: 2, rate: 48000 }, new Uint8Array(x.buffer));
    const audio = await decodeFile(bytes, { sampleRate: 48000 });
    expect([audio.channels, audio.frames]).toEqual([2, 1000]);
    expect(new Uint32Array(audio.data.buffer, audio.data.byteOffset, audio.data.length)).toEqual(new Uint32Array(x.buffer));
  });

  test("64-bit float: each sample rounded to the nearest float32", async () => {
    const x = Float64Array.from({ length: 1500 }, (_, i) => Math.sin(i * 0.011) / 3 + 1e-12 * i);
    const audio = await decodeFile(wavBytes({ tag: 3, bits: 64, channels: 3, rate: 96000 }, new Uint8Array(x.buffer)), {
      sampleRate: 96000,
    });
    expect([audio.channels, audio.sampleRate, audio.frames]).toEqual([3, 96000, 500]);
    expect(audio.data).toEqual(Float32Array.from(x, Math.fround));
  });

  test("a file on disk, by path and by file: URL, gives the same samples as its bytes", async () => {
    const bytes = wavBytes({ tag: 1, bits: 16, channels: 2, rate: 22050 }, intBytes(codes(16).slice(0, 600), 16));
    const path = join(dir, "by-path.wav");
    writeFileSync(path, bytes);
    const a = await decodeFile(path, { sampleRate: 22050 });
    const b = await decodeFile(new URL(`file://${path}`), { sampleRate: 22050 });
    const c = await decodeFile(bytes.buffer as ArrayBuffer, { sampleRate: 22050 });
    expect(a.frames).toBe(300);
    expect(b.data).toEqual(a.data);
    expect(c.data).toEqual(a.data);
  });
});

describe("compressed files decode (fixtures from tests/fixtures/make.py)", () => {
  test("FLAC, 24-bit stereo: every sample within half a 24-bit step of its integer", async () => {
    const audio = await decodeFile(fixture("pattern-44100.flac"), { sampleRate: 44100 });
    expect([audio.channels, audio.sampleRate, audio.frames]).toEqual([2, 44100, 1000]);
    let worst = 0;
    for (let i = 0; i < 1000; i++) {
      for (let c = 0; c < 2; c++) {
        const v = (((37 * i + 1000 * c) % 2000) - 1000) * 4096 + c;
        worst = Math.max(worst, Math.abs(audio.data[2 * i + c] * 2 ** 23 - v));
      }
    }
    // The WASM FLAC decoder scales negative samples half a step off WAV's scaling: not bit-exact
    // as float, but every integer is told apart from its neighbours.
    expect(worst).toBeLessThanOrEqual(0.5);
  });

  const lossy: [string, string, number, number[]][] = [
    ["MP3", "tone-44100.mp3", 44100, [1000]],
    ["Ogg Vorbis", "tone-44100.ogg", 44100, [1000, 1500]],
    ["Ogg Opus", "tone-48000.opus", 48000, [1000]],
  ];
  for (const [format, file, rate, freqs] of lossy) {
    test(`${format}: ${freqs.length} channel(s) at ${rate} Hz, 0.5 s, each tone at its pitch and level`, async () => {
      const audio = await decodeFile(fixture(file), { sampleRate: rate });
      expect([audio.channels, audio.sampleRate]).toEqual([freqs.length, rate]);
      // Encoder delay and padding: within a few MP3 frames of 1152.
      expect(Math.abs(audio.frames - rate / 2)).toBeLessThan(3 * 1152);
      freqs.forEach((f, c) => {
        const x = channel(audio.data, audio.channels, c);
        expect(Math.abs(frequency(x, rate, 2000) / f - 1)).toBeLessThan(0.002);
        expect(Math.abs(rms(x.subarray(3000, x.length - 3000)) / (0.5 / Math.SQRT2) - 1)).toBeLessThan(0.05);
      });
    });
  }

  test("an MP3 at 44.1 kHz loaded for 48 kHz keeps its pitch", async () => {
    const audio = await decodeFile(fixture("tone-44100.mp3"), { sampleRate: 48000 });
    expect(audio.source).toMatchObject({ sampleRate: 44100, channels: 1 });
    expect(audio.frames).toBe(Math.round((audio.source.frames * 48000) / 44100));
    expect(Math.abs(frequency(audio.data, 48000, 2000) / 1000 - 1)).toBeLessThan(0.002);
  });
});

describe("resampling keeps length and pitch", () => {
  const cases: [number, number][] = [[44100, 48000], [48000, 44100], [22050, 48000], [96000, 48000]];
  for (const [from, to] of cases) {
    test(`${from} -> ${to} Hz: round(frames · ratio) frames, each tone at its frequency, matching the ideal sine`, async () => {
      const frames = from / 2 + 17;
      const bytes = encodeWav(sines(frames, from, [1000, 3000]), 2, from, "float32");
      const audio = await decodeFile(bytes, { sampleRate: to });
      expect([audio.channels, audio.sampleRate]).toEqual([2, to]);
      expect(audio.frames).toBe(Math.round((frames * to) / from));
      expect(audio.data.length).toBe(audio.frames * 2);
      const ideal = sines(audio.frames, to, [1000, 3000]);
      // Away from the ends (where the filter sees the cut), the same sine: right pitch, no delay.
      const edge = 200;
      let worst = 0;
      for (let i = 2 * edge; i < ideal.length - 2 * edge; i++) worst = Math.max(worst, Math.abs(audio.data[i] - ideal[i]));
      expect(worst).toBeLessThan(1e-3);
      expect(Math.abs(frequency(channel(audio.data, 2, 0), to) / 1000 - 1)).toBeLessThan(1e-4);
      expect(Math.abs(frequency(channel(audio.data, 2, 1), to) / 3000 - 1)).toBeLessThan(1e-4);
    });
  }

  for (const quality of ["best", "medium", "fastest"] as const) {
    test(`quality "${quality}": a 1 kHz sine 44.1 -> 48 kHz within 1e-3 of the ideal one`, async () => {
      const bytes = encodeWav(sines(4410, 44100, [1000]), 1, 44100, "float32");
      const audio = await decodeFile(bytes, { sampleRate: 48000, quality });
      expect(audio.frames).toBe(4800);
      const ideal = sines(4800, 48000, [1000]);
      let worst = 0;
      for (let i = 300; i < 4500; i++) worst = Math.max(worst, Math.abs(audio.data[i] - ideal[i]));
      expect(worst).toBeLessThan(1e-3);
    });
  }

  test("the native resampler (medium): SNR above 90 dB for a 1 kHz sine, flat to 90% of Nyquist, 100 dB down above it", async () => {
    const tone = async (from: number, to: number, freq: number) =>
      (await decodeFile(encodeWav(sines(from, from, [freq]), 1, from, "float32"), { sampleRate: to })).data;
    // Level (dB against the input's 0.5 amplitude) and SNR against the ideal sine, away from the ends.
    const measure = (x: Float32Array, to: number, freq: number) => {
      const y = sines(x.length, to, [freq]);
      let err = 0, sig = 0, pow = 0;
      for (let i = 1000; i < y.length - 1000; i++) {
        err += (x[i] - y[i]) ** 2;
        sig += y[i] ** 2;
        pow += x[i] ** 2;
      }
      return { snr: 10 * Math.log10(sig / err), level: 10 * Math.log10(pow / sig) };
    };
    for (const [from, to] of [[44100, 48000], [48000, 44100]]) {
      expect(measure(await tone(from, to, 1000), to, 1000).snr).toBeGreaterThan(90);
      // 90% of the lower Nyquist frequency (19845 Hz): within 0.1 dB of the input's level.
      expect(Math.abs(measure(await tone(from, to, 19845), to, 19845).level)).toBeLessThan(0.1);
    }
    // 23 kHz, above 44.1 kHz's Nyquist frequency: gone.
    expect(measure(await tone(48000, 44100, 23000), 44100, 23000).level).toBeLessThan(-100);
  });

  test("the resampler keeps nothing from one file to the next: the same file gives the same frames", async () => {
    const a = encodeWav(sines(3000, 44100, [1000]), 1, 44100, "float32");
    const b = encodeWav(sines(3000, 44100, [1234]).map((x) => -x), 1, 44100, "float32");
    const first = await decodeFile(a, { sampleRate: 48000 });
    await decodeFile(b, { sampleRate: 48000 });
    for (const quality of ["best", "fastest"] as const) await decodeFile(b, { sampleRate: 48000, quality });
    expect((await decodeFile(a, { sampleRate: 48000 })).data).toEqual(first.data);
  });

  test("the same rate is not resampled: the samples come through untouched", async () => {
    const x = sines(1000, 48000, [440, 880]);
    const audio = await decodeFile(encodeWav(x, 2, 48000, "float32"), { sampleRate: 48000 });
    expect(audio.data).toEqual(x);
  });
});

describe("channels", () => {
  test("a mono file asked for 2 channels is copied onto both", async () => {
    const x = sines(500, 48000, [440]);
    const audio = await decodeFile(encodeWav(x, 1, 48000, "float32"), { sampleRate: 48000, channels: 2 });
    expect(audio.channels).toBe(2);
    expect(channel(audio.data, 2, 0)).toEqual(x);
    expect(channel(audio.data, 2, 1)).toEqual(x);
  });

  test("a stereo file asked for 1 channel is their average", async () => {
    const x = sines(500, 48000, [440, 660]);
    const audio = await decodeFile(encodeWav(x, 2, 48000, "float32"), { sampleRate: 48000, channels: 1 });
    expect(audio.channels).toBe(1);
    expect(audio.data).toEqual(Float32Array.from({ length: 500 }, (_, i) => Math.fround(x[2 * i] * 0.5 + x[2 * i + 1] * 0.5)));
  });

  test("3 channels asked for 2 is a RangeError naming channels", async () => {
    const bytes = encodeWav(new Float32Array(30), 3, 48000, "float32");
    await expect(decodeFile(bytes, { sampleRate: 48000, channels: 2 })).rejects.toThrow(
      /^channels \(2\) disagrees with source \(bytes\), which has 3/,
    );
  });
});

describe("loadSample", () => {
  test("gives a Sample with the channels, rate and frames of the stream it is for", async () => {
    const path = join(dir, "stereo-44k.wav");
    saveWav(path, sines(4410, 44100, [500, 700]), { sampleRate: 44100, channels: 2 });
    using s = await loadSample(path, { sampleRate: 48000 });
    expect(s).toBeInstanceOf(Sample);
    expect([s.channels, s.sampleRate, s.frames]).toEqual([2, 48000, 4800]);
    using mono = await loadSample(path, { sampleRate: 44100, channels: 1 });
    expect([mono.channels, mono.sampleRate, mono.frames]).toEqual([1, 44100, 4410]);
  });
});

describe("saveWav", () => {
  test("float32 (the default): read back bit for bit, and by wavefile as 32-bit float", async () => {
    const x = sines(3000, 48000, [440, 550, 660]);
    x[7] = 1.75; // beyond full scale is kept in float
    const path = join(dir, "f32.wav");
    saveWav(path, x, { sampleRate: 48000, channels: 3 });
    const back = await decodeFile(path, { sampleRate: 48000 });
    expect([back.channels, back.frames]).toEqual([3, 3000]);
    expect(back.data).toEqual(x);
    const wav = new (wavefile as unknown as { WaveFile: new (b: Uint8Array) => any }).WaveFile(readFileSync(path));
    expect([wav.fmt.audioFormat, wav.fmt.numChannels, wav.fmt.sampleRate, wav.bitDepth]).toEqual([3, 3, 48000, "32f"]);
    expect(Float32Array.from(wav.getSamples(true, Float32Array))).toEqual(x);
  });

  for (const [format, bits] of [["int16", 16], ["int24", 24]] as const) {
    test(`${format}: each sample rounded to its step and clipped; read back, and saved again the same file`, async () => {
      const x = Float32Array.from({ length: 2400 }, (_, i) => 1.2 * Math.sin(i * 0.05));
      x.set([0, 1, -1, 2, -2, NaN], 0);
      const path = join(dir, `${format}.wav`);
      saveWav(path, [x.subarray(0, 1200), x.subarray(1200)], { sampleRate: 44100, format });
      const back = await decodeFile(path, { sampleRate: 44100 });
      expect([back.channels, back.frames]).toEqual([2, 1200]);
      const max = 2 ** (bits - 1) - 1;
      const min = -(2 ** (bits - 1));
      const expected = Float32Array.from({ length: 2400 }, (_, k) => {
        const v = x[(k & 1) * 1200 + (k >> 1)];
        const q = Number.isNaN(v) ? 0 : v > 0 ? Math.round(Math.min(v, 1) * max) : Math.round(Math.max(v, -1) * -min);
        return intToFloat(q, bits);
      });
      expect(back.data).toEqual(expected);
      const wav = new (wavefile as unknown as { WaveFile: new (b: Uint8Array) => any }).WaveFile(readFileSync(path));
      expect([wav.fmt.audioFormat, wav.bitDepth]).toEqual([1, String(bits)]);
      const again = join(dir, `${format}-again.wav`);
      saveWav(again, back.data, { sampleRate: 44100, channels: 2, format });
      expect(readFileSync(again)).toEqual(readFileSync(path));
    });
  }
});

describe("bad input gets a clear, typed error that names the argument", () => {
  const wav = () => encodeWav(new Float32Array(100), 1, 48000, "float32");

  test("a missing file: AudioFileError with its path and ENOENT", async () => {
    const path = join(dir, "no-such.wav");
    const e = await loadSample(path, { sampleRate: 48000 }).catch((x) => x);
    expect(e).toBeInstanceOf(AudioFileError);
    expect(e.message).toBe(`${path}: no such file`);
    expect([e.name, e.path, e.code]).toEqual(["AudioFileError", path, "ENOENT"]);
  });

  test("a directory: AudioFileError", async () => {
    await expect(loadSample(dir, { sampleRate: 48000 })).rejects.toThrow(`${dir}: a directory, not a file`);
  });

  test("bytes that are no sound file, and an empty file: AudioFileError saying so", async () => {
    const text = join(dir, "text.wav");
    writeFileSync(text, "this is not audio, just text in a file with a .wav name\n".repeat(20));
    const e = await loadSample(text, { sampleRate: 48000 }).catch((x) => x);
    expect(e).toBeInstanceOf(AudioFileError);
    expect(e.message).toMatch(new RegExp(`^${text}: not a sound file that can be decoded \\(.+\\)$`));
    await expect(loadSample(new Uint8Array(0), { sampleRate: 48000 })).rejects.toBeInstanceOf(AudioFileError);
    const truncated = wav().subarray(0, 44);
    await expect(loadSample(truncated, { sampleRate: 48000 })).rejects.toThrow(/^source \(bytes\): /);
  });

  test("sampleRate missing, not a number, or out of range", async () => {
    await expect(loadSample(wav(), undefined as never)).rejects.toThrow(new TypeError("options.sampleRate is required: the rate of the stream to play on, in Hz"));
    await expect(loadSample(wav(), {} as never)).rejects.toThrow(TypeError);
    await expect(loadSample(wav(), { sampleRate: "48000" as never })).rejects.toThrow(
      new TypeError('sampleRate must be an integer number, got the string "48000"'),
    );
    for (const bad of [0, -1, NaN, 44100.5, Infinity]) {
      await expect(loadSample(wav(), { sampleRate: bad })).rejects.toThrow(/^sampleRate must be an integer from 1 to/);
    }
    await expect(loadSample(encodeWav(new Float32Array(100), 1, 8000, "float32"), { sampleRate: 4000000 })).rejects.toThrow(
      /from 8000 to 4000000 Hz: a ratio beyond 256/,
    );
  });

  test("bad options: channels, quality, an unknown key, the source's type", async () => {
    await expect(loadSample(wav(), { sampleRate: 48000, channels: 0 })).rejects.toThrow(/^channels must be an integer from 1/);
    await expect(loadSample(wav(), { sampleRate: 48000, quality: "high" as never })).rejects.toThrow(
      /^quality must be "best", "medium" or "fastest", got the string "high"$/,
    );
    await expect(loadSample(wav(), { sampleRate: 48000, rate: 1 } as never)).rejects.toThrow(/^options: unknown option "rate"/);
    await expect(loadSample(42 as never, { sampleRate: 48000 })).rejects.toThrow(/^source must be a path .* got number 42$/);
    await expect(loadSample(new URL("https://example.com/a.wav"), { sampleRate: 48000 })).rejects.toThrow(TypeError);
  });

  test("saveWav: bad data, channels, rate and format", () => {
    const p = join(dir, "bad.wav");
    expect(() => saveWav(p, [1, 2, 3] as never, { sampleRate: 48000 })).toThrow(/^data\[0\] must be a Float32Array/);
    expect(() => saveWav(p, new Float64Array(4) as never, { sampleRate: 48000 })).toThrow(/^data must be a Float32Array/);
    expect(() => saveWav(p, new Float32Array(5), { sampleRate: 48000, channels: 2 })).toThrow(/not a multiple of channels \(2\)/);
    expect(() => saveWav(p, [new Float32Array(3), new Float32Array(4)], { sampleRate: 48000 })).toThrow(/channels must be of one length/);
    expect(() => saveWav(p, new Float32Array(4), { sampleRate: 0 })).toThrow(/^sampleRate must be an integer from 1/);
    expect(() => saveWav(p, new Float32Array(4), {} as never)).toThrow(/^options.sampleRate is required/);
    expect(() => saveWav(p, new Float32Array(4), { sampleRate: 48000, format: "int8" as never })).toThrow(/^format must be/);
    expect(() => saveWav(join(dir, "no", "dir", "x.wav"), new Float32Array(4), { sampleRate: 48000 })).toThrow(/ENOENT/);
  });
});

describe("packaging: a separate entry point with pinned dependencies", () => {
  const json = (name: string) => JSON.parse(readFileSync(new URL(name, ROOT), "utf8"));

  test("package.json pins exactly the versions files.ts, measure.ts and plot.ts import, and exports ./files and ./plot", () => {
    const pkg = json("package.json");
    const all = { ...DEPENDENCIES, ...MEASURE_DEPENDENCIES, ...PLOT_DEPENDENCIES };
    expect(pkg.dependencies).toEqual(all);
    // The npm package ships the compiled sources (.ci/npm-build.sh), in the same layout under dist/.
    expect(pkg.exports["./files"]).toEqual({ types: "./dist/src/files.d.ts", default: "./dist/src/files.js" });
    expect(pkg.exports["./plot"]).toEqual({ types: "./dist/src/plot.d.ts", default: "./dist/src/plot.js" });
    expect(json("deno.json").exports).toEqual({ ".": "./mod.ts", "./files": "./src/files.ts", "./plot": "./src/plot.ts" });
    const lock = json("package-lock.json");
    for (const [name, version] of Object.entries(all)) expect(lock.packages[`node_modules/${name}`].version).toBe(version);
  });

  test("mod.ts and the modules it loads import no package (only node: builtins and relative paths)", () => {
    const seen = new Set<string>();
    const bare: string[] = [];
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const text = readFileSync(url, "utf8");
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s*["']([^"']+)["']/g)) {
        const spec = m[1];
        if (spec.startsWith(".")) visit(new URL(spec, url));
        else if (!spec.startsWith("node:") && spec !== "bun:ffi") bare.push(`${url.pathname}: ${spec}`);
      }
    };
    visit(new URL("mod.ts", ROOT));
    expect(seen.size).toBeGreaterThan(10);
    expect(seen.has(new URL("src/files.ts", ROOT).href)).toBe(false);
    expect(seen.has(new URL("src/plot.ts", ROOT).href)).toBe(false);
    expect(bare).toEqual([]);
  });
});

describe("a 44.1 kHz file on a 48 kHz stream (JACK loopback)", () => {
  test("plays at its own pitch and length: the recording is the resampled file, bit for bit", async () => {
    requireJack();
    const frames = 11025; // 0.25 s at 44.1 kHz
    const path = join(dir, "tone-44k.wav");
    saveWav(path, sines(frames, 44100, [1000, 1500]), { sampleRate: 44100, channels: 2, format: "int16" });
    using m = new MixerAndRecorder({ channels: 2, blockSize: 256 });
    expect(m.sampleRate).toBe(48000);
    using sample = await loadSample(path, { sampleRate: m.sampleRate });
    const expected = (await decodeFile(path, { sampleRate: m.sampleRate })).data;
    expect(sample.frames).toBe(12000);
    m.start();
    loopback();
    // Output frame n comes back as input frame n + 512 (JACK period 256 + block 256).
    const start = Math.ceil(m.frameTime + 0.2 * 48000);
    const recording = new Float32Array((12000 + 400) * 2);
    const rec = m.recordBuffer(recording, 2, { startFrame: start + 512 - 200, allowBelated: false });
    const play = m.playBuffer(sample, [1, 2], { startFrame: start, allowBelated: false });
    await m.wait();
    expect([play.outcome, rec.outcome, play.doneFrames]).toEqual(["done", "done", 12000]);
    expect(Array.from(recording.subarray(0, 400))).toEqual(new Array(400).fill(0));
    expect(recording.subarray(400, 400 + 24000)).toEqual(expected);
    expect(Array.from(recording.subarray(400 + 24000))).toEqual(new Array(400).fill(0));
    expect(Math.abs(frequency(channel(recording, 2, 0), 48000, 300) / 1000 - 1)).toBeLessThan(1e-3);
    expect(Math.abs(frequency(channel(recording, 2, 1), 48000, 300) / 1500 - 1)).toBeLessThan(1e-3);
  });
});

test("(the files these tests wrote are removed)", () => {
  rmSync(dir, { recursive: true, force: true });
});
