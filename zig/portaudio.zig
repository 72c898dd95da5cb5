//! PortAudio: the declarations this library uses (written by hand: @cImport is on its way out),
//! and its lifecycle. PortAudio is initialised lazily, on the first call that needs it, so that
//! importing the module touches no audio API, and it can be re-initialised so that a JACK server
//! started later is seen (PortAudio only finds JACK servers that run at `Pa_Initialize`).
//!
//! Everything here runs on the JavaScript thread, never on the audio thread.
const std = @import("std");
const builtin = @import("builtin");
const jackdown = @import("jackdown.zig");

// ---- Declarations (portaudio.h, pa_jack.h, PortAudio 19.6) -------------------------------------

pub const Stream = opaque {};

pub const no_device: c_int = -1;
pub const float32: c_ulong = 0x1;
pub const format_is_supported: c_int = 0;
pub const paContinue: c_int = 0;

/// The PaErrorCode values this library produces or tests for itself.
pub const err = struct {
    pub const not_initialized: c_int = -10000;
    pub const unanticipated_host_error: c_int = -9999;
    pub const invalid_channel_count: c_int = -9998;
    pub const invalid_sample_rate: c_int = -9997;
    pub const invalid_device: c_int = -9996;
    pub const invalid_flag: c_int = -9995;
    pub const insufficient_memory: c_int = -9992;
    pub const bad_stream_ptr: c_int = -9988;
    pub const internal_error: c_int = -9986;
    pub const stream_is_stopped: c_int = -9983;
    pub const stream_is_not_stopped: c_int = -9982;
    pub const host_api_not_found: c_int = -9979;
    pub const invalid_host_api: c_int = -9978;
    /// librtmixer's own code (outside PortAudio's range): PortAudio cannot be re-initialised
    /// while streams are open, because `Pa_Terminate` would close them under their owners.
    pub const streams_open: c_int = -1;
    /// librtmixer's own: the PortAudio library is not installed (see `library_missing_text`).
    pub const library_missing: c_int = -2;
    /// librtmixer's own: see `jack_died`.
    pub const jack_died: c_int = -3;
};

pub const StreamParameters = extern struct {
    device: c_int,
    channel_count: c_int,
    sample_format: c_ulong,
    suggested_latency: f64,
    host_api_specific_stream_info: ?*anyopaque = null,
};

pub const StreamCallbackTimeInfo = extern struct {
    input_buffer_adc_time: f64,
    current_time: f64,
    output_buffer_dac_time: f64,
};

pub const StreamInfo = extern struct {
    struct_version: c_int,
    input_latency: f64,
    output_latency: f64,
    sample_rate: f64,
};

pub const DeviceInfo = extern struct {
    struct_version: c_int,
    name: [*:0]const u8,
    host_api: c_int,
    max_input_channels: c_int,
    max_output_channels: c_int,
    default_low_input_latency: f64,
    default_low_output_latency: f64,
    default_high_input_latency: f64,
    default_high_output_latency: f64,
    default_sample_rate: f64,
};

pub const HostApiInfo = extern struct {
    struct_version: c_int,
    type: c_int,
    name: [*:0]const u8,
    device_count: c_int,
    default_input_device: c_int,
    default_output_device: c_int,
};

pub const HostErrorInfo = extern struct {
    host_api_type: c_int,
    error_code: c_long,
    error_text: ?[*:0]const u8,
};

pub const StreamCallback = *const fn (
    input: ?*const anyopaque,
    output: ?*anyopaque,
    frame_count: c_ulong,
    time_info: *const StreamCallbackTimeInfo,
    status_flags: c_ulong,
    user_data: ?*anyopaque,
) callconv(.c) c_int;

