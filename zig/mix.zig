//! The sample loops of the callback: adding a source into interleaved output channels, and
//! copying interleaved input channels out. Contiguous channel mappings (the common case: a stereo
//! buffer onto channels 1-2) take vectorised paths; any other mapping takes a scalar loop.
const std = @import("std");

const lanes = std.simd.suggestVectorLength(f32) orelse 4;
const V = @Vector(lanes, f32);

/// dst[i] += src[i] for n samples.
fn addSamples(dst: [*]f32, src: [*]const f32, n: usize) void {
    var i: usize = 0;
    while (i + 4 * lanes <= n) : (i += 4 * lanes) {
        inline for (0..4) |k| {
            const at = i + k * lanes;
            const d: V = dst[at..][0..lanes].*;
            const s: V = src[at..][0..lanes].*;
            dst[at..][0..lanes].* = d + s;
        }
    }
    while (i + lanes <= n) : (i += lanes) {
        const d: V = dst[i..][0..lanes].*;
        const s: V = src[i..][0..lanes].*;
        dst[i..][0..lanes].* = d + s;
    }
    while (i < n) : (i += 1) dst[i] += src[i];
}

/// The most sources `Batch` adds in one pass.
pub const batch_max = 8;

/// Where a source's channels land in the output, for the layouts `Batch` adds several at a time
/// (`none`: any other, added alone).
pub const Layout = enum(u8) {
    none,
    /// Every output channel, in order (mapping 0, 1, ...).
    whole,
    /// Stereo onto two channels, swapped (mapping 1, 0).
    swapped,
    /// Mono onto the first or the second of two channels.
    mono_left,
    mono_right,
};

pub fn layoutOf(mapping: []const u32, out_channels: u32) Layout {
    // (A cancel, a gain change or a stats fetch has no mapping, and a stream may have no output.)
    if (mapping.len == 0) return .none;
    if (mapping.len == out_channels and isContiguous(mapping) and mapping[0] == 0) return .whole;
    if (out_channels != 2) return .none;
    if (mapping.len == 2 and mapping[0] == 1 and mapping[1] == 0) return .swapped;
    if (mapping.len == 1) return if (mapping[0] == 0) .mono_left else .mono_right;
    return .none;
}

/// Sources of one layout waiting to be added, in order, each times its gain, into the same
/// block of output (`n` samples): what `mixInto` adds (gain 1) or `mixGained` adds with one
/// constant gain, for each. One pass adds up to `batch_max` of them, so each output sample is
/// loaded and stored once per batch rather than once per source. The sums are those of one pass
/// per source, bit for bit: each output sample still gets its additions one at a time, in the
/// same order, each product and sum rounded to f32 (a gain of 1 multiplies nothing). A source of
/// another layout first adds those waiting.
pub const Batch = struct {
    dst: [*]f32,
    n: usize,
    srcs: [batch_max][*]const f32 = undefined,
    gains: [batch_max]f32 = undefined,
    len: usize = 0,
    layout: Layout = .whole,

    /// Adds `src` (laid out as `layout`, not `none`) times `gain` after those waiting; the batch
    /// is added when full. `src` must stay readable until the batch is flushed.
    pub fn add(b: *Batch, src: [*]const f32, gain: f32, layout: Layout) void {
        std.debug.assert(layout != .none);
        if (layout != b.layout) {
            b.flush();
            b.layout = layout;
        }
        b.srcs[b.len] = src;
        b.gains[b.len] = gain;
        b.len += 1;
        if (b.len == batch_max) b.flush();
    }

    /// Adds the sources waiting, in order.
    pub fn flush(b: *Batch) void {
        if (b.len == 0) return;
        // Whether some gain is not 1: looked up here, once a batch, rather than kept up to date
        // as each source joins it.
        const scaled = for (b.gains[0..b.len]) |g| {
            if (g != 1) break true;
        } else false;
        switch (b.layout) {
            .none => unreachable,
            inline else => |layout| switch (b.len) {
                inline 1...batch_max => |k| if (scaled)
                    addBatch(layout, k, true, b.dst, b.srcs[0..k], b.gains[0..k], b.n)
                else
                    addBatch(layout, k, false, b.dst, b.srcs[0..k], b.gains[0..k], b.n),
                else => unreachable,
            },
        }
        b.len = 0;
    }
};

