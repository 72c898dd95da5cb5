//! Benchmark-only references for bench/callback.ts: the mixing a callback does, written the
//! obvious way, and a plain copy of the same bytes (the physical limit). They are compiled with
//! the library (same optimize mode) and called once per block through the FFI exactly like
//! `rtm_mixer_process`, so all three pay the same per-call cost.
//!
//! Voices: `voices` sources, voice v at `src + v * voice_stride` (samples; a stride of 0 makes
//! every voice read the same buffer), each read from frame `position` on.
const std = @import("std");

/// One block of the straightforward mixer: zero the output, then for each voice, frame and
/// source channel, add the sample into the output channel the mapping names (0-based).
///
/// The mapping is a runtime array, so each store is an indexed scatter. Checked with
/// `objdump -d` (ReleaseFast, x86-64 with AVX-512): the frame and channel loops stay scalar
/// (`vmovss`/`vaddss`; the channel loop is unrolled by four with a remainder loop, and the mapping
/// entry is reloaded for every sample because `out` may alias it); the zeroing becomes a memset.
pub fn scalarBlock(
    out: [*]f32,
    out_channels: u32,
    src: [*]const f32,
    src_channels: u32,
    mapping: [*]const u32,
    voices: u32,
    voice_stride: u32,
    position: u32,
    frames: u32,
) void {
    @memset(out[0 .. @as(usize, frames) * out_channels], 0);
    for (0..voices) |v| {
        const s = src + v * @as(usize, voice_stride) + @as(usize, position) * src_channels;
        for (0..frames) |f| {
            for (0..src_channels) |c| out[f * out_channels + mapping[c]] += s[f * src_channels + c];
        }
    }
}

/// One block of copying: each voice's samples for the block copied into `out` (overwriting it;
/// only the bytes moved matter).
pub fn copyBlock(out: [*]f32, src: [*]const f32, src_channels: u32, voices: u32, voice_stride: u32, position: u32, frames: u32) void {
    const n = @as(usize, frames) * src_channels;
    for (0..voices) |v| {
        const s = src + v * @as(usize, voice_stride) + @as(usize, position) * src_channels;
        @memcpy(out[0..n], s[0..n]);
    }
}

const testing = std.testing;
const mix = @import("mix.zig");

test "scalarBlock sums the voices through the mapping, as mix.mixInto does" {
    var src: [3 * 2 * 8]f32 = undefined; // 3 voices × 8 frames × 2 channels
    for (&src, 0..) |*x, i| x.* = @floatFromInt(i % 7);
    for ([_][2]u32{ .{ 0, 1 }, .{ 1, 0 } }) |mapping| {
        var expected: [2 * 4]f32 = @splat(0);
        for (0..3) |v| mix.mixInto(&expected, 2, src[v * 16 + 2 * 2 ..].ptr, &mapping, mix.isContiguous(&mapping), 4);
        var out: [2 * 4]f32 = @splat(9);
        scalarBlock(&out, 2, &src, 2, &mapping, 3, 16, 2, 4);
        try testing.expectEqualSlices(f32, &expected, &out);
    }
}

test "copyBlock leaves the last voice's block in the output" {
    const src = [_]f32{ 1, 2, 3, 4, 5, 6, 7, 8 }; // 2 voices × 2 frames × 2 channels
    var out: [4]f32 = @splat(0);
    copyBlock(&out, &src, 2, 2, 4, 1, 1);
    try testing.expectEqualSlices(f32, &.{ 7, 8, 0, 0 }, &out);
}