/// PortAudio's functions, looked up by name in the system's PortAudio library the first time
/// PortAudio is initialised (see `load`): so one prebuilt librtmixer works with any PortAudio
/// install, and cross-compiling needs no PortAudio for the target. Defined once `load` returned
/// true; every call site runs behind `isInitialized()`, which implies it.
pub const Api = struct {
    Pa_Initialize: *const fn () callconv(.c) c_int,
    Pa_Terminate: *const fn () callconv(.c) c_int,
    Pa_GetErrorText: *const fn (code: c_int) callconv(.c) [*:0]const u8,
    Pa_GetLastHostErrorInfo: *const fn () callconv(.c) *const HostErrorInfo,
    Pa_GetHostApiCount: *const fn () callconv(.c) c_int,
    Pa_GetDefaultHostApi: *const fn () callconv(.c) c_int,
    Pa_GetHostApiInfo: *const fn (host_api: c_int) callconv(.c) ?*const HostApiInfo,
    Pa_GetDeviceCount: *const fn () callconv(.c) c_int,
    Pa_GetDefaultInputDevice: *const fn () callconv(.c) c_int,
    Pa_GetDefaultOutputDevice: *const fn () callconv(.c) c_int,
    Pa_GetDeviceInfo: *const fn (device: c_int) callconv(.c) ?*const DeviceInfo,
    Pa_IsFormatSupported: *const fn (input: ?*const StreamParameters, output: ?*const StreamParameters, sample_rate: f64) callconv(.c) c_int,
    Pa_OpenStream: *const fn (
        stream: *?*Stream,
        input: ?*const StreamParameters,
        output: ?*const StreamParameters,
        sample_rate: f64,
        frames_per_buffer: c_ulong,
        flags: c_ulong,
        callback: ?StreamCallback,
        user_data: ?*anyopaque,
    ) callconv(.c) c_int,
    Pa_CloseStream: *const fn (stream: *Stream) callconv(.c) c_int,
    Pa_StartStream: *const fn (stream: *Stream) callconv(.c) c_int,
    Pa_StopStream: *const fn (stream: *Stream) callconv(.c) c_int,
    Pa_AbortStream: *const fn (stream: *Stream) callconv(.c) c_int,
    Pa_IsStreamStopped: *const fn (stream: *Stream) callconv(.c) c_int,
    Pa_IsStreamActive: *const fn (stream: *Stream) callconv(.c) c_int,
    Pa_GetStreamInfo: *const fn (stream: *Stream) callconv(.c) ?*const StreamInfo,
    Pa_GetStreamTime: *const fn (stream: *Stream) callconv(.c) f64,
    Pa_GetStreamCpuLoad: *const fn (stream: *Stream) callconv(.c) f64,
};
pub var api: Api = undefined;

// ---- Finding the PortAudio library -------------------------------------------------------------

/// Tried in order, unless `RTMIXER_PORTAUDIO_LIB` names a file (then only that is tried). Bare
/// names go through the system's search path; macOS's dlopen does not look in Homebrew's or
/// MacPorts' prefixes, so those are listed.
const library_names: []const [*:0]const u8 = switch (builtin.os.tag) {
    .macos => &.{
        "libportaudio.2.dylib",
        "/opt/homebrew/lib/libportaudio.2.dylib",
        "/usr/local/lib/libportaudio.2.dylib",
        "/opt/local/lib/libportaudio.2.dylib",
    },
    .windows => &.{ "portaudio.dll", "libportaudio-2.dll", "libportaudio.dll", "portaudio_x64.dll" },
    else => &.{ "libportaudio.so.2", "libportaudio.so" },
};

/// The text of `err.library_missing`: what was looked for and how to install it.
const library_missing_text = "PortAudio not found (looked for " ++ switch (builtin.os.tag) {
    .macos => "libportaudio.2.dylib, also in /opt/homebrew/lib, /usr/local/lib and /opt/local/lib",
    .windows => "portaudio.dll and libportaudio-2.dll",
    else => "libportaudio.so.2",
} ++ ", or the file named by RTMIXER_PORTAUDIO_LIB): " ++ switch (builtin.os.tag) {
    .macos => "install it with `brew install portaudio` (or `sudo port install portaudio`)",
    .windows => "put a 64-bit portaudio.dll next to the program or on PATH (for example " ++
        "`pacman -S mingw-w64-x86_64-portaudio` in MSYS2, or `vcpkg install portaudio`)",
    else => "install it with `sudo apt install libportaudio2` (Debian/Ubuntu), " ++
        "`sudo dnf install portaudio` (Fedora), `sudo pacman -S portaudio` (Arch) " ++
        "or `sudo apk add portaudio` (Alpine)",
};

var pa_library: ?*anyopaque = null;
var load_state: enum { not_tried, loaded, missing } = .not_tried;

/// Opens the PortAudio library and fills `api`, on the first call; false when the library or one
/// of its functions is missing (`err.library_missing` explains).
pub fn load() bool {
    if (load_state == .not_tried) load_state = if (loadApi()) .loaded else .missing;
    return load_state == .loaded;
}

