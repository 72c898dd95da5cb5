/**
 * What the examples share: command-line flags (device, sample rate, block size, latency and each
 * example's own), bad input answered with one line and exit status 2, a live progress line on a
 * terminal, keys and lines from the terminal, WAV files (read with the `wavefile` package from
 * npm), and small number formatting. Runs unchanged under Bun and Deno.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { clearInterval, setInterval } from "node:timers";
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from "node:fs";
import wavefile from "wavefile";
import { type Action, type ActionStream, type Latency, PortAudioError, type Stats, type StreamOptions } from "../mod.ts";

/** The running example's name (set by {@link cli}), which starts every error line. */
let program = "example";

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
  program = usage.name;
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
    // parseArgs explains at length how to pass an argument that starts with "-": its first sentence is enough.
    usageError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, "")} (--help for usage)`);
  }
  if (parsed.values.help) {
    console.log(help());
    process.exit(0);
  }
  if (!usage.args && parsed.positionals.length > 0) {
    usageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])} (--help for usage)`);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, f] of Object.entries(all)) values[name] = (parsed.values as Record<string, string | boolean>)[name] ?? f.default;
  return { values, positionals: parsed.positionals };
}

/**
 * Bad input: exits with status 2 after one line on stderr, "<example>: <message>" (a message of
 * several lines, such as a list of devices, is joined into one).
 */
export function usageError(message: string): never {
  console.error(`${program}: ${oneLine(message)}`);
  process.exit(2);
}

/** A message on one line: "list:\n  a\n  b" becomes "list: a; b". */
export function oneLine(message: string): string {
  return message.trim().replace(/:\s*\n\s*/g, ": ").replace(/\s*\n\s*/g, "; ");
}

/** A WAV file that could not be read: not a WAV file, or one of a kind the examples do not read. */
export class WavError extends Error {
  override name = "WavError";
}

/** Whether `e` is what bad input causes (rather than a bug, which keeps its stack trace). */
function isBadInput(e: unknown): e is Error {
  if (e instanceof TypeError || e instanceof RangeError || e instanceof PortAudioError || e instanceof WavError) return true;
  // rtmixer/files' AudioFileError (a file missing, unreadable or not audio), known by its name
  // so that examples which do not read sound files do not load that module.
  if (e instanceof Error && e.name === "AudioFileError") return true;
  // A file that is missing, unreadable, a directory, ... (Node's fs errors carry an errno code).
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code);
}

/** The message of a bad-input error: a file error as "path: what went wrong". */
function badInputMessage(e: Error): string {
  if (e.name === "AudioFileError") return e.message; // already "path: what went wrong"
  const { code, path } = e as Error & { code?: unknown; path?: unknown };
  if (typeof code === "string" && typeof path === "string") {
    const what = /^E[A-Z]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
    return `${path}: ${what}`;
  }
  return e.message;
}

/**
 * Runs `open`: what the user's input can make fail (opening a stream on their device, rate and
 * channels; opening, parsing or creating their file). A failure caused by bad input is answered
 * with one line on stderr and exit status 2 ({@link usageError}), `context` (if given) before
 * the reason; any other error is thrown on.
 */
export function orExit<T>(open: () => T, context?: string): T {
  try {
    return open();
  } catch (e) {
    if (!isBadInput(e)) throw e;
    return usageError(context ? `${context}: ${badInputMessage(e)}` : badInputMessage(e));
  }
}

/** {@link orExit} for what is opened asynchronously (a sound file decoded by rtmixer/files). */
export async function orExitAsync<T>(open: () => Promise<T>, context?: string): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (!isBadInput(e)) throw e;
    return usageError(context ? `${context}: ${badInputMessage(e)}` : badInputMessage(e));
  }
}

/** A number flag, checked against [min, max]. */
export function num(values: Record<string, unknown>, name: string, min = -Infinity, max = Infinity): number {
  const text = values[name];
  const x = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isFinite(x) || x < min || x > max) {
    const range = max === Infinity ? (min === -Infinity ? "" : ` of at least ${min}`) : ` from ${min} to ${max}`;
    usageError(`--${name} must be a number${range}, got ${JSON.stringify(text)}`);
  }
  return x;
}

/** An integer flag, checked against [min, max]. */
export function int(values: Record<string, unknown>, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const x = num(values, name, min, max);
  if (!Number.isInteger(x)) usageError(`--${name} must be an integer, got ${x}`);
  return x;
}

/**
 * The stream options that the common flags give (device, sampleRate, blockSize, latency): single
 * values, which every stream class takes.
 */
