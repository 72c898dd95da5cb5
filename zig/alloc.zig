//! The library's one allocator: libc's, with a count of live allocations so that tests can
//! prove that every action, ring buffer and stream gives its memory back.
//! Never used on the audio thread.
const std = @import("std");

var live_allocations = std.atomic.Value(i64).init(0);

pub fn create(comptime T: type) ?*T {
    const p = std.heap.c_allocator.create(T) catch return null;
    _ = live_allocations.fetchAdd(1, .monotonic);
    return p;
}

pub fn destroy(p: anytype) void {
    std.heap.c_allocator.destroy(p);
    _ = live_allocations.fetchSub(1, .monotonic);
}

pub fn alloc(comptime T: type, n: usize) ?[]align(64) T {
    const s = std.heap.c_allocator.alignedAlloc(T, .@"64", n) catch return null;
    _ = live_allocations.fetchAdd(1, .monotonic);
    return s;
}

pub fn free(s: anytype) void {
    std.heap.c_allocator.free(s);
    _ = live_allocations.fetchSub(1, .monotonic);
}

pub fn liveAllocations() i64 {
    return live_allocations.load(.monotonic);
}
