//! The exported C ABI of librtmixer. Every function TypeScript calls is here, in one flat file;
//! the concepts live in their own files. See src/ffi/symbols.ts for the other side.
const std = @import("std");
const alloc = @import("alloc.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const selftest = @import("selftest.zig");

/// Bumped whenever an exported signature or a shared struct layout changes; the TypeScript loader
/// refuses a library whose number differs from its own.
pub const abi_version: u32 = 1;

export fn rtm_abi_version() u32 {
    return abi_version;
}

/// Live native allocations (actions, ring buffers, streams), for leak tests.
export fn rtm_live_allocations() f64 {
    return @floatFromInt(alloc.liveAllocations());
}

// ---- Ring buffer -------------------------------------------------------------------------------

export fn rtm_ringbuffer_create(element_size: u32, size: u32, data: ?[*]u8) ?*RingBuffer {
    return RingBuffer.create(element_size, size, data);
}
export fn rtm_ringbuffer_destroy(rb: *RingBuffer) void {
    rb.destroy();
}
export fn rtm_ringbuffer_data(rb: *RingBuffer) [*]u8 {
    return rb.data;
}
export fn rtm_ringbuffer_flush(rb: *RingBuffer) void {
    rb.flush();
}
export fn rtm_ringbuffer_read_available(rb: *RingBuffer) u32 {
    return rb.readAvailable();
}
export fn rtm_ringbuffer_write_available(rb: *RingBuffer) u32 {
    return rb.writeAvailable();
}
export fn rtm_ringbuffer_write(rb: *RingBuffer, src: [*]const u8, count: u32) u32 {
    return rb.write(src, count);
}
export fn rtm_ringbuffer_read(rb: *RingBuffer, dst: [*]u8, count: u32) u32 {
    return rb.read(dst, count);
}
/// Returns the element count; the start index is left in the ring's `write_start` field.
export fn rtm_ringbuffer_get_write_regions(rb: *RingBuffer, count: u32) u32 {
    return rb.getWriteRegions(count).count;
}
/// Returns the element count; the start index is left in the ring's `read_start` field.
export fn rtm_ringbuffer_get_read_regions(rb: *RingBuffer, count: u32) u32 {
    return rb.getReadRegions(count).count;
}
/// The new write index, or -1 if `count` exceeds the free space.
export fn rtm_ringbuffer_advance_write_index(rb: *RingBuffer, count: u32) i32 {
    if (count > rb.writeAvailable()) return -1;
    return @intCast(rb.advanceWriteIndex(count));
}
/// The new read index, or -1 if `count` exceeds the readable data.
export fn rtm_ringbuffer_advance_read_index(rb: *RingBuffer, count: u32) i32 {
    if (count > rb.readAvailable()) return -1;
    return @intCast(rb.advanceReadIndex(count));
}

// ---- Test support ------------------------------------------------------------------------------

/// Starts a native thread that writes (direction 0) or reads and checks (1) `total` f64 counters.
export fn rtm_test_ring_peer_start(rb: *RingBuffer, total: f64, direction: u32) ?*selftest.Peer {
    if (direction > 1) return null;
    return selftest.start(rb, total, @enumFromInt(direction));
}
/// Joins the thread; returns how many elements arrived out of sequence.
export fn rtm_test_ring_peer_join(peer: *selftest.Peer) f64 {
    return selftest.join(peer);
}

test {
    std.testing.refAllDecls(@This());
    _ = @import("ringbuffer.zig");
}
