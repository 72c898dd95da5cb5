//! The exported C ABI of librtmixer. Every function TypeScript calls is here, in one flat file;
//! the concepts live in their own files. See src/ffi/symbols.ts for the other side.
const std = @import("std");
const alloc = @import("alloc.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const selftest = @import("selftest.zig");
const mixer = @import("mixer.zig");
const Mixer = mixer.Mixer;

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

// ---- Mixer and actions -------------------------------------------------------------------------

/// A mixer without a stream, for offline rendering and tests (streams make their own).
export fn rtm_mixer_create(input_channels: u32, output_channels: u32, sample_rate: f64, queue_size: u32) ?*Mixer {
    return Mixer.create(input_channels, output_channels, sample_rate, queue_size);
}
export fn rtm_mixer_destroy(m: *Mixer) void {
    m.destroy();
}
/// The first action slot; slot i is at `i * slot_bytes` (see the Mixer header).
export fn rtm_mixer_slots(m: *Mixer) [*]u8 {
    return m.slots;
}
/// Sends the action in slot `index` to the callback: 0, or a negative Mixer.SubmitError.
export fn rtm_mixer_submit(m: *Mixer, index: u32, buffer: ?[*]f32, ringbuffer: ?*RingBuffer) i32 {
    return @intFromEnum(m.submit(index, buffer, ringbuffer));
}
/// The slot index of the next finished action, or -1.
export fn rtm_mixer_collect(m: *Mixer) i32 {
    const index = m.collect() orelse return -1;
    return @intCast(index);
}
/// Runs one block of the callback on caller-supplied buffers and time info (offline use, tests).
export fn rtm_mixer_process(m: *Mixer, input: ?[*]const f32, output: ?[*]f32, frames: u32, current_time: f64, input_adc_time: f64, output_dac_time: f64, status_flags: u32) void {
    m.process(input, output, frames, .{ .current = current_time, .input_adc = input_adc_time, .output_dac = output_dac_time }, status_flags);
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
    _ = @import("clock.zig");
    _ = @import("mix.zig");
    _ = @import("mixer_test.zig");
}
