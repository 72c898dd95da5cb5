//! Test support for the JACK dummy server (in the test-support library, zig/support.zig):
//! - `loopback`: an in-process libjack client connects a PortAudio client's own outputs to its
//!   inputs and removes every other connection of its ports. libjack does this in microseconds
//!   (spawning `jack_connect` costs about 120 ms a call), and doing it here rather than through a
//!   second FFI table keeps it identical in Bun and Deno. libjack is opened at call time, so the
//!   library does not depend on it.
//! - `Probe`: a duplex PortAudio stream with its own callback that plays a known ramp and
//!   captures its input, so that tests can prove the loopback bit-exact and measure its delay
//!   before the mixer can play anything. The product callback (zig/stream.zig) stays untouched.
const std = @import("std");
const pa = @import("portaudio.zig");
const alloc = @import("alloc.zig");
const Params = @import("stream.zig").Params;

// ---- libjack, looked up at run time -------------------------------------------------------------

const Client = opaque {};
const Port = opaque {};
const port_is_input: c_ulong = 0x1;
const port_is_output: c_ulong = 0x2;
const no_start_server: c_int = 0x1;

const Jack = struct {
    client_open: *const fn ([*:0]const u8, c_int, ?*c_int, ...) callconv(.c) ?*Client,
    client_close: *const fn (*Client) callconv(.c) c_int,
    get_ports: *const fn (*Client, ?[*:0]const u8, ?[*:0]const u8, c_ulong) callconv(.c) ?[*:null]?[*:0]const u8,
    port_by_name: *const fn (*Client, [*:0]const u8) callconv(.c) ?*Port,
    port_get_all_connections: *const fn (*Client, *Port) callconv(.c) ?[*:null]?[*:0]const u8,
    connect: *const fn (*Client, [*:0]const u8, [*:0]const u8) callconv(.c) c_int,
    disconnect: *const fn (*Client, [*:0]const u8, [*:0]const u8) callconv(.c) c_int,
    free: *const fn (?*anyopaque) callconv(.c) void,

    fn load() ?Jack {
        const lib = pa.openLibrary(pa.libjack_name) orelse return null;
        var j: Jack = undefined;
        inline for (comptime std.meta.fieldNames(Jack)) |name| {
            const sym = pa.librarySymbol(lib, "jack_" ++ name) orelse return null;
            @field(j, name) = @ptrCast(@alignCast(sym));
        }
        return j;
    }
};

pub const Error = error{ NoLibjack, NoServer, NoPorts, ConnectFailed };

pub fn errorCode(e: Error) i32 {
    return switch (e) {
        error.NoLibjack => -1,
        error.NoServer => -2,
        error.NoPorts => -3,
        error.ConnectFailed => -4,
    };
}

const max_ports = 64;

/// The ports of `client_name` with `flags`, ordered by their trailing number (out_2 before
/// out_10). Port names point into `list`, which the caller frees with jack_free.
fn clientPorts(j: Jack, c: *Client, client_name: []const u8, flags: c_ulong, list: *?[*:null]?[*:0]const u8, out: *[max_ports][*:0]const u8) usize {
    list.* = j.get_ports(c, null, null, flags);
    const all = list.* orelse return 0;
    var n: usize = 0;
    var i: usize = 0;
    while (all[i]) |name| : (i += 1) {
        const s = std.mem.span(name);
        if (s.len > client_name.len and std.mem.startsWith(u8, s, client_name) and s[client_name.len] == ':' and n < max_ports) {
            out[n] = name;
            n += 1;
        }
    }
    std.mem.sort([*:0]const u8, out[0..n], {}, struct {
        fn less(_: void, a: [*:0]const u8, b: [*:0]const u8) bool {
            return trailingNumber(std.mem.span(a)) < trailingNumber(std.mem.span(b));
        }
    }.less);
    return n;
}

fn trailingNumber(s: []const u8) u64 {
    var start = s.len;
    while (start > 0 and std.ascii.isDigit(s[start - 1])) start -= 1;
    return std.fmt.parseInt(u64, s[start..], 10) catch std.math.maxInt(u64);
}

fn openClient(j: Jack) Error!*Client {
    var status: c_int = 0;
    // JACK_DEFAULT_SERVER selects the server, as it does for PortAudio's own client.
    return j.client_open("rtmixer-loopback", no_start_server, &status) orelse error.NoServer;
}