/// Adds each of `srcs`, in order, times its gain (`scaled`: any gain may differ from 1), into
/// `n` samples at `dst`, laid out as `layout`.
fn addBatch(comptime layout: Layout, comptime k: usize, comptime scaled: bool, dst: [*]f32, srcs: *const [k][*]const f32, gains: *const [k]f32, n: usize) void {
    switch (layout) {
        .none => unreachable,
        .whole, .swapped => {
            var i: usize = 0;
            while (i + lanes <= n) : (i += lanes) {
                var d: V = dst[i..][0..lanes].*;
                inline for (srcs, gains) |src, g| {
                    var s: V = src[i..][0..lanes].*;
                    if (layout == .swapped) s = @shuffle(f32, s, undefined, swap_mask);
                    d += if (scaled and g != 1) s * @as(V, @splat(g)) else s;
                }
                dst[i..][0..lanes].* = d;
            }
            while (i < n) : (i += 1) {
                var d = dst[i];
                inline for (srcs, gains) |src, g| {
                    const x = src[if (layout == .swapped) i ^ 1 else i];
                    d += if (scaled and g != 1) x * g else x;
                }
                dst[i] = d;
            }
        },
        .mono_left, .mono_right => {
            // As `addMonoInto`: the other channel's lanes add +0.0, which changes no output bit.
            const channel: u1 = if (layout == .mono_left) 0 else 1;
            const zero: V = @splat(0);
            const frames = n / 2;
            var f: usize = 0;
            while (f + lanes <= frames) : (f += lanes) {
                const o = dst + 2 * f;
                var lo: V = o[0..lanes].*;
                var hi: V = o[lanes..][0..lanes].*;
                inline for (srcs, gains) |src, g| {
                    var s: V = src[f..][0..lanes].*;
                    if (scaled and g != 1) s *= @as(V, @splat(g));
                    lo += @shuffle(f32, s, zero, spreadMask(channel, 0));
                    hi += @shuffle(f32, s, zero, spreadMask(channel, lanes / 2));
                }
                o[0..lanes].* = lo;
                o[lanes..][0..lanes].* = hi;
            }
            while (f < frames) : (f += 1) {
                var d = dst[2 * f + channel];
                inline for (srcs, gains) |src, g| d += if (scaled and g != 1) src[f] * g else src[f];
                dst[2 * f + channel] = d;
            }
        },
    }
}

/// The lanes of a vector of samples that swap each pair (stereo frames, channels exchanged).
const swap_mask: @Vector(lanes, i32) = blk: {
    var m: [lanes]i32 = undefined;
    for (0..lanes) |i| m[i] = @intCast(i ^ 1);
    break :blk m;
};

/// Spreads mono frames `first`.. (half a vector of them) over a vector of stereo samples, onto
/// `channel`, the other channel's lanes taking lane 0 of the zero vector (~0).
fn spreadMask(comptime channel: u1, comptime first: usize) @Vector(lanes, i32) {
    var m: [lanes]i32 = undefined;
    for (0..lanes / 2) |j| {
        m[2 * j + channel] = @intCast(first + j);
        m[2 * j + (1 - channel)] = -1;
    }
    return m;
}

/// dst[i] += src[i ^ 1] for n samples (n even): stereo frames with their channels swapped.
/// Each output sample gets the one addition the scalar loop gives it: the same sums.
fn addSwapped(dst: [*]f32, src: [*]const f32, n: usize) void {
    var i: usize = 0;
    while (i + lanes <= n) : (i += lanes) {
        const d: V = dst[i..][0..lanes].*;
        const s: V = src[i..][0..lanes].*;
        dst[i..][0..lanes].* = d + @shuffle(f32, s, undefined, swap_mask);
    }
    while (i < n) : (i += 2) {
        dst[i] += src[i + 1];
        dst[i + 1] += src[i];
    }
}

