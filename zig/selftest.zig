//! Native threads on the other side of the lock-free structures, so that tests can hammer them
//! against JavaScript (exported by the test-support library, zig/support.zig).
//!
//! - `Peer`: a thread on the other side of a ring buffer, proving that JavaScript and a native
//!   thread exchange every element exactly once, in order. Elements are f64 counters 0, 1, 2, ...
//!   (exact in JavaScript up to 2^53). It runs for a count, or until stopped.
//! - `Driver`: a thread that calls the product's block processing in a loop, as an audio callback
//!   would, but as fast as it can, so that the action queues are hammered from both sides.
const std = @import("std");
const alloc = @import("alloc.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const Header = @import("mixer.zig").Header;

pub const Direction = enum(u32) { native_writes = 0, native_reads = 1 };

pub const Peer = struct {
    thread: std.Thread,
    rb: *RingBuffer,
    total: u64,
    /// For `native_reads`: elements that arrived out of sequence (0 on success).
    errors: u64 = 0,
    /// Elements written or read so far (read by `stop` after the thread ended).
    moved: u64 = 0,
    /// Set by `stop`: a writer stops writing; a reader stops once the ring is empty.
    stop_requested: std.atomic.Value(bool) = .init(false),
    joined: bool = false,

    fn writeAll(p: *Peer) void {
        var next: u64 = 0;
        var chunk: [97]f64 = undefined; // odd size: exercises every wrap-around position
        while (next < p.total and !p.stop_requested.load(.acquire)) {
            const n: u32 = @intCast(@min(p.total - next, chunk.len));
            for (chunk[0..n], 0..) |*x, i| x.* = @floatFromInt(next + i);
            const written = p.rb.write(@ptrCast(&chunk), n);
            if (written == 0) std.Thread.yield() catch {};
            next += written;
        }
        p.moved = next;
    }

    fn readAll(p: *Peer) void {
        var next: u64 = 0;
        var chunk: [89]f64 = undefined;
        while (next < p.total) {
            const got = p.rb.read(@ptrCast(&chunk), chunk.len);
            if (got == 0) {
                // Everything written before the stop request is visible once the request is.
                if (p.stop_requested.load(.acquire) and p.rb.readAvailable() == 0) break;
                std.Thread.yield() catch {};
            }
            for (chunk[0..got]) |x| {
                if (x != @as(f64, @floatFromInt(next))) p.errors += 1;
                next += 1;
            }
        }
        p.moved = next;
    }
};

/// Starts a thread that writes or reads `total` counters through `rb` (element size 8); a total
/// of Infinity runs until `stop`.
pub fn start(rb: *RingBuffer, total: f64, direction: Direction) ?*Peer {
    if (rb.element_size != 8 or !(total >= 0)) return null;
    const p = alloc.create(Peer) orelse return null;
    const count: u64 = if (total >= 0x1p53) std.math.maxInt(u64) else @intFromFloat(total);
    p.* = .{ .thread = undefined, .rb = rb, .total = count };
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

/// Asks the thread to stop (a reader first empties the ring), waits for it, and returns how many
/// elements it wrote or read. `join` then only reports and frees.
pub fn stop(p: *Peer) f64 {
    p.stop_requested.store(true, .release);
    if (!p.joined) p.thread.join();
    p.joined = true;
    return @floatFromInt(p.moved);
}

/// Waits for the thread; returns its error count and frees it.
pub fn join(p: *Peer) f64 {
    if (!p.joined) p.thread.join();
    const errors = p.errors;
    alloc.destroy(p);
    return @floatFromInt(errors);
}

/// The product library's `rtm_mixer_process` (zig/root.zig): the driver calls the product's own
/// code, found by name in the loaded product library (or, in Zig tests, directly).
pub const ProcessFn = *const fn (
    m: *anyopaque,
    input: ?[*]const f32,
    input_bytes: f64,
    output: ?[*]f32,
    output_bytes: f64,
    frames: u32,
    current: f64,
    input_adc: f64,
    output_dac: f64,
    flags: u32,
) callconv(.c) i32;

/// A thread that runs the mixer's block processing back to back on scratch buffers, with an exact
/// clock (time = frame / sample rate), until stopped: the callback's side of the action queues.
/// While it runs, nothing else may process the mixer. With the realtime-safety interposer
/// (zig/rtcheck.zig) loaded, each block is bracketed by its enter/exit marks.
pub const Driver = struct {
    thread: std.Thread,
    m: *anyopaque,
    header: *const Header,
    process: ProcessFn,
    frames: u32,
    input: []align(64) f32,
    output: []align(64) f32,
    blocks: u64 = 0,
    failures: u64 = 0,
    marks: ?Marks,
    stop_requested: std.atomic.Value(bool) = .init(false),

    pub const frames_max: u32 = 1 << 16;

    const Marks = struct {
        enter: *const fn () callconv(.c) void,
        exit: *const fn () callconv(.c) void,
    };

    fn run(d: *Driver) void {
        const in_bytes: f64 = @floatFromInt(d.input.len * 4);
        const out_bytes: f64 = @floatFromInt(d.output.len * 4);
        while (!d.stop_requested.load(.acquire)) {
            // Only this thread writes frame_time now.
            const t = @atomicLoad(f64, &d.header.frame_time, .monotonic) / d.header.sample_rate;
            if (d.marks) |mk| mk.enter();
            const status = d.process(d.m, d.input.ptr, in_bytes, d.output.ptr, out_bytes, d.frames, t, t, t, 0);
            if (d.marks) |mk| mk.exit();
            if (status != 0) d.failures += 1;
            d.blocks += 1;
        }
    }
};

/// Starts a Driver on mixer `m` (whose header is `header`) with blocks of `frames` frames; null
/// on bad arguments or no memory.
pub fn driverStart(m: *anyopaque, header: *const Header, process: ProcessFn, frames: u32) ?*Driver {
    if (frames == 0 or frames > Driver.frames_max) return null;
    const d = alloc.create(Driver) orelse return null;
    const input = alloc.alloc(f32, @max(1, @as(usize, frames) * header.input_channels)) orelse {
        alloc.destroy(d);
        return null;
    };
    const output = alloc.alloc(f32, @max(1, @as(usize, frames) * header.output_channels)) orelse {
        alloc.free(input);
        alloc.destroy(d);
        return null;
    };
    @memset(input, 0.25);
    d.* = .{ .thread = undefined, .m = m, .header = header, .process = process, .frames = frames, .input = input, .output = output, .marks = findMarks() };
    d.thread = std.Thread.spawn(.{}, Driver.run, .{d}) catch {
        alloc.free(input);
        alloc.free(output);
        alloc.destroy(d);
        return null;
    };
    return d;
}

fn findMarks() ?Driver.Marks {
    if (@import("builtin").os.tag != .linux) return null;
    const enter = std.c.dlsym(null, "rtcheck_enter") orelse return null; // null: RTLD_DEFAULT
    const exit = std.c.dlsym(null, "rtcheck_exit") orelse return null;
    return .{ .enter = @ptrCast(@alignCast(enter)), .exit = @ptrCast(@alignCast(exit)) };
}

/// Stops the thread after its current block, frees it, and returns how many blocks it ran
/// (negative: how many blocks the process call refused).
pub fn driverStop(d: *Driver) f64 {
    d.stop_requested.store(true, .release);
    d.thread.join();
    const result: f64 = if (d.failures > 0) -@as(f64, @floatFromInt(d.failures)) else @floatFromInt(d.blocks);
    alloc.free(d.input);
    alloc.free(d.output);
    alloc.destroy(d);
    return result;
}

/// The realtime-safety test's view of the LD_PRELOADed interposer (zig/rtcheck.zig), found by
/// name so that librtmixer never links it. -1 when it is not loaded. `op`:
/// 0 calls counted inside the callback; 1 times the callback entered; 2 reset (returns 0);
/// 3 positive control: marks this thread, allocates, frees and locks (returns the count after);
/// 4 prints the nonzero counts per function to stderr (returns the count).
pub fn rtcheck(op: u32) f64 {
    if (@import("builtin").os.tag != .linux) return -1;
    const Get = *const fn () callconv(.c) f64;
    const Void = *const fn () callconv(.c) void;
    const count: Get = @ptrCast(@alignCast(std.c.dlsym(null, "rtcheck_count") orelse return -1));
    switch (op) {
        0 => return count(),
        1 => return sym(Get, "rtcheck_enters")(),
        2 => sym(Void, "rtcheck_reset")(),
        3 => {
            sym(Void, "rtcheck_enter")();
            const p = std.c.malloc(64);
            std.mem.doNotOptimizeAway(p);
            std.c.free(p);
            var mutex: std.c.pthread_mutex_t = .{};
            _ = std.c.pthread_mutex_lock(&mutex);
            _ = std.c.pthread_mutex_unlock(&mutex);
            sym(Void, "rtcheck_exit")();
        },
        4 => sym(Void, "rtcheck_report")(),
        else => return -1,
    }
    return count();
}

fn sym(comptime T: type, name: [*:0]const u8) T {
    return @ptrCast(@alignCast(std.c.dlsym(null, name).?));
}
