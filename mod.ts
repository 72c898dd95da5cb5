/**
 * rtmixer for Bun and Deno: realtime audio mixing and recording with sample-accurate start
 * times, through PortAudio, with no JavaScript on the audio thread.
 *
 * @module
 */
export { RingBuffer } from "./src/ringbuffer.ts";
export { PortAudioError } from "./src/errors.ts";
export { OfflineMixer, type OfflineMixerOptions } from "./src/offline.ts";
export { Action, type ActionOutcome, ActionType, type Stats } from "./src/action.ts";
export type { StartOptions, TimeOptions, WaitOptions } from "./src/engine.ts";
export { QueueFullError, StreamClosedError } from "./src/errors.ts";