/// dst[2f + channel] += src[f] for `frames` frames: a mono source onto one channel of two. A
/// vector of source frames is spread over two vectors of output samples, the other channel's
/// lanes adding +0.0. That leaves them unchanged bit for bit: an output sample is never -0.0
/// (it starts at +0.0, and x + y is -0.0 only if both are), and x + 0.0 = x for every other x.
fn addMonoInto(comptime channel: u1, dst: [*]f32, src: [*]const f32, frames: usize) void {
    const half = lanes / 2;
    const zero: V = @splat(0);
    var f: usize = 0;
    while (f + lanes <= frames) : (f += lanes) {
        const s: V = src[f..][0..lanes].*;
        const o = dst + 2 * f;
        const lo: V = o[0..lanes].*;
        const hi: V = o[lanes..][0..lanes].*;
        o[0..lanes].* = lo + @shuffle(f32, s, zero, spreadMask(channel, 0));
        o[lanes..][0..lanes].* = hi + @shuffle(f32, s, zero, spreadMask(channel, half));
    }
    while (f < frames) : (f += 1) dst[2 * f + channel] += src[f];
}

/// Whether `mapping` (0-based) is first, first+1, ...: a run of neighbouring channels.
pub fn isContiguous(mapping: []const u32) bool {
    for (mapping, 0..) |ch, i| if (ch != mapping[0] + i) return false;
    return true;
}

/// Adds `frames` frames of `src` (interleaved, mapping.len channels) into `out` (interleaved,
/// out_channels channels): source channel c goes to output channel mapping[c] (0-based).
pub fn mixInto(out: [*]f32, out_channels: u32, src: [*]const f32, mapping: []const u32, contiguous: bool, frames: usize) void {
    const src_channels = mapping.len;
    if (contiguous and src_channels == out_channels) {
        addSamples(out, src, frames * src_channels);
    } else if (src_channels == 1 and out_channels == 2 and mapping[0] < 2) {
        if (mapping[0] == 0) addMonoInto(0, out, src, frames) else addMonoInto(1, out, src, frames);
    } else if (src_channels == 2 and out_channels == 2 and mapping[0] == 1 and mapping[1] == 0) {
        addSwapped(out, src, 2 * frames);
    } else if (src_channels == 1) {
        const o = out + mapping[0];
        for (0..frames) |f| o[f * out_channels] += src[f];
    } else if (src_channels == 2 and out_channels == 2) {
        // Swapped stereo: one pass over the frames, both channels at once.
        const left = mapping[0];
        const right = mapping[1];
        for (0..frames) |f| {
            out[2 * f + left] += src[2 * f];
            out[2 * f + right] += src[2 * f + 1];
        }
    } else {
        // Channel by channel: each pass is a plain strided loop the compiler keeps tight.
        for (mapping, 0..) |ch, c| {
            const o = out + ch;
            const s = src + c;
            for (0..frames) |f| o[f * out_channels] += s[f * src_channels];
        }
    }
}

/// One route of a mix matrix: source channel `source` into output channel `channel`, times `gain`.
pub const Route = extern struct { source: u32, channel: u32, gain: f32 };

/// dst[i] += src[i] * g for n samples.
fn addScaled(dst: [*]f32, src: [*]const f32, n: usize, g: f32) void {
    const gv: V = @splat(g);
    var i: usize = 0;
    while (i + lanes <= n) : (i += lanes) {
        const d: V = dst[i..][0..lanes].*;
        const s: V = src[i..][0..lanes].*;
        dst[i..][0..lanes].* = d + s * gv;
    }
    while (i < n) : (i += 1) dst[i] += src[i] * g;
}

/// dst[i] += src[i] * gains[i] for n samples.
fn addMultiplied(dst: [*]f32, src: [*]const f32, gains: [*]const f32, n: usize) void {
    var i: usize = 0;
    while (i + lanes <= n) : (i += lanes) {
        const d: V = dst[i..][0..lanes].*;
        const s: V = src[i..][0..lanes].*;
        const g: V = gains[i..][0..lanes].*;
        dst[i..][0..lanes].* = d + s * g;
    }
    while (i < n) : (i += 1) dst[i] += src[i] * gains[i];
}

