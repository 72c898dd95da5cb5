/**
 * Ring buffer throughput, against a plain `TypedArray.set` copy of the same bytes measured in the
 * same run. Absolute times on a shared machine are noisy, so the figure this benchmark exists for
 * is the ratio ring/plain: rounds of the three variants alternate and every figure is a median.
 *
 *   bun bench/ringbuffer.ts [--smoke]
 *   deno run -A bench/ringbuffer.ts [--smoke]
 *
 * --smoke: tiny rounds, only checks that the benchmark still runs; nothing is written.
 */
import os from "node:os";
import process from "node:process";
import { mkdirSync, writeFileSync } from "node:fs";
import { RingBuffer } from "../mod.ts";

const args = process.argv.slice(2);
const smoke = args.includes("--smoke");
if (args.some((a) => a !== "--smoke")) {
  console.error("usage: bench/ringbuffer.ts [--smoke]");
  process.exit(2);
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtime = "Bun" in globalThis
  ? { name: "bun", version: g.Bun.version as string }
  : { name: "deno", version: g.Deno.version.deno as string, v8: g.Deno.version.v8 as string };

const ELEMENT_SIZE = 8;
const RING_SIZE = 65536; // elements: 512 KiB, every chunk size divides it, so nothing wraps
const CHUNKS = [16, 64, 256, 1024, 4096, 16384];
const SMALL_CHUNK = 64; // "small chunks" for the per-call goal: 16 and 64 elements
const ROUNDS = smoke ? 3 : 15; // odd, so the median is one measured round
const WARMUP_ROUNDS = smoke ? 1 : 3;
// Each round of the write+readInto variant lasts about this long; the others move the same bytes.
const ROUND_MS = smoke ? 0.5 : 20;
// A timer read costs 35 ns (Bun) to 90 ns (Deno), too much to time single small calls. So a batch
// of writes is timed, then as many reads. Up to 32 KiB is in flight, which stays in L1 like a
// single chunk written and read back would; chunks of 32 KiB and more go one at a time.
const BATCH_BYTES = 1 << 15;

type Timing = { write: number; read: number }; // ms for the whole round

/** write + readInto: each call copies between the chunk and the ring's memory in native code. */
function timeCopy(ring: RingBuffer, chunk: Uint8Array, out: Uint8Array, batch: number, batches: number): Timing {
  const n = chunk.byteLength / ELEMENT_SIZE;
  let write = 0, read = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) if (ring.write(chunk) !== n) throw new Error("short write");
    const t1 = performance.now();
    for (let i = 0; i < batch; i++) if (ring.readInto(out) !== n) throw new Error("short read");
    const t2 = performance.now();
    write += t1 - t0;
    read += t2 - t1;
  }
  return { write, read };
}

/** getWriteBuffers + set + advanceWriteIndex, getReadBuffers + set + advanceReadIndex. */
function timeZeroCopy(ring: RingBuffer, chunk: Uint8Array, out: Uint8Array, batch: number, batches: number): Timing {
  const n = chunk.byteLength / ELEMENT_SIZE;
  let write = 0, read = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      const [count, first] = ring.getWriteBuffers(n);
      if (count !== n || first.byteLength !== chunk.byteLength) throw new Error("short or split write region");
      first.set(chunk);
      ring.advanceWriteIndex(n);
    }
    const t1 = performance.now();
    for (let i = 0; i < batch; i++) {
      const [count, first] = ring.getReadBuffers(n);
      if (count !== n || first.byteLength !== out.byteLength) throw new Error("short or split read region");
      out.set(first);
      ring.advanceReadIndex(n);
    }
    const t2 = performance.now();
    write += t1 - t0;
    read += t2 - t1;
  }
  return { write, read };
}

/**
 * The physical reference: the same two copies with nothing else, into a staging array as large
 * as the ring and back out, at the same rotating positions so both touch memory alike.
 */
function timePlain(
  slots: Uint8Array[],
  pos: { w: number; r: number },
  chunk: Uint8Array,
  out: Uint8Array,
  batch: number,
  batches: number,
): Timing {
  let write = 0, read = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      slots[pos.w].set(chunk);
      pos.w = (pos.w + 1) % slots.length;
    }
    const t1 = performance.now();
    for (let i = 0; i < batch; i++) {
      out.set(slots[pos.r]);
      pos.r = (pos.r + 1) % slots.length;
    }
    const t2 = performance.now();
    write += t1 - t0;
    read += t2 - t1;
  }
  return { write, read };
}

const sum = (t: Timing) => t.write + t.read;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Row {
  chunk: number;
  path: "copy" | "zero-copy";
  writeNs: number;
  readNs: number;
  ringMBps: number;
  plainWriteNs: number;
  plainReadNs: number;
  plainMBps: number;
  /** Median over rounds of plain time / ring time, each pair measured back to back. */
  ratio: number;
}

