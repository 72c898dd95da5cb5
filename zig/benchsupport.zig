//! Benchmark-only references for bench/callback.ts: the mixing a callback does, written the
//! obvious way, and a plain copy of the same bytes (the physical limit), compiled with the library
//! (same optimize mode). A segment of blocks runs in one native loop for every variant (the
//! engine's `rtm_mixer_process`, the peer's callback, these references), as PortAudio's thread
//! calls a callback: no variant pays a JavaScript-to-native call per block, which no stream pays.
//!
//! Voices: `voices` sources, voice v at `src + v * voice_stride` (samples; a stride of 0 makes
//! every voice read the same buffer), each read from frame `position` on.
const std = @import("std");

/// One block of the straightforward mixer: zero the output, then for each voice, frame and
/// source channel, add the sample into the output channel the mapping names (0-based).
///
/// The mapping is a runtime array, so each store is an indexed scatter. Checked with
/// `objdump -d` (ReleaseFast, x86-64 with AVX-512): the frame and channel loops stay scalar
/// (`vmovss`/`vaddss`; the channel loop is unrolled by four with a remainder loop, and the mapping
/// entry is reloaded for every sample because `out` may alias it); the zeroing becomes a memset.
pub fn scalarBlock(
    out: [*]f32,
    out_channels: u32,
    src: [*]const f32,
    src_channels: u32,
    mapping: [*]const u32,
    voices: u32,
    voice_stride: u32,
    position: u32,
    frames: u32,
) void {
    @memset(out[0 .. @as(usize, frames) * out_channels], 0);
    for (0..voices) |v| {
        const s = src + v * @as(usize, voice_stride) + @as(usize, position) * src_channels;
        for (0..frames) |f| {
            for (0..src_channels) |c| out[f * out_channels + mapping[c]] += s[f * src_channels + c];
        }
    }
}

/// One block of copying: each voice's samples for the block copied into `out` (overwriting it;
/// only the bytes moved matter).
pub fn copyBlock(out: [*]f32, src: [*]const f32, src_channels: u32, voices: u32, voice_stride: u32, position: u32, frames: u32) void {
    const n = @as(usize, frames) * src_channels;
    for (0..voices) |v| {
        const s = src + v * @as(usize, voice_stride) + @as(usize, position) * src_channels;
        @memcpy(out[0..n], s[0..n]);
    }
}

/// The product library's `rtm_mixer_process`, called through a pointer like the driver's.
pub const ProcessFn = @import("selftest.zig").ProcessFn;

// Each block is a call that is never inlined: the compiler must not merge one block's work into
// the next (a copy overwritten by the next block's copy could otherwise be dropped).

/// Blocks of `frames` frames at positions `first`, `first + frames`, ... before `end`.
pub fn scalarBlocks(out: [*]f32, out_channels: u32, src: [*]const f32, src_channels: u32, mapping: [*]const u32, voices: u32, voice_stride: u32, first: u32, end: u32, frames: u32) void {
    if (frames == 0) return;
    var at = first;
    while (at < end) : (at += frames) {
        @call(.never_inline, scalarBlock, .{ out, out_channels, src, src_channels, mapping, voices, voice_stride, at, frames });
    }
}

/// Blocks of copying at positions `first`, `first + frames`, ... before `end`.
pub fn copyBlocks(out: [*]f32, src: [*]const f32, src_channels: u32, voices: u32, voice_stride: u32, first: u32, end: u32, frames: u32) void {
    if (frames == 0) return;
    var at = first;
    while (at < end) : (at += frames) {
        @call(.never_inline, copyBlock, .{ out, src, src_channels, voices, voice_stride, at, frames });
    }
}