fn loadApi() bool {
    const handle = open: {
        const explicit = getenv("RTMIXER_PORTAUDIO_LIB");
        if (explicit != null and explicit.?[0] != 0) break :open openLibrary(explicit.?) orelse return false;
        for (library_names) |name| {
            if (openLibrary(name)) |h| break :open h;
        }
        return false;
    };
    var table: Api = undefined;
    inline for (comptime std.meta.fieldNames(Api)) |name| {
        const sym = librarySymbol(handle, name) orelse return false;
        @field(table, name) = @ptrCast(@alignCast(sym));
    }
    api = table;
    pa_library = handle; // never closed: PortAudio's threads may outlive any caller
    return true;
}

/// Whether `reloadFresh` works here: it needs dladdr and a loader that gives a library loaded
/// again from another path an instance of its own (glibc and musl on Linux do).
pub const can_reload = builtin.os.tag == .linux;

extern "c" fn close(fd: c_int) c_int;
var reload_count: u32 = 0;
/// The file of the PortAudio loaded first: later instances are copies of it, whose own files are
/// gone by then.
var original_path: [4096:0]u8 = @splat(0);

/// Loads a new, independent instance of PortAudio: a copy of the loaded library under a private
/// temporary name, which the loader maps afresh, with static state of its own. Used once the
/// JACK server died, when the old instance can neither be terminated nor re-initialised (see
/// `jack_died`): the old one is abandoned, its memory and threads leaked on purpose, and never
/// closed, so its code stays mapped for whatever of it still runs. False (and `api` unchanged)
/// when anything fails.
fn reloadFresh() bool {
    if (comptime !can_reload) return false;
    if (original_path[0] == 0) {
        var info: DlInfo = undefined;
        if (dladdr(@ptrCast(api.Pa_Initialize), &info) == 0) return false;
        const name = std.mem.span(info.fname orelse return false);
        if (name.len == 0 or name.len >= original_path.len) return false;
        @memcpy(original_path[0..name.len], name);
    }
    var path_buffer: [256]u8 = undefined;
    const dir = getenv("TMPDIR") orelse "/tmp";
    reload_count += 1;
    const path = std.fmt.bufPrintSentinel(&path_buffer, "{s}/rtmixer-portaudio-{d}-{d}.so", .{
        std.mem.span(dir), std.c.getpid(), reload_count,
    }, 0) catch return false;
    if (!copyFile(&original_path, path)) return false;
    // The mapping outlives the file: remove it at once, so that nothing is left behind.
    const handle = std.c.dlopen(path, .{ .NOW = true });
    _ = std.c.unlink(path);
    var table: Api = undefined;
    inline for (comptime std.meta.fieldNames(Api)) |name| {
        const sym = std.c.dlsym(handle orelse return false, name) orelse return false;
        @field(table, name) = @ptrCast(@alignCast(sym));
    }
    api = table;
    pa_library = handle;
    return true;
}

fn copyFile(source: [*:0]const u8, destination: [*:0]const u8) bool {
    const in = std.c.open(source, .{ .CLOEXEC = true });
    if (in < 0) return false;
    defer _ = close(in);
    // Exclusive and private: never follow or reuse a file someone else put there.
    const out = std.c.open(destination, .{ .ACCMODE = .WRONLY, .CREAT = true, .EXCL = true, .CLOEXEC = true }, @as(c_uint, 0o600));
    if (out < 0) return false;
    defer _ = close(out);
    var complete = false;
    defer if (!complete) {
        _ = std.c.unlink(destination); // ours (O_EXCL), and half written
    };
    var buffer: [64 * 1024]u8 = undefined;
    while (true) {
        const n = std.c.read(in, &buffer, buffer.len);
        if (n < 0) return false;
        if (n == 0) {
            complete = true;
            return true;
        }
        var done: usize = 0;
        while (done < n) {
            const w = std.c.write(out, buffer[done..].ptr, @as(usize, @intCast(n)) - done);
            if (w <= 0) return false;
            done += @intCast(w);
        }
    }
}

fn getenv(name: [*:0]const u8) ?[*:0]const u8 {
    if (builtin.os.tag == .windows) return null; // there the DLL search path is the way
    return std.c.getenv(name);
}