function bench(chunkElements: number): Row[] {
  const chunkBytes = chunkElements * ELEMENT_SIZE;
  using ring = new RingBuffer(ELEMENT_SIZE, RING_SIZE);
  const chunk = new Uint8Array(chunkBytes).map((_, i) => (i * 31 + 7) & 255);
  const out = new Uint8Array(chunkBytes);
  const staging = new Uint8Array(RING_SIZE * ELEMENT_SIZE);
  const slots = Array.from(
    { length: RING_SIZE / chunkElements },
    (_, i) => staging.subarray(i * chunkBytes, (i + 1) * chunkBytes),
  );
  const pos = { w: 0, r: 0 };
  const batch = Math.max(1, Math.floor(BATCH_BYTES / chunkBytes));
  // Calibrate on the copy variant (which also starts the warm-up): double until a quarter round.
  let batches = 1;
  while (sum(timeCopy(ring, chunk, out, batch, batches)) < ROUND_MS / 4) batches *= 2;
  batches *= 4;
  const calls = batch * batches;

  const variants = {
    copy: () => timeCopy(ring, chunk, out, batch, batches),
    "zero-copy": () => timeZeroCopy(ring, chunk, out, batch, batches),
    plain: () => timePlain(slots, pos, chunk, out, batch, batches),
  };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  const times = Object.fromEntries(names.map((n) => [n, [] as Timing[]])) as Record<keyof typeof variants, Timing[]>;

  for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
    // Rotate the order every round so no variant always runs first (after a GC, say).
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + Math.max(round, 0)) % names.length];
      out.fill(0);
      const t = variants[name]();
      if (!out.every((x, i) => x === chunk[i])) throw new Error(`${name} moved the wrong bytes`);
      if (round >= 0) times[name].push(t);
    }
  }

  const nsPerCall = (ms: number) => (ms * 1e6) / calls;
  const mbps = (ms: number) => (chunkBytes * calls) / (ms * 1e3); // bytes per µs = MB/s
  const plain = times.plain;
  return (["copy", "zero-copy"] as const).map((path) => ({
    chunk: chunkElements,
    path,
    writeNs: nsPerCall(median(times[path].map((t) => t.write))),
    readNs: nsPerCall(median(times[path].map((t) => t.read))),
    ringMBps: mbps(median(times[path].map(sum))),
    plainWriteNs: nsPerCall(median(plain.map((t) => t.write))),
    plainReadNs: nsPerCall(median(plain.map((t) => t.read))),
    plainMBps: mbps(median(plain.map(sum))),
    ratio: median(times[path].map((t, i) => sum(plain[i]) / sum(t))),
  }));
}

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? "unknown",
  cores: cpus.length,
  os: `${os.platform()} ${os.release()}`,
  arch: os.arch(),
};
console.log(
  `# RingBuffer(${ELEMENT_SIZE}, ${RING_SIZE}): ${runtime.name} ${runtime.version}, ${machine.cpu} × ${machine.cores}${
    smoke ? " (smoke run)" : ""
  }`,
);
console.log(
  `medians of ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms; plain = the same two copies by TypedArray.set\n`,
);
console.log("| chunk | path | ns/write | ns/read | MB/s ring | MB/s plain | ring/plain |");
console.log("|------:|------|---------:|--------:|----------:|-----------:|-----------:|");
const rows: Row[] = [];
for (const size of CHUNKS) {
  for (const r of bench(size)) {
    rows.push(r);
    const cells = [
      r.chunk,
      r.path,
      r.writeNs.toFixed(1),
      r.readNs.toFixed(1),
      r.ringMBps.toFixed(0),
      r.plainMBps.toFixed(0),
      r.ratio.toFixed(2),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
}

// The goals are shown, not asserted: a benchmark reports, the tests decide.
const of = (path: Row["path"], pick: (r: Row) => boolean) => rows.filter((r) => r.path === path && pick(r));
const goals = (["copy", "zero-copy"] as const).map((path) => {
  const lowestRatio = Math.min(...of(path, (r) => r.chunk >= 1024).map((r) => r.ratio));
  const slowestCallNs = Math.max(...of(path, (r) => r.chunk <= SMALL_CHUNK).flatMap((r) => [r.writeNs, r.readNs]));
  return { path, lowestRatio, ratioMet: lowestRatio >= 0.5, slowestCallNs, callMet: slowestCallNs < 100 };
});
const RATIO_GOAL = "ring/plain >= 0.5 for chunks >= 1024 elements";
const CALL_GOAL = `< 100 ns per write or read call for chunks <= ${SMALL_CHUNK} elements, in Bun`;
const verdict = (met: boolean, worst: string) => `${met ? "met" : "NOT met"} (worst ${worst})`;
console.log(`\ngoal: ${RATIO_GOAL}:`);
for (const g of goals) console.log(`  ${g.path}: ${verdict(g.ratioMet, g.lowestRatio.toFixed(2))}`);
console.log(`goal: ${CALL_GOAL}${runtime.name === "bun" ? "" : " (shown here for comparison)"}:`);
for (const g of goals) console.log(`  ${g.path}: ${verdict(g.callMet, g.slowestCallNs.toFixed(1) + " ns")}`);

const results = {
  benchmark: "ringbuffer",
  runtime,
  date: new Date().toISOString(),
  machine,
  settings: {
    elementSize: ELEMENT_SIZE,
    ringSize: RING_SIZE,
    rounds: ROUNDS,
    warmupRounds: WARMUP_ROUNDS,
    roundMs: ROUND_MS,
    batchBytes: BATCH_BYTES,
  },
  rows,
  goals: { ratio: RATIO_GOAL, call: CALL_GOAL, byPath: goals },
};
// Four significant digits of a measurement are more than the noise allows; counts stay exact.
const json =
  JSON.stringify(results, (_, v) => typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v, 2) +
  "\n";
if (smoke) {
  console.log("\nsmoke run: results not written");
} else {
  const dir = new URL("./results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`ringbuffer-${runtime.name}.json`, dir);
  writeFileSync(file, json);
  console.log(`\nresults: ${decodeURIComponent(file.pathname)}`);
}
