//! librtcheck: the realtime-safety test's LD_PRELOAD interposer (tests/realtime.test.ts), built as
//! zig-out/lib/librtcheck.so beside librtmixer and never linked into it or shipped.
//!
//! It wraps libc's allocation, lock and blocking functions, forwards every call to the real one,
//! and counts the calls made on the thread that is between `rtcheck_enter()` and `rtcheck_exit()`.
//! librtmixer's audio callback brackets the mixer's work with them when this library is loaded
//! (zig/stream.zig RtCheck), so a count above zero means the callback allocated, locked or blocked.
//!
//! The "in the callback" mark is the calling thread's id in one global, not a thread-local:
//! `threadlocal` in a shared library goes through __tls_get_addr, which may itself call malloc
//! (to grow the thread's TLS vector), and so recurse into these wrappers. PortAudio runs every
//! stream's callback of a process on one host thread (JACK's process thread), so one mark suffices.
//!
//! Bootstrap: the real functions are found with dlsym(RTLD_NEXT, ...) on first use; dlsym may
//! allocate, so calls made while resolving are served from a small static arena (never freed).
const std = @import("std");

/// The wrapped functions, in the order of `names` (and of rtcheck_count_of).
const Fn = enum(u32) {
    malloc,
    calloc,
    realloc,
    free,
    posix_memalign,
    aligned_alloc,
    memalign,
    valloc,
    pthread_mutex_lock,
    pthread_mutex_trylock,
    pthread_mutex_timedlock,
    pthread_rwlock_rdlock,
    pthread_rwlock_wrlock,
    pthread_rwlock_tryrdlock,
    pthread_rwlock_trywrlock,
    pthread_rwlock_timedrdlock,
    pthread_rwlock_timedwrlock,
    pthread_spin_lock,
    sem_wait,
    sem_timedwait,
    sem_trywait,
    nanosleep,
    usleep,
    write,
};
const fn_count = std.meta.tags(Fn).len;

var counts: [fn_count]std.atomic.Value(u64) = @splat(.init(0));
var enters = std.atomic.Value(u64).init(0);
/// The thread inside the callback (pthread_self), or 0.
var marked = std.atomic.Value(usize).init(0);

extern "c" fn pthread_self() usize;
extern "c" fn dlsym(handle: ?*anyopaque, name: [*:0]const u8) ?*anyopaque;
const RTLD_NEXT: ?*anyopaque = @ptrFromInt(std.math.maxInt(usize)); // glibc: (void *) -1

inline fn note(comptime f: Fn) void {
    const m = marked.load(.monotonic);
    if (m != 0 and m == pthread_self()) _ = counts[@intFromEnum(f)].fetchAdd(1, .monotonic);
}

// ---- What the test calls -----------------------------------------------------------------------

/// Marks the calling thread as inside the audio callback.
export fn rtcheck_enter() void {
    _ = enters.fetchAdd(1, .monotonic);
    marked.store(pthread_self(), .monotonic);
}
/// Ends the mark.
export fn rtcheck_exit() void {
    marked.store(0, .monotonic);
}
/// Wrapped calls made inside the callback since the last reset (f64: no BigInt in JavaScript).
export fn rtcheck_count() f64 {
    var total: u64 = 0;
    for (&counts) |*c| total += c.load(.monotonic);
    return @floatFromInt(total);
}
/// The count of one wrapped function (the order of `Fn`), or -1 past the last.
export fn rtcheck_count_of(index: u32) f64 {
    if (index >= fn_count) return -1;
    return @floatFromInt(counts[index].load(.monotonic));
}
/// The name of function `index` (the order of `Fn`), or null past the last.
export fn rtcheck_name(index: u32) ?[*:0]const u8 {
    if (index >= fn_count) return null;
    return switch (@as(Fn, @enumFromInt(index))) {
        inline else => |f| @tagName(f),
    };
}
/// How often rtcheck_enter was called: proof that the callback is bracketed at all.
export fn rtcheck_enters() f64 {
    return @floatFromInt(enters.load(.monotonic));
}
/// Writes "rtcheck: NAME COUNT" to stderr for every function called inside the callback.
export fn rtcheck_report() void {
    for (0..fn_count) |i| {
        const n = counts[i].load(.monotonic);
        if (n == 0) continue;
        var line: [96]u8 = undefined;
        const text = std.fmt.bufPrint(&line, "rtcheck: {s} {d}\n", .{ std.mem.span(rtcheck_name(@intCast(i)).?), n }) catch continue;
        _ = real(.write)(2, text.ptr, text.len);
    }
}
export fn rtcheck_reset() void {
    for (&counts) |*c| c.store(0, .monotonic);
    enters.store(0, .monotonic);
}

