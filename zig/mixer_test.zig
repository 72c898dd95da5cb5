//! The callback's semantics, block by block, with synthetic time info and no device.
const std = @import("std");
const testing = std.testing;
const mixer = @import("mixer.zig");
const Mixer = mixer.Mixer;
const RingBuffer = @import("ringbuffer.zig").RingBuffer;

const fs: f64 = 48000;

/// A 2-in/2-out mixer whose DAC time of frame n is `dac0 + n / fs` (plus optional jitter), with
/// the ADC time one block earlier and the current time in between.
const Rig = struct {
    m: *Mixer,
    block: u32,
    dac0: f64 = 1.0,
    out: [2 * 1024]f32 = undefined,
    in: [2 * 1024]f32 = undefined,
    /// What the next request sets beyond the basics (then back to the defaults).
    next: Extra = .{},

    const Extra = struct {
        gain: f64 = 1,
        fade_in: f64 = 0,
        fade_out: f64 = 0,
        loop_count: f64 = 1,
        loop_start: f64 = 0,
        loop_end: f64 = 0,
        ramp: f64 = 0,
        curve: mixer.Curve = .linear,
        target: ?u32 = null,
        /// (source channel, gain) of each mapping entry: a mix matrix.
        routes: ?[]const [2]f32 = null,
        source_channels: u32 = 0,
    };

    fn init(block: u32) Rig {
        return .{ .m = Mixer.create(2, 2, fs, 64).?, .block = block };
    }
    fn deinit(r: *Rig) void {
        while (r.m.collect()) |i| _ = r.m.release(i, null, 0);
        r.m.destroy();
    }
    fn time(r: *Rig, jitter_samples: f64) mixer.BlockTime {
        const dac = r.dac0 + (r.m.header.frame_time + jitter_samples) / fs;
        return .{ .output_dac = dac, .input_adc = dac - 3 * @as(f64, @floatFromInt(r.block)) / fs, .current = dac - 2 * @as(f64, @floatFromInt(r.block)) / fs };
    }
    /// Runs one block; the input carries frame positions (channel 0) and their negatives (1).
    fn step(r: *Rig, jitter_samples: f64) []f32 {
        for (0..r.block) |f| {
            const pos: f32 = @floatCast(r.m.header.frame_time + @as(f64, @floatFromInt(f)));
            r.in[2 * f] = pos;
            r.in[2 * f + 1] = -pos;
        }
        r.m.process(&r.in, &r.out, r.block, r.time(jitter_samples), 0);
        return r.out[0 .. 2 * r.block];
    }
    /// Writes the request block as TypeScript does.
    fn request(r: *Rig, kind: mixer.Kind, start: f64, flags: u32, frames: f64, map: []const u32) void {
        const q = r.m.request;
        q.kind = @intFromEnum(kind);
        q.flags = flags;
        q.requested = start;
        q.total_frames = frames;
        q.channel_count = @intCast(map.len);
        @memcpy(q.mapping[0..map.len], map);
        const x = r.next;
        r.next = .{};
        q.gain = x.gain;
        q.fade_in = x.fade_in;
        q.fade_out = x.fade_out;
        q.loop_count = x.loop_count;
        q.loop_start = x.loop_start;
        q.loop_end = x.loop_end;
        q.ramp = x.ramp;
        q.curve = @intFromEnum(x.curve);
        q.source_channels = x.source_channels;
        if (x.target) |t| {
            q.target_slot = t;
            q.target_serial = r.m.action(t).?.hot.report.serial;
        }
        if (x.routes) |routes| {
            q.flags |= mixer.flag.routed;
            for (routes, 0..) |route, i| {
                q.sources[i] = @intFromFloat(route[0]);
                q.route_gains[i] = route[1];
            }
        }
    }
    fn submit(r: *Rig, slot: u32, kind: mixer.Kind, start: f64, flags: u32, frames: f64, map: []const u32, buffer: ?[]const f32, rb: ?*RingBuffer) *mixer.Report {
        r.request(kind, start, flags, frames, map);
        const bytes: ?[]const u8 = if (buffer) |b| std.mem.sliceAsBytes(b) else null;
        std.debug.assert(r.m.submit(slot, if (bytes) |b| b.ptr else null, if (bytes) |b| b.len else 0, rb, null) == .ok);
        return r.m.action(slot).?.hot.report;
    }
    fn cancel(r: *Rig, slot: u32, target_slot: u32, time_s: f64, flags: u32) *mixer.Report {
        r.m.request.target_slot = target_slot;
        r.m.request.target_serial = r.m.action(target_slot).?.hot.report.serial;
        return r.submit(slot, .cancel, time_s, flags, 0, &.{}, null, null);
    }
    /// The stream time at which output frame `n` is played.
    fn at(r: *const Rig, n: f64) f64 {
        return r.dac0 + n / fs;
    }
};

const belated = mixer.flag.allow_belated;

/// Runs one block of `size` frames and appends at most `limit - done` of its frames (stereo) to
/// `got` at frame `done`; returns how many.
fn stepInto(r: *Rig, size: u32, got: []f32, done: usize, limit: usize) usize {
    r.block = size;
    const out = r.step(0);
    const n = @min(size, limit - done);
    @memcpy(got[2 * done ..][0 .. 2 * n], out[0 .. 2 * n]);
    return n;
}

fn ramp(comptime n: usize, channels: usize) [n * 2]f32 {
    var b: [n * 2]f32 = @splat(0);
    for (0..n * channels) |i| b[i] = @floatFromInt(i + 1);
    return b;
}

test "a start inside a block lands on the rounded sample" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 1, 2, 3, 4 }; // 2 frames, stereo
    const a = r.submit(0, .play_buffer, r.at(10.4), belated, 2, &.{ 0, 1 }, &buf, null);
    const out = r.step(0);
    try testing.expectEqualSlices(f32, &.{ 1, 2, 3, 4 }, out[20..24]);
    try testing.expectEqual(@as(f32, 0), out[19]);
    try testing.expectEqual(@as(f32, 0), out[24]);
    try testing.expectEqual(mixer.Outcome.done, a.outcome);
    try testing.expectEqual(@as(f64, 10), a.start_frame);
    try testing.expectApproxEqAbs(r.at(10), a.actual_time, 1e-12);
    try testing.expectEqual(@as(f64, 2), a.done_frames);
}

test "submitInline plays the samples in the request block, and refuses more than the block holds" {
    var r = Rig.init(64);
    defer r.deinit();
    const buf = [_]f32{ 5, 6, 7, 8 }; // 2 frames, stereo
    r.request(.play_buffer, 3, mixer.flag.start_is_frame, 2, &.{ 0, 1 });
    @memcpy(r.m.request.samples[0..16], std.mem.sliceAsBytes(&buf));
    try testing.expectEqual(mixer.SubmitError.bad_samples, r.m.submitInline(0, mixer.request_samples_bytes + 4));
    try testing.expect(r.m.action(0).?.stage == .free); // nothing taken
    try testing.expectEqual(mixer.SubmitError.bad_samples, r.m.submitInline(0, 12)); // 2 frames need 16
    try testing.expectEqual(mixer.SubmitError.ok, r.m.submitInline(0, 16));
    // The action has its own copy: the request block is free for the next request at once.
    @memset(&r.m.request.samples, 0);
    const out = r.step(0);
    try testing.expectEqualSlices(f32, &.{ 0, 0, 5, 6, 7, 8, 0, 0 }, out[4..12]);
    try testing.expectEqual(mixer.Outcome.done, r.m.action(0).?.hot.report.outcome);
}