/// `blocks` blocks of the product's block processing on mixer `m`, the first at stream frame
/// `first_frame` (every time of a block is its frame / `rate`, as bench/callback.ts used to pass
/// them). Returns the first non-zero status, or 0.
pub fn engineBlocks(process: ProcessFn, m: *anyopaque, out: [*]f32, out_bytes: f64, frames: u32, first_frame: f64, blocks: u32, rate: f64) i32 {
    for (0..blocks) |k| {
        const t = blockTime(first_frame, k, frames, rate);
        const status = process(m, null, 0, out, out_bytes, frames, t, t, t, 0);
        if (status != 0) return status;
    }
    return 0;
}

/// `blocks` blocks of the peer's callback, timed like engineBlocks; the OR of its results.
pub fn peerBlocks(p: *Peer, out: [*]f32, frames: u32, first_frame: f64, blocks: u32, rate: f64) c_int {
    var status: c_int = 0;
    for (0..blocks) |k| status |= peerBlock(p, out, frames, blockTime(first_frame, k, frames, rate));
    return status;
}

/// The stream time of block `k` of `frames` frames after frame `first_frame`.
fn blockTime(first_frame: f64, k: usize, frames: u32, rate: f64) f64 {
    return (first_frame + @as(f64, @floatFromInt(k * frames))) / rate;
}

const testing = std.testing;
const mix = @import("mix.zig");

test "scalarBlocks and copyBlocks leave the last block's result, as one call at its position" {
    var src: [2 * 2 * 16]f32 = undefined; // 2 voices × 16 frames × 2 channels
    for (&src, 0..) |*x, i| x.* = @floatFromInt(i % 5);
    const mapping = [_]u32{ 1, 0 };
    var once: [2 * 4]f32 = undefined;
    var blocks: [2 * 4]f32 = undefined;
    scalarBlock(&once, 2, &src, 2, &mapping, 2, 32, 8, 4);
    scalarBlocks(&blocks, 2, &src, 2, &mapping, 2, 32, 0, 12, 4); // blocks at 0, 4 and 8
    try testing.expectEqualSlices(f32, &once, &blocks);
    copyBlock(&once, &src, 2, 2, 32, 8, 4);
    copyBlocks(&blocks, &src, 2, 2, 32, 0, 12, 4);
    try testing.expectEqualSlices(f32, &once, &blocks);
}

test "scalarBlock sums the voices through the mapping, as mix.mixInto does" {
    var src: [3 * 2 * 8]f32 = undefined; // 3 voices × 8 frames × 2 channels
    for (&src, 0..) |*x, i| x.* = @floatFromInt(i % 7);
    for ([_][2]u32{ .{ 0, 1 }, .{ 1, 0 } }) |mapping| {
        var expected: [2 * 4]f32 = @splat(0);
        for (0..3) |v| mix.mixInto(&expected, 2, src[v * 16 + 2 * 2 ..].ptr, &mapping, mix.isContiguous(&mapping), 4);
        var out: [2 * 4]f32 = @splat(9);
        scalarBlock(&out, 2, &src, 2, &mapping, 3, 16, 2, 4);
        try testing.expectEqualSlices(f32, &expected, &out);
    }
}

test "copyBlock leaves the last voice's block in the output" {
    const src = [_]f32{ 1, 2, 3, 4, 5, 6, 7, 8 }; // 2 voices × 2 frames × 2 channels
    var out: [4]f32 = @splat(0);
    copyBlock(&out, &src, 2, 2, 4, 1, 1);
    try testing.expectEqualSlices(f32, &.{ 7, 8, 0, 0 }, &out);
}

// ---- The peer: python-rtmixer's own callback ----------------------------------------------------
//
// bench/callback.ts measures the engine against the real python-rtmixer 0.1.7: the C callback in
// its wheel's `_rtmixer.abi3.so` (bench/_peer.ts installs it), driven exactly as PortAudio drives
// it: `callback(input, output, frameCount, &timeInfo, statusFlags, state)` once per block, with
// its `struct state` and `struct action`s in native memory, the actions handed over through its
// own PaUtilRingBuffer `action_q` and given back through `result_q`. The layouts are the sdist's
// src/rtmixer.h and PortAudio's pa_ringbuffer.h as the wheel was built (ring_buffer_size_t is
// `long` on Linux: the pa_ringbuffer module's cdef, and PaUtil_InitializeRingBuffer's
// disassembly stores the six fields 8 bytes apart and the data pointer at 0x30).

