/**
 * sampler: the minimal sampler, in a terminal (after rtmixer's sampler.py, which uses a GUI).
 * Terminals report no key releases, so keys toggle: a digit 1-9 starts recording into that slot
 * and stops it when pressed again; a letter of "qwertyuio" plays slot 1-9 from the start, or
 * stops it if it is playing. x, Ctrl-C or the end of the input quits.
 *
 * On a terminal keys act when pressed; from a pipe each line is a sequence of keys.
 *
 *   bun examples/sampler.ts
 */
import { type Action, MixerAndRecorder } from "../mod.ts";
import { cli, int, keys, num, orExit, streamOptions } from "./_common.ts";

const { values } = cli({
  name: "sampler",
  summary: "A minimal sampler: 1-9 record into a slot (press again to stop), q-o play slot 1-9 (again to stop), x quits.",
}, {
  channels: { type: "string", short: "c", help: "channels", default: "1" },
  "max-seconds": { type: "string", help: "longest recording per slot", default: "30" },
});
const channels = int(values, "channels", 1, 64);
const maxSeconds = num(values, "max-seconds", 0.01, 3600);
const PLAY_KEYS = "qwertyuio";

interface Slot {
  recording?: Action;
  playing?: Action;
  /** The recorded frames (interleaved). */
  sound?: Float32Array;
}

using stream = orExit(() => new MixerAndRecorder({ ...streamOptions(values), channels, queueSize: 64 }));
const fs = stream.sampleRate;
stream.start();
const slots: Slot[] = Array.from({ length: 10 }, () => ({}));
console.log(`sampler: ${channels} channel(s) at ${fs} Hz`);
console.log("1-9: record into a slot (again: stop); q-o: play slot 1-9 (again: stop); x: quit");

async function stopRecording(n: number): Promise<void> {
  const slot = slots[n];
  const action = slot.recording!;
  slot.recording = undefined;
  // The recording runs until this cancel's sample; what came in until then is the sound.
  await stream.wait(stream.cancel(action));
  await stream.wait(action);
  slot.sound = action.buffer!.slice(0, action.doneFrames * channels);
  console.log(`slot ${n}: recorded ${(action.doneFrames / fs).toFixed(3)} s (${action.doneFrames} frames)`);
}

async function press(key: string): Promise<void> {
  const digit = "123456789".indexOf(key) + 1;
  if (digit > 0) {
    const slot = slots[digit];
    if (slot.recording) return stopRecording(digit);
    slot.recording = stream.recordBuffer(new Float32Array(Math.round(maxSeconds * fs) * channels), channels);
    console.log(`slot ${digit}: recording`);
    return;
  }
  const n = PLAY_KEYS.indexOf(key) + 1;
  if (n > 0) {
    const slot = slots[n];
    if (slot.playing && !slot.playing.finished) {
      await stream.wait(stream.cancel(slot.playing));
      console.log(`slot ${n}: stopped`);
      return;
    }
    if (!slot.sound || slot.sound.length === 0) return void console.log(`slot ${n}: empty`);
    const playing = stream.playBuffer(slot.sound, channels);
    slot.playing = playing;
    console.log(`slot ${n}: playing ${(slot.sound.length / channels / fs).toFixed(3)} s`);
    stream.wait(playing).then(() => {
      if (playing.outcome === "done") console.log(`slot ${n}: played`);
    }, () => {});
  }
}

const input = keys();
for (let k = await input.next(); k !== null && k !== "x"; k = await input.next()) await press(k);
input.stop();
for (let n = 1; n <= 9; n++) if (slots[n].recording) await stopRecording(n);
const playing = slots.map((s) => s.playing).filter((a) => a && !a.finished) as Action[];
await Promise.all(playing.map((a) => stream.wait(stream.cancel(a))));
console.log("bye");