// Windows has no dlopen; its loader's two functions, declared by hand.
extern "kernel32" fn LoadLibraryA(name: [*:0]const u8) callconv(.winapi) ?*anyopaque;
extern "kernel32" fn GetProcAddress(module: *anyopaque, name: [*:0]const u8) callconv(.winapi) ?*anyopaque;

pub fn openLibrary(name: [*:0]const u8) ?*anyopaque {
    if (builtin.os.tag == .windows) return LoadLibraryA(name);
    return std.c.dlopen(name, .{ .NOW = true });
}

pub fn librarySymbol(handle: *anyopaque, name: [*:0]const u8) ?*anyopaque {
    if (builtin.os.tag == .windows) return GetProcAddress(handle, name);
    return std.c.dlsym(handle, name);
}

// The JACK extensions exist only where PortAudio was built with JACK: looked up at run time.
const PaJackSetClientName = *const fn (name: [*:0]const u8) callconv(.c) c_int;
const PaJackGetClientName = *const fn (name: *?[*:0]const u8) callconv(.c) c_int;

fn portAudioSymbol(comptime T: type, name: [*:0]const u8) ?T {
    const sym = librarySymbol(pa_library orelse return null, name) orelse return null;
    return @ptrCast(@alignCast(sym));
}

/// The JACK client name PortAudio actually uses (JACK adds a suffix when the name is taken), or
/// null when PortAudio has no JACK host API.
pub fn actualJackClientName() ?[*:0]const u8 {
    if (!initialized) return null;
    const get = portAudioSymbol(PaJackGetClientName, "PaJack_GetClientName") orelse return null;
    var name: ?[*:0]const u8 = null;
    if (get(&name) != 0) return null;
    return name;
}

comptime {
    std.debug.assert(@offsetOf(DeviceInfo, "host_api") == 16);
    std.debug.assert(@offsetOf(DeviceInfo, "default_sample_rate") == 64);
    std.debug.assert(@offsetOf(StreamParameters, "suggested_latency") == 16);
    std.debug.assert(@sizeOf(StreamCallbackTimeInfo) == 24);
}

// ---- Lifecycle ---------------------------------------------------------------------------------

/// One lock around PortAudio's process-wide state and every call into PortAudio: Deno workers
/// are threads, each with its own module instance, and PortAudio's initialisation, termination,
/// device list and streams are not thread-safe. Taken by every export that reaches PortAudio
/// (zig/root.zig), never on the audio thread. Contention is rare and short, so a yielding spin
/// lock does (std has no thread-blocking mutex without an Io instance).
var global_lock: std.atomic.Mutex = .unlocked;

pub fn lock() void {
    while (!global_lock.tryLock()) std.Thread.yield() catch {};
}

pub fn unlock() void {
    global_lock.unlock();
}

var initialized = false;
/// Module instances (a Bun process, each Deno worker) that asked for PortAudio and have not let
/// go yet; the last `release` terminates it.
var users: u32 = 0;
/// Streams opened through this library and not yet closed. Changed under `lock` only.
pub var open_streams: u32 = 0;
/// Counts initialisations: a stream opened under an earlier one was closed by Pa_Terminate, and
/// its handle must not reach PortAudio again.
pub var generation: u32 = 0;
/// Set once PortAudio's JACK server died (zig/jackdown.zig). PortAudio 19.6 then aborts the
/// process in `Pa_CloseStream` and `Pa_Terminate` (pa_jack.c asserts that `jack_port_unregister`
/// and `jack_deactivate` succeed on the dead client), so from then on neither is called on that
/// instance: its streams are left to the process's end, and `reinitialize` abandons it for a
/// fresh instance (`reloadFresh`, which clears this flag) or, where that is impossible, refuses.
pub var jack_died = false;
var verbose = false;

/// PortAudio keeps the pointer given to `PaJack_SetClientName` without copying: static storage.
var jack_client_name: [64:0]u8 = @splat(0);
/// The name PortAudio was last initialised with (JACK may have added a suffix to make it unique).
var jack_client_name_applied: [64:0]u8 = @splat(0);

pub fn isInitialized() bool {
    return initialized;
}

/// Counts a user and initialises PortAudio if it is not yet.
pub fn acquire() c_int {
    if (!initialized) {
        const code = initialize();
        if (code != 0) return code;
    }
    users += 1;
    return 0;
}

