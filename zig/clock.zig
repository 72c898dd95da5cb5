//! The stream's sample clock and its mapping to stream time.
//!
//! The host's block timestamps jitter (on JACK: ±3 samples idle, hundreds under load), swing for
//! seconds after a stall, and step by a period at each xrun. Starts are therefore not placed by
//! each block's raw timestamp but on the stream's own frame counter, through an offset
//! `applied` (an integer number of samples): frame = ⌊t · fs + ½⌋ − applied. TypeScript computes
//! the same expression (src/engine.ts), and the loader checks on sample values that both sides
//! agree (zig/facts.zig), negative times and halves included. While `applied`
//! holds still, two starts Δt apart land exactly round(Δt · fs) frames apart (for Δt on the
//! sample grid), whatever the timestamps do.
//!
//! `tracked` follows the median of the raw offsets (a sign tracker: at most `slew` samples per
//! block, so outliers cannot drag it); `smoothed` averages `tracked` over `smooth_seconds` to
//! remove the tracker's own wander. `applied` moves to `smoothed` only once `smoothed` has held
//! still (within `stable_samples`) for `hold_seconds` while disagreeing with `applied` by more
//! than `tolerance_samples`. A step (an xrun that lost samples at the DAC) or slow drift between
//! the audio and system clocks settles and is followed; the swing after a stall keeps `tracked`
//! moving until it is back, and is not.
const std = @import("std");

/// x rounded to the nearest integer, halves up: ⌊x + ½⌋, the same expression in TypeScript.
pub fn roundHalfUp(x: f64) f64 {
    return @floor(x + 0.5);
}

/// The one time-to-frame formula, shared with TypeScript (src/engine.ts frameOf).
pub fn frameOf(t: f64, sample_rate: f64, applied: f64) f64 {
    return roundHalfUp(t * sample_rate) - applied;
}

pub const Clock = extern struct {
    sample_rate: f64,
    hold_blocks: f64,
    /// 1 / the blocks `smoothed` averages over: a multiplication in every block, where a
    /// division (its latency on the block's critical path) was a quarter of an empty block.
    smooth_step: f64,
    /// Samples: frame position = round(time · sample_rate) − applied.
    applied: f64 = 0,
    tracked: f64 = 0,
    smoothed: f64 = 0,
    /// Where `smoothed` was when the current still period began, and its length in blocks.
    still_since: f64 = 0,
    still_blocks: f64 = 0,
    started: u32 = 0,
    _pad: u32 = 0,

    pub const slew_samples: f64 = 0.5;
    pub const tolerance_samples: f64 = 1.5;
    pub const stable_samples: f64 = 16;
    pub const hold_seconds: f64 = 2;
    pub const smooth_seconds: f64 = 0.5;

    pub fn init(sample_rate: f64) Clock {
        return .{ .sample_rate = sample_rate, .hold_blocks = 0, .smooth_step = 1 };
    }

    /// Feeds one block: its first frame's position and the host's timestamp for that frame.
    pub fn observe(c: *Clock, timestamp: f64, frame: f64, frames: u32) void {
        const raw = timestamp * c.sample_rate - frame;
        if (!std.math.isFinite(raw)) return;
        if (c.started == 0) {
            c.started = 1;
            c.tracked = raw;
            c.smoothed = raw;
            c.still_since = raw;
            @atomicStore(f64, &c.applied, roundHalfUp(raw), .monotonic);
            const blocks_per_second = c.sample_rate / @as(f64, @floatFromInt(@max(frames, 1)));
            c.hold_blocks = @ceil(hold_seconds * blocks_per_second);
            c.smooth_step = 1 / @max(1, @ceil(smooth_seconds * blocks_per_second));
            return;
        }
        c.tracked += std.math.clamp(raw - c.tracked, -slew_samples, slew_samples);
        c.smoothed += (c.tracked - c.smoothed) * c.smooth_step;
        if (@abs(c.smoothed - c.still_since) > stable_samples) {
            c.still_since = c.smoothed;
            c.still_blocks = 0;
            return;
        }
        c.still_blocks += 1;
        if (c.still_blocks >= c.hold_blocks and @abs(c.smoothed - c.applied) > tolerance_samples) {
            // TypeScript reads `applied` while the callback runs (frameAt, timeAt).
            @atomicStore(f64, &c.applied, roundHalfUp(c.smoothed), .monotonic);
        }
    }

    /// The frame at which something due at stream time `t` happens.
    pub fn frameAt(c: *const Clock, t: f64) f64 {
        return frameOf(t, c.sample_rate, c.applied);
    }

    /// The stream time of `frame`.
    pub fn timeAt(c: *const Clock, frame: f64) f64 {
        return (frame + c.applied) / c.sample_rate;
    }
};

const testing = std.testing;

test "jittery timestamps do not move the mapping" {
    for (0..8) |seed| try jitterRun(seed);
}

fn jitterRun(seed: u64) !void {
    var c = Clock.init(48000);
    var prng = std.Random.DefaultPrng.init(seed);
    const r = prng.random();
    const true_offset: f64 = 12345.25;
    var frame: f64 = 0;
    var settled: ?f64 = null;
    for (0..20000) |block| {
        const jitter = (r.float(f64) - 0.5) * 6; // ±3 samples
        const spike: f64 = if (r.uintLessThan(u32, 500) == 0) 254 else 0;
        c.observe((frame + true_offset + jitter + spike) / 48000, frame, 256);
        // The first block's own jitter may be corrected once, after the hold time; then no more.
        if (block == 1000) settled = c.applied;
        if (settled) |s| try testing.expectEqual(s, c.applied);
        frame += 256;
    }
    try testing.expect(@abs(settled.? - true_offset) <= 2);
    try testing.expect(@abs(c.smoothed - true_offset) < 1);
}

test "a permanent step is followed after the hold time, a swing is not" {
    var c = Clock.init(48000);
    var frame: f64 = 0;
    const base: f64 = 1000;
    var block: u32 = 0;
    while (block < 100) : (block += 1) {
        c.observe((frame + base) / 48000, frame, 256);
        frame += 256;
    }
    // A swing: +4500 samples decaying to zero over 1000 blocks (≈ 5.3 s).
    var i: u32 = 0;
    while (i < 1000) : (i += 1) {
        const swing = 4500 * (1 - @as(f64, @floatFromInt(i)) / 1000);
        c.observe((frame + base + swing) / 48000, frame, 256);
        try testing.expectEqual(base, c.applied);
        frame += 256;
    }
    // A step of one period that stays.
    i = 0;
    while (i < 1500) : (i += 1) {
        c.observe((frame + base + 256) / 48000, frame, 256);
        frame += 256;
    }
    try testing.expectEqual(base + 256, c.applied);
}

test "slow drift between the clocks is followed" {
    var c = Clock.init(48000);
    var frame: f64 = 0;
    // 50 ppm: the timestamp gains 2.4 samples a second on the frame count.
    for (0..20 * 48000 / 256) |_| {
        c.observe((frame * (1 + 50e-6)) / 48000, frame, 256);
        frame += 256;
    }
    const truth = frame * 50e-6;
    try testing.expect(@abs(c.applied - truth) < 2.4 * 5);
}

test "frameAt and timeAt invert each other on the sample grid" {
    var c = Clock.init(44100);
    c.observe(10.0, 0, 64);
    const f = c.frameAt(10.5);
    try testing.expectEqual(@as(f64, 22050), f);
    try testing.expectApproxEqAbs(@as(f64, 10.5), c.timeAt(f), 1e-12);
}
