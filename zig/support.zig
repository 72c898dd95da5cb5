//! librtmixer-support: what tests and benchmarks need beside the product, built from the same
//! sources into a library of its own (the product, zig/root.zig, exports none of it). Tests load
//! it next to librtmixer (tests/helpers/support.ts) and hand it the product's objects:
//!
//! - ring buffer peers: native threads on the other side of a product RingBuffer (zig/selftest.zig);
//! - a mixer driver: a thread that runs the product's own `rtm_mixer_process` (looked up in the
//!   loaded product library) back to back, marked for the realtime-safety interposer;
//! - the realtime-safety interposer's counters (zig/rtcheck.zig, LD_PRELOADed);
//! - JACK helpers: a loopback of a client's ports and a probe stream (zig/jacktest.zig);
//! - the benchmarks' reference mixing loops (zig/benchsupport.zig).
const std = @import("std");
const builtin = @import("builtin");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const Header = @import("mixer.zig").Header;
const selftest = @import("selftest.zig");
const jacktest = @import("jacktest.zig");
const benchsupport = @import("benchsupport.zig");
const pa = @import("portaudio.zig");
const stream = @import("stream.zig");

// ---- Ring buffer peers ---------------------------------------------------------------------------

/// Starts a native thread that writes (direction 0) or reads and checks (1) `total` f64 counters.
export fn rtm_test_ring_peer_start(rb: *RingBuffer, total: f64, direction: u32) ?*selftest.Peer {
    if (direction > 1) return null;
    return selftest.start(rb, total, @enumFromInt(direction));
}
/// Joins the thread; returns how many elements arrived out of sequence.
export fn rtm_test_ring_peer_join(peer: *selftest.Peer) f64 {
    return selftest.join(peer);
}
/// Asks the thread to stop (a reader empties the ring first) and waits; returns the elements it
/// moved. Then join.
export fn rtm_test_ring_peer_stop(peer: *selftest.Peer) f64 {
    return selftest.stop(peer);
}

// ---- Mixer driver ---------------------------------------------------------------------------------

/// Starts a thread that runs the product's block processing on mixer `m` back to back (blocks of
/// `frames`), as a callback would; nothing else may process `m` until it is stopped. `product`
/// (`len` bytes) is the path of the loaded product library, whose `rtm_mixer_process` and
/// `rtm_mixer_header` it calls. Null on bad arguments, or if the product is not loaded.
export fn rtm_test_mixer_driver_start(m: *anyopaque, frames: u32, product: [*]const u8, len: u32) ?*selftest.Driver {
    const process = productSymbol(product, len, "rtm_mixer_process") orelse return null;
    const header_of = productSymbol(product, len, "rtm_mixer_header") orelse return null;
    const header: *const Header = @as(*const fn (*anyopaque) callconv(.c) *const Header, @ptrCast(@alignCast(header_of)))(m);
    return selftest.driverStart(m, header, @ptrCast(@alignCast(process)), frames);
}
/// A function of the loaded product library (path `product`, `len` bytes), or null.
fn productSymbol(product: [*]const u8, len: u32, name: [*:0]const u8) ?*anyopaque {
    if (builtin.os.tag == .windows) return null;
    var path: [4096:0]u8 = @splat(0);
    if (len >= path.len) return null;
    @memcpy(path[0..len], product[0..len]);
    // NOLOAD: the product the caller loaded, never a second copy.
    const lib = std.c.dlopen(&path, .{ .NOW = true, .NOLOAD = true }) orelse return null;
    return std.c.dlsym(lib, name);
}
/// Stops and frees the driver; returns how many blocks it processed (negative: how many the
/// product refused).
export fn rtm_test_mixer_driver_stop(d: *selftest.Driver) f64 {
    return selftest.driverStop(d);
}

/// The realtime-safety counter of the LD_PRELOADed zig/rtcheck.zig (see selftest.rtcheck).
export fn rtm_test_rtcheck(op: u32) f64 {
    return selftest.rtcheck(op);
}

// ---- JACK -----------------------------------------------------------------------------------------

/// Connects the JACK client's own outputs to its inputs and removes all other connections of its
/// ports. Returns the number of links, or a negative jacktest.errorCode.
export fn rtm_test_jack_loopback(name: [*]const u8, len: u32) i32 {
    const n = jacktest.loopback(name[0..len]) catch |e| return jacktest.errorCode(e);
    return @intCast(n);
}
/// The connections of the client's ports as "source>destination" lines; returns the full length.
export fn rtm_test_jack_connections(name: [*]const u8, len: u32, out: [*]u8, capacity: u32) i32 {
    return jacktest.connections(name[0..len], out, capacity) catch |e| jacktest.errorCode(e);
}
/// A duplex stream that plays a ramp (jacktest.rampSample) and captures `capacity_frames`. It
/// initialises PortAudio for itself (PortAudio counts its users), so that the product's own
/// count and state stay untouched.
export fn rtm_test_probe_create(capacity_frames: u32) ?*jacktest.Probe {
    return jacktest.Probe.create(capacity_frames);
}
export fn rtm_test_probe_open(p: *jacktest.Probe, params: [*]const f64, params_bytes: u32) i32 {
    if (params_bytes < @sizeOf(stream.Params)) return pa.err.invalid_flag;
    return p.open(@ptrCast(params));
}
export fn rtm_test_probe_start(p: *jacktest.Probe) i32 {
    return p.start();
}
/// Copies up to `frames` captured frames into `dst` (`dst_bytes` long); returns how many.
export fn rtm_test_probe_read(p: *jacktest.Probe, dst: [*]f32, dst_bytes: f64, frames: u32) u32 {
    const fit: u32 = @intFromFloat(@min(@max(dst_bytes, 0) / (4 * @as(f64, @floatFromInt(@max(p.channels, 1)))), @as(f64, frames)));
    return p.read(dst, fit);
}
/// Closes (if open) and frees the probe.
export fn rtm_test_probe_destroy(p: *jacktest.Probe) void {
    p.destroy();
}

