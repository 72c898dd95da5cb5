/**
 * How a play action sounds beyond its samples: gain, fades, loop, the action it is chained after,
 * its mix matrix, and what its ring does when it runs dry; and the options of gain changes and
 * fading cancels. Read once from the caller's options (zig/mixer.zig `Request` has the fields),
 * checked here and again by native code.
 */
import { CURVE } from "./ffi/layout.ts";
import { LIMIT } from "./ffi/layout.ts";
import type { Action } from "./action.ts";
import * as v from "./validate.ts";

/** The shape of a gain change, as Web Audio's AudioParam ramps. */
export type GainCurve = "linear" | "exponential" | "target";

/** What a play action adds to its start: gain, fades, loops, a chain and a mix matrix. */
export interface PlayShapeOptions {
  /** Linear gain, default 1 (see {@link dB}); negative inverts. Change it later with `setGain`. */
  gain?: number;
  /** Seconds of fade-in from silence at its start (rounded to frames). */
  fadeIn?: number;
  /** Seconds of fade-out to silence at its end (a buffer's last frames, loops included). */
  fadeOut?: number;
  /**
   * Starts at exactly the frame `after` ends (however it ends: all played, cancelled, its ring
   * dry), with no gap and no overlap; at once if it has ended already. Not with `start`.
   */
  after?: Action;
  /**
   * A mix matrix: one row per channel of the source, one column per channel in `channels`; row
   * r, column c is the gain from source channel r onto channels[c]. A mono source spread over
   * two channels: `{ matrix: [[0.7, 0.7]] }`, or {@link pan}.
   */
  matrix?: readonly (readonly number[])[];
}

/** A play buffer's loop. */
export interface LoopOptions {
  /**
   * How many times to play the loop region in all (1, the default, plays once), or true to loop
   * until cancelled. The region is [loopStart, loopEnd): played from frame 0 to loopEnd, then
   * the region again each time, then the rest of the buffer.
   */
  loop?: number | boolean;
  /** The loop region's first frame (default 0). */
  loopStart?: number;
  /** The frame after the loop region's last (default: the buffer's end). */
  loopEnd?: number;
}

/** What a ring action does when its ring runs dry. */
export interface UnderflowOptions {
  /**
   * "end" (the default, as rtmixer): the action ends ("ringEnded"). "silence": it plays silence
   * and goes on, counting the frames in `silentFrames`, until data comes again or it is cancelled.
   */
  onUnderflow?: "end" | "silence";
}

/** A gain change's ramp. */
export interface GainOptions {
  /** Seconds from the old gain to the new one (0, the default: at once). For "target", the time constant. */
  ramp?: number;
  /** "linear" (default), "exponential" (both gains above 0) or "target" (approaches it exponentially). */
  curve?: GainCurve;
}

/** Everything native code takes beyond start, frames and channels. */
export interface Shape {
  gain: number;
  fadeIn: number;
  fadeOut: number;
  /** 1: no loop; Infinity: until cancelled. */
  loopCount: number;
  loopStart: number;
  /** -1: the buffer's end. */
  loopEnd: number;
  ramp: number;
  curve: number;
  after?: Action;
  silence: boolean;
  /** Source channels by matrix rows, or undefined (one source channel per mapping entry). */
  matrix?: Matrix;
}

/** A mix matrix as routes: source channel, 1-based output channel, gain. */
export interface Matrix {
  rows: number;
  columns: number;
  /** The rows × columns gains, row by row. */
  gains: Float64Array;
}

export const PLAIN: Shape = Object.freeze({
  gain: 1,
  fadeIn: 0,
  fadeOut: 0,
  loopCount: 1,
  loopStart: 0,
  loopEnd: -1,
  ramp: 0,
  curve: CURVE.linear,
  silence: false,
});

export const PLAY_KEYS = ["gain", "fadeIn", "fadeOut", "after", "matrix"];
export const LOOP_KEYS = ["loop", "loopStart", "loopEnd"];
export const UNDERFLOW_KEYS = ["onUnderflow"];
export const GAIN_KEYS = ["ramp", "curve"];

/** The largest gain (about +240 dB): beyond it a float32 sample overflows anyway. */
const GAIN_MAX = 1e12;
/** Seconds of a fade or ramp at most (a day). */
const SECONDS_MAX = 86400;

/** A linear gain from decibels: dB(-6) ≈ 0.501. */
export function dB(decibels: number): number {
  return 10 ** (v.finite("decibels", decibels, -1000, 240) / 20);
}

/**
 * An equal-power pan of a mono source over two channels, as a mix matrix: -1 is all left, 0 is
 * both at -3 dB, 1 is all right. `playBuffer(mono, [1, 2], { matrix: pan(-0.5) })`.
 */
export function pan(position: number): number[][] {
  const angle = ((v.finite("position", position, -1, 1) + 1) * Math.PI) / 4;
  return [[Math.cos(angle), Math.sin(angle)]];
}

function frames(name: string, seconds: unknown, sampleRate: number): number {
  if (seconds === undefined) return 0;
  return Math.round(v.finite(name, seconds, 0, SECONDS_MAX) * sampleRate);
}