/// Frames whose gains `mixGained` spreads over their samples at a time, and the most channels it
/// does so for (4 KiB on the stack); wider layouts take a loop per frame.
const spread_frames = 128;
const spread_channels_max = 8;

/// Like `mixInto`, with every sample times a gain: `env[f]` for frame f if given, else `g`.
/// `src` has `src_channels` channels (mapping.len of them are played, source channel c onto
/// output channel mapping[c]).
pub fn mixGained(out: [*]f32, out_channels: u32, src: [*]const f32, src_channels: usize, mapping: []const u32, contiguous: bool, frames: usize, env: ?[*]const f32, g: f32) void {
    if (env) |e| {
        if (contiguous and src_channels == out_channels and mapping.len == src_channels and src_channels <= spread_channels_max) {
            // Each frame's gain spread over its samples, then one vector pass over them all.
            var spread: [spread_frames * spread_channels_max]f32 = undefined;
            var f0: usize = 0;
            while (f0 < frames) : (f0 += spread_frames) {
                const n = @min(spread_frames, frames - f0);
                switch (src_channels) {
                    inline 1, 2 => |c| for (0..n) |f| {
                        inline for (0..c) |k| spread[f * c + k] = e[f0 + f];
                    },
                    else => for (0..n) |f| {
                        for (0..src_channels) |c| spread[f * src_channels + c] = e[f0 + f];
                    },
                }
                addMultiplied(out + f0 * src_channels, src + f0 * src_channels, &spread, n * src_channels);
            }
        } else if (contiguous and src_channels == out_channels and mapping.len == src_channels) {
            for (0..frames) |f| {
                const gf = e[f];
                for (0..src_channels) |c| out[f * src_channels + c] += src[f * src_channels + c] * gf;
            }
        } else for (mapping, 0..) |ch, c| {
            const o = out + ch;
            const s = src + c;
            for (0..frames) |f| o[f * out_channels] += s[f * src_channels] * e[f];
        }
    } else if (contiguous and src_channels == out_channels and mapping.len == src_channels) {
        addScaled(out, src, frames * src_channels, g);
    } else for (mapping, 0..) |ch, c| {
        const o = out + ch;
        const s = src + c;
        for (0..frames) |f| o[f * out_channels] += s[f * src_channels] * g;
    }
}

/// Adds `frames` frames of `src` (`src_channels` channels) into `out` through a mix matrix: for
/// each route, out[f][channel] += src[f][source] * (gain(f) * route.gain), gain(f) being `env[f]`
/// if given, else `g`.
pub fn mixRoutes(out: [*]f32, out_channels: u32, src: [*]const f32, src_channels: usize, routes: []const Route, frames: usize, env: ?[*]const f32, g: f32) void {
    for (routes) |r| {
        const o = out + r.channel;
        const s = src + r.source;
        if (env) |e| {
            for (0..frames) |f| o[f * out_channels] += s[f * src_channels] * (e[f] * r.gain);
        } else {
            const k = g * r.gain;
            for (0..frames) |f| o[f * out_channels] += s[f * src_channels] * k;
        }
    }
}

/// Copies `frames` frames into `dst` (interleaved, mapping.len channels) from `in` (interleaved,
/// in_channels channels): destination channel c takes input channel mapping[c] (0-based).
pub fn copyFrom(dst: [*]f32, in: [*]const f32, in_channels: u32, mapping: []const u32, contiguous: bool, frames: usize) void {
    const dst_channels = mapping.len;
    if (contiguous and dst_channels == in_channels) {
        @memcpy(dst[0 .. frames * dst_channels], in[0 .. frames * dst_channels]);
    } else {
        for (0..frames) |f| {
            for (mapping, 0..) |ch, c| dst[f * dst_channels + c] = in[f * in_channels + ch];
        }
    }
}

const testing = std.testing;

