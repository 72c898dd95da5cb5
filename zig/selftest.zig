//! Test-only exports: a native thread on the other side of a ring buffer, so that tests can
//! prove the JavaScript side and a native thread exchange every element exactly once, in order.
//! Elements are f64 counters 0, 1, 2, ... (exact in JavaScript up to 2^53).
const std = @import("std");
const alloc = @import("alloc.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;

pub const Direction = enum(u32) { native_writes = 0, native_reads = 1 };

pub const Peer = struct {
    thread: std.Thread,
    rb: *RingBuffer,
    total: u64,
    /// For `native_reads`: elements that arrived out of sequence (0 on success).
    errors: u64 = 0,

    fn writeAll(p: *Peer) void {
        var next: u64 = 0;
        var chunk: [97]f64 = undefined; // odd size: exercises every wrap-around position
        while (next < p.total) {
            const n: u32 = @intCast(@min(p.total - next, chunk.len));
            for (chunk[0..n], 0..) |*x, i| x.* = @floatFromInt(next + i);
            const written = p.rb.write(@ptrCast(&chunk), n);
            if (written == 0) std.Thread.yield() catch {};
            next += written;
        }
    }

    fn readAll(p: *Peer) void {
        var next: u64 = 0;
        var chunk: [89]f64 = undefined;
        while (next < p.total) {
            const got = p.rb.read(@ptrCast(&chunk), chunk.len);
            if (got == 0) std.Thread.yield() catch {};
            for (chunk[0..got]) |x| {
                if (x != @as(f64, @floatFromInt(next))) p.errors += 1;
                next += 1;
            }
        }
    }
};

/// Starts a thread that writes or reads `total` counters through `rb` (element size 8).
pub fn start(rb: *RingBuffer, total: f64, direction: Direction) ?*Peer {
    if (rb.element_size != 8 or !(total >= 0)) return null;
    const p = alloc.create(Peer) orelse return null;
    p.* = .{ .thread = undefined, .rb = rb, .total = @intFromFloat(total) };
    const spawned = switch (direction) {
        .native_writes => std.Thread.spawn(.{}, Peer.writeAll, .{p}),
        .native_reads => std.Thread.spawn(.{}, Peer.readAll, .{p}),
    };
    p.thread = spawned catch {
        alloc.destroy(p);
        return null;
    };
    return p;
}

/// Waits for the thread; returns its error count and frees it.
pub fn join(p: *Peer) f64 {
    p.thread.join();
    const errors = p.errors;
    alloc.destroy(p);
    return @floatFromInt(errors);
}