test "a buffer spans blocks without a gap or a repeat" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ramp(100, 1);
    const a = r.submit(0, .play_buffer, r.at(50), belated, 100, &.{0}, &buf, null);
    var played: [3 * 64]f32 = undefined;
    for (0..3) |b| {
        const out = r.step(0);
        for (0..64) |f| played[b * 64 + f] = out[2 * f];
    }
    for (played, 0..) |x, f| {
        const expected: f32 = if (f >= 50 and f < 150) @floatFromInt(f - 49) else 0;
        try testing.expectEqual(expected, x);
    }
    try testing.expectEqual(mixer.Outcome.done, a.outcome);
    try testing.expectEqual(@as(f64, 3), a.stats.blocks);
}

test "voices sum in the order they started, bit for bit, whether added one by one or several at a time" {
    // Whole blocks onto both channels are added several at a time (mix.Batch); between them,
    // voices that are not: mono onto one channel, a gain, a start and an end inside a block, and
    // a layout no batch takes (both source channels onto channel 2), added alone.
    // Magnitudes from 2^-10 to 2^20 and both signs: sums that change with their order.
    var r = Rig.init(64);
    defer r.deinit();
    const voices = 20;
    const frames = 200;
    var bufs: [voices][2 * frames]f32 = undefined;
    for (&bufs, 0..) |*b, v| for (b, 0..) |*x, i| {
        const magnitude = std.math.ldexp(@as(f32, 1), @as(i32, @intCast(v % 7)) * 5 - 10);
        const sign: f32 = if ((i + v) % 3 == 0) -1 else 1;
        x.* = sign * magnitude * @as(f32, @floatFromInt((i * 7919 + v * 31) % 1021)) / 1021;
    };
    const Voice = struct { start: usize, len: usize, mono: bool, gain: f32, both_onto_2: bool };
    var plan: [voices]Voice = undefined;
    for (&plan, 0..) |*p, v| p.* = .{
        .start = if (v == 7) 10 else 0,
        .len = if (v == 11) 100 else frames,
        .mono = v == 5,
        .gain = if (v == 13) 0.5 else 1,
        .both_onto_2 = v == 17,
    };
    for (plan, 0..) |p, v| {
        r.next.gain = p.gain;
        const map: []const u32 = if (p.mono) &.{1} else if (p.both_onto_2) &.{ 1, 1 } else &.{ 0, 1 };
        _ = r.submit(@intCast(v), .play_buffer, @floatFromInt(p.start), mixer.flag.start_is_frame, @floatFromInt(p.len), map, bufs[v][0 .. p.len * map.len], null);
    }
    // Started in order of their start frame, then of submission: voice 7 last.
    var order: [voices]usize = undefined;
    var k: usize = 0;
    for (0..voices) |v| if (v != 7) {
        order[k] = v;
        k += 1;
    };
    order[k] = 7;
    for (0..4) |b| {
        const out = r.step(0);
        for (0..64) |f| for (0..2) |ch| {
            const frame = b * 64 + f;
            var want: f32 = 0;
            for (order) |v| {
                const p = plan[v];
                if (frame < p.start or frame >= p.start + p.len) continue;
                const i = frame - p.start;
                if (p.mono) {
                    if (ch == 1) want += bufs[v][i] * p.gain;
                } else if (p.both_onto_2) {
                    if (ch == 1) {
                        want += bufs[v][2 * i] * p.gain;
                        want += bufs[v][2 * i + 1] * p.gain;
                    }
                } else want += bufs[v][2 * i + ch] * p.gain;
            }
            try testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(out[2 * f + ch])));
        };
    }
}

test "voices on the fast path take a gain change and a cancel sent while they play, at their exact frames, in blocks of any size" {
    // Stereo onto both channels at gain 1: after their first block these take the fast path,
    // which a gain change or a cancel must leave at its frame even when sent while they are on it.
    var r = Rig.init(64);
    defer r.deinit();
    const frames = 2000;
    const a_buf = ramp(frames, 2);
    var b_buf: [2 * frames]f32 = undefined;
    for (&b_buf, 0..) |*x, i| x.* = -@as(f32, @floatFromInt(i + 1)) * 0.25;
    const a = r.submit(0, .play_buffer, 0, mixer.flag.start_is_frame, frames, &.{ 0, 1 }, &a_buf, null);
    const b = r.submit(1, .play_buffer, 0, mixer.flag.start_is_frame, frames, &.{ 0, 1 }, &b_buf, null);
    const sizes = [_]u32{ 64, 64, 32, 128, 64, 16, 256, 48, 64, 100 };
    var got: [2 * 2100]f32 = undefined;
    var done: usize = 0;
    var a_blocks: f64 = 0;
    var k: usize = 0;
    while (done < 2100) : (k += 1) {
        if (done >= 300 and k == 6) {
            r.next = .{ .gain = 0.5, .target = 0 };
            _ = r.submit(2, .set_gain, 500, mixer.flag.start_is_frame, 0, &.{}, null, null);
        }
        if (done >= 600 and r.m.action(3).?.stage == .free) _ = r.cancel(3, 0, 900, mixer.flag.start_is_frame);
        if (done >= 1000 and r.m.action(4).?.stage == .free) _ = r.cancel(4, 1, 1500, mixer.flag.start_is_frame);
        // Its blocks: those before its cancel's frame, and the one that frame starts, where the
        // cancel takes effect.
        if (done <= 900) a_blocks += 1;
        done += stepInto(&r, sizes[k % sizes.len], &got, done, 2100);
    }
    for (0..2100) |f| for (0..2) |ch| {
        var want: f32 = 0;
        const g: f32 = if (f < 500) 1 else 0.5;
        if (f < 900) want += a_buf[2 * f + ch] * g;
        if (f < 1500) want += b_buf[2 * f + ch];
        try testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(got[2 * f + ch])));
    };
    try testing.expectEqual(mixer.Outcome.cancelled, a.outcome);
    try testing.expectEqual(@as(f64, 900), a.done_frames);
    try testing.expectEqual(a_blocks, a.stats.blocks);
    try testing.expectEqual(@as(f64, 0.5), a.gain);
    try testing.expectEqual(mixer.Outcome.cancelled, b.outcome);
    try testing.expectEqual(@as(f64, 1500), b.done_frames);
    try testing.expectEqual(@as(f64, 16), b.stats.min_blocksize);
    try testing.expectEqual(@as(f64, 256), b.stats.max_blocksize);
}

test "a belated action starts at the block with allowBelated and is dropped without" {
    var r = Rig.init(64);
    defer r.deinit();
    _ = r.step(0);
    _ = r.step(0); // now at frame 128
    var buf = [_]f32{ 5, 5 };
    const late = r.submit(0, .play_buffer, r.at(100), belated, 1, &.{ 0, 1 }, &buf, null);
    const dropped = r.submit(1, .play_buffer, r.at(100), 0, 1, &.{ 0, 1 }, &buf, null);
    const out = r.step(0);
    try testing.expectEqual(@as(f32, 5), out[0]);
    try testing.expectEqual(@as(f64, 128), late.start_frame);
    try testing.expectEqual(mixer.Outcome.dropped_belated, dropped.outcome);
    try testing.expectEqual(@as(f64, 0), dropped.actual_time);
    try testing.expectEqual(@as(f64, 0), dropped.done_frames);
}

test "start time 0 means as soon as possible" {
    var r = Rig.init(64);
    defer r.deinit();
    _ = r.step(0);
    var buf = [_]f32{ 7, 7 };
    const a = r.submit(0, .play_buffer, 0, 0, 1, &.{ 0, 1 }, &buf, null);
    const out = r.step(0);
    try testing.expectEqual(@as(f32, 7), out[0]);
    try testing.expectEqual(@as(f64, 64), a.start_frame);
}

test "a start given as a frame position is placed exactly there" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 9, 9 };
    const a = r.submit(0, .play_buffer, 77, mixer.flag.start_is_frame, 1, &.{ 0, 1 }, &buf, null);
    _ = r.step(0);
    const out = r.step(0);
    try testing.expectEqual(@as(f32, 9), out[2 * 13]);
    try testing.expectEqual(@as(f64, 77), a.start_frame);
}

