//! The audio callback's state and its per-block work: rtmixer's action engine.
//!
//! TypeScript writes a request into the mixer's request block and submits it into a free slot of
//! the action pool. `submit` checks the request, copies what the callback needs into the slot's
//! private `Action` (so nothing TypeScript writes later can change what the callback does or
//! frees), and pushes the action onto `incoming`, a lock-free stack. The callback takes all new
//! actions at the start of each block, places each start on the stream's frame clock
//! (zig/clock.zig), keeps the waiting ones in a heap ordered by start (zig/heap.zig), runs the
//! due ones, and pushes finished ones onto `finished`, another lock-free stack, from which
//! TypeScript collects them. Neither stack has a capacity: actions in flight are limited by
//! memory only, and no finished action is ever lost or refused. The pool grows by pages on the
//! JavaScript thread; the callback only follows pointers.
//!
//! What TypeScript reads of an action is its `Report`, in the pool's pages, written by the
//! callback with atomic stores. Nothing in `process` allocates, locks, prints or makes a system
//! call.
//!
//! A block walks the active list once. Each voice takes one of three paths, all with the same
//! sums: the general one (segments at gain changes, loop wraps, envelopes); a one-step path for a
//! play buffer that plays the block at one constant gain from one run of source frames (`run`,
//! `steadyRun`); and, in the blocks after such a one, a fast path that reads one cache line of
//! the action (`Hot`) and spends a frame budget, set by the last one-step block and zeroed by any
//! gain change or cancel sent to it. Voices that play the whole block in one of the layouts of
//! `mix.Layout` (every output channel in order, swapped stereo, mono onto one of two) are added
//! up to `mix.batch_max` at a time, in list order, so each output sample is loaded and stored
//! once per batch; any other addition first adds what waits, so every output sample still gets
//! its additions one at a time in list order, each rounded as alone.
const std = @import("std");
const alloc = @import("alloc.zig");
const mix = @import("mix.zig");
const Clock = @import("clock.zig").Clock;
const heap = @import("heap.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const Sample = @import("sample.zig").Sample;

/// PortAudio's PaStreamCallbackFlags bits.
pub const status = struct {
    pub const input_underflow: u32 = 0x1;
    pub const input_overflow: u32 = 0x2;
    pub const output_underflow: u32 = 0x4;
    pub const output_overflow: u32 = 0x8;
    pub const priming_output: u32 = 0x10;
    pub const all: u32 = 0x1f;
};

/// A relaxed atomic store: TypeScript reads these fields while the callback writes them.
fn store(comptime T: type, p: *T, value: T) void {
    @atomicStore(T, p, value, .monotonic);
}

/// A store that becomes visible after every store before it: for the fields a report's
/// `version` covers, whose stores must not be seen before the version turned odd.
fn storeOrdered(comptime T: type, p: *T, value: T) void {
    @atomicStore(T, p, value, .release);
}

/// Over- and underflow statistics, of a stream or of one action. Counters are f64 so that
/// TypeScript reads them without BigInt; they stay exact up to 2^53. Only one thread writes
/// them (the callback), with atomic stores, since TypeScript reads them as they change.
pub const Stats = extern struct {
    blocks: f64 = 0,
    min_blocksize: f64 = 0,
    max_blocksize: f64 = 0,
    input_underflows: f64 = 0,
    input_overflows: f64 = 0,
    output_underflows: f64 = 0,
    output_overflows: f64 = 0,

    pub fn count(s: *Stats, frames: u32, flags: u32) void {
        const f: f64 = @floatFromInt(frames);
        if (s.blocks == 0 or f < s.min_blocksize) store(f64, &s.min_blocksize, f);
        if (f > s.max_blocksize) store(f64, &s.max_blocksize, f);
        store(f64, &s.blocks, s.blocks + 1);
        if (flags == 0) return; // most blocks: one test, not four, for each action
        if (flags & status.input_underflow != 0) store(f64, &s.input_underflows, s.input_underflows + 1);
        if (flags & status.input_overflow != 0) store(f64, &s.input_overflows, s.input_overflows + 1);
        if (flags & status.output_underflow != 0) store(f64, &s.output_underflows, s.output_underflows + 1);
        if (flags & status.output_overflow != 0) store(f64, &s.output_overflows, s.output_overflows + 1);
    }

    /// `s` becomes `from`, field by field, with atomic stores.
    pub fn set(s: *Stats, from: Stats) void {
        inline for (comptime std.meta.fieldNames(Stats)) |name| store(f64, &@field(s, name), @field(from, name));
    }
};

/// A block's timestamps from PortAudio (PaStreamCallbackTimeInfo), in stream seconds.
pub const BlockTime = struct {
    current: f64,
    input_adc: f64,
    output_dac: f64,
};

pub const Kind = enum(u32) {
    play_buffer = 0,
    play_ringbuffer = 1,
    record_buffer = 2,
    record_ringbuffer = 3,
    cancel = 4,
    fetch_and_reset_stats = 5,
    /// Changes a playing action's gain at its frame, at once or along a ramp.
    set_gain = 6,

    fn isPlay(k: Kind) bool {
        return k == .play_buffer or k == .play_ringbuffer;
    }
    fn isRecord(k: Kind) bool {
        return k == .record_buffer or k == .record_ringbuffer;
    }
    /// Whether it plays or records over a span of frames (and so can have gain changes waiting
    /// on it, and actions chained after it).
    fn plays(k: Kind) bool {
        return k.isPlay() or k.isRecord();
    }
};

/// How an action ended (`pending` while in flight).
pub const Outcome = enum(u32) {
    pending = 0,
    /// Played/recorded every frame; stats fetched; cancel applied to its target.
    done = 1,
    /// Its start had passed and allow_belated was off: it did nothing.
    dropped_belated = 2,
    /// A cancel stopped it (before it started, or at the cancel's sample).
    cancelled = 3,
    /// Its ring buffer could not supply/accept the whole part of a block.
    ring_ended = 4,
    /// A cancel whose target had already finished.
    target_finished = 5,
};

pub const flag = struct {
    pub const allow_belated: u32 = 1;
    /// `requested` is a frame position on the stream's clock, not seconds.
    pub const start_is_frame: u32 = 2;
    /// Starts at the frame its target (`target_slot`, `target_serial`) ends: a gapless chain.
    pub const after: u32 = 4;
    /// A ring that runs dry plays silence, and the action goes on, instead of ending.
    pub const underflow_silence: u32 = 8;
    /// Played through the request's mix matrix (`sources`, `route_gains`), not one to one.
    pub const routed: u32 = 16;
    /// A record action whose start names an output frame (or output time, on the output clock):
    /// it starts `ramp` frames (the round trip) after that frame, where that output comes back.
    pub const align_output: u32 = 32;
    pub const all: u32 = 63;
};

/// The shape of a gain change from its old value to its new one (as Web Audio's AudioParam).
pub const Curve = enum(u32) {
    /// Straight from the old value to the new one over the ramp.
    linear = 0,
    /// By a constant ratio per frame (both values above zero; else linear).
    exponential = 1,
    /// Towards the new value with time constant `ramp`, never quite reaching it (it snaps to it
    /// after 32 time constants, when the difference is below 2^-46 of the step).
    target = 2,
};

/// What TypeScript reads of one action, through a view on its page. Written by native code only:
/// by `submit` on the JavaScript thread before the callback has the action, then by the
/// callback (atomic stores) until the action is finished.
///
/// Aligned to a cache line, with what the callback reads and writes in the blocks it takes the
/// general way (all but `silent_frames` and the rarer counters at the end of `stats`) in its first
/// line. In the blocks it plays on the fast path (`Hot.fast_left`), the callback does not touch
/// the report at all (at block 64 with 256 voices, loading its line cost about a tenth of a
/// voice's block): `done_frames` and `stats.blocks` then count on from `fast_from` by the
/// mixer's `frame_time` (`fastCount`, which TypeScript reproduces: src/ffi/layout.ts, checked at
/// load on the sample values in zig/facts.zig).
pub const Report = extern struct {
    outcome: Outcome align(64) = .pending,
    /// The action's serial, for a cancel's `target_serial`.
    serial: u32 = 0,
    /// The stream time of the first frame (0 until it starts).
    actual_time: f64 = 0,
    /// Where it starts on the stream's frame clock (-1 until placed).
    start_frame: f64 = -1,
    done_frames: f64 = 0,
    /// The gain (automation × fades) at the last frame played.
    gain: f64 = 1,
    stats: Stats = .{},
    /// Frames of silence played while its ring was empty (`flag.underflow_silence`).
    silent_frames: f64 = 0,
    /// While it plays on the fast path: the stream frame from which `done_frames` and
    /// `stats.blocks` are not stored (each block there is `fast_frames` long); -1 otherwise.
    fast_from: f64 = -1,
    fast_frames: f64 = 0,
    /// A sequence lock over `fast_from` and the fields it makes derived: odd while the callback
    /// changes them, so that a reader that saw it odd, or changed, reads again.
    version: u32 = 0,
    _pad: u32 = 0,

    /// `done_frames` as it is after the block that ended at stream frame `frame_time`.
    pub fn liveDoneFrames(r: *const Report, frame_time: f64) f64 {
        return fastCount(r.done_frames, r.fast_from, 1, frame_time);
    }

    /// `stats.blocks` as it is after the block that ended at stream frame `frame_time`.
    pub fn liveBlocks(r: *const Report, frame_time: f64) f64 {
        return fastCount(r.stats.blocks, r.fast_from, r.fast_frames, frame_time);
    }
};

/// A report's count (`stored`) after the block that ended at stream frame `frame_time`, while the
/// fast path, on since frame `from` (-1: off), adds one to it every `per` frames.
pub fn fastCount(stored: f64, from: f64, per: f64, frame_time: f64) f64 {
    if (from < 0) return stored;
    return stored + @max(frame_time - from, 0) / per;
}

/// The largest channel mapping of one action (a buffer may repeat channels; streams have at most
/// stream.Params.channels_max channels).
pub const mapping_max = 1024;
/// Mappings up to this many channels live in the action itself; longer ones are allocated.
const mapping_inline = 8;

/// A request, written by TypeScript into the mixer's one request block before `submit`. Read
/// once, by `submit`, on the same thread.
pub const Request = extern struct {
    kind: u32,
    flags: u32,
    /// Seconds of stream time, or (with `flag.start_is_frame`) a frame position.
    requested: f64,
    total_frames: f64,
    channel_count: u32,
    /// For a cancel, a gain change or a chained start (`flag.after`): its target's slot and serial.
    target_slot: u32,
    target_serial: u32,
    /// Channels of the source (a play buffer's samples per frame, a ring's element): with
    /// `flag.routed`, what `sources` index; else `channel_count`.
    source_channels: u32,
    /// A play action's starting gain (linear); a gain change's new value.
    gain: f64,
    /// Frames of a play action's fade-in (from 0) and fade-out (to 0 at its last frame).
    fade_in: f64,
    fade_out: f64,
    /// How many times a play buffer plays its loop region (1: once, no loop; inf: until stopped),
    /// and the region, in frames of the buffer: [0, loop_end) first, then [loop_start, loop_end)
    /// again each time, then [loop_end, total_frames).
    loop_count: f64,
    loop_start: f64,
    loop_end: f64,
    /// A gain change's ramp (frames), a cancel's fade-out (frames), or (with
    /// `flag.align_output`) a record action's round trip (frames).
    ramp: f64,
    /// A gain change's `Curve`.
    curve: u32,
    /// The free slot the action goes into, and for `rtm_mixer_submit_inline` how many bytes of
    /// `samples` it plays: fields, not arguments, as each argument of a call into native code
    /// costs (most of all in Deno's middle compiler tier: about 12 ns each).
    slot: u32,
    samples_bytes: u32,
    _pad: u32 = 0,
    /// 0-based channel numbers, `channel_count` of them: the output (or input) channel of each
    /// route.
    mapping: [mapping_max]u32,
    /// With `flag.routed`: the 0-based source channel of each route.
    sources: [mapping_max]u32,
    /// With `flag.routed`: the gain of each route.
    route_gains: [mapping_max]f32,
    /// A small play buffer's samples, for `submitInline`: written here, they reach native code
    /// without a pointer argument (each argument of a call into native code costs, most of all in
    /// Deno's middle compiler tier).
    samples: [request_samples_bytes]u8,
};

/// Bytes of `Request.samples`.
pub const request_samples_bytes = 4096;

/// A copy of the request block's fields and of the routes it names, `channel_count` of each (at
/// most `mapping_max`), not all three 1024-entry arrays: what `submit` checks is what it uses,
/// and a small action copies about 120 bytes instead of 12 KB (reading the block in place, the
/// native step of a Bun playBuffer went from about 1.1 to 0.65 µs). The rest of the copy stays undefined and is never read: `submit`
/// reads routes only below a `channel_count` it has checked against `mapping_max`.
inline fn readRequest(block: *const Request, req: *Request) void {
    const fields = @offsetOf(Request, "mapping");
    @memcpy(std.mem.asBytes(req)[0..fields], std.mem.asBytes(block)[0..fields]);
    const n = @min(req.channel_count, mapping_max);
    @memcpy(req.mapping[0..n], block.mapping[0..n]);
    @memcpy(req.sources[0..n], block.sources[0..n]);
    @memcpy(req.route_gains[0..n], block.route_gains[0..n]);
}

/// Actions per page of the pool.
pub const page_slots = 256;
/// A pool that grew beyond this many pages (a burst of over 4,096 actions in flight, 2 MB and
/// more) hands the pages beyond them back to the system once they are all free again (`shrink`),
/// and its memory when its mixer goes (alloc.trim).
pub const trim_pages = 16;
/// Sources of at least this many bytes are read ahead on the fast path (`Hot.prefetch`): played
/// at a block's worth per block, such a source's next lines have most likely left the cache by
/// the time they play (measured at block 64 with 256 and 1024 voices, each its own source: 0.75x
/// the time from memory). Short sources are not: for 256 voices of one 32 KiB source in cache,
/// asking for lines that are there took 1.2x the time.
const stream_bytes = 64 * 1024;
/// Copies of played samples (and recordings) shorter than this many bytes are not aligned to
/// cache lines: for a click or a bleep the aligned allocation cost more than the copy.
const small_copy_bytes = 4096;
/// The most frames a buffer action may have (its samples must fit a usize comfortably).
pub const frames_max: f64 = 1 << 40;
/// The largest frame position a start may name (exact in an f64).
pub const position_max: f64 = 1 << 53;

/// Where a slot is, as the JavaScript thread sees it; written on that thread only.
const Stage = enum(u32) { free, in_flight, returned };

/// What the callback reads of an action in the blocks it plays on the fast path, together in one
/// cache line: the active list is walked once per block, and at block 64 fetching an action's
/// fields from the four lines Zig's own layout spread them over cost about as much as mixing it.
pub const Hot = extern struct {
    report: *Report,
    /// The link of the active list.
    active_next: ?*Action = null,
    /// Frames it may still play on the fast path, in whole blocks: at one constant gain, from
    /// one run of source frames (no loop wraps), and still playing after them. Set by `run`
    /// after a whole block on the one-step path (`steadyRun`); zeroed by a gain change or a
    /// cancel sent to it, and by any other block `run` takes, which then decides again.
    fast_left: u64 = 0,
    /// Where the fast path reads its next block: the source frame after the last played.
    cursor: [*]const f32 = undefined,
    /// The report's `done_frames` while it plays on the fast path, which leaves the report alone
    /// (see `Report`); `leaveFast` stores it there, and the blocks it makes.
    done_frames: f64 = 0,
    /// The block size the fast path takes (0 while off it): that of the block `run` counted
    /// last, so that the report's smallest and largest block sizes hold.
    fast_frames: u32 = 0,
    /// The fast path's gain (constant while it is on it).
    gain: f32 = 1,
    /// Channels per frame of what is played or recorded.
    source_channels: u32 = 0,
    contiguous: bool = false,
    /// How its mapping lays its channels out in the output, if in a way `mix.Batch` adds
    /// several at a time.
    layout: mix.Layout = .none,
    /// The fast path asks for each block's source lines before the batch reads them: for
    /// sources of `stream_bytes` or more, which are unlikely to be in cache.
    prefetch: bool = false,
};

comptime {
    std.debug.assert(@sizeOf(Hot) <= 64);
}

/// One action, private to native code. Fixed by `submit` before the callback takes it; the
/// callback's fields change only while it holds the action.
pub const Action = struct {
    hot: Hot align(64),
    slot: u32,
    stage: Stage = .free,

    kind: Kind = .play_buffer,
    flags: u32 = 0,
    serial: u32 = 0,
    requested: f64 = 0,
    /// Frames it plays or records (a play buffer's loops included; inf for a ring).
    total_frames: f64 = 0,
    /// Where the callback stops it (a cancel's frame, or the end of a cancel's fade).
    stop_frame: f64 = std.math.inf(f64),
    channel_count: u32 = 0,
    mapping_inline: [mapping_inline]u32 = undefined,
    /// A mapping longer than `mapping_inline`, `channel_count` long. (Pointers without their
    /// lengths, here and in `routes`: the action fills 7 cache lines, and 16 bytes more took 8.)
    mapping_owned: ?[*]align(64) u32 = null,
    /// The samples played or recorded: `owned`, or a shared Sample's.
    buffer: ?[*]f32 = null,
    /// Memory this action allocated (its copy of played samples, or its recording).
    owned: ?[]f32 = null,
    shared: ?*Sample = null,
    ring: ?*RingBuffer = null,
    /// A cancel's, gain change's or chained start's target, and the serial the target had when
    /// the request was sent.
    target: ?*Action = null,
    target_serial: u32 = 0,
    /// A play action's mix matrix (null: source channel c onto mapping[c] at gain 1).
    routes: ?[*]align(64) mix.Route = null,
    /// A play buffer's own frames and its loop (see `Request`); `total_frames` counts the loops.
    source_frames: f64 = 0,
    loop_count: f64 = 1,
    loop_start: f64 = 0,
    loop_end: f64 = 0,
    fade_in: f64 = 0,
    fade_out: f64 = 0,
    /// A gain change's new value, ramp (frames) and curve; a cancel's fade (frames).
    new_gain: f64 = 1,
    ramp: f64 = 0,
    curve: Curve = .linear,

    // The callback's, while it holds the action:
    /// The serial while the callback holds the action, else 0. Only the callback writes it, so
    /// a cancel can tell, without a race, whether its target is still the action it was sent for
    /// (TypeScript rewrites the other fields when it reuses a slot that came back).
    held_serial: u32 = 0,
    clock: *Clock = undefined,
    /// The stream time of the start frame by the clock offset that placed it: what `actual_time`
    /// reports once the action starts. (The offset may move before the start; the frame does not,
    /// and the time must name the same moment the placement meant.)
    placed_time: f64 = 0,
    /// The gain automation, on the stream's frame clock: `gain_from` until `ramp_start`, then
    /// along `gain_curve` to `gain_to` at `ramp_end`.
    gain_from: f64 = 1,
    gain_to: f64 = 1,
    ramp_start: f64 = 0,
    ramp_end: f64 = 0,
    gain_curve: Curve = .linear,
    /// A cancel's fade: from 1 at `cancel_fade_start` down to 0 at `cancel_fade_end`.
    cancel_fade_start: f64 = std.math.inf(f64),
    cancel_fade_end: f64 = std.math.inf(f64),
    /// Gain changes whose frame has come up to this block or is yet to come, in frame order,
    /// linked through `event_next`; each is applied when playing reaches its frame.
    events: ?*Action = null,
    events_tail: ?*Action = null,
    event_next: ?*Action = null,
    /// Actions chained to start at the frame this one ends, linked through `follow_next`.
    followers: ?*Action = null,
    follow_next: ?*Action = null,
    node: heap.Node = .{},
    /// The link of `incoming`, `finished` and the collected list (one at a time).
    queue_next: ?*Action = null,

    pub fn mapping(a: *const Action) []const u32 {
        if (a.mapping_owned) |m| return m[0..a.channel_count];
        return a.mapping_inline[0..a.channel_count];
    }

    /// The gain automation's value at stream frame `x`.
    fn automationAt(a: *const Action, x: f64) f64 {
        return automation(a.gain_from, a.gain_to, a.ramp_start, a.ramp_end, a.gain_curve, x);
    }

    /// The gain at stream frame `x`, which is frame `p` of what the action plays: its automation
    /// times its fade-in, its fade-out and a cancel's fade.
    pub fn gainAt(a: *const Action, x: f64, p: f64) f64 {
        var g = a.automationAt(x);
        if (p < a.fade_in) g *= p * (1 / a.fade_in);
        if (a.fade_out > 0 and a.total_frames - p < a.fade_out) g *= (a.total_frames - p) * (1 / a.fade_out);
        if (x >= a.cancel_fade_start) g *= (a.cancel_fade_end - x) * (1 / (a.cancel_fade_end - a.cancel_fade_start));
        return g;
    }

    /// The gain of frames [x, x + k) (frames [p, p + k) of the action) if it is the same for all
    /// of them, else null.
    fn steadyGain(a: *const Action, x: f64, p: f64, k: usize) ?f64 {
        const last = @as(f64, @floatFromInt(k)) - 1;
        if (p < a.fade_in) return null;
        if (a.fade_out > 0 and a.total_frames - (p + last) < a.fade_out) return null;
        if (x + last >= a.cancel_fade_start) return null;
        const settled = switch (a.gain_curve) {
            .linear, .exponential => x >= a.ramp_end,
            .target => a.ramp_end == a.ramp_start or x - a.ramp_start >= 32 * (a.ramp_end - a.ramp_start),
        };
        if (!settled and a.gain_from != a.gain_to) return null;
        return a.automationAt(x);
    }

    /// The gain of each frame from stream frame `x` (frame `p` of what the action plays) on:
    /// `gainAt`, computed a vector of frames at a time, each part of it over the stretch where it
    /// changes. Linear ramps and fades give exactly `gainAt`'s values (the same operations on
    /// the same whole numbers); exponential and target curves step from `gainAt`'s value at the
    /// chunk's first frame by a constant ratio (within a few float64 ulps of `gainAt`).
    fn envelope(a: *const Action, x: f64, p: f64, out: []f32) void {
        const k = out.len;
        var g: [envelope_chunk]f64 = undefined;
        const gains = g[0..k];
        const kf: f64 = @floatFromInt(k);
        // The automation: along its curve until it settles, then its target.
        const from = a.gain_from;
        const to = a.gain_to;
        const rs = a.ramp_start;
        const re = a.ramp_end;
        const moving: usize = switch (a.gain_curve) {
            .linear, .exponential => @intFromFloat(std.math.clamp(re - x, 0, kf)),
            .target => if (re == rs) 0 else @intFromFloat(std.math.clamp(rs + 32 * (re - rs) - x, 0, kf)),
        };
        @memset(gains[moving..], if (moving > 0 or x >= re) to else from);
        if (moving > 0) switch (a.gain_curve) {
            .linear => fillLinear(gains[0..moving], x - rs, from, to - from, 1 / (re - rs)),
            .exponential => if (from > 0 and to > 0) {
                fillGeometric(gains[0..moving], 0, a.automationAt(x), std.math.pow(f64, to / from, 1 / (re - rs)));
            } else fillLinear(gains[0..moving], x - rs, from, to - from, 1 / (re - rs)),
            .target => fillGeometric(gains[0..moving], to, a.automationAt(x) - to, @exp(-1 / (re - rs))),
        };
        // Fade-in over frames p < fade_in.
        if (p < a.fade_in) {
            const n: usize = @intFromFloat(@min(a.fade_in - p, kf));
            scaleRising(gains[0..n], p, 1 / a.fade_in);
        }
        // Fade-out over frames with total - p < fade_out.
        if (a.fade_out > 0) {
            const first = a.total_frames - a.fade_out + 1 - p;
            if (first < kf) {
                const skip: usize = @intFromFloat(@max(first, 0));
                const skipped: f64 = @floatFromInt(skip);
                scaleFalling(gains[skip..], a.total_frames - p - skipped, 1 / a.fade_out);
            }
        }
        // A cancel's fade, from its first frame.
        if (x + kf > a.cancel_fade_start) {
            const skip: usize = @intFromFloat(@max(a.cancel_fade_start - x, 0));
            const skipped: f64 = @floatFromInt(skip);
            scaleFalling(gains[skip..], a.cancel_fade_end - x - skipped, 1 / (a.cancel_fade_end - a.cancel_fade_start));
        }
        var i: usize = 0;
        while (i + lanes64 <= k) : (i += lanes64) {
            const v: V64 = gains[i..][0..lanes64].*;
            out[i..][0..lanes64].* = @as(@Vector(lanes64, f32), @floatCast(v));
        }
        while (i < k) : (i += 1) out[i] = @floatCast(gains[i]);
    }

    /// Where frame `p` of what a play buffer plays comes from, through its loop.
    fn sourceAt(a: *const Action, p: f64) SourcePosition {
        if (p < a.loop_end) return .{ .frame = p, .run = runOf(a.loop_end - p) };
        const length = a.loop_end - a.loop_start;
        const q = p - a.loop_end;
        const within = @mod(q, length); // exact for whole numbers
        const rounds = (q - within) / length; // completed repeats of the region
        if (rounds < a.loop_count - 1) {
            const frame = a.loop_start + within;
            return .{ .frame = frame, .run = runOf(a.loop_end - frame) };
        }
        const frame = a.loop_end + (q - (a.loop_count - 1) * length);
        return .{ .frame = frame, .run = runOf(a.source_frames - frame) };
    }

    fn fromNode(n: *heap.Node) *Action {
        return @alignCast(@fieldParentPtr("node", n));
    }

    /// Frees what the action allocated and drops its references, once nothing runs it.
    fn releaseResources(a: *Action) void {
        if (a.owned) |o| alloc.free(o);
        if (a.mapping_owned) |m| alloc.free(m[0..a.channel_count]);
        if (a.routes) |r| alloc.free(r[0..a.channel_count]);
        if (a.shared) |s| s.unref();
        if (a.ring) |rb| {
            rb.unclaim(if (a.kind.isPlay()) RingBuffer.side.reader else RingBuffer.side.writer);
            rb.unref();
        }
        a.owned = null;
        a.mapping_owned = null;
        a.routes = null;
        a.shared = null;
        a.ring = null;
        a.buffer = null;
        a.target = null;
    }
};

comptime {
    // 7 cache lines: a field more took 8 (16 bytes, 6.4 MB more for 100,000 actions in flight).
    std.debug.assert(@sizeOf(Action) <= 7 * 64);
}

const Page = struct {
    reports: [page_slots]Report,
    actions: [page_slots]Action,
};

/// What TypeScript reads of the mixer, through a view.
pub const Header = extern struct {
    /// The stream's statistics since the last fetch-and-reset.
    stats: Stats = .{},
    input_channels: u32,
    output_channels: u32,
    sample_rate: f64,
    /// Frames processed since the stream started: the stream's own sample clock.
    frame_time: f64 = 0,
    output_clock: Clock,
    input_clock: Clock,
    current_clock: Clock,
};

comptime {
    // TypeScript's offsets (src/ffi/layout.ts) depend on these; the loader checks them against
    // zig/facts.zig too.
    std.debug.assert(@offsetOf(Header, "stats") == 0);
    std.debug.assert(@offsetOf(Header, "sample_rate") == 64);
    std.debug.assert(@offsetOf(Header, "frame_time") == 72);
    std.debug.assert(@offsetOf(Header, "output_clock") == 80);
    std.debug.assert(@offsetOf(Clock, "applied") == 24);
    std.debug.assert(@sizeOf(Clock) == 72);
    std.debug.assert(@offsetOf(Report, "actual_time") == 8);
    std.debug.assert(@offsetOf(Report, "gain") == 32);
    std.debug.assert(@offsetOf(Report, "stats") == 40);
    std.debug.assert(@sizeOf(Report) == 128);
    std.debug.assert(@offsetOf(Request, "mapping") == 112);
}

pub const SubmitError = enum(i32) {
    ok = 0,
    /// The slot does not exist or is not free.
    bad_slot = -1,
    /// Kind, flags, start, frame count or channel mapping out of range.
    bad_request = -2,
    /// The samples are shorter than frames × channels, or missing.
    bad_samples = -3,
    out_of_memory = -4,
    /// The ring's side (reading for play, writing for record) belongs to another action.
    ring_busy = -5,
    /// The ring is missing, its element size does not match the mapping, or its memory was lent
    /// by JavaScript (which the audio thread never touches).
    bad_ring = -6,
};

pub const ReleaseStatus = enum(i32) {
    ok = 0,
    /// The slot does not exist or has not come back from the callback.
    bad_slot = -1,
    /// `dst` is shorter than what was recorded: nothing was copied or freed.
    dst_too_small = -2,
};

pub const Mixer = struct {
    header: *Header,
    request: *Request,
    pages: []*Page,
    page_count: u32 = 0,
    /// The pool grew beyond `trim_pages` at some point: destroy trims libc's heap (a burst also
    /// left memory there that others freed later, the JavaScript engine's included).
    grew: bool = false,
    serial: u32 = 0,

    /// New actions, last first (JavaScript pushes, the callback takes them all).
    incoming: ?*Action = null,
    /// Finished actions, last first (the callback pushes, JavaScript takes them all).
    finished: ?*Action = null,
    /// Finished actions taken by JavaScript and not yet collected one by one, first first.
    collected: ?*Action = null,

    // The callback's:
    waiting: heap.Heap = .{},
    active: ?*Action = null,
    active_tail: ?*Action = null,
    /// Counts actions taken, for the heap's order among equal starts.
    taken: u64 = 0,

    pub fn create(input_channels: u32, output_channels: u32, sample_rate: f64, initial_slots: u32) ?*Mixer {
        if (!(sample_rate > 0 and sample_rate <= 1e7)) return null;
        const m = alloc.create(Mixer) orelse return null;
        const header = alloc.create(Header) orelse {
            alloc.destroy(m);
            return null;
        };
        const request = alloc.create(Request) orelse {
            alloc.destroy(header);
            alloc.destroy(m);
            return null;
        };
        header.* = .{
            .input_channels = input_channels,
            .output_channels = output_channels,
            .sample_rate = sample_rate,
            .output_clock = Clock.init(sample_rate),
            .input_clock = Clock.init(sample_rate),
            .current_clock = Clock.init(sample_rate),
        };
        request.* = std.mem.zeroes(Request);
        m.* = .{ .header = header, .request = request, .pages = &.{} };
        while (m.slotCount() < initial_slots) {
            if (m.addPage() == null) {
                m.destroy();
                return null;
            }
        }
        return m;
    }

    /// Frees everything. The callback must never run again; actions still in flight are freed
    /// with it.
    pub fn destroy(m: *Mixer) void {
        const grew = m.grew; // read now: `m` is freed below
        defer if (grew) alloc.trim();
        for (m.pages[0..m.page_count]) |page| {
            for (&page.actions) |*a| a.releaseResources();
            alloc.destroy(page);
        }
        if (m.pages.len > 0) alloc.free(m.pages);
        alloc.destroy(m.request);
        alloc.destroy(m.header);
        alloc.destroy(m);
    }

    pub fn slotCount(m: *const Mixer) u32 {
        return m.page_count * page_slots;
    }

    /// Adds a page of free slots; returns the new slot count, or null when out of memory.
    pub fn addPage(m: *Mixer) ?u32 {
        if (m.page_count == m.pages.len) {
            const capacity = @max(4, m.pages.len * 2);
            const grown = alloc.alloc(*Page, capacity) orelse return null;
            @memcpy(grown[0..m.page_count], m.pages[0..m.page_count]);
            if (m.pages.len > 0) alloc.free(m.pages);
            m.pages = grown;
        }
        const page = alloc.create(Page) orelse return null;
        for (&page.reports, &page.actions, 0..) |*r, *a, i| {
            r.* = .{};
            a.* = .{ .slot = m.slotCount() + @as(u32, @intCast(i)), .hot = .{ .report = r } };
        }
        m.pages[m.page_count] = page;
        m.page_count += 1;
        if (m.page_count > trim_pages) m.grew = true;
        return m.slotCount();
    }

    /// Frees the pages beyond the first `trim_pages` that nothing can reach any more: every slot in
    /// them is free (released), and no action in flight names one of them as its target (a cancel,
    /// gain change or chained start reads its target's `held_serial` even when it has finished).
    /// Only the last pages can go (slots are numbered through the pages). Returns the page count.
    /// On the JavaScript thread only, which must drop its views on the pages that went.
    pub fn shrink(m: *Mixer) u32 {
        var keep = m.page_count;
        while (keep > trim_pages and allFree(m.pages[keep - 1])) keep -= 1;
        if (keep == m.page_count) return keep;
        for (m.pages[0..keep]) |page| for (&page.actions) |*a| {
            if (a.stage == .free) continue;
            if (a.target) |t| keep = @max(keep, t.slot / page_slots + 1);
        };
        for (m.pages[keep..m.page_count]) |page| alloc.destroy(page);
        const freed = m.page_count - keep;
        m.page_count = keep;
        if (freed > 0) alloc.trim();
        return keep;
    }

    fn allFree(page: *const Page) bool {
        for (&page.actions) |*a| if (a.stage != .free) return false;
        return true;
    }

    /// The reports of page `index` (`page_slots` of them), for TypeScript's view.
    pub fn pageReports(m: *Mixer, index: u32) ?*[page_slots]Report {
        if (index >= m.page_count) return null;
        return &m.pages[index].reports;
    }

    pub fn action(m: *Mixer, slot: u32) ?*Action {
        if (slot >= m.slotCount()) return null;
        return &m.pages[slot / page_slots].actions[slot % page_slots];
    }

    /// `submit` of a play buffer whose `bytes` of samples are in the request block's `samples`.
    pub fn submitInline(m: *Mixer, slot: u32, bytes: usize) SubmitError {
        if (bytes > request_samples_bytes) return .bad_samples;
        return m.submit(slot, &m.request.samples, bytes, null, null);
    }

    /// Sends the request in the request block to the callback, in free slot `slot`. A play
    /// buffer's samples (`samples_bytes` bytes at `samples`) are copied now; a shared Sample is
    /// referenced instead; a record buffer gets native memory that `release` copies out. So the
    /// callback never touches memory a JavaScript engine owns, which it may move, detach, or free
    /// while tearing down at exit.
    pub fn submit(m: *Mixer, slot: u32, samples: ?[*]const u8, samples_bytes: usize, ring: ?*RingBuffer, shared: ?*Sample) SubmitError {
        const a = m.action(slot) orelse return .bad_slot;
        if (a.stage != .free) return .bad_slot;
        var req: Request = undefined;
        readRequest(m.request, &req); // read once: what is checked is what is used
        const kind = std.enums.fromInt(Kind, req.kind) orelse return .bad_request;
        if (req.flags & ~flag.all != 0) return .bad_request;
        if (!validStart(req.requested, req.flags)) return .bad_request;
        const channels = req.channel_count;
        const play = kind.isPlay();
        const limit = if (play) m.header.output_channels else if (kind.isRecord()) m.header.input_channels else 0;
        if (play or kind.isRecord()) {
            if (channels == 0 or channels > mapping_max) return .bad_request;
        } else if (channels != 0) return .bad_request;
        for (req.mapping[0..channels]) |ch| if (ch >= limit) return .bad_request;
        const routed = req.flags & flag.routed != 0;
        if (routed and !play) return .bad_request;
        if (req.flags & flag.underflow_silence != 0 and kind != .play_ringbuffer) return .bad_request;
        const chained = req.flags & flag.after != 0;
        if (chained and !(play or kind.isRecord())) return .bad_request;
        const source_channels = if (routed) req.source_channels else channels;
        if (routed) {
            if (source_channels == 0 or source_channels > mapping_max) return .bad_request;
            for (req.sources[0..channels], req.route_gains[0..channels]) |src, g| {
                if (src >= source_channels or !std.math.isFinite(g)) return .bad_request;
            }
        }
        if (play) {
            if (!std.math.isFinite(req.gain) or !wholeIn(req.fade_in, 0, frames_max) or !wholeIn(req.fade_out, 0, frames_max)) return .bad_request;
        }
        var curve: Curve = .linear;
        if (kind == .set_gain) {
            curve = std.enums.fromInt(Curve, req.curve) orelse return .bad_request;
            if (!std.math.isFinite(req.gain) or !wholeIn(req.ramp, 0, frames_max)) return .bad_request;
            if (curve == .exponential and !(req.gain > 0)) return .bad_request;
        }
        if (kind == .cancel and !wholeIn(req.ramp, 0, frames_max)) return .bad_request;
        const aligned = req.flags & flag.align_output != 0;
        if (aligned) {
            if (!kind.isRecord() or chained or !wholeIn(req.ramp, 0, position_max)) return .bad_request;
            if (req.flags & flag.start_is_frame != 0 and req.requested + req.ramp > position_max) return .bad_request;
        }

        var frames: f64 = 0;
        var source_frames: f64 = 0;
        var loop_count: f64 = 1;
        var target: ?*Action = null;
        switch (kind) {
            .play_buffer, .record_buffer => {
                source_frames = req.total_frames;
                if (!wholeIn(source_frames, 0, frames_max)) return .bad_request;
                frames = source_frames;
                const needed = @as(usize, @intFromFloat(source_frames)) * source_channels;
                if (kind == .play_buffer) {
                    if (shared) |s| {
                        if (needed > s.len) return .bad_samples;
                    } else if (needed * @sizeOf(f32) > samples_bytes or (samples == null and needed > 0)) return .bad_samples;
                    loop_count = req.loop_count;
                    if (loop_count != 1) {
                        if (!(loop_count == std.math.inf(f64) or wholeIn(loop_count, 2, position_max))) return .bad_request;
                        if (!wholeIn(req.loop_start, 0, source_frames) or !wholeIn(req.loop_end, 0, source_frames)) return .bad_request;
                        if (!(req.loop_start < req.loop_end)) return .bad_request;
                        frames = source_frames + (loop_count - 1) * (req.loop_end - req.loop_start);
                        if (frames > position_max and loop_count != std.math.inf(f64)) return .bad_request;
                    }
                } else if (shared != null) return .bad_samples;
                if (ring != null) return .bad_ring;
            },
            .play_ringbuffer, .record_ringbuffer => {
                const rb = ring orelse return .bad_ring;
                if (rb.element_size != 4 * source_channels or rb.owns_data == 0) return .bad_ring;
                if (@intFromPtr(rb.data) % @alignOf(f32) != 0) return .bad_ring;
                if (rb.claims & sideOf(kind) != 0) return .ring_busy;
                if (shared != null) return .bad_samples;
                frames = std.math.inf(f64);
            },
            .cancel, .set_gain => {
                target = m.action(req.target_slot) orelse return .bad_request;
                if (ring != null or shared != null) return .bad_request;
            },
            .fetch_and_reset_stats => if (ring != null or shared != null) return .bad_request,
        }
        if (chained) target = m.action(req.target_slot) orelse return .bad_request;

        // Everything checked: allocate, then commit (nothing below can fail after an allocation
        // that is not undone).
        var routes: ?[]align(64) mix.Route = null;
        if (routed) {
            const r = alloc.alloc(mix.Route, channels) orelse return .out_of_memory;
            for (r, req.sources[0..channels], req.mapping[0..channels], req.route_gains[0..channels]) |*route, src, ch, g| {
                route.* = .{ .source = src, .channel = ch, .gain = g };
            }
            routes = r;
        }
        var mapping_owned: ?[]align(64) u32 = null;
        if (channels > mapping_inline) mapping_owned = alloc.alloc(u32, channels) orelse {
            if (routes) |r| alloc.free(r);
            return .out_of_memory;
        };
        var owned: ?[]f32 = null;
        if ((kind == .play_buffer and shared == null) or kind == .record_buffer) {
            const n = @as(usize, @intFromFloat(source_frames)) * source_channels;
            if (n > 0) {
                // Small copies at libc's own alignment (malloc's per-thread caches serve them:
                // alloc.allocPlain), larger ones on cache lines, where blocks of a whole number of
                // lines keep a voice's reads aligned for as long as it plays.
                owned = (if (n * @sizeOf(f32) < small_copy_bytes) alloc.allocPlain(f32, n) else @as(?[]f32, alloc.alloc(f32, n))) orelse {
                    if (mapping_owned) |mo| alloc.free(mo);
                    if (routes) |r| alloc.free(r);
                    return .out_of_memory;
                };
                if (kind == .play_buffer) @memcpy(std.mem.sliceAsBytes(owned.?), samples.?[0 .. n * @sizeOf(f32)]);
            }
        }

        m.serial +%= 1;
        if (m.serial == 0) m.serial = 1;
        a.kind = kind;
        a.flags = req.flags;
        a.serial = m.serial;
        a.requested = req.requested;
        a.total_frames = frames;
        a.channel_count = channels;
        a.mapping_owned = if (mapping_owned) |mo| mo.ptr else null;
        if (mapping_owned) |mo| @memcpy(mo, req.mapping[0..channels]) else @memcpy(a.mapping_inline[0..channels], req.mapping[0..channels]);
        a.hot.source_channels = source_channels;
        a.routes = if (routes) |r| r.ptr else null;
        a.source_frames = source_frames;
        a.loop_count = loop_count;
        a.loop_start = if (loop_count != 1) req.loop_start else 0;
        a.loop_end = if (loop_count != 1) req.loop_end else source_frames;
        a.fade_in = if (play) req.fade_in else 0;
        a.fade_out = if (play) req.fade_out else 0;
        a.new_gain = req.gain;
        a.ramp = if (kind == .set_gain or kind == .cancel or aligned) req.ramp else 0;
        a.curve = curve;
        a.owned = owned;
        a.buffer = if (owned) |o| o.ptr else if (shared) |s| s.data else null;
        a.shared = shared;
        if (shared) |s| s.ref();
        a.ring = ring;
        if (ring) |rb| {
            std.debug.assert(rb.claim(sideOf(kind)));
            rb.ref();
        }
        a.target = target;
        a.target_serial = req.target_serial;
        a.stop_frame = std.math.inf(f64);
        const start_gain: f64 = if (play) req.gain else 1;
        a.gain_from = start_gain;
        a.gain_to = start_gain;
        a.ramp_start = 0;
        a.ramp_end = 0;
        a.gain_curve = .linear;
        a.cancel_fade_start = std.math.inf(f64);
        a.cancel_fade_end = std.math.inf(f64);
        a.events = null;
        a.events_tail = null;
        a.event_next = null;
        a.followers = null;
        a.follow_next = null;
        a.hot.report.* = .{ .serial = a.serial, .gain = start_gain };
        a.hot.fast_left = 0;
        a.hot.fast_frames = 0;
        a.stage = .in_flight;

        var head = @atomicLoad(?*Action, &m.incoming, .monotonic);
        while (true) {
            a.queue_next = head;
            head = @cmpxchgWeak(?*Action, &m.incoming, head, a, .release, .monotonic) orelse break;
        }
        return .ok;
    }

    fn sideOf(kind: Kind) u32 {
        return if (kind.isPlay()) RingBuffer.side.reader else RingBuffer.side.writer;
    }

    /// Whether `x` is a whole number in [lo, hi].
    fn wholeIn(x: f64, lo: f64, hi: f64) bool {
        return x >= lo and x <= hi and @floor(x) == x;
    }

    fn validStart(requested: f64, flags: u32) bool {
        if (flags & flag.start_is_frame != 0) return requested >= 0 and requested <= position_max and @floor(requested) == requested;
        return requested >= 0 and std.math.isFinite(requested);
    }

    /// The slot of the next finished action, or null. Its report is final from now on.
    pub fn collect(m: *Mixer) ?u32 {
        if (m.collected == null) {
            // Taken last first: reverse, so that actions are collected in the order they finished.
            var list = @atomicRmw(?*Action, &m.finished, .Xchg, null, .acquire);
            while (list) |a| {
                list = a.queue_next;
                a.queue_next = m.collected;
                m.collected = a;
            }
        }
        const a = m.collected orelse return null;
        m.collected = a.queue_next;
        a.queue_next = null;
        std.debug.assert(a.stage == .in_flight);
        a.stage = .returned;
        return a.slot;
    }

    /// Frees a collected action's memory, first copying what a record action recorded into `dst`
    /// (`dst_bytes` long) when given. The slot is free again afterwards.
    pub fn release(m: *Mixer, slot: u32, dst: ?[*]u8, dst_bytes: usize) ReleaseStatus {
        const a = m.action(slot) orelse return .bad_slot;
        if (a.stage != .returned) return .bad_slot;
        if (a.kind == .record_buffer and dst != null) {
            if (a.owned) |o| {
                const samples = @as(usize, @intFromFloat(a.hot.report.done_frames)) * a.channel_count;
                std.debug.assert(samples <= o.len);
                if (samples * @sizeOf(f32) > dst_bytes) return .dst_too_small;
                @memcpy(dst.?[0 .. samples * @sizeOf(f32)], std.mem.sliceAsBytes(o[0..samples]));
            }
        }
        a.releaseResources();
        a.stage = .free;
        return .ok;
    }

    /// Hands every action the callback holds back to JavaScript, unfinished (outcome pending), as
    /// if it had finished: for a stream whose callback will not run again, or will run again
    /// only with nothing left to do. Only while the callback does not run.
    pub fn drain(m: *Mixer) void {
        var list = @atomicRmw(?*Action, &m.incoming, .Xchg, null, .acquire);
        // `incoming` is last first: pushing each onto `finished` restores the order.
        while (list) |a| {
            list = a.queue_next;
            m.abandon(a);
        }
        while (m.waiting.pop()) |n| m.abandon(Action.fromNode(n));
        while (m.active) |a| {
            m.active = a.hot.active_next;
            m.abandon(a);
        }
        m.active_tail = null;
    }

    /// Hands back `a` unfinished, with the gain changes waiting on it and the actions chained
    /// after it (and theirs, as a work list through `follow_next`: a chain may be long).
    fn abandon(m: *Mixer, a: *Action) void {
        a.follow_next = null;
        var list: ?*Action = a;
        while (list) |x| {
            list = x.follow_next;
            m.finishGainChanges(x, .pending);
            while (x.followers) |f| {
                x.followers = f.follow_next;
                f.follow_next = list;
                list = f;
            }
            m.finish(x, .pending);
        }
    }

    /// Finishes `a`, which ended at frame `end`: the gain changes still waiting on it finish
    /// unapplied, and the actions chained after it start at `end`. (All before `a` itself: once
    /// finished, JavaScript may reuse its slot.)
    fn end(m: *Mixer, a: *Action, outcome: Outcome, end_frame: f64) void {
        m.finishGainChanges(a, .target_finished);
        while (a.followers) |f| {
            a.followers = f.follow_next;
            f.follow_next = null;
            store(f64, &f.hot.report.start_frame, end_frame);
            f.placed_time = f.clock.timeAt(end_frame);
            m.enqueue(f, end_frame);
        }
        m.finish(a, outcome);
    }

    /// Finishes, unapplied, the gain changes still waiting on `a`.
    fn finishGainChanges(m: *Mixer, a: *Action, outcome: Outcome) void {
        while (a.events) |e| {
            a.events = e.event_next;
            m.finish(e, outcome);
        }
        a.events_tail = null;
    }

    /// Puts `a` among the waiting actions, to start at frame `key` (after those already waiting
    /// for the same frame).
    fn enqueue(m: *Mixer, a: *Action, key: f64) void {
        a.node.key = key;
        a.node.seq = m.taken;
        m.taken += 1;
        m.waiting.insert(&a.node);
    }

    fn finish(m: *Mixer, a: *Action, outcome: Outcome) void {
        leaveFast(a);
        store(Outcome, &a.hot.report.outcome, outcome);
        a.held_serial = 0;
        a.hot.active_next = null;
        var head = @atomicLoad(?*Action, &m.finished, .monotonic);
        while (true) {
            a.queue_next = head;
            head = @cmpxchgWeak(?*Action, &m.finished, head, a, .release, .monotonic) orelse break;
        }
    }

    /// The clock that places `kind`: the DAC's for play, the ADC's for record, the block's current
    /// time for the rest (a cancel or gain change is placed by its target's).
    fn clockOf(m: *Mixer, kind: Kind) *Clock {
        if (kind.isPlay()) return &m.header.output_clock;
        if (kind.isRecord()) return &m.header.input_clock;
        return &m.header.current_clock;
    }

    /// Whether a cancel's target is still in the callback's hands as the action it was sent for.
    /// Serials are never 0, which is what `held_serial` is while the callback does not hold an
    /// action, and what TypeScript sends for a target it knows has finished.
    fn holdsTarget(cancel: *const Action) bool {
        return cancel.target_serial != 0 and cancel.target.?.held_serial == cancel.target_serial;
    }

    fn targets(a: *const Action) bool {
        return a.kind == .cancel or a.kind == .set_gain;
    }

    /// Decides where a newly taken action starts; false if it is dropped as belated.
    fn place(a: *Action, block_start: f64) bool {
        var start = if (a.flags & flag.start_is_frame != 0)
            a.requested
        else if (a.requested == 0)
            block_start
        else
            a.clock.frameAt(a.requested);
        // Aligned on output: the frame that output plays at (by the same clock, in the same block,
        // as a play sent with it), plus the round trip.
        if (a.flags & flag.align_output != 0) start += a.ramp;
        if (start < block_start) {
            if (a.flags & flag.allow_belated == 0) return false;
            start = block_start;
        }
        store(f64, &a.hot.report.start_frame, start);
        // By the offset that placed it: for a start asked for in seconds, exactly that time
        // rounded to the sample. (Computed later, when the action starts, the offset may have
        // moved, and the time would no longer name the frame that plays.)
        a.placed_time = a.clock.timeAt(start);
        return true;
    }

    /// One block: the whole callback. `input`/`output` are interleaved float32 (or null).
    pub fn process(m: *Mixer, input: ?[*]const f32, output: ?[*]f32, frames: u32, time: BlockTime, flags: u32) void {
        const h = m.header;
        const block_start = h.frame_time;
        const block_end = block_start + @as(f64, @floatFromInt(frames));
        h.stats.count(frames, flags);
        if (output) |out| @memset(out[0 .. @as(usize, frames) * h.output_channels], 0);
        h.output_clock.observe(time.output_dac, block_start, frames);
        h.input_clock.observe(time.input_adc, block_start, frames);
        h.current_clock.observe(time.current, block_start, frames);

        m.takeNewActions(block_start);

        var link = &m.active;
        var last: ?*Action = null;
        // Whole blocks of voices in the layouts it knows, added several at a time.
        var batch: ?mix.Batch = if (output) |out| .{ .dst = out, .n = @as(usize, frames) * h.output_channels } else null;
        // Blocks with status flags (which the actions' stats count) go the general way.
        const fast = batch != null and flags == 0 and frames > 0;
        // An action that ends in this block starts the ones chained after it at its end frame,
        // in this block too: they are run in a further pass, and so on down the chain.
        while (true) {
            m.startDueActions(block_end);
            while (link.*) |a| {
                if (fast and onFastPath(a, frames)) {
                    const run_last = m.playFastRun(a, &batch.?, frames);
                    last = run_last;
                    link = &run_last.hot.active_next;
                    continue;
                }
                const outcome = m.run(a, input, output, frames, block_start, flags, if (batch) |*b| b else null);
                if (outcome == .pending) {
                    last = a;
                    link = &a.hot.active_next;
                } else {
                    link.* = a.hot.active_next;
                    // Where it ended: after its last frame (a cancel's frame, if cancelled before
                    // it started, is its start).
                    m.end(a, outcome, a.hot.report.start_frame + a.hot.report.done_frames);
                }
            }
            m.active_tail = last;
            if (batch) |*b| b.flush();
            const next = m.waiting.min() orelse break;
            if (next.key >= block_end) break;
        }
        @atomicStore(f64, &h.frame_time, block_end, .release);
    }

    fn takeNewActions(m: *Mixer, block_start: f64) void {
        // Most blocks bring nothing new: a load, not the exchange (a locked instruction, which
        // alone cost about a tenth of an empty block).
        if (@atomicLoad(?*Action, &m.incoming, .monotonic) == null) return;
        var newest = @atomicRmw(?*Action, &m.incoming, .Xchg, null, .acquire);
        var list: ?*Action = null; // first first
        while (newest) |a| {
            newest = a.queue_next;
            a.queue_next = list;
            list = a;
        }
        while (list) |a| {
            list = a.queue_next;
            a.queue_next = null;
            a.held_serial = a.serial;
            // A target is taken before its cancels (they arrive in order): if it is not held now,
            // it has finished already.
            if (targets(a) and !holdsTarget(a)) {
                m.finish(a, .target_finished);
                continue;
            }
            const aligned = a.flags & flag.align_output != 0;
            a.clock = m.clockOf(if (targets(a)) a.target.?.kind else if (aligned) Kind.play_buffer else a.kind);
            a.hot.contiguous = mix.isContiguous(a.mapping());
            a.hot.layout = if (a.kind.isPlay()) mix.layoutOf(a.mapping(), m.header.output_channels) else .none;
            a.hot.prefetch = a.kind == .play_buffer and a.source_frames * @as(f64, @floatFromInt(a.hot.source_channels)) * @sizeOf(f32) >= stream_bytes;
            // Chained after an action still held: it starts where that one ends (see `end`).
            // After one that has finished already (or that plays no frames): at once.
            if (a.flags & flag.after != 0 and holdsTarget(a) and a.target.?.kind.plays()) {
                const t = a.target.?;
                a.follow_next = t.followers;
                t.followers = a;
                continue;
            }
            if (!place(a, block_start)) {
                m.end(a, .dropped_belated, block_start);
                continue;
            }
            if (aligned) {
                // Placed by the output clock; reported (and followed) by its own, the input's.
                a.clock = m.clockOf(a.kind);
                a.placed_time = a.clock.timeAt(a.hot.report.start_frame);
            }
            // A cancel takes effect at its start: its actual time is known now.
            if (targets(a)) store(f64, &a.hot.report.actual_time, a.placed_time);
            m.enqueue(a, a.hot.report.start_frame);
        }
    }

    /// Moves every action that starts in this block from the heap to the end of the active list,
    /// in start order. Cancels and stats fetches take effect here, at their frame, before any
    /// action runs: a cancel sets its target's stop frame, and removes a target that has not
    /// started by then.
    fn startDueActions(m: *Mixer, block_end: f64) void {
        while (m.waiting.min()) |n| {
            if (n.key >= block_end) break;
            _ = m.waiting.pop();
            const a = Action.fromNode(n);
            switch (a.kind) {
                .cancel => m.applyCancel(a),
                // Applied when playing reaches its frame (`run`), in frame order.
                .set_gain => {
                    if (!holdsTarget(a) or !a.target.?.kind.plays()) {
                        m.finish(a, .target_finished);
                        continue;
                    }
                    const t = a.target.?;
                    a.event_next = null;
                    if (t.events_tail) |tail| tail.event_next = a else t.events = a;
                    t.events_tail = a;
                    t.hot.fast_left = 0; // its gain changes: `run` decides again
                },
                .fetch_and_reset_stats => {
                    store(f64, &a.hot.report.actual_time, a.placed_time);
                    a.hot.report.stats.set(m.header.stats);
                    m.header.stats.set(.{});
                    m.finish(a, .done);
                },
                else => {
                    if (m.active_tail) |t| t.hot.active_next = a else m.active = a;
                    a.hot.active_next = null;
                    m.active_tail = a;
                },
            }
        }
    }

    fn applyCancel(m: *Mixer, c: *Action) void {
        if (c.stop_frame <= c.hot.report.start_frame) return m.finish(c, .cancelled); // cancelled itself
        if (!holdsTarget(c)) return m.finish(c, .target_finished);
        const target = c.target.?;
        const at = c.hot.report.start_frame;
        // A fade-out needs a target that has started by the cancel's frame; one that has not is
        // stopped before it plays.
        const started = target.hot.report.start_frame >= 0 and target.hot.report.start_frame < at;
        target.hot.fast_left = 0; // its stop frame moves: `run` decides again
        if (c.ramp > 0 and started) {
            if (at + c.ramp < target.stop_frame) {
                target.stop_frame = at + c.ramp;
                target.cancel_fade_start = at;
                target.cancel_fade_end = at + c.ramp;
            }
        } else target.stop_frame = @min(target.stop_frame, at);
        if (target.node.in_heap and target.stop_frame <= target.node.key) {
            m.waiting.remove(&target.node);
            m.end(target, .cancelled, at);
        }
        m.finish(c, .done);
    }

    /// Whether `a` plays this block on the fast path (see `Hot.fast_left`).
    fn onFastPath(a: *const Action, frames: u32) bool {
        return a.hot.fast_left >= frames and a.hot.fast_frames == frames;
    }

    /// One block of `first` and of the voices after it in the list that are on the fast path too
    /// (see `Hot.fast_left`): the one-step path's result without its checks, which the last block
    /// on it made for this one. Each started at the latest at the previous block's start and
    /// played to its end, so it plays this block whole: batched if its layout allows, else added
    /// at once, after what waits. The block has the size the last counted one had and no status
    /// flags, so of its report only `done_frames` and `stats.blocks` change, which the report
    /// derives meanwhile (see `Report.fast_from`). Returns the last voice it played.
    ///
    /// The batch's count and layout stay in registers from voice to voice (kept in `b`,
    /// they were a chain of stores and loads through memory, a few cycles a voice: 16 voices
    /// stereo in cache at block 64 took 0.94-0.96x the time, mono 0.78-0.84x). A voice's source
    /// lines are asked for while the voice before it is added: asked for just before its own
    /// addition, the asks of a batch's voices came in a burst, and 256 voices streaming from
    /// memory took 1.2x the time.
    fn playFastRun(m: *Mixer, first: *Action, b: *mix.Batch, frames: u32) *Action {
        var len = b.len;
        var layout = b.layout;
        var a = first;
        if (a.hot.prefetch) prefetchBlock(a.hot.cursor, @as(usize, frames) * a.hot.source_channels);
        while (true) {
            const h = &a.hot;
            const next = h.active_next;
            const next_fast = if (next) |n| onFastPath(n, frames) else false;
            if (next_fast and next.?.hot.prefetch) {
                prefetchBlock(next.?.hot.cursor, @as(usize, frames) * next.?.hot.source_channels);
            }
            h.fast_left -= frames;
            h.done_frames += @floatFromInt(frames);
            if (h.layout == layout) {
                // As `b.add`, which leaves no full batch waiting.
                b.srcs[len] = h.cursor;
                b.gains[len] = h.gain;
                len += 1;
                if (len == mix.batch_max) {
                    b.len = len;
                    b.flush();
                    len = 0;
                }
            } else {
                b.len = len;
                b.layout = layout;
                if (h.layout != .none) {
                    b.add(h.cursor, h.gain, h.layout);
                } else {
                    b.flush();
                    mixSteady(b.dst, m.header.output_channels, a, h.cursor, frames, h.gain);
                }
                len = b.len;
                layout = b.layout;
            }
            h.cursor += @as(usize, frames) * h.source_channels;
            if (!next_fast) break;
            a = next.?;
        }
        b.len = len;
        b.layout = layout;
        return a;
    }

    /// Asks for the lines of `samples` samples at `src`, all of them (every other one gained a third
    /// as much). Inlined: called, it gained half as much (0.87x the time, not 0.65-0.76x); inline,
    /// its check costs the voices without it 2-5%.
    inline fn prefetchBlock(src: [*]const f32, samples: usize) void {
        const lines: [*]const u8 = @ptrCast(src);
        var at: usize = 0;
        while (at < samples * @sizeOf(f32)) : (at += 64) @prefetch(lines + at, .{});
    }

    /// Runs one action for its part of this block; returns its outcome if it finished. Playing
    /// goes in segments: a gain change waiting for a frame inside the block ends one, and is
    /// applied at the start of the next.
    fn run(m: *Mixer, a: *Action, input: ?[*]const f32, output: ?[*]f32, frames: u32, block_start: f64, flags: u32, batch: ?*mix.Batch) Outcome {
        const r = a.hot.report;
        leaveFast(a);
        const start = r.start_frame;
        a.hot.fast_left = 0;
        if (a.stop_frame <= start) return .cancelled; // cancelled before it started
        const block_end = block_start + @as(f64, @floatFromInt(frames));
        const done = r.done_frames;
        // (No NaN among these: plain comparisons, not @min and @max, which must handle it.)
        var pos = pick(.max, block_start, start + done);
        const until = pick(.min, pick(.min, block_end, a.stop_frame), start + a.total_frames);
        if (done == 0 and r.actual_time == 0) store(f64, &r.actual_time, a.placed_time);
        r.stats.count(frames, flags);

        if (steadyRun(a, pos, done, until)) |st| {
            // The common case in one step, with the same result as the general path below: one
            // segment (no gain change waits), one run of source frames (no loop wraps), one
            // constant gain (settled automation, no fade or cancel fade), so `playSource` would
            // add the plain sum (gain 1) or the samples times that gain. It skips the general
            // path's per-block work (segments, envelope chunks, the gain's divisions): at block
            // 64 that work cost as much as mixing a stereo voice.
            const n = until - pos;
            const played = done + n;
            store(f64, &r.gain, st.gain);
            store(f64, &r.done_frames, played);
            const outcome: Outcome = if (played >= a.total_frames) .done else if (start + played >= a.stop_frame) .cancelled else .pending;
            const g: f32 = @floatCast(st.gain);
            const ch = a.hot.source_channels;
            const src = a.buffer.? + @as(usize, @intFromFloat(st.source_frame)) * ch;
            const wraps = st.first < n;
            // Where the block's last source frame is, and the next block's first.
            const tail = if (wraps) a.buffer.? + @as(usize, @intFromFloat(st.wrapped_frame)) * ch else src;
            const tail_frames = if (wraps) n - st.first else n;
            // Added later with others if it covers the block from one run, in a layout the batch
            // knows, and goes on after it (an action that ends is finished at once, and then JavaScript
            // may free its samples: it is added now, after those waiting, to keep the order of
            // the sums).
            const whole_block = pos == block_start and until == block_end;
            if (batch) |b| {
                if (outcome == .pending and whole_block) {
                    // The blocks after this one take the fast path while they stay steady and
                    // the action goes on after them.
                    const last_fast = pick(.min, pick(.min, st.steady_until, a.total_frames - 1), a.stop_frame - start - 1);
                    if (last_fast - played >= @as(f64, @floatFromInt(frames))) {
                        a.hot.fast_left = @intFromFloat(last_fast - played);
                        a.hot.cursor = tail + @as(usize, @intFromFloat(tail_frames)) * ch;
                        a.hot.gain = g;
                        enterFast(a, block_end, frames);
                    }
                    if (a.hot.layout != .none and !wraps) {
                        b.add(src, g, a.hot.layout);
                        return outcome;
                    }
                }
                b.flush();
            }
            if (output) |out| {
                const h = m.header;
                const o = out + @as(usize, @intFromFloat(pos - block_start)) * h.output_channels;
                const first: usize = @intFromFloat(st.first);
                mixSteady(o, h.output_channels, a, src, first, g);
                if (wraps) mixSteady(o + first * h.output_channels, h.output_channels, a, tail, @intFromFloat(tail_frames), g);
            }
            return outcome;
        }
        // Everything below adds (or records) at once: what waits in the batch goes first.
        if (batch) |b| b.flush();

        var played = done;
        var dry = false;
        while (true) {
            m.applyGainChanges(a, pos);
            if (pos >= until) break;
            var segment_end = until;
            if (a.events) |e| segment_end = @min(segment_end, e.hot.report.start_frame);
            const n: u32 = @intFromFloat(segment_end - pos);
            const offset: usize = @intFromFloat(pos - block_start);
            const moved = m.segment(a, input, output, offset, n, played);
            played += @floatFromInt(moved);
            pos += @floatFromInt(n);
            if (moved < n) {
                dry = true;
                break;
            }
        }
        if (a.kind.isPlay() and played > 0) store(f64, &r.gain, a.gainAt(start + played - 1, played - 1));
        store(f64, &r.done_frames, played);
        if (dry) return .ring_ended;
        if (played >= a.total_frames) return .done;
        if (start + played >= a.stop_frame) return .cancelled;
        std.debug.assert(start + played <= block_end);
        return .pending;
    }

    /// From the next block on, `a` plays on the fast path, which leaves its report alone: the
    /// report says from which frame, and how long each block there is, so that its done frames
    /// and blocks are known from the mixer's frame time.
    fn enterFast(a: *Action, from: f64, frames: u32) void {
        const r = a.hot.report;
        a.hot.done_frames = r.done_frames;
        a.hot.fast_frames = frames;
        beginChange(r);
        storeOrdered(f64, &r.fast_frames, @floatFromInt(frames));
        storeOrdered(f64, &r.fast_from, from);
        endChange(r);
    }

    /// Stores what the fast path counted into the report, which counts on its own again. (The
    /// report still holds what it held when the fast path began: its blocks follow from the
    /// frames played since.)
    fn leaveFast(a: *Action) void {
        if (a.hot.fast_frames == 0) return;
        const r = a.hot.report;
        const blocks = r.stats.blocks + (a.hot.done_frames - r.done_frames) / @as(f64, @floatFromInt(a.hot.fast_frames));
        a.hot.fast_frames = 0;
        beginChange(r);
        storeOrdered(f64, &r.done_frames, a.hot.done_frames);
        storeOrdered(f64, &r.stats.blocks, blocks);
        storeOrdered(f64, &r.fast_from, -1);
        endChange(r);
    }

    /// The report's sequence lock (`Report.version`): odd from here until `endChange`; the
    /// stores between are `storeOrdered`, so none is seen before the version turned odd.
    fn beginChange(r: *Report) void {
        store(u32, &r.version, r.version +% 1);
    }

    fn endChange(r: *Report) void {
        storeOrdered(u32, &r.version, r.version +% 1);
    }

    const SteadyRun = struct {
        gain: f64,
        /// The source frame of frame `done`.
        source_frame: f64,
        /// Frames played from there: all `n` of the block, or those before the loop wraps.
        first: f64,
        /// Where the rest of the block plays from, after the wrap (when `first` < `n`).
        wrapped_frame: f64,
        /// How many frames of the action (`done_frames`) are played before the gain or the run of
        /// source frames may change.
        steady_until: f64,
    };

    /// Whether a play buffer plays frames [pos, until) (frames [done, done + n) of the action)
    /// at one constant gain (its automation settled or from a gain to the same, no gain change
    /// waiting, no mix matrix, no fade or cancel fade in them) from one run of source frames, or
    /// two when its loop wraps once in the block. Then also how long it stays so after the
    /// block, which bounds the fast path.
    fn steadyRun(a: *const Action, pos: f64, done: f64, until: f64) ?SteadyRun {
        if (!(pos < until) or a.kind != .play_buffer or a.events != null or a.routes != null) return null;
        const n = until - pos;
        const gain = a.steadyGain(pos, done, @intFromFloat(n)) orelse return null;
        const at = a.sourceAt(done);
        var first = n;
        var wrapped_frame: f64 = 0;
        var run_end = done + @as(f64, @floatFromInt(at.run));
        if (n > @as(f64, @floatFromInt(at.run))) {
            first = @floatFromInt(at.run);
            const next = a.sourceAt(done + first);
            if (n - first > @as(f64, @floatFromInt(next.run))) return null; // wraps twice
            wrapped_frame = next.frame;
            run_end = done + first + @as(f64, @floatFromInt(next.run));
        }
        // Steady up to the next wrap (or the end of the source), the cancel's fade and the
        // fade-out; a gain change coming zeroes the fast path's budget.
        var steady_until = pick(.min, run_end, a.cancel_fade_start - a.hot.report.start_frame);
        if (a.fade_out > 0) steady_until = pick(.min, steady_until, a.total_frames - a.fade_out + 1);
        return .{ .gain = gain, .source_frame = at.frame, .first = first, .wrapped_frame = wrapped_frame, .steady_until = steady_until };
    }

    /// Adds `frames` frames of `a` from `src` into `out`: the plain sum at gain 1, else times `g`.
    fn mixSteady(out: [*]f32, out_channels: u32, a: *const Action, src: [*]const f32, frames: usize, g: f32) void {
        if (g == 1) {
            mix.mixInto(out, out_channels, src, a.mapping(), a.hot.contiguous, frames);
        } else {
            mix.mixGained(out, out_channels, src, a.hot.source_channels, a.mapping(), a.hot.contiguous, frames, null, g);
        }
    }

    /// Applies the gain changes of `a` whose frame is at or before `pos`, in frame order.
    fn applyGainChanges(m: *Mixer, a: *Action, pos: f64) void {
        while (a.events) |e| {
            const at = e.hot.report.start_frame;
            if (at > pos) break;
            a.events = e.event_next;
            if (a.events == null) a.events_tail = null;
            if (e.stop_frame <= at) {
                m.finish(e, .cancelled);
                continue;
            }
            store(f64, &e.hot.report.actual_time, e.placed_time);
            a.gain_from = a.automationAt(at);
            a.gain_to = e.new_gain;
            a.gain_curve = e.curve;
            a.ramp_start = at;
            a.ramp_end = at + e.ramp;
            m.finish(e, .done);
        }
    }

    /// Plays or records `n` frames of `a` at `offset` frames into the block, `played` frames
    /// into the action; returns how many it moved (fewer: its ring could not).
    fn segment(m: *Mixer, a: *Action, input: ?[*]const f32, output: ?[*]f32, offset: usize, n: u32, played: f64) u32 {
        if (n == 0) return 0;
        const h = m.header;
        const map = a.mapping();
        switch (a.kind) {
            .cancel, .fetch_and_reset_stats, .set_gain => unreachable, // taken care of in startDueActions
            // A buffer action has samples whenever it has frames (submit made sure): an empty one
            // has none, and touches nothing.
            .play_buffer => if (output) |out| {
                // Through the loop: each stretch of consecutive source frames on its own.
                var p = played;
                var o = out + offset * h.output_channels;
                var left: usize = n;
                while (left > 0) {
                    const at = a.sourceAt(p);
                    const k: usize = @min(left, at.run);
                    const src = a.buffer.? + @as(usize, @intFromFloat(at.frame)) * a.hot.source_channels;
                    m.playSource(a, o, src, k, p);
                    p += @floatFromInt(k);
                    o += k * h.output_channels;
                    left -= k;
                }
            },
            .record_buffer => if (input) |in| {
                const dst = a.buffer.? + @as(usize, @intFromFloat(played)) * a.channel_count;
                mix.copyFrom(dst, in + offset * h.input_channels, h.input_channels, map, a.hot.contiguous, n);
            },
            .play_ringbuffer => if (output) |out| {
                const rb = a.ring.?;
                const reg = rb.getReadRegions(n);
                const o = out + offset * h.output_channels;
                m.playSource(a, o, @ptrCast(@alignCast(rb.bytesAt(reg.first_start))), reg.first_count, played);
                m.playSource(a, o + @as(usize, reg.first_count) * h.output_channels, @ptrCast(@alignCast(rb.data)), reg.second_count, played + @as(f64, @floatFromInt(reg.first_count)));
                _ = rb.advanceReadIndex(reg.count);
                if (reg.count < n and a.flags & flag.underflow_silence != 0) {
                    // The rest is silence (the output is zeroed already), and time goes on.
                    store(f64, &a.hot.report.silent_frames, a.hot.report.silent_frames + @as(f64, @floatFromInt(n - reg.count)));
                    return n;
                }
                return reg.count;
            },
            .record_ringbuffer => if (input) |in| {
                const rb = a.ring.?;
                const reg = rb.getWriteRegions(n);
                const i = in + offset * h.input_channels;
                mix.copyFrom(@ptrCast(@alignCast(rb.bytesAt(reg.first_start))), i, h.input_channels, map, a.hot.contiguous, reg.first_count);
                mix.copyFrom(@ptrCast(@alignCast(rb.data)), i + @as(usize, reg.first_count) * h.input_channels, h.input_channels, map, a.hot.contiguous, reg.second_count);
                _ = rb.advanceWriteIndex(reg.count);
                return reg.count;
            },
        }
        return n;
    }

    /// Adds `frames` consecutive source frames into `out`, `played` frames into the action,
    /// with its gain: the plain sum when the gain is 1 and there is no mix matrix (bit-exact),
    /// one constant gain while nothing changes, else a gain per frame, in chunks on the stack.
    fn playSource(m: *Mixer, a: *Action, out: [*]f32, src: [*]const f32, frames: usize, played: f64) void {
        const h = m.header;
        const map = a.mapping();
        var done: usize = 0;
        while (done < frames) {
            const k = @min(frames - done, envelope_chunk);
            const p = played + @as(f64, @floatFromInt(done));
            var env: [envelope_chunk]f32 = undefined;
            const steady = a.steadyGain(a.hot.report.start_frame + p, p, k);
            if (steady == null) a.envelope(a.hot.report.start_frame + p, p, env[0..k]);
            const o = out + done * h.output_channels;
            const s = src + done * a.hot.source_channels;
            const per_frame: ?[*]const f32 = if (steady == null) &env else null;
            const g: f32 = if (steady) |x| @floatCast(x) else 1;
            if (a.routes) |r| {
                const routes = r[0..a.channel_count];
                mix.mixRoutes(o, h.output_channels, s, a.hot.source_channels, routes, k, per_frame, g);
            } else if (per_frame == null and g == 1) {
                mix.mixInto(o, h.output_channels, s, map, a.hot.contiguous, k);
            } else {
                mix.mixGained(o, h.output_channels, s, a.hot.source_channels, map, a.hot.contiguous, k, per_frame, g);
            }
            done += k;
        }
    }
};

/// The smaller or the larger of `x` and `y`, which are never NaN: one compare and select, where
/// @min and @max must also order NaN.
inline fn pick(comptime which: enum { min, max }, x: f64, y: f64) f64 {
    return if ((x < y) == (which == .min)) x else y;
}

/// Frames of gain computed per frame at a time (on the callback's stack: 1 KiB of float32, 2 KiB
/// of float64 while computing).
const envelope_chunk = 256;

const lanes64 = std.simd.suggestVectorLength(f64) orelse 2;
const V64 = @Vector(lanes64, f64);
/// 0, 1, 2, ... lanes64 - 1.
const iota64: V64 = blk: {
    var v: V64 = undefined;
    for (0..lanes64) |i| v[i] = @floatFromInt(i);
    break :blk v;
};

/// g[i] = from + delta * ((t0 + i) * inv): a linear ramp, t0 frames into it.
fn fillLinear(g: []f64, t0: f64, from: f64, delta: f64, inv: f64) void {
    var i: usize = 0;
    while (i + lanes64 <= g.len) : (i += lanes64) {
        const t: V64 = @as(V64, @splat(t0 + @as(f64, @floatFromInt(i)))) + iota64;
        g[i..][0..lanes64].* = @as(V64, @splat(from)) + @as(V64, @splat(delta)) * (t * @as(V64, @splat(inv)));
    }
    while (i < g.len) : (i += 1) g[i] = from + delta * ((t0 + @as(f64, @floatFromInt(i))) * inv);
}

/// g[i] = base + c0 · r^i (powers by repeated multiplication, a vector of them at a time).
fn fillGeometric(g: []f64, base: f64, c0: f64, r: f64) void {
    var powers: V64 = undefined;
    var x: f64 = 1;
    inline for (0..lanes64) |i| {
        powers[i] = x;
        x *= r;
    }
    var c: V64 = @as(V64, @splat(c0)) * powers;
    const step: V64 = @splat(x); // r^lanes64
    var i: usize = 0;
    while (i + lanes64 <= g.len) : (i += lanes64) {
        g[i..][0..lanes64].* = @as(V64, @splat(base)) + c;
        c *= step;
    }
    const rest: [lanes64]f64 = c;
    var j: usize = 0;
    while (i < g.len) : ({
        i += 1;
        j += 1;
    }) g[i] = base + rest[j];
}

/// g[i] *= (p0 + i) * inv: a fade rising from frame p0.
fn scaleRising(g: []f64, p0: f64, inv: f64) void {
    var i: usize = 0;
    while (i + lanes64 <= g.len) : (i += lanes64) {
        const p: V64 = @as(V64, @splat(p0 + @as(f64, @floatFromInt(i)))) + iota64;
        const v: V64 = g[i..][0..lanes64].*;
        g[i..][0..lanes64].* = v * (p * @as(V64, @splat(inv)));
    }
    while (i < g.len) : (i += 1) g[i] *= (p0 + @as(f64, @floatFromInt(i))) * inv;
}

/// g[i] *= (left0 - i) * inv: a fade falling with `left0` frames to go at g[0].
fn scaleFalling(g: []f64, left0: f64, inv: f64) void {
    var i: usize = 0;
    while (i + lanes64 <= g.len) : (i += lanes64) {
        const left: V64 = @as(V64, @splat(left0 - @as(f64, @floatFromInt(i)))) - iota64;
        const v: V64 = g[i..][0..lanes64].*;
        g[i..][0..lanes64].* = v * (left * @as(V64, @splat(inv)));
    }
    while (i < g.len) : (i += 1) g[i] *= (left0 - @as(f64, @floatFromInt(i))) * inv;
}

/// Where a played frame comes from in a play buffer, and how many consecutive source frames
/// follow it before the loop wraps (or the buffer ends).
const SourcePosition = struct { frame: f64, run: usize };

fn runOf(x: f64) usize {
    return if (x >= @as(f64, @floatFromInt(std.math.maxInt(u32)))) std.math.maxInt(u32) else @intFromFloat(x);
}

/// The gain arithmetic of an action, used by the callback and by tests: the same formulas
/// TypeScript's reference renders use (tests/helpers/reference.ts).
fn automation(from: f64, to: f64, ramp_start: f64, ramp_end: f64, curve: Curve, x: f64) f64 {
    if (x <= ramp_start) return if (x >= ramp_end) to else from;
    switch (curve) {
        .linear, .exponential => {
            if (x >= ramp_end) return to;
            const t = (x - ramp_start) * (1 / (ramp_end - ramp_start));
            if (curve == .exponential and from > 0 and to > 0) return from * std.math.pow(f64, to / from, t);
            return from + (to - from) * t;
        },
        .target => {
            const tau = ramp_end - ramp_start;
            if (tau == 0 or x - ramp_start >= 32 * tau) return to;
            return to + (from - to) * @exp(-(x - ramp_start) / tau);
        },
    }
}
