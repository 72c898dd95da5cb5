//! A PortAudio stream whose callback is the mixer's: owns the PaStream and the Mixer it feeds.
//! Created empty (so that TypeScript gets a handle without an out-pointer), then opened with a
//! parameter block that TypeScript has already validated; closed and destroyed explicitly.
//! Every function here runs on the JavaScript thread; only `callback` runs on the audio thread.
const std = @import("std");
const pa = @import("portaudio.zig");
const jackdown = @import("jackdown.zig");
const alloc = @import("alloc.zig");
const mixer = @import("mixer.zig");
const Mixer = mixer.Mixer;

/// The parameter block of `open` and of the format checks, as TypeScript fills a Float64Array.
/// A direction with 0 channels is absent.
pub const Params = extern struct {
    input_device: f64,
    input_channels: f64,
    input_latency: f64,
    output_device: f64,
    output_channels: f64,
    output_latency: f64,
    sample_rate: f64,
    block_size: f64,
    /// PaStreamFlags: clipOff 0x1, ditherOff 0x2, neverDropInput 0x4, primeOutput... 0x8.
    flags: f64,
    queue_size: f64,

    pub const count = @sizeOf(Params) / @sizeOf(f64);

    pub const channels_max = mixer.mapping_max;
    pub const block_size_max = 1 << 20;
    /// rtmixer's qsize: here the number of action slots made ready when the stream opens (more
    /// are added as needed; it limits nothing).
    pub const queue_size_max = 1 << 20;
    pub const sample_rate_max = 1e7;
    pub const latency_max = 3600;

    /// Re-checks what TypeScript checked: native code never trusts a number it did not check.
    pub fn check(p: *const Params) c_int {
        inline for (.{ "input", "output" }) |dir| {
            const channels = @field(p, dir ++ "_channels");
            if (!isInteger(channels, 0, channels_max)) return pa.err.invalid_channel_count;
            if (channels > 0) {
                if (!isInteger(@field(p, dir ++ "_device"), 0, std.math.maxInt(i32))) return pa.err.invalid_device;
                const latency = @field(p, dir ++ "_latency");
                if (!(latency >= 0 and latency <= latency_max)) return pa.err.invalid_flag;
            }
        }
        if (p.input_channels == 0 and p.output_channels == 0) return pa.err.invalid_channel_count;
        if (!(p.sample_rate > 0 and p.sample_rate <= sample_rate_max)) return pa.err.invalid_sample_rate;
        if (!isInteger(p.block_size, 0, block_size_max)) return pa.err.invalid_flag;
        if (!isInteger(p.flags, 0, 0xf)) return pa.err.invalid_flag;
        if (!isInteger(p.queue_size, 1, queue_size_max)) return pa.err.invalid_flag;
        return 0;
    }

    fn direction(p: *const Params, comptime dir: []const u8) ?pa.StreamParameters {
        const channels = @field(p, dir ++ "_channels");
        if (channels == 0) return null;
        return .{
            .device = @intFromFloat(@field(p, dir ++ "_device")),
            .channel_count = @intFromFloat(channels),
            .sample_format = pa.float32, // always interleaved float32
            .suggested_latency = @field(p, dir ++ "_latency"),
        };
    }

    /// PortAudio's answer to whether these settings would open (0 = supported).
    pub fn isSupported(p: *const Params) c_int {
        const checked = p.check();
        if (checked != 0) return checked;
        if (!pa.isInitialized()) return pa.err.not_initialized;
        const input = p.direction("input");
        const output = p.direction("output");
        return pa.api.Pa_IsFormatSupported(if (input) |*i| i else null, if (output) |*o| o else null, p.sample_rate);
    }
};

fn isInteger(x: f64, min: f64, max: f64) bool {
    return x >= min and x <= max and @floor(x) == x;
}

comptime {
    std.debug.assert(@sizeOf(Params) == 10 * 8);
    std.debug.assert(@sizeOf(mixer.Stats) == 7 * 8);
}

/// PortAudio's host API type id of JACK (PaHostApiTypeId paJACK).
const pa_jack_type: c_int = 12;