/// PortAudio's PaUtilRingBuffer (pa_ringbuffer.h), ring_buffer_size_t = long.
pub const PeerRing = extern struct {
    buffer_size: c_long,
    write_index: c_long,
    read_index: c_long,
    big_mask: c_long,
    small_mask: c_long,
    element_size_bytes: c_long,
    buffer: ?[*]u8,
};

/// rtmixer.h `struct stats` (frame_t is unsigned long).
pub const PeerStats = extern struct {
    blocks: c_ulong = 0,
    min_blocksize: c_ulong = 0,
    max_blocksize: c_ulong = 0,
    input_underflows: c_ulong = 0,
    input_overflows: c_ulong = 0,
    output_underflows: c_ulong = 0,
    output_overflows: c_ulong = 0,
};

/// rtmixer.h `struct action`, followed in memory by `channels` mapping entries (1-based).
pub const PeerAction = extern struct {
    type: c_int,
    requested_time: f64,
    /// Python's play_buffer sets -1 for allow_belated=True (the default), 0 for False.
    actual_time: f64,
    next: ?*PeerAction,
    buffer: ?[*]const f32,
    total_frames: c_ulong,
    done_frames: c_ulong,
    stats: PeerStats,
    channels: c_ulong,
    // const frame_t mapping[];

    pub fn mapping(a: *PeerAction) [*]c_ulong {
        return @ptrFromInt(@intFromPtr(a) + @sizeOf(PeerAction));
    }
};

/// rtmixer.h `struct state`.
pub const PeerState = extern struct {
    input_channels: c_ulong,
    output_channels: c_ulong,
    samplerate: f64,
    action_q: *PeerRing,
    result_q: *PeerRing,
    actions: ?*PeerAction,
    stats: PeerStats,
};

/// portaudio.h PaStreamCallbackTimeInfo.
const PeerTimeInfo = extern struct { input_adc: f64, current: f64, output_dac: f64 };

comptime {
    if (@sizeOf(c_long) == 8) {
        std.debug.assert(@sizeOf(PeerRing) == 56 and @offsetOf(PeerRing, "buffer") == 0x30);
        std.debug.assert(@offsetOf(PeerAction, "requested_time") == 8);
        std.debug.assert(@offsetOf(PeerAction, "next") == 24 and @offsetOf(PeerAction, "buffer") == 32);
        std.debug.assert(@offsetOf(PeerAction, "total_frames") == 40 and @offsetOf(PeerAction, "stats") == 56);
        std.debug.assert(@offsetOf(PeerAction, "channels") == 112 and @sizeOf(PeerAction) == 120);
        std.debug.assert(@offsetOf(PeerState, "action_q") == 24 and @offsetOf(PeerState, "actions") == 40);
        std.debug.assert(@sizeOf(PeerState) == 104);
    }
}

const PLAY_BUFFER: c_int = 0; // enum actiontype

const Callback = *const fn (?*const anyopaque, ?*anyopaque, c_ulong, *const PeerTimeInfo, c_ulong, ?*anyopaque) callconv(.c) c_int;
const InitRing = *const fn (*PeerRing, c_long, c_long, ?*anyopaque) callconv(.c) c_long;
const WriteRing = *const fn (*PeerRing, *const anyopaque, c_long) callconv(.c) c_long;
const ReadRing = *const fn (*PeerRing, *anyopaque, c_long) callconv(.c) c_long;

/// The peer library's functions, looked up once.
const PeerLib = struct { callback: Callback, init: InitRing, write: WriteRing, read: ReadRing };
var peer_lib: ?PeerLib = null;
var peer_error: [512]u8 = undefined;
var peer_error_len: usize = 0;

