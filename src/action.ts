/**
 * Actions: the requests a stream's callback carries out (play, record, cancel, fetch stats).
 * While an action runs its progress fields are live reads of its native report; once it has come
 * back from the callback they are frozen copies.
 */
import { fastCount, HEADER, KIND, REPORT, STATS } from "./ffi/layout.ts";
import type { RingBuffer } from "./ringbuffer.ts";
import type { Sample } from "./sample.ts";

/** The kinds of action (rtmixer's action types). */
export const ActionType = {
  PLAY_BUFFER: KIND.playBuffer,
  PLAY_RINGBUFFER: KIND.playRingBuffer,
  RECORD_BUFFER: KIND.recordBuffer,
  RECORD_RINGBUFFER: KIND.recordRingBuffer,
  CANCEL: KIND.cancel,
  FETCH_AND_RESET_STATS: KIND.fetchAndResetStats,
  SET_GAIN: KIND.setGain,
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
  | "aborted"
  /** It ran, but its result could not be delivered as asked: see `error` (and `recording`). */
  | "failed";

/** The native outcomes, by their number (zig/mixer.zig `Outcome`, checked at load). */
const OUTCOMES: readonly ActionOutcome[] = ["pending", "done", "belated", "cancelled", "ringEnded", "targetFinished"];

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

/** What a record action records into: interleaved samples, or one Float32Array per channel. */
export type Recording = Float32Array | readonly Float32Array[];

/** What an action carries that the callback may touch: kept referenced while in flight. */
export interface ActionPayload {
  buffer?: Float32Array;
  buffers?: readonly Float32Array[];
  sample?: Sample;
  ringBuffer?: RingBuffer;
  target?: Action;
  after?: Action;
}

/**
 * Where an action's native report is: a view on its page, and its index there. A class, not an
 * object literal: V8 tracks an allocation site per literal, and when objects made there start
 * to outlive a scavenge (an action in flight does) it switches the site to old space and
 * deoptimises every function compiled against it (Deno's #submit, then interpreted again for
 * over 10,000 calls); instances of a class are not tracked that way.
 */
export class ReportView {
  constructor(
    readonly f64: Float64Array,
    readonly u32: Uint32Array,
    /** The report's first f64 (its first u32 is at twice that). */
    readonly at: number,
    /** The action's slot in the pool. */
    readonly slot: number,
    /** The mixer's header (its frame time counts a report's fast-path blocks). */
    readonly header: Float64Array,
  ) {}
}

/**
 * A report's `done_frames` (`blocks` false) or `stats.blocks` (true) as of the last block. While
 * the callback plays an action on its fast path it leaves the report alone, and both count on
 * from `fast_from` by the mixer's frame time ({@link fastCount}). Read under the report's
 * sequence lock: again when the callback was changing them meanwhile (a few stores, when an
 * action enters or leaves the fast path).
 */
function liveCount(r: ReportView, blocks: boolean): number {
  const version = 2 * r.at + REPORT.versionU32;
  for (;;) {
    const before = Atomics.load(r.u32, version);
    const count = fastCount(
      r.f64[r.at + (blocks ? REPORT.statsF64 + STATS.blocks : REPORT.doneFramesF64)],
      r.f64[r.at + REPORT.fastFromF64],
      blocks ? r.f64[r.at + REPORT.fastFramesF64] : 1,
      r.header[HEADER.frameTimeF64],
    );
    if ((before & 1) === 0 && Atomics.load(r.u32, version) === before) return count;
  }
}

/** A report's stats as of the last block (see {@link liveCount}). */
function liveStats(r: ReportView): Stats {
  const stats = readStats(r.f64, r.at + REPORT.statsF64);
  stats.blocks = liveCount(r, true);
  return stats;
}

/** The owner of an action's native memory: keeping it referenced keeps that memory alive. */
export interface ActionOwner {
  /** Takes back every action the callback has finished (which freezes them). */
  collect(): void;
}

/** How an action ended, as its owner hands it over once it has come back. */
export interface Ending {
  aborted: boolean;
  error?: Error;
  recording?: Recording;
}

/** The frozen fields of a finished action. A class, not a literal: see ReportView. */
class Final {
  constructor(
    readonly outcome: ActionOutcome,
    readonly actualTime: number,
    readonly startFrame: number,
    readonly doneFrames: number,
    readonly gain: number,
    readonly silentFrames: number,
    readonly stats: Stats,
    readonly error: Error | undefined,
    readonly recording: Recording | undefined,
  ) {}
}

/** Whether `value` is a real Action. */
export let isAction: (value: unknown) => value is Action;

/** What the engine does with Actions, beyond the public API. */
export let actionInternals: {
  /** Whether `owner` created it. */
  isOwnedBy(a: Action, owner: ActionOwner): boolean;
  /** Its serial while in flight (for a cancel of it), 0 once finished. */
  serial(a: Action): number;
  /** Its slot in the pool (meaningful while in flight). */
  slot(a: Action): number;
  /** The callback returned it (or the stream closed): freeze its fields. */
  finish(a: Action, ending: Ending): void;
  /** How it ended (after collecting what has finished), or undefined while pending. */
  outcome(a: Action): ActionOutcome | undefined;
  /** How it ended, without collecting; undefined while pending. */
  finalOutcome(a: Action): ActionOutcome | undefined;
};

/** One request to the callback. Returned by `playBuffer`, `recordBuffer`, `cancel`, ... */
export class Action<R extends Recording = Recording> {
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

  /** The buffer played or recorded into (interleaved), if any. */
  readonly buffer?: Float32Array;
  /** The buffers played or recorded into, one per channel (planar), if any. */
  readonly buffers?: readonly Float32Array[];
  /** The Sample played, if any. */
  readonly sample?: Sample;
  /** The ring buffer played from or recorded into, if any. */
  readonly ringBuffer?: RingBuffer;
  /** For a cancel: the action it stops; for a gain change: the action whose gain it changes. */
  readonly target?: Action;
  /** The action it is chained after (it starts where that one ends), if any. */
  readonly after?: Action;

  /** Keeps the native memory of the report (and of the mixer) alive as long as this action. */
  readonly #owner: ActionOwner;
  readonly #mapping: Int32Array;
  readonly #channels: number;
  readonly #slot: number;
  #mappingList: readonly number[] | undefined;
  #report: ReportView | null;
  #final: Final | null = null;

  /**
   * @internal Created by streams only, from what they already hold (no object made for the
   * call: in V8's middle tier, which runs a script's calls 400 to 16,000, each one is allocated).
   */
  constructor(
    owner: ActionOwner,
    report: ReportView,
    type: ActionType,
    timing: { requestedTime: number; requestedFrame?: number; allowBelated: boolean },
    totalFrames: number,
    /** 1-based channel numbers (the action's own copy, or a shared read-only one), and how many. */
    mapping: { channels: Int32Array; count: number },
    payload: ActionPayload,
    after: Action | undefined,
  ) {
    this.#owner = owner;
    this.#report = report;
    this.#slot = report.slot;
    this.type = type;
    this.requestedTime = timing.requestedTime;
    this.requestedFrame = timing.requestedFrame;
    this.allowBelated = timing.allowBelated;
    this.totalFrames = totalFrames;
    this.#mapping = mapping.channels;
    this.#channels = mapping.count;
    this.buffer = payload.buffer;
    this.buffers = payload.buffers;
    this.sample = payload.sample;
    this.ringBuffer = payload.ringBuffer;
    this.target = payload.target;
    this.after = after;
  }

  /** Whether `value` is an Action (a real one: not a look-alike, not a Proxy). */
  static isAction(value: unknown): value is Action {
    return isAction(value);
  }

  static {
    // The engine's access, through functions that hostile code cannot shadow on an instance
    // (as it could a method): they reach the private fields of real Actions only.
    isAction = (value) => typeof value === "object" && value !== null && #final in value;
    actionInternals = {
      isOwnedBy: (a, owner) => a.#owner === owner,
      slot: (a) => a.#slot,
      serial(a) {
        const r = a.#report;
        return a.#final !== null || r === null ? 0 : r.u32[2 * r.at + REPORT.serialU32];
      },
      finish: (a, ending) => a.#finish(ending),
      outcome: (a) => a.#settled()?.outcome,
      finalOutcome: (a) => a.#final?.outcome,
    };
  }

  /** 1-based channel numbers, one per buffer channel. */
  get mapping(): readonly number[] {
    if (this.#mappingList === undefined) {
      const m = this.#mapping;
      this.#mappingList = Object.freeze(Array.from({ length: this.#channels }, (_, i) => m[i]));
    }
    return this.#mappingList;
  }

  /** Number of channels (the mapping's length). */
  get channels(): number {
    return this.#channels;
  }

  /** How the action ended, or "pending". Up to date without any other call. */
  get outcome(): ActionOutcome {
    return this.#settled()?.outcome ?? "pending";
  }

  /** Whether the callback is done with the action (its fields are final then). */
  get finished(): boolean {
    return this.#settled() !== null;
  }

  /**
   * The stream time of its first frame, by the clock model that placed it (0 until it starts):
   * for a start given in seconds, exactly that time rounded to the sample; for a belated start,
   * the time of the block it started in. `startFrame` is the frame itself, on the stream's sample
   * clock, and what plays there.
   */
  get actualTime(): number {
    return this.#final?.actualTime ?? this.#f64(REPORT.actualTimeF64);
  }

  /** The frame, on the stream's sample clock, where its first sample plays (-1 until placed). */
  get startFrame(): number {
    return this.#final?.startFrame ?? this.#f64(REPORT.startFrameF64);
  }

  /** Frames played/recorded so far. */
  get doneFrames(): number {
    return this.#final?.doneFrames ?? liveCount(this.#report!, false);
  }

  /**
   * A play action's gain at the last frame it played: its gain and ramps times its fades (1
   * until it plays, unless started with another gain).
   */
  get gain(): number {
    return this.#final?.gain ?? this.#f64(REPORT.gainF64);
  }

  /** Frames of silence a ring action played while its ring was empty (`onUnderflow: "silence"`). */
  get silentFrames(): number {
    return this.#final?.silentFrames ?? this.#f64(REPORT.silentFramesF64);
  }

  /** Statistics of the blocks it was active in; for a fetch-and-reset action, the stream's. */
  get stats(): Stats {
    return this.#final?.stats ?? liveStats(this.#report!);
  }

  /** Why the action `"failed"`; undefined otherwise. */
  get error(): Error | undefined {
    return this.#final?.error;
  }

  /**
   * For a finished record action: what holds what it recorded, in the form it was asked for (a
   * Float32Array, or one per channel). That is `buffer` (or `buffers`), unless it could not take
   * the frames (it was detached): then new arrays with them, so that nothing recorded is lost.
   * Undefined for other actions and while pending.
   */
  get recording(): R | undefined {
    return this.#final?.recording as R | undefined;
  }

  #f64(index: number): number {
    const r = this.#report!;
    return r.f64[r.at + index];
  }

  /** The final fields, after collecting what the callback has finished. */
  #settled(): Final | null {
    if (this.#final === null) this.#owner.collect();
    return this.#final;
  }

  /** The callback returned it (or the stream closed): freeze the fields, drop the view. */
  #finish(ending: Ending): void {
    const r = this.#report!;
    const native = OUTCOMES[r.u32[2 * r.at + REPORT.outcomeU32]] ?? "pending";
    this.#final = new Final(
      ending.error ? "failed" : ending.aborted && native === "pending" ? "aborted" : native,
      this.#f64(REPORT.actualTimeF64),
      this.#f64(REPORT.startFrameF64),
      liveCount(r, false),
      this.#f64(REPORT.gainF64),
      this.#f64(REPORT.silentFramesF64),
      liveStats(r),
      ending.error,
      ending.recording,
    );
    this.#report = null;
  }
}
