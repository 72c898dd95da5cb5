"""python-rtmixer's side of bench/playbuffer.ts: one fresh process, the same calls as
bench/peer/calls.ts makes of ours. Prints one JSON line.

  python calls.py COLD WARM_BATCHES BATCH

Opens a Mixer (2 outputs, block size 256, qsize 1024) on the JACK server named by
JACK_DEFAULT_SERVER, then times play_buffer:
- cold: its first COLD calls in this process, each with a fresh 2-frame mono buffer, on channel 1
  or 2, with a start time (k * 1000 frames from one second ahead) and allow_belated=False, as a
  bleep schedule makes them: each call timed alone;
- warm: WARM_BATCHES batches of BATCH such calls (buffers made before each batch), timed in groups
  of 10 (per call), each batch waited for before the next.
"""
import json
import sys
import time

import numpy as np
import rtmixer

cold_calls, batches, batch = (int(a) for a in sys.argv[1:4])
clock = time.perf_counter_ns

t = clock()
m = rtmixer.Mixer(channels=2, blocksize=256, qsize=1024)
m.start()
open_ms = (clock() - t) / 1e6
fs = m.samplerate

# What one pair of clock reads costs here (it is inside every cold figure).
pairs = []
for _ in range(300):
    a = clock()
    pairs.append(clock() - a)
pairs.sort()
clock_us = pairs[len(pairs) // 2] / 1e3

t0 = m.time + 1
cold = []
keep = []
for i in range(cold_calls):
    b = np.zeros(2, dtype=np.float32)
    b[0] = 0.5
    b[1] = 0.25
    s = clock()
    action = m.play_buffer(b, [1 + (i & 1)], start=t0 + i * 1000 / fs, allow_belated=False)
    cold.append((clock() - s) / 1e3)
    keep.append(action)

# Warm: per call, from groups of GROUP calls timed together, as bench/peer/calls.ts does.
GROUP = 10
warm = []
for _ in range(batches):
    buffers = [np.full(2, 0.25, dtype=np.float32) for _ in range(batch)]
    start = m.time + 0.05
    groups = []
    for g in range(0, batch - GROUP + 1, GROUP):
        s = clock()
        for i in range(g, g + GROUP):
            m.play_buffer(buffers[i], [1 + (i & 1)], start=start, allow_belated=False)
        groups.append((clock() - s) / 1e3 / GROUP)
    warm.append(groups)
    m.wait(sleeptime=5)

m.abort()
m.close()
print(json.dumps({"open_ms": open_ms, "clock_us": clock_us, "cold_us": cold, "warm_us": warm}))
