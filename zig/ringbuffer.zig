//! PortAudio's single-reader single-writer lock-free ring buffer (pa_ringbuffer.c), in Zig.
//!
//! The element count N is a power of two and all N elements are usable: the indices run modulo
//! 2N, so "full" (difference N) and "empty" (difference 0) differ. A writer publishes data with
//! a release store of the write index; a reader sees it with an acquire load, and vice versa for
//! freed space. So one reader and one writer may run on different threads (one of them the audio
//! callback) without locks. Nothing here allocates except `create`/`unref`.
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
    /// Whether `data` was allocated here (and is freed with the ring) or lent by the caller.
    owns_data: u32,
    /// References: the JavaScript owner's, and one per action in flight that uses the ring. The
    /// last `unref` frees the ring. Changed on the JavaScript thread only.
    refs: u32 = 1,
    /// Which side an action took (`side.reader`, `side.writer`): that side belongs to the audio
    /// thread until the action is released, and JavaScript calls on it are refused. So there is
    /// never more than one reader and one writer. Changed on the JavaScript thread only.
    claims: u32 = 0,
    /// Set when JavaScript may still reach `data` through a buffer it could not take back (a
    /// view's ArrayBuffer that was transferred): then the data outlives the ring, on purpose.
    keep_data: u32 = 0,

    /// The largest element count: indices modulo 2N must fit an i32 for the exported API.
    pub const size_max: u32 = 1 << 30;
    /// The largest element size in bytes.
    pub const element_size_max: u32 = 1 << 24;

    pub const side = struct {
        pub const reader: u32 = 1;
        pub const writer: u32 = 2;
    };

    /// Status codes of the exported calls (negative; counts are returned as non-negative).
    pub const Status = enum(i32) {
        ok = 0,
        /// A count exceeds what is available, or memory is shorter than the count needs.
        bad_length = -1,
        /// The side this call works on belongs to an action (see `claims`).
        side_in_use = -2,
        /// A copy needed for overlapping memory could not be allocated.
        out_of_memory = -3,
    };

    /// The two parts of a region, in elements from `data`. The second part, if any, starts at 0.
    pub const Regions = struct {
        count: u32,
        first_start: u32,
        first_count: u32,
        second_count: u32,
    };

    pub fn isValidSize(size: u32) bool {
        return size > 0 and size <= size_max and std.math.isPowerOfTwo(size);
    }

    /// The bytes of data a ring of `size` elements of `element_size` bytes needs, or null if
    /// the arguments are invalid.
    pub fn dataBytes(element_size: u32, size: u32) ?usize {
        if (element_size == 0 or element_size > element_size_max or !isValidSize(size)) return null;
        return std.math.mul(usize, element_size, size) catch null;
    }

    /// A ring buffer over `data` (lent, `data_bytes` long, at least size * element_size) or,
    /// when `data` is null, over memory allocated here. Null when the arguments are invalid or
    /// memory is short.
    pub fn create(element_size: u32, size: u32, data: ?[*]u8, data_bytes: usize) ?*RingBuffer {
        const bytes = dataBytes(element_size, size) orelse return null;
        if (data != null and data_bytes < bytes) return null;
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

    pub fn ref(rb: *RingBuffer) void {
        rb.refs += 1;
    }

    /// Drops one reference; the last frees the ring (and its data, unless `keep_data`).
    pub fn unref(rb: *RingBuffer) void {
        std.debug.assert(rb.refs > 0);
        rb.refs -= 1;
        if (rb.refs > 0) return;
        if (rb.owns_data != 0 and rb.keep_data == 0) alloc.free(rb.data[0 .. @as(usize, rb.size) * rb.element_size]);
        alloc.destroy(rb);
    }

    /// Takes `which` side for an action; false if an action has it already.
    pub fn claim(rb: *RingBuffer, which: u32) bool {
        if (rb.claims & which != 0) return false;
        rb.claims |= which;
        return true;
    }

    pub fn unclaim(rb: *RingBuffer, which: u32) void {
        std.debug.assert(rb.claims & which != 0);
        rb.claims &= ~which;
    }

    /// Empties the ring. Refused while an action uses either side: the audio thread's index
    /// would be reset under it (see `claims`).
    pub fn flush(rb: *RingBuffer) Status {
        if (rb.claims != 0) return .side_in_use;
        @atomicStore(u32, &rb.write_index, 0, .release);
        @atomicStore(u32, &rb.read_index, 0, .release);
        return .ok;
    }

    pub fn readAvailable(rb: *const RingBuffer) u32 {
        const w = @atomicLoad(u32, &rb.write_index, .acquire);
        const r = @atomicLoad(u32, &rb.read_index, .acquire);
        // Never more than the ring holds, whatever the indices say: a region can never reach
        // past the end of the data.
        return @min((w -% r) & rb.big_mask, rb.size);
    }

    pub fn writeAvailable(rb: *const RingBuffer) u32 {
        return rb.size - rb.readAvailable();
    }

    fn split(rb: *const RingBuffer, index: u32, count: u32) Regions {
        std.debug.assert(count <= rb.size);
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

    /// Copies up to `count` elements from `src` in; returns how many. `src` may be the ring's own
    /// memory (a view JavaScript got from it): the copies allow overlap.
    pub fn write(rb: *RingBuffer, src: [*]const u8, count: u32) u32 {
        const r = rb.getWriteRegions(count);
        const es: usize = rb.element_size;
        const first_bytes = r.first_count * es;
        @memmove(rb.bytesAt(r.first_start)[0..first_bytes], src[0..first_bytes]);
        @memmove(rb.data[0 .. r.second_count * es], src[first_bytes..][0 .. r.second_count * es]);
        _ = rb.advanceWriteIndex(r.count);
        return r.count;
    }

    /// Copies up to `count` elements out to `dst`; returns how many. Overlap allowed, as in `write`.
    pub fn read(rb: *RingBuffer, dst: [*]u8, count: u32) u32 {
        const r = rb.getReadRegions(count);
        const es: usize = rb.element_size;
        const first_bytes = r.first_count * es;
        @memmove(dst[0..first_bytes], rb.bytesAt(r.first_start)[0..first_bytes]);
        @memmove(dst[first_bytes..][0 .. r.second_count * es], rb.data[0 .. r.second_count * es]);
        _ = rb.advanceReadIndex(r.count);
        return r.count;
    }

    // ---- The JavaScript side's calls: checked lengths, and the claimed side refused --------------

    /// `write` for JavaScript: `count` elements from `src`, which holds `src_bytes` bytes. `src`
    /// may be a view of the ring's own memory: then the elements go through a copy, since the
    /// first part written could overwrite the second part's source.
    pub fn writeChecked(rb: *RingBuffer, src: ?[*]const u8, src_bytes: usize, count: u32) i32 {
        if (rb.claims & side.writer != 0) return @intFromEnum(Status.side_in_use);
        if (!fits(count, rb.element_size, src, src_bytes)) return @intFromEnum(Status.bad_length);
        if (count == 0) return 0;
        const n = @min(count, rb.writeAvailable());
        const bytes = @as(usize, n) * rb.element_size;
        if (!rb.overlaps(src.?, bytes)) return @intCast(rb.write(src.?, count));
        const copy = alloc.alloc(u8, bytes) orelse return @intFromEnum(Status.out_of_memory);
        defer alloc.free(copy);
        @memcpy(copy, src.?[0..bytes]);
        return @intCast(rb.write(copy.ptr, n));
    }

    /// `read` for JavaScript: up to `count` elements into `dst`, which holds `dst_bytes` bytes
    /// (and may be the ring's own memory, as in `writeChecked`).
    pub fn readChecked(rb: *RingBuffer, dst: ?[*]u8, dst_bytes: usize, count: u32) i32 {
        if (rb.claims & side.reader != 0) return @intFromEnum(Status.side_in_use);
        if (!fits(count, rb.element_size, dst, dst_bytes)) return @intFromEnum(Status.bad_length);
        if (count == 0) return 0;
        const n = @min(count, rb.readAvailable());
        const bytes = @as(usize, n) * rb.element_size;
        if (!rb.overlaps(dst.?, bytes)) return @intCast(rb.read(dst.?, count));
        const copy = alloc.alloc(u8, bytes) orelse return @intFromEnum(Status.out_of_memory);
        defer alloc.free(copy);
        const got = rb.read(copy.ptr, n);
        @memcpy(dst.?[0..bytes], copy);
        return @intCast(got);
    }

    /// Whether `bytes` bytes at `memory` share any byte with the ring's data.
    fn overlaps(rb: *const RingBuffer, memory: [*]const u8, bytes: usize) bool {
        const start = @intFromPtr(memory);
        const data = @intFromPtr(rb.data);
        return start < data + @as(usize, rb.size) * rb.element_size and data < start + bytes;
    }

    fn fits(count: u32, element_size: u32, memory: ?*const anyopaque, bytes: usize) bool {
        if (count > size_max) return false;
        const needed = @as(usize, count) * element_size;
        return needed <= bytes and (memory != null or needed == 0);
    }
};

// TypeScript reads these fields through a view (src/ffi/layout.ts): keep the offsets fixed.
comptime {
    std.debug.assert(@offsetOf(RingBuffer, "write_index") == 0);
    std.debug.assert(@offsetOf(RingBuffer, "write_start") == 4);
    std.debug.assert(@offsetOf(RingBuffer, "read_index") == 64);
    std.debug.assert(@offsetOf(RingBuffer, "read_start") == 68);
    std.debug.assert(@offsetOf(RingBuffer, "size") == 128);
    std.debug.assert(@offsetOf(RingBuffer, "element_size") == 132);
    std.debug.assert(@offsetOf(RingBuffer, "claims") == 160);
    std.debug.assert(@sizeOf(RingBuffer) == 192);
}

const testing = std.testing;

fn expectRegions(r: RingBuffer.Regions, count: u32, first_start: u32, first_count: u32, second_count: u32) !void {
    try testing.expectEqual(RingBuffer.Regions{ .count = count, .first_start = first_start, .first_count = first_count, .second_count = second_count }, r);
}

test "all N elements are usable, and full and empty are told apart" {
    const rb = RingBuffer.create(4, 8, null, 0).?;
    defer rb.unref();
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
    const rb = RingBuffer.create(1, 8, null, 0).?;
    defer rb.unref();
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
    const rb = RingBuffer.create(3, 4, null, 0).?;
    defer rb.unref();
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
    const rb = RingBuffer.create(2, 4, null, 0).?;
    defer rb.unref();
    const src = [_]u8{ 1, 2, 3, 4, 5, 6 };
    _ = rb.write(&src, 3);
    try testing.expectEqual(RingBuffer.Status.ok, rb.flush());
    try testing.expectEqual(@as(u32, 0), rb.readAvailable());
    try testing.expectEqual(@as(u32, 4), rb.writeAvailable());
}

test "a lent buffer is used in place and not freed" {
    var mem: [16]u8 = @splat(0);
    try testing.expect(RingBuffer.create(4, 4, &mem, 15) == null); // too short
    const rb = RingBuffer.create(4, 4, &mem, mem.len).?;
    const src = [_]u8{ 9, 8, 7, 6 };
    _ = rb.write(&src, 1);
    try testing.expectEqualSlices(u8, &src, mem[0..4]);
    rb.unref();
}

test "invalid sizes are refused" {
    try testing.expect(RingBuffer.create(4, 3, null, 0) == null);
    try testing.expect(RingBuffer.create(4, 0, null, 0) == null);
    try testing.expect(RingBuffer.create(0, 4, null, 0) == null);
    try testing.expect(RingBuffer.create(1, RingBuffer.size_max * 2, null, 0) == null);
    try testing.expect(RingBuffer.create(RingBuffer.element_size_max + 1, 1, null, 0) == null);
}

test "a claimed side refuses JavaScript's calls, the other side keeps working, flush waits for both" {
    const rb = RingBuffer.create(4, 8, null, 0).?;
    defer rb.unref();
    var bytes: [32]u8 = @splat(7);
    try testing.expect(rb.claim(RingBuffer.side.reader));
    try testing.expect(!rb.claim(RingBuffer.side.reader)); // one reader only
    try testing.expectEqual(@as(i32, 3), rb.writeChecked(&bytes, bytes.len, 3));
    try testing.expectEqual(@intFromEnum(RingBuffer.Status.side_in_use), rb.readChecked(&bytes, bytes.len, 1));
    try testing.expectEqual(RingBuffer.Status.side_in_use, rb.flush());
    rb.unclaim(RingBuffer.side.reader);
    try testing.expectEqual(@as(i32, 3), rb.readChecked(&bytes, bytes.len, 8));
    try testing.expectEqual(RingBuffer.Status.ok, rb.flush());
}

test "lengths that do not fit the memory are refused" {
    const rb = RingBuffer.create(4, 8, null, 0).?;
    defer rb.unref();
    var bytes: [8]u8 = @splat(0);
    try testing.expectEqual(@intFromEnum(RingBuffer.Status.bad_length), rb.writeChecked(&bytes, bytes.len, 3));
    try testing.expectEqual(@intFromEnum(RingBuffer.Status.bad_length), rb.readChecked(&bytes, 7, 2));
    try testing.expectEqual(@intFromEnum(RingBuffer.Status.bad_length), rb.writeChecked(null, 0, 1));
    try testing.expectEqual(@as(i32, 0), rb.writeChecked(null, 0, 0));
}

test "reading into, and writing from, the ring's own memory gives the elements in order" {
    const rb = RingBuffer.create(1, 8, null, 0).?;
    defer rb.unref();
    const src = [_]u8{ 1, 2, 3, 4, 5, 6, 7, 8 };
    _ = rb.write(&src, 6);
    var sink: [6]u8 = undefined;
    _ = rb.read(&sink, 6); // indices at 6: the next regions wrap
    _ = rb.write(&src, 5); // elements 1..5 at data[6], data[7], data[0..3]
    try testing.expectEqual(@as(i32, 5), rb.readChecked(rb.data, 8, 5));
    try testing.expectEqualSlices(u8, &.{ 1, 2, 3, 4, 5 }, rb.data[0..5]);
    // data[0..5] holds 1..5 now; write them back through the ring itself.
    try testing.expectEqual(@as(i32, 5), rb.writeChecked(rb.data, 5, 5));
    var out: [5]u8 = undefined;
    try testing.expectEqual(@as(i32, 5), rb.readChecked(&out, out.len, 5));
    try testing.expectEqualSlices(u8, &.{ 1, 2, 3, 4, 5 }, &out);
}

test "corrupt indices never yield a region past the data" {
    const rb = RingBuffer.create(1, 8, null, 0).?;
    defer rb.unref();
    rb.write_index = 3;
    rb.read_index = 9; // as if a second reader had stored a stale index
    try testing.expect(rb.readAvailable() <= 8);
    const r = rb.getWriteRegions(100);
    try testing.expect(r.first_start + r.first_count <= 8 and r.second_count <= 8);
}

test "one writer thread and one reader thread move every element once, in order" {
    const rb = RingBuffer.create(8, 64, null, 0).?;
    defer rb.unref();
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