export function streamOptions(values: Record<string, unknown>): StreamOptions<"input" | "output"> {
  const o: StreamOptions<"input" | "output"> = {};
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
// Live progress

/** Stats summed over several fetches (block sizes: the smallest and largest seen). */
function addStats(a: Stats | undefined, b: Stats): Stats {
  if (a === undefined || a.blocks === 0) return { ...b };
  if (b.blocks === 0) return a;
  return {
    blocks: a.blocks + b.blocks,
    minBlockSize: Math.min(a.minBlockSize, b.minBlockSize),
    maxBlockSize: Math.max(a.maxBlockSize, b.maxBlockSize),
    inputUnderflows: a.inputUnderflows + b.inputUnderflows,
    inputOverflows: a.inputOverflows + b.inputOverflows,
    outputUnderflows: a.outputUnderflows + b.outputUnderflows,
    outputOverflows: a.outputOverflows + b.outputOverflows,
  };
}

/** Over- and underflows of every kind. */
export function xruns(s: Stats): number {
  return s.inputUnderflows + s.inputOverflows + s.outputUnderflows + s.outputOverflows;
}

/**
 * A live progress line while a stream runs: the time since it began (of `total` seconds, if
 * given), the actions in flight, and the xruns so far (fetched from the callback with
 * `fetchAndResetStats`, which an active stream's `stats` cannot give). It is drawn on stderr only
 * when stderr is a terminal, as one line rewritten in place, so pipes, logs and tests see none of
 * it. {@link stats} gives the stream's statistics since the progress began either way.
 */
export class Progress {
  readonly #stream: ActionStream;
  readonly #total: number | undefined;
  readonly #extra: (() => string) | undefined;
  readonly #t0: number;
  readonly #tty: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** A stats fetch in flight (the callback answers it within a block). */
  #fetch: Action | undefined;
  #sum: Stats | undefined;
  #drawn = false;

  /** Starts drawing every `every` ms (on a terminal); `extra` adds a field of the example's own. */
  constructor(stream: ActionStream, options: { total?: number; extra?: () => string; every?: number } = {}) {
    this.#stream = stream;
    this.#total = options.total;
    this.#extra = options.extra;
    this.#t0 = stream.time;
    this.#tty = Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb";
    if (!this.#tty) return;
    this.#timer = setInterval(() => {
      try {
        this.#tick();
      } catch {
        this.stop(); // the stream closed or ended under it: the example says what happened
      }
    }, options.every ?? 200);
    this.#timer.unref(); // the progress never keeps the process alive
  }

  /** Takes back a finished stats fetch and sends the next one. */
  #collect(): void {
    if (this.#fetch?.finished) {
      this.#sum = addStats(this.#sum, this.#fetch.stats);
      this.#fetch = undefined;
    }
  }

  #tick(): void {
    if (this.#stream.closed) return this.stop();
    this.#collect();
    this.#fetch ??= this.#stream.fetchAndResetStats();
    let inFlight = 0; // the example's actions, not this progress's stats fetch
    for (const a of this.#stream.actions) if (a !== this.#fetch && !a.finished) inFlight++;
    const elapsed = Math.max(0, this.#stream.time - this.#t0);
    const time = this.#total === undefined ? `${elapsed.toFixed(1)} s` : `${elapsed.toFixed(1)} / ${this.#total.toFixed(1)} s`;
    const fields = [time, `${inFlight} action${inFlight === 1 ? "" : "s"} in flight`, `${xruns(this.#sum ?? ZERO)} xruns`];
    if (this.#extra) fields.push(this.#extra());
    process.stderr.write(`\r${program}: ${fields.join(" · ")}\x1b[K`);
    this.#drawn = true;
  }

  /** Stops drawing and clears the line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn) process.stderr.write("\r\x1b[K");
    this.#drawn = false;
  }

  /** Stops drawing; the stream's statistics since the progress began (fetched from the callback). */
  async stats(): Promise<Stats> {
    this.stop();
    if (this.#fetch) await this.#stream.wait(this.#fetch);
    this.#collect();
    const last = this.#stream.fetchAndResetStats();
    await this.#stream.wait(last);
    return addStats(this.#sum, last.stats);
  }
}

const ZERO: Stats = {
  blocks: 0,
  minBlockSize: 0,
  maxBlockSize: 0,
  inputUnderflows: 0,
  inputOverflows: 0,
  outputUnderflows: 0,
  outputOverflows: 0,
};

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

  /**
   * Opens `path` and reads its header. Throws the file system's error for a file that cannot be
   * opened, and a {@link WavError} for one that is not a WAV file this reader can read.
   */
  constructor(path: string) {
    this.#fd = openSync(path, "r");
    try {
      if (fstatSync(this.#fd).isDirectory()) throw new WavError(`${path}: a directory, not a WAV file`);
      // The header is parsed by wavefile from the file's first bytes (samples not loaded).
      const head = new Uint8Array(1 << 16);
      const got = readSync(this.#fd, head, 0, head.length, 0);
      const header = new WaveFile();
      try {
        header.fromBuffer(head.subarray(0, got), false);
      } catch (e) {
        throw new WavError(`${path}: not a WAV file (${(e as Error).message})`);
      }
      if (header.fmt.audioFormat !== 1 && header.fmt.audioFormat !== 3 && header.fmt.audioFormat !== 65534) {
        throw new WavError(`${path}: only PCM and float WAV files are supported (format ${header.fmt.audioFormat})`);
      }
      if (!(header.fmt.numChannels >= 1) || !(header.fmt.sampleRate > 0) || !(header.fmt.blockAlign > 0)) {
        throw new WavError(`${path}: a WAV file without channels or sample rate`);
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
      if (at + 8 > got) throw new WavError(`${path}: the data chunk does not start within the first ${head.length} bytes`);
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

/**
 * Creates (or empties) `path` now, so that a file that cannot be written is found before
 * anything is recorded (the file system's error is thrown).
 */
export function createFile(path: string): void {
  closeSync(openSync(path, "w"));
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
