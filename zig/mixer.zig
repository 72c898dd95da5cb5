//! The audio callback's state and its per-block work: rtmixer's action engine.
//!
//! TypeScript fills an action record in a slot of the mixer's pool and sends the slot's index
//! through `action_q`; the callback takes new actions at the start of each block, places each
//! start on the stream's frame clock (zig/clock.zig), runs every active action for its part of
//! the block, and returns finished ones through `result_q`. The pool has as many slots as the
//! result queue holds, so the result queue can never overflow. Nothing in `process` allocates,
//! locks, prints or makes a system call.
const std = @import("std");
const alloc = @import("alloc.zig");
const mix = @import("mix.zig");
const Clock = @import("clock.zig").Clock;
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const Sample = @import("sample.zig").Sample;

/// PortAudio's PaStreamCallbackFlags bits.
pub const status = struct {
    pub const input_underflow: u32 = 0x1;
    pub const input_overflow: u32 = 0x2;
    pub const output_underflow: u32 = 0x4;
    pub const output_overflow: u32 = 0x8;
    pub const priming_output: u32 = 0x10;
};

/// Over- and underflow statistics, of a stream or of one action. Counters are f64 so that
/// TypeScript reads them without BigInt; they stay exact up to 2^53.
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
        if (s.blocks == 0 or f < s.min_blocksize) s.min_blocksize = f;
        if (f > s.max_blocksize) s.max_blocksize = f;
        s.blocks += 1;
        if (flags & status.input_underflow != 0) s.input_underflows += 1;
        if (flags & status.input_overflow != 0) s.input_overflows += 1;
        if (flags & status.output_underflow != 0) s.output_underflows += 1;
        if (flags & status.output_overflow != 0) s.output_overflows += 1;
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
    /// `requested_time` is a frame position on the stream's clock, not seconds.
    pub const start_is_frame: u32 = 2;
};

/// One action record. TypeScript writes the request fields, native code the rest; TypeScript
/// reads it through a view (src/ffi/layout.ts). The mapping follows it in its slot.
pub const Action = extern struct {
    // Written by TypeScript before submitting:
    kind: Kind,
    flags: u32,
    requested_time: f64,
    total_frames: f64,
    serial: u32,
    channel_count: u32,
    target_index: u32,
    target_serial: u32,
    // Written by native code:
    outcome: Outcome,
    /// Whether the mapping is a run of neighbouring channels (decided once, when taken).
    contiguous: u32,
    actual_time: f64,
    start_frame: f64,
    done_frames: f64,
    stop_frame: f64,
    host_start_frame: f64,
    stats: Stats,
    buffer: ?[*]f32,
    ringbuffer: ?*RingBuffer,
    target: ?*Action,
    next: ?*Action,
    /// The shared samples a play action plays (then `buffer` points into them), else null.
    shared: ?*Sample,
    /// The clock that places it (see `subjectClock`), decided when the callback takes it: for a
    /// cancel that is its target's clock, and the target's slot may only be read then.
    clock: ?*Clock,

    /// The 0-based channel numbers, one per source/destination channel.
    pub fn mapping(a: *Action) []u32 {
        const base: [*]u32 = @ptrCast(@alignCast(@as([*]u8, @ptrCast(a)) + @sizeOf(Action)));
        return base[0..a.channel_count];
    }

    fn isPlay(a: *const Action) bool {
        return a.kind == .play_buffer or a.kind == .play_ringbuffer;
    }
    fn isRecord(a: *const Action) bool {
        return a.kind == .record_buffer or a.kind == .record_ringbuffer;
    }
};

comptime {
    // TypeScript's offsets (src/ffi/layout.ts ACTION) depend on these.
    std.debug.assert(@offsetOf(Action, "kind") == 0);
    std.debug.assert(@offsetOf(Action, "requested_time") == 8);
    std.debug.assert(@offsetOf(Action, "total_frames") == 16);
    std.debug.assert(@offsetOf(Action, "serial") == 24);
    std.debug.assert(@offsetOf(Action, "target_serial") == 36);
    std.debug.assert(@offsetOf(Action, "outcome") == 40);
    std.debug.assert(@offsetOf(Action, "actual_time") == 48);
    std.debug.assert(@offsetOf(Action, "host_start_frame") == 80);
    std.debug.assert(@offsetOf(Action, "stats") == 88);
    std.debug.assert(@sizeOf(Action) == 192);
}

