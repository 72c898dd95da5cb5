/**
 * Sound files: decode + resample throughput against real time (issue 13), for 44.1 -> 48 kHz
 * stereo. A 10 s stereo file at 44.1 kHz is loaded with `decodeFile` for a 48 kHz stream, with each
 * of the resampler's qualities (zig/resample.zig), and without resampling (decoding alone) for reference; rounds of
 * the variants alternate, and every figure is a median with the range over the rounds. The
 * committed FLAC, MP3, Vorbis and Opus fixtures (0.5 s each) show the compressed decoders' cost.
 * Goal: the default converter ("medium") at least 50x real time.
 *
 *   bun bench/decode.ts [--smoke]
 *   deno run -A bench/decode.ts [--smoke]
 *
 * --smoke: a 1 s file and two rounds, only checks that the benchmark still runs; nothing is written.
 */
import { readFileSync } from "node:fs";
import { decodeFile, encodeWav, type Quality } from "../src/files.ts";
import { machine, median, parseSmoke, row, runtime, writeResults } from "./_common.ts";

const smoke = parseSmoke("bench/decode.ts");
const FROM = 44100;
const TO = 48000;
const SECONDS = smoke ? 1 : 10;
const ROUNDS = smoke ? 2 : 7;
const GOAL = 50;

// A 10 s stereo file of two sines with a little noise, as 16-bit PCM and as 32-bit float.
const frames = SECONDS * FROM;
const samples = new Float32Array(frames * 2);
let seed = 1;
for (let i = 0; i < frames; i++) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  const noise = (seed / 2147483648 - 0.5) * 0.01;
  samples[2 * i] = 0.4 * Math.sin((2 * Math.PI * 440 * i) / FROM) + noise;
  samples[2 * i + 1] = 0.4 * Math.sin((2 * Math.PI * 660 * i) / FROM) - noise;
}
const files = {
  "WAV 16-bit": encodeWav(samples, 2, FROM, "int16"),
  "WAV float": encodeWav(samples, 2, FROM, "float32"),
};

interface Variant {
  file: keyof typeof files;
  quality: Quality | "none";
}
const variants: Variant[] = [];
for (const file of Object.keys(files) as (keyof typeof files)[]) {
  for (const quality of ["none", "fastest", "medium", "best"] as const) variants.push({ file, quality });
}
const key = (v: Variant) => `${v.file} ${v.quality}`;

async function once(v: Variant): Promise<number> {
  const t0 = performance.now();
  const audio = await decodeFile(files[v.file], v.quality === "none" ? { sampleRate: FROM } : { sampleRate: TO, quality: v.quality });
  const ms = performance.now() - t0;
  if (audio.frames !== (v.quality === "none" ? frames : Math.round((frames * TO) / FROM))) throw new Error(`${key(v)}: ${audio.frames} frames`);
  return ms;
}

console.log(`# decode + resample, ${SECONDS} s of stereo at ${FROM} Hz -> ${TO} Hz (${runtime.name} ${runtime.version}, ${machine.cpu}, ${machine.cores} cores)\n`);
// Warm-up: the decoders' and the resampler's WASM are compiled on first use.
for (const v of variants) await once(v);
const times = new Map<string, number[]>(variants.map((v) => [key(v), []]));
for (let r = 0; r < ROUNDS; r++) for (const v of variants) times.get(key(v))!.push(await once(v));

console.log(row(["file", "converter", "median ms", "x real time (median)", "x real time (range)"]));
console.log(row(["---", "---", "---", "---", "---"]));
const results: Record<string, unknown>[] = [];
for (const v of variants) {
  const ms = times.get(key(v))!;
  const ratio = (t: number) => (SECONDS * 1000) / t;
  const [lo, hi] = [ratio(Math.max(...ms)), ratio(Math.min(...ms))];
  const converter = v.quality === "none" ? "none (decode only)" : v.quality;
  console.log(row([v.file, converter, median(ms).toFixed(1), ratio(median(ms)).toFixed(1), `${lo.toFixed(1)}-${hi.toFixed(1)}`]));
  results.push({ file: v.file, converter: v.quality, ms, medianRealTime: ratio(median(ms)), minRealTime: lo, maxRealTime: hi });
}

// The compressed fixtures: 0.5 s each, decoded (and resampled when at 44.1 kHz) 20 times a round.
console.log();
console.log(row(["fixture", "to", "median ms per 0.5 s", "x real time (median)", "x real time (range)"]));
console.log(row(["---", "---", "---", "---", "---"]));
const REPEAT = smoke ? 2 : 20;
for (const name of ["pattern-44100.flac", "tone-44100.mp3", "tone-44100.ogg", "tone-48000.opus"]) {
  const bytes = readFileSync(new URL(`../tests/fixtures/${name}`, import.meta.url));
  const seconds = (await decodeFile(bytes, { sampleRate: TO })).source.frames / (name.includes("44100") ? FROM : TO);
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let k = 0; k < REPEAT; k++) await decodeFile(bytes, { sampleRate: TO });
    ms.push((performance.now() - t0) / REPEAT);
  }
  const ratio = (t: number) => (seconds * 1000) / t;
  console.log(row([name, TO, median(ms).toFixed(2), ratio(median(ms)).toFixed(1), `${ratio(Math.max(...ms)).toFixed(1)}-${ratio(Math.min(...ms)).toFixed(1)}`]));
  results.push({ fixture: name, seconds, ms, medianRealTime: ratio(median(ms)) });
}

const goal = (file: keyof typeof files) => {
  const ms = times.get(`${file} medium`)!;
  const x = (SECONDS * 1000) / median(ms);
  return `goal: ${file}, 44.1 -> 48 kHz stereo with the default converter (medium) >= ${GOAL}x real time: ${x.toFixed(1)}x (${x >= GOAL ? "met" : "missed"})`;
};
console.log();
console.log(goal("WAV 16-bit"));
console.log(goal("WAV float"));
writeResults("decode", smoke, { seconds: SECONDS, rounds: ROUNDS, from: FROM, to: TO, goal: GOAL, results });
