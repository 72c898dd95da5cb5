//! A band-limited resampler for whole buffers of interleaved float32 frames (sound files loaded
//! for a stream of another rate, src/files.ts): a Kaiser-windowed sinc, applied as a polyphase
//! filter. Runs on the JavaScript thread, never on the audio thread.
//!
//! - Output frame k is the band-limited input at time k · rate_in / rate_out (in input frames):
//!   no delay. Input frames outside the buffer count as zero.
//! - Rates that are integers with a small ratio (44100 → 48000 is 147:160) get one filter per
//!   output phase, exactly; other ratios get 1024 phases (fewer for a long downsampling filter)
//!   and interpolate linearly between the two nearest.
//! - The cutoff sits below the lower of the two Nyquist frequencies: the passband ends at
//!   `pass` of it, the stopband begins at it, with `atten` dB of rejection (Kaiser's formulas).
//!   Every phase's coefficients are normalised to sum 1, so DC passes with gain 1.
//! - Memory: the phase table and one chunk of one channel's input, from zig/alloc.zig, freed
//!   before returning.
const std = @import("std");
const alloc = @import("alloc.zig");

pub const Quality = enum(u32) { best = 0, medium = 1, fastest = 2 };

pub const Params = struct { pass: f64, atten: f64 };

/// Passband edge (fraction of the lower Nyquist frequency) and stopband rejection per quality.
pub fn params(q: Quality) Params {
    return switch (q) {
        .best => .{ .pass = 0.96, .atten = 150 },
        .medium => .{ .pass = 0.90, .atten = 125 },
        .fastest => .{ .pass = 0.80, .atten = 100 },
    };
}

pub const Error = error{ BadArgument, OutOfMemory };

pub const channels_max = 1024;
pub const ratio_max = 256;

const V = 16; // taps per vector step
const Vec = @Vector(V, f32);
/// Output frames per chunk are chosen so that a chunk reads about this many input frames.
const chunk_input = 8192;
/// Phases of the interpolated table (a long downsampling filter gets fewer, see `plan`).
const interpolated_phases = 1024;
/// The table's size limit, in floats (16 MB).
const table_max = 4 << 20;

/// Output frames for `frames` input frames: round(frames · rate_out / rate_in), as src/files.ts
/// computes it.
pub fn outputFrames(frames: f64, rate_in: f64, rate_out: f64) f64 {
    return @round(frames * rate_out / rate_in);
}