/// Undoes one `acquire`; the last one terminates PortAudio (which closes any stream left open).
pub fn release() void {
    if (users == 0) return;
    users -= 1;
    if (users == 0 and initialized and !jackdown.serverDied()) {
        _ = api.Pa_Terminate();
        initialized = false;
        open_streams = 0;
    }
}

/// Terminates and initialises again, so that host APIs and devices are scanned anew. After the
/// JACK server died the old instance is abandoned instead (see `jack_died`), so that a server
/// started again is found without restarting the program.
pub fn reinitialize() c_int {
    if (open_streams != 0) return err.streams_open;
    if (initialized and jackdown.serverDied()) {
        // The old instance aborts or hangs in Pa_Terminate: leave it, and start a fresh one.
        if (!reloadFresh()) return err.jack_died;
        initialized = false;
        jack_died = false;
        return initialize();
    }
    if (initialized) {
        _ = api.Pa_Terminate();
        initialized = false;
    }
    return initialize();
}

const DlInfo = extern struct { fname: ?[*:0]const u8, fbase: ?*anyopaque, sname: ?[*:0]const u8, saddr: ?*anyopaque };
extern "c" fn dladdr(address: *const anyopaque, info: *DlInfo) c_int;
extern "c" fn atexit(function: *const fn () callconv(.c) void) c_int;
var exit_hook_installed = false;

fn terminateAtExit() callconv(.c) void {
    // Another thread may be inside PortAudio as the process exits: wait for it a little, then
    // leave PortAudio alone rather than terminate it under that thread.
    var tries: u32 = 0;
    while (!global_lock.tryLock()) : (tries += 1) {
        if (tries == 1000) return;
        std.Thread.yield() catch {};
    }
    defer unlock();
    if (initialized and !jackdown.serverDied()) _ = api.Pa_Terminate();
    initialized = false;
}

/// A process may exit while a stream runs (an uncaught error, `Deno.exit`, a signal handler):
/// the runtime then unloads this library while PortAudio's thread still runs the callback in
/// it. So keep the library mapped to the end, and stop PortAudio from an exit handler.
fn installExitHook() void {
    if (exit_hook_installed or builtin.os.tag != .linux) return;
    exit_hook_installed = true;
    var info: DlInfo = undefined;
    if (dladdr(@ptrCast(&terminateAtExit), &info) != 0) {
        if (info.fname) |path| _ = std.c.dlopen(path, .{ .NOW = true, .NOLOAD = true, .NODELETE = true });
    }
    _ = atexit(terminateAtExit);
}

fn initialize() c_int {
    std.debug.assert(!initialized);
    if (!load()) return err.library_missing;
    installExitHook();
    silenceLibraries(!verbose);
    if (portAudioSymbol(PaJackSetClientName, "PaJack_SetClientName")) |set| {
        // Always set: PortAudio still holds the pointer of the last call, to our storage.
        _ = set(if (jack_client_name[0] != 0) &jack_client_name else "PortAudio");
    }
    const code = api.Pa_Initialize();
    if (code != 0) return code;
    initialized = true;
    generation +%= 1;
    jack_client_name_applied = jack_client_name;
    return 0;
}

/// Takes effect at the next (re)initialisation.
pub fn setVerbose(on: bool) void {
    verbose = on;
}

/// Sets the JACK client name for the next initialisation; re-initialises now if PortAudio runs
/// with another name (and fails with `err.streams_open` while streams are open).
pub fn setJackClientName(name: []const u8) c_int {
    if (name.len >= jack_client_name.len) return err.invalid_flag;
    if (std.mem.indexOfScalar(u8, name, 0) != null) return err.invalid_flag;
    jack_client_name = @splat(0);
    @memcpy(jack_client_name[0..name.len], name);
    if (initialized and !std.mem.eql(u8, &jack_client_name, &jack_client_name_applied)) return reinitialize();
    return 0;
}

// ---- Silencing ALSA and JACK -------------------------------------------------------------------
// Pa_Initialize makes ALSA print about 60 "cannot find card" lines on a machine with no sound
// card, and libjack prints "cannot connect to server" when no JACK server runs. Both libraries
// take a message handler; install no-op ones (or the default ones back, when verbose). Both are
// looked up at run time, so that a system without them still works.

