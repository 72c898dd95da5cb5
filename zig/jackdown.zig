//! Stopping a stream whose JACK server died, without PortAudio's 10-minute hang.
//!
//! When the JACK server quits, PortAudio 19.6's JACK host API marks its streams inactive and
//! sets `jackIsDown`, but `Pa_StopStream`/`Pa_AbortStream` (and so `Pa_CloseStream` and
//! `Pa_Terminate` on a stream that was running) still wait on the host API's condition variable
//! for the JACK process thread to acknowledge, a thread that no longer exists: `WaitCondition`
//! times out after 10 minutes (pa_jack.c RealStop). Nothing else ever signals that condition.
//!
//! So, only when a stream is inactive but not stopped (the host ended it; our callback never ends
//! a stream itself) and the JACK host API's own state says the server is down, a helper thread
//! broadcasts that condition while the stop runs, which is what the dead process thread would
//! have done. PortAudio's private struct is read at offsets from PortAudio 19.6 on x86_64 Linux
//! with glibc, and every offset is validated first (the host API index field, function pointers
//! into libportaudio, the down flag); anything unexpected means we leave PortAudio alone.
//! Runs on the JavaScript thread only, never on the audio thread.
const std = @import("std");
const builtin = @import("builtin");
const pa = @import("portaudio.zig");

const supported = builtin.os.tag == .linux and builtin.cpu.arch == .x86_64;
const pa_jack_type: c_int = 12; // paJACK

/// PaJackHostApiRepresentation (pa_jack.c) at the address of its `commonHostApiRep`:
/// privatePaFrontInfo (8), PaHostApiInfo info (32), deviceInfos, Terminate, OpenStream,
/// IsFormatSupported (4 × 8), two PaUtilStreamInterface (2 × 12 × 8), deviceInfoMemory,
/// jack_client (2 × 8), jack_buffer_size and hostApiIndex (2 × 4), mtx (40), cond (48),
/// inputBase and outputBase (2 × 8), xrun (4 + 4), toAdd, toRemove, processQueue (3 × 8),
/// jackIsDown (4).
const offset = struct {
    const info = 8;
    const functions_first = 48; // Terminate .. the last blocking stream interface function
    const functions_count = 3 + 24;
    const jack_buffer_size = 280;
    const host_api_index = 284;
    const mutex = 288;
    const cond = 328;
    const jack_is_down = 424;
};

extern "c" fn pthread_mutex_lock(m: *anyopaque) c_int;
extern "c" fn pthread_mutex_unlock(m: *anyopaque) c_int;
extern "c" fn pthread_cond_broadcast(c: *anyopaque) c_int;
const DlInfo = extern struct { fname: ?[*:0]const u8, fbase: ?*anyopaque, sname: ?[*:0]const u8, saddr: ?*anyopaque };
extern "c" fn dladdr(address: *const anyopaque, info: *DlInfo) c_int;

/// The JACK host API's private state, if PortAudio has one, its layout checks out, and it says
/// the server is down.
fn deadJackHostApi() ?[*]u8 {
    if (!supported or !pa.isInitialized()) return null;
    const count = pa.api.Pa_GetHostApiCount();
    var index: c_int = 0;
    while (index < count) : (index += 1) {
        const info = pa.api.Pa_GetHostApiInfo(index) orelse continue;
        if (info.type != pa_jack_type) continue;
        const base = @as([*]u8, @ptrCast(@constCast(info))) - offset.info;
        if (!layoutMatches(base, index)) return null;
        const down: *const volatile c_int = @ptrCast(@alignCast(base + offset.jack_is_down));
        return if (down.* != 0) base else null;
    }
    return null;
}

fn layoutMatches(base: [*]u8, index: c_int) bool {
    const word = struct {
        fn int(b: [*]u8, at: usize) c_int {
            return @as(*const c_int, @ptrCast(@alignCast(b + at))).*;
        }
    };
    if (word.int(base, offset.host_api_index) != index) return false;
    const buffer_size = word.int(base, offset.jack_buffer_size);
    if (buffer_size < 1 or buffer_size > 1 << 16) return false;
    // Every function pointer of the host API and its stream interfaces lies in libportaudio.
    var own: DlInfo = undefined;
    if (dladdr(@ptrCast(pa.api.Pa_Initialize), &own) == 0 or own.fbase == null) return false;
    const functions: [*]const ?*const anyopaque = @ptrCast(@alignCast(base + offset.functions_first));
    for (functions[0..offset.functions_count]) |f| {
        var where: DlInfo = undefined;
        if (f == null or dladdr(f.?, &where) == 0 or where.fbase != own.fbase) return false;
    }
    return true;
}

const Waker = struct {
    base: [*]u8,
    stop: std.atomic.Value(bool) = .init(false),

    fn run(w: *Waker) void {
        const mutex: *anyopaque = @ptrCast(w.base + offset.mutex);
        const cond: *anyopaque = @ptrCast(w.base + offset.cond);
        // Bounded: a stop returns within a few wake-ups; 5 s is far beyond that.
        var rounds: u32 = 0;
        while (!w.stop.load(.acquire) and rounds < 2500) : (rounds += 1) {
            _ = pthread_mutex_lock(mutex);
            _ = pthread_cond_broadcast(cond);
            _ = pthread_mutex_unlock(mutex);
            const pause: std.c.timespec = .{ .sec = 0, .nsec = 2 * std.time.ns_per_ms };
            _ = std.c.nanosleep(&pause, null);
        }
    }
};

/// Whether PortAudio's JACK server died (then `pa.jack_died` stays set).
pub fn serverDied() bool {
    if (!pa.jack_died and deadJackHostApi() != null) pa.jack_died = true;
    return pa.jack_died;
}

/// Whether the host ended `stream` (inactive, not stopped) because its JACK server died.
pub fn isDead(stream: *pa.Stream) bool {
    if (pa.api.Pa_IsStreamActive(stream) != 0 or pa.api.Pa_IsStreamStopped(stream) != 0) return false;
    if (deadJackHostApi() == null) return false;
    pa.jack_died = true;
    return true;
}

/// `stop` (Pa_StopStream or Pa_AbortStream) on `stream`, kept from hanging when its JACK server
/// died; returns stop's result. The stream is stopped afterwards, so closing it and
/// `Pa_Terminate` no longer wait either.
pub fn stopStream(stream: *pa.Stream, stop: *const fn (*pa.Stream) callconv(.c) c_int) c_int {
    if (comptime !supported) return stop(stream); // and the waker is not even compiled
    if (!isDead(stream)) return stop(stream);
    var waker: Waker = .{ .base = deadJackHostApi().? };
    const thread = std.Thread.spawn(.{}, Waker.run, .{&waker}) catch return pa.err.internal_error;
    const code = stop(stream);
    waker.stop.store(true, .release);
    thread.join();
    return code;
}
