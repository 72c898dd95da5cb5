/**
 * A development tool, not a benchmark: the callback's cost per voice per block under two builds
 * of the library, in one process, in alternating rounds, so that the machine's noise falls on
 * both alike (on the shared 2-core development machine, separate runs of one build differ by more
 * than most changes to the callback). The base is another checkout, built, for instance:
 *
 *   git worktree add /tmp/base <commit> && (cd /tmp/base && .venv/bin/zig build) # or .ci/setup.sh
 *   bun bench/tools/ab.ts /tmp/base [--voices 256] [--block 64] [--mono] [--memory] [--rounds 21]
 *   deno run -A bench/tools/ab.ts /tmp/base ...
 *
 * Each side loads its own checkout's TypeScript and library (`RTMIXER_LIB` set before importing
 * it): the base's from BASE/zig-out/lib (or --base-lib PATH), this checkout's from its zig-out/lib.
 * Every voice plays stereo onto channels 1-2 (--mono: mono onto channel 2) from one shared Sample
 * in cache, or (--memory) each from its own slice of a 64 MiB buffer; a round submits the voices,
 * runs the first block untimed (it takes them in), times the blocks after it, and collects them,
 * as often as it takes to time 400,000 voice blocks. The blocks run in one native loop of the
 * support library (as a stream's thread runs them), through each side's own `rtm_mixer_process`:
 * a JavaScript-to-native call per block would add the same 30-40 ns to both and dilute the ratio.
 * Prints the medians per voice per block and the median of the per-round ratios (new / base).
 * --smoke: a few tiny rounds, only to check that it runs.
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Pointer } from "../../src/ffi/mod.ts";

const USAGE =
  "bench/tools/ab.ts BASE_CHECKOUT [--base-lib PATH] [--voices N] [--block N] [--mono] [--memory] [--rounds N] [--smoke]";
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
};
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  if (value === undefined) usage();
  return value;
};
function usage(): never {
  console.error(`usage: ${USAGE}`);
  process.exit(2);
}
const smoke = flag("--smoke");
const mono = flag("--mono");
const memory = flag("--memory");
const voices = Number(option("--voices", smoke ? "4" : "256"));
const block = Number(option("--block", "64"));
const rounds = Number(option("--rounds", smoke ? "3" : "21"));
const baseLibOption = option("--base-lib", "");
if (args.length !== 1 || args[0].startsWith("--")) usage();
if (![voices, block, rounds].every((n) => Number.isInteger(n) && n > 0) || block > 4096) usage();
const baseRoot = args[0].replace(/\/+$/, "");
const here = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/+$/, "");
const libName = process.platform === "darwin"
  ? "librtmixer.dylib"
  : process.platform === "win32"
  ? "rtmixer.dll"
  : "librtmixer.so";
const libDir = process.platform === "win32" ? "bin" : "lib";

const channels = mono ? [2] : [1, 2];
const SEGMENT = smoke ? 4 * block : Math.max(4096, 16 * block); // frames each voice plays per round
const ROUND_BLOCK_VOICES = smoke ? 1 : 400_000;
const MEMORY_SAMPLES = (smoke ? 1 << 20 : 64 << 20) / 4;

let supportLib: ReturnType<typeof import("../../tests/helpers/support.ts").support> | undefined;
const bench = () => supportLib!;

/** One side: its checkout's engine on its library, and a function that times one round. */
async function side(root: string, lib: string): Promise<() => number> {
  process.env.RTMIXER_LIB = lib;
  const { native } = await import(`${root}/src/ffi/mod.ts`);
  const { Engine } = await import(`${root}/src/engine.ts`);
  const { Sample } = await import(`${root}/src/sample.ts`);
  const n = native();
  const width = channels.length;
  const pattern = (a: Float32Array) => a.map((_, i) => ((i * 7919) % 1021) / 1024);
  const sample = new Sample(pattern(new Float32Array(SEGMENT * width)), { channels: width });
  const big = memory ? pattern(new Float32Array(MEMORY_SAMPLES)) : null;
  const frames = memory ? Math.floor(MEMORY_SAMPLES / width / voices / block) * block : SEGMENT;
  if (frames < 2 * block) throw new Error("--memory: too many voices for the 64 MiB buffer at this block size");
  const sources = Array.from(
    { length: voices },
    (_, v) => big ? big.subarray(v * frames * width, (v + 1) * frames * width) : sample,
  );
  const mixer = n.rtm_mixer_create(0, 2, 48000, Math.max(64, voices))!;
  const engine = new Engine(mixer, 0, 2, {});
  const out = new Float32Array(block * 2);
  // This side's own `rtm_mixer_process`, run block after block in one native loop of this
  // checkout's support library, as a stream's thread runs it: no JavaScript-to-native call per
  // block dilutes the difference. (Looked up on first use: the support library is loaded once
  // both sides have loaded their own libraries, beside this checkout's.)
  let processFn: Pointer | null = null;
  let frame = 0;
  const blocks = (count: number) => {
    if (processFn === null) {
      const path = new TextEncoder().encode(lib);
      processFn = bench().rtm_bench_product_process(path, path.length);
      if (processFn === null) throw new Error(`no rtm_mixer_process in ${lib}`);
    }
    if (bench().rtm_bench_engine_blocks(processFn, mixer, out, out.byteLength, block, frame, count, 48000) !== 0) {
      throw new Error("rtm_mixer_process refused a block");
    }
    frame += count * block;
  };
  // A round repeats its voices' segment until it has timed at least ROUND_BLOCK_VOICES voice
  // blocks: a single segment of a few voices is a few microseconds, too short to time.
  return () => {
    let timed = 0;
    let ms = 0;
    const count = frames / block - 1;
    do {
      for (const source of sources) engine.playBuffer(source, channels);
      blocks(1); // takes the new actions in: not timed
      const t0 = performance.now();
      blocks(count);
      ms += performance.now() - t0;
      timed += count * voices;
      blocks(1);
      engine.collect();
      if (engine.actions.size !== 0) throw new Error("voices outlived their round");
    } while (timed < ROUND_BLOCK_VOICES);
    return (ms * 1e6) / timed;
  };
}

const base = await side(baseRoot, baseLibOption || `${baseRoot}/zig-out/${libDir}/${libName}`);
const current = await side(here, `${here}/zig-out/${libDir}/${libName}`);
// Imported only now: it opens the support library beside the library this checkout's module
// loaded, which must be this checkout's own.
const { support } = await import("../../tests/helpers/support.ts");
supportLib = support();
for (let i = 0; i < (smoke ? 1 : 3); i++) base(), current(); // warm-up
const times = { base: [] as number[], current: [] as number[], ratio: [] as number[] };
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first.
  let b: number, c: number;
  if (r % 2) [b, c] = [base(), current()];
  else [c, b] = [current(), base()];
  times.base.push(b);
  times.current.push(c);
  times.ratio.push(c / b);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const what = `${voices} voices ${mono ? "mono onto channel 2" : "stereo onto 1-2"}, block ${block}, ${
  memory ? "from memory" : "in cache"
}`;
console.log(
  `${what}: base ${median(times.base).toFixed(2)} ns, this checkout ${
    median(times.current).toFixed(2)
  } ns per voice per block`,
);
console.log(
  `this / base: median ${median(times.ratio).toFixed(3)} over ${rounds} rounds (range ${
    Math.min(...times.ratio).toFixed(2)
  }-${Math.max(...times.ratio).toFixed(2)})`,
);
