/**
 * Actions: the requests a stream's callback carries out (play, record, cancel, fetch stats).
 * While an action runs its fields are live views on native memory; once it has come back from
 * the callback they are frozen copies.
 */
import { ACTION, STATS } from "./ffi/layout.ts";
import type { RingBuffer } from "./ringbuffer.ts";
import type { Sample } from "./sample.ts";

/** The kinds of action (rtmixer's action types). */
export const ActionType = {
  PLAY_BUFFER: 0,
  PLAY_RINGBUFFER: 1,
  RECORD_BUFFER: 2,
  RECORD_RINGBUFFER: 3,
  CANCEL: 4,
  FETCH_AND_RESET_STATS: 5,
} as const;
/** One of the {@link ActionType} values. */
export type ActionType = (typeof ActionType)[keyof typeof ActionType];

/** How an action ended. */
export type ActionOutcome =
  /** Still in the callback's hands. */
  | "pending"
  /** Played/recorded every frame; stats fetched; cancel applied. */
  | "done"
  /** Its start had passed and `allowBelated` was false: it did nothing. */
  | "belated"
  /** Stopped by a cancel, before it started or at the cancel's sample. */
  | "cancelled"
  /** Its ring buffer could not supply (play) or accept (record) a whole block part. */
  | "ringEnded"
  /** A cancel whose target had already finished. */
  | "targetFinished"
  /** The stream was closed (or failed) before the action finished. */
  | "aborted";

const OUTCOMES: ActionOutcome[] = ["pending", "done", "belated", "cancelled", "ringEnded", "targetFinished"];

/** Over- and underflow statistics (of a stream, or of the blocks an action was active in). */
export interface Stats {
  /** Callback invocations (blocks) counted. */
  blocks: number;
  /** The smallest block, in frames. */
  minBlockSize: number;
  /** The largest block, in frames. */
  maxBlockSize: number;
  /** Blocks flagged by PortAudio with an input underflow. */
  inputUnderflows: number;
  /** Blocks flagged by PortAudio with an input overflow (input was lost). */
  inputOverflows: number;
  /** Blocks flagged by PortAudio with an output underflow (a gap was played). */
  outputUnderflows: number;
  /** Blocks flagged by PortAudio with an output overflow. */
  outputOverflows: number;
}

/** Reads a Stats record at `at` (f64 units). */
export function readStats(f64: Float64Array, at = 0): Stats {
  return {
    blocks: f64[at + STATS.blocks],
    minBlockSize: f64[at + STATS.minBlocksize],
    maxBlockSize: f64[at + STATS.maxBlocksize],
    inputUnderflows: f64[at + STATS.inputUnderflows],
    inputOverflows: f64[at + STATS.inputOverflows],
    outputUnderflows: f64[at + STATS.outputUnderflows],
    outputOverflows: f64[at + STATS.outputOverflows],
  };
}

/** What an action carries that the callback may touch: kept referenced while in flight. */
export interface ActionPayload {
  buffer?: Float32Array;
  sample?: Sample;
  ringBuffer?: RingBuffer;
  target?: Action;
}

/** The frozen fields of a finished action. */
interface Final {
  outcome: ActionOutcome;
  actualTime: number;
  startFrame: number;
  doneFrames: number;
  hostStartFrame: number;
  stats: Stats;
}

/** One request to the callback. Returned by `playBuffer`, `recordBuffer`, `cancel`, ... */
export class Action {
  /** The action's kind, one of {@link ActionType}. */
  readonly type: ActionType;
  /** The start time asked for, in stream seconds (0: as soon as possible). NaN when started by frame. */
  readonly requestedTime: number;
  /** The frame position asked for (with `startFrame`), else undefined. */
  readonly requestedFrame?: number;
  /** Whether a start in the past still starts (at the next block) instead of being dropped. */
  readonly allowBelated: boolean;
  /** Frames to play/record; Infinity for ring buffers. */
  readonly totalFrames: number;
  /** 1-based channel numbers, one per buffer channel. */
  readonly mapping: readonly number[];
  /** The buffer played or recorded into, if any. */
  readonly buffer?: Float32Array;
  /** The Sample played, if any. */
  readonly sample?: Sample;
  /** The ring buffer played from or recorded into, if any. */
  readonly ringBuffer?: RingBuffer;
  /** For a cancel: the action it stops. */
  readonly target?: Action;

