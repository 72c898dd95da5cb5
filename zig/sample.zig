//! Samples in native memory that many play actions can share: uploaded once, played by any
//! number of actions at once without a copy each (TypeScript's `Sample`). Reference-counted by
//! its owner and by each action in flight; the counts change only on the JavaScript thread
//! (creation, submission, release), never on the audio thread, which only reads the samples.
const std = @import("std");
const alloc = @import("alloc.zig");

pub const Sample = extern struct {
    data: [*]align(64) f32,
    len: usize,
    refs: u32,
    _pad: u32 = 0,

    /// The most samples one Sample may hold.
    pub const samples_max: usize = 1 << 40;

    /// A copy of the `src_bytes` bytes at `src` (a whole number of f32 samples), with one
    /// reference (its owner's); null if the length is not whole or memory is short.
    pub fn create(src: ?[*]const u8, src_bytes: usize) ?*Sample {
        if (src_bytes % @sizeOf(f32) != 0 or (src == null and src_bytes != 0)) return null;
        const len = src_bytes / @sizeOf(f32);
        if (len > samples_max) return null;
        const s = alloc.create(Sample) orelse return null;
        const data = alloc.alloc(f32, @max(len, 1)) orelse {
            alloc.destroy(s);
            return null;
        };
        if (len > 0) @memcpy(std.mem.sliceAsBytes(data[0..len]), src.?[0..src_bytes]);
        s.* = .{ .data = data.ptr, .len = len, .refs = 1 };
        return s;
    }

    pub fn ref(s: *Sample) void {
        s.refs += 1;
    }

    /// Drops one reference; the last frees it.
    pub fn unref(s: *Sample) void {
        std.debug.assert(s.refs > 0);
        s.refs -= 1;
        if (s.refs == 0) {
            alloc.free(s.data[0..@max(s.len, 1)]);
            alloc.destroy(s);
        }
    }
};

test "the last reference frees the copy" {
    const before = alloc.liveAllocations();
    const src = [_]f32{ 1, 2, 3 };
    const s = Sample.create(@ptrCast(&src), @sizeOf(@TypeOf(src))).?;
    try std.testing.expectEqualSlices(f32, &src, s.data[0..3]);
    s.ref();
    s.unref();
    try std.testing.expectEqual(@as(u32, 1), s.refs);
    s.unref();
    try std.testing.expectEqual(before, alloc.liveAllocations());
}

test "a length that is not a whole number of samples is refused" {
    const src = [_]u8{ 1, 2, 3 };
    try std.testing.expect(Sample.create(&src, 3) == null);
    try std.testing.expect(Sample.create(null, 4) == null);
}