// ---- Resolving the real functions --------------------------------------------------------------

fn Real(comptime f: Fn) type {
    return switch (f) {
        .malloc, .valloc => *const fn (usize) callconv(.c) ?*anyopaque,
        .calloc, .aligned_alloc, .memalign => *const fn (usize, usize) callconv(.c) ?*anyopaque,
        .realloc => *const fn (?*anyopaque, usize) callconv(.c) ?*anyopaque,
        .free => *const fn (?*anyopaque) callconv(.c) void,
        .posix_memalign => *const fn (*?*anyopaque, usize, usize) callconv(.c) c_int,
        .pthread_mutex_timedlock, .pthread_rwlock_timedrdlock, .pthread_rwlock_timedwrlock, .sem_timedwait, .nanosleep => *const fn (*anyopaque, ?*const anyopaque) callconv(.c) c_int,
        .usleep => *const fn (c_uint) callconv(.c) c_int,
        .write => *const fn (c_int, ?*const anyopaque, usize) callconv(.c) isize,
        else => *const fn (*anyopaque) callconv(.c) c_int,
    };
}

var real_fns: [fn_count]std.atomic.Value(usize) = @splat(.init(0));
/// Nonzero while some thread is inside dlsym: allocations then come from the arena.
var resolving = std.atomic.Value(u32).init(0);

fn real(comptime f: Fn) Real(f) {
    const slot = &real_fns[@intFromEnum(f)];
    if (slot.load(.acquire) == 0) resolveAll();
    return @ptrFromInt(slot.load(.acquire));
}

/// Finds every real function at once (free first, so dlsym's own frees find it), so that a
/// wrapper called from inside dlsym never starts another lookup.
fn resolveAll() void {
    _ = resolving.fetchAdd(1, .acq_rel);
    defer _ = resolving.fetchSub(1, .acq_rel);
    const order = comptime [_]Fn{.free} ++ std.meta.tags(Fn).*;
    inline for (order) |f| {
        const slot = &real_fns[@intFromEnum(f)];
        if (slot.load(.acquire) == 0) {
            const address = @intFromPtr(dlsym(RTLD_NEXT, @tagName(f)));
            if (address == 0) @panic("rtcheck: the real " ++ @tagName(f) ++ " was not found");
            slot.store(address, .release);
        }
    }
}

// A bump arena for the allocations dlsym makes while the real allocator is still unknown. Each
// block is preceded by its size, so realloc can move it out.
var arena: [256 * 1024]u8 align(16) = undefined;
var arena_used = std.atomic.Value(usize).init(0);

fn inArena(p: ?*anyopaque) bool {
    const a = @intFromPtr(p);
    return a >= @intFromPtr(&arena) and a < @intFromPtr(&arena) + arena.len;
}

fn arenaAlloc(size: usize, alignment: usize) ?*anyopaque {
    const a = @max(alignment, 16);
    const need = std.mem.alignForward(usize, size + a, a);
    const start = arena_used.fetchAdd(need, .monotonic);
    if (start + need > arena.len) return null;
    const block = @intFromPtr(&arena) + start + a;
    @as(*usize, @ptrFromInt(block - @sizeOf(usize))).* = size;
    return @ptrFromInt(block);
}

