//! The callback's semantics, block by block, with synthetic time info and no device.
const std = @import("std");
const testing = std.testing;
const mixer = @import("mixer.zig");
const Mixer = mixer.Mixer;
const Action = mixer.Action;
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
    serial: u32 = 0,

    fn init(block: u32) Rig {
        return .{ .m = Mixer.create(2, 2, fs, 64).?, .block = block };
    }
    fn deinit(r: *Rig) void {
        while (r.m.collect()) |i| r.m.release(i, null);
        r.m.destroy();
    }
    fn time(r: *Rig, jitter_samples: f64) mixer.BlockTime {
        const dac = r.dac0 + (r.m.frame_time + jitter_samples) / fs;
        return .{ .output_dac = dac, .input_adc = dac - 3 * @as(f64, @floatFromInt(r.block)) / fs, .current = dac - 2 * @as(f64, @floatFromInt(r.block)) / fs };
    }
    /// Runs one block; the input carries frame positions (channel 0) and their negatives (1).
    fn step(r: *Rig, jitter_samples: f64) []f32 {
        for (0..r.block) |f| {
            const pos: f32 = @floatCast(r.m.frame_time + @as(f64, @floatFromInt(f)));
            r.in[2 * f] = pos;
            r.in[2 * f + 1] = -pos;
        }
        r.m.process(&r.in, &r.out, r.block, r.time(jitter_samples), 0);
        return r.out[0 .. 2 * r.block];
    }
    fn submit(r: *Rig, index: u32, kind: mixer.Kind, start: f64, flags: u32, frames: f64, map: []const u32, buffer: ?[*]const f32, rb: ?*RingBuffer) *Action {
        const a = r.m.slot(index);
        r.serial += 1;
        a.kind = kind;
        a.flags = flags;
        a.requested_time = start;
        a.total_frames = frames;
        a.serial = r.serial;
        a.channel_count = @intCast(map.len);
        @memcpy(a.mapping(), map);
        std.debug.assert(r.m.submit(index, buffer, rb, null) == .ok);
        return a;
    }
    fn cancel(r: *Rig, index: u32, target_index: u32, time_s: f64, flags: u32) *Action {
        const a = r.m.slot(index);
        a.target_index = target_index;
        a.target_serial = r.m.slot(target_index).serial;
        return r.submit(index, .cancel, time_s, flags, 0, &.{}, null, null);
    }
    /// The stream time at which output frame `n` is played.
    fn at(r: *const Rig, n: f64) f64 {
        return r.dac0 + n / fs;
    }
    fn finished(r: *Rig) u32 {
        var n: u32 = 0;
        while (r.m.collect()) |_| n += 1;
        return n;
    }
};

const belated = mixer.flag.allow_belated;

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
    r.m.release(0, &dst); // copies the recording out and frees it
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
    const rb = RingBuffer.create(8, 128, null).?;
    defer rb.destroy();
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
    const rb = RingBuffer.create(4, 128, null).?;
    defer rb.destroy();
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
    try testing.expectEqual(@as(f64, 6), r.m.stats.blocks);
    try testing.expectEqual(@as(f64, 32), r.m.stats.min_blocksize);
    try testing.expectEqual(@as(f64, 64), r.m.stats.max_blocksize);
    try testing.expectEqual(@as(f64, 1), r.m.stats.output_underflows);
    try testing.expectEqual(@as(f64, 3), a.stats.blocks); // frames 100..199 touch blocks 1, 2, 3
    const f = r.submit(1, .fetch_and_reset_stats, 0, belated, 0, &.{}, null, null);
    _ = r.step(0);
    try testing.expectEqual(mixer.Outcome.done, f.outcome);
    try testing.expectEqual(@as(f64, 7), f.stats.blocks);
    try testing.expectEqual(@as(f64, 1), f.stats.output_underflows);
    try testing.expectEqual(@as(f64, 0), r.m.stats.blocks);
    _ = r.step(0);
    try testing.expectEqual(@as(f64, 1), r.m.stats.blocks);
}

test "starts Δt apart land exactly round(Δt·fs) apart while the timestamps jitter" {
    var r = Rig.init(64);
    defer r.deinit();
    var prng = std.Random.DefaultPrng.init(42);
    const rand = prng.random();
    var bufs: [50][2]f32 = undefined;
    var offsets: [50]f64 = undefined;
    var actions: [50]*Action = undefined;
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
    const s = Sample.create(&src, 2).?;
    const a = r.m.slot(0);
    a.* = std.mem.zeroes(Action);
    for (0..3) |i| {
        const slot = r.m.slot(@intCast(i));
        slot.kind = .play_buffer;
        slot.flags = belated;
        slot.total_frames = 1;
        slot.serial = @intCast(i + 1);
        slot.channel_count = 2;
        slot.mapping()[0] = 0;
        slot.mapping()[1] = 1;
        try testing.expectEqual(Mixer.SubmitError.ok, r.m.submit(@intCast(i), null, null, s));
    }
    try testing.expectEqual(@as(u32, 4), s.refs);
    s.unref(); // the owner lets go; the actions still hold it
    const out = r.step(0);
    try testing.expectEqual(@as(f32, 0.75), out[0]);
    try testing.expectEqual(@as(f32, 1.5), out[1]);
    while (r.m.collect()) |i| r.m.release(i, null);
    r.m.destroy();
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
    const a = r.m.slot(0);
    a.kind = .play_buffer;
    a.channel_count = 1;
    a.mapping()[0] = 2; // only channels 0 and 1 exist
    a.total_frames = 1;
    var buf = [_]f32{1};
    try testing.expectEqual(Mixer.SubmitError.bad_action, r.m.submit(0, &buf, null, null));
    try testing.expectEqual(Mixer.SubmitError.bad_slot, r.m.submit(64, &buf, null, null));
    a.mapping()[0] = 0;
    try testing.expectEqual(Mixer.SubmitError.bad_action, r.m.submit(0, null, null, null));
}
