//! Tests of zig/resample.zig: length, no delay, SNR of a sine, passband flatness, stopband
//! rejection, DC gain, identity, bad arguments, and no memory left behind.
const std = @import("std");
const rs = @import("resample.zig");
const alloc = @import("alloc.zig");
const testing = std.testing;

fn sine(buf: []f32, channels: usize, channel: usize, freq: f64, rate: f64, amp: f64) void {
    const frames = buf.len / channels;
    for (0..frames) |i| buf[i * channels + channel] = @floatCast(amp * @sin(2 * std.math.pi * freq * @as(f64, @floatFromInt(i)) / rate));
}

/// Amplitude of the component at `freq` in frames [from, to) of one channel (least squares fit of
/// a sine and a cosine), and the RMS of what is left.
fn fit(y: []const f32, channels: usize, channel: usize, from: usize, to: usize, freq: f64, rate: f64) struct { amp: f64, rest: f64 } {
    var ss: f64 = 0;
    var cc: f64 = 0;
    var sc: f64 = 0;
    var ys: f64 = 0;
    var yc: f64 = 0;
    for (from..to) |i| {
        const ph = 2 * std.math.pi * freq * @as(f64, @floatFromInt(i)) / rate;
        const s = @sin(ph);
        const c = @cos(ph);
        const v: f64 = y[i * channels + channel];
        ss += s * s;
        cc += c * c;
        sc += s * c;
        ys += v * s;
        yc += v * c;
    }
    const det = ss * cc - sc * sc;
    const a = (ys * cc - yc * sc) / det;
    const b = (yc * ss - ys * sc) / det;
    var rest: f64 = 0;
    for (from..to) |i| {
        const ph = 2 * std.math.pi * freq * @as(f64, @floatFromInt(i)) / rate;
        const e = @as(f64, y[i * channels + channel]) - a * @sin(ph) - b * @cos(ph);
        rest += e * e;
    }
    return .{ .amp = @sqrt(a * a + b * b), .rest = @sqrt(rest / @as(f64, @floatFromInt(to - from))) };
}

fn run(src: []const f32, channels: usize, rate_in: f64, rate_out: f64, q: rs.Quality) ![]f32 {
    const frames = src.len / channels;
    const out_frames: usize = @intFromFloat(rs.outputFrames(@floatFromInt(frames), rate_in, rate_out));
    const dst = try testing.allocator.alloc(f32, out_frames * channels);
    const before = alloc.liveAllocations();
    const n = try rs.resample(src, frames, channels, rate_in, rate_out, q, dst);
    try testing.expectEqual(before, alloc.liveAllocations());
    try testing.expectEqual(out_frames, n);
    return dst;
}

test "resample: round(frames · ratio) frames for common ratios, all qualities" {
    const cases = [_][2]f64{ .{ 44100, 48000 }, .{ 48000, 44100 }, .{ 22050, 48000 }, .{ 96000, 48000 }, .{ 44100, 44099.5 }, .{ 8000, 192000 } };
    for (cases) |c| for ([_]rs.Quality{ .best, .medium, .fastest }) |q| {
        const src = try testing.allocator.alloc(f32, 1001 * 2);
        defer testing.allocator.free(src);
        @memset(src, 0.25);
        const out = try run(src, 2, c[0], c[1], q);
        defer testing.allocator.free(out);
        try testing.expectEqual(@as(usize, @intFromFloat(@round(1001 * c[1] / c[0]))) * 2, out.len);
    };
}

test "resample: a 1 kHz sine 44.1 -> 48 kHz, stereo: no delay, SNR above 90 dB (medium), the other channel too" {
    const frames = 44100;
    const src = try testing.allocator.alloc(f32, frames * 2);
    defer testing.allocator.free(src);
    sine(src, 2, 0, 1000, 44100, 0.5);
    sine(src, 2, 1, 3000, 44100, 0.25);
    for ([_]rs.Quality{ .best, .medium, .fastest }) |q| {
        const out = try run(src, 2, 44100, 48000, q);
        defer testing.allocator.free(out);
        // Against the ideal sine at the output rate, away from the ends.
        var err: f64 = 0;
        var sig: f64 = 0;
        for (1000..47000) |i| {
            const ideal = 0.5 * @sin(2 * std.math.pi * 1000 * @as(f64, @floatFromInt(i)) / 48000);
            const e = @as(f64, out[2 * i]) - ideal;
            err += e * e;
            sig += ideal * ideal;
        }
        const snr = 10 * @log10(sig / err);
        if (q != .fastest) try testing.expect(snr > 90);
        try testing.expect(snr > 80);
        const f = fit(out, 2, 1, 1000, 47000, 3000, 48000);
        try testing.expectApproxEqAbs(0.25, f.amp, 1e-5);
        try testing.expect(f.rest < 0.25 * 1e-4);
    }
}

