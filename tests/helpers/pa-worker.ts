// A worker thread that uses PortAudio through rtmixer at the same time as others (see
// tests/workers.test.ts): device queries, streams opened, played and closed, in a loop.
import { Mixer, queryDevices } from "../../mod.ts";

declare const self: { onmessage: ((e: MessageEvent) => void) | null; postMessage(x: unknown): void };

self.onmessage = async (e: MessageEvent) => {
  const { rounds } = e.data as { rounds: number };
  let opened = 0;
  let played = 0;
  try {
    for (let i = 0; i < rounds; i++) {
      if (queryDevices().length < 1) throw new Error("no devices");
      using m = new Mixer({ channels: 2, blockSize: 256 });
      opened++;
      m.start();
      const a = m.playBuffer(new Float32Array(2 * 64).fill(0.001), 2);
      await m.wait(a, { sleepTime: 1 });
      if (a.outcome === "done") played++;
    }
    self.postMessage({ opened, played });
  } catch (error) {
    self.postMessage({ opened, played, error: String((error as Error)?.stack ?? error) });
  }
};
