/**
 * What the examples share: command-line flags (device, sample rate, block size, latency and each
 * example's own), keys and lines from the terminal, WAV files (read with the `wavefile` package
 * from npm), and small number formatting. Runs unchanged under Bun and Deno.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { closeSync, openSync, readSync, writeFileSync } from "node:fs";
import wavefile from "wavefile";
import type { Latency, StreamOptions } from "../mod.ts";

// ---------------------------------------------------------------------------------------------
// Command line

/** One flag of an example: a string (parsed by `parse`) or a boolean switch. */
export interface Flag {
  type: "string" | "boolean";
  short?: string;
  help: string;
  /** Shown in --help; also the value when the flag is absent. */
  default?: string | boolean;
}

const COMMON: Record<string, Flag> = {
  device: { type: "string", short: "d", help: "device index or name query (default: the default device)" },
  samplerate: { type: "string", short: "r", help: "sample rate in Hz (default: the device's)" },
  blocksize: { type: "string", short: "b", help: "frames per block; 0 lets the host choose", default: "0" },
  latency: { type: "string", short: "l", help: `"low", "high" or seconds`, default: "low" },
};

/**
 * Parses the process's arguments: the common stream flags plus `flags`. Prints the usage and
 * exits for --help (status 0) and for a bad flag (status 2).
 */