test "cancel before the start removes the action before it plays anything" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ramp(10, 2);
    const target = r.submit(0, .play_buffer, r.at(100), belated, 10, &.{ 0, 1 }, &buf, null);
    const c = r.cancel(1, 0, r.at(90), belated);
    for (0..3) |_| for (r.step(0)) |x| try testing.expectEqual(@as(f32, 0), x);
    try testing.expectEqual(mixer.Outcome.cancelled, target.outcome);
    try testing.expectEqual(@as(f64, 0), target.done_frames);
    try testing.expectEqual(@as(f64, 0), target.actual_time);
    try testing.expectEqual(mixer.Outcome.done, c.outcome);
}

test "cancel while playing stops at exactly the cancel's sample" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf: [2 * 1000]f32 = @splat(1);
    const target = r.submit(0, .play_buffer, r.at(10), belated, 1000, &.{ 0, 1 }, &buf, null);
    _ = r.step(0);
    const c = r.cancel(1, 0, r.at(100), belated);
    const out = r.step(0); // frames 64..127
    for (0..64) |f| try testing.expectEqual(@as(f32, if (64 + f < 100) 1 else 0), out[2 * f]);
    try testing.expectEqual(mixer.Outcome.cancelled, target.outcome);
    try testing.expectEqual(@as(f64, 90), target.done_frames);
    try testing.expectApproxEqAbs(r.at(100), c.actual_time, 1e-12);
}

test "a cancel whose target has finished reports it" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 1, 1 };
    _ = r.submit(0, .play_buffer, 0, belated, 1, &.{ 0, 1 }, &buf, null);
    _ = r.step(0);
    const c = r.cancel(1, 0, 0, belated);
    _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.target_finished, c.outcome);
}

test "overlapping buffers sum, and a mapping sends a mono buffer to channel 2 only" {
    var r = Rig.init(64);
    defer r.deinit();
    var a_buf: [2 * 64]f32 = @splat(0.25);
    var b_buf: [64]f32 = @splat(0.5);
    _ = r.submit(0, .play_buffer, r.at(0), belated, 64, &.{ 0, 1 }, &a_buf, null);
    _ = r.submit(1, .play_buffer, r.at(32), belated, 64, &.{1}, &b_buf, null);
    const out = r.step(0);
    for (0..64) |f| {
        try testing.expectEqual(@as(f32, 0.25), out[2 * f]);
        try testing.expectEqual(@as(f32, if (f >= 32) 0.75 else 0.25), out[2 * f + 1]);
    }
}

test "record buffer takes the mapped input channels from its start sample" {
    var r = Rig.init(64);
    defer r.deinit();
    var dst: [2 * 100]f32 = @splat(-1);
    // ADC time of input frame n is dac0 - 3 blocks + n/fs in this rig.
    const adc0 = r.dac0 - 3.0 * 64 / fs;
    const a = r.submit(0, .record_buffer, adc0 + 40 / fs, belated, 100, &.{ 1, 0 }, null, null);
    for (0..3) |_| _ = r.step(0);
    try testing.expectEqual(@as(?u32, 0), r.m.collect());
    try testing.expectEqual(mixer.ReleaseStatus.dst_too_small, r.m.release(0, @ptrCast(&dst), @sizeOf(@TypeOf(dst)) - 4));
    try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(0, @ptrCast(&dst), @sizeOf(@TypeOf(dst)))); // copies the recording out and frees it
    for (0..100) |f| {
        const pos: f32 = @floatFromInt(40 + f);
        try testing.expectEqual(-pos, dst[2 * f]);
        try testing.expectEqual(pos, dst[2 * f + 1]);
    }
    try testing.expectEqual(mixer.Outcome.done, a.outcome);
}

test "a play ring buffer action ends when the ring cannot supply a whole block part" {
    var r = Rig.init(64);
    defer r.deinit();
    const rb = RingBuffer.create(8, 128, null, 0).?;
    defer rb.unref();
    var src = ramp(100, 2);
    _ = rb.write(@ptrCast(&src), 100);
    const a = r.submit(0, .play_ringbuffer, 0, belated, std.math.inf(f64), &.{ 0, 1 }, null, rb);
    _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.pending, a.outcome);
    const out = r.step(0);
    try testing.expectEqual(@as(f32, 129), out[0]); // frame 64 of the ring, channel 0
    try testing.expectEqual(@as(f32, 200), out[2 * 35 + 1]);
    try testing.expectEqual(@as(f32, 0), out[2 * 36]);
    try testing.expectEqual(mixer.Outcome.ring_ended, a.outcome);
    try testing.expectEqual(@as(f64, 100), a.done_frames);
}

test "a record ring buffer action streams input until the ring is full" {
    var r = Rig.init(64);
    defer r.deinit();
    const rb = RingBuffer.create(4, 128, null, 0).?;
    defer rb.unref();
    const a = r.submit(0, .record_ringbuffer, 0, belated, std.math.inf(f64), &.{0}, null, rb);
    for (0..3) |_| _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.ring_ended, a.outcome);
    try testing.expectEqual(@as(f64, 128), a.done_frames);
    var got: [128]f32 = undefined;
    try testing.expectEqual(@as(u32, 128), rb.read(@ptrCast(&got), 128));
    for (got, 0..) |x, i| try testing.expectEqual(@as(f32, @floatFromInt(i)), x);
}

test "stats: the stream counts every block, an action only its own, fetch-and-reset hands over and zeroes" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf: [2 * 100]f32 = @splat(0);
    const a = r.submit(0, .play_buffer, r.at(100), belated, 100, &.{ 0, 1 }, &buf, null);
    for (0..5) |_| _ = r.step(0);
    r.m.process(&r.in, &r.out, 32, r.time(0), mixer.status.output_underflow);
    try testing.expectEqual(@as(f64, 6), r.m.header.stats.blocks);
    try testing.expectEqual(@as(f64, 32), r.m.header.stats.min_blocksize);
    try testing.expectEqual(@as(f64, 64), r.m.header.stats.max_blocksize);
    try testing.expectEqual(@as(f64, 1), r.m.header.stats.output_underflows);
    try testing.expectEqual(@as(f64, 3), a.stats.blocks); // frames 100..199 touch blocks 1, 2, 3
    const f = r.submit(1, .fetch_and_reset_stats, 0, belated, 0, &.{}, null, null);
    _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.done, f.outcome);
    try testing.expectEqual(@as(f64, 7), f.stats.blocks);
    try testing.expectEqual(@as(f64, 1), f.stats.output_underflows);
    try testing.expectEqual(@as(f64, 0), r.m.header.stats.blocks);
    _ = r.step(0);
    try testing.expectEqual(@as(f64, 1), r.m.header.stats.blocks);
}

