/**
 * delay: plays back whatever comes in, a given time later (a port of rtmixer's delay.py). One
 * ring buffer: the callback records into it from an exact start time and plays from it from
 * exactly `delay` seconds later, so no JavaScript touches the audio. Runs for --seconds (or
 * until Enter with --seconds 0) and then reports as the original does. On a terminal a progress
 * line shows the time, the actions in flight and the xruns.
 *
 *   bun examples/delay.ts --delay 0.5
 */
import process from "node:process";
import { MixerAndRecorder, RingBuffer } from "../mod.ts";
import { cli, int, keys, num, orExit, powerOfTwo, Progress, sleep, streamOptions } from "./_common.ts";

const { values } = cli({
  name: "delay",
  summary: "Plays back whatever comes in after a given delay (record and play ring-buffer actions).",
}, {
  delay: { type: "string", help: "seconds between input and output", default: "0.5" },
  channels: { type: "string", short: "c", help: "channels", default: "1" },
  seconds: { type: "string", short: "s", help: "how long to run; 0: until Enter", default: "0" },
});
const delay = num(values, "delay", 0.01, 60);
const channels = int(values, "channels", 1, 64);
const seconds = num(values, "seconds", 0, 86_400);

using stream = orExit(() => new MixerAndRecorder({ ...streamOptions(values), channels }));
const fs = stream.sampleRate;
// The ring holds the delay plus a margin of a few blocks (a power of two, as PortAudio's ring
// buffer needs).
using ring = new RingBuffer(4 * channels, powerOfTwo(delay * fs + 8 * Math.max(stream.blockSize, 1024)));
stream.start();
const start = stream.time + 0.2;
const record = stream.recordRingBuffer(ring, { start, allowBelated: false });
const play = stream.playRingBuffer(ring, { start: start + delay, allowBelated: false });
console.log(`delaying ${channels} channel(s) by ${delay} s (${Math.round(delay * fs)} frames) at ${fs} Hz`);

if (seconds === 0) console.log("press Enter to quit");
const progress = new Progress(stream, seconds > 0 ? { total: seconds } : {});
if (seconds > 0) await sleep(seconds * 1000);
else {
  const input = keys();
  for (let k = await input.next(); k !== null && k !== "\n"; k = await input.next());
  input.stop();
}

// Report what ended early, as delay.py does, then stop both.
const problems: string[] = [];
for (const [name, a] of [["recording", record], ["playback", play]] as const) {
  if (a.outcome === "belated") problems.push(`${name} started too late (belated)`);
  if (a.outcome === "ringEnded") problems.push(`${name} stopped: the ring buffer ran ${name === "recording" ? "full" : "dry"}`);
}
for (const a of [record, play]) if (!a.finished) stream.cancel(a);
const s = await progress.stats();
await stream.wait();
console.log(`recorded ${record.doneFrames} frames, played ${play.doneFrames} frames`);
console.log(
  `input overflows ${s.inputOverflows}, input underflows ${s.inputUnderflows}, ` +
    `output underflows ${s.outputUnderflows}, output overflows ${s.outputOverflows} in ${s.blocks} blocks`,
);
console.log(problems.length ? `errors: ${problems.join("; ")}` : "no errors");
if (problems.length) process.exitCode = 1;
