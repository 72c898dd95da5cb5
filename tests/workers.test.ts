// PortAudio from several threads at once: Deno and Bun workers each load rtmixer (their own module
// instance, the same native library) and query devices, open, play and close streams while the
// main thread does the same. PortAudio's initialisation, device list and streams are not
// thread-safe; librtmixer holds one lock around every call into PortAudio (zig/portaudio.zig
// `lock`), so this must neither crash nor fail.
import { describe, expect, test } from "bun:test";
import { Mixer, queryDevices } from "../mod.ts";
import { requireJack } from "./helpers/jack.ts";

const WORKERS = 3;
const ROUNDS = 8;

describe("workers", () => {
  test(`${WORKERS} workers and the main thread open, play and close streams at the same time`, async () => {
    requireJack();
    const url = new URL("./helpers/pa-worker.ts", import.meta.url);
    const workers = Array.from({ length: WORKERS }, () => new Worker(url, { type: "module" }));
    try {
      const results = workers.map((w) =>
        new Promise<{ opened: number; played: number; error?: string }>((resolve, reject) => {
          w.onmessage = (e: MessageEvent) => resolve(e.data);
          w.onerror = (e: Event) => reject(new Error(`worker failed: ${(e as ErrorEvent).message}`));
        })
      );
      for (const w of workers) w.postMessage({ rounds: ROUNDS });
      let mainPlayed = 0;
      for (let i = 0; i < ROUNDS; i++) {
        expect(queryDevices().length).toBeGreaterThan(0);
        using m = new Mixer({ channels: 2, blockSize: 256 });
        m.start();
        const a = m.playBuffer(new Float32Array(2 * 64), 2);
        await m.wait(a, { sleepTime: 1 });
        if (a.outcome === "done") mainPlayed++;
      }
      const all = await Promise.all(results);
      expect(all.map((r) => r.error ?? "")).toEqual(Array(WORKERS).fill(""));
      expect(all.map((r) => [r.opened, r.played])).toEqual(Array(WORKERS).fill([ROUNDS, ROUNDS]));
      expect(mainPlayed).toBe(ROUNDS);
    } finally {
      for (const w of workers) w.terminate();
    }
  }, 60_000);
});
