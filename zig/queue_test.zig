//! The action queues across two threads, as in a running stream: this thread plays TypeScript's
//! part (fills the request block with plain stores, submits, collects, releases, feeds and
//! drains ring buffers) while a selftest.Driver thread runs the callback's block processing back
//! to back. Under `zig build test -Dtsan=true` the thread sanitizer sees every cross-thread access
//! of the real protocol: actions handed over through `incoming` and back through `finished`,
//! cancels whose targets come back (and whose slots are reused) while the cancel waits, ring
//! actions, live reports.
const std = @import("std");
const testing = std.testing;
const mixer = @import("mixer.zig");
const Mixer = mixer.Mixer;
const Kind = mixer.Kind;
const Outcome = mixer.Outcome;
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const selftest = @import("selftest.zig");
const root = @import("root.zig");

const queue_size = 64;
const actions_total = 20_000;
const frames_max = 300;

const Submitter = struct {
    m: *Mixer,
    rand: std.Random,
    in_flight: [queue_size]bool = @splat(false),
    serials: [queue_size]u32 = @splat(0),
    kinds: [queue_size]Kind = undefined,
    free: [queue_size]u32 = undefined,
    free_len: u32 = queue_size,
    submitted: u32 = 0,
    returned: u32 = 0,
    outcomes: [6]u32 = @splat(0),
    play_ring: *RingBuffer,
    record_ring: *RingBuffer,
    /// The slot of the action on each ring (at most one per ring: one reader, one writer).
    play_ring_slot: ?u32 = null,
    record_ring_slot: ?u32 = null,
    samples: [2 * frames_max]f32 = @splat(0.5),
    recorded: [2 * frames_max]f32 = undefined,

    fn init(m: *Mixer, rand: std.Random, play_ring: *RingBuffer, record_ring: *RingBuffer) Submitter {
        var s: Submitter = .{ .m = m, .rand = rand, .play_ring = play_ring, .record_ring = record_ring };
        for (&s.free, 0..) |*f, i| f.* = @intCast(i);
        return s;
    }

    fn now(s: *Submitter) f64 {
        return @atomicLoad(f64, &s.m.header.frame_time, .acquire);
    }

    /// A start: as soon as possible, a frame soon, or (without allow_belated) one long past.
    fn timing(s: *Submitter, q: *mixer.Request) void {
        switch (s.rand.uintLessThan(u32, 4)) {
            0, 1 => {
                q.flags = mixer.flag.allow_belated;
                q.requested = 0;
            },
            2 => {
                q.flags = mixer.flag.allow_belated | mixer.flag.start_is_frame;
                q.requested = @floor(s.now()) + @as(f64, @floatFromInt(s.rand.uintLessThan(u32, 2000)));
            },
            else => {
                q.flags = mixer.flag.start_is_frame;
                q.requested = 0;
            },
        }
    }

    /// A random target for a cancel, gain change or chained start.
    fn target(s: *Submitter, q: *mixer.Request) void {
        const t = s.rand.uintLessThan(u32, queue_size);
        q.target_slot = t;
        // As TypeScript: a target no longer in flight gets a serial that cannot match.
        q.target_serial = if (s.in_flight[t]) s.serials[t] else 0;
    }

    /// Fills the request block with plain stores (as TypeScript does) and submits it.
    fn submitOne(s: *Submitter) !void {
        if (s.free_len == 0) return;
        const index = s.free[s.free_len - 1];
        const q = s.m.request;
        s.timing(q);
        var data: ?[*]const u8 = null;
        var ring: ?*RingBuffer = null;
        var kind: Kind = undefined;
        switch (s.rand.uintLessThan(u32, 11)) {
            0...2 => {
                kind = .play_buffer;
                data = @ptrCast(&s.samples);
            },
            3 => kind = .record_buffer,
            4 => {
                if (s.play_ring_slot != null) return;
                kind = .play_ringbuffer;
                ring = s.play_ring;
            },
            5 => {
                if (s.record_ring_slot != null) return;
                kind = .record_ringbuffer;
                ring = s.record_ring;
            },
            6, 7 => {
                kind = .cancel;
                s.target(q);
                q.ramp = if (s.rand.boolean()) 0 else @floatFromInt(s.rand.uintLessThan(u32, 100));
            },
            8 => kind = .fetch_and_reset_stats,
            9 => {
                kind = .set_gain;
                s.target(q);
                q.gain = 0.5;
                q.ramp = @floatFromInt(s.rand.uintLessThan(u32, 100));
                q.curve = 0;
            },
            else => {
                // Chained after a random action (gapless), maybe one that has finished.
                kind = .play_buffer;
                data = @ptrCast(&s.samples);
                s.target(q);
                q.flags |= mixer.flag.after;
            },
        }
        q.kind = @intFromEnum(kind);
        if (kind != .set_gain) q.gain = 1;
        q.loop_count = 1;
        const buffered = kind == .play_buffer or kind == .record_buffer;
        q.total_frames = if (buffered) @floatFromInt(1 + s.rand.uintLessThan(u32, frames_max)) else 0;
        q.channel_count = if (kind == .cancel or kind == .fetch_and_reset_stats or kind == .set_gain) 0 else 2;
        q.mapping[0] = 0;
        q.mapping[1] = 1;
        try testing.expectEqual(mixer.SubmitError.ok, s.m.submit(index, data, @sizeOf(@TypeOf(s.samples)), ring, null));
        s.free_len -= 1;
        s.in_flight[index] = true;
        s.serials[index] = s.m.action(index).?.hot.report.serial;
        s.kinds[index] = kind;
        s.submitted += 1;
        if (kind == .play_ringbuffer) s.play_ring_slot = index;
        if (kind == .record_ringbuffer) s.record_ring_slot = index;
    }

    /// Takes back every finished action and checks that it came back once, with a sane ending.
    fn collectAll(s: *Submitter) !void {
        while (s.m.collect()) |index| {
            try testing.expect(s.in_flight[index]);
            const a = s.m.action(index).?;
            const r = a.hot.report;
            try testing.expectEqual(s.serials[index], r.serial);
            const outcome = r.outcome;
            try testing.expect(outcome != .pending);
            s.outcomes[@intFromEnum(outcome)] += 1;
            switch (s.kinds[index]) {
                .play_buffer, .record_buffer => switch (outcome) {
                    .done => try testing.expectEqual(a.total_frames, r.done_frames),
                    .dropped_belated => try testing.expectEqual(@as(f64, 0), r.done_frames),
                    .cancelled => try testing.expect(r.done_frames < a.total_frames),
                    else => return error.TestUnexpectedResult,
                },
                .play_ringbuffer, .record_ringbuffer => {
                    try testing.expect(outcome == .ring_ended or outcome == .cancelled or outcome == .dropped_belated);
                    if (s.kinds[index] == .play_ringbuffer) s.play_ring_slot = null else s.record_ring_slot = null;
                },
                .cancel, .set_gain => try testing.expect(outcome == .done or outcome == .target_finished or
                    outcome == .cancelled or outcome == .dropped_belated),
                .fetch_and_reset_stats => try testing.expect(outcome == .done or outcome == .dropped_belated or outcome == .cancelled),
            }
            const dst: ?[*]u8 = if (s.kinds[index] == .record_buffer) @ptrCast(&s.recorded) else null;
            try testing.expectEqual(mixer.ReleaseStatus.ok, s.m.release(index, dst, @sizeOf(@TypeOf(s.recorded))));
            s.in_flight[index] = false;
            s.free[s.free_len] = index;
            s.free_len += 1;
            s.returned += 1;
        }
    }

    /// TypeScript's side of the rings: keeps the played one fed, the recorded one drained.
    fn serveRings(s: *Submitter) void {
        var frames: [64 * 2]f32 = @splat(0.25);
        _ = s.play_ring.writeChecked(@ptrCast(&frames), @sizeOf(@TypeOf(frames)), s.rand.uintLessThan(u32, 64));
        while (s.record_ring.readChecked(@ptrCast(&frames), @sizeOf(@TypeOf(frames)), 64) > 0) {}
    }
};