fn failed(what: []const u8) ?*const PeerLib {
    const detail: []const u8 = if (std.c.dlerror()) |e| std.mem.span(e) else "";
    const text = std.fmt.bufPrint(&peer_error, "{s}: {s}", .{ what, detail }) catch peer_error[0..0];
    peer_error_len = text.len;
    return null;
}

/// Loads the stub of the Python symbols (zig/pystub.zig) with RTLD_GLOBAL, then the peer with
/// RTLD_LOCAL (its Py* references bind to the stub), and looks up what the benchmark calls.
fn openPeer(stub_path: [*:0]const u8, peer_path: [*:0]const u8) ?*const PeerLib {
    if (peer_lib) |*l| return l;
    _ = std.c.dlopen(stub_path, .{ .NOW = true, .GLOBAL = true }) orelse return failed("dlopen of the Python stub");
    const h = std.c.dlopen(peer_path, .{ .NOW = true }) orelse return failed("dlopen of python-rtmixer's _rtmixer.abi3.so");
    const callback = std.c.dlsym(h, "callback") orelse return failed("dlsym callback");
    const init = std.c.dlsym(h, "PaUtil_InitializeRingBuffer") orelse return failed("dlsym PaUtil_InitializeRingBuffer");
    const write = std.c.dlsym(h, "PaUtil_WriteRingBuffer") orelse return failed("dlsym PaUtil_WriteRingBuffer");
    const read = std.c.dlsym(h, "PaUtil_ReadRingBuffer") orelse return failed("dlsym PaUtil_ReadRingBuffer");
    // @alignCast: function pointers are 4-aligned on aarch64 (dlsym's result is 1-aligned), and
    // without it the arm64 build does not compile (.ci/arm64.sh, .ci/release.sh).
    peer_lib = .{
        .callback = @ptrCast(@alignCast(callback)),
        .init = @ptrCast(@alignCast(init)),
        .write = @ptrCast(@alignCast(write)),
        .read = @ptrCast(@alignCast(read)),
    };
    return &peer_lib.?;
}

/// Why the last `peerCreate` returned null.
pub fn peerError() []const u8 {
    return peer_error[0..peer_error_len];
}

/// A python-rtmixer mixer's state with room for `voices` play actions of `channels` channels.
pub const Peer = struct {
    lib: *const PeerLib,
    state: PeerState,
    action_q: PeerRing,
    result_q: PeerRing,
    /// Both queues' storage: pointers to actions.
    queue_data: []?*PeerAction,
    /// The actions, `action_bytes` apart (each followed by its mapping).
    actions: []align(64) u8,
    action_bytes: usize,
    voices: u32,
    channels: u32,
    /// Frames each action was armed with (`peerCollect` checks they all played).
    frames_armed: c_ulong = 0,

    fn actionAt(p: *Peer, v: usize) *PeerAction {
        return @ptrCast(@alignCast(p.actions[v * p.action_bytes ..].ptr));
    }
};

const allocator = std.heap.c_allocator;

pub fn peerCreate(stub_path: [*:0]const u8, peer_path: [*:0]const u8, output_channels: u32, sample_rate: f64, voices: u32, channels: u32) ?*Peer {
    const lib = openPeer(stub_path, peer_path) orelse return null;
    return makePeer(lib, output_channels, sample_rate, voices, channels) catch |e| {
        const text = std.fmt.bufPrint(&peer_error, "creating the peer's state: {s}", .{@errorName(e)}) catch peer_error[0..0];
        peer_error_len = text.len;
        return null;
    };
}

