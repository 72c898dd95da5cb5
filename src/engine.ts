/**
 * The JavaScript side of one native mixer (zig/mixer.zig): validates requests, writes them into
 * free action slots, sends them to the callback, collects finished ones, and keeps everything the
 * callback may touch referenced until it has come back. Streams and the offline mixer share it.
 */
import { native, type Pointer, runtime } from "./ffi/mod.ts";
import { ACTION, MIXER } from "./ffi/layout.ts";
import { Action, type ActionPayload, ActionType, readStats, type Stats } from "./action.ts";
import { QueueFullError, StreamClosedError } from "./errors.ts";
import { RingBuffer } from "./ringbuffer.ts";
import { Sample } from "./sample.ts";
import * as v from "./validate.ts";

const FLAG_ALLOW_BELATED = 1;
const FLAG_START_IS_FRAME = 2;
const SUBMIT_ERRORS: Record<number, string> = { [-1]: "bad slot", [-2]: "bad action", [-3]: "queue full" };

/** When an action starts (play/record) or takes effect (cancel, stats). */
export interface StartOptions {
  /** Stream time in seconds (see `time`); 0, the default, means as soon as possible. */
  start?: number;
  /** Alternatively, a frame position on the stream's sample clock (see `frameTime`). */
  startFrame?: number;
  /** If the start has passed: true (default) starts at once, false drops the action. */
  allowBelated?: boolean;
}

/** When a cancel or stats fetch takes effect. */
export interface TimeOptions {
  /** Stream time in seconds; 0, the default, means as soon as possible. */
  time?: number;
  /** Alternatively, a frame position on the stream's sample clock. */
  frame?: number;
  /** If the time has passed: true (default) acts at once, false drops the action. */
  allowBelated?: boolean;
}

/** Options of `wait()`. */
export interface WaitOptions {
  /** Milliseconds between checks (default 10). */
  sleepTime?: number;
}

interface Timing {
  requested: number;
  requestedTime: number;
  requestedFrame?: number;
  flags: number;
  allowBelated: boolean;
}

export class Engine {
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly queueSize: number;
  #mixer: Pointer;
  #header: Float64Array;
  #headerU32: Uint32Array;
  #f64: Float64Array;
  #u32: Uint32Array;
  #slotF64: number;
  #mappingCapacity: number;
  #inFlight: (Action | undefined)[];
  #payloads: (ActionPayload | undefined)[];
  #free: number[];
  #active = new Set<Action>();
  #serial = 0;
  #closed = false;
  /** Why the callback will never run again although the stream is open (its host ended it). */
  #failed: string | undefined;
  #hostEnded: () => string | undefined;

  /**
   * @param hostEnded returns why the callback stopped for good on its own (the host ended the
   *   stream), after making sure it cannot run again; undefined while it may still run.
   */
  constructor(mixer: Pointer, inputChannels: number, outputChannels: number, hostEnded = (): string | undefined => undefined) {
    this.#mixer = mixer;
    this.#hostEnded = hostEnded;
    this.inputChannels = inputChannels;
    this.outputChannels = outputChannels;
    const header = runtime.view(mixer, MIXER.bytes);
    this.#header = new Float64Array(header);
    this.#headerU32 = new Uint32Array(header);
    this.queueSize = this.#headerU32[MIXER.slotCountU32];
    const slotBytes = this.#headerU32[MIXER.slotBytesU32];
    this.#mappingCapacity = this.#headerU32[MIXER.mappingCapacityU32];
    const slots = runtime.view(native().rtm_mixer_slots(mixer)!, slotBytes * this.queueSize);
    this.#f64 = new Float64Array(slots);
    this.#u32 = new Uint32Array(slots);
    this.#slotF64 = slotBytes / 8;
    this.#inFlight = new Array(this.queueSize);
    this.#payloads = new Array(this.queueSize);
    this.#free = Array.from({ length: this.queueSize }, (_, i) => this.queueSize - 1 - i);
  }

  get mixer(): Pointer {
    return this.#mixer;
  }

  get sampleRate(): number {
    return this.#header[MIXER.sampleRateF64];
  }

  /** Frames the callback has processed: the stream's sample clock. */
  get frameTime(): number {
    return this.#header[MIXER.frameTimeF64];
  }