test "on the fast path a report counts by the frame clock, and holds its counts again when it leaves" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf: [2 * 64 * 40]f32 = undefined;
    for (&buf, 0..) |*x, i| x.* = @floatFromInt(i % 7);
    const a = r.submit(0, .play_buffer, 0, mixer.flag.start_is_frame, 64 * 40, &.{ 0, 1 }, &buf, null);
    const held = r.submit(1, .play_buffer, 0, mixer.flag.start_is_frame, 64 * 40, &.{ 0, 1 }, &buf, null);
    var frames: f64 = 0;
    var blocks: f64 = 0;
    var derived: u32 = 0; // blocks after which the report's own fields lag behind: not stored
    const expectCounts = struct {
        fn check(rep: *const mixer.Report, t: f64, done: f64, n: f64) !void {
            try testing.expectEqual(done, rep.liveDoneFrames(t));
            try testing.expectEqual(n, rep.liveBlocks(t));
            try testing.expectEqual(@as(u32, 0), rep.version & 1);
        }
    }.check;
    for (0..10) |_| {
        _ = r.step(0);
        frames += 64;
        blocks += 1;
        try expectCounts(a, r.m.header.frame_time, frames, blocks);
        if (a.done_frames < frames) derived += 1;
    }
    try testing.expect(derived >= 8);
    // A block with status flags, then one of another size, go the general way: the report holds
    // the counts (and counts the flag and the size), then derives again.
    r.m.process(&r.in, &r.out, 64, r.time(0), mixer.status.output_underflow);
    frames += 64;
    blocks += 1;
    try testing.expectEqual(frames, a.done_frames);
    try testing.expectEqual(blocks, a.stats.blocks);
    try testing.expectEqual(@as(f64, 1), a.stats.output_underflows);
    try expectCounts(a, r.m.header.frame_time, frames, blocks);
    r.block = 32;
    _ = r.step(0);
    r.block = 64;
    frames += 32;
    blocks += 1;
    try testing.expectEqual(frames, a.done_frames);
    try testing.expectEqual(@as(f64, 32), a.stats.min_blocksize);
    try testing.expectEqual(@as(f64, 64), a.stats.max_blocksize);
    for (0..5) |_| {
        _ = r.step(0);
        frames += 64;
        blocks += 1;
        try expectCounts(a, r.m.header.frame_time, frames, blocks);
    }
    try testing.expect(a.done_frames < frames);
    // A cancel ends it: the final report holds every count, and derives nothing.
    _ = r.cancel(2, 0, 0, 0);
    _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.cancelled, a.outcome);
    try testing.expectEqual(@as(f64, -1), a.fast_from);
    try testing.expectEqual(frames, a.done_frames);
    try testing.expectEqual(blocks + 1, a.stats.blocks); // the cancel's block counts, with no frame
    // So does a drain, for the one still on the fast path (it played the cancel's block too).
    try testing.expect(held.fast_from >= 0);
    r.m.drain();
    try testing.expectEqual(mixer.Outcome.pending, held.outcome);
    try testing.expectEqual(@as(f64, -1), held.fast_from);
    try testing.expectEqual(frames + 64, held.done_frames);
    try testing.expectEqual(blocks + 1, held.stats.blocks);
}

test "starts Δt apart land exactly round(Δt·fs) apart while the timestamps jitter" {
    var r = Rig.init(64);
    defer r.deinit();
    var prng = std.Random.DefaultPrng.init(42);
    const rand = prng.random();
    var bufs: [50][2]f32 = undefined;
    var offsets: [50]f64 = undefined;
    var actions: [50]*mixer.Report = undefined;
    const base = r.at(5000) + 0.3 / fs; // off the sample grid on purpose
    for (0..50) |i| {
        bufs[i] = .{ 1, 1 };
        offsets[i] = @floatFromInt(rand.uintLessThan(u32, 40000));
        actions[i] = r.submit(@intCast(i), .play_buffer, base + offsets[i] / fs, 0, 1, &.{ 0, 1 }, &bufs[i], null);
    }
    // Jitter of ±3 samples, and a spike now and then, as measured on JACK.
    for (0..800) |_| _ = r.step((rand.float(f64) - 0.5) * 6 + if (rand.uintLessThan(u32, 200) == 0) @as(f64, 254) else 0);
    for (actions, offsets) |a, off| {
        try testing.expectEqual(mixer.Outcome.done, a.outcome);
        try testing.expectEqual(off, a.start_frame - actions[0].start_frame + offsets[0]);
    }
}

test "a play buffer is copied at submission: later writes to the source are not heard" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 1, 1 };
    _ = r.submit(0, .play_buffer, 0, belated, 1, &.{ 0, 1 }, &buf, null);
    buf[0] = 99;
    try testing.expectEqual(@as(f32, 1), r.step(0)[0]);
}

test "shared samples are played by many actions without a copy each and freed with the last" {
    const Sample = @import("sample.zig").Sample;
    const alloc = @import("alloc.zig");
    const before = alloc.liveAllocations();
    var r = Rig.init(64);
    const src = [_]f32{ 0.25, 0.5 };
    const s = Sample.create(@ptrCast(&src), @sizeOf(@TypeOf(src))).?;
    for (0..3) |i| {
        r.request(.play_buffer, 0, belated, 1, &.{ 0, 1 });
        try testing.expectEqual(mixer.SubmitError.ok, r.m.submit(@intCast(i), null, 0, null, s));
    }
    r.request(.play_buffer, 0, belated, 2, &.{ 0, 1 }); // 4 samples, the Sample has 2
    try testing.expectEqual(mixer.SubmitError.bad_samples, r.m.submit(3, null, 0, null, s));
    try testing.expectEqual(@as(u32, 4), s.refs);
    s.unref(); // the owner lets go; the actions still hold it
    const out = r.step(0);
    try testing.expectEqual(@as(f32, 0.75), out[0]);
    try testing.expectEqual(@as(f32, 1.5), out[1]);
    r.deinit();
    try testing.expectEqual(before, alloc.liveAllocations());
}

test "native buffer memory is released on release and on destroy" {
    const alloc = @import("alloc.zig");
    const before = alloc.liveAllocations();
    var r = Rig.init(64);
    var buf: [2 * 10]f32 = @splat(0);
    _ = r.submit(0, .play_buffer, 0, belated, 10, &.{ 0, 1 }, &buf, null);
    _ = r.submit(1, .record_buffer, 0, belated, 10, &.{ 0, 1 }, null, null);
    _ = r.submit(2, .play_buffer, r.at(100000), belated, 10, &.{ 0, 1 }, &buf, null); // never plays
    _ = r.step(0);
    r.m.destroy(); // releases what was never collected
    try testing.expectEqual(before, alloc.liveAllocations());
}

test "bad submissions are refused before they reach the callback" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 1, 1, 1, 1 };
    const bytes = std.mem.sliceAsBytes(&buf);
    r.request(.play_buffer, 0, belated, 1, &.{2}); // only channels 0 and 1 exist
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    r.request(.play_buffer, 0, belated, 1, &.{0});
    try testing.expectEqual(mixer.SubmitError.bad_slot, r.m.submit(256, bytes.ptr, bytes.len, null, null));
    try testing.expectEqual(mixer.SubmitError.bad_samples, r.m.submit(0, null, 0, null, null));
    r.request(.play_buffer, 0, belated, 5, &.{0}); // 5 samples, 4 given
    try testing.expectEqual(mixer.SubmitError.bad_samples, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    r.m.request.kind = 99; // no such kind: refused as a number, never loaded as an enum
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    r.request(.play_buffer, std.math.nan(f64), belated, 1, &.{0});
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    r.request(.play_buffer, 1.5, belated | mixer.flag.start_is_frame, 1, &.{0});
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    r.request(.play_buffer, 0, 64, 1, &.{0}); // unknown flag
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    // A slot in flight cannot be submitted again, nor released.
    r.request(.play_buffer, 0, belated, 1, &.{0});
    try testing.expectEqual(mixer.SubmitError.ok, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    try testing.expectEqual(mixer.SubmitError.bad_slot, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    try testing.expectEqual(mixer.ReleaseStatus.bad_slot, r.m.release(0, null, 0));
}

test "a ring's reading side takes one play action, and lent memory none" {
    var r = Rig.init(64);
    defer r.deinit();
    const rb = RingBuffer.create(8, 128, null, 0).?;
    defer rb.unref();
    r.request(.play_ringbuffer, 0, belated, 0, &.{ 0, 1 });
    try testing.expectEqual(mixer.SubmitError.ok, r.m.submit(0, null, 0, rb, null));
    try testing.expectEqual(mixer.SubmitError.ring_busy, r.m.submit(1, null, 0, rb, null));
    r.request(.record_ringbuffer, 0, belated, 0, &.{ 0, 1 }); // the writing side is free
    try testing.expectEqual(mixer.SubmitError.ok, r.m.submit(1, null, 0, rb, null));
    var lent: [64]u8 align(8) = @splat(0);
    const borrowed = RingBuffer.create(8, 8, &lent, lent.len).?;
    defer borrowed.unref();
    try testing.expectEqual(mixer.SubmitError.bad_ring, r.m.submit(2, null, 0, borrowed, null));
    r.request(.record_ringbuffer, 0, belated, 0, &.{0}); // element size 8 is 2 channels
    try testing.expectEqual(mixer.SubmitError.bad_ring, r.m.submit(2, null, 0, rb, null));
}

test "an action cancelled while it waits leaves the heap at the cancel's frame" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 1, 1 };
    _ = r.submit(0, .play_buffer, 1000, belated | mixer.flag.start_is_frame, 1, &.{ 0, 1 }, &buf, null);
    const c = r.cancel(1, 0, 100, belated | mixer.flag.start_is_frame);
    _ = r.step(0);
    try testing.expect(r.m.collect() == null); // the cancel is due at frame 100, in block 1
    _ = r.step(0);
    try testing.expectEqual(@as(?u32, 0), r.m.collect()); // the target, removed from the heap
    try testing.expectEqual(@as(?u32, 1), r.m.collect());
    try testing.expectEqual(mixer.Outcome.done, c.outcome);
    try testing.expectEqual(mixer.Outcome.cancelled, r.m.action(0).?.hot.report.outcome);
    try testing.expectEqual(@as(usize, 0), r.m.waiting.len);
}