pub const Stream = struct {
    pa_stream: ?*pa.Stream = null,
    mixer: ?*Mixer = null,
    /// pa.generation when opened.
    generation: u32 = 0,
    /// Whether its devices are JACK's: only such a stream is affected when a JACK server dies.
    is_jack: bool = false,

    pub fn create() ?*Stream {
        const s = alloc.create(Stream) orelse return null;
        s.* = .{};
        return s;
    }

    /// Closes the stream if it is open, and frees it.
    pub fn destroy(s: *Stream) void {
        _ = s.close();
        alloc.destroy(s);
    }

    pub fn open(s: *Stream, p: *const Params) c_int {
        if (s.pa_stream != null) return pa.err.stream_is_not_stopped;
        const checked = p.check();
        if (checked != 0) return checked;
        if (!pa.isInitialized()) return pa.err.not_initialized;
        const m = Mixer.create(
            @intFromFloat(p.input_channels),
            @intFromFloat(p.output_channels),
            p.sample_rate,
            @intFromFloat(p.queue_size),
        ) orelse return pa.err.insufficient_memory;
        const input = p.direction("input");
        const output = p.direction("output");
        var opened: ?*pa.Stream = null;
        const code = pa.api.Pa_OpenStream(
            &opened,
            if (input) |*i| i else null,
            if (output) |*o| o else null,
            p.sample_rate,
            @intFromFloat(p.block_size),
            @intFromFloat(p.flags),
            &callback,
            s,
        );
        if (code != 0) {
            m.destroy();
            return code;
        }
        std.debug.assert(opened != null);
        const device = if (output) |o| o.device else input.?.device;
        s.* = .{ .pa_stream = opened, .mixer = m, .generation = pa.generation, .is_jack = isJackDevice(device) };
        pa.open_streams += 1;
        return 0;
    }

    fn isJackDevice(device: c_int) bool {
        const info = pa.api.Pa_GetDeviceInfo(device) orelse return false;
        const host = pa.api.Pa_GetHostApiInfo(info.host_api) orelse return false;
        return host.type == pa_jack_type;
    }

    /// Idempotent. Frees the mixer only once PortAudio has closed the stream, so that the
    /// callback can no longer run: if closing fails, the mixer is left allocated (leaked on
    /// purpose: the callback may still use it) and the error is returned.
    pub fn close(s: *Stream) c_int {
        const pa_stream = s.pa_stream orelse return 0;
        // Pa_Terminate (at exit, or by the last release) may have closed it already.
        const current = s.isCurrent();
        var code: c_int = 0;
        if (current) {
            // A stream whose JACK server died: stopping it would hang, closing it abort the
            // process (see zig/jackdown.zig); its callback cannot run again, so only our side is
            // freed. Streams of other host APIs close as usual.
            const jack_dead = s.is_jack and (pa.jack_died or jackdown.isDead(pa_stream));
            if (s.is_jack and jackdown.isDead(pa_stream)) _ = jackdown.stopStream(pa_stream, pa.api.Pa_AbortStream);
            if (!jack_dead) code = pa.api.Pa_CloseStream(pa_stream);
        }
        if (code == 0) {
            if (s.mixer) |m| m.destroy();
        }
        s.* = .{};
        if (current) pa.open_streams -= 1;
        return code;
    }

    /// The PaStream, or null when closed or when PortAudio was terminated since it opened.
    pub fn handle(s: *Stream) ?*pa.Stream {
        return if (s.isCurrent()) s.pa_stream else null;
    }

    fn isCurrent(s: *const Stream) bool {
        return s.pa_stream != null and pa.isInitialized() and s.generation == pa.generation;
    }
};

/// The audio callback: hands the block to the mixer and nothing else (no allocation, lock,
/// system call or print happens here).
fn callback(
    input: ?*const anyopaque,
    output: ?*anyopaque,
    frame_count: c_ulong,
    time_info: *const pa.StreamCallbackTimeInfo,
    status_flags: c_ulong,
    user_data: ?*anyopaque,
) callconv(.c) c_int {
    const s: *Stream = @ptrCast(@alignCast(user_data.?));
    s.mixer.?.process(
        @ptrCast(@alignCast(input)),
        @ptrCast(@alignCast(output)),
        @intCast(frame_count),
        .{
            .current = time_info.current_time,
            .input_adc = time_info.input_buffer_adc_time,
            .output_dac = time_info.output_buffer_dac_time,
        },
        @truncate(status_flags),
    );
    return pa.paContinue;
}

test "Params.check refuses what TypeScript should have refused" {
    const good: Params = .{
        .input_device = 0,
        .input_channels = 2,
        .input_latency = 0.01,
        .output_device = 0,
        .output_channels = 2,
        .output_latency = 0.01,
        .sample_rate = 48000,
        .block_size = 256,
        .flags = 0,
        .queue_size = 16,
    };
    try std.testing.expectEqual(@as(c_int, 0), good.check());
    var p = good;
    p.queue_size = 0;
    try std.testing.expectEqual(pa.err.invalid_flag, p.check());
    p = good;
    p.input_channels = 1.5;
    try std.testing.expectEqual(pa.err.invalid_channel_count, p.check());
    p = good;
    p.input_channels = 0;
    p.output_channels = 0;
    try std.testing.expectEqual(pa.err.invalid_channel_count, p.check());
    p = good;
    p.sample_rate = std.math.nan(f64);
    try std.testing.expectEqual(pa.err.invalid_sample_rate, p.check());
    p = good;
    p.output_device = -1;
    try std.testing.expectEqual(pa.err.invalid_device, p.check());
}

test "a stream that was never opened closes and destroys cleanly" {
    const before = alloc.liveAllocations();
    const s = Stream.create().?;
    try std.testing.expectEqual(@as(c_int, 0), s.close());
    try std.testing.expectEqual(@as(c_int, 0), s.close());
    s.destroy();
    try std.testing.expectEqual(before, alloc.liveAllocations());
}