// ---- Benchmark references and drivers (zig/benchsupport.zig) --------------------------------------
// A segment of blocks per call, in a native loop, as PortAudio calls a callback. Voice v reads from
// `src + v * voice_stride` samples; blocks of `frames` frames start at `first`, `first + frames`,
// ... before `end`.

/// The obvious mixer: zero `out`, add every voice through `mapping` (0-based) sample by sample.
export fn rtm_bench_scalar_blocks(out: [*]f32, out_channels: u32, src: [*]const f32, src_channels: u32, mapping: [*]const u32, voices: u32, voice_stride: u32, first: u32, end: u32, frames: u32) void {
    benchsupport.scalarBlocks(out, out_channels, src, src_channels, mapping, voices, voice_stride, first, end, frames);
}
/// A memcpy of each voice's samples for the block into `out`: the physical limit.
export fn rtm_bench_copy_blocks(out: [*]f32, src: [*]const f32, src_channels: u32, voices: u32, voice_stride: u32, first: u32, end: u32, frames: u32) void {
    benchsupport.copyBlocks(out, src, src_channels, voices, voice_stride, first, end, frames);
}
/// The loaded product's `rtm_mixer_process` (`product`, `len` bytes: its path), for
/// rtm_bench_engine_blocks; null if the product is not loaded.
export fn rtm_bench_product_process(product: [*]const u8, len: u32) ?*anyopaque {
    return productSymbol(product, len, "rtm_mixer_process");
}
/// `blocks` blocks of `frames` of the product's block processing (`process`, from
/// rtm_bench_product_process) on mixer `m` into `out` (`out_bytes` long), the first at stream
/// frame `first_frame` of `rate`; returns the first non-zero status, or 0.
export fn rtm_bench_engine_blocks(process: *anyopaque, m: *anyopaque, out: [*]f32, out_bytes: f64, frames: u32, first_frame: f64, blocks: u32, rate: f64) i32 {
    return benchsupport.engineBlocks(@ptrCast(@alignCast(process)), m, out, out_bytes, frames, first_frame, blocks, rate);
}


// ---- The peer: python-rtmixer 0.1.7's C callback (zig/benchsupport.zig) ----------------------------

/// Loads python-rtmixer's `_rtmixer.abi3.so` (`peer`, `peer_len` bytes) after the stub of its
/// Python symbols (`stub`: librtmixer-pystub, zig/pystub.zig), and makes its `struct state` with
/// room for `voices` play actions of `channels` channels. Null on failure (see
/// rtm_bench_peer_error).
export fn rtm_bench_peer_create(stub: [*]const u8, stub_len: u32, peer: [*]const u8, peer_len: u32, output_channels: u32, sample_rate: f64, voices: u32, channels: u32) ?*benchsupport.Peer {
    if (builtin.os.tag == .windows) return null;
    var stub_path: [4096:0]u8 = @splat(0);
    var peer_path: [4096:0]u8 = @splat(0);
    if (stub_len >= stub_path.len or peer_len >= peer_path.len or voices == 0 or channels == 0) return null;
    @memcpy(stub_path[0..stub_len], stub[0..stub_len]);
    @memcpy(peer_path[0..peer_len], peer[0..peer_len]);
    return benchsupport.peerCreate(&stub_path, &peer_path, output_channels, sample_rate, voices, channels);
}
/// Why rtm_bench_peer_create last failed (utf-8 into `dst`); returns its length.
export fn rtm_bench_peer_error(dst: [*]u8, capacity: u32) u32 {
    const text = benchsupport.peerError();
    const n: u32 = @intCast(@min(text.len, capacity));
    @memcpy(dst[0..n], text[0..n]);
    return n;
}
export fn rtm_bench_peer_destroy(p: *benchsupport.Peer) void {
    benchsupport.peerDestroy(p);
}
/// Arms every voice (voice v plays `frames` frames from `src + v * voice_stride` samples onto the
/// 1-based `mapping`) and hands them to the peer's action_q; returns how many were handed over.
export fn rtm_bench_peer_arm(p: *benchsupport.Peer, src: [*]const f32, voice_stride: f64, frames: u32, mapping: [*]const u32) u32 {
    return benchsupport.peerArm(p, src, @intFromFloat(voice_stride), frames, mapping);
}
/// `blocks` blocks of the peer's callback into `out` (`frames` frames each, the first at stream
/// frame `first_frame` of `rate`, every time of a block equal); the OR of its results.
export fn rtm_bench_peer_blocks(p: *benchsupport.Peer, out: [*]f32, frames: u32, first_frame: f64, blocks: u32, rate: f64) i32 {
    return benchsupport.peerBlocks(p, out, frames, first_frame, blocks, rate);
}
/// Takes the finished actions back; how many played all their frames (-1: some still playing).
export fn rtm_bench_peer_collect(p: *benchsupport.Peer) i32 {
    return benchsupport.peerCollect(p);
}
/// A native copy of `bytes` of float32 samples, for the peer to play in place; null if no memory.
export fn rtm_bench_native_copy(src: [*]const f32, bytes: f64) ?[*]f32 {
    return benchsupport.nativeCopy(src[0..@as(usize, @intFromFloat(bytes)) / 4]);
}
export fn rtm_bench_native_free(p: [*]f32, bytes: f64) void {
    benchsupport.nativeFree(p, @as(usize, @intFromFloat(bytes)) / 4);
}

test {
    std.testing.refAllDecls(@This());
    _ = benchsupport;
    _ = jacktest;
}