test "the pool grows: thousands of actions wait at once, and none is lost coming back" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 1, 1 };
    const n = 3000;
    while (r.m.slotCount() < n) _ = r.m.addPage().?;
    for (0..n) |i| {
        r.request(.play_buffer, @floatFromInt(64 + i % 128), belated | mixer.flag.start_is_frame, 1, &.{ 0, 1 });
        try testing.expectEqual(mixer.SubmitError.ok, r.m.submit(@intCast(i), @ptrCast(&buf), 8, null, null));
    }
    _ = r.step(0);
    try testing.expectEqual(@as(usize, n), r.m.waiting.len);
    for (0..3) |_| _ = r.step(0);
    var back: u32 = 0;
    while (r.m.collect()) |slot| : (back += 1) {
        try testing.expectEqual(mixer.Outcome.done, r.m.action(slot).?.hot.report.outcome);
        try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(slot, null, 0));
    }
    try testing.expectEqual(@as(u32, n), back);
}

test "the pool hands back its last pages once nothing can reach them, and grows again" {
    var r = Rig.init(64);
    defer r.deinit();
    while (r.m.page_count < mixer.trim_pages + 4) _ = r.m.addPage().?;
    const pages = r.m.page_count;
    var buf: [2 * 1000]f32 = @splat(0.5);
    const last_page_slot = (pages - 1) * mixer.page_slots;
    const near_slot = (mixer.trim_pages + 1) * mixer.page_slots + 3;
    _ = r.submit(last_page_slot, .play_buffer, 0, 0, 64, &.{ 0, 1 }, &buf, null);
    _ = r.submit(near_slot, .play_buffer, 0, 0, 1000, &.{ 0, 1 }, &buf, null);
    _ = r.step(0);
    while (r.m.collect()) |slot| try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(slot, null, 0));
    // The last page is free now, but a cancel in flight still names its slot: it stays.
    r.m.request.target_slot = last_page_slot;
    r.m.request.target_serial = 12345;
    _ = r.submit(0, .cancel, 0, 0, 0, &.{}, null, null);
    try testing.expectEqual(pages, r.m.shrink());
    _ = r.step(0);
    while (r.m.collect()) |slot| try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(slot, null, 0));
    try testing.expectEqual(mixer.Outcome.target_finished, r.m.action(0).?.hot.report.outcome);
    // Down to the page of the one still playing.
    try testing.expectEqual(mixer.trim_pages + 2, r.m.shrink());
    while (r.m.action(near_slot).?.stage != .returned) {
        _ = r.step(0);
        while (r.m.collect()) |slot| {
            if (slot != near_slot) try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(slot, null, 0));
        }
    }
    // Collected but not released: its copy is not freed yet, so its page stays.
    try testing.expectEqual(mixer.trim_pages + 2, r.m.shrink());
    try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(near_slot, null, 0));
    try testing.expectEqual(mixer.trim_pages, r.m.shrink());
    try testing.expectEqual(mixer.trim_pages, r.m.shrink());
    try testing.expect(r.m.action(mixer.trim_pages * mixer.page_slots) == null);
    try testing.expectEqual(mixer.trim_pages + 1, r.m.addPage().? / mixer.page_slots);
    const again = r.submit(mixer.trim_pages * mixer.page_slots, .play_buffer, 0, 0, 64, &.{ 0, 1 }, &buf, null);
    _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.done, again.outcome);
}

test "drain hands back everything the callback holds, and the callback runs on with nothing" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf: [2 * 1000]f32 = @splat(1);
    _ = r.submit(0, .play_buffer, 0, belated, 1000, &.{ 0, 1 }, &buf, null); // active
    _ = r.step(0);
    _ = r.submit(1, .play_buffer, 5000, belated | mixer.flag.start_is_frame, 1000, &.{ 0, 1 }, &buf, null); // waiting
    _ = r.step(0);
    _ = r.submit(2, .play_buffer, 0, belated, 1000, &.{ 0, 1 }, &buf, null); // not yet taken
    r.m.drain();
    var back: u32 = 0;
    while (r.m.collect()) |slot| : (back += 1) {
        try testing.expectEqual(mixer.Outcome.pending, r.m.action(slot).?.hot.report.outcome);
        _ = r.m.release(slot, null, 0);
    }
    try testing.expectEqual(@as(u32, 3), back);
    for (r.step(0)) |x| try testing.expectEqual(@as(f32, 0), x);
}

test "empty play and record buffers finish at once and touch no memory" {
    var r = Rig.init(64);
    defer r.deinit();
    for ([_][]const u32{ &.{0}, &.{1}, &.{ 0, 1 }, &.{ 1, 0 }, &.{ 0, 0 } }) |map| {
        r.request(.play_buffer, 0, belated, 0, map);
        try testing.expectEqual(mixer.SubmitError.ok, r.m.submit(0, null, 0, null, null));
        r.request(.record_buffer, 0, belated, 0, map);
        try testing.expectEqual(mixer.SubmitError.ok, r.m.submit(1, null, 0, null, null));
        for (r.step(0)) |x| try testing.expectEqual(@as(f32, 0), x);
        try testing.expectEqual(@as(?u32, 0), r.m.collect());
        try testing.expectEqual(@as(?u32, 1), r.m.collect());
        try testing.expectEqual(mixer.Outcome.done, r.m.action(0).?.hot.report.outcome);
        try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(0, null, 0));
        try testing.expectEqual(mixer.ReleaseStatus.ok, r.m.release(1, null, 0));
    }
}

test "actual_time names the start frame by the offset that placed it, even if the offset moves before the start" {
    var r = Rig.init(64);
    defer r.deinit();
    _ = r.step(0); // the clocks start: offset from this block
    const t = r.at(48000 * 3) + 0.3 / fs; // 3 s ahead, off the sample grid
    const a = r.submit(0, .play_buffer, t, belated, 1, &.{ 0, 1 }, &[_]f32{ 1, 1 }, null);
    _ = r.step(0);
    const placed = a.start_frame;
    // The timestamps step by 40 samples and stay there: after the hold time the offset follows.
    const applied = r.m.header.output_clock.applied;
    while (r.m.header.frame_time <= placed) _ = r.step(40);
    try testing.expect(r.m.header.output_clock.applied != applied);
    try testing.expectEqual(mixer.Outcome.done, a.outcome);
    try testing.expectEqual(placed, a.start_frame);
    // The time of the frame that played, as placed: the request rounded to the sample.
    try testing.expectEqual(@floor(t * fs + 0.5) / fs, a.actual_time);
}

