//! PortAudio's single-reader single-writer lock-free ring buffer (pa_ringbuffer.c), in Zig.
//!
//! The element count N is a power of two and all N elements are usable: the indices run modulo
//! 2N, so "full" (difference N) and "empty" (difference 0) differ. A writer publishes data with
//! a release store of the write index; a reader sees it with an acquire load, and vice versa for
//! freed space. So one reader and one writer may run on different threads (one of them the audio
//! callback) without locks. Nothing here allocates except `create`/`destroy`.
const std = @import("std");
const alloc = @import("alloc.zig");

pub const RingBuffer = extern struct {
    /// Owned by the writer; read by the reader with acquire ordering.
    write_index: u32 align(64) = 0,
    /// Where the last `getWriteRegions` starts (an element index), for the TypeScript writer.
    write_start: u32 = 0,
    /// Owned by the reader, on its own cache line so the two sides do not fight over it.
    read_index: u32 align(64) = 0,
    /// Where the last `getReadRegions` starts (an element index), for the TypeScript reader.
    read_start: u32 = 0,
    size: u32 align(64),
    element_size: u32,
    big_mask: u32,
    small_mask: u32,
    data: [*]u8,
    /// Whether `data` was allocated here (and is freed by `destroy`) or lent by the caller.
    owns_data: u32,
    _pad: u32 = 0,

    /// The largest element count: indices modulo 2N must fit an i32 for the exported API.
    pub const size_max: u32 = 1 << 30;

    /// The two parts of a region, in bytes from `data`. The second part, if any, starts at 0.
    pub const Regions = struct {
        count: u32,
        first_start: u32,
        first_count: u32,
        second_count: u32,
    };

    pub fn isValidSize(size: u32) bool {
        return size > 0 and size <= size_max and std.math.isPowerOfTwo(size);
    }

    /// A ring buffer over `data` (lent, at least size * element_size bytes) or, when `data` is
    /// null, over memory allocated here. Null when the arguments are invalid or memory is short.
    pub fn create(element_size: u32, size: u32, data: ?[*]u8) ?*RingBuffer {
        if (element_size == 0 or !isValidSize(size)) return null;
        const bytes = std.math.mul(usize, element_size, size) catch return null;
        const rb = alloc.create(RingBuffer) orelse return null;
        var owned: ?[]u8 = null;
        if (data == null) {
            owned = alloc.alloc(u8, bytes) orelse {
                alloc.destroy(rb);
                return null;
            };
            @memset(owned.?, 0);
        }
        rb.* = .{
            .size = size,
            .element_size = element_size,
            .big_mask = size * 2 - 1,
            .small_mask = size - 1,
            .data = if (owned) |o| o.ptr else data.?,
            .owns_data = @intFromBool(owned != null),
        };
        return rb;
    }

    pub fn destroy(rb: *RingBuffer) void {
        if (rb.owns_data != 0) alloc.free(rb.data[0 .. @as(usize, rb.size) * rb.element_size]);
        alloc.destroy(rb);
    }

    /// Empties the ring. Only safe while neither side is reading or writing.
    pub fn flush(rb: *RingBuffer) void {
        @atomicStore(u32, &rb.write_index, 0, .release);
        @atomicStore(u32, &rb.read_index, 0, .release);
    }

    pub fn readAvailable(rb: *const RingBuffer) u32 {
        const w = @atomicLoad(u32, &rb.write_index, .acquire);
        const r = @atomicLoad(u32, &rb.read_index, .acquire);
        return (w -% r) & rb.big_mask;
    }

    pub fn writeAvailable(rb: *const RingBuffer) u32 {
        return rb.size - rb.readAvailable();
    }

    fn split(rb: *const RingBuffer, index: u32, count: u32) Regions {
        const start = index & rb.small_mask;
        const first = @min(count, rb.size - start);
        return .{ .count = count, .first_start = start, .first_count = first, .second_count = count - first };
    }

    /// Up to `count` elements of free space, as up to two parts.
    pub fn getWriteRegions(rb: *RingBuffer, count: u32) Regions {
        const regions = rb.split(rb.write_index, @min(count, rb.writeAvailable()));
        rb.write_start = regions.first_start;
        return regions;
    }

    /// Up to `count` elements of readable data, as up to two parts.
    pub fn getReadRegions(rb: *RingBuffer, count: u32) Regions {
        const regions = rb.split(rb.read_index, @min(count, rb.readAvailable()));
        rb.read_start = regions.first_start;
        return regions;
    }

    /// Publishes `count` written elements. The caller checked `count <= writeAvailable()`.
    pub fn advanceWriteIndex(rb: *RingBuffer, count: u32) u32 {
        std.debug.assert(count <= rb.writeAvailable());
        const next = (rb.write_index +% count) & rb.big_mask;
        @atomicStore(u32, &rb.write_index, next, .release);
        return next;
    }

    /// Frees `count` read elements. The caller checked `count <= readAvailable()`.
    pub fn advanceReadIndex(rb: *RingBuffer, count: u32) u32 {
        std.debug.assert(count <= rb.readAvailable());
        const next = (rb.read_index +% count) & rb.big_mask;
        @atomicStore(u32, &rb.read_index, next, .release);
        return next;
    }

    /// The bytes of element `index` onwards.
    pub fn bytesAt(rb: *const RingBuffer, index: u32) [*]u8 {
        return rb.data + @as(usize, index) * rb.element_size;
    }

    /// Copies up to `count` elements from `src` in; returns how many.
    pub fn write(rb: *RingBuffer, src: [*]const u8, count: u32) u32 {
        const r = rb.getWriteRegions(count);
        const es: usize = rb.element_size;
        const first_bytes = r.first_count * es;
        @memcpy(rb.bytesAt(r.first_start)[0..first_bytes], src[0..first_bytes]);
        @memcpy(rb.data[0 .. r.second_count * es], src[first_bytes..][0 .. r.second_count * es]);
        _ = rb.advanceWriteIndex(r.count);
        return r.count;
    }

    /// Copies up to `count` elements out to `dst`; returns how many.
    pub fn read(rb: *RingBuffer, dst: [*]u8, count: u32) u32 {
        const r = rb.getReadRegions(count);
        const es: usize = rb.element_size;
        const first_bytes = r.first_count * es;
        @memcpy(dst[0..first_bytes], rb.bytesAt(r.first_start)[0..first_bytes]);
        @memcpy(dst[first_bytes..][0 .. r.second_count * es], rb.data[0 .. r.second_count * es]);
        _ = rb.advanceReadIndex(r.count);
        return r.count;
    }
};