fn makePeer(lib: *const PeerLib, output_channels: u32, sample_rate: f64, voices: u32, channels: u32) !*Peer {
    const p = try allocator.create(Peer);
    errdefer allocator.destroy(p);
    // Each queue holds every voice (a power of two, as PaUtilRingBuffer requires): all actions
    // are handed over before a segment, and all come back in its course (rtmixer prints and
    // loses a result when result_q is full).
    const q = try std.math.ceilPowerOfTwo(u32, @max(voices, 64));
    const queue_data = try allocator.alloc(?*PeerAction, 2 * q);
    errdefer allocator.free(queue_data);
    const action_bytes = std.mem.alignForward(usize, @sizeOf(PeerAction) + channels * @sizeOf(c_ulong), 64);
    const actions = try allocator.alignedAlloc(u8, .@"64", voices * action_bytes);
    errdefer allocator.free(actions);
    p.* = .{
        .lib = lib,
        .state = undefined,
        .action_q = undefined,
        .result_q = undefined,
        .queue_data = queue_data,
        .actions = actions,
        .action_bytes = action_bytes,
        .voices = voices,
        .channels = channels,
    };
    if (lib.init(&p.action_q, @sizeOf(?*PeerAction), q, @ptrCast(queue_data.ptr)) != 0) return error.RingInit;
    if (lib.init(&p.result_q, @sizeOf(?*PeerAction), q, @ptrCast(queue_data[q..].ptr)) != 0) return error.RingInit;
    p.state = .{
        .input_channels = 0,
        .output_channels = output_channels,
        .samplerate = sample_rate,
        .action_q = &p.action_q,
        .result_q = &p.result_q,
        .actions = null,
        .stats = .{},
    };
    return p;
}

pub fn peerDestroy(p: *Peer) void {
    allocator.free(p.queue_data);
    allocator.free(p.actions);
    allocator.destroy(p);
}

/// Arms every voice as Python's `play_buffer(buffer, channels)` would make it (start 0,
/// allow_belated=True): voice v plays `frames` frames from `src + v * voice_stride` samples, onto
/// the 1-based `mapping`. Then hands all of them over through action_q, as play_buffer does one
/// at a time. Returns how many were handed over.
pub fn peerArm(p: *Peer, src: [*]const f32, voice_stride: usize, frames: u32, mapping: [*]const u32) u32 {
    var handed: u32 = 0;
    for (0..p.voices) |v| {
        const a = p.actionAt(v);
        a.* = .{
            .type = PLAY_BUFFER,
            .requested_time = 0,
            .actual_time = -1.0,
            .next = null,
            .buffer = src + v * voice_stride,
            .total_frames = frames,
            .done_frames = 0,
            .stats = .{},
            .channels = p.channels,
        };
        for (0..p.channels) |c| a.mapping()[c] = mapping[c];
        const ptr: ?*PeerAction = a;
        handed += @intCast(p.lib.write(&p.action_q, @ptrCast(&ptr), 1));
    }
    p.frames_armed = frames;
    return handed;
}

/// One block: the peer's callback, called as PortAudio calls it (no input, all three times of
/// the block equal to `time`, no status flags). Returns the callback's return value.
pub fn peerBlock(p: *Peer, out: [*]f32, frames: u32, time: f64) c_int {
    const info: PeerTimeInfo = .{ .input_adc = time, .current = time, .output_dac = time };
    return p.lib.callback(null, out, frames, &info, 0, &p.state);
}

/// Takes every finished action back from result_q; returns how many came back having played all
/// their frames, or -1 if any action is still in the peer's list.
pub fn peerCollect(p: *Peer) i32 {
    if (p.state.actions != null) return -1;
    var whole: i32 = 0;
    var a: ?*PeerAction = null;
    while (p.lib.read(&p.result_q, @ptrCast(&a), 1) == 1) {
        if (a.?.done_frames == p.frames_armed and a.?.total_frames == p.frames_armed) whole += 1;
    }
    return whole;
}

/// A native copy of `src` (the peer's sources: it plays memory in place, as python-rtmixer plays a
/// NumPy array's, and the benchmark keeps no JavaScript memory in a native object across calls).
pub fn nativeCopy(src: []const f32) ?[*]f32 {
    const copy = allocator.alloc(f32, src.len) catch return null;
    @memcpy(copy, src);
    return copy.ptr;
}

pub fn nativeFree(p: [*]f32, len: usize) void {
    allocator.free(p[0..len]);
}