// Gain, fades, loops, chains, mix matrices and underflow policy (issue 13), block by block.

/// Runs blocks until `frames` frames have been rendered; returns channel `ch` of them.
fn render(r: *Rig, comptime frames: usize, ch: usize) [frames]f32 {
    var got: [frames]f32 = undefined;
    var f: usize = 0;
    while (f < frames) {
        const out = r.step(0);
        for (0..r.block) |i| {
            if (f + i < frames) got[f + i] = out[2 * i + ch];
        }
        f += r.block;
    }
    return got;
}

fn ones(comptime n: usize) [n]f32 {
    return @splat(1);
}

/// The gain the callback computes for a lone gain change from `from` to `to` starting at frame
/// `at` (as zig/mixer.zig's `automation`; repeated here so that a change there shows).
fn expectedGain(from: f64, to: f64, at: f64, ramp_frames: f64, curve: mixer.Curve, x: f64) f32 {
    if (x < at) return @floatCast(from);
    const t = x - at;
    const g: f64 = switch (curve) {
        .linear => if (t >= ramp_frames) to else from + (to - from) * (t * (1 / ramp_frames)),
        .exponential => if (t >= ramp_frames) to else from * std.math.pow(f64, to / from, t / ramp_frames),
        .target => if (t >= 32 * ramp_frames) to else to + (from - to) * @exp(-t / ramp_frames),
    };
    return @floatCast(g);
}

test "a long source, read ahead on the fast path, and a short one, not, mix the same bits" {
    var r = Rig.init(64);
    defer r.deinit();
    const long_frames = 9000; // 72,000 bytes of stereo: read ahead
    const long = try testing.allocator.alloc(f32, 2 * long_frames);
    defer testing.allocator.free(long);
    for (long, 0..) |*x, i| x.* = @as(f32, @floatFromInt(i % 1013)) * 0.0625;
    var short: [2 * 2000]f32 = undefined;
    for (&short, 0..) |*x, i| x.* = -@as(f32, @floatFromInt(i % 31)) * 0.5;
    _ = r.submit(0, .play_buffer, 0, mixer.flag.start_is_frame, long_frames, &.{ 0, 1 }, long, null);
    r.next = .{ .gain = 0.5 };
    _ = r.submit(1, .play_buffer, 0, mixer.flag.start_is_frame, 2000, &.{ 0, 1 }, &short, null);
    var got: [2 * 2048]f32 = undefined;
    var done: usize = 0;
    while (done < 2048) done += stepInto(&r, 64, &got, done, 2048);
    try testing.expect(r.m.action(0).?.hot.prefetch);
    try testing.expect(!r.m.action(1).?.hot.prefetch);
    for (0..2048) |f| for (0..2) |ch| {
        var want: f32 = long[2 * f + ch];
        if (f < 2000) want += short[2 * f + ch] * 0.5;
        try testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(got[2 * f + ch])));
    };
}

test "a looped voice with a gain and a settled ramp keep their bits on the fast path, in blocks of any size" {
    // Both stereo onto both channels, so the fast path takes them over whole blocks: a loop
    // between its wraps, and a gain ramp once it has settled.
    var r = Rig.init(64);
    defer r.deinit();
    const src_frames = 500;
    var l_buf: [2 * src_frames]f32 = undefined;
    for (&l_buf, 0..) |*x, i| x.* = @as(f32, @floatFromInt(i + 1)) * 0.125;
    var g_buf: [2 * 1700]f32 = undefined;
    for (&g_buf, 0..) |*x, i| x.* = -@as(f32, @floatFromInt(i % 977)) * 0.375;
    // [0, 400) once, then [100, 400) 4 more times, then [400, 500): 1700 frames.
    r.next = .{ .gain = 0.75, .loop_count = 5, .loop_start = 100, .loop_end = 400 };
    const looped = r.submit(0, .play_buffer, 0, mixer.flag.start_is_frame, src_frames, &.{ 0, 1 }, &l_buf, null);
    const ramped = r.submit(1, .play_buffer, 0, mixer.flag.start_is_frame, 1700, &.{ 0, 1 }, &g_buf, null);
    r.next = .{ .gain = 0.25, .ramp = 128, .target = 1 };
    _ = r.submit(2, .set_gain, 200, mixer.flag.start_is_frame, 0, &.{}, null, null);
    const sizes = [_]u32{ 64, 96, 32, 128, 64, 16, 256, 48 };
    var got: [2 * 1800]f32 = undefined;
    var done: usize = 0;
    var k: usize = 0;
    while (done < 1800) : (k += 1) done += stepInto(&r, sizes[k % sizes.len], &got, done, 1800);
    for (0..1800) |f| for (0..2) |ch| {
        var want: f32 = 0;
        if (f < 1700) {
            const q = if (f < 400) f else f - 400;
            const source = if (f < 400) f else if (q / 300 < 4) 100 + q % 300 else 400 + (q - 4 * 300);
            want += l_buf[2 * source + ch] * 0.75;
            want += g_buf[2 * f + ch] * expectedGain(1, 0.25, 200, 128, .linear, @floatFromInt(f));
        }
        try testing.expectEqual(@as(u32, @bitCast(want)), @as(u32, @bitCast(got[2 * f + ch])));
    };
    try testing.expectEqual(mixer.Outcome.done, looped.outcome);
    try testing.expectEqual(@as(f64, 1700), looped.done_frames);
    try testing.expectEqual(@as(f64, 0.75), looped.gain);
    try testing.expectEqual(mixer.Outcome.done, ramped.outcome);
    try testing.expectEqual(@as(f64, 0.25), ramped.gain);
}

test "a play buffer's gain scales every sample; gain 1 is the plain sum" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ramp(64, 2);
    r.next.gain = 0.5;
    _ = r.submit(0, .play_buffer, 0, belated, 64, &.{ 0, 1 }, &buf, null);
    _ = r.submit(1, .play_buffer, 0, belated, 64, &.{ 0, 1 }, &buf, null);
    const out = r.step(0);
    for (0..128) |i| try testing.expectEqual(buf[i] * 0.5 + buf[i], out[i]);
}

test "a gain change lands on its exact frame, inside a block, at once or along each curve" {
    inline for (.{ mixer.Curve.linear, mixer.Curve.exponential, mixer.Curve.target }) |curve| {
        for ([_]f64{ 0, 100 }) |ramp_frames| {
            var r = Rig.init(64);
            defer r.deinit();
            var buf = ones(1024);
            r.next.gain = 0.25;
            const a = r.submit(0, .play_buffer, 0, belated | mixer.flag.start_is_frame, 1024, &.{0}, &buf, null);
            r.next = .{ .gain = 2, .ramp = ramp_frames, .curve = curve, .target = 0 };
            const change = r.submit(1, .set_gain, 77, mixer.flag.start_is_frame, 0, &.{}, null, null);
            const got = render(&r, 512, 0);
            for (got, 0..) |x, f| {
                const want = expectedGain(0.25, 2, 77, ramp_frames, curve, @floatFromInt(f));
                // Linear ramps are exact; the other curves step by a constant ratio from each
                // chunk's first frame (a few float64 ulps from the formula).
                if (curve == .linear) try testing.expectEqual(want, x) else try testing.expectApproxEqRel(want, x, 1e-6);
            }
            try testing.expectEqual(mixer.Outcome.done, change.outcome);
            try testing.expectApproxEqAbs(r.at(77), change.actual_time, 1e-12);
            try testing.expectEqual(mixer.Outcome.pending, a.outcome);
            try testing.expectApproxEqAbs(@as(f64, expectedGain(0.25, 2, 77, ramp_frames, curve, 511)), a.gain, 1e-6);
        }
    }
}