test "mixInto adds through identity, offset and scattered mappings" {
    var out: [3 * 5]f32 = @splat(1);
    const src = [_]f32{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }; // 5 frames × 2 channels
    mixInto(&out, 3, &src, &.{ 1, 2 }, true, 5);
    try testing.expectEqualSlices(f32, &.{ 1, 2, 3, 1, 4, 5, 1, 6, 7, 1, 8, 9, 1, 10, 11 }, &out);
    var out2: [2 * 5]f32 = @splat(0);
    mixInto(&out2, 2, &src, &.{ 1, 0 }, false, 5);
    try testing.expectEqualSlices(f32, &.{ 2, 1, 4, 3, 6, 5, 8, 7, 10, 9 }, &out2);
    var out3: [2 * 37]f32 = @splat(0.5);
    var src3: [2 * 37]f32 = undefined;
    for (&src3, 0..) |*x, i| x.* = @floatFromInt(i);
    mixInto(&out3, 2, &src3, &.{ 0, 1 }, true, 37);
    for (out3, 0..) |x, i| try testing.expectEqual(@as(f32, @floatFromInt(i)) + 0.5, x);
}

test "mixInto's vector paths for swapped stereo and mono onto one of two channels give the scalar loop's bits" {
    // Lengths around the vector width and its tail; sources with -0.0, infinities and NaN, added
    // into outputs that already hold sums (as after other voices) and +0.0 (untouched samples).
    var src: [2 * 70]f32 = undefined;
    for (&src, 0..) |*x, i| x.* = switch (i % 9) {
        0 => -0.0,
        1 => std.math.inf(f32),
        2 => -std.math.inf(f32),
        3 => std.math.nan(f32),
        else => @as(f32, @floatFromInt(i)) * 0.37 - 11,
    };
    for ([_][]const u32{ &.{ 1, 0 }, &.{0}, &.{1} }) |mapping| {
        for (0..70) |frames| {
            var got: [2 * 70]f32 = @splat(0);
            var want: [2 * 70]f32 = @splat(0);
            for (0..2 * frames) |i| if (i % 3 == 0) {
                got[i] = @floatFromInt(i);
                want[i] = @floatFromInt(i);
            };
            mixInto(&got, 2, &src, mapping, false, frames);
            for (0..frames) |f| {
                for (mapping, 0..) |ch, c| want[2 * f + ch] += src[f * mapping.len + c];
            }
            for (got, want) |g, w| try testing.expectEqual(@as(u32, @bitCast(w)), @as(u32, @bitCast(g)));
        }
    }
}

test "a Batch adds its sources in order, with the bits of one pass per source, in every layout" {
    // Magnitudes from 2^-10 to 2^20 and both signs: sums that change with their order.
    const frames = 3 * 16 + 5; // vector passes and a scalar tail, whatever the vector width
    var srcs: [batch_max + 3][2 * frames]f32 = undefined;
    for (&srcs, 0..) |*src, k| for (src, 0..) |*x, i| {
        const magnitude = std.math.ldexp(@as(f32, 1), @as(i32, @intCast(k % 7)) * 5 - 10);
        const sign: f32 = if ((i + k) % 3 == 0) -1 else 1;
        x.* = sign * magnitude * @as(f32, @floatFromInt((i * 7919 + k * 31) % 1021)) / 1021;
    };
    const layouts = [_]struct { Layout, []const u32 }{
        .{ .whole, &.{ 0, 1 } },
        .{ .swapped, &.{ 1, 0 } },
        .{ .mono_left, &.{0} },
        .{ .mono_right, &.{1} },
    };
    for (layouts) |l| {
        try testing.expectEqual(l[0], layoutOf(l[1], 2));
        for (1..srcs.len + 1) |count| for ([_]bool{ false, true }) |with_gains| {
            var want: [2 * frames]f32 = undefined;
            var got: [2 * frames]f32 = undefined;
            for (&want, &got, 0..) |*w, *g, i| {
                w.* = @floatFromInt(i);
                g.* = @floatFromInt(i);
            }
            var batch: Batch = .{ .dst = &got, .n = 2 * frames };
            for (srcs[0..count], 0..) |*src, j| {
                const gain: f32 = if (!with_gains or j % 3 == 1) 1 else 0.3 + @as(f32, @floatFromInt(j));
                if (gain == 1) mixInto(&want, 2, src, l[1], isContiguous(l[1]), frames) else mixGained(&want, 2, src, l[1].len, l[1], isContiguous(l[1]), frames, null, gain);
                batch.add(src, gain, l[0]);
            }
            batch.flush();
            try testing.expectEqual(@as(usize, 0), batch.len);
            for (got, want) |g, w| try testing.expectEqual(@as(u32, @bitCast(w)), @as(u32, @bitCast(g)));
        };
    }
    // A source of another layout adds those waiting first.
    var want: [2 * frames]f32 = @splat(0);
    var got: [2 * frames]f32 = @splat(0);
    var batch: Batch = .{ .dst = &got, .n = 2 * frames };
    for (0..6) |j| {
        const l = layouts[j % layouts.len];
        mixInto(&want, 2, &srcs[j], l[1], isContiguous(l[1]), frames);
        batch.add(&srcs[j], 1, l[0]);
    }
    batch.flush();
    for (got, want) |g, w| try testing.expectEqual(@as(u32, @bitCast(w)), @as(u32, @bitCast(g)));
    try testing.expectEqual(Layout.none, layoutOf(&.{ 0, 1 }, 4));
    try testing.expectEqual(Layout.whole, layoutOf(&.{ 0, 1, 2, 3 }, 4));
    try testing.expectEqual(Layout.none, layoutOf(&.{2}, 4));
    try testing.expectEqual(Layout.none, layoutOf(&.{ 1, 1 }, 2));
    try testing.expectEqual(Layout.none, layoutOf(&.{}, 0));
    try testing.expectEqual(Layout.none, layoutOf(&.{}, 2));
}