// TypeScript reads these fields through a view (src/ffi/layout.ts): keep the offsets fixed.
comptime {
    std.debug.assert(@offsetOf(RingBuffer, "write_index") == 0);
    std.debug.assert(@offsetOf(RingBuffer, "write_start") == 4);
    std.debug.assert(@offsetOf(RingBuffer, "read_index") == 64);
    std.debug.assert(@offsetOf(RingBuffer, "read_start") == 68);
    std.debug.assert(@offsetOf(RingBuffer, "size") == 128);
    std.debug.assert(@sizeOf(RingBuffer) == 192);
}

const testing = std.testing;

fn expectRegions(r: RingBuffer.Regions, count: u32, first_start: u32, first_count: u32, second_count: u32) !void {
    try testing.expectEqual(RingBuffer.Regions{ .count = count, .first_start = first_start, .first_count = first_count, .second_count = second_count }, r);
}

test "all N elements are usable, and full and empty are told apart" {
    const rb = RingBuffer.create(4, 8, null).?;
    defer rb.destroy();
    try testing.expectEqual(@as(u32, 0), rb.readAvailable());
    try testing.expectEqual(@as(u32, 8), rb.writeAvailable());
    var src: [32]u8 = undefined;
    for (&src, 0..) |*b, i| b.* = @intCast(i);
    try testing.expectEqual(@as(u32, 8), rb.write(&src, 9));
    try testing.expectEqual(@as(u32, 8), rb.readAvailable());
    try testing.expectEqual(@as(u32, 0), rb.writeAvailable());
    try testing.expectEqual(@as(u32, 0), rb.write(&src, 1));
    var dst: [32]u8 = undefined;
    try testing.expectEqual(@as(u32, 8), rb.read(&dst, 100));
    try testing.expectEqualSlices(u8, &src, &dst);
    try testing.expectEqual(@as(u32, 0), rb.readAvailable());
}