export function cli(
  usage: { name: string; summary: string; args?: string },
  flags: Record<string, Flag>,
  { common = true, args = process.argv.slice(2) } = {},
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const all: Record<string, Flag> = { ...(common ? COMMON : {}), ...flags };
  const help = () => {
    const lines = [`${usage.summary}\n`, `usage: ${usage.name} [options]${usage.args ? " " + usage.args : ""}\n`];
    for (const [name, f] of Object.entries({ ...all, help: { type: "boolean", short: "h", help: "show this help" } as Flag })) {
      const flag = `${f.short ? `-${f.short}, ` : "    "}--${name}${f.type === "string" ? " X" : ""}`;
      const def = f.default !== undefined && f.type === "string" ? ` [${f.default}]` : "";
      lines.push(`  ${flag.padEnd(26)} ${f.help}${def}`);
    }
    return lines.join("\n");
  };
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, f] of Object.entries(all)) options[name] = { type: f.type, ...(f.short ? { short: f.short } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    console.error(`${usage.name}: ${(e as Error).message}\n\n${help()}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(help());
    process.exit(0);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, f] of Object.entries(all)) values[name] = (parsed.values as Record<string, string | boolean>)[name] ?? f.default;
  return { values, positionals: parsed.positionals };
}

/** Exits with status 2 and a message naming the flag. */
export function usageError(message: string): never {
  console.error(message);
  process.exit(2);
}

/** A number flag, checked against [min, max]. */
export function num(values: Record<string, unknown>, name: string, min = -Infinity, max = Infinity): number {
  const text = values[name];
  const x = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isFinite(x) || x < min || x > max) {
    usageError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return x;
}

/** An integer flag, checked against [min, max]. */
export function int(values: Record<string, unknown>, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const x = num(values, name, min, max);
  if (!Number.isInteger(x)) usageError(`--${name} must be an integer, got ${x}`);
  return x;
}

/** The stream options that the common flags give (device, sampleRate, blockSize, latency). */
export function streamOptions(values: Record<string, unknown>): StreamOptions {
  const o: StreamOptions = {};
  const device = values.device as string | undefined;
  if (device !== undefined) o.device = /^\d+$/.test(device) ? Number(device) : device;
  if (values.samplerate !== undefined) o.sampleRate = num(values, "samplerate", 1);
  o.blockSize = int(values, "blocksize", 0, 1 << 20);
  const latency = values.latency as string;
  o.latency = (latency === "low" || latency === "high" ? latency : num(values, "latency", 0, 10)) as Latency;
  return o;
}

/** The smallest power of two >= n. */
export function powerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A small deterministic random generator (so that runs can be repeated with --seed). */
export function random(seed: number): () => number {
  let x = (seed >>> 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** dBFS of an amplitude, "-inf" for silence. */
export function dB(x: number): string {
  return x > 0 ? (20 * Math.log10(x)).toFixed(1) : "-inf";
}

// ---------------------------------------------------------------------------------------------
// Terminal input

/**
 * The keys typed, one character at a time; Enter is "\n". On a terminal the keys arrive as they
 * are pressed (raw mode; Ctrl-C ends the sequence); otherwise, from a pipe, each line's
 * characters followed by "\n". The sequence ends at Ctrl-C or the end of input; `stop()` ends it
 * early and releases the input so the process can exit.
 */
export function keys(): { next: () => Promise<string | null>; stop: () => void } {
  const stdin = process.stdin;
  const tty = Boolean(stdin.isTTY);
  const queue: string[] = [];
  let waiting: ((k: string | null) => void) | null = null;
  let ended = false;
  const push = (k: string | null) => {
    if (ended) return;
    if (k === null) ended = true;
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(k);
    } else if (k !== null) queue.push(k);
  };
  const onData = (chunk: Uint8Array | string) => {
    for (const ch of typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk)) {
      if (ch === "\x03" || ch === "\x04") return push(null); // Ctrl-C, Ctrl-D
      push(ch === "\r" ? "\n" : ch);
    }
  };
  const onEnd = () => push(null);
  if (tty) stdin.setRawMode?.(true);
  stdin.on("data", onData);
  stdin.on("end", onEnd);
  stdin.resume();
  const stop = () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    if (tty) stdin.setRawMode?.(false);
    stdin.pause();
    // Deno keeps a paused stdin referenced; unref lets the process end.
    (stdin as unknown as { unref?: () => void }).unref?.();
    push(null);
  };
  return {
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : ended ? Promise.resolve(null) : new Promise((r) => (waiting = r))),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// WAV files, through the `wavefile` package

// deno-lint-ignore no-explicit-any
const { WaveFile } = wavefile as any;

/** Reads a WAV file piece by piece, as interleaved float32 frames. */
export class WavReader {
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitDepth: string;
  /** Frames in the file. */
  readonly frames: number;
  #fd: number;
  #position: number;
  #end: number;
  #bytesPerFrame: number;
  #decoder: {
    data: { samples: Uint8Array; chunkSize: number };
    fromScratch(channels: number, sampleRate: number, bitDepth: string, samples: ArrayLike<number>): void;
    toBitDepth(bitDepth: string): void;
    getSamples(interleaved: boolean, type: unknown): Float32Array;
  };

  constructor(path: string) {
    this.#fd = openSync(path, "r");
    try {
      // The header is parsed by wavefile from the file's first bytes (samples not loaded).
      const head = new Uint8Array(1 << 16);
      const got = readSync(this.#fd, head, 0, head.length, 0);
      const header = new WaveFile();
      header.fromBuffer(head.subarray(0, got), false);
      if (header.fmt.audioFormat !== 1 && header.fmt.audioFormat !== 3 && header.fmt.audioFormat !== 65534) {
        throw new Error(`${path}: only PCM and float WAV files are supported (format ${header.fmt.audioFormat})`);
      }
      this.channels = header.fmt.numChannels;
      this.sampleRate = header.fmt.sampleRate;
      this.bitDepth = header.bitDepth;
      this.#bytesPerFrame = header.fmt.blockAlign;
      this.frames = Math.floor(header.data.chunkSize / this.#bytesPerFrame);
      // wavefile gives the data chunk's size but not its offset: find the chunk header that
      // carries exactly that size (the data follows it).
      const size = header.data.chunkSize;
      const tag = [0x64, 0x61, 0x74, 0x61, size & 255, (size >>> 8) & 255, (size >>> 16) & 255, size >>> 24];
      let at = 12;
      while (at + 8 <= got && !tag.every((b, i) => head[at + i] === b)) at++;
      if (at + 8 > got) throw new Error(`${path}: the data chunk does not start within the first ${head.length} bytes`);
      this.#position = at + 8;
      this.#end = this.#position + this.frames * this.#bytesPerFrame;
      this.#decoder = new WaveFile();
      this.#decoder.fromScratch(this.channels, this.sampleRate, this.bitDepth, []);
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
  }

  /** The next frames (at most `frames`), interleaved; empty at the end of the file. */
  read(frames: number): Float32Array {
    const bytes = Math.min(frames * this.#bytesPerFrame, this.#end - this.#position);
    if (bytes <= 0) return new Float32Array(0);
    const raw = new Uint8Array(bytes);
    const got = readSync(this.#fd, raw, 0, bytes, this.#position);
    this.#position += got;
    // wavefile converts whatever the file holds to float32 in [-1, 1].
    this.#decoder.fromScratch(this.channels, this.sampleRate, this.bitDepth, []);
    this.#decoder.data.samples = raw.subarray(0, got - (got % this.#bytesPerFrame));
    this.#decoder.data.chunkSize = this.#decoder.data.samples.length;
    if (this.bitDepth !== "32f") this.#decoder.toBitDepth("32f");
    return this.#decoder.getSamples(true, Float32Array);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Writes interleaved float32 frames as a 32-bit float WAV file. */
export function writeWav(path: string, data: Float32Array, channels: number, sampleRate: number): void {
  const wav = new WaveFile();
  wav.fromScratch(channels, sampleRate, "32f", data);
  writeFileSync(path, wav.toBuffer());
}

/** Reads a whole WAV file as interleaved float32 frames. */
export function readWav(path: string): { data: Float32Array; channels: number; sampleRate: number } {
  const reader = new WavReader(path);
  try {
    return { data: reader.read(reader.frames), channels: reader.channels, sampleRate: reader.sampleRate };
  } finally {
    reader.close();
  }
}

/** Whether this file is the program being run (Bun and Deno both have `import.meta.main`). */
export function isMain(meta: ImportMeta): boolean {
  return (meta as ImportMeta & { main?: boolean }).main === true;
}
