/**
 * Planar audio: one Float32Array per channel (as the Web Audio API's `getChannelData` gives), the
 * layout TypeScript code usually has, beside rtmixer's interleaved one. Native code works on
 * interleaved samples; these turn one into the other, reading every array once through the
 * engine's intrinsics (validate.ts).
 */
import * as v from "./validate.ts";

/** The channels of planar audio, as read. */
export interface Planes {
  /** One per channel, each read as memory. */
  channels: v.Memory[];
  /** Frames: every channel's length (they must agree). */
  frames: number;
}

/** Whether `value` is a list (planar audio) rather than one array (interleaved). */
export function isPlanar(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  try {
    return v.isArray("", value);
  } catch {
    return false; // a revoked Proxy: refused as the memory it is not, by the caller
  }
}

/**
 * Reads planar audio: a non-empty list of Float32Arrays of equal length. `keep`: the library
 * keeps them beyond the call (record targets), so they must not be resizable.
 */
export function readPlanes(name: string, value: unknown, maxChannels: number, keep: boolean): Planes {
  // The commonest slip: samples in a plain Array. Say how to pass them.
  const numbers = (first: unknown) =>
    typeof first === "number"
      ? new TypeError(`${name} must be a Float32Array, got an Array of numbers (pass new Float32Array(array))`)
      : undefined;
  const list = v.list(name, value, maxChannels, numbers);
  if (list.length === 0) throw new RangeError(`${name} must hold one Float32Array per channel, got none`);
  const slip = numbers(list[0]);
  if (slip !== undefined) throw slip;
  const channels: v.Memory[] = [];
  for (let c = 0; c < list.length; c++) {
    const m = v.memory(`${name}[${c}]`, list[c], "Float32Array", "a Float32Array (one per channel)", !keep);
    if (c > 0 && m.length !== channels[0].length) {
      throw new RangeError(`${name}: every channel must have the same length; ${name}[0] has ${channels[0].length} samples, ${name}[${c}] has ${m.length}`);
    }
    channels.push(m);
  }
  return { channels, frames: channels[0].length };
}

/** The planes' samples interleaved (frame by frame) into a new Float32Array. */
export function interleave(planes: Planes): Float32Array {
  const n = planes.channels.length;
  const out = new Float32Array(planes.frames * n);
  for (let c = 0; c < n; c++) {
    const plane = planes.channels[c].view as Float32Array;
    for (let f = 0, at = c; f < planes.frames; f++, at += n) out[at] = plane[f];
  }
  return out;
}

/** Copies the first `frames` frames of `interleaved` (n channels) into n planes. */
export function deinterleave(interleaved: Float32Array, frames: number, planes: Float32Array[]): void {
  const n = planes.length;
  for (let c = 0; c < n; c++) {
    const plane = planes[c];
    for (let f = 0, at = c; f < frames; f++, at += n) plane[f] = interleaved[at];
  }
}
