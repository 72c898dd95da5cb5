//! The library's one allocator: libc's, with a count of live allocations and bytes, which users
//! read through `memoryUsage()` (and tests use to prove that every action, ring buffer, sample
//! and stream gives its memory back). Never used on the audio thread.
const std = @import("std");
const builtin = @import("builtin");

var live_allocations = std.atomic.Value(i64).init(0);
var live_bytes = std.atomic.Value(i64).init(0);

fn counted(bytes: usize, sign: i64) void {
    _ = live_allocations.fetchAdd(sign, .monotonic);
    _ = live_bytes.fetchAdd(sign * @as(i64, @intCast(bytes)), .monotonic);
}

pub fn create(comptime T: type) ?*T {
    const p = std.heap.c_allocator.create(T) catch return null;
    counted(@sizeOf(T), 1);
    return p;
}

pub fn destroy(p: anytype) void {
    std.heap.c_allocator.destroy(p);
    counted(@sizeOf(@TypeOf(p.*)), -1);
}

pub fn alloc(comptime T: type, n: usize) ?[]align(64) T {
    const s = std.heap.c_allocator.alignedAlloc(T, .@"64", n) catch return null;
    counted(n * @sizeOf(T), 1);
    return s;
}

/// `n` of `T` at libc's own alignment (16 bytes on 64-bit glibc): small sizes come from malloc's
/// per-thread caches, which an aligned request (posix_memalign) bypasses. For small copies of
/// played samples and recordings, which the mixing kernels may read and write unaligned: 8 bytes
/// at 64-byte alignment took posix_memalign, its split and, at the free, malloc_consolidate,
/// about a tenth of a playBuffer.
pub fn allocPlain(comptime T: type, n: usize) ?[]T {
    const s = std.heap.c_allocator.alloc(T, n) catch return null;
    counted(n * @sizeOf(T), 1);
    return s;
}

pub fn free(s: anytype) void {
    const bytes = std.mem.sliceAsBytes(s).len;
    std.heap.c_allocator.free(s);
    counted(bytes, -1);
}

pub fn liveAllocations() i64 {
    return live_allocations.load(.monotonic);
}

pub fn liveBytes() i64 {
    return live_bytes.load(.monotonic);
}

/// Hands the free pages of libc's heap back to the system (glibc's `malloc_trim`; elsewhere
/// nothing). By itself glibc gives back only the top of its heap, and a runtime's own allocations
/// can sit above ours: in Deno 2.9.6, after a burst of 100,000 actions in flight, the closed
/// mixer's 53 MB of pool pages and copies stayed resident (82 MB of `[heap]`; 8 MB once trimmed),
/// where Bun's process gave them back. It walks and locks libc's arenas: never on the audio thread.
pub fn trim() void {
    if (comptime builtin.os.tag == .linux and builtin.abi.isGnu()) _ = malloc_trim(0);
}

extern "c" fn malloc_trim(pad: usize) c_int;