test "mixGained and mixRoutes scale by a constant or per frame" {
    const src = [_]f32{ 1, 2, 3, 4, 5, 6 }; // 3 frames × 2 channels
    var out: [6]f32 = @splat(0);
    mixGained(&out, 2, &src, 2, &.{ 0, 1 }, true, 3, null, 0.5);
    try testing.expectEqualSlices(f32, &.{ 0.5, 1, 1.5, 2, 2.5, 3 }, &out);
    const env = [_]f32{ 1, 0, 2 };
    var out2: [6]f32 = @splat(0);
    mixGained(&out2, 2, &src, 2, &.{ 1, 0 }, false, 3, &env, 1);
    try testing.expectEqualSlices(f32, &.{ 2, 1, 0, 0, 12, 10 }, &out2);
    var out3: [6]f32 = @splat(0);
    mixGained(&out3, 2, &src, 2, &.{ 0, 1 }, true, 3, &env, 1);
    try testing.expectEqualSlices(f32, &.{ 1, 2, 0, 0, 10, 12 }, &out3);
    // Mono (source channel 0 of a 2-channel source) onto both outputs, at 0.5 and 0.25.
    var out4: [6]f32 = @splat(0);
    mixRoutes(&out4, 2, &src, 2, &.{ .{ .source = 0, .channel = 0, .gain = 0.5 }, .{ .source = 0, .channel = 1, .gain = 0.25 } }, 3, null, 2);
    try testing.expectEqualSlices(f32, &.{ 1, 0.5, 3, 1.5, 5, 2.5 }, &out4);
    var out5: [6]f32 = @splat(0);
    mixRoutes(&out5, 2, &src, 2, &.{.{ .source = 1, .channel = 0, .gain = 0.5 }}, 3, &env, 1);
    try testing.expectEqualSlices(f32, &.{ 1, 0, 0, 0, 6, 0 }, &out5);
}

test "copyFrom picks the mapped input channels" {
    const in = [_]f32{ 1, 2, 3, 4, 5, 6 }; // 2 frames × 3 channels
    var dst: [4]f32 = undefined;
    copyFrom(&dst, &in, 3, &.{ 2, 0 }, false, 2);
    try testing.expectEqualSlices(f32, &.{ 3, 1, 6, 4 }, &dst);
    var all: [6]f32 = undefined;
    copyFrom(&all, &in, 3, &.{ 0, 1, 2 }, true, 2);
    try testing.expectEqualSlices(f32, &in, &all);
}
