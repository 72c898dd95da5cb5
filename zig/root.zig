//! The exported C ABI of librtmixer: the product, and nothing else (test and benchmark support is
//! a library of its own, zig/support.zig). Every function TypeScript calls is here, in one flat
//! file; the concepts live in their own files. See src/ffi/symbols.ts for the other side.
//!
//! Every export that takes memory takes its length too, and checks it: a pointer with a byte
//! length (f64: exact up to 2^53, and no BigInt in JavaScript), or a buffer with its capacity.
//! Every export that reaches PortAudio holds its lock (zig/portaudio.zig `lock`).
const std = @import("std");
const alloc = @import("alloc.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const mixer = @import("mixer.zig");
const pa = @import("portaudio.zig");
const stream = @import("stream.zig");
const Stream = stream.Stream;
const jackdown = @import("jackdown.zig");
const Mixer = mixer.Mixer;
const Sample = @import("sample.zig").Sample;
const facts = @import("facts.zig");
const resample = @import("resample.zig");

/// Bumped whenever an exported signature or a shared struct layout changes; the TypeScript loader
/// refuses a library whose number differs from its own.
pub const abi_version: u32 = 11;

/// f64 counts of the out-blocks below (also in zig/facts.zig).
pub const device_info_count = 8;
pub const host_api_info_count = 4;
pub const stream_info_count = 3;
pub const memory_usage_count = 2;

export fn rtm_abi_version() u32 {
    return abi_version;
}

/// The shared facts as JSON (zig/facts.zig), copied into `buffer`; returns the full length.
export fn rtm_facts(buffer: ?[*]u8, capacity: u32) i32 {
    return copyOut(facts.json, buffer, capacity);
}

/// Native memory the library holds: allocations and bytes (2 f64), for `memoryUsage()`.
export fn rtm_memory_usage(out: ?[*]f64, out_bytes: u32) i32 {
    const o = f64s(out, out_bytes, memory_usage_count) orelse return -1;
    o.* = .{ @floatFromInt(alloc.liveAllocations()), @floatFromInt(alloc.liveBytes()) };
    return 0;
}

/// `bytes` as a length, if it is one (a whole number from 0 up).
fn length(bytes: f64) ?usize {
    if (!(bytes >= 0 and bytes <= 0x1p53 and @floor(bytes) == bytes)) return null;
    return @intFromFloat(bytes);
}

/// An out-block of `count` f64 at `out`, if `out_bytes` holds them.
fn f64s(out: ?[*]f64, out_bytes: u32, comptime count: usize) ?*[count]f64 {
    const o = out orelse return null;
    if (out_bytes < count * @sizeOf(f64)) return null;
    return o[0..count];
}

fn copyOut(text: []const u8, buffer: ?[*]u8, capacity: u32) i32 {
    if (buffer) |b| {
        const n = @min(text.len, capacity);
        @memcpy(b[0..n], text[0..n]);
    }
    return @intCast(@min(text.len, std.math.maxInt(i32)));
}

// ---- Ring buffer -------------------------------------------------------------------------------

/// A ring over native memory (`data` null), or over `data_bytes` bytes lent at `data`.
export fn rtm_ringbuffer_create(element_size: u32, size: u32, data: ?[*]u8, data_bytes: f64) ?*RingBuffer {
    const bytes = length(data_bytes) orelse return null;
    return RingBuffer.create(element_size, size, data, bytes);
}
/// Drops the JavaScript owner's reference; the ring goes when no action uses it either.
export fn rtm_ringbuffer_unref(rb: *RingBuffer) void {
    rb.unref();
}
/// JavaScript may still reach the ring's native data through an ArrayBuffer it could not take
/// back: never free the data.
export fn rtm_ringbuffer_keep_data(rb: *RingBuffer) void {
    rb.keep_data = 1;
}
export fn rtm_ringbuffer_data(rb: *RingBuffer) [*]u8 {
    return rb.data;
}
/// 0, or RingBuffer.Status.side_in_use while an action uses the ring.
export fn rtm_ringbuffer_flush(rb: *RingBuffer) i32 {
    return @intFromEnum(rb.flush());
}
export fn rtm_ringbuffer_read_available(rb: *RingBuffer) u32 {
    return rb.readAvailable();
}
export fn rtm_ringbuffer_write_available(rb: *RingBuffer) u32 {
    return rb.writeAvailable();
}
/// Copies up to `count` elements from `src` (`src_bytes` long); the count written or a Status.
export fn rtm_ringbuffer_write(rb: *RingBuffer, src: ?[*]const u8, src_bytes: f64, count: u32) i32 {
    return rb.writeChecked(src, length(src_bytes) orelse return @intFromEnum(RingBuffer.Status.bad_length), count);
}
/// Copies up to `count` elements into `dst` (`dst_bytes` long); the count read or a Status.
export fn rtm_ringbuffer_read(rb: *RingBuffer, dst: ?[*]u8, dst_bytes: f64, count: u32) i32 {
    return rb.readChecked(dst, length(dst_bytes) orelse return @intFromEnum(RingBuffer.Status.bad_length), count);
}
/// The element count (its start index is left in the ring's `write_start`), or a Status.
export fn rtm_ringbuffer_get_write_regions(rb: *RingBuffer, count: u32) i32 {
    if (rb.claims & RingBuffer.side.writer != 0) return @intFromEnum(RingBuffer.Status.side_in_use);
    return @intCast(rb.getWriteRegions(count).count);
}
/// The element count (its start index is left in the ring's `read_start`), or a Status.
export fn rtm_ringbuffer_get_read_regions(rb: *RingBuffer, count: u32) i32 {
    if (rb.claims & RingBuffer.side.reader != 0) return @intFromEnum(RingBuffer.Status.side_in_use);
    return @intCast(rb.getReadRegions(count).count);
}
/// The new write index, or a Status (bad_length if `count` exceeds the free space).
export fn rtm_ringbuffer_advance_write_index(rb: *RingBuffer, count: u32) i32 {
    if (rb.claims & RingBuffer.side.writer != 0) return @intFromEnum(RingBuffer.Status.side_in_use);
    if (count > rb.writeAvailable()) return @intFromEnum(RingBuffer.Status.bad_length);
    return @intCast(rb.advanceWriteIndex(count));
}
/// The new read index, or a Status (bad_length if `count` exceeds the readable data).
export fn rtm_ringbuffer_advance_read_index(rb: *RingBuffer, count: u32) i32 {
    if (rb.claims & RingBuffer.side.reader != 0) return @intFromEnum(RingBuffer.Status.side_in_use);
    if (count > rb.readAvailable()) return @intFromEnum(RingBuffer.Status.bad_length);
    return @intCast(rb.advanceReadIndex(count));
}

// ---- Mixer and actions -------------------------------------------------------------------------

/// A mixer without a stream, for offline rendering (streams make their own).
export fn rtm_mixer_create(input_channels: u32, output_channels: u32, sample_rate: f64, initial_slots: u32) ?*Mixer {
    if (input_channels > stream.Params.channels_max or output_channels > stream.Params.channels_max) return null;
    if (initial_slots > stream.Params.queue_size_max) return null;
    return Mixer.create(input_channels, output_channels, sample_rate, initial_slots);
}
export fn rtm_mixer_destroy(m: *Mixer) void {
    m.destroy();
}
/// The header TypeScript reads (mixer.Header).
export fn rtm_mixer_header(m: *Mixer) *mixer.Header {
    return m.header;
}
/// Frames the callback has processed: the header's `frame_time`, read by a call so that no
/// JavaScript JIT can hoist the read out of a loop that waits for it to change (Bun's did).
export fn rtm_mixer_frame_time(m: *Mixer) f64 {
    return @atomicLoad(f64, &m.header.frame_time, .acquire);
}
/// The request block TypeScript fills before `rtm_mixer_submit` (mixer.Request).
export fn rtm_mixer_request(m: *Mixer) *mixer.Request {
    return m.request;
}
/// Adds a page of slots; returns the new slot count, or -1 when out of memory.
export fn rtm_mixer_add_page(m: *Mixer) i32 {
    if (m.slotCount() >= std.math.maxInt(i32) - mixer.page_slots) return -1;
    const count = m.addPage() orelse return -1;
    return @intCast(count);
}
/// Frees the pool's pages beyond mixer.trim_pages that are all free again (after a burst); returns
/// the page count. TypeScript drops its views on the pages beyond it.
export fn rtm_mixer_shrink(m: *Mixer) i32 {
    return @intCast(m.shrink());
}
/// The reports of page `index` (mixer.page_slots of mixer.Report), or null.
export fn rtm_mixer_page(m: *Mixer, index: u32) ?*anyopaque {
    return m.pageReports(index);
}
/// Sends the request block's action into the free slot its `slot` names: 0, or a negative
/// Mixer.SubmitError. A play action's samples (`samples_bytes` bytes at `samples`) are copied
/// during the call.
export fn rtm_mixer_submit(m: *Mixer, samples: ?[*]const u8, samples_bytes: f64, ring: ?*RingBuffer, shared: ?*Sample) i32 {
    const bytes = length(samples_bytes) orelse return @intFromEnum(mixer.SubmitError.bad_samples);
    return @intFromEnum(m.submit(m.request.slot, samples, bytes, ring, shared));
}
/// `rtm_mixer_submit` of a play buffer whose samples the request block holds: its `samples_bytes`
/// bytes of `samples` (at most mixer.request_samples_bytes).
export fn rtm_mixer_submit_inline(m: *Mixer) i32 {
    return @intFromEnum(m.submitInline(m.request.slot, m.request.samples_bytes));
}
/// The slot of the next finished action, or -1.
export fn rtm_mixer_collect(m: *Mixer) i32 {
    const slot = m.collect() orelse return -1;
    return @intCast(slot);
}
/// Frees a collected action's memory, copying a record action's frames into `dst`
/// (`dst_bytes` long) first; 0 or a negative Mixer.ReleaseStatus.
export fn rtm_mixer_release(m: *Mixer, slot: u32, dst: ?[*]u8, dst_bytes: f64) i32 {
    const bytes = length(dst_bytes) orelse return @intFromEnum(mixer.ReleaseStatus.dst_too_small);
    return @intFromEnum(m.release(slot, dst, bytes));
}
/// Hands back every action in flight unfinished; only while the callback cannot run.
export fn rtm_mixer_drain(m: *Mixer) void {
    m.drain();
}
/// Runs one block of the callback on caller-supplied buffers and time info (offline use). 0, or
/// -1 when a buffer is shorter than `frames` frames of its channels or a number is out of range.
pub export fn rtm_mixer_process(m: *Mixer, input: ?[*]const f32, input_bytes: f64, output: ?[*]f32, output_bytes: f64, frames: u32, current_time: f64, input_adc_time: f64, output_dac_time: f64, status_flags: u32) i32 {
    if (frames > stream.Params.block_size_max or status_flags & ~mixer.status.all != 0) return -1;
    const h = m.header;
    const in_bytes = length(input_bytes) orelse return -1;
    const out_bytes = length(output_bytes) orelse return -1;
    // The callback always gets a buffer for each direction that has channels (an empty block may
    // come without: Deno passes null for an empty typed array).
    if (h.input_channels > 0 and frames > 0 and (input == null or in_bytes < @as(usize, frames) * h.input_channels * 4)) return -1;
    if (h.output_channels > 0 and frames > 0 and (output == null or out_bytes < @as(usize, frames) * h.output_channels * 4)) return -1;
    if (@intFromPtr(input) % 4 != 0 or @intFromPtr(output) % 4 != 0) return -1;
    m.process(input, output, frames, .{ .current = current_time, .input_adc = input_adc_time, .output_dac = output_dac_time }, status_flags);
    return 0;
}
/// Copies `src_bytes` bytes of float32 samples into native memory that play actions can share;
/// null if the length is not whole or memory is short.
export fn rtm_sample_create(src: ?[*]const u8, src_bytes: f64) ?*Sample {
    return Sample.create(src, length(src_bytes) orelse return null);
}
/// Drops the owner's reference; the memory goes when no action plays it any more.
export fn rtm_sample_unref(s: *Sample) void {
    s.unref();
}

// ---- Resampling (zig/resample.zig) -------------------------------------------------------------

/// Resamples `src_frames` interleaved float32 frames of `channels` channels (`src_bytes` bytes at
/// `src`) from `rate_in` to `rate_out` Hz into `dst` (`dst_bytes`), which must hold
/// round(src_frames · rate_out / rate_in) frames. `quality`: 0 best, 1 medium, 2 fastest.
/// Returns the frames written, -1 for a bad argument or buffer, -2 when memory is short.
/// Takes time (the JavaScript thread's, never the audio thread's); allocates a filter table and
/// a chunk of input, freed before it returns.
export fn rtm_resample(src: ?[*]const f32, src_bytes: f64, src_frames: f64, channels: u32, rate_in: f64, rate_out: f64, quality: u32, dst: ?[*]f32, dst_bytes: f64) f64 {
    const s_bytes = length(src_bytes) orelse return -1;
    const d_bytes = length(dst_bytes) orelse return -1;
    const frames = length(src_frames) orelse return -1;
    if (quality > 2 or channels == 0) return -1;
    if (@intFromPtr(src) % 4 != 0 or @intFromPtr(dst) % 4 != 0) return -1;
    if ((src == null and s_bytes != 0) or (dst == null and d_bytes != 0)) return -1;
    const empty: [0]f32 = .{};
    const s: []const f32 = if (src) |p| p[0 .. s_bytes / 4] else &empty;
    var empty_out: [0]f32 = .{};
    const d: []f32 = if (dst) |p| p[0 .. d_bytes / 4] else &empty_out;
    const n = resample.resample(s, frames, channels, rate_in, rate_out, @enumFromInt(quality), d) catch |e| return switch (e) {
        error.BadArgument => -1,
        error.OutOfMemory => -2,
    };
    return @floatFromInt(n);
}

// ---- PortAudio, devices and streams ------------------------------------------------------------
// Strings come out by copy into a caller's buffer: each returns the string's full length (so a
// longer buffer can be retried) or a negative PortAudio error code.

/// Initialises PortAudio if it is not yet and counts one user (a module instance); 0 or an error.
export fn rtm_pa_acquire() i32 {
    pa.lock();
    defer pa.unlock();
    return pa.acquire();
}
/// Undoes one acquire; the last terminates PortAudio.
export fn rtm_pa_release() void {
    pa.lock();
    defer pa.unlock();
    pa.release();
}
/// Terminates and initialises PortAudio again (fails with -1 while streams are open).
export fn rtm_pa_reinitialize() i32 {
    pa.lock();
    defer pa.unlock();
    return pa.reinitialize();
}
export fn rtm_pa_is_initialized() bool {
    pa.lock();
    defer pa.unlock();
    return pa.isInitialized();
}
/// Lets ALSA and JACK print their messages (from the next initialisation on).
export fn rtm_pa_set_verbose(on: bool) void {
    pa.lock();
    defer pa.unlock();
    pa.setVerbose(on);
}
/// The JACK client name from the next initialisation on; re-initialises now if it differs.
export fn rtm_pa_set_jack_client_name(name: ?[*]const u8, len: u32) i32 {
    pa.lock();
    defer pa.unlock();
    if (name == null and len > 0) return pa.err.invalid_flag;
    return pa.setJackClientName(if (name) |n| n[0..len] else "");
}
/// The JACK client name PortAudio uses now, or paHostApiNotFound.
export fn rtm_pa_jack_client_name(buffer: ?[*]u8, capacity: u32) i32 {
    pa.lock();
    defer pa.unlock();
    const name = pa.actualJackClientName() orelse return pa.err.host_api_not_found;
    return copyOut(std.mem.span(name), buffer, capacity);
}
export fn rtm_pa_error_text(code: i32, buffer: ?[*]u8, capacity: u32) i32 {
    pa.lock();
    defer pa.unlock();
    return copyOut(std.mem.span(pa.errorText(code)), buffer, capacity);
}
/// The host API's text of the last paUnanticipatedHostError (empty if there is none).
export fn rtm_pa_host_error_text(buffer: ?[*]u8, capacity: u32) i32 {
    pa.lock();
    defer pa.unlock();
    if (!pa.isInitialized()) return 0;
    const text = pa.api.Pa_GetLastHostErrorInfo().error_text orelse return 0;
    return copyOut(std.mem.span(text), buffer, capacity);
}
export fn rtm_pa_device_count() i32 {
    pa.lock();
    defer pa.unlock();
    return if (pa.isInitialized()) pa.api.Pa_GetDeviceCount() else pa.err.not_initialized;
}
/// PortAudio's default input (`output` false) or output device index, or -1 for none.
export fn rtm_pa_default_device(output: bool) i32 {
    pa.lock();
    defer pa.unlock();
    if (!pa.isInitialized()) return pa.err.not_initialized;
    return if (output) pa.api.Pa_GetDefaultOutputDevice() else pa.api.Pa_GetDefaultInputDevice();
}
/// Fills `out` (device_info_count f64, src/ffi/layout.ts DEVICE) with the device's numbers.
export fn rtm_pa_device_info(index: i32, out: ?[*]f64, out_bytes: u32) i32 {
    pa.lock();
    defer pa.unlock();
    const o = f64s(out, out_bytes, device_info_count) orelse return pa.err.invalid_flag;
    const d = deviceInfo(index) orelse return pa.err.invalid_device;
    o.* = .{
        @floatFromInt(d.host_api),            @floatFromInt(d.max_input_channels),
        @floatFromInt(d.max_output_channels), d.default_low_input_latency,
        d.default_low_output_latency,         d.default_high_input_latency,
        d.default_high_output_latency,        d.default_sample_rate,
    };
    return 0;
}
export fn rtm_pa_device_name(index: i32, buffer: ?[*]u8, capacity: u32) i32 {
    pa.lock();
    defer pa.unlock();
    const d = deviceInfo(index) orelse return pa.err.invalid_device;
    return copyOut(std.mem.span(d.name), buffer, capacity);
}
fn deviceInfo(index: i32) ?*const pa.DeviceInfo {
    if (!pa.isInitialized() or index < 0 or index >= pa.api.Pa_GetDeviceCount()) return null;
    return pa.api.Pa_GetDeviceInfo(index);
}
export fn rtm_pa_host_api_count() i32 {
    pa.lock();
    defer pa.unlock();
    return if (pa.isInitialized()) pa.api.Pa_GetHostApiCount() else pa.err.not_initialized;
}
export fn rtm_pa_default_host_api() i32 {
    pa.lock();
    defer pa.unlock();
    return if (pa.isInitialized()) pa.api.Pa_GetDefaultHostApi() else pa.err.not_initialized;
}
/// Fills `out` (host_api_info_count f64, src/ffi/layout.ts HOST_API): type id, device count,
/// default input and output device (-1 for none).
export fn rtm_pa_host_api_info(index: i32, out: ?[*]f64, out_bytes: u32) i32 {
    pa.lock();
    defer pa.unlock();
    const o = f64s(out, out_bytes, host_api_info_count) orelse return pa.err.invalid_flag;
    const h = hostApiInfo(index) orelse return pa.err.invalid_host_api;
    o.* = .{
        @floatFromInt(h.type),                 @floatFromInt(h.device_count),
        @floatFromInt(h.default_input_device), @floatFromInt(h.default_output_device),
    };
    return 0;
}
export fn rtm_pa_host_api_name(index: i32, buffer: ?[*]u8, capacity: u32) i32 {
    pa.lock();
    defer pa.unlock();
    const h = hostApiInfo(index) orelse return pa.err.invalid_host_api;
    return copyOut(std.mem.span(h.name), buffer, capacity);
}
fn hostApiInfo(index: i32) ?*const pa.HostApiInfo {
    if (!pa.isInitialized() or index < 0 or index >= pa.api.Pa_GetHostApiCount()) return null;
    return pa.api.Pa_GetHostApiInfo(index);
}
/// The stream.Params block at `params`, if `params_bytes` holds one.
fn paramsAt(params: ?[*]const f64, params_bytes: u32) ?*const stream.Params {
    const p = params orelse return null;
    if (params_bytes < @sizeOf(stream.Params)) return null;
    return @ptrCast(p);
}
/// 0 if PortAudio would open a stream with these parameters (a stream.Params block), else why not.
export fn rtm_pa_check_settings(params: ?[*]const f64, params_bytes: u32) i32 {
    pa.lock();
    defer pa.unlock();
    return stream.Params.isSupported(paramsAt(params, params_bytes) orelse return pa.err.invalid_flag);
}

/// An unopened stream (null when out of memory); `rtm_stream_open` opens it.
export fn rtm_stream_create() ?*Stream {
    return Stream.create();
}
/// Opens the PortAudio stream and its mixer from a stream.Params block (src/ffi/layout.ts PARAMS).
export fn rtm_stream_open(s: *Stream, params: ?[*]const f64, params_bytes: u32) i32 {
    pa.lock();
    defer pa.unlock();
    return s.open(paramsAt(params, params_bytes) orelse return pa.err.invalid_flag);
}
/// Closes the stream (idempotent) and frees its mixer once PortAudio has closed it; the handle
/// stays valid until destroyed.
export fn rtm_stream_close(s: *Stream) i32 {
    pa.lock();
    defer pa.unlock();
    return s.close();
}
/// Closes the stream if open and frees the handle.
export fn rtm_stream_destroy(s: *Stream) void {
    pa.lock();
    defer pa.unlock();
    s.destroy();
}
/// The stream's mixer (null when closed).
export fn rtm_stream_mixer(s: *Stream) ?*Mixer {
    return s.mixer;
}
export fn rtm_stream_start(s: *Stream) i32 {
    pa.lock();
    defer pa.unlock();
    return pa.api.Pa_StartStream(s.handle() orelse return pa.err.bad_stream_ptr);
}
// Through jackdown: a stream whose JACK server died would otherwise hang here for 10 minutes.
export fn rtm_stream_stop(s: *Stream) i32 {
    pa.lock();
    defer pa.unlock();
    return jackdown.stopStream(s.handle() orelse return pa.err.bad_stream_ptr, pa.api.Pa_StopStream);
}
export fn rtm_stream_abort(s: *Stream) i32 {
    pa.lock();
    defer pa.unlock();
    return jackdown.stopStream(s.handle() orelse return pa.err.bad_stream_ptr, pa.api.Pa_AbortStream);
}
/// 1 if the callback runs, 0 if not, or an error.
export fn rtm_stream_is_active(s: *Stream) i32 {
    pa.lock();
    defer pa.unlock();
    return pa.api.Pa_IsStreamActive(s.handle() orelse return pa.err.bad_stream_ptr);
}
/// 1 if stopped, 0 if not, or an error.
export fn rtm_stream_is_stopped(s: *Stream) i32 {
    pa.lock();
    defer pa.unlock();
    return pa.api.Pa_IsStreamStopped(s.handle() orelse return pa.err.bad_stream_ptr);
}
/// PortAudio's stream time in seconds (0 on error).
export fn rtm_stream_time(s: *Stream) f64 {
    pa.lock();
    defer pa.unlock();
    return pa.api.Pa_GetStreamTime(s.handle() orelse return 0);
}
export fn rtm_stream_cpu_load(s: *Stream) f64 {
    pa.lock();
    defer pa.unlock();
    return pa.api.Pa_GetStreamCpuLoad(s.handle() orelse return 0);
}
/// Fills `out` (stream_info_count f64): input latency, output latency, sample rate.
export fn rtm_stream_info(s: *Stream, out: ?[*]f64, out_bytes: u32) i32 {
    pa.lock();
    defer pa.unlock();
    const o = f64s(out, out_bytes, stream_info_count) orelse return pa.err.invalid_flag;
    const info = pa.api.Pa_GetStreamInfo(s.handle() orelse return pa.err.bad_stream_ptr) orelse return pa.err.bad_stream_ptr;
    o.* = .{ info.input_latency, info.output_latency, info.sample_rate };
    return 0;
}

test {
    std.testing.refAllDecls(@This());
    _ = @import("portaudio.zig");
    _ = @import("stream.zig");
    _ = @import("ringbuffer.zig");
    _ = @import("clock.zig");
    _ = @import("heap.zig");
    _ = @import("mix.zig");
    _ = @import("mixer_test.zig");
    _ = @import("sample.zig");
    _ = @import("queue_test.zig");
    _ = @import("facts.zig");
    _ = @import("resample_test.zig");
}