/// Disconnects every connection of the client's ports, then connects out_i -> in_i.
/// Returns the number of loopback connections made.
pub fn loopback(client_name: []const u8) Error!u32 {
    const j = Jack.load() orelse return error.NoLibjack;
    const c = try openClient(j);
    defer _ = j.client_close(c);
    var out_list: ?[*:null]?[*:0]const u8 = null;
    var in_list: ?[*:null]?[*:0]const u8 = null;
    defer j.free(@ptrCast(out_list));
    defer j.free(@ptrCast(in_list));
    var outs: [max_ports][*:0]const u8 = undefined;
    var ins: [max_ports][*:0]const u8 = undefined;
    const n_out = clientPorts(j, c, client_name, port_is_output, &out_list, &outs);
    const n_in = clientPorts(j, c, client_name, port_is_input, &in_list, &ins);
    if (n_out == 0 or n_in == 0) return error.NoPorts;
    for (outs[0..n_out]) |port| try disconnectAll(j, c, port, .source);
    for (ins[0..n_in]) |port| try disconnectAll(j, c, port, .destination);
    const n = @min(n_out, n_in);
    for (outs[0..n], ins[0..n]) |src, dst| {
        if (j.connect(c, src, dst) != 0) return error.ConnectFailed;
    }
    return @intCast(n);
}

fn disconnectAll(j: Jack, c: *Client, port_name: [*:0]const u8, role: enum { source, destination }) Error!void {
    const port = j.port_by_name(c, port_name) orelse return error.NoPorts;
    const list = j.port_get_all_connections(c, port) orelse return;
    defer j.free(@ptrCast(list));
    var i: usize = 0;
    while (list[i]) |other| : (i += 1) {
        const code = switch (role) {
            .source => j.disconnect(c, port_name, other),
            .destination => j.disconnect(c, other, port_name),
        };
        if (code != 0) return error.ConnectFailed;
    }
}

/// Writes every connection that involves the client's ports as "source>destination\n" lines,
/// outputs first, each group in port order. Returns the text's full length (as copyString).
pub fn connections(client_name: []const u8, buffer: [*]u8, capacity: u32) Error!i32 {
    const j = Jack.load() orelse return error.NoLibjack;
    const c = try openClient(j);
    defer _ = j.client_close(c);
    var length: usize = 0;
    inline for (.{ port_is_output, port_is_input }) |flags| {
        var list: ?[*:null]?[*:0]const u8 = null;
        defer j.free(@ptrCast(list));
        var ports: [max_ports][*:0]const u8 = undefined;
        const n = clientPorts(j, c, client_name, flags, &list, &ports);
        for (ports[0..n]) |name| {
            const port = j.port_by_name(c, name) orelse return error.NoPorts;
            const others = j.port_get_all_connections(c, port) orelse continue;
            defer j.free(@ptrCast(others));
            var i: usize = 0;
            while (others[i]) |other| : (i += 1) {
                const pair: [2][*:0]const u8 = if (flags == port_is_output) .{ name, other } else .{ other, name };
                // A loopback link appears at both ends: list it once, from the output side.
                if (flags == port_is_input and isClientPort(std.mem.span(pair[0]), client_name)) continue;
                for ([_][]const u8{ std.mem.span(pair[0]), ">", std.mem.span(pair[1]), "\n" }) |part| {
                    const room = capacity -| @as(u32, @intCast(@min(length, capacity)));
                    const k = @min(part.len, room);
                    @memcpy(buffer[length..][0..k], part[0..k]);
                    length += part.len;
                }
            }
        }
    }
    return @intCast(length);
}

fn isClientPort(port: []const u8, client_name: []const u8) bool {
    return port.len > client_name.len and std.mem.startsWith(u8, port, client_name) and port[client_name.len] == ':';
}

// ---- The ramp probe ----------------------------------------------------------------------------

/// Sample `frame` of channel `channel` of the probe's ramp: exact in float32, never zero, and
/// periodic over 65536 frames so that a captured value names the frame it was played at.
pub fn rampSample(frame: u64, channel: u32) f32 {
    const v: f32 = @as(f32, @floatFromInt(frame % 65536 + 1)) / 65536.0;
    return if (channel % 2 == 0) v else -v;
}

