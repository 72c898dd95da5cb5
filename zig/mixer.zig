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

    fn isPlay(k: Kind) bool {
        return k == .play_buffer or k == .play_ringbuffer;
    }
    fn isRecord(k: Kind) bool {
        return k == .record_buffer or k == .record_ringbuffer;
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
    pub const all: u32 = 3;
};

/// What TypeScript reads of one action, through a view on its page. Written by native code only:
/// by `submit` on the JavaScript thread before the callback has the action, then by the
/// callback (atomic stores) until the action is finished.
pub const Report = extern struct {
    outcome: Outcome = .pending,
    /// The action's serial, for a cancel's `target_serial`.
    serial: u32 = 0,
    /// The stream time of the first frame (0 until it starts).
    actual_time: f64 = 0,
    /// Where it starts on the stream's frame clock (-1 until placed).
    start_frame: f64 = -1,
    done_frames: f64 = 0,
    stats: Stats = .{},
};

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
    /// For a cancel: its target's slot and serial.
    target_slot: u32,
    target_serial: u32,
    _pad: u32 = 0,
    /// 0-based channel numbers, `channel_count` of them.
    mapping: [mapping_max]u32,
};

/// Actions per page of the pool.
pub const page_slots = 256;
/// The most frames a buffer action may have (its samples must fit a usize comfortably).
pub const frames_max: f64 = 1 << 40;
/// The largest frame position a start may name (exact in an f64).
pub const position_max: f64 = 1 << 53;

/// Where a slot is, as the JavaScript thread sees it; written on that thread only.
const Stage = enum(u32) { free, in_flight, returned };