fn besselI0(x: f64) f64 {
    var sum: f64 = 1;
    var term: f64 = 1;
    const q = x * x / 4;
    var k: f64 = 1;
    while (k < 500) : (k += 1) {
        term *= q / (k * k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

const Plan = struct {
    /// Phases in the table (rows are phases + 1: the last is phase 1.0).
    phases: usize,
    /// Exact rational stepping: input advances `step_num / phases` frames per output frame.
    exact: bool,
    step_num: u64 = 0,
    /// Taps per row (a multiple of V), the first one `half - 1` frames before the position.
    taps: usize,
    half: usize,
    table: []align(64) f32,

    fn deinit(p: *Plan) void {
        alloc.free(p.table);
    }
};

fn plan(rate_in: f64, rate_out: f64, q: Quality) Error!Plan {
    const prm = params(q);
    const base = @min(rate_in, rate_out);
    // Kaiser: transition width in cycles per sample of the lower rate, taps at that rate.
    const transition = (1 - prm.pass) * 0.5;
    const beta = 0.1102 * (prm.atten - 8.7);
    const taps_base = (prm.atten - 7.95) / (2.285 * 2 * std.math.pi * transition);
    const hw = taps_base / 2 * rate_in / base; // half the window, in input frames
    const fc = (1 + prm.pass) / 2 * 0.5 * base / rate_in; // cutoff, cycles per input frame
    const half: usize = @as(usize, @intFromFloat(@ceil(hw))) + 1;
    const taps = (2 * half + V - 1) / V * V;

    var exact = false;
    var phases: usize = interpolated_phases;
    var step_num: u64 = 0;
    if (rate_in == @floor(rate_in) and rate_out == @floor(rate_out) and rate_in <= 1e9 and rate_out <= 1e9) {
        const a: u64 = @intFromFloat(rate_in);
        const b: u64 = @intFromFloat(rate_out);
        const g = std.math.gcd(a, b);
        const l = b / g;
        if (l <= 4096 and (l + 1) * taps <= table_max) {
            exact = true;
            phases = l;
            step_num = a / g;
        }
    }
    if (!exact) {
        // Linear interpolation's error grows with the cutoff squared: a low cutoff (a long
        // downsampling filter) needs fewer phases for the same error.
        while (phases > 64 and (phases + 1) * taps > table_max) phases /= 2;
        if ((phases + 1) * taps > table_max) return error.OutOfMemory;
    }
    const table = alloc.alloc(f32, (phases + 1) * taps) orelse return error.OutOfMemory;
    const i0beta = besselI0(beta);
    const half_f: f64 = @floatFromInt(half);
    for (0..phases + 1) |p| {
        const row = table[p * taps ..][0..taps];
        const frac = @as(f64, @floatFromInt(p)) / @as(f64, @floatFromInt(phases));
        var sum: f64 = 0;
        for (row, 0..) |*c, j| {
            // Distance from the output position to tap j's input frame.
            const d = frac + half_f - 1 - @as(f64, @floatFromInt(j));
            var v: f64 = 0;
            if (@abs(d) < hw) {
                const x = d / hw;
                const w = besselI0(beta * @sqrt(1 - x * x)) / i0beta;
                const s = if (d == 0) 1 else @sin(2 * std.math.pi * fc * d) / (2 * std.math.pi * fc * d);
                v = 2 * fc * s * w;
            }
            c.* = @floatCast(v);
            sum += v;
        }
        for (row) |*c| c.* = @floatCast(@as(f64, c.*) / sum);
    }
    return .{ .phases = phases, .exact = exact, .step_num = step_num, .taps = taps, .half = half, .table = table };
}

/// Position of output frame k: input frame n and phase (row p, interpolation weight a).
const Position = struct { n: i64, p: usize, a: f32 };

const Stepper = struct {
    pl: *const Plan,
    step: f64, // input frames per output frame (interpolated mode)
    k: u64,
    n: i64,
    p: u64,

    fn init(pl: *const Plan, step: f64, k: u64) Stepper {
        var s: Stepper = .{ .pl = pl, .step = step, .k = k, .n = 0, .p = 0 };
        if (pl.exact) {
            const l: u64 = pl.phases;
            // k · step_num / l without overflow (k < 2^53, step_num ≤ 2^30 · 256).
            const prod = @as(u128, k) * pl.step_num;
            s.n = @intCast(prod / l);
            s.p = @intCast(prod % l);
        }
        return s;
    }

    fn next(s: *Stepper) Position {
        defer s.k += 1;
        if (s.pl.exact) {
            const pos: Position = .{ .n = s.n, .p = s.p, .a = 0 };
            s.p += s.pl.step_num;
            const l: u64 = s.pl.phases;
            if (s.p >= l) {
                s.n += @intCast(s.p / l);
                s.p %= l;
            }
            return pos;
        }
        const t = @as(f64, @floatFromInt(s.k)) * s.step;
        const n = @floor(t);
        const qf = (t - n) * @as(f64, @floatFromInt(s.pl.phases));
        const p = @min(@floor(qf), @as(f64, @floatFromInt(s.pl.phases - 1)));
        return .{ .n = @intFromFloat(n), .p = @intFromFloat(p), .a = @floatCast(qf - p) };
    }
};

/// Resamples `frames` interleaved frames of `channels` channels from `src` into `dst`, which
/// holds exactly `outputFrames(...)` frames. Identity ratios copy.
pub fn resample(src: []const f32, frames: usize, channels: usize, rate_in: f64, rate_out: f64, q: Quality, dst: []f32) Error!usize {
    if (channels == 0 or channels > channels_max) return error.BadArgument;
    if (!(std.math.isFinite(rate_in) and std.math.isFinite(rate_out) and rate_in > 0 and rate_out > 0)) return error.BadArgument;
    if (rate_out / rate_in > ratio_max or rate_in / rate_out > ratio_max) return error.BadArgument;
    const n_in = std.math.mul(usize, frames, channels) catch return error.BadArgument;
    if (src.len < n_in) return error.BadArgument;
    const out_f = outputFrames(@floatFromInt(frames), rate_in, rate_out);
    if (out_f > 0x1p53) return error.BadArgument;
    const out_frames: usize = @intFromFloat(out_f);
    const n_out = std.math.mul(usize, out_frames, channels) catch return error.BadArgument;
    if (dst.len < n_out) return error.BadArgument;
    if (out_frames == 0) return 0;
    if (rate_in == rate_out) {
        @memcpy(dst[0..n_out], src[0..n_out]);
        return out_frames;
    }

    var pl = try plan(rate_in, rate_out, q);
    defer pl.deinit();
    const step = rate_in / rate_out;
    const chunk_out: usize = @max(1, @as(usize, @intFromFloat(@floor(chunk_input / step))));
    // A chunk's input: its positions' span plus a filter's taps on either side, plus slack.
    const span_max: usize = @as(usize, @intFromFloat(@ceil(@as(f64, @floatFromInt(chunk_out)) * step))) + pl.taps + 2 * V + 4;
    const scratch = alloc.alloc(f32, span_max) orelse return error.OutOfMemory;
    defer alloc.free(scratch);

    const half: i64 = @intCast(pl.half);
    const frames_i: i64 = @intCast(frames);
    var k0: usize = 0;
    while (k0 < out_frames) : (k0 += chunk_out) {
        const k1 = @min(out_frames, k0 + chunk_out);
        const first = Stepper.init(&pl, step, k0);
        var last_s = Stepper.init(&pl, step, k1 - 1);
        const last = last_s.next();
        var s0 = first;
        const lo = s0.next().n - half + 1;
        const hi = last.n - half + 1 + @as(i64, @intCast(pl.taps)); // exclusive
        const span: usize = @intCast(hi - lo);
        std.debug.assert(span <= span_max);
        for (0..channels) |c| {
            // This channel's input for the chunk, zero outside the buffer.
            for (scratch[0..span], 0..) |*x, i| {
                const n = lo + @as(i64, @intCast(i));
                x.* = if (n >= 0 and n < frames_i) src[@as(usize, @intCast(n)) * channels + c] else 0;
            }
            var s = first;
            var k = k0;
            while (k < k1) : (k += 1) {
                const pos = s.next();
                const at: usize = @intCast(pos.n - half + 1 - lo);
                const x = scratch[at..][0..pl.taps];
                const r0 = pl.table[pos.p * pl.taps ..][0..pl.taps];
                var acc: Vec = @splat(0);
                var i: usize = 0;
                if (pos.a == 0) {
                    while (i < pl.taps) : (i += V) {
                        const xv: Vec = x[i..][0..V].*;
                        const hv: Vec = r0[i..][0..V].*;
                        acc += xv * hv;
                    }
                } else {
                    const r1 = pl.table[(pos.p + 1) * pl.taps ..][0..pl.taps];
                    const av: Vec = @splat(pos.a);
                    while (i < pl.taps) : (i += V) {
                        const xv: Vec = x[i..][0..V].*;
                        const h0: Vec = r0[i..][0..V].*;
                        const h1: Vec = r1[i..][0..V].*;
                        acc += xv * (h0 + av * (h1 - h0));
                    }
                }
                dst[k * channels + c] = @reduce(.Add, acc);
            }
        }
    }
    return out_frames;
}
