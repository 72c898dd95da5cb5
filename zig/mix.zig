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

test "copyFrom picks the mapped input channels" {
    const in = [_]f32{ 1, 2, 3, 4, 5, 6 }; // 2 frames × 3 channels
    var dst: [4]f32 = undefined;
    copyFrom(&dst, &in, 3, &.{ 2, 0 }, false, 2);
    try testing.expectEqualSlices(f32, &.{ 3, 1, 6, 4 }, &dst);
    var all: [6]f32 = undefined;
    copyFrom(&all, &in, 3, &.{ 0, 1, 2 }, true, 2);
    try testing.expectEqualSlices(f32, &in, &all);
}