const AlsaErrorHandler = *const fn (?[*:0]const u8, c_int, ?[*:0]const u8, c_int, ?[*:0]const u8) callconv(.c) void;
const JackMessageFunction = *const fn ([*:0]const u8) callconv(.c) void;

/// ALSA's handler is variadic; a non-variadic one that ignores the extra arguments is safe with
/// the C calling conventions of the platforms that have ALSA.
fn alsaQuiet(_: ?[*:0]const u8, _: c_int, _: ?[*:0]const u8, _: c_int, _: ?[*:0]const u8) callconv(.c) void {}
fn jackQuiet(_: [*:0]const u8) callconv(.c) void {}
fn jackToStderr(message: [*:0]const u8) callconv(.c) void {
    const text = std.mem.span(message);
    _ = std.c.write(2, text.ptr, text.len);
    _ = std.c.write(2, "\n", 1);
}

pub const libjack_name = if (builtin.os.tag == .macos) "libjack.0.dylib" else "libjack.so.0";

fn silenceLibraries(quiet: bool) void {
    if (builtin.os.tag == .windows) return; // no ALSA, and JACK is rare there: leave it be
    if (builtin.os.tag == .linux) {
        if (openLibrary("libasound.so.2")) |alsa| {
            if (std.c.dlsym(alsa, "snd_lib_error_set_handler")) |sym| {
                const set: *const fn (?AlsaErrorHandler) callconv(.c) c_int = @ptrCast(@alignCast(sym));
                _ = set(if (quiet) &alsaQuiet else null); // null restores ALSA's own printer
            }
        }
    }
    if (openLibrary(libjack_name)) |jack| {
        const handler: JackMessageFunction = if (quiet) &jackQuiet else &jackToStderr;
        inline for (.{ "jack_set_error_function", "jack_set_info_function" }) |name| {
            if (std.c.dlsym(jack, name)) |sym| {
                const set: *const fn (JackMessageFunction) callconv(.c) void = @ptrCast(@alignCast(sym));
                set(handler);
            }
        }
    }
}

// ---- Strings out -------------------------------------------------------------------------------

/// Copies a C string into `buffer` (truncated to `capacity`, not terminated); returns the
/// string's full length so the caller can retry with a larger buffer.
pub fn copyString(text: ?[*:0]const u8, buffer: [*]u8, capacity: u32) i32 {
    const s = if (text) |t| std.mem.span(t) else "";
    const n = @min(s.len, capacity);
    @memcpy(buffer[0..n], s[0..n]);
    return @intCast(@min(s.len, std.math.maxInt(i32)));
}

pub fn errorText(code: c_int) [*:0]const u8 {
    if (code == err.streams_open) return "PortAudio cannot be re-initialised while streams are open";
    if (code == err.library_missing) return library_missing_text;
    if (code == err.jack_died) return "the JACK server quit while a stream ran; PortAudio 19.6 cannot " ++
        "re-initialise after that without aborting the process (pa_jack.c asserts on the dead client), " ++
        "and a fresh PortAudio could not be loaded beside it (" ++
        (if (can_reload) "copying the library to TMPDIR or loading the copy failed" else "possible on Linux only") ++
        "), so restart the program to use JACK again";
    if (!load()) return "PortAudio error (PortAudio itself is not installed, so no text)";
    return api.Pa_GetErrorText(code);
}

test "copyString reports the full length and truncates the copy" {
    var buffer: [4]u8 = @splat(0);
    try std.testing.expectEqual(@as(i32, 6), copyString("system", &buffer, buffer.len));
    try std.testing.expectEqualStrings("syst", &buffer);
    try std.testing.expectEqual(@as(i32, 0), copyString(null, &buffer, buffer.len));
}

test "the JACK client name is refused when too long or with a NUL, and kept otherwise" {
    const long: [64]u8 = @splat('a');
    try std.testing.expectEqual(err.invalid_flag, setJackClientName(&long));
    try std.testing.expectEqual(err.invalid_flag, setJackClientName("a\x00b"));
    try std.testing.expectEqual(@as(c_int, 0), setJackClientName("rtmixer"));
    try std.testing.expectEqualStrings("rtmixer", std.mem.sliceTo(&jack_client_name, 0));
    try std.testing.expectEqual(@as(c_int, 0), setJackClientName(""));
}