  /** The stream's statistics (only meaningful while the callback is not running). */
  get stats(): Stats {
    return readStats(this.#header, MIXER.statsF64);
  }

  /** The actions in flight; finished ones are collected first. */
  get actions(): ReadonlySet<Action> {
    this.collect();
    return this.#active;
  }

  /** The frame at which output due at stream time `t` is played (per the current clock model). */
  outputFrameAt(t: number): number {
    return Math.round(t * this.sampleRate) - this.#header[MIXER.outputAppliedF64];
  }
  /** The stream time at which output frame `frame` is played. */
  outputTimeAt(frame: number): number {
    return (frame + this.#header[MIXER.outputAppliedF64]) / this.sampleRate;
  }
  /** The frame at which input captured at stream time `t` arrives. */
  inputFrameAt(t: number): number {
    return Math.round(t * this.sampleRate) - this.#header[MIXER.inputAppliedF64];
  }
  /** The stream time at which input frame `frame` was captured. */
  inputTimeAt(frame: number): number {
    return (frame + this.#header[MIXER.inputAppliedF64]) / this.sampleRate;
  }

  playBuffer(buffer: Float32Array | Sample, channels: number | readonly number[], options?: StartOptions): Action {
    const payload: ActionPayload = buffer instanceof Sample ? { sample: buffer } : { buffer: floatBuffer("buffer", buffer) };
    const mapping = this.#mapping("channels", channels, this.outputChannels, "output");
    const frames = framesOf(buffer, mapping.length);
    const timing = startTiming(options);
    return this.#submit(ActionType.PLAY_BUFFER, timing, frames, mapping, payload);
  }

  recordBuffer(buffer: Float32Array, channels: number | readonly number[], options?: StartOptions): Action {
    const data = floatBuffer("buffer", buffer);
    const mapping = this.#mapping("channels", channels, this.inputChannels, "input");
    const frames = framesOf(data, mapping.length);
    const timing = startTiming(options);
    return this.#submit(ActionType.RECORD_BUFFER, timing, frames, mapping, { buffer: data });
  }

  playRingBuffer(ringBuffer: RingBuffer, options?: StartOptions & { channels?: number | readonly number[] }): Action {
    return this.#ring(ActionType.PLAY_RINGBUFFER, ringBuffer, options, this.outputChannels, "output");
  }

  recordRingBuffer(ringBuffer: RingBuffer, options?: StartOptions & { channels?: number | readonly number[] }): Action {
    return this.#ring(ActionType.RECORD_RINGBUFFER, ringBuffer, options, this.inputChannels, "input");
  }

  cancel(action: Action, options?: TimeOptions): Action {
    if (!(action instanceof Action)) throw new TypeError(`action must be an Action, got ${v.describe(action)}`);
    if (!action._isOwnedBy(this)) throw new TypeError("action belongs to another stream");
    const timing = timeTiming(options);
    // A finished target's slot may already hold another action: the serial tells them apart.
    return this.#submit(ActionType.CANCEL, timing, 0, [], { target: action });
  }

  fetchAndResetStats(options?: TimeOptions): Action {
    return this.#submit(ActionType.FETCH_AND_RESET_STATS, timeTiming(options), 0, [], {});
  }

  /**
   * Resolves when `action` (default: every action in flight) has finished. Rejects with
   * StreamClosedError if the stream closed first.
   */
  async wait(action?: Action, options?: WaitOptions): Promise<void> {
    if (action !== undefined) {
      if (!(action instanceof Action)) throw new TypeError(`action must be an Action, got ${v.describe(action)}`);
      if (!action._isOwnedBy(this)) throw new TypeError("action belongs to another stream");
    }
    const opts = v.options("options", options, ["sleepTime"]);
    const sleepTime = opts.sleepTime === undefined ? 10 : v.finite("sleepTime", opts.sleepTime, 0, 60_000);
    for (;;) {
      this.collect();
      // A stream whose host ended it (a JACK server that quit) never returns its actions.
      if (!this.#closed && this.#failed === undefined) {
        const ended = this.#hostEnded();
        if (ended !== undefined) this.#fail(ended);
      }
      const ended = this.#closed
        ? "the stream was closed before the action finished"
        : this.#failed !== undefined
        ? `the stream stopped before the action finished: ${this.#failed}`
        : undefined;
      const pending = action ? [action] : [...this.#active];
      const unfinished = pending.filter((a) => !a.finished);
      if (unfinished.length === 0) {
        // Waiting for everything on a closed or failed stream: it cannot have finished normally.
        if (pending.some((a) => a.outcome === "aborted") || (action === undefined && ended !== undefined)) {
          throw new StreamClosedError(ended ?? "the stream was closed before the action finished");
        }
        return;
      }
      if (ended !== undefined) throw new StreamClosedError(ended);
      await new Promise((resolve) => setTimeout(resolve, sleepTime));
    }
  }

  /** Takes every finished action back from the callback. */
  collect(): void {
    if (this.#closed) return;
    const lib = native();
    for (let slot = lib.rtm_mixer_collect(this.#mixer); slot >= 0; slot = lib.rtm_mixer_collect(this.#mixer)) {
      this.#release(slot, false);
    }
  }

  /**
   * The callback will not run again (its stream is closed): collect what came back and mark the
   * rest aborted, releasing everything they held. The native mixer may be freed afterwards.
   */
  close(): void {
    if (this.#closed) return;
    this.collect();
    for (let slot = 0; slot < this.queueSize; slot++) if (this.#inFlight[slot]) this.#release(slot, true);
    this.#closed = true;
  }

  /** The callback will not run again though the stream is open: end what is in flight as aborted. */
  #fail(reason: string): void {
    if (this.#failed !== undefined) return;
    this.collect();
    for (let slot = 0; slot < this.queueSize; slot++) if (this.#inFlight[slot]) this.#release(slot, true);
    this.#failed = reason;
  }

  /** Runs the callback's block processing directly (offline rendering, tests). */
  process(input: Float32Array | null, output: Float32Array | null, frames: number, times: {
    current: number;
    inputAdc: number;
    outputDac: number;
  }, statusFlags: number): void {
    native().rtm_mixer_process(this.#mixer, input, output, frames, times.current, times.inputAdc, times.outputDac, statusFlags);
  }

  #release(slot: number, aborted: boolean): void {
    const action = this.#inFlight[slot]!;
    const payload = this.#payloads[slot]!;
    // A record action's frames come out of native memory now (all of them, or what was
    // recorded before the stream closed).
    native().rtm_mixer_release(this.#mixer, slot, action.type === ActionType.RECORD_BUFFER ? payload.buffer! : null);
    action._finish(aborted);
    payload.ringBuffer?._release();
    this.#inFlight[slot] = undefined;
    this.#payloads[slot] = undefined;
    this.#free.push(slot);
    this.#active.delete(action);
  }

  #ring(
    type: ActionType,
    ringBuffer: RingBuffer,
    options: (StartOptions & { channels?: number | readonly number[] }) | undefined,
    streamChannels: number,
    direction: string,
  ): Action {
    if (!(ringBuffer instanceof RingBuffer)) {
      throw new TypeError(`ringBuffer must be a RingBuffer, got ${v.describe(ringBuffer)}`);
    }
    if (ringBuffer.disposed) throw new TypeError("ringBuffer is disposed");
    const opts = v.options("options", options, [...START_KEYS, "channels"]);
    let channels = opts.channels;
    if (channels === undefined) {
      if (ringBuffer.elementSize % 4 !== 0) {
        throw new RangeError(
          `ringBuffer.elementSize (${ringBuffer.elementSize}) must be a multiple of 4 (float32 samples) to infer channels`,
        );
      }
      channels = ringBuffer.elementSize / 4;
    }
    const mapping = this.#mapping("channels", channels, streamChannels, direction);
    if (ringBuffer.elementSize !== mapping.length * 4) {
      throw new RangeError(
        `ringBuffer.elementSize (${ringBuffer.elementSize}) must be 4 × channels (${mapping.length} channels: ${mapping.length * 4})`,
      );
    }
    const { channels: _, ...timingOptions } = opts;
    return this.#submit(type, startTiming(timingOptions), Infinity, mapping, { ringBuffer });
  }

  #mapping(name: string, channels: unknown, streamChannels: number, direction: string): number[] {
    if (streamChannels === 0) throw new TypeError(`this stream has no ${direction} channels`);
    if (typeof channels === "number") {
      v.integer(name, channels, 1, this.#mappingCapacity);
      if (channels > streamChannels) {
        throw new RangeError(`${name} (${channels}) exceeds the stream's ${streamChannels} ${direction} channels`);
      }
      return Array.from({ length: channels }, (_, i) => i + 1);
    }
    if (!Array.isArray(channels)) {
      throw new TypeError(`${name} must be a channel count or an array of 1-based channel numbers, got ${v.describe(channels)}`);
    }
    if (channels.length === 0 || channels.length > this.#mappingCapacity) {
      throw new RangeError(`${name} must list 1 to ${this.#mappingCapacity} channels, got ${channels.length}`);
    }
    channels.forEach((c, i) => v.integer(`${name}[${i}] (1-based channel number)`, c, 1, streamChannels));
    return [...channels];
  }

  #submit(type: ActionType, timing: Timing, frames: number, mapping: readonly number[], payload: ActionPayload): Action {
    if (this.#closed) throw new TypeError("the stream is closed");
    if (this.#failed !== undefined) throw new StreamClosedError(`the stream stopped: ${this.#failed}; close it`);
    if (this.#free.length === 0) this.collect();
    const slot = this.#free.pop();
    if (slot === undefined) {
      throw new QueueFullError(
        `${this.queueSize} actions are already in flight (the stream's queueSize); wait for some to finish or open the stream with a larger queueSize`,
      );
    }
    const f = slot * this.#slotF64;
    const u = f * 2;
    const u32 = this.#u32;
    u32[u + ACTION.kindU32] = type;
    u32[u + ACTION.flagsU32] = timing.flags;
    this.#f64[f + ACTION.requestedTimeF64] = timing.requested;
    this.#f64[f + ACTION.totalFramesF64] = frames;
    this.#serial = (this.#serial + 1) >>> 0 || 1;
    u32[u + ACTION.serialU32] = this.#serial;
    u32[u + ACTION.channelCountU32] = mapping.length;
    for (let i = 0; i < mapping.length; i++) u32[u + ACTION.mappingU32 + i] = mapping[i] - 1;
    // Reset what a reader of the live view could see before the callback takes the action.
    u32[u + ACTION.outcomeU32] = 0;
    this.#f64[f + ACTION.actualTimeF64] = 0;
    this.#f64[f + ACTION.startFrameF64] = -1;
    this.#f64[f + ACTION.doneFramesF64] = 0;
    if (payload.target) {
      const target = this.#inFlight.indexOf(payload.target);
      // A target no longer in flight gets an index/serial pair that cannot match.
      u32[u + ACTION.targetIndexU32] = target >= 0 ? target : 0;
      u32[u + ACTION.targetSerialU32] = target >= 0 ? u32[target * this.#slotF64 * 2 + ACTION.serialU32] : 0;
    }
    const ringPointer = payload.ringBuffer ? payload.ringBuffer._acquire() : null;
    // Play samples are copied into native memory during this call (see Mixer.submit), unless
    // they are a Sample's, which the action shares.
    const shared = payload.sample ? payload.sample._pointer() : null;
    const samples = type === ActionType.PLAY_BUFFER && frames > 0 && !shared ? payload.buffer! : null;
    const status = native().rtm_mixer_submit(this.#mixer, slot, samples, ringPointer, shared);
    if (status !== 0) {
      payload.ringBuffer?._release();
      this.#free.push(slot);
      if (status === -4) throw new RangeError(`buffer: no native memory for ${frames} frames × ${mapping.length} channels`);
      throw new Error(`internal error: the mixer refused an action (${SUBMIT_ERRORS[status] ?? status})`);
    }
    const action = new Action(this, { f64: this.#f64, u32, f64At: f, u32At: u }, {
      type,
      requestedTime: timing.requestedTime,
      requestedFrame: timing.requestedFrame,
      allowBelated: timing.allowBelated,
      totalFrames: frames,
      mapping,
      ...payload,
    });
    this.#inFlight[slot] = action;
    this.#payloads[slot] = payload;
    this.#active.add(action);
    return action;
  }
}

function floatBuffer(name: string, buffer: unknown): Float32Array {
  if (!(buffer instanceof Float32Array)) {
    throw new TypeError(`${name} must be a Float32Array of interleaved float32 samples, got ${v.describe(buffer)}`);
  }
  v.bytes(name, buffer); // not resizable, not detached
  return buffer;
}

function framesOf(buffer: { length: number }, channels: number): number {
  if (buffer.length % channels !== 0) {
    throw new RangeError(`buffer length (${buffer.length}) must be a multiple of the channel count (${channels})`);
  }
  return buffer.length / channels;
}

function timing(seconds: unknown, frame: unknown, belated: unknown, secondsName: string, frameName: string): Timing {
  const allowBelated = belated === undefined ? true : v.boolean("allowBelated", belated);
  const flags = allowBelated ? FLAG_ALLOW_BELATED : 0;
  if (frame !== undefined) {
    if (seconds !== undefined) throw new TypeError(`give ${secondsName} or ${frameName}, not both`);
    const f = v.integer(frameName, frame, 0, Number.MAX_SAFE_INTEGER);
    return { requested: f, requestedTime: NaN, requestedFrame: f, flags: flags | FLAG_START_IS_FRAME, allowBelated };
  }
  const t = seconds === undefined ? 0 : v.finite(secondsName, seconds, 0);
  return { requested: t, requestedTime: t, flags, allowBelated };
}

const START_KEYS = ["start", "startFrame", "allowBelated"];

function startTiming(options: unknown): Timing {
  const o = v.options("options", options, START_KEYS) as StartOptions;
  return timing(o.start, o.startFrame, o.allowBelated, "start", "startFrame");
}

function timeTiming(options: unknown): Timing {
  const o = v.options("options", options, ["time", "frame", "allowBelated"]) as TimeOptions;
  return timing(o.time, o.frame, o.allowBelated, "time", "frame");
}