comptime {
    // TypeScript's offsets (src/ffi/layout.ts MIXER) depend on these.
    std.debug.assert(@offsetOf(Mixer, "stats") == 0);
    std.debug.assert(@offsetOf(Mixer, "sample_rate") == 64);
    std.debug.assert(@offsetOf(Mixer, "frame_time") == 72);
    std.debug.assert(@offsetOf(Mixer, "output_clock") == 80);
    std.debug.assert(@offsetOf(Mixer, "input_clock") == 80 + @sizeOf(Clock));
    std.debug.assert(@offsetOf(Mixer, "current_clock") == 80 + 2 * @sizeOf(Clock));
    std.debug.assert(@offsetOf(Clock, "applied") == 24);
    std.debug.assert(@sizeOf(Clock) == 72);
    std.debug.assert(@offsetOf(Mixer, "slot_count") == 296);
    std.debug.assert(@offsetOf(Mixer, "slot_bytes") == 300);
    std.debug.assert(@offsetOf(Mixer, "mapping_capacity") == 304);
}

pub const Mixer = extern struct {
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
    slot_count: u32,
    slot_bytes: u32,
    mapping_capacity: u32,
    _pad: u32 = 0,
    slots: [*]align(64) u8,
    action_q: *RingBuffer,
    result_q: *RingBuffer,
    /// Actions taken from `action_q` and not yet finished, in arrival order.
    active: ?*Action = null,

    /// The most channels one action may map (a buffer may repeat output channels).
    pub fn mappingCapacity(input_channels: u32, output_channels: u32) u32 {
        return @max(64, input_channels, output_channels);
    }

    pub fn create(input_channels: u32, output_channels: u32, sample_rate: f64, queue_size: u32) ?*Mixer {
        if (!RingBuffer.isValidSize(queue_size) or !(sample_rate > 0)) return null;
        const capacity = mappingCapacity(input_channels, output_channels);
        const slot_bytes = std.mem.alignForward(u32, @sizeOf(Action) + 4 * capacity, 64);
        const m = alloc.create(Mixer) orelse return null;
        const slots = alloc.alloc(u8, @as(usize, slot_bytes) * queue_size) orelse {
            alloc.destroy(m);
            return null;
        };
        @memset(slots, 0);
        const action_q = RingBuffer.create(4, queue_size, null);
        const result_q = RingBuffer.create(4, queue_size, null);
        if (action_q == null or result_q == null) {
            if (action_q) |q| q.destroy();
            if (result_q) |q| q.destroy();
            alloc.free(slots);
            alloc.destroy(m);
            return null;
        }
        m.* = .{
            .input_channels = input_channels,
            .output_channels = output_channels,
            .sample_rate = sample_rate,
            .output_clock = Clock.init(sample_rate),
            .input_clock = Clock.init(sample_rate),
            .current_clock = Clock.init(sample_rate),
            .slot_count = queue_size,
            .slot_bytes = slot_bytes,
            .mapping_capacity = capacity,
            .slots = slots.ptr,
            .action_q = action_q.?,
            .result_q = result_q.?,
        };
        return m;
    }

    pub fn destroy(m: *Mixer) void {
        for (0..m.slot_count) |i| m.release(@intCast(i), null);
        m.action_q.destroy();
        m.result_q.destroy();
        alloc.free(m.slots[0 .. @as(usize, m.slot_bytes) * m.slot_count]);
        alloc.destroy(m);
    }

    pub fn slot(m: *Mixer, index: u32) *Action {
        std.debug.assert(index < m.slot_count);
        return @ptrCast(@alignCast(m.slots + @as(usize, index) * m.slot_bytes));
    }

    fn indexOf(m: *Mixer, a: *Action) u32 {
        return @intCast((@intFromPtr(a) - @intFromPtr(m.slots)) / m.slot_bytes);
    }

    pub const SubmitError = enum(i32) { ok = 0, bad_slot = -1, bad_action = -2, queue_full = -3, out_of_memory = -4 };

    /// The most frames one buffer action may have (its samples must fit a usize comfortably).
    pub const frames_max: f64 = 1 << 40;

    /// Sends the action in `index` (request fields already written) to the callback. A buffer
    /// action gets native memory of its own: for play, a copy of `data` (read during this call
    /// only); for record, memory that `release` copies out. So the callback never touches memory
    /// a JavaScript engine owns, which it may move, detach, or free while tearing down at exit.
    pub fn submit(m: *Mixer, index: u32, data: ?[*]const f32, ringbuffer: ?*RingBuffer, shared: ?*Sample) SubmitError {
        if (index >= m.slot_count) return .bad_slot;
        const a = m.slot(index);
        if (@intFromEnum(a.kind) > @intFromEnum(Kind.fetch_and_reset_stats)) return .bad_action;
        if (a.channel_count > m.mapping_capacity) return .bad_action;
        const limit = if (a.isPlay()) m.output_channels else if (a.isRecord()) m.input_channels else 0;
        for (a.mapping()) |ch| if (ch >= limit) return .bad_action;
        switch (a.kind) {
            .play_buffer, .record_buffer => {
                const frames = a.total_frames;
                if (!(frames >= 0 and frames <= frames_max and @floor(frames) == frames)) return .bad_action;
                if (a.kind == .play_buffer and data == null and shared == null and frames > 0) return .bad_action;
                if (shared) |sh| {
                    if (a.kind != .play_buffer or frames * @as(f64, @floatFromInt(a.channel_count)) > @as(f64, @floatFromInt(sh.len))) return .bad_action;
                }
            },
            .play_ringbuffer, .record_ringbuffer => {
                const rb = ringbuffer orelse return .bad_action;
                if (rb.element_size != 4 * a.channel_count) return .bad_action;
            },
            .cancel => if (a.target_index >= m.slot_count) return .bad_action,
            .fetch_and_reset_stats => {},
        }
        a.outcome = .pending;
        a.actual_time = 0;
        a.start_frame = -1;
        a.done_frames = 0;
        a.stop_frame = std.math.inf(f64);
        a.host_start_frame = -1;
        a.stats = .{};
        m.release(index, null); // a slot is released before reuse; this only makes sure
        if (shared) |sh| {
            sh.ref();
            a.shared = sh;
            a.buffer = sh.data;
        } else if ((a.kind == .play_buffer or a.kind == .record_buffer) and a.total_frames > 0) {
            const samples = @as(usize, @intFromFloat(a.total_frames)) * a.channel_count;
            const own = alloc.alloc(f32, samples) orelse return .out_of_memory;
            if (a.kind == .play_buffer) @memcpy(own, data.?[0..samples]);
            a.buffer = own.ptr;
        }
        a.ringbuffer = ringbuffer;
        a.target = if (a.kind == .cancel) m.slot(a.target_index) else null;
        a.next = null;
        a.clock = null;
        if (m.action_q.write(@ptrCast(&index), 1) != 1) {
            m.release(index, null);
            return .queue_full;
        }
        return .ok;
    }

    /// Frees the native memory of a finished (collected) action, first copying what a record
    /// action recorded into `dst` (done_frames × channels samples) when given.
    pub fn release(m: *Mixer, index: u32, dst: ?[*]f32) void {
        const a = m.slot(index);
        if (a.shared) |sh| {
            sh.unref();
            a.shared = null;
            a.buffer = null;
            return;
        }
        const buffer = a.buffer orelse return;
        const samples = @as(usize, @intFromFloat(a.total_frames)) * a.channel_count;
        if (a.kind == .record_buffer) {
            if (dst) |d| {
                const done = @as(usize, @intFromFloat(a.done_frames)) * a.channel_count;
                @memcpy(d[0..done], buffer[0..done]);
            }
        }
        alloc.free(@as([]align(64) f32, @alignCast(buffer[0..samples])));
        a.buffer = null;
    }

    /// The index of the next finished action, or null.
    pub fn collect(m: *Mixer) ?u32 {
        var index: u32 = undefined;
        if (m.result_q.read(@ptrCast(&index), 1) != 1) return null;
        return index;
    }

    fn finish(m: *Mixer, a: *Action, outcome: Outcome) void {
        a.outcome = outcome;
        const index = m.indexOf(a);
        const written = m.result_q.write(@ptrCast(&index), 1);
        // The pool has as many slots as the result queue holds: it cannot be full.
        std.debug.assert(written == 1);
    }

    /// The clock that places `a`: the DAC's for play, the ADC's for record, the target's for a
    /// cancel, the block's current time for stats. A cancel's target must be `ownsTarget`.
    fn subjectClock(m: *Mixer, a: *const Action) *Clock {
        const subject = if (a.kind == .cancel) a.target.? else a;
        if (subject.isPlay()) return &m.output_clock;
        if (subject.isRecord()) return &m.input_clock;
        return &m.current_clock;
    }

    /// Whether a cancel's target is still in the callback's hands as the action it was sent for.
    /// Only then may the callback read the target's slot: a slot that came back through
    /// `result_q` may be rewritten by TypeScript for its next action at any moment (a data race,
    /// found by zig/queue_test.zig under the thread sanitizer). A slot in the active list has not
    /// come back, so its fields are stable; its serial tells the original target from a newer
    /// action in the same slot (taken after the cancel, so already in the list when it is due).
    fn ownsTarget(m: *Mixer, cancel: *const Action) bool {
        const target = cancel.target.?;
        return m.findActive(target) and target.serial == cancel.target_serial;
    }

    /// Decides where a newly taken action starts; false if it is dropped as belated.
    fn place(a: *Action, block_start: f64) bool {
        var start = if (a.flags & flag.start_is_frame != 0)
            a.requested_time
        else if (a.requested_time == 0)
            block_start
        else
            a.clock.?.frameAt(a.requested_time);
        if (start < block_start) {
            if (a.flags & flag.allow_belated == 0) return false;
            start = block_start;
        }
        a.start_frame = start;
        // A start by frame or "as soon as possible" does not depend on the host's timestamps:
        // the host would have placed it the same (and nothing is left to note per block).
        if (a.flags & flag.start_is_frame != 0 or a.requested_time == 0) a.host_start_frame = start;
        return true;
    }

    fn findActive(m: *Mixer, target: *Action) bool {
        var it = m.active;
        while (it) |a| : (it = a.next) if (a == target) return true;
        return false;
    }

    /// One block: the whole callback. `input`/`output` are interleaved float32 (or null).
    pub fn process(m: *Mixer, input: ?[*]const f32, output: ?[*]f32, frames: u32, time: BlockTime, flags: u32) void {
        const block_start = m.frame_time;
        const block_end = block_start + @as(f64, @floatFromInt(frames));
        m.stats.count(frames, flags);
        if (output) |out| @memset(out[0 .. @as(usize, frames) * m.output_channels], 0);
        m.output_clock.observe(time.output_dac, block_start, frames);
        m.input_clock.observe(time.input_adc, block_start, frames);
        m.current_clock.observe(time.current, block_start, frames);

        m.takeNewActions(block_start);
        m.applyDueCancels(block_end);

        var link = &m.active;
        while (link.*) |a| {
            const outcome = m.run(a, input, output, frames, block_start, time, flags);
            if (outcome == .pending) {
                link = &a.next;
            } else {
                link.* = a.next;
                m.finish(a, outcome);
            }
        }
        @atomicStore(f64, &m.frame_time, block_end, .release);
    }

    fn takeNewActions(m: *Mixer, block_start: f64) void {
        // New actions go to the end of the list, in arrival order: find it once, not per action.
        var tail = &m.active;
        while (tail.*) |a| tail = &a.next;
        var index: u32 = undefined;
        // Bounded: the queue holds at most slot_count entries.
        while (m.action_q.read(@ptrCast(&index), 1) == 1) {
            const a = m.slot(index);
            // A target is taken before its cancels (FIFO): if it is not active now, it has come
            // back already.
            if (a.kind == .cancel and !m.ownsTarget(a)) {
                m.finish(a, .target_finished);
                continue;
            }
            a.clock = m.subjectClock(a);
            if (!place(a, block_start)) {
                m.finish(a, .dropped_belated);
            } else {
                // A cancel takes effect at its start: its actual time is known now.
                if (a.kind == .cancel) a.actual_time = a.clock.?.timeAt(a.start_frame);
                a.contiguous = @intFromBool(mix.isContiguous(a.mapping()));
                tail.* = a;
                tail = &a.next;
            }
        }
    }

    /// Cancels first: each one due in this block sets its target's stop frame, then finishes.
    fn applyDueCancels(m: *Mixer, block_end: f64) void {
        var link = &m.active;
        while (link.*) |a| {
            if (a.kind != .cancel or a.start_frame >= block_end) {
                link = &a.next;
                continue;
            }
            const target = a.target.?;
            link.* = a.next;
            if (a.stop_frame <= a.start_frame) {
                m.finish(a, .cancelled); // a cancel cancelled before it was due
            } else if (m.ownsTarget(a)) {
                target.stop_frame = @min(target.stop_frame, a.start_frame);
                m.finish(a, .done);
            } else m.finish(a, .target_finished);
        }
    }

    /// Runs one action for its part of this block; returns its outcome if it finished.
    fn run(m: *Mixer, a: *Action, input: ?[*]const f32, output: ?[*]f32, frames: u32, block_start: f64, time: BlockTime, flags: u32) Outcome {
        if (a.stop_frame <= a.start_frame) return .cancelled; // cancelled before it started
        const block_end = block_start + @as(f64, @floatFromInt(frames));
        if (a.kind != .fetch_and_reset_stats and a.host_start_frame < 0) m.noteHostStart(a, block_start, frames, time);
        if (a.start_frame >= block_end) return .pending; // not yet
        const from = @max(a.start_frame + a.done_frames, block_start);
        const until = @min(block_end, a.stop_frame, a.start_frame + a.total_frames);
        const offset: usize = @intFromFloat(from - block_start);
        const n: u32 = @intFromFloat(@max(until - from, 0));
        if (a.done_frames == 0 and a.actual_time == 0) a.actual_time = a.clock.?.timeAt(a.start_frame);
        a.stats.count(frames, flags);

        var outcome: Outcome = .pending;
        switch (a.kind) {
            .fetch_and_reset_stats => {
                a.stats = m.stats;
                m.stats = .{};
                return .done;
            },
            .cancel => unreachable, // applied in applyDueCancels
            .play_buffer => if (output) |out| {
                const src = a.buffer.? + @as(usize, @intFromFloat(a.done_frames)) * a.channel_count;
                mix.mixInto(out + offset * m.output_channels, m.output_channels, src, a.mapping(), a.contiguous != 0, n);
            },
            .record_buffer => if (input) |in| {
                const dst = a.buffer.? + @as(usize, @intFromFloat(a.done_frames)) * a.channel_count;
                mix.copyFrom(dst, in + offset * m.input_channels, m.input_channels, a.mapping(), a.contiguous != 0, n);
            },
            .play_ringbuffer => if (output) |out| {
                const rb = a.ringbuffer.?;
                const r = rb.getReadRegions(n);
                const map = a.mapping();
                const contiguous = a.contiguous != 0;
                const o = out + offset * m.output_channels;
                mix.mixInto(o, m.output_channels, @ptrCast(@alignCast(rb.bytesAt(r.first_start))), map, contiguous, r.first_count);
                mix.mixInto(o + @as(usize, r.first_count) * m.output_channels, m.output_channels, @ptrCast(@alignCast(rb.data)), map, contiguous, r.second_count);
                _ = rb.advanceReadIndex(r.count);
                if (r.count < n) outcome = .ring_ended;
                a.done_frames += @floatFromInt(r.count);
                return m.ended(a, outcome, block_end);
            },
            .record_ringbuffer => if (input) |in| {
                const rb = a.ringbuffer.?;
                const r = rb.getWriteRegions(n);
                const map = a.mapping();
                const contiguous = a.contiguous != 0;
                const i = in + offset * m.input_channels;
                mix.copyFrom(@ptrCast(@alignCast(rb.bytesAt(r.first_start))), i, m.input_channels, map, contiguous, r.first_count);
                mix.copyFrom(@ptrCast(@alignCast(rb.data)), i + @as(usize, r.first_count) * m.input_channels, m.input_channels, map, contiguous, r.second_count);
                _ = rb.advanceWriteIndex(r.count);
                if (r.count < n) outcome = .ring_ended;
                a.done_frames += @floatFromInt(r.count);
                return m.ended(a, outcome, block_end);
            },
        }
        a.done_frames += @floatFromInt(n);
        return m.ended(a, outcome, block_end);
    }

    fn ended(m: *Mixer, a: *Action, outcome: Outcome, block_end: f64) Outcome {
        _ = m;
        if (outcome != .pending) return outcome;
        const position = a.start_frame + a.done_frames;
        if (a.done_frames >= a.total_frames) return .done;
        if (position >= a.stop_frame) return .cancelled;
        std.debug.assert(position <= block_end);
        return .pending;
    }

    /// Records where the host's raw block timestamp would have placed the start (what rtmixer
    /// does), for comparison in the benchmarks. Only for starts given in seconds.
    fn noteHostStart(m: *Mixer, a: *Action, block_start: f64, frames: u32, time: BlockTime) void {
        // By the clock decided at take: a cancel's target may have come back since.
        const clock = a.clock.?;
        const host_time = if (clock == &m.output_clock) time.output_dac else if (clock == &m.input_clock) time.input_adc else time.current;
        const offset = @round((a.requested_time - host_time) * m.sample_rate);
        if (offset < @as(f64, @floatFromInt(frames))) a.host_start_frame = block_start + @max(offset, 0);
    }
};
