// Smoke tests of examples/ and the demo: each runs as a child process of the runtime running the
// tests (so examples are exercised under Bun and under Deno), with short durations and scripted
// input, on the JACK dummy server of `npm test` (JACK_DEFAULT_SERVER is inherited). Each checks
// the exit status and what the example printed, not just that it started.
import { beforeAll, describe, expect, test } from "bun:test";
import { runArgs } from "./helpers/child.ts";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import wavefile from "wavefile";
import { readWav, WavReader, writeWav } from "../examples/_common.ts";
import { expSweep } from "../mod.ts";
import { requireJack } from "./helpers/jack.ts";
import { countColor, decodePng, inkFraction } from "./helpers/png.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const EXAMPLES = [
  "bleeperoo",
  "delay",
  "fetch_stats",
  "play_file",
  "record_file",
  "signal_processing",
  "sampler",
  "looper",
  "sequencer",
  "plot_input",
  "impulse_response",
  "latency",
  "demo",
];

function command(example: string, args: string[]): string[] {
  const file = join(ROOT, "examples", `${example}.ts`);
  return runArgs(file, ...args);
}

interface Result {
  status: number | null;
  out: string;
}

/** Runs an example to completion, with its standard output and error apart. */
function runApart(example: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, command(example, args), { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an example on a pseudo-terminal (util-linux `script`), as a user at a terminal would. */
function runOnTerminal(example: string, ...args: string[]): Result {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const line = [process.execPath, ...command(example, args)].map(quote).join(" ");
  const r = spawnSync("script", ["-qec", line, "/dev/null"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) console.log(out);
  return { status: r.status, out };
}

/** Runs an example to completion. */
function run(example: string, ...args: string[]): Result {
  const r = spawnSync(process.execPath, command(example, args), { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) console.log(out);
  return { status: r.status, out };
}

/**
 * Runs an example and types `steps` into its standard input ([text, delay before it in ms]). The
 * first delay counts from the example's first line of output (it prints once its stream runs),
 * not from the spawn: how long a runtime takes to start on a loaded machine must not eat into
 * the durations the tests check.
 */
function runTyped(example: string, args: string[], steps: [string, number][]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command(example, args), { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let running: () => void = () => {};
    const started = new Promise<void>((r) => (running = r));
    child.stdout!.on("data", (d) => {
      out += d;
      running();
    });
    child.stderr!.on("data", (d) => (out += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(killer);
      running();
      resolve({ status, out });
    });
    (async () => {
      await started;
      for (const [text, ms] of steps) {
        await new Promise((r) => setTimeout(r, ms));
        child.stdin!.write(text);
      }
      child.stdin!.end();
    })();
  });
}

const number = (out: string, re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);

/** |H(f)| in dB of a response at `fs` Hz (a direct DFT at f Hz). */
function levelAt(response: ArrayLike<number>, f: number, fs: number): number {
  const w = (2 * Math.PI * f) / fs;
  let re = 0, im = 0;
  for (let i = 0; i < response.length; i++) {
    re += response[i] * Math.cos(w * i);
    im -= response[i] * Math.sin(w * i);
  }
  return 10 * Math.log10(re * re + im * im);
}

describe("examples", () => {
  test("every example answers --help with its usage and exit status 0", () => {
    for (const example of EXAMPLES) {
      const r = run(example, "--help");
      expect({ example, status: r.status }).toEqual({ example, status: 0 });
      expect(r.out).toContain(`usage: ${example}`);
    }
  });

  test("a bad flag exits with status 2 and one line that names it and points to --help", () => {
    const r = runApart("bleeperoo", "--no-such-flag");
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^bleeperoo: Unknown option '--no-such-flag' \(--help for usage\)\n$/);
  });

  test("bleeperoo plays every bleep at its time, none belated", () => {
    requireJack();
    const r = run("bleeperoo", "-n", "120", "-s", "1", "-b", "256");
    expect(r.status).toBe(0);
    expect(r.out).toContain("scheduled 120 bleeps");
    expect(r.out).toContain("played 120, belated 0");
    // actualTime is the requested time rounded to the sample grid: at most half a sample off.
    const [lo, hi] = /start error \(actualTime - start\): (\S+) to (\S+) samples/.exec(r.out)!.slice(1).map(Number);
    expect(Math.max(Math.abs(lo), Math.abs(hi))).toBeLessThanOrEqual(0.5);
  });

  test("delay records and plays through one ring buffer without errors", () => {
    requireJack();
    const r = run("delay", "-s", "1", "--delay", "0.2", "-b", "256");
    expect(r.status).toBe(0);
    expect(r.out).toContain("delaying 1 channel(s) by 0.2 s (9600 frames)");
    expect(r.out).toContain("no errors");
    // Playback trails the recording by the delay less the stream's input and output latency
    // (the starts are compared with the ADC and DAC times: a few periods on JACK).
    const recorded = number(r.out, /recorded (\d+) frames/);
    const played = number(r.out, /played (\d+) frames/);
    expect(played).toBeGreaterThan(0);
    expect(recorded - played).toBeGreaterThanOrEqual(9600 - 8 * 256);
    expect(recorded - played).toBeLessThanOrEqual(9600);
  });

  test("fetch_stats prints stream stats and shows the unread ring buffer overflowing", () => {
    requireJack();
    const r = run("fetch_stats", "-s", "1", "-i", "0.3", "--ring-seconds", "0.2", "-b", "256");
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/stream stats: blocks \d+, block size 256-256/);
    expect(r.out).toContain("buffer action: done, 48000 frames");
    expect(r.out).toContain("ring buffer action: ringEnded, 16384 frames");
    expect(r.out).toContain("ring buffer: 16384 frames waiting to be read (full: true)");
  });

  test("play_file streams a 16-bit file longer than its ring buffer, every frame", () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-play-"));
    try {
      const frames = 48000 + 123;
      const wav = new (wavefile as unknown as { WaveFile: new () => any }).WaveFile();
      wav.fromScratch(2, 48000, "16", Int16Array.from({ length: 2 * frames }, (_, i) => (i * 7) % 20000 - 10000));
      writeFileSync(join(dir, "in.wav"), wav.toBuffer());
      const r = run("play_file", "-q", "8192", join(dir, "in.wav"));
      expect(r.status).toBe(0);
      expect(r.out).toContain(`${frames} frames (1.00 s), 2 channel(s), 48000 Hz, through a ring of 8192 frames`);
      expect(r.out).toContain(`played ${frames} of ${frames} frames (all of them)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("play_file plays a 44.1 kHz file on the 48 kHz stream resampled: its length in seconds, every frame", () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-play-"));
    try {
      writeWav(join(dir, "44k.wav"), Float32Array.from({ length: 2 * 44100 }, (_, i) => 0.5 * Math.sin(i * 0.03)), 2, 44100);
      const r = run("play_file", join(dir, "44k.wav"));
      expect(r.status).toBe(0);
      expect(r.out).toContain("48000 frames (1.00 s), 2 channel(s), 48000 Hz (the file's 44100 frames at 44100 Hz, resampled)");
      expect(r.out).toContain("played 48000 of 48000 frames (all of them)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("record_file records exactly the given duration to a WAV file", () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-rec-"));
    try {
      const file = join(dir, "take.wav");
      const r = run("record_file", file, "-s", "0.5", "-c", "2");
      expect(r.status).toBe(0);
      expect(r.out).toContain(`wrote 24000 frames (0.500 s) to ${file}`);
      const wav = readWav(file);
      expect([wav.channels, wav.sampleRate, wav.data.length]).toEqual([2, 48000, 48000]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("record_file records until Enter", async () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-rec-"));
    try {
      const file = join(dir, "take.wav");
      const r = await runTyped("record_file", [file, "-c", "1"], [["\n", 800]]);
      expect(r.status).toBe(0);
      expect(r.out).toContain("press Enter to stop");
      const frames = number(r.out, /wrote (\d+) frames/);
      expect(frames).toBeGreaterThan(0.3 * 48000);
      expect(readWav(file).data.length).toBe(frames);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("signal_processing moves blocks from the record ring to the play ring", () => {
    requireJack();
    // 32 processing blocks (0.34 s) between input and output, not the default 8 (85 ms): a loaded
    // machine (a clean-clone run with the test passes at once) stalled a Deno process longer than
    // 85 ms, and the example then reports, rightly, that its output ring ran dry.
    const r = run("signal_processing", "-s", "1", "-b", "256", "--latency-blocks", "32");
    expect(r.status).toBe(0);
    expect(number(r.out, /processed (\d+) blocks/)).toBeGreaterThan(40);
    expect(r.out).not.toContain("error:");
  });

  test("sampler records into a slot, plays it back, and quits on x", async () => {
    requireJack();
    const r = await runTyped("sampler", ["-b", "256"], [["1\n", 300], ["1\n", 400], ["q\n", 100], ["x\n", 700]]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("slot 1: recording");
    const frames = number(r.out, /slot 1: recorded [\d.]+ s \((\d+) frames\)/);
    expect(frames).toBeGreaterThan(0.2 * 48000);
    expect(r.out).toContain("slot 1: playing");
    expect(r.out).toContain("slot 1: played");
    expect(r.out.trimEnd().endsWith("bye")).toBe(true);
  });

  test("looper loops with a fade-in and a pan, ramps its gain at the frame asked, and ends at the cancel's fade", () => {
    requireJack();
    const r = run("looper", "-s", "1", "--ramp-at", "0.3", "--ramp", "0.2", "--fade-out", "0.25", "--pan=-0.5", "-b", "256");
    expect(r.status).toBe(0);
    expect(r.out).toContain("looping a synthesized tone: 24000 frames (0.500 s), 1 channel(s) at 48000 Hz, loop region 0-24000 until cancelled");
    expect(r.out).toContain("pan -0.5 (matrix [[0.924,0.383]])");
    const [start, asked] = /started at frame (\d+) \(asked: (\d+)\)/.exec(r.out)!.slice(1).map(Number);
    expect(start).toBe(asked);
    // The gain change and the cancel were sent while the loop played, each for its frame: there.
    const [ramp, rampAsked] = /-18 dB from frame (\d+) \(asked: (\d+)\), along a ramp of 9600 frames \(linear\)/.exec(r.out)!.slice(1).map(Number);
    expect([ramp, rampAsked]).toEqual([start + 14400, start + 14400]);
    const [cancel, cancelAsked] = /cancel with a 0.25 s fade-out at frame (\d+) \(asked: (\d+)\)/.exec(r.out)!.slice(1).map(Number);
    expect([cancel, cancelAsked]).toEqual([start + 48000, start + 48000]);
    // The voice ends where the fade reaches silence: 48000 frames to the cancel, 12000 of fade.
    expect(r.out).toContain(
      `the voice played 60000 frames and ended (cancelled) at frame ${start + 60000}, where the fade reached silence (12000 frames after the cancel)`,
    );
  });

  test("looper plays a 44.1 kHz stereo file resampled, its loop region twice, and ends before the cancel", () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-looper-"));
    try {
      writeWav(join(dir, "loop.wav"), Float32Array.from({ length: 2 * 11025 }, (_, i) => 0.3 * Math.sin(i * 0.05)), 2, 44100);
      const r = run("looper", join(dir, "loop.wav"), "--loops", "2", "--loop-start", "0.05", "--loop-end", "0.15", "-s", "1", "--ramp-at", "0.1", "--ramp", "0.1");
      expect(r.status).toBe(0);
      // 0.25 s at 48 kHz: 12000 frames; the region 2400-7200 again adds 4800.
      expect(r.out).toContain(`looping ${join(dir, "loop.wav")}: 12000 frames (0.250 s), 2 channel(s) at 48000 Hz, loop region 2400-7200 2 time(s)`);
      expect(r.out).toContain("pan 0 (matrix [[1,0],[0,1]])");
      expect(r.out).toContain("the voice played 16800 frames and ended (done) before the cancel (targetFinished)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("sequencer chains every step after the one before: each starts where the previous ended", () => {
    requireJack();
    // 130 BPM at 48 kHz: 16th notes of 5538.46 frames, rounded on the grid to 5538 or 5539.
    const r = run("sequencer", "-n", "1", "-t", "130", "-v", "-b", "256");
    expect(r.status).toBe(0);
    expect(r.out).toContain('playing "x.h.o.h.x.xho.h." 1 time(s) at 130 BPM, 4 steps per beat: 16 steps of 5538 or 5539 frames');
    const steps = [...r.out.matchAll(/^step +(\d+) [xoh.]: frames (\d+)-(\d+) \((\d+)\), .*\[(\w+)\]$/gm)].map((m) => m.slice(1));
    expect(steps).toHaveLength(16);
    for (let i = 0; i < steps.length; i++) {
      const [n, from, to, frames, outcome] = steps[i];
      expect([Number(n), Number(to) - Number(from), outcome]).toEqual([i + 1, Number(frames), "done"]);
      if (i > 0) expect(Number(from)).toBe(Number(steps[i - 1][2]));
    }
    expect(r.out).not.toMatch(/GAP|OVERLAP/);
    const span = Number(steps[15][2]) - Number(steps[0][1]);
    expect(span).toBe(Math.round(16 * (60 / 130 / 4) * 48000));
    expect(r.out).toContain(`played 16 of 16 steps from frame ${steps[0][1]} to ${steps[15][2]} (${span} frames`);
    expect(r.out).toContain("every step started exactly where the previous one ended: 0 gaps, 0 overlaps");
  });

  test("plot_input draws one line per channel and update", () => {
    requireJack();
    const r = run("plot_input", "-s", "0.5", "-c", "2", "-i", "0.1", "-w", "20", "-b", "256");
    expect(r.status).toBe(0);
    const updates = number(r.out, /(\d+) updates/);
    expect(updates).toBeGreaterThanOrEqual(3);
    // The dummy server's capture ports deliver silence.
    expect(r.out.split("\n").filter((l) => l.startsWith("ch1 ")).length).toBe(updates);
    expect(r.out).toContain("ch2 ····················   -inf dBFS |                    |");
  });
});

describe("impulse_response", () => {
  test("on the JACK loopback the response is a single impulse at the round trip (512 frames at block size 256), written as WAV and pictured", () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-ir-"));
    try {
      const out = join(dir, "ir.wav");
      const r = run("impulse_response", "--jack-loopback", "-b", "256", "-o", out);
      expect(r.status).toBe(0);
      expect(r.out).toContain("Sweep 20-20000 Hz over 1 s at 48000 Hz, level 0.5: playing on output 1, recording input 1");
      expect(r.out).toContain(`Wrote 24000 frames (0.5 s) of impulse response to ${out}.`);
      expect(r.out).toContain("peak:             frame 512 (10.667 ms; sub-sample 512.00)");
      expect(number(r.out, /peak-to-noise: +([\d.]+)/)).toBeGreaterThan(100);
      // A unit-gain loopback: the peak is the sweep's own band-limited impulse's (about 0.8, not 1),
      // and the spectrum reads 0 dB over the band.
      const reference = expSweep({ sampleRate: 48000, seconds: 1 }).referencePeak;
      expect(r.out).toContain(`height:           ${reference.toFixed(4)}, gain 1.0000 (0.00 dB)`);
      expect(r.out).toMatch(/^level: +[-+]0\.00 dB at 1 kHz; /m);
      const [lo, hi] = [number(r.out, /dB at 1 kHz; ([-+][\d.]+) to/), number(r.out, / to ([-+][\d.]+) dB from 100 Hz to 10 kHz/)];
      expect(Math.abs(lo)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(hi)).toBeLessThanOrEqual(0.1);
      const wav = readWav(out);
      expect([wav.channels, wav.sampleRate, wav.data.length]).toEqual([1, 48000, 24000]);
      let at = 0;
      for (let i = 0; i < wav.data.length; i++) if (Math.abs(wav.data[i]) > Math.abs(wav.data[at])) at = i;
      expect(at).toBe(512);
      expect(Math.abs(wav.data[512] - reference)).toBeLessThan(1e-4);
      // The WAV's own spectrum, from lag 0 (cut 512 frames before the peak, short of its
      // low-frequency ringing): 0 dB within ±0.1 dB from 500 Hz to 10 kHz (±0.3 dB from 100 Hz).
      for (let k = 0; k < 40; k++) {
        const f = 500 * (10000 / 500) ** (k / 39);
        expect(Math.abs(levelAt(wav.data, f, 48000))).toBeLessThan(0.1);
      }
      // Away from the peak's band-limited ringing (a few ms), the response is near silence.
      let rest = 0;
      for (let i = 0; i < wav.data.length; i++) if (Math.abs(i - 512) > 480) rest = Math.max(rest, Math.abs(wav.data[i]));
      expect(rest).toBeLessThan(0.01);
      expect(r.out).toContain(`picture:          ${join(dir, "ir.png")}`);
      const png = decodePng(new Uint8Array(readFileSync(join(dir, "ir.png"))));
      expect([png.width, png.height]).toEqual([900, 930]);
      expect(inkFraction(png)).toBeGreaterThan(0.03);
      expect(countColor(png, "#1f77b4")).toBeGreaterThan(1000); // the response, its peak, its spectrum
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("latency", () => {
  test("on the JACK loopback it measures the round trip (512 frames at block size 256) against PortAudio's, and pictures it", () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-latency-"));
    try {
      const out = join(dir, "latency.png");
      const r = runApart("latency", "--jack-loopback", "-b", "256", "-o", out);
      if (r.status !== 0) console.log(r.stdout + r.stderr);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("Measuring the round trip at 48000 Hz, block size 256: output 1 -> input 1...");
      expect(r.stdout).toContain("round trip:       512 frames (10.667 ms; sub-sample 512.00)");
      expect(r.stdout).toContain("seconds:          0.010667");
      const reported = number(r.stdout, /reported: +(\d+) frames/);
      expect(reported).toBeGreaterThan(0);
      const difference = reported === 512 ? "exact" : `${Math.abs(reported - 512)} frames`;
      expect(r.stdout).toContain(`PortAudio's input + output latency, ${difference}`);
      expect(r.stdout).toContain("gain:             1.0000 (0.00 dB)");
      expect(number(r.stdout, /confidence: +([\d.]+)/)).toBeGreaterThan(100);
      expect(r.stdout).toContain(`picture:          ${out}`);
      const png = decodePng(new Uint8Array(readFileSync(out)));
      expect([png.width, png.height]).toEqual([900, 670]);
      expect(inkFraction(png)).toBeGreaterThan(0.03);
      expect(countColor(png, "#1f77b4")).toBeGreaterThan(300); // the response and its samples
      expect(countColor(png, "#d62728")).toBeGreaterThan(100); // the measured round trip
      expect(countColor(png, "#2ca02c")).toBeGreaterThan(100); // the reported one
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without the loopback nothing comes back: one line naming the MeasurementError, exit status 1", () => {
    requireJack();
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-latency-"));
    try {
      const out = join(dir, "latency.png");
      const r = runApart("latency", "-b", "256", "-o", out);
      expect(r.status).toBe(1);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^latency: no round trip measured \(silence\): nothing came back on input channel 1: every sample was 0 \(is output channel 1 connected to the input\?\) \(on a JACK server, --jack-loopback links them\)$/,
      );
      expect(r.stdout).not.toContain("round trip:");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("examples answer bad input with one line on stderr and exit status 2, not a stack trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "rtmixer-bad-"));
  const text = join(dir, "notes.wav");
  writeFileSync(text, "these are not samples\n");
  const empty = join(dir, "empty.wav");
  writeFileSync(empty, "");
  const missing = join(dir, "missing.wav");
  // [what, needs the JACK server, example, arguments, the line (after "<example>: ")]
  const cases: [string, boolean, string, string[], RegExp][] = [
    ["an unknown flag", false, "delay", ["--dealy", "1"], /^Unknown option '--dealy' \(--help for usage\)$/],
    ["a flag that is not a number", false, "bleeperoo", ["-n", "many"], /^--bleeps must be a number from 1 to 100000, got "many"$/],
    ["a number out of range", false, "signal_processing", ["-c", "0"], /^--channels must be a number from 1 to 64, got "0"$/],
    ["an argument an example does not take", false, "fetch_stats", ["now"], /^unexpected argument "now" \(--help for usage\)$/],
    ["a missing file argument", false, "play_file", [], /^give one sound file \(--help for usage\)$/],
    // play_file asks the device for its rate before it decodes: these need the server.
    ["a missing file", true, "play_file", [missing], new RegExp(`^${missing}: no such file$`)],
    ["a file that is not a sound file", true, "play_file", [text], new RegExp(`^${text}: not a sound file that can be decoded \\(.+\\)$`)],
    ["an empty file", true, "play_file", [empty], new RegExp(`^${empty}: not a sound file that can be decoded`)],
    ["a directory", true, "play_file", [dir], new RegExp(`^${dir}: a directory, not a file$`)],
    ["a file that cannot be created", false, "record_file", [join(dir, "no", "such", "dir.wav")], /no such file or directory$/],
    ["a device index that does not exist", true, "bleeperoo", ["-d", "99"], /^device must be an integer from 0 to \d+, got 99$/],
    ["a device name that matches none", true, "plot_input", ["-d", "no such card"], /^device: no input device matches "no such card"; the input devices are: \[0\] system, JACK Audio Connection Kit/],
    ["a device name on a duplex example", true, "delay", ["-d", "nope"], /^device \(input\): no input device matches "nope"/],
    ["a sample rate the device does not support", true, "bleeperoo", ["-r", "44100"], /^Error opening output stream: Invalid sample rate \[PaErrorCode -9997\]$/],
    ["more channels than the device has", true, "record_file", ["-c", "5", join(dir, "take.wav")], /^channels must be from 1 to 2 for input device 0 \("system"\), got 5$/],
    ["a sample rate the device does not support (play_file)", true, "play_file", ["-r", "44100", join(dir, "44k.wav")], /^cannot play 1 channel\(s\) at 44100 Hz: Error opening output stream: Invalid sample rate/],
    ["a latency that is not one", false, "sampler", ["-l", "soon"], /^--latency must be a number from 0 to 10, got "soon"$/],
    ["a pan out of range", false, "looper", ["--pan", "2"], /^--pan must be a number from -1 to 1, got "2"$/],
    ["a curve that is not one", false, "looper", ["--curve", "steep"], /^--curve must be "linear", "exponential" or "target", got "steep"$/],
    ["a loop region that ends before it starts", true, "looper", ["--loop-start", "0.3", "--loop-end", "0.2"], /^loopEnd \(9600\) must be after loopStart \(14400\)/],
    ["a missing file", true, "looper", [missing], new RegExp(`^${missing}: no such file$`)],
    ["a pattern with a step it does not know", false, "sequencer", ["-p", "x.z"], /^--pattern: unknown step "z" at 3 \(x kick, o snare, h hi-hat, \. rest\)$/],
    ["a tempo out of range", false, "sequencer", ["-t", "0"], /^--bpm must be a number from 20 to 999, got "0"$/],
    ["an output that is not a WAV file", false, "impulse_response", ["-o", "ir.txt"], /^--out must end in \.wav, got "ir\.txt"$/],
    ["a sweep level out of range", false, "impulse_response", ["--level", "2"], /^--level must be a number from 0.001 to 1, got "2"$/],
    ["a picture that is not a PNG or SVG", false, "latency", ["-o", "latency.jpg"], /^--out must end in \.png or \.svg, got "latency\.jpg"$/],
    ["an input channel that is not one", false, "latency", ["--input-channel", "0"], /^--input-channel must be a number from 1 to 1024, got "0"$/],
  ];
  writeWav(join(dir, "44k.wav"), new Float32Array(441), 1, 44100);
  for (const [what, jack, example, args, line] of cases) {
    test(`${what} (${example})`, () => {
      if (jack) requireJack();
      const r = runApart(example, ...args);
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: "" });
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      expect(lines).toHaveLength(1);
      expect(lines[0].startsWith(`${example}: `)).toBe(true);
      expect(lines[0].slice(example.length + 2)).toMatch(line);
    });
  }
  test("(the files made for these cases are removed)", () => {
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("examples show a live progress line on a terminal, and nothing of it elsewhere", () => {
  beforeAll(() => {
    requireJack();
  });

  test("bleeperoo on a terminal: one line rewritten in place, with time, bleeps in flight and xruns", () => {
    const r = runOnTerminal("bleeperoo", "-n", "30", "-s", "1", "-b", "256");
    expect(r.status).toBe(0);
    // Each update returns to the start of the line and clears the rest of it: no new lines.
    const updates = r.out.split("\r").filter((part) => part.startsWith("bleeperoo: "));
    expect(updates.length).toBeGreaterThanOrEqual(3);
    for (const u of updates) {
      // deno-lint-ignore no-control-regex -- the terminal's clear-to-end-of-line
      expect(u).toMatch(/^bleeperoo: \d+\.\d \/ \d+\.\d s · \d+ actions? in flight · \d+ xruns\x1b\[K$/);
    }
    expect(updates[0]).toContain("30 actions in flight");
    // The line is cleared before the report, which reads as without a terminal.
    expect(r.out).toContain("\r\x1b[Kplayed 30, belated 0");
  });

  test("play_file on a terminal adds the ring's fill", () => {
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-progress-"));
    try {
      writeWav(join(dir, "a.wav"), new Float32Array(2 * 48000), 2, 48000);
      const r = runOnTerminal("play_file", "-q", "8192", join(dir, "a.wav"));
      expect(r.status).toBe(0);
      // deno-lint-ignore no-control-regex -- the terminal's clear-to-end-of-line
      expect(r.out).toMatch(/\rplay_file: \d+\.\d \/ 1\.0 s · \d+ actions? in flight · \d+ xruns · ring \d+% full\x1b\[K/);
      expect(r.out).toContain("played 48000 of 48000 frames (all of them)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("sequencer on a terminal adds the step playing; looper, the voice's gain", () => {
    const seq = runOnTerminal("sequencer", "-n", "1", "-t", "240", "-b", "256");
    expect(seq.status).toBe(0);
    // deno-lint-ignore no-control-regex -- the terminal's clear-to-end-of-line
    expect(seq.out).toMatch(/\rsequencer: \d+\.\d \/ 1\.2 s · \d+ actions? in flight · \d+ xruns · step \d+ of 16\x1b\[K/);
    expect(seq.out).toContain("0 gaps, 0 overlaps");
    const loop = runOnTerminal("looper", "-s", "0.6", "--ramp-at", "0.2", "--ramp", "0.1", "--fade-out", "0.1", "-b", "256");
    expect(loop.status).toBe(0);
    // deno-lint-ignore no-control-regex -- the terminal's clear-to-end-of-line
    expect(loop.out).toMatch(/\rlooper: \d+\.\d \/ 0\.9 s · \d+ actions? in flight · \d+ xruns · gain (-?\d+\.\d|-inf) dB\x1b\[K/);
  });

  test("without a terminal (a pipe, a log) there is no progress line", () => {
    const r = runApart("bleeperoo", "-n", "10", "-s", "0.5", "-b", "256");
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("\r");
    expect(r.stdout + r.stderr).not.toContain("in flight");
    expect(r.stderr).toBe("");
  });
});

describe("examples' WAV helpers (the wavefile package)", () => {
  test("WavReader decodes 16-bit PCM piece by piece to float32", () => {
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-wav-"));
    try {
      const samples = Int16Array.from({ length: 3000 }, (_, i) => (i * 37) % 65536 - 32768);
      const wav = new (wavefile as unknown as { WaveFile: new () => any }).WaveFile();
      wav.fromScratch(3, 8000, "16", samples);
      writeFileSync(join(dir, "a.wav"), wav.toBuffer());
      const reader = new WavReader(join(dir, "a.wav"));
      expect([reader.channels, reader.sampleRate, reader.frames, reader.bitDepth]).toEqual([3, 8000, 1000, "16"]);
      const parts = [reader.read(333), reader.read(1000), reader.read(10)];
      reader.close();
      expect(parts.map((p) => p.length)).toEqual([999, 2001, 0]);
      const all = [...parts[0], ...parts[1]];
      // wavefile scales negative values by 1/32768 and positive ones by 1/32767.
      all.forEach((x, i) => expect(x).toBeCloseTo(samples[i] / (samples[i] < 0 ? 32768 : 32767), 6));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("writeWav and readWav round-trip float32 bit-exactly", () => {
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-wav-"));
    try {
      const data = Float32Array.from({ length: 2 * 777 }, (_, i) => Math.sin(i) * 0.9);
      writeWav(join(dir, "b.wav"), data, 2, 44100);
      const back = readWav(join(dir, "b.wav"));
      expect([back.channels, back.sampleRate]).toEqual([2, 44100]);
      expect(back.data).toEqual(data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the demo (npm run demo)", () => {
  test("without an output device it plays on its own JACK server, records, reports, and stops the server", () => {
    const dir = mkdtempSync(join(tmpdir(), "rtmixer-demo-"));
    try {
      const env: Record<string, string | undefined> = { ...process.env, RTMIXER_DEMO_RUNTIME: isDeno ? "deno" : "bun" };
      delete env.JACK_DEFAULT_SERVER; // the demo must find no device of its own accord
      const out = join(dir, "demo.wav");
      const r = spawnSync("bash", [join(ROOT, ".ci/demo.sh"), "-s", "2", "-n", "40", "-o", out], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 120_000,
      });
      const text = `${r.stdout}${r.stderr}`;
      if (r.status !== 0) console.log(text);
      expect(r.status).toBe(0);
      if (!text.includes("No usable output device")) return; // a machine with a sound card played it there
      const server = /\((rtmixer-demo-[\w-]+)\)/.exec(text)![1];
      expect(text).toContain("loopback delay: 512 samples (as expected)");
      expect(text).toContain("bleeps scheduled: 40");
      expect(text).toContain("bleeps played:    40 (found in the recording)");
      expect(text).toContain("bleeps belated:   0");
      expect(text).toContain("onset error:      0 samples at worst");
      expect(text).toMatch(/xruns: +\d+/);
      const wav = readWav(out);
      expect([wav.channels, wav.sampleRate]).toEqual([2, 48000]);
      expect(wav.data.some((x) => x !== 0)).toBe(true);
      // Beside it, its picture: the recording, onsets measured against scheduled, the errors.
      expect(text).toContain(`picture:          ${join(dir, "demo.png")}`);
      const png = decodePng(new Uint8Array(readFileSync(join(dir, "demo.png"))));
      expect([png.width, png.height]).toEqual([900, 930]);
      expect(inkFraction(png)).toBeGreaterThan(0.03);
      expect(countColor(png, "#1f77b4")).toBeGreaterThan(300); // channel 1's waveform, the histogram's bar
      expect(countColor(png, "#d62728")).toBeGreaterThan(300); // channel 2's
      // Nothing left running: no server process of that name.
      const left = spawnSync("pgrep", ["-f", `jackd -n ${server} `], { encoding: "utf8" });
      expect(left.stdout.trim()).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
