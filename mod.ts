/**
 * rtmixer for Bun and Deno: realtime audio mixing and recording with sample-accurate start
 * times, through PortAudio, with no JavaScript on the audio thread.
 *
 * @module
 */
export { RingBuffer } from "./src/ringbuffer.ts";
export { PortAudioError } from "./src/errors.ts";
