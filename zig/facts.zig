//! The facts that Zig and TypeScript share (struct offsets, enum values, flag bits, status codes,
//! limits, and the time-to-frame formula on sample values), as one JSON object that the library
//! exports (`rtm_facts`). The TypeScript loader compares its own copy (src/ffi/layout.ts) with it
//! when the library loads, and refuses a library that disagrees on any of them, naming the fact.
const std = @import("std");
const root = @import("root.zig");
const mixer = @import("mixer.zig");
const RingBuffer = @import("ringbuffer.zig").RingBuffer;
const stream = @import("stream.zig");
const pa = @import("portaudio.zig");
const clock = @import("clock.zig");

const Fact = struct { []const u8, f64 };

fn offsets(comptime prefix: []const u8, comptime T: type, comptime unit: comptime_int) []const Fact {
    var list: []const Fact = &.{};
    for (std.meta.fieldNames(T)) |name| {
        if (name[0] == '_') continue;
        list = list ++ &[_]Fact{.{ prefix ++ "." ++ name, @offsetOf(T, name) / unit }};
    }
    return list ++ &[_]Fact{.{ prefix ++ ".bytes", @sizeOf(T) }};
}

fn values(comptime prefix: []const u8, comptime E: type) []const Fact {
    var list: []const Fact = &.{};
    for (std.meta.fieldNames(E)) |name| list = list ++ &[_]Fact{.{ prefix ++ "." ++ name, @intFromEnum(@field(E, name)) }};
    return list;
}

fn decls(comptime prefix: []const u8, comptime namespace: type) []const Fact {
    var list: []const Fact = &.{};
    for (std.meta.declarations(namespace)) |name| list = list ++ &[_]Fact{.{ prefix ++ "." ++ name, @field(namespace, name) }};
    return list;
}

/// Inputs of the time-to-frame formula whose results TypeScript must reproduce exactly: halves
/// on both sides of zero, and values near them.
const formula_inputs = [_][3]f64{
    .{ 0, 48000, 0 },          .{ 1.5 / 48000.0, 48000, 0 },  .{ -1.5 / 48000.0, 48000, 0 },
    .{ -2.5 / 48000.0, 48000, 7 }, .{ 10.25, 44100, -3 },     .{ 0.49999999999999994, 1, 0 },
    .{ -0.5, 1, 0 },           .{ 123456.789, 96000, 12345 }, .{ -7.0000001, 22050, -1 },
};

/// Inputs of a report's count on the fast path (mixer.fastCount: stored, from, per, frame time)
/// whose results TypeScript must reproduce exactly: off, just entered, blocks and frames on.
const fast_count_inputs = [_][4]f64{
    .{ 640, -1, 1, 9000 }, .{ 640, 704, 1, 704 }, .{ 640, 704, 1, 640 },
    .{ 10, 704, 64, 1344 }, .{ 7, 4096, 48, 4096 + 48 * 1000 }, .{ 1e9, 3e9, 256, 3e9 + 256 * 12345 },
};

const all: []const Fact = blk: {
    var list: []const Fact = &.{.{ "abi", root.abi_version }};
    list = list ++ offsets("report", mixer.Report, 1);
    list = list ++ offsets("stats", mixer.Stats, 8);
    list = list ++ offsets("header", mixer.Header, 1);
    list = list ++ &[_]Fact{.{ "clock.applied", @offsetOf(clock.Clock, "applied") }};
    list = list ++ offsets("request", mixer.Request, 1);
    list = list ++ offsets("ring", RingBuffer, 1);
    list = list ++ offsets("params", stream.Params, 8);
    list = list ++ values("kind", mixer.Kind) ++ values("outcome", mixer.Outcome) ++ values("curve", mixer.Curve);
    list = list ++ values("submit", mixer.SubmitError) ++ values("release", mixer.ReleaseStatus);
    list = list ++ values("ringStatus", RingBuffer.Status);
    list = list ++ decls("flag", mixer.flag) ++ decls("status", mixer.status);
    list = list ++ &[_]Fact{
        .{ "limit.pageSlots", mixer.page_slots },
        .{ "limit.mappingMax", mixer.mapping_max },
        .{ "limit.framesMax", mixer.frames_max },
        .{ "limit.positionMax", mixer.position_max },
        .{ "limit.ringSizeMax", RingBuffer.size_max },
        .{ "limit.elementSizeMax", RingBuffer.element_size_max },
        .{ "limit.channelsMax", stream.Params.channels_max },
        .{ "limit.blockSizeMax", stream.Params.block_size_max },
        .{ "limit.queueSizeMax", stream.Params.queue_size_max },
        .{ "limit.sampleRateMax", stream.Params.sample_rate_max },
        .{ "limit.latencyMax", stream.Params.latency_max },
        .{ "paError.streamsOpen", pa.err.streams_open },
        .{ "paError.libraryMissing", pa.err.library_missing },
        .{ "paError.jackDied", pa.err.jack_died },
        .{ "out.device", root.device_info_count },
        .{ "out.hostApi", root.host_api_info_count },
        .{ "out.streamInfo", root.stream_info_count },
        .{ "out.memory", root.memory_usage_count },
    };
    for (fast_count_inputs, 0..) |in, i| {
        const name = std.fmt.comptimePrint("fastCount.{d}", .{i});
        list = list ++ &[_]Fact{
            .{ name ++ ".stored", in[0] },
            .{ name ++ ".from", in[1] },
            .{ name ++ ".per", in[2] },
            .{ name ++ ".frameTime", in[3] },
            .{ name ++ ".count", mixer.fastCount(in[0], in[1], in[2], in[3]) },
        };
    }
    for (formula_inputs, 0..) |in, i| {
        const name = std.fmt.comptimePrint("frameOf.{d}", .{i});
        list = list ++ &[_]Fact{
            .{ name ++ ".t", in[0] },
            .{ name ++ ".fs", in[1] },
            .{ name ++ ".applied", in[2] },
            .{ name ++ ".frame", clock.frameOf(in[0], in[1], in[2]) },
        };
    }
    break :blk list;
};

/// `{"abi":4,"report.outcome":0,...}`: every number exactly as an f64 prints (shortest
/// round-trip form), so that JSON.parse gives back the same f64.
pub const json: []const u8 = blk: {
    @setEvalBranchQuota(200_000);
    var text: []const u8 = "{";
    for (all, 0..) |fact, i| {
        text = text ++ (if (i > 0) "," else "") ++ std.fmt.comptimePrint("\"{s}\":{any}", .{ fact[0], fact[1] });
    }
    break :blk text ++ "}";
};

test "the facts are one JSON object with unique names" {
    var names = std.StringHashMap(void).init(std.testing.allocator);
    defer names.deinit();
    for (all) |fact| try std.testing.expect((try names.fetchPut(fact[0], {})) == null);
    const parsed = try std.json.parseFromSlice(std.json.Value, std.testing.allocator, json, .{});
    defer parsed.deinit();
    try std.testing.expectEqual(all.len, parsed.value.object.count());
    try std.testing.expectEqual(@as(i64, 5), parsed.value.object.get("kind.fetch_and_reset_stats").?.integer);
    try std.testing.expectEqual(@as(i64, 1 << 40), parsed.value.object.get("limit.framesMax").?.integer);
}