test "actions submitted on one thread and processed on another all come back once, with sane endings" {
    const m = Mixer.create(2, 2, 48000, queue_size).?;
    defer m.destroy();
    const play_ring = RingBuffer.create(8, 512, null, 0).?;
    defer play_ring.unref();
    const record_ring = RingBuffer.create(8, 512, null, 0).?;
    defer record_ring.unref();
    var prng = std.Random.DefaultPrng.init(0x51a7e);
    var s = Submitter.init(m, prng.random(), play_ring, record_ring);

    const driver = selftest.driverStart(m, m.header, @ptrCast(&root.rtm_mixer_process), 64).?;
    var stopped = false;
    defer if (!stopped) {
        _ = selftest.driverStop(driver);
    };
    while (s.submitted < actions_total) {
        try s.collectAll();
        s.serveRings();
        try s.submitOne();
    }
    // The rest: future starts come due, ring actions end once their rings run dry or full.
    var spins: u32 = 0;
    while (s.returned < s.submitted and spins < 50_000_000) : (spins += 1) {
        try s.collectAll();
        std.Thread.yield() catch {};
    }
    const blocks = selftest.driverStop(driver);
    stopped = true;
    try s.collectAll();
    try testing.expectEqual(s.submitted, s.returned);
    try testing.expect(blocks > 0);
    // Every kind of ending happened (the test would prove little otherwise).
    for ([_]Outcome{ .done, .dropped_belated, .cancelled, .ring_ended, .target_finished }) |o| {
        try testing.expect(s.outcomes[@intFromEnum(o)] > 0);
    }
}