test "regions wrap around in two parts" {
    const rb = RingBuffer.create(1, 8, null).?;
    defer rb.destroy();
    _ = rb.advanceWriteIndex(rb.getWriteRegions(6).count);
    _ = rb.advanceReadIndex(rb.getReadRegions(5).count);
    // write index at 6, read index at 5: 7 free elements, from 6 to the end, then from 0.
    try expectRegions(rb.getWriteRegions(100), 7, 6, 2, 5);
    try expectRegions(rb.getWriteRegions(2), 2, 6, 2, 0);
    try expectRegions(rb.getWriteRegions(3), 3, 6, 2, 1);
    _ = rb.advanceWriteIndex(7);
    try testing.expectEqual(@as(u32, 8), rb.readAvailable());
    try expectRegions(rb.getReadRegions(8), 8, 5, 3, 5);
    try testing.expectEqual(@as(u32, 13), rb.write_index);
}

test "data survives wrap-around byte for byte" {
    const rb = RingBuffer.create(3, 4, null).?;
    defer rb.destroy();
    var next_in: u8 = 0;
    var next_out: u8 = 0;
    for (0..50) |round| {
        var buf: [12]u8 = undefined;
        const n: u32 = @intCast(round % 4 + 1);
        for (buf[0 .. n * 3]) |*b| {
            b.* = next_in;
            next_in +%= 1;
        }
        const written = rb.write(&buf, n);
        next_in -%= @intCast((n - written) * 3);
        var out: [12]u8 = undefined;
        const got = rb.read(&out, @intCast(round % 3 + 1));
        for (out[0 .. got * 3]) |b| {
            try testing.expectEqual(next_out, b);
            next_out +%= 1;
        }
    }
}

test "flush empties the ring" {
    const rb = RingBuffer.create(2, 4, null).?;
    defer rb.destroy();
    const src = [_]u8{ 1, 2, 3, 4, 5, 6 };
    _ = rb.write(&src, 3);
    rb.flush();
    try testing.expectEqual(@as(u32, 0), rb.readAvailable());
    try testing.expectEqual(@as(u32, 4), rb.writeAvailable());
}

test "a lent buffer is used in place and not freed" {
    var mem: [16]u8 = @splat(0);
    const rb = RingBuffer.create(4, 4, &mem).?;
    const src = [_]u8{ 9, 8, 7, 6 };
    _ = rb.write(&src, 1);
    try testing.expectEqualSlices(u8, &src, mem[0..4]);
    rb.destroy();
}

test "invalid sizes are refused" {
    try testing.expect(RingBuffer.create(4, 3, null) == null);
    try testing.expect(RingBuffer.create(4, 0, null) == null);
    try testing.expect(RingBuffer.create(0, 4, null) == null);
    try testing.expect(RingBuffer.create(1, RingBuffer.size_max * 2, null) == null);
}

test "one writer thread and one reader thread move every element once, in order" {
    const rb = RingBuffer.create(8, 64, null).?;
    defer rb.destroy();
    const total: u64 = 1_000_000;
    const Writer = struct {
        fn run(r: *RingBuffer) void {
            var next: u64 = 0;
            while (next < total) {
                const n: u32 = @intCast(@min(total - next, 7));
                var chunk: [7]u64 = undefined;
                for (chunk[0..n], 0..) |*v, i| v.* = next + i;
                next += r.write(@ptrCast(&chunk), n);
            }
        }
    };
    const thread = try std.Thread.spawn(.{}, Writer.run, .{rb});
    var expected: u64 = 0;
    while (expected < total) {
        var chunk: [5]u64 = undefined;
        const got = rb.read(@ptrCast(&chunk), 5);
        for (chunk[0..got]) |v| {
            try testing.expectEqual(expected, v);
            expected += 1;
        }
    }
    thread.join();
}