test "two gain changes in one block apply in frame order, each where it lands" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(256);
    _ = r.submit(0, .play_buffer, 0, belated | mixer.flag.start_is_frame, 256, &.{0}, &buf, null);
    r.next = .{ .gain = 0.5, .target = 0 };
    _ = r.submit(1, .set_gain, 90, mixer.flag.start_is_frame, 0, &.{}, null, null);
    r.next = .{ .gain = 0, .target = 0 };
    _ = r.submit(2, .set_gain, 70, mixer.flag.start_is_frame, 0, &.{}, null, null);
    const got = render(&r, 128, 0);
    for (got, 0..) |x, f| try testing.expectEqual(@as(f32, if (f < 70) 1 else if (f < 90) 0 else 0.5), x);
}

test "a gain change sent before its target starts applies from its frame on" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(64);
    _ = r.submit(0, .play_buffer, 100, belated | mixer.flag.start_is_frame, 64, &.{0}, &buf, null);
    r.next = .{ .gain = 0, .ramp = 100, .target = 0 }; // from 1 at 50 down to 0 at 150
    _ = r.submit(1, .set_gain, 50, mixer.flag.start_is_frame, 0, &.{}, null, null);
    const got = render(&r, 192, 0);
    for (got, 0..) |x, f| {
        const want: f32 = if (f < 100 or f >= 164) 0 else expectedGain(1, 0, 50, 100, .linear, @floatFromInt(f));
        try testing.expectEqual(want, x);
    }
}

test "fade-in rises from 0 and fade-out ends at 1/n on the last frame" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(200);
    r.next = .{ .fade_in = 50, .fade_out = 40 };
    const a = r.submit(0, .play_buffer, 10, belated | mixer.flag.start_is_frame, 200, &.{0}, &buf, null);
    const got = render(&r, 256, 0);
    for (got, 0..) |x, f| {
        var want: f64 = 0;
        if (f >= 10 and f < 210) {
            const p: f64 = @floatFromInt(f - 10);
            want = 1;
            if (p < 50) want *= p * (1.0 / 50.0);
            if (200 - p < 40) want *= (200 - p) * (1.0 / 40.0);
        }
        try testing.expectEqual(@as(f32, @floatCast(want)), x);
    }
    try testing.expectEqual(mixer.Outcome.done, a.outcome);
}

test "a cancel with a fade fades out from its frame and ends the action when it reaches 0" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(1000);
    const a = r.submit(0, .play_buffer, 0, belated | mixer.flag.start_is_frame, 1000, &.{0}, &buf, null);
    r.next = .{ .ramp = 30, .target = 0 };
    const c = r.submit(1, .cancel, 100, mixer.flag.start_is_frame, 0, &.{}, null, null);
    const got = render(&r, 192, 0);
    for (got, 0..) |x, f| {
        const fx: f64 = @floatFromInt(f);
        const want: f32 = if (f < 100) 1 else if (f < 130) @floatCast((130 - fx) * (1.0 / 30.0)) else 0;
        try testing.expectEqual(want, x);
    }
    try testing.expectEqual(mixer.Outcome.cancelled, a.outcome);
    try testing.expectEqual(@as(f64, 130), a.done_frames);
    try testing.expectEqual(mixer.Outcome.done, c.outcome);
}

test "a cancel with a fade before its target starts stops it before it plays" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(100);
    const a = r.submit(0, .play_buffer, 200, belated | mixer.flag.start_is_frame, 100, &.{0}, &buf, null);
    r.next = .{ .ramp = 30, .target = 0 };
    _ = r.submit(1, .cancel, 100, mixer.flag.start_is_frame, 0, &.{}, null, null);
    for (render(&r, 384, 0)) |x| try testing.expectEqual(@as(f32, 0), x);
    try testing.expectEqual(mixer.Outcome.cancelled, a.outcome);
    try testing.expectEqual(@as(f64, 0), a.done_frames);
}

test "a loop region repeats bit-exactly across block edges, then the tail plays" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf: [50]f32 = undefined;
    for (&buf, 0..) |*x, i| x.* = @floatFromInt(i + 1);
    // [0, 30) once, [10, 30) 3 more times, [30, 50): 30 + 60 + 20 = 110 frames.
    r.next = .{ .loop_count = 4, .loop_start = 10, .loop_end = 30 };
    const a = r.submit(0, .play_buffer, 5, belated | mixer.flag.start_is_frame, 50, &.{0}, &buf, null);
    const got = render(&r, 192, 0);
    var want: [192]f32 = @splat(0);
    var p: usize = 5;
    for (0..30) |i| {
        want[p] = buf[i];
        p += 1;
    }
    for (0..3) |_| for (10..30) |i| {
        want[p] = buf[i];
        p += 1;
    };
    for (30..50) |i| {
        want[p] = buf[i];
        p += 1;
    }
    try testing.expectEqualSlices(f32, &want, &got);
    try testing.expectEqual(mixer.Outcome.done, a.outcome);
    try testing.expectEqual(@as(f64, 110), a.done_frames);
}

test "an endless loop plays until cancelled, wrapping seamlessly" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = [_]f32{ 1, 2, 3, 4, 5, 6, 7 };
    r.next = .{ .loop_count = std.math.inf(f64), .loop_start = 0, .loop_end = 7 };
    const a = r.submit(0, .play_buffer, 0, belated | mixer.flag.start_is_frame, 7, &.{0}, &buf, null);
    _ = r.cancel(1, 0, r.at(1000), belated);
    const got = render(&r, 1088, 0);
    for (got, 0..) |x, f| try testing.expectEqual(if (f < 1000) buf[f % 7] else 0, x);
    try testing.expectEqual(mixer.Outcome.cancelled, a.outcome);
    try testing.expectEqual(@as(f64, 1000), a.done_frames);
}

test "a chained action starts on the frame its target ends, in the same block, down a chain" {
    var r = Rig.init(64);
    defer r.deinit();
    var a_buf: [40]f32 = @splat(1);
    var b_buf: [50]f32 = @splat(2);
    var c_buf: [10]f32 = @splat(3);
    const a = r.submit(0, .play_buffer, 3, belated | mixer.flag.start_is_frame, 40, &.{0}, &a_buf, null);
    r.next.target = 0;
    const b = r.submit(1, .play_buffer, 0, belated | mixer.flag.after, 50, &.{0}, &b_buf, null);
    r.next.target = 1;
    const c = r.submit(2, .play_buffer, 0, belated | mixer.flag.after, 10, &.{0}, &c_buf, null);
    const got = render(&r, 192, 0);
    for (got, 0..) |x, f| try testing.expectEqual(@as(f32, if (f < 3) 0 else if (f < 43) 1 else if (f < 93) 2 else if (f < 103) 3 else 0), x);
    try testing.expectEqual(@as(f64, 3), a.start_frame);
    try testing.expectEqual(@as(f64, 43), b.start_frame);
    try testing.expectEqual(@as(f64, 93), c.start_frame);
    try testing.expectApproxEqAbs(r.at(93), c.actual_time, 1e-12);
}

