"""python-rtmixer's side of bench/accuracy.ts: the same schedule bench/peer/onsets.ts plays with
ours, played with python-rtmixer's MixerAndRecorder (2 channels, block size 256, qsize 1024,
play_buffer with start times and allow_belated=False) on the JACK server named by
JACK_DEFAULT_SERVER, recorded back through a loopback of its own ports. Prints one JSON line:
where each bleep's marker sample was found (frame in the recording, or -1), how many bleeps were
dropped as belated (never played), and the stream's xruns.

  python onsets.py SUPPORT_LIBRARY SCHEDULE_JSON

SUPPORT_LIBRARY: the project's librtmixer-support, whose rtm_test_jack_loopback connects a JACK
client's outputs to its inputs (what bench/peer/onsets.ts uses too).
"""
import ctypes
import json
import sys
import time

# The JACK client's name, so that the loopback can find its ports: set in the system PortAudio
# (which sounddevice loads too) before sounddevice initialises it. PortAudio keeps the pointer.
CLIENT = ctypes.create_string_buffer(b"rtmixer-py")
ctypes.CDLL("libportaudio.so.2").PaJack_SetClientName(CLIENT)

import numpy as np  # noqa: E402
import rtmixer  # noqa: E402

support_path, schedule_json = sys.argv[1:3]
schedule = json.loads(schedule_json)
BLEEP_FRAMES = 480


def bleep(ident, fs):
    """The same bleep as bench/peer/onsets.ts: its first sample is the marker ident / 4096."""
    i = np.arange(BLEEP_FRAMES)
    hz = 500 + (ident % 20) * 100
    b = (0.3 * np.sin(2 * np.pi * hz * i / fs) * np.sin(np.pi * i / BLEEP_FRAMES)).astype(np.float32)
    b[0] = ident / 4096
    return b


m = rtmixer.MixerAndRecorder(channels=2, blocksize=256, qsize=1024)
m.start()
support = ctypes.CDLL(support_path)
name = CLIENT.value
if support.rtm_test_jack_loopback(name, len(name)) < 2:
    sys.exit("the JACK loopback of rtmixer-py failed")
time.sleep(0.3)
fs = m.samplerate
offsets, channels = schedule["offsets"], schedule["channels"]
bleeps = [bleep(i + 1, fs) for i in range(len(offsets))]
m.fetch_and_reset_stats()
recording = np.zeros((int((schedule["seconds"] + 1.5) * fs), 2), dtype=np.float32)
m.record_buffer(recording, channels=2)  # from the next block on
base = m.time + 0.5
actions = [
    m.play_buffer(bleeps[i], [channels[i]], start=base + k / fs, allow_belated=False)
    for i, k in enumerate(offsets)
]
m.wait(sleeptime=20)
stats_action = m.fetch_and_reset_stats()
m.wait(stats_action)
s = stats_action.stats
onsets = []
for i, ch in enumerate(channels):
    hits = np.flatnonzero(recording[:, ch - 1] == np.float32((i + 1) / 4096))
    onsets.append(int(hits[0]) if hits.size else -1)
m.abort()
m.close()
print(json.dumps({
    "onsets": onsets,
    # Never played: dropped as belated (rtmixer keeps no other outcome).
    "belated": sum(1 for a in actions if a.done_frames == 0),
    "xruns": s.output_underflows + s.output_overflows + s.input_underflows + s.input_overflows,
}))