pub const Probe = struct {
    stream: ?*pa.Stream = null,
    generation: u32 = 0,
    channels: u32 = 0,
    frames_played: u64 = 0,
    captured: []f32,
    /// Frames captured so far; written by the audio thread, read by the JavaScript thread.
    captured_frames: std.atomic.Value(u32) = .init(0),
    capacity_frames: u32,

    pub fn create(capacity_frames: u32) ?*Probe {
        const p = alloc.create(Probe) orelse return null;
        p.* = .{ .captured = &.{}, .capacity_frames = capacity_frames };
        return p;
    }

    pub fn open(p: *Probe, params: *const Params) c_int {
        if (p.stream != null) return pa.err.stream_is_not_stopped;
        const checked = params.check();
        if (checked != 0) return checked;
        if (params.input_channels != params.output_channels) return pa.err.invalid_channel_count;
        // This library's own PortAudio user (PortAudio counts initialisations): the product's
        // count and state stay as they are.
        const acquired = pa.acquire();
        if (acquired != 0) return acquired;
        p.channels = @intFromFloat(params.output_channels);
        p.captured = alloc.alloc(f32, @as(usize, p.capacity_frames) * p.channels) orelse return pa.err.insufficient_memory;
        const direction: pa.StreamParameters = .{
            .device = @intFromFloat(params.output_device),
            .channel_count = @intCast(p.channels),
            .sample_format = pa.float32,
            .suggested_latency = params.output_latency,
        };
        var input = direction;
        input.device = @intFromFloat(params.input_device);
        input.suggested_latency = params.input_latency;
        const code = pa.api.Pa_OpenStream(&p.stream, &input, &direction, params.sample_rate, @intFromFloat(params.block_size), 0, &callback, p);
        if (code != 0) {
            alloc.free(p.captured);
            p.captured = &.{};
            p.stream = null;
            pa.release();
            return code;
        }
        p.generation = pa.generation;
        pa.open_streams += 1;
        return 0;
    }

    fn isCurrent(p: *const Probe) bool {
        return p.stream != null and pa.isInitialized() and p.generation == pa.generation;
    }

    pub fn start(p: *Probe) c_int {
        if (!p.isCurrent()) return pa.err.bad_stream_ptr;
        return pa.api.Pa_StartStream(p.stream.?);
    }

    /// Copies up to `frames` captured frames into `dst`; returns how many.
    pub fn read(p: *Probe, dst: [*]f32, frames: u32) u32 {
        const n = @min(frames, p.captured_frames.load(.acquire));
        @memcpy(dst[0 .. @as(usize, n) * p.channels], p.captured[0 .. @as(usize, n) * p.channels]);
        return n;
    }

    pub fn destroy(p: *Probe) void {
        if (p.stream) |s| {
            if (p.isCurrent()) {
                _ = pa.api.Pa_CloseStream(s);
                pa.open_streams -= 1;
            }
            alloc.free(p.captured);
            pa.release();
        }
        alloc.destroy(p);
    }

    fn callback(
        input: ?*const anyopaque,
        output: ?*anyopaque,
        frame_count: c_ulong,
        _: *const pa.StreamCallbackTimeInfo,
        _: c_ulong,
        user_data: ?*anyopaque,
    ) callconv(.c) c_int {
        const p: *Probe = @ptrCast(@alignCast(user_data.?));
        const frames: u32 = @intCast(frame_count);
        const out: [*]f32 = @ptrCast(@alignCast(output.?));
        for (0..frames) |f| {
            for (0..p.channels) |ch| out[f * p.channels + ch] = rampSample(p.frames_played + f, @intCast(ch));
        }
        p.frames_played += frames;
        const done = p.captured_frames.load(.monotonic);
        const n = @min(frames, p.capacity_frames - done);
        if (input) |in_ptr| {
            const in: [*]const f32 = @ptrCast(@alignCast(in_ptr));
            @memcpy(p.captured[@as(usize, done) * p.channels ..][0 .. @as(usize, n) * p.channels], in[0 .. @as(usize, n) * p.channels]);
        }
        p.captured_frames.store(done + n, .release);
        return pa.paContinue;
    }
};

test "rampSample is exact, non-zero and names its frame" {
    try std.testing.expectEqual(@as(f32, 1.0 / 65536.0), rampSample(0, 0));
    try std.testing.expectEqual(@as(f32, -2.0 / 65536.0), rampSample(1, 1));
    try std.testing.expectEqual(rampSample(5, 0), rampSample(65536 + 5, 0));
    try std.testing.expectEqual(@as(f32, 1.0), rampSample(65535, 0));
}

test "trailingNumber orders port names numerically" {
    try std.testing.expect(trailingNumber("PortAudio:out_2") < trailingNumber("PortAudio:out_10"));
    try std.testing.expectEqual(@as(u64, 0), trailingNumber("x:in_0"));
}