test "a chained action starts where a cancel stopped its target, and at once after a finished one" {
    var r = Rig.init(64);
    defer r.deinit();
    var a_buf = ones(1000);
    var b_buf: [20]f32 = @splat(2);
    _ = r.submit(0, .play_buffer, 0, belated | mixer.flag.start_is_frame, 1000, &.{0}, &a_buf, null);
    r.next.target = 0;
    const b = r.submit(1, .play_buffer, 0, belated | mixer.flag.after, 20, &.{0}, &b_buf, null);
    r.next = .{ .ramp = 10, .target = 0 };
    _ = r.submit(2, .cancel, 150, mixer.flag.start_is_frame, 0, &.{}, null, null);
    const got = render(&r, 192, 0);
    try testing.expectEqual(@as(f64, 160), b.start_frame); // the cancel's frame + its fade
    for (160..180) |f| try testing.expectEqual(@as(f32, 2), got[f]);
    try testing.expectEqual(@as(f32, 0), got[180]);
    // Chained after an action that has finished already: it starts in the next block.
    r.next.target = 1;
    r.m.request.target_serial = 0;
    const late = r.submit(3, .play_buffer, 0, belated | mixer.flag.after, 20, &.{0}, &b_buf, null);
    _ = r.step(0);
    try testing.expectEqual(@as(f64, 192), late.start_frame);
}

test "abandoning a mixer hands back chained actions and waiting gain changes unfinished" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(1000);
    _ = r.submit(0, .play_buffer, 0, belated, 1000, &.{0}, &buf, null);
    var slot: u32 = 1;
    while (slot < 200) : (slot += 1) {
        r.next.target = slot - 1;
        _ = r.submit(slot, .play_buffer, 0, belated | mixer.flag.after, 1000, &.{0}, &buf, null);
    }
    r.next = .{ .gain = 0, .target = 199 };
    const change = r.submit(200, .set_gain, 1e9, mixer.flag.start_is_frame, 0, &.{}, null, null);
    _ = r.step(0);
    r.m.drain();
    var back: u32 = 0;
    while (r.m.collect()) |i| {
        try testing.expectEqual(mixer.Outcome.pending, r.m.action(i).?.hot.report.outcome);
        _ = r.m.release(i, null, 0);
        back += 1;
    }
    try testing.expectEqual(@as(u32, 201), back);
    try testing.expectEqual(mixer.Outcome.pending, change.outcome);
}

test "a gain change whose target ends first finishes unapplied" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(10);
    _ = r.submit(0, .play_buffer, 0, belated | mixer.flag.start_is_frame, 10, &.{0}, &buf, null);
    r.next = .{ .gain = 0, .target = 0 };
    const change = r.submit(1, .set_gain, 50, mixer.flag.start_is_frame, 0, &.{}, null, null);
    _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.target_finished, change.outcome);
}

test "a mix matrix spreads a mono source over both channels with a gain each" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf: [64]f32 = undefined;
    for (&buf, 0..) |*x, i| x.* = @floatFromInt(i + 1);
    r.next = .{ .gain = 2, .source_channels = 1, .routes = &.{ .{ 0, 0.5 }, .{ 0, 0.25 } } };
    _ = r.submit(0, .play_buffer, 0, belated, 64, &.{ 0, 1 }, &buf, null);
    const out = r.step(0);
    for (0..64) |f| {
        try testing.expectEqual(buf[f] * (2 * 0.5), out[2 * f]);
        try testing.expectEqual(buf[f] * (2 * 0.25), out[2 * f + 1]);
    }
}

test "a ring that runs dry plays silence and resumes when data comes, counting the silence" {
    var r = Rig.init(64);
    defer r.deinit();
    const rb = RingBuffer.create(8, 256, null, 0).?;
    defer rb.unref();
    var data: [2 * 100]f32 = undefined;
    for (&data, 0..) |*x, i| x.* = @floatFromInt(i + 1);
    try testing.expectEqual(@as(u32, 100), rb.write(std.mem.sliceAsBytes(&data).ptr, 100));
    const a = r.submit(0, .play_ringbuffer, 0, belated | mixer.flag.underflow_silence, 0, &.{ 0, 1 }, null, rb);
    _ = r.step(0); // 64 frames
    const out = r.step(0); // 36 frames, then silence
    for (0..64) |f| try testing.expectEqual(if (f < 36) data[2 * (64 + f)] else 0, out[2 * f]);
    try testing.expectEqual(mixer.Outcome.pending, a.outcome);
    try testing.expectEqual(@as(f64, 28), a.silent_frames);
    try testing.expectEqual(@as(u32, 100), rb.write(std.mem.sliceAsBytes(&data).ptr, 100));
    const again = r.step(0);
    for (0..64) |f| try testing.expectEqual(data[2 * f], again[2 * f]);
    try testing.expectEqual(@as(f64, 28), a.silent_frames);
    try testing.expectEqual(@as(f64, 192), a.done_frames);
}

test "submit refuses out-of-range gains, fades, loops, curves and matrices" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf = ones(10);
    const bytes = std.mem.sliceAsBytes(&buf);
    const cases = [_]Rig.Extra{
        .{ .gain = std.math.nan(f64) },
        .{ .gain = std.math.inf(f64) },
        .{ .fade_in = -1 },
        .{ .fade_out = 0.5 },
        .{ .loop_count = 0 },
        .{ .loop_count = 2.5 },
        .{ .loop_count = 2, .loop_start = 5, .loop_end = 5 },
        .{ .loop_count = 2, .loop_start = 0, .loop_end = 11 },
        .{ .loop_count = 2, .loop_start = -1, .loop_end = 3 },
        .{ .source_channels = 1, .routes = &.{.{ 1, 1 }} },
        .{ .source_channels = 1, .routes = &.{.{ 0, std.math.nan(f32) }} },
        .{ .source_channels = 0, .routes = &.{.{ 0, 1 }} },
    };
    for (cases) |c| {
        r.next = c;
        r.request(.play_buffer, 0, belated, 10, &.{0});
        try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(0, bytes.ptr, bytes.len, null, null));
    }
    _ = r.submit(0, .play_buffer, 0, belated, 10, &.{0}, &buf, null);
    const changes = [_]Rig.Extra{
        .{ .gain = 0, .curve = .exponential, .ramp = 10, .target = 0 },
        .{ .gain = 1, .ramp = -1, .target = 0 },
        .{ .gain = std.math.nan(f64), .target = 0 },
    };
    for (changes) |c| {
        r.next = c;
        r.request(.set_gain, 0, belated, 0, &.{});
        try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(1, null, 0, null, null));
    }
    r.request(.set_gain, 0, belated, 0, &.{});
    r.m.request.curve = 3;
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(1, null, 0, null, null));
    // A gain-only flag on a record action.
    r.request(.record_buffer, 0, belated | mixer.flag.underflow_silence, 10, &.{0});
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(1, null, 0, null, null));
}

test "a record aligned on output starts the round trip after the frame its output time plays at" {
    var r = Rig.init(64);
    defer r.deinit();
    var buf: [2 * 10]f32 = undefined;
    const play = r.submit(0, .play_buffer, r.at(100.3), belated, 10, &.{ 0, 1 }, &buf, null);
    r.next.ramp = 500;
    const rec = r.submit(1, .record_buffer, r.at(100.3), belated | mixer.flag.align_output, 10, &.{ 0, 1 }, null, null);
    for (0..12) |_| _ = r.step(0);
    try testing.expectEqual(@as(f64, 100), play.start_frame);
    try testing.expectEqual(@as(f64, 600), rec.start_frame);
    // Reported on the input clock: the ADC time of frame 600.
    try testing.expectApproxEqAbs(r.at(600) - 3.0 * 64.0 / fs, rec.actual_time, 1e-9);
    // By frame, too; and refused on a play action or chained.
    r.next.ramp = 7;
    const by_frame = r.submit(2, .record_buffer, 1000, belated | mixer.flag.start_is_frame | mixer.flag.align_output, 1, &.{0}, null, null);
    _ = r.step(0);
    try testing.expectEqual(@as(f64, 1007), by_frame.start_frame);
    var one = [_]f32{1};
    r.next.ramp = 7;
    r.request(.play_buffer, 0, belated | mixer.flag.align_output, 1, &.{0});
    try testing.expectEqual(mixer.SubmitError.bad_request, r.m.submit(3, std.mem.sliceAsBytes(&one).ptr, 4, null, null));
}