/** Gain, fades, chain and matrix of a play action, from its options (already copied). */
export function playShape(o: Record<string, unknown>, sampleRate: number, isAction: (x: unknown) => boolean): Shape {
  if (
    o.gain === undefined && o.fadeIn === undefined && o.fadeOut === undefined && o.after === undefined &&
    o.matrix === undefined
  ) {
    return PLAIN;
  }
  const shape: Shape = { ...PLAIN };
  if (o.gain !== undefined) shape.gain = v.finite("gain", o.gain, -GAIN_MAX, GAIN_MAX);
  shape.fadeIn = frames("fadeIn", o.fadeIn, sampleRate);
  shape.fadeOut = frames("fadeOut", o.fadeOut, sampleRate);
  if (o.after !== undefined) {
    if (!isAction(o.after)) throw new TypeError(`after must be an Action, got ${v.describe(o.after)}`);
    if (o.start !== undefined || o.startFrame !== undefined) {
      throw new TypeError("give after or a start (start, startFrame), not both: after starts where that action ends");
    }
    shape.after = o.after as Action;
  }
  if (o.matrix !== undefined) shape.matrix = readMatrix(o.matrix);
  return shape;
}

/** `shape` with the loop options of a play buffer of `bufferFrames` frames (a copy if it loops). */
export function loopShape(plain: Shape, o: Record<string, unknown>, bufferFrames: number): Shape {
  const { loop } = o;
  if (loop === undefined || loop === false) {
    if (o.loopStart !== undefined || o.loopEnd !== undefined) {
      throw new TypeError("loopStart and loopEnd need loop (a count, or true)");
    }
    return plain;
  }
  const shape: Shape = { ...plain };
  shape.loopCount = loop === true ? Infinity : v.integer("loop", loop, 1, LIMIT.positionMax);
  if (shape.loopCount === 1) return shape;
  shape.loopStart = o.loopStart === undefined ? 0 : v.integer("loopStart", o.loopStart, 0, bufferFrames);
  shape.loopEnd = o.loopEnd === undefined ? bufferFrames : v.integer("loopEnd", o.loopEnd, 0, bufferFrames);
  if (shape.loopEnd <= shape.loopStart) {
    throw new RangeError(
      `loopEnd (${shape.loopEnd}) must be after loopStart (${shape.loopStart}): the loop region needs at least one frame` +
        (bufferFrames === 0 ? " (the buffer is empty)" : ""),
    );
  }
  const total = bufferFrames + (shape.loopCount - 1) * (shape.loopEnd - shape.loopStart);
  if (shape.loopCount !== Infinity && total > LIMIT.positionMax) {
    throw new RangeError(`loop: ${shape.loopCount} times makes ${total} frames, more than ${LIMIT.positionMax}`);
  }
  return shape;
}

/** `shape` with the ring's underflow policy (a copy if it differs). */
export function underflowShape(shape: Shape, o: Record<string, unknown>): Shape {
  const u = o.onUnderflow;
  if (u === undefined || u === "end") return shape;
  if (u !== "silence") throw new TypeError(`onUnderflow must be "end" or "silence", got ${v.describe(u)}`);
  return { ...shape, silence: true };
}

/** A gain change's value, ramp and curve. */
export function gainShape(gain: unknown, o: Record<string, unknown>, sampleRate: number): Shape {
  const shape: Shape = { ...PLAIN };
  shape.gain = v.finite("gain", gain, -GAIN_MAX, GAIN_MAX);
  shape.ramp = frames("ramp", o.ramp, sampleRate);
  const curve = o.curve ?? "linear";
  if (curve !== "linear" && curve !== "exponential" && curve !== "target") {
    throw new TypeError(`curve must be "linear", "exponential" or "target", got ${v.describe(curve)}`);
  }
  shape.curve = CURVE[curve];
  if (curve === "exponential" && !(shape.gain > 0)) {
    throw new RangeError(
      `gain must be above 0 for an exponential ramp (it multiplies by a constant ratio), got ${shape.gain}`,
    );
  }
  return shape;
}

/** A cancel's fade-out. */
export function cancelShape(o: Record<string, unknown>, sampleRate: number): Shape {
  return { ...PLAIN, ramp: frames("fade", o.fade, sampleRate) };
}

function readMatrix(value: unknown): Matrix {
  const rows = v.list("matrix", value, LIMIT.mappingMax);
  if (rows.length === 0) throw new RangeError("matrix must have a row per source channel, got none");
  let columns = -1;
  let gains = new Float64Array(0);
  for (let r = 0; r < rows.length; r++) {
    const row = v.list(`matrix[${r}]`, rows[r], LIMIT.mappingMax);
    if (columns < 0) {
      columns = row.length;
      if (columns === 0) throw new RangeError("matrix[0] must have a column per channel, got none");
      if (rows.length * columns > LIMIT.mappingMax * 64) throw new RangeError("matrix is too large");
      gains = new Float64Array(rows.length * columns);
    } else if (row.length !== columns) {
      throw new RangeError(
        `matrix[${r}] has ${row.length} entries and matrix[0] has ${columns}: every row needs one per channel`,
      );
    }
    for (let c = 0; c < columns; c++) {
      // float32 in the callback: a gain beyond float32's range would be infinite there.
      gains[r * columns + c] = v.finite(`matrix[${r}][${c}]`, row[c], -3e38, 3e38);
    }
  }
  let nonzero = 0;
  for (const g of gains) if (g !== 0) nonzero++;
  if (nonzero > LIMIT.mappingMax) {
    throw new RangeError(`matrix has ${nonzero} nonzero entries, more than ${LIMIT.mappingMax}`);
  }
  return { rows: rows.length, columns, gains };
}
