/**
 * Our side of bench/accuracy.ts: one fresh process plays a schedule of bleeps on the JACK server
 * named by JACK_DEFAULT_SERVER (a MixerAndRecorder, 2 channels, block size 256, each bleep with a
 * start time and allowBelated false), records it back through a loopback of the stream's own
 * ports, and prints one JSON line: where each bleep's marker sample was found in the recording
 * (frame, or -1), how many were dropped as belated, and the stream's xruns.
 *
 *   bun bench/peer/onsets.ts SCHEDULE_JSON
 *   deno run -A bench/peer/onsets.ts SCHEDULE_JSON
 *
 * SCHEDULE_JSON: {"seconds": s, "offsets": [frames from the first start], "channels": [1 or 2]}.
 * bench/peer/onsets.py does the same with python-rtmixer.
 */
import process from "node:process";
import { MixerAndRecorder } from "../../mod.ts";
import { loopback, sleep } from "../../tests/helpers/jack.ts";

const schedule = JSON.parse(process.argv[2]) as { seconds: number; offsets: number[]; channels: number[] };
const BLEEP_FRAMES = 480; // 10 ms at 48 kHz
const DELAY = 512; // the loopback's round trip: JACK period 256 + block size 256

/** A 10 ms sine bleep whose first sample is the marker value `id / 4096` (exact in float32). */
function bleep(id: number, fs: number): Float32Array {
  const b = new Float32Array(BLEEP_FRAMES);
  const hz = 500 + (id % 20) * 100;
  for (let i = 1; i < b.length; i++) {
    b[i] = 0.3 * Math.sin(2 * Math.PI * hz * i / fs) * Math.sin(Math.PI * i / b.length);
  }
  b[0] = id / 4096;
  return b;
}

const m = new MixerAndRecorder({ channels: 2, blockSize: 256, queueSize: 1024 });
m.start();
loopback();
try {
  await sleep(300);
  const fs = m.sampleRate;
  const { offsets, channels } = schedule;
  const bleeps = offsets.map((_, i) => bleep(i + 1, fs)); // made before the schedule is sent
  m.fetchAndResetStats();
  const base = m.time + 0.5;
  const from = m.frameAt(base) - 2000;
  const recording = new Float32Array(2 * (schedule.seconds * fs + 8000));
  m.recordBuffer(recording, 2, { startFrame: from + DELAY });
  const actions = offsets.map((k, i) =>
    m.playBuffer(bleeps[i], [channels[i]], { start: base + k / fs, allowBelated: false })
  );
  await m.wait(undefined, { sleepTime: 20 });
  const stats = m.fetchAndResetStats();
  await m.wait(stats);
  const onsets = actions.map((_, i) => {
    const ch = channels[i] - 1;
    const marker = Math.fround((i + 1) / 4096);
    for (let f = 0; f < recording.length / 2; f++) if (recording[2 * f + ch] === marker) return f;
    return -1;
  });
  const s = stats.stats;
  console.log(JSON.stringify({
    onsets,
    belated: actions.filter((a) => a.outcome === "belated").length,
    xruns: s.outputUnderflows + s.outputOverflows + s.inputUnderflows + s.inputOverflows,
  }));
} finally {
  m.close();
}
