/**
 * rtmixer for Bun and Deno: realtime audio mixing and recording with sample-accurate start
 * times, through PortAudio, with no JavaScript on the audio thread.
 *
 * @module
 */
export {
  type ActionStream,
  type Channels,
  type LatencyMeasurement,
  type MeasureLatencyOptions,
  Mixer,
  MixerAndRecorder,
  type MixerAndRecorderOptions,
  type MixerOptions,
  type PlayRingBufferOptions,
  type PlayrecOptions,
  Recorder,
  type RecorderOptions,
  type RingBufferOptions,
} from "./src/mixer.ts";
export { RingBuffer } from "./src/ringbuffer.ts";
export { Float32RingBuffer } from "./src/ringbuffer.ts";
export { Sample, type SampleOptions } from "./src/sample.ts";
export { OfflineMixer, type OfflineMixerOptions, type ProcessBuffers } from "./src/offline.ts";
export { type MemoryUsage, memoryUsage } from "./src/memory.ts";
export { Action, type ActionOutcome, ActionType, type Recording, type Stats } from "./src/action.ts";
export type {
  CancelOptions,
  PlayOptions,
  RecordOptions,
  SetGainOptions,
  StartOptions,
  TimeOptions,
  WaitOptions,
} from "./src/engine.ts";
export { dB, type GainCurve, type GainOptions, type LoopOptions, pan, type PlayShapeOptions, type UnderflowOptions } from "./src/shape.ts";
export { MeasurementError, type MeasurementFailure, PortAudioError, StreamActiveError, StreamClosedError } from "./src/errors.ts";
export { convolve, expSweep, impulseResponse, type Peak, peakOf, type Sweep, type SweepOptions } from "./src/measure.ts";
export {
  checkInputSettings,
  checkOutputSettings,
  defaults,
  queryDevices,
  queryHostApis,
} from "./src/devices.ts";
export type { Defaults, DeviceInfo, DeviceSpec, HostApiInfo, Kind, Latency, PerKind, SettingsOptions } from "./src/devices.ts";
export { jackClientName, reinitialize, setJackClientName, setVerbose } from "./src/portaudio.ts";
export type { PerStream, PerStreamOption, Stream, StreamKind, StreamOptions } from "./src/stream.ts";