  #owner: object;
  #f64: Float64Array | null;
  #u32: Uint32Array | null;
  #f64At: number;
  #u32At: number;
  #final: Final | null = null;
  #waiters: (() => void)[] = [];

  /** @internal Created by streams only. */
  constructor(
    owner: object,
    views: { f64: Float64Array; u32: Uint32Array; f64At: number; u32At: number },
    fields: {
      type: ActionType;
      requestedTime: number;
      requestedFrame?: number;
      allowBelated: boolean;
      totalFrames: number;
      mapping: readonly number[];
    } & ActionPayload,
  ) {
    this.#owner = owner;
    this.#f64 = views.f64;
    this.#u32 = views.u32;
    this.#f64At = views.f64At;
    this.#u32At = views.u32At;
    this.type = fields.type;
    this.requestedTime = fields.requestedTime;
    this.requestedFrame = fields.requestedFrame;
    this.allowBelated = fields.allowBelated;
    this.totalFrames = fields.totalFrames;
    this.mapping = Object.freeze([...fields.mapping]);
    this.buffer = fields.buffer;
    this.sample = fields.sample;
    this.ringBuffer = fields.ringBuffer;
    this.target = fields.target;
  }

  /** Number of channels (the mapping's length). */
  get channels(): number {
    return this.mapping.length;
  }

  /** How the action ended, or "pending". */
  get outcome(): ActionOutcome {
    return this.#final?.outcome ?? OUTCOMES[this.#u32![this.#u32At + ACTION.outcomeU32]] ?? "pending";
  }

  /** Whether the action has come back from the callback. */
  get finished(): boolean {
    return this.#final !== null;
  }

  /** The stream time of its first frame (0 if it never started). */
  get actualTime(): number {
    return this.#final?.actualTime ?? this.#f64![this.#f64At + ACTION.actualTimeF64];
  }

  /** Where it started on the stream's frame clock (-1 until placed). */
  get startFrame(): number {
    return this.#final?.startFrame ?? this.#f64![this.#f64At + ACTION.startFrameF64];
  }

  /** Frames played/recorded so far. */
  get doneFrames(): number {
    return this.#final?.doneFrames ?? this.#f64![this.#f64At + ACTION.doneFramesF64];
  }

  /**
   * Where the host's raw block timestamp would have placed the start (as rtmixer does), for
   * comparison; -1 until known. For a start by frame or "as soon as possible" it is the start
   * itself (timestamps play no part then).
   */
  get hostStartFrame(): number {
    return this.#final?.hostStartFrame ?? this.#f64![this.#f64At + ACTION.hostStartFrameF64];
  }

  /** Statistics of the blocks it was active in; for a fetch-and-reset action, the stream's. */
  get stats(): Stats {
    return this.#final?.stats ?? readStats(this.#f64!, this.#f64At + ACTION.statsF64);
  }

  /** @internal Whether `owner` created it. */
  _isOwnedBy(owner: object): boolean {
    return this.#owner === owner;
  }

  /** @internal The callback returned it (or the stream closed): freeze the fields, drop the views. */
  _finish(aborted: boolean): void {
    const outcome = this.outcome;
    this.#final = {
      outcome: aborted && outcome === "pending" ? "aborted" : outcome,
      actualTime: this.actualTime,
      startFrame: this.startFrame,
      doneFrames: this.doneFrames,
      hostStartFrame: this.hostStartFrame,
      stats: this.stats,
    };
    this.#f64 = null;
    this.#u32 = null;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** @internal Calls `fn` once the action has finished. */
  _onFinish(fn: () => void): void {
    if (this.#final) fn();
    else this.#waiters.push(fn);
  }
}