test "resample: passband flat within 0.1 dB to 90% of the lower Nyquist (medium), both directions" {
    const frames = 20000;
    const src = try testing.allocator.alloc(f32, frames);
    defer testing.allocator.free(src);
    const cases = [_][2]f64{ .{ 44100, 48000 }, .{ 48000, 44100 }, .{ 96000, 48000 }, .{ 44100, 44099.5 } };
    for (cases) |c| {
        const nyq = @min(c[0], c[1]) / 2;
        for ([_]f64{ 0.01, 0.3, 0.6, 0.8, 0.9 }) |x| {
            sine(src, 1, 0, x * nyq, c[0], 1);
            const out = try run(src, 1, c[0], c[1], .medium);
            defer testing.allocator.free(out);
            const f = fit(out, 1, 0, 2000, out.len - 2000, x * nyq, c[1]);
            const db = 20 * @log10(f.amp);
            try testing.expect(@abs(db) < 0.1);
            try testing.expect(f.rest < 1e-4);
        }
    }
}

test "resample: a tone above the output Nyquist frequency is rejected by 100 dB or more (medium)" {
    const frames = 20000;
    const src = try testing.allocator.alloc(f32, frames);
    defer testing.allocator.free(src);
    const cases = [_][3]f64{ .{ 48000, 44100, 23000 }, .{ 48000, 44100, 30000 / 1.25 }, .{ 96000, 48000, 24500 }, .{ 96000, 48000, 40000 }, .{ 48000, 44099.5, 22500 } };
    for (cases) |c| {
        sine(src, 1, 0, c[2], c[0], 1);
        const out = try run(src, 1, c[0], c[1], .medium);
        defer testing.allocator.free(out);
        var e: f64 = 0;
        for (2000..out.len - 2000) |i| e += @as(f64, out[i]) * out[i];
        const rms = @sqrt(e / @as(f64, @floatFromInt(out.len - 4000)));
        const db = 20 * @log10(rms / @sqrt(0.5));
        try testing.expect(db < -100);
    }
}

test "resample: DC passes with gain 1; the same rate copies exactly" {
    const src = try testing.allocator.alloc(f32, 5000 * 3);
    defer testing.allocator.free(src);
    @memset(src, 0.5);
    for ([_]f64{ 48000, 22050, 96000, 47999.25 }) |to| {
        const out = try run(src, 3, 44100, to, .medium);
        defer testing.allocator.free(out);
        const n = out.len / 3;
        for (3 * 600..3 * (n - 600)) |i| try testing.expectApproxEqAbs(@as(f32, 0.5), out[i], 2e-6);
    }
    for (src, 0..) |*x, i| x.* = @floatFromInt(i % 97);
    const same = try run(src, 3, 44100, 44100, .best);
    defer testing.allocator.free(same);
    try testing.expectEqualSlices(f32, src, same);
}

test "resample: bad arguments are refused" {
    var src: [20]f32 = @splat(0);
    var dst: [40]f32 = @splat(0);
    const E = rs.Error.BadArgument;
    try testing.expectError(E, rs.resample(&src, 10, 0, 44100, 48000, .medium, &dst));
    try testing.expectError(E, rs.resample(&src, 10, 2000, 44100, 48000, .medium, &dst));
    try testing.expectError(E, rs.resample(&src, 11, 2, 44100, 48000, .medium, &dst)); // src too short
    try testing.expectError(E, rs.resample(&src, 10, 2, 44100, 48000, .medium, dst[0..21])); // dst too short
    try testing.expectError(E, rs.resample(&src, 10, 2, 0, 48000, .medium, &dst));
    try testing.expectError(E, rs.resample(&src, 10, 2, 44100, std.math.nan(f64), .medium, &dst));
    try testing.expectError(E, rs.resample(&src, 10, 2, 44100, std.math.inf(f64), .medium, &dst));
    try testing.expectError(E, rs.resample(&src, 10, 2, 100, 100 * 257, .medium, &dst));
    try testing.expectEqual(@as(usize, 11), try rs.resample(&src, 10, 2, 44100, 48000, .medium, dst[0..22]));
    try testing.expectEqual(@as(usize, 0), try rs.resample(&src, 0, 2, 44100, 48000, .medium, dst[0..0]));
}
