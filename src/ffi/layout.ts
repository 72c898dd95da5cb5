/**
 * The facts TypeScript shares with librtmixer: offsets of the native structs it reads through
 * views, enum values, flag bits, status codes and limits. Zig is their source (zig/facts.zig);
 * this is the TypeScript side's copy, and the loader compares every entry of {@link FACTS} with
 * the library's own table when it loads it, refusing a library that disagrees on any of them.
 */

/** zig/mixer.zig `Report`: what TypeScript reads of one action (u32 and f64 indices). */
export const REPORT = {
  bytes: 128,
  outcomeU32: 0,
  serialU32: 1,
  actualTimeF64: 1,
  startFrameF64: 2,
  doneFramesF64: 3,
  gainF64: 4,
  statsF64: 5,
  silentFramesF64: 12,
  fastFromF64: 13,
  fastFramesF64: 14,
  versionU32: 30,
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

/** zig/mixer.zig `Header`: the mixer's state TypeScript reads (byte offsets and f64 indices). */
export const HEADER = {
  bytes: 296,
  statsF64: 0,
  sampleRateF64: 8,
  frameTimeF64: 9,
  /** `Clock.applied` of the output, input and current-time clocks (f64 indices). */
  outputAppliedF64: 10 + 3,
  inputAppliedF64: 19 + 3,
  currentAppliedF64: 28 + 3,
} as const;

/** zig/mixer.zig `Request`'s bytes before its samples, and the samples' (`request_samples_bytes`). */
const REQUEST_FIELDS_BYTES = 112 + 3 * 4 * 1024;
const REQUEST_SAMPLES_BYTES = 4096;

/** zig/mixer.zig `Request`: what TypeScript writes before each submit (u32 and f64 indices). */
export const REQUEST = {
  bytes: REQUEST_FIELDS_BYTES + REQUEST_SAMPLES_BYTES,
  kindU32: 0,
  flagsU32: 1,
  requestedF64: 1,
  totalFramesF64: 2,
  channelCountU32: 6,
  targetSlotU32: 7,
  targetSerialU32: 8,
  sourceChannelsU32: 9,
  gainF64: 5,
  fadeInF64: 6,
  fadeOutF64: 7,
  loopCountF64: 8,
  loopStartF64: 9,
  loopEndF64: 10,
  rampF64: 11,
  curveU32: 24,
  slotU32: 25,
  samplesBytesU32: 26,
  mappingU32: 28,
  sourcesU32: 28 + 1024,
  /** In f32 units. */
  routeGainsF32: 28 + 2048,
  /** A small play buffer's samples (rtm_mixer_submit_inline), in f32 units. */
  samplesF32: REQUEST_FIELDS_BYTES / 4,
  samplesBytes: REQUEST_SAMPLES_BYTES,
} as const;

/** zig/ringbuffer.zig `RingBuffer`, in u32 units. */
export const RING = { bytes: 192, writeStartU32: 1, readStartU32: 17, claimsU32: 40 } as const;

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

/** `rtm_memory_usage`'s f64 out-block (indices). */
export const MEMORY = { count: 2, allocations: 0, bytes: 1 } as const;

/** zig/mixer.zig `Kind`. */
export const KIND = {
  playBuffer: 0,
  playRingBuffer: 1,
  recordBuffer: 2,
  recordRingBuffer: 3,
  cancel: 4,
  fetchAndResetStats: 5,
  setGain: 6,
} as const;

/** zig/mixer.zig `Curve`: the shape of a gain change. */
export const CURVE = { linear: 0, exponential: 1, target: 2 } as const;

/** zig/mixer.zig `Outcome`. */
export const OUTCOME = { pending: 0, done: 1, droppedBelated: 2, cancelled: 3, ringEnded: 4, targetFinished: 5 } as const;

/** zig/mixer.zig `flag`. */
export const FLAG = { allowBelated: 1, startIsFrame: 2, after: 4, underflowSilence: 8, routed: 16, alignOutput: 32 } as const;

/** zig/mixer.zig `SubmitError`. */
export const SUBMIT = { ok: 0, badSlot: -1, badRequest: -2, badSamples: -3, outOfMemory: -4, ringBusy: -5, badRing: -6 } as const;

/** zig/mixer.zig `ReleaseStatus`. */
export const RELEASE = { ok: 0, badSlot: -1, dstTooSmall: -2 } as const;

/** zig/ringbuffer.zig `RingBuffer.Status`. */
export const RING_STATUS = { ok: 0, badLength: -1, sideInUse: -2, outOfMemory: -3 } as const;

/** PortAudio's status flags of a block (PaStreamCallbackFlags), as `process()` takes them. */
export const STATUS_FLAGS_ALL = 0x1f;

/** Limits the library enforces. */
export const LIMIT = {
  pageSlots: 256,
  mappingMax: 1024,
  framesMax: 2 ** 40,
  positionMax: 2 ** 53,
  ringSizeMax: 2 ** 30,
  elementSizeMax: 2 ** 24,
  channelsMax: 1024,
  blockSizeMax: 2 ** 20,
  queueSizeMax: 2 ** 20,
  sampleRateMax: 1e7,
  latencyMax: 3600,
} as const;

/** librtmixer's own error codes beside PortAudio's. */
export const PA_OWN_ERROR = { streamsOpen: -1, libraryMissing: -2, jackDied: -3 } as const;

/**
 * The time-to-frame formula, shared with zig/clock.zig `frameOf`: ⌊t · fs + ½⌋ − applied. The
 * loader checks it against the library's results on sample values.
 */
export function frameOf(t: number, sampleRate: number, applied: number): number {
  return Math.floor(t * sampleRate + 0.5) - applied;
}

/**
 * A report's count after the block that ended at stream frame `frameTime`, while the callback's
 * fast path, on since frame `from` (-1: off), adds one to it every `per` frames: zig/mixer.zig
 * `fastCount`. The loader checks it against the library's results on sample values.
 */
export function fastCount(stored: number, from: number, per: number, frameTime: number): number {
  return from < 0 ? stored : stored + Math.max(frameTime - from, 0) / per;
}

const f64 = (index: number) => index * 8;
const u32 = (index: number) => index * 4;

/** Every fact above, under the library's names (zig/facts.zig). */
export const FACTS: Readonly<Record<string, number>> = {
  "report.bytes": REPORT.bytes,
  "report.outcome": u32(REPORT.outcomeU32),
  "report.serial": u32(REPORT.serialU32),
  "report.actual_time": f64(REPORT.actualTimeF64),
  "report.start_frame": f64(REPORT.startFrameF64),
  "report.done_frames": f64(REPORT.doneFramesF64),
  "report.stats": f64(REPORT.statsF64),
  "report.gain": f64(REPORT.gainF64),
  "report.silent_frames": f64(REPORT.silentFramesF64),
  "report.fast_from": f64(REPORT.fastFromF64),
  "report.fast_frames": f64(REPORT.fastFramesF64),
  "report.version": u32(REPORT.versionU32),
  "stats.blocks": STATS.blocks,
  "stats.min_blocksize": STATS.minBlocksize,
  "stats.max_blocksize": STATS.maxBlocksize,
  "stats.input_underflows": STATS.inputUnderflows,
  "stats.input_overflows": STATS.inputOverflows,
  "stats.output_underflows": STATS.outputUnderflows,
  "stats.output_overflows": STATS.outputOverflows,
  "stats.bytes": f64(STATS.f64Count),
  "header.bytes": HEADER.bytes,
  "header.stats": f64(HEADER.statsF64),
  "header.sample_rate": f64(HEADER.sampleRateF64),
  "header.frame_time": f64(HEADER.frameTimeF64),
  "header.output_clock": f64(HEADER.outputAppliedF64 - 3),
  "header.input_clock": f64(HEADER.inputAppliedF64 - 3),
  "header.current_clock": f64(HEADER.currentAppliedF64 - 3),
  "clock.applied": f64(3),
  "request.bytes": REQUEST.bytes,
  "request.kind": u32(REQUEST.kindU32),
  "request.flags": u32(REQUEST.flagsU32),
  "request.requested": f64(REQUEST.requestedF64),
  "request.total_frames": f64(REQUEST.totalFramesF64),
  "request.channel_count": u32(REQUEST.channelCountU32),
  "request.target_slot": u32(REQUEST.targetSlotU32),
  "request.target_serial": u32(REQUEST.targetSerialU32),
  "request.source_channels": u32(REQUEST.sourceChannelsU32),
  "request.gain": f64(REQUEST.gainF64),
  "request.fade_in": f64(REQUEST.fadeInF64),
  "request.fade_out": f64(REQUEST.fadeOutF64),
  "request.loop_count": f64(REQUEST.loopCountF64),
  "request.loop_start": f64(REQUEST.loopStartF64),
  "request.loop_end": f64(REQUEST.loopEndF64),
  "request.ramp": f64(REQUEST.rampF64),
  "request.curve": u32(REQUEST.curveU32),
  "request.slot": u32(REQUEST.slotU32),
  "request.samples_bytes": u32(REQUEST.samplesBytesU32),
  "request.mapping": u32(REQUEST.mappingU32),
  "request.sources": u32(REQUEST.sourcesU32),
  "request.route_gains": REQUEST.routeGainsF32 * 4,
  "request.samples": REQUEST.samplesF32 * 4,
  "ring.bytes": RING.bytes,
  "ring.write_start": u32(RING.writeStartU32),
  "ring.read_start": u32(RING.readStartU32),
  "ring.claims": u32(RING.claimsU32),
  "params.bytes": f64(PARAMS.count),
  "params.input_device": PARAMS.inputDevice,
  "params.input_channels": PARAMS.inputChannels,
  "params.input_latency": PARAMS.inputLatency,
  "params.output_device": PARAMS.outputDevice,
  "params.output_channels": PARAMS.outputChannels,
  "params.output_latency": PARAMS.outputLatency,
  "params.sample_rate": PARAMS.sampleRate,
  "params.block_size": PARAMS.blockSize,
  "params.flags": PARAMS.flags,
  "params.queue_size": PARAMS.queueSize,
  "out.device": DEVICE.count,
  "out.hostApi": HOST_API.count,
  "out.streamInfo": STREAM_INFO.count,
  "out.memory": MEMORY.count,
  "kind.play_buffer": KIND.playBuffer,
  "kind.play_ringbuffer": KIND.playRingBuffer,
  "kind.record_buffer": KIND.recordBuffer,
  "kind.record_ringbuffer": KIND.recordRingBuffer,
  "kind.cancel": KIND.cancel,
  "kind.fetch_and_reset_stats": KIND.fetchAndResetStats,
  "kind.set_gain": KIND.setGain,
  "curve.linear": CURVE.linear,
  "curve.exponential": CURVE.exponential,
  "curve.target": CURVE.target,
  "outcome.pending": OUTCOME.pending,
  "outcome.done": OUTCOME.done,
  "outcome.dropped_belated": OUTCOME.droppedBelated,
  "outcome.cancelled": OUTCOME.cancelled,
  "outcome.ring_ended": OUTCOME.ringEnded,
  "outcome.target_finished": OUTCOME.targetFinished,
  "flag.allow_belated": FLAG.allowBelated,
  "flag.start_is_frame": FLAG.startIsFrame,
  "flag.after": FLAG.after,
  "flag.underflow_silence": FLAG.underflowSilence,
  "flag.routed": FLAG.routed,
  "flag.align_output": FLAG.alignOutput,
  "status.all": STATUS_FLAGS_ALL,
  "submit.ok": SUBMIT.ok,
  "submit.bad_slot": SUBMIT.badSlot,
  "submit.bad_request": SUBMIT.badRequest,
  "submit.bad_samples": SUBMIT.badSamples,
  "submit.out_of_memory": SUBMIT.outOfMemory,
  "submit.ring_busy": SUBMIT.ringBusy,
  "submit.bad_ring": SUBMIT.badRing,
  "release.ok": RELEASE.ok,
  "release.bad_slot": RELEASE.badSlot,
  "release.dst_too_small": RELEASE.dstTooSmall,
  "ringStatus.ok": RING_STATUS.ok,
  "ringStatus.bad_length": RING_STATUS.badLength,
  "ringStatus.side_in_use": RING_STATUS.sideInUse,
  "ringStatus.out_of_memory": RING_STATUS.outOfMemory,
  "limit.pageSlots": LIMIT.pageSlots,
  "limit.mappingMax": LIMIT.mappingMax,
  "limit.framesMax": LIMIT.framesMax,
  "limit.positionMax": LIMIT.positionMax,
  "limit.ringSizeMax": LIMIT.ringSizeMax,
  "limit.elementSizeMax": LIMIT.elementSizeMax,
  "limit.channelsMax": LIMIT.channelsMax,
  "limit.blockSizeMax": LIMIT.blockSizeMax,
  "limit.queueSizeMax": LIMIT.queueSizeMax,
  "limit.sampleRateMax": LIMIT.sampleRateMax,
  "limit.latencyMax": LIMIT.latencyMax,
  "paError.streamsOpen": PA_OWN_ERROR.streamsOpen,
  "paError.libraryMissing": PA_OWN_ERROR.libraryMissing,
  "paError.jackDied": PA_OWN_ERROR.jackDied,
};

/**
 * The first disagreement between the library's facts (its `rtm_facts` JSON, parsed) and this
 * file, or undefined: a fact missing from the library, a different value, or a time-to-frame
 * result that {@link frameOf} does not reproduce exactly.
 */
export function factMismatch(library: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(FACTS)) {
    if (library[name] !== value) return `${name}: the library says ${library[name]}, TypeScript ${value}`;
  }
  for (let i = 0; `frameOf.${i}.t` in library; i++) {
    const at = (k: string) => library[`frameOf.${i}.${k}`] as number;
    const frame = frameOf(at("t"), at("fs"), at("applied"));
    if (frame !== at("frame")) {
      return `frameOf(${at("t")}, ${at("fs")}, ${at("applied")}): the library says ${at("frame")}, TypeScript ${frame}`;
    }
  }
  if (!("frameOf.0.t" in library)) return "frameOf: the library gives no sample values of the time-to-frame formula";
  for (let i = 0; `fastCount.${i}.stored` in library; i++) {
    const at = (k: string) => library[`fastCount.${i}.${k}`] as number;
    const count = fastCount(at("stored"), at("from"), at("per"), at("frameTime"));
    if (count !== at("count")) {
      return `fastCount(${at("stored")}, ${at("from")}, ${at("per")}, ${at("frameTime")}): the library says ${
        at("count")
      }, TypeScript ${count}`;
    }
  }
  if (!("fastCount.0.stored" in library)) return "fastCount: the library gives no sample values of the fast path's count";
  return undefined;
}