/// One action, private to native code. Fixed by `submit` before the callback takes it; the
/// callback's fields change only while it holds the action.
pub const Action = struct {
    slot: u32,
    stage: Stage = .free,
    report: *Report,

    kind: Kind = .play_buffer,
    flags: u32 = 0,
    serial: u32 = 0,
    requested: f64 = 0,
    total_frames: f64 = 0,
    channel_count: u32 = 0,
    mapping_inline: [mapping_inline]u32 = undefined,
    mapping_owned: ?[]align(64) u32 = null,
    /// The samples played or recorded: `owned`, or a shared Sample's.
    buffer: ?[*]f32 = null,
    /// Memory this action allocated (its copy of played samples, or its recording).
    owned: ?[]align(64) f32 = null,
    shared: ?*Sample = null,
    ring: ?*RingBuffer = null,
    /// A cancel's target, and the serial the target had when the cancel was sent.
    target: ?*Action = null,
    target_serial: u32 = 0,

    // The callback's, while it holds the action:
    /// The serial while the callback holds the action, else 0. Only the callback writes it, so
    /// a cancel can tell, without a race, whether its target is still the action it was sent for
    /// (TypeScript rewrites the other fields when it reuses a slot that came back).
    held_serial: u32 = 0,
    contiguous: bool = false,
    clock: *Clock = undefined,
    /// The stream time of the start frame by the clock offset that placed it: what `actual_time`
    /// reports once the action starts. (The offset may move before the start; the frame does not,
    /// and the time must name the same moment the placement meant.)
    placed_time: f64 = 0,
    stop_frame: f64 = std.math.inf(f64),
    node: heap.Node = .{},
    /// The link of `incoming`, `finished` and the collected list (one at a time).
    queue_next: ?*Action = null,
    /// The link of the active list.
    active_next: ?*Action = null,

    pub fn mapping(a: *const Action) []const u32 {
        if (a.mapping_owned) |m| return m[0..a.channel_count];
        return a.mapping_inline[0..a.channel_count];
    }

    fn fromNode(n: *heap.Node) *Action {
        return @fieldParentPtr("node", n);
    }

    /// Frees what the action allocated and drops its references, once nothing runs it.
    fn releaseResources(a: *Action) void {
        if (a.owned) |o| alloc.free(o);
        if (a.mapping_owned) |m| alloc.free(m);
        if (a.shared) |s| s.unref();
        if (a.ring) |rb| {
            rb.unclaim(if (a.kind.isPlay()) RingBuffer.side.reader else RingBuffer.side.writer);
            rb.unref();
        }
        a.owned = null;
        a.mapping_owned = null;
        a.shared = null;
        a.ring = null;
        a.buffer = null;
        a.target = null;
    }
};

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
    std.debug.assert(@offsetOf(Report, "stats") == 32);
    std.debug.assert(@sizeOf(Report) == 88);
    std.debug.assert(@offsetOf(Request, "mapping") == 40);
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
            a.* = .{ .slot = m.slotCount() + @as(u32, @intCast(i)), .report = r };
        }
        m.pages[m.page_count] = page;
        m.page_count += 1;
        return m.slotCount();
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

    /// Sends the request in the request block to the callback, in free slot `slot`. A play
    /// buffer's samples (`samples_bytes` bytes at `samples`) are copied now; a shared Sample is
    /// referenced instead; a record buffer gets native memory that `release` copies out. So the
    /// callback never touches memory a JavaScript engine owns, which it may move, detach, or free
    /// while tearing down at exit.
    pub fn submit(m: *Mixer, slot: u32, samples: ?[*]const u8, samples_bytes: usize, ring: ?*RingBuffer, shared: ?*Sample) SubmitError {
        const a = m.action(slot) orelse return .bad_slot;
        if (a.stage != .free) return .bad_slot;
        const req = m.request.*; // read once: what is checked is what is used
        const kind = std.enums.fromInt(Kind, req.kind) orelse return .bad_request;
        if (req.flags & ~flag.all != 0) return .bad_request;
        if (!validStart(req.requested, req.flags)) return .bad_request;
        const channels = req.channel_count;
        const limit = if (kind.isPlay()) m.header.output_channels else if (kind.isRecord()) m.header.input_channels else 0;
        if (kind.isPlay() or kind.isRecord()) {
            if (channels == 0 or channels > mapping_max) return .bad_request;
        } else if (channels != 0) return .bad_request;
        for (req.mapping[0..channels]) |ch| if (ch >= limit) return .bad_request;

        var frames: f64 = 0;
        var target: ?*Action = null;
        switch (kind) {
            .play_buffer, .record_buffer => {
                frames = req.total_frames;
                if (!(frames >= 0 and frames <= frames_max and @floor(frames) == frames)) return .bad_request;
                const needed = @as(usize, @intFromFloat(frames)) * channels;
                if (kind == .play_buffer) {
                    if (shared) |s| {
                        if (needed > s.len) return .bad_samples;
                    } else if (needed * @sizeOf(f32) > samples_bytes or (samples == null and needed > 0)) return .bad_samples;
                } else if (shared != null) return .bad_samples;
                if (ring != null) return .bad_ring;
            },
            .play_ringbuffer, .record_ringbuffer => {
                const rb = ring orelse return .bad_ring;
                if (rb.element_size != 4 * channels or rb.owns_data == 0) return .bad_ring;
                if (@intFromPtr(rb.data) % @alignOf(f32) != 0) return .bad_ring;
                if (rb.claims & sideOf(kind) != 0) return .ring_busy;
                if (shared != null) return .bad_samples;
                frames = std.math.inf(f64);
            },
            .cancel => {
                target = m.action(req.target_slot) orelse return .bad_request;
                if (ring != null or shared != null) return .bad_request;
            },
            .fetch_and_reset_stats => if (ring != null or shared != null) return .bad_request,
        }

        // Everything checked: allocate, then commit (nothing below can fail after an allocation
        // that is not undone).
        var mapping_owned: ?[]align(64) u32 = null;
        if (channels > mapping_inline) mapping_owned = alloc.alloc(u32, channels) orelse return .out_of_memory;
        var owned: ?[]align(64) f32 = null;
        if ((kind == .play_buffer and shared == null) or kind == .record_buffer) {
            const n = @as(usize, @intFromFloat(frames)) * channels;
            if (n > 0) {
                owned = alloc.alloc(f32, n) orelse {
                    if (mapping_owned) |mo| alloc.free(mo);
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
        a.mapping_owned = mapping_owned;
        if (mapping_owned) |mo| @memcpy(mo, req.mapping[0..channels]) else @memcpy(a.mapping_inline[0..channels], req.mapping[0..channels]);
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
        a.report.* = .{ .serial = a.serial };
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
                const samples = @as(usize, @intFromFloat(a.report.done_frames)) * a.channel_count;
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
            m.finish(a, .pending);
        }
        while (m.waiting.pop()) |n| m.finish(Action.fromNode(n), .pending);
        while (m.active) |a| {
            m.active = a.active_next;
            m.finish(a, .pending);
        }
        m.active_tail = null;
    }

    fn finish(m: *Mixer, a: *Action, outcome: Outcome) void {
        store(Outcome, &a.report.outcome, outcome);
        a.held_serial = 0;
        a.active_next = null;
        var head = @atomicLoad(?*Action, &m.finished, .monotonic);
        while (true) {
            a.queue_next = head;
            head = @cmpxchgWeak(?*Action, &m.finished, head, a, .release, .monotonic) orelse break;
        }
    }

    /// The clock that places `kind`: the DAC's for play, the ADC's for record, the block's current
    /// time for the rest.
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

    /// Decides where a newly taken action starts; false if it is dropped as belated.
    fn place(a: *Action, block_start: f64) bool {
        var start = if (a.flags & flag.start_is_frame != 0)
            a.requested
        else if (a.requested == 0)
            block_start
        else
            a.clock.frameAt(a.requested);
        if (start < block_start) {
            if (a.flags & flag.allow_belated == 0) return false;
            start = block_start;
        }
        store(f64, &a.report.start_frame, start);
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
        m.startDueActions(block_end);

        var link = &m.active;
        var last: ?*Action = null;
        while (link.*) |a| {
            const outcome = m.run(a, input, output, frames, block_start, flags);
            if (outcome == .pending) {
                last = a;
                link = &a.active_next;
            } else {
                link.* = a.active_next;
                m.finish(a, outcome);
            }
        }
        m.active_tail = last;
        @atomicStore(f64, &h.frame_time, block_end, .release);
    }

    fn takeNewActions(m: *Mixer, block_start: f64) void {
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
            if (a.kind == .cancel and !holdsTarget(a)) {
                m.finish(a, .target_finished);
                continue;
            }
            a.clock = m.clockOf(if (a.kind == .cancel) a.target.?.kind else a.kind);
            if (!place(a, block_start)) {
                m.finish(a, .dropped_belated);
                continue;
            }
            // A cancel takes effect at its start: its actual time is known now.
            if (a.kind == .cancel) store(f64, &a.report.actual_time, a.placed_time);
            a.contiguous = mix.isContiguous(a.mapping());
            a.node.key = a.report.start_frame;
            a.node.seq = m.taken;
            m.taken += 1;
            m.waiting.insert(&a.node);
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
                .fetch_and_reset_stats => {
                    store(f64, &a.report.actual_time, a.placed_time);
                    a.report.stats.set(m.header.stats);
                    m.header.stats.set(.{});
                    m.finish(a, .done);
                },
                else => {
                    if (m.active_tail) |t| t.active_next = a else m.active = a;
                    a.active_next = null;
                    m.active_tail = a;
                },
            }
        }
    }

    fn applyCancel(m: *Mixer, c: *Action) void {
        if (c.stop_frame <= c.report.start_frame) return m.finish(c, .cancelled); // cancelled itself
        if (!holdsTarget(c)) return m.finish(c, .target_finished);
        const target = c.target.?;
        target.stop_frame = @min(target.stop_frame, c.report.start_frame);
        if (target.node.in_heap and target.stop_frame <= target.node.key) {
            m.waiting.remove(&target.node);
            m.finish(target, .cancelled);
        }
        m.finish(c, .done);
    }

    /// Runs one action for its part of this block; returns its outcome if it finished.
    fn run(m: *Mixer, a: *Action, input: ?[*]const f32, output: ?[*]f32, frames: u32, block_start: f64, flags: u32) Outcome {
        const r = a.report;
        const start = r.start_frame;
        if (a.stop_frame <= start) return .cancelled; // cancelled before it started
        const block_end = block_start + @as(f64, @floatFromInt(frames));
        const done = r.done_frames;
        const from = @max(start + done, block_start);
        const until = @min(block_end, a.stop_frame, start + a.total_frames);
        const offset: usize = @intFromFloat(from - block_start);
        const n: u32 = @intFromFloat(@max(until - from, 0));
        if (done == 0 and r.actual_time == 0) store(f64, &r.actual_time, a.placed_time);
        r.stats.count(frames, flags);
        const h = m.header;
        const map = a.mapping();
        const contiguous = a.contiguous;

        var moved: u32 = n;
        switch (a.kind) {
            .cancel, .fetch_and_reset_stats => unreachable, // taken care of in startDueActions
            // A buffer action has samples whenever it has frames (submit made sure): an empty one
            // has none, and touches nothing.
            .play_buffer => if (output) |out| if (n > 0) {
                const src = a.buffer.? + @as(usize, @intFromFloat(done)) * a.channel_count;
                mix.mixInto(out + offset * h.output_channels, h.output_channels, src, map, contiguous, n);
            },
            .record_buffer => if (input) |in| if (n > 0) {
                const dst = a.buffer.? + @as(usize, @intFromFloat(done)) * a.channel_count;
                mix.copyFrom(dst, in + offset * h.input_channels, h.input_channels, map, contiguous, n);
            },
            .play_ringbuffer => if (output) |out| {
                const rb = a.ring.?;
                const reg = rb.getReadRegions(n);
                const o = out + offset * h.output_channels;
                mix.mixInto(o, h.output_channels, @ptrCast(@alignCast(rb.bytesAt(reg.first_start))), map, contiguous, reg.first_count);
                mix.mixInto(o + @as(usize, reg.first_count) * h.output_channels, h.output_channels, @ptrCast(@alignCast(rb.data)), map, contiguous, reg.second_count);
                _ = rb.advanceReadIndex(reg.count);
                moved = reg.count;
            },
            .record_ringbuffer => if (input) |in| {
                const rb = a.ring.?;
                const reg = rb.getWriteRegions(n);
                const i = in + offset * h.input_channels;
                mix.copyFrom(@ptrCast(@alignCast(rb.bytesAt(reg.first_start))), i, h.input_channels, map, contiguous, reg.first_count);
                mix.copyFrom(@ptrCast(@alignCast(rb.data)), i + @as(usize, reg.first_count) * h.input_channels, h.input_channels, map, contiguous, reg.second_count);
                _ = rb.advanceWriteIndex(reg.count);
                moved = reg.count;
            },
        }
        const now_done = done + @as(f64, @floatFromInt(moved));
        store(f64, &r.done_frames, now_done);
        if (moved < n) return .ring_ended;
        if (now_done >= a.total_frames) return .done;
        if (start + now_done >= a.stop_frame) return .cancelled;
        std.debug.assert(start + now_done <= block_end);
        return .pending;
    }
};
