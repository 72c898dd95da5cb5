/**
 * Offsets of native structs that TypeScript reads through views, in one place. Zig asserts the
 * same offsets at compile time (see the `comptime` blocks next to each struct).
 */

/** zig/ringbuffer.zig `RingBuffer`, in u32 units. */
export const RING = {
  bytes: 192,
  writeStartU32: 1,
  readStartU32: 17,
} as const;

/** zig/mixer.zig `Stats` (7 f64 counters, in this order), in f64 units from its start. */
export const STATS = {
  f64Count: 7,
  blocks: 0,
  minBlocksize: 1,
  maxBlocksize: 2,
  inputUnderflows: 3,
  inputOverflows: 4,
  outputUnderflows: 5,
  outputOverflows: 6,
} as const;

/** zig/mixer.zig `Mixer` header. */
export const MIXER = {
  bytes: 312,
  statsF64: 0,
  sampleRateF64: 8,
  frameTimeF64: 9,
  /** `Clock.applied` of the output, input and current-time clocks (f64 units). */
  outputAppliedF64: 10 + 3,
  inputAppliedF64: 19 + 3,
  currentAppliedF64: 28 + 3,
  slotCountU32: 74,
  slotBytesU32: 75,
  mappingCapacityU32: 76,
} as const;

/** zig/mixer.zig `Action` (one slot of the pool; the u32 mapping follows at `mappingU32`). */
export const ACTION = {
  kindU32: 0,
  flagsU32: 1,
  requestedTimeF64: 1,
  totalFramesF64: 2,
  serialU32: 6,
  channelCountU32: 7,
  targetIndexU32: 8,
  targetSerialU32: 9,
  outcomeU32: 10,
  actualTimeF64: 6,
  startFrameF64: 7,
  doneFramesF64: 8,
  stopFrameF64: 9,
  hostStartFrameF64: 10,
  statsF64: 11,
  mappingU32: 48,
} as const;

/** zig/stream.zig `Params`: the f64 block of stream open and the settings checks (indices). */
export const PARAMS = {
  count: 10,
  inputDevice: 0,
  inputChannels: 1,
  inputLatency: 2,
  outputDevice: 3,
  outputChannels: 4,
  outputLatency: 5,
  sampleRate: 6,
  blockSize: 7,
  flags: 8,
  queueSize: 9,
} as const;

/** `rtm_pa_device_info`'s f64 out-block (indices). */
export const DEVICE = {
  count: 8,
  hostApi: 0,
  maxInputChannels: 1,
  maxOutputChannels: 2,
  defaultLowInputLatency: 3,
  defaultLowOutputLatency: 4,
  defaultHighInputLatency: 5,
  defaultHighOutputLatency: 6,
  defaultSampleRate: 7,
} as const;

/** `rtm_pa_host_api_info`'s f64 out-block (indices). */
export const HOST_API = { count: 4, type: 0, deviceCount: 1, defaultInputDevice: 2, defaultOutputDevice: 3 } as const;

/** `rtm_stream_info`'s f64 out-block (indices). */
export const STREAM_INFO = { count: 3, inputLatency: 0, outputLatency: 1, sampleRate: 2 } as const;
