//! The exported C ABI of librtmixer. Every function TypeScript calls is here, in one flat file;
//! the concepts live in their own files. See src/ffi/symbols.ts for the other side.
const std = @import("std");
const alloc = @import("alloc.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const selftest = @import("selftest.zig");
const mixer = @import("mixer.zig");
const pa = @import("portaudio.zig");
const stream = @import("stream.zig");
const Stream = stream.Stream;
const jacktest = @import("jacktest.zig");
const jackdown = @import("jackdown.zig");
const Mixer = mixer.Mixer;
const Sample = @import("sample.zig").Sample;

/// Bumped whenever an exported signature or a shared struct layout changes; the TypeScript loader
/// refuses a library whose number differs from its own.
pub const abi_version: u32 = 3;

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
/// Sends the action in slot `index` to the callback: 0, or a negative Mixer.SubmitError. `data`
/// (a play action's samples) is copied during the call.
export fn rtm_mixer_submit(m: *Mixer, index: u32, data: ?[*]const f32, ringbuffer: ?*RingBuffer, shared: ?*Sample) i32 {
    return @intFromEnum(m.submit(index, data, ringbuffer, shared));
}
/// Copies `len` samples into native memory that play actions can share; null if out of memory.
export fn rtm_sample_create(data: [*]const f32, len: f64) ?*Sample {
    if (!(len >= 0 and len <= Mixer.frames_max)) return null;
    return Sample.create(data, @intFromFloat(len));
}
/// Drops the owner's reference; the memory goes when no action plays it any more.
export fn rtm_sample_unref(s: *Sample) void {
    s.unref();
}
/// Frees a collected action's memory, copying a record action's frames into `dst` first.
export fn rtm_mixer_release(m: *Mixer, index: u32, dst: ?[*]f32) void {
    if (index < m.slot_count) m.release(index, dst);
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

// ---- PortAudio, devices and streams ------------------------------------------------------------
// Strings come out by copy into a caller's buffer: each returns the string's full length (so a
// longer buffer can be retried) or a negative PortAudio error code.

/// Initialises PortAudio if it is not yet and counts one user (a module instance); 0 or an error.
export fn rtm_pa_acquire() i32 {
    return pa.acquire();
}
/// Undoes one acquire; the last terminates PortAudio.
export fn rtm_pa_release() void {
    pa.release();
}
/// Terminates and initialises PortAudio again (fails with -1 while streams are open).
export fn rtm_pa_reinitialize() i32 {
    return pa.reinitialize();
}
export fn rtm_pa_is_initialized() bool {
    return pa.isInitialized();
}
/// Lets ALSA and JACK print their messages (from the next initialisation on).
export fn rtm_pa_set_verbose(on: bool) void {
    pa.setVerbose(on);
}
/// The JACK client name from the next initialisation on; re-initialises now if it differs.
export fn rtm_pa_set_jack_client_name(name: [*]const u8, len: u32) i32 {
    return pa.setJackClientName(name[0..len]);
}
/// The JACK client name PortAudio uses now, or paHostApiNotFound.
export fn rtm_pa_jack_client_name(buffer: [*]u8, capacity: u32) i32 {
    const name = pa.actualJackClientName() orelse return pa.err.host_api_not_found;
    return pa.copyString(name, buffer, capacity);
}
export fn rtm_pa_error_text(code: i32, buffer: [*]u8, capacity: u32) i32 {
    return pa.copyString(pa.errorText(code), buffer, capacity);
}
/// The host API's text of the last paUnanticipatedHostError (empty if there is none).
export fn rtm_pa_host_error_text(buffer: [*]u8, capacity: u32) i32 {
    if (!pa.isInitialized()) return pa.copyString(null, buffer, capacity);
    return pa.copyString(pa.api.Pa_GetLastHostErrorInfo().error_text, buffer, capacity);
}
export fn rtm_pa_device_count() i32 {
    return if (pa.isInitialized()) pa.api.Pa_GetDeviceCount() else pa.err.not_initialized;
}
/// PortAudio's default input (`output` false) or output device index, or -1 for none.
export fn rtm_pa_default_device(output: bool) i32 {
    if (!pa.isInitialized()) return pa.err.not_initialized;
    return if (output) pa.api.Pa_GetDefaultOutputDevice() else pa.api.Pa_GetDefaultInputDevice();
}
/// Fills `out` (8 f64, src/ffi/layout.ts DEVICE) with the device's numbers.
export fn rtm_pa_device_info(index: i32, out: [*]f64) i32 {
    const d = deviceInfo(index) orelse return pa.err.invalid_device;
    out[0..8].* = .{
        @floatFromInt(d.host_api),            @floatFromInt(d.max_input_channels),
        @floatFromInt(d.max_output_channels), d.default_low_input_latency,
        d.default_low_output_latency,         d.default_high_input_latency,
        d.default_high_output_latency,        d.default_sample_rate,
    };
    return 0;
}
export fn rtm_pa_device_name(index: i32, buffer: [*]u8, capacity: u32) i32 {
    const d = deviceInfo(index) orelse return pa.err.invalid_device;
    return pa.copyString(d.name, buffer, capacity);
}
fn deviceInfo(index: i32) ?*const pa.DeviceInfo {
    if (!pa.isInitialized() or index < 0) return null;
    return pa.api.Pa_GetDeviceInfo(index);
}
export fn rtm_pa_host_api_count() i32 {
    return if (pa.isInitialized()) pa.api.Pa_GetHostApiCount() else pa.err.not_initialized;
}
export fn rtm_pa_default_host_api() i32 {
    return if (pa.isInitialized()) pa.api.Pa_GetDefaultHostApi() else pa.err.not_initialized;
}
/// Fills `out` (4 f64, src/ffi/layout.ts HOST_API): type id, device count, default input and
/// output device (-1 for none).
export fn rtm_pa_host_api_info(index: i32, out: [*]f64) i32 {
    const h = hostApiInfo(index) orelse return pa.err.invalid_host_api;
    out[0..4].* = .{
        @floatFromInt(h.type),                 @floatFromInt(h.device_count),
        @floatFromInt(h.default_input_device), @floatFromInt(h.default_output_device),
    };
    return 0;
}
export fn rtm_pa_host_api_name(index: i32, buffer: [*]u8, capacity: u32) i32 {
    const h = hostApiInfo(index) orelse return pa.err.invalid_host_api;
    return pa.copyString(h.name, buffer, capacity);
}
fn hostApiInfo(index: i32) ?*const pa.HostApiInfo {
    if (!pa.isInitialized() or index < 0) return null;
    return pa.api.Pa_GetHostApiInfo(index);
}
/// 0 if PortAudio would open a stream with these parameters (a stream.Params block), else why not.
export fn rtm_pa_check_settings(params: [*]const f64) i32 {
    return stream.Params.isSupported(@ptrCast(params));
}

/// An unopened stream (null when out of memory); `rtm_stream_open` opens it.
export fn rtm_stream_create() ?*Stream {
    return Stream.create();
}
/// Opens the PortAudio stream and its mixer from a stream.Params block (src/ffi/layout.ts PARAMS).
export fn rtm_stream_open(s: *Stream, params: [*]const f64) i32 {
    return s.open(@ptrCast(params));
}
/// Closes the stream (idempotent) and frees its mixer; the handle stays valid until destroyed.
export fn rtm_stream_close(s: *Stream) i32 {
    return s.close();
}
/// Closes the stream if open and frees the handle.
export fn rtm_stream_destroy(s: *Stream) void {
    s.destroy();
}
/// The stream's mixer (null when closed); its stats are at offset 0 (layout.ts STATS).
export fn rtm_stream_mixer(s: *Stream) ?*Mixer {
    return s.mixer;
}
export fn rtm_stream_start(s: *Stream) i32 {
    return pa.api.Pa_StartStream(s.handle() orelse return pa.err.bad_stream_ptr);
}
// Through jackdown: a stream whose JACK server died would otherwise hang here for 10 minutes.
export fn rtm_stream_stop(s: *Stream) i32 {
    return jackdown.stopStream(s.handle() orelse return pa.err.bad_stream_ptr, pa.api.Pa_StopStream);
}
export fn rtm_stream_abort(s: *Stream) i32 {
    return jackdown.stopStream(s.handle() orelse return pa.err.bad_stream_ptr, pa.api.Pa_AbortStream);
}
/// 1 if the callback runs, 0 if not, or an error.
export fn rtm_stream_is_active(s: *Stream) i32 {
    return pa.api.Pa_IsStreamActive(s.handle() orelse return pa.err.bad_stream_ptr);
}
/// 1 if stopped, 0 if not, or an error.
export fn rtm_stream_is_stopped(s: *Stream) i32 {
    return pa.api.Pa_IsStreamStopped(s.handle() orelse return pa.err.bad_stream_ptr);
}
/// PortAudio's stream time in seconds (0 on error).
export fn rtm_stream_time(s: *Stream) f64 {
    return pa.api.Pa_GetStreamTime(s.handle() orelse return 0);
}
export fn rtm_stream_cpu_load(s: *Stream) f64 {
    return pa.api.Pa_GetStreamCpuLoad(s.handle() orelse return 0);
}
/// Fills `out` (3 f64): input latency, output latency, sample rate, as PortAudio reports them.
export fn rtm_stream_info(s: *Stream, out: [*]f64) i32 {
    const info = pa.api.Pa_GetStreamInfo(s.handle() orelse return pa.err.bad_stream_ptr) orelse return pa.err.bad_stream_ptr;
    out[0..3].* = .{ info.input_latency, info.output_latency, info.sample_rate };
    return 0;
}

// ---- Benchmark support (zig/benchsupport.zig) ---------------------------------------------------
// References for bench/callback.ts, one block per call like rtm_mixer_process. Voice v reads from
// `src + v * voice_stride` samples, at frame `position`.

/// The obvious mixer: zero `out`, add every voice through `mapping` (0-based) sample by sample.
export fn rtm_bench_scalar_block(out: [*]f32, out_channels: u32, src: [*]const f32, src_channels: u32, mapping: [*]const u32, voices: u32, voice_stride: u32, position: u32, frames: u32) void {
    benchsupport.scalarBlock(out, out_channels, src, src_channels, mapping, voices, voice_stride, position, frames);
}
/// A memcpy of each voice's samples for the block into `out`: the physical limit.
export fn rtm_bench_copy_block(out: [*]f32, src: [*]const f32, src_channels: u32, voices: u32, voice_stride: u32, position: u32, frames: u32) void {
    benchsupport.copyBlock(out, src, src_channels, voices, voice_stride, position, frames);
}
const benchsupport = @import("benchsupport.zig");
test {
    _ = benchsupport;
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
/// Asks the thread to stop (a reader empties the ring first) and waits; returns the elements it
/// moved. Then join.
export fn rtm_test_ring_peer_stop(peer: *selftest.Peer) f64 {
    return selftest.stop(peer);
}
/// Starts a thread that runs `m`'s block processing back to back (blocks of `frames`), as a
/// callback would; nothing else may process `m` until it is stopped. Null on bad arguments.
export fn rtm_test_mixer_driver_start(m: *Mixer, frames: u32) ?*selftest.Driver {
    return selftest.driverStart(m, frames);
}
/// Stops and frees the driver; returns how many blocks it processed.
export fn rtm_test_mixer_driver_stop(d: *selftest.Driver) f64 {
    return selftest.driverStop(d);
}
/// The realtime-safety counter of the LD_PRELOADed zig/rtcheck.zig (see selftest.rtcheck).
export fn rtm_test_rtcheck(op: u32) f64 {
    return selftest.rtcheck(op);
}

/// Connects the JACK client's own outputs to its inputs and removes all other connections of its
/// ports (client "" = the one PortAudio uses). Returns the number of links, or a negative
/// jacktest.errorCode (or a PortAudio error code when PortAudio has no JACK client).
export fn rtm_test_jack_loopback(name: [*]const u8, len: u32) i32 {
    var buffer: [128]u8 = undefined;
    const client = jackClient(name[0..len], &buffer) orelse return pa.err.host_api_not_found;
    const n = jacktest.loopback(client) catch |e| return jacktest.errorCode(e);
    return @intCast(n);
}
/// The connections of the client's ports as "source>destination" lines; returns the full length.
export fn rtm_test_jack_connections(name: [*]const u8, len: u32, out: [*]u8, capacity: u32) i32 {
    var buffer: [128]u8 = undefined;
    const client = jackClient(name[0..len], &buffer) orelse return pa.err.host_api_not_found;
    return jacktest.connections(client, out, capacity) catch |e| jacktest.errorCode(e);
}
fn jackClient(name: []const u8, buffer: *[128]u8) ?[]const u8 {
    if (name.len > 0) return name;
    const actual = std.mem.span(pa.actualJackClientName() orelse return null);
    if (actual.len > buffer.len) return null;
    @memcpy(buffer[0..actual.len], actual);
    return buffer[0..actual.len];
}
/// A duplex stream that plays a ramp (jacktest.rampSample) and captures `capacity_frames`.
export fn rtm_test_probe_create(capacity_frames: u32) ?*jacktest.Probe {
    return jacktest.Probe.create(capacity_frames);
}
export fn rtm_test_probe_open(p: *jacktest.Probe, params: [*]const f64) i32 {
    return p.open(@ptrCast(params));
}
export fn rtm_test_probe_start(p: *jacktest.Probe) i32 {
    return p.start();
}
/// Copies up to `frames` captured frames; returns how many were copied.
export fn rtm_test_probe_read(p: *jacktest.Probe, dst: [*]f32, frames: u32) u32 {
    return p.read(dst, frames);
}
/// Closes (if open) and frees the probe.
export fn rtm_test_probe_destroy(p: *jacktest.Probe) void {
    p.destroy();
}

test {
    std.testing.refAllDecls(@This());
    _ = @import("portaudio.zig");
    _ = @import("stream.zig");
    _ = @import("jacktest.zig");
    _ = @import("ringbuffer.zig");
    _ = @import("clock.zig");
    _ = @import("mix.zig");
    _ = @import("mixer_test.zig");
    _ = @import("sample.zig");
    _ = @import("queue_test.zig");
}
