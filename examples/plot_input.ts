/**
 * plot_input: a live input level meter and scope in the terminal (after rtmixer's plot_input.py,
 * which plots with matplotlib). The callback records into a ring buffer; every --interval this
 * program takes what arrived and draws, per channel, the peak level as a bar and the waveform's
 * envelope as a row of block characters. On a terminal it redraws in place; otherwise it prints
 * one line per channel and update.
 *
 *   bun examples/plot_input.ts -c 2
 */
import process from "node:process";
import { Float32RingBuffer, Recorder } from "../mod.ts";
import { cli, dB, int, keys, num, orExit, powerOfTwo, sleep, streamOptions } from "./_common.ts";

const { values } = cli({
  name: "plot_input",
  summary: "Shows the input's level and waveform in the terminal. Enter or Ctrl-C quits.",
}, {
  channels: { type: "string", short: "c", help: "channels", default: "1" },
  interval: { type: "string", short: "i", help: "seconds between updates", default: "0.05" },
  width: { type: "string", short: "w", help: "characters per bar and scope", default: "50" },
  seconds: { type: "string", short: "s", help: "stop after this many seconds; 0: until Enter", default: "0" },
});
const channels = int(values, "channels", 1, 64);
const interval = num(values, "interval", 0.01, 10);
const width = int(values, "width", 8, 400);
const seconds = num(values, "seconds", 0, 86_400);
const LEVELS = " ▁▂▃▄▅▆▇█";
const tty = Boolean(process.stdout.isTTY);

using recorder = orExit(() => new Recorder({ ...streamOptions(values), channels }));
const fs = recorder.sampleRate;
using ring = new Float32RingBuffer(channels, powerOfTwo(Math.max(interval * fs * 4, 4096)));
recorder.start();
const action = recorder.recordRingBuffer(ring);
console.log(`input: ${channels} channel(s) at ${fs} Hz; ${seconds > 0 ? `${seconds} s` : "Enter quits"}`);

let quit = false;
const input = seconds > 0 ? undefined : keys();
if (input) {
  (async () => {
    for (let k = await input.next(); k !== null && k !== "\n"; k = await input.next());
    quit = true;
  })();
} else setTimeout(() => (quit = true), seconds * 1000);

let drawn = 0;
let updates = 0;
let frames = 0;
while (!quit && !action.finished) {
  await sleep(interval * 1000);
  const data = ring.readFrames(); // everything available, interleaved
  const n = data.length / channels;
  frames += n;
  const lines: string[] = [];
  for (let c = 0; c < channels; c++) {
    let peak = 0;
    const scope = new Array(width).fill(0);
    for (let i = 0; i < n; i++) {
      const x = Math.abs(data[i * channels + c]);
      peak = Math.max(peak, x);
      const col = Math.floor(i * width / n);
      scope[col] = Math.max(scope[col], x);
    }
    // The bar spans -60..0 dBFS.
    const fill = peak > 0 ? Math.max(0, Math.min(width, Math.round((1 + Math.log10(peak) / 3) * width))) : 0;
    const wave = scope.map((x) => LEVELS[Math.min(8, Math.ceil(Math.sqrt(x) * 8))]).join("");
    lines.push(`ch${c + 1} ${"█".repeat(fill).padEnd(width, "·")} ${dB(peak).padStart(6)} dBFS |${wave}|`);
  }
  if (tty && drawn > 0) process.stdout.write(`\x1b[${drawn}A`);
  process.stdout.write(lines.map((l) => l + (tty ? "\x1b[K" : "")).join("\n") + "\n");
  drawn = lines.length;
  updates++;
}
input?.stop();
const overflowed = action.outcome === "ringEnded";
if (!action.finished) recorder.cancel(action);
await recorder.wait();
console.log(`${updates} updates, ${frames} frames shown${overflowed ? "; the ring buffer ran full (drawing fell behind)" : ""}`);
if (overflowed) process.exitCode = 1;