fn bootstrapping(comptime f: Fn) bool {
    return real_fns[@intFromEnum(f)].load(.acquire) == 0 and resolving.load(.acquire) != 0;
}

// ---- The wrappers ------------------------------------------------------------------------------

export fn malloc(size: usize) ?*anyopaque {
    if (bootstrapping(.malloc)) return arenaAlloc(size, 16);
    note(.malloc);
    return real(.malloc)(size);
}
export fn calloc(n: usize, size: usize) ?*anyopaque {
    if (bootstrapping(.calloc)) {
        const bytes = std.math.mul(usize, n, size) catch return null;
        const p = arenaAlloc(bytes, 16) orelse return null;
        @memset(@as([*]u8, @ptrCast(p))[0..bytes], 0);
        return p;
    }
    note(.calloc);
    return real(.calloc)(n, size);
}
export fn realloc(p: ?*anyopaque, size: usize) ?*anyopaque {
    note(.realloc);
    if (inArena(p)) {
        const old = @as(*usize, @ptrFromInt(@intFromPtr(p) - @sizeOf(usize))).*;
        const moved = malloc(size) orelse return null;
        @memcpy(@as([*]u8, @ptrCast(moved))[0..@min(old, size)], @as([*]const u8, @ptrCast(p))[0..@min(old, size)]);
        return moved;
    }
    return real(.realloc)(p, size);
}
export fn free(p: ?*anyopaque) void {
    if (p == null or inArena(p) or bootstrapping(.free)) return; // (a bootstrap free leaks)
    note(.free);
    real(.free)(p);
}
export fn posix_memalign(out: *?*anyopaque, alignment: usize, size: usize) c_int {
    if (bootstrapping(.posix_memalign)) {
        out.* = arenaAlloc(size, alignment) orelse return 12; // ENOMEM
        return 0;
    }
    note(.posix_memalign);
    return real(.posix_memalign)(out, alignment, size);
}
export fn aligned_alloc(alignment: usize, size: usize) ?*anyopaque {
    if (bootstrapping(.aligned_alloc)) return arenaAlloc(size, alignment);
    note(.aligned_alloc);
    return real(.aligned_alloc)(alignment, size);
}
export fn memalign(alignment: usize, size: usize) ?*anyopaque {
    if (bootstrapping(.memalign)) return arenaAlloc(size, alignment);
    note(.memalign);
    return real(.memalign)(alignment, size);
}
export fn valloc(size: usize) ?*anyopaque {
    note(.valloc);
    return real(.valloc)(size);
}

fn LockWrapper(comptime f: Fn) type {
    return struct {
        fn call(x: *anyopaque) callconv(.c) c_int {
            note(f);
            return real(f)(x);
        }
    };
}
fn TimedWrapper(comptime f: Fn) type {
    return struct {
        fn call(x: *anyopaque, t: ?*const anyopaque) callconv(.c) c_int {
            note(f);
            return real(f)(x, t);
        }
    };
}

comptime {
    for ([_]Fn{ .pthread_mutex_lock, .pthread_mutex_trylock, .pthread_rwlock_rdlock, .pthread_rwlock_wrlock, .pthread_rwlock_tryrdlock, .pthread_rwlock_trywrlock, .pthread_spin_lock, .sem_wait, .sem_trywait }) |f| {
        @export(&LockWrapper(f).call, .{ .name = @tagName(f) });
    }
    for ([_]Fn{ .pthread_mutex_timedlock, .pthread_rwlock_timedrdlock, .pthread_rwlock_timedwrlock, .sem_timedwait, .nanosleep }) |f| {
        @export(&TimedWrapper(f).call, .{ .name = @tagName(f) });
    }
}

export fn usleep(us: c_uint) c_int {
    note(.usleep);
    return real(.usleep)(us);
}
export fn write(fd: c_int, buf: ?*const anyopaque, n: usize) isize {
    note(.write);
    return real(.write)(fd, buf, n);
}
