//! The action queues across two threads, as in a running stream: this thread plays TypeScript's
//! part (fills free slots with plain stores, submits, collects, releases, feeds and drains ring
//! buffers) while a selftest.Driver thread runs the callback's block processing back to back.
//! Under `zig build test -Dtsan=true` the thread sanitizer sees every cross-thread access of the
//! real protocol: slots handed over through action_q and back through result_q, cancels whose
//! targets come back (and whose slots are reused) while the cancel waits, ring actions.
const std = @import("std");
const testing = std.testing;
const mixer = @import("mixer.zig");
const Mixer = mixer.Mixer;
const Action = mixer.Action;
const Kind = mixer.Kind;
const Outcome = mixer.Outcome;
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const selftest = @import("selftest.zig");

const queue_size = 64;
const actions_total = 20_000;
const frames_max = 300;

const Submitter = struct {
    m: *Mixer,
    rand: std.Random,
    in_flight: [queue_size]bool = @splat(false),
    serials: [queue_size]u32 = @splat(0),
    free: [queue_size]u32 = undefined,
    free_len: u32 = queue_size,
    serial: u32 = 0,
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
        return @atomicLoad(f64, &s.m.frame_time, .acquire);
    }

    /// A start: as soon as possible, a frame soon, or (without allow_belated) one long past.
    fn timing(s: *Submitter, a: *Action) void {
        switch (s.rand.uintLessThan(u32, 4)) {
            0, 1 => {
                a.flags = mixer.flag.allow_belated;
                a.requested_time = 0;
            },
            2 => {
                a.flags = mixer.flag.allow_belated | mixer.flag.start_is_frame;
                a.requested_time = @floor(s.now()) + @as(f64, @floatFromInt(s.rand.uintLessThan(u32, 2000)));
            },
            else => {
                a.flags = mixer.flag.start_is_frame;
                a.requested_time = 0;
            },
        }
    }

    /// Fills a free slot with plain stores (as TypeScript does) and submits it.
    fn submitOne(s: *Submitter) !void {
        if (s.free_len == 0) return;
        const index = s.free[s.free_len - 1];
        const a = s.m.slot(index);
        s.serial +%= 1;
        if (s.serial == 0) s.serial = 1;
        a.serial = s.serial;
        s.timing(a);
        var data: ?[*]const f32 = null;
        var ring: ?*RingBuffer = null;
        const channels: []const u32 = &.{ 0, 1 };
        switch (s.rand.uintLessThan(u32, 9)) {
            0...2 => {
                a.kind = .play_buffer;
                data = &s.samples;
            },
            3 => a.kind = .record_buffer,
            4 => {
                if (s.play_ring_slot != null) return;
                a.kind = .play_ringbuffer;
                ring = s.play_ring;
            },
            5 => {
                if (s.record_ring_slot != null) return;
                a.kind = .record_ringbuffer;
                ring = s.record_ring;
            },
            6, 7 => {
                a.kind = .cancel;
                const target = s.rand.uintLessThan(u32, queue_size);
                a.target_index = target;
                // As TypeScript: a target no longer in flight gets a serial that cannot match.
                a.target_serial = if (s.in_flight[target]) s.serials[target] else 0;
            },
            else => a.kind = .fetch_and_reset_stats,
        }
        const buffered = a.kind == .play_buffer or a.kind == .record_buffer;
        a.total_frames = if (buffered) @floatFromInt(1 + s.rand.uintLessThan(u32, frames_max)) else if (ring != null) std.math.inf(f64) else 0;
        a.channel_count = if (a.kind == .cancel or a.kind == .fetch_and_reset_stats) 0 else 2;
        @memcpy(a.mapping(), channels[0..a.channel_count]);
        try testing.expectEqual(Mixer.SubmitError.ok, s.m.submit(index, data, ring, null));
        s.free_len -= 1;
        s.in_flight[index] = true;
        s.serials[index] = s.serial;
        s.submitted += 1;
        if (a.kind == .play_ringbuffer) s.play_ring_slot = index;
        if (a.kind == .record_ringbuffer) s.record_ring_slot = index;
    }

    /// Takes back every finished action and checks that it came back once, with a sane ending.
    fn collectAll(s: *Submitter) !void {
        while (s.m.collect()) |index| {
            try testing.expect(s.in_flight[index]);
            const a = s.m.slot(index);
            try testing.expectEqual(s.serials[index], a.serial);
            const outcome = a.outcome;
            try testing.expect(outcome != .pending);
            s.outcomes[@intFromEnum(outcome)] += 1;
            switch (a.kind) {
                .play_buffer, .record_buffer => switch (outcome) {
                    .done => try testing.expectEqual(a.total_frames, a.done_frames),
                    .dropped_belated => try testing.expectEqual(@as(f64, 0), a.done_frames),
                    .cancelled => try testing.expect(a.done_frames < a.total_frames),
                    else => return error.TestUnexpectedResult,
                },
                .play_ringbuffer, .record_ringbuffer => {
                    try testing.expect(outcome == .ring_ended or outcome == .cancelled or outcome == .dropped_belated);
                    if (a.kind == .play_ringbuffer) s.play_ring_slot = null else s.record_ring_slot = null;
                },
                .cancel => try testing.expect(outcome == .done or outcome == .target_finished or
                    outcome == .cancelled or outcome == .dropped_belated),
                .fetch_and_reset_stats => try testing.expect(outcome == .done or outcome == .dropped_belated or outcome == .cancelled),
            }
            s.m.release(index, if (a.kind == .record_buffer) &s.recorded else null);
            s.in_flight[index] = false;
            s.free[s.free_len] = index;
            s.free_len += 1;
            s.returned += 1;
        }
    }

    /// TypeScript's side of the rings: keeps the played one fed, the recorded one drained.
    fn serveRings(s: *Submitter) void {
        var frames: [64 * 2]f32 = @splat(0.25);
        _ = s.play_ring.write(@ptrCast(&frames), s.rand.uintLessThan(u32, 64));
        while (s.record_ring.read(@ptrCast(&frames), 64) > 0) {}
    }
};

test "actions submitted on one thread and processed on another all come back once, with sane endings" {
    const m = Mixer.create(2, 2, 48000, queue_size).?;
    defer m.destroy();
    const play_ring = RingBuffer.create(8, 512, null).?;
    defer play_ring.destroy();
    const record_ring = RingBuffer.create(8, 512, null).?;
    defer record_ring.destroy();
    var prng = std.Random.DefaultPrng.init(0x51a7e);
    var s = Submitter.init(m, prng.random(), play_ring, record_ring);

    const driver = selftest.driverStart(m, 64).?;
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
