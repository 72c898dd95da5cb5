const std = @import("std");
const builtin = @import("builtin");

/// The one Zig version this project builds with (.ci/setup.sh installs it).
const zig_version_required = "0.17.1";

comptime {
    if (!std.mem.eql(u8, builtin.zig_version_string, zig_version_required)) @compileError(
        "rtmixer needs Zig " ++ zig_version_required ++ " exactly, but this is Zig " ++
            builtin.zig_version_string ++ ". Run `bash .ci/setup.sh` to install it into .venv/.",
    );
}

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    // The audio callback's mixing loops are the product: default to a fast build.
    const optimize = b.option(std.builtin.Optimize, "optimize", "Optimization mode (default fast)") orelse .fast;

    const lib_module = b.createModule(.{
        .root_source_file = b.path("zig/root.zig"),
        .target = target,
        .optimize = optimize,
        // Release builds (.ci/release.sh) drop debug info: a fifth of the size.
        .strip = b.option(bool, "strip", "Omit debug information from the library"),
        // PortAudio is not linked: zig/portaudio.zig opens it at run time, so the library builds
        // (and cross-compiles) without PortAudio's headers, and one build runs with any install.
        .link_libc = true,
    });
    const lib = b.addLibrary(.{ .name = "rtmixer", .linkage = .dynamic, .root_module = lib_module });
    b.installArtifact(lib);
    // `zig build product`: the shipped library alone, what .ci/release.sh builds for every
    // platform, so that a test tool that does not build for some target cannot drop it.
    b.step("product", "Install librtmixer only (the release)").dependOn(&b.addInstallArtifact(lib, .{}).step);

    // Test and benchmark support, a library of its own built from the same sources
    // (zig/support.zig): the product above carries none of it. Tests load it beside the product.
    const support = b.addLibrary(.{ .name = "rtmixer-support", .linkage = .dynamic, .root_module = b.createModule(.{
        .root_source_file = b.path("zig/support.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
    }) });
    b.installArtifact(support);

    // The Python symbols python-rtmixer's _rtmixer.abi3.so leaves undefined (zig/pystub.zig), so
    // that bench/callback.ts can load that library, its peer, without an interpreter. A benchmark
    // tool, not part of the product: zig-out/lib/librtmixer-pystub.so.
    if (target.result.os.tag == .linux) {
        const pystub = b.addLibrary(.{ .name = "rtmixer-pystub", .linkage = .dynamic, .root_module = b.createModule(.{
            .root_source_file = b.path("zig/pystub.zig"),
            .target = target,
            .optimize = optimize,
            .link_libc = true,
        }) });
        b.installArtifact(pystub);
    }

    // The realtime-safety test's LD_PRELOAD interposer (zig/rtcheck.zig): zig-out/lib/librtcheck.so.
    // A test tool, not part of the product (releases copy librtmixer only); LD_PRELOAD is Linux's.
    if (target.result.os.tag == .linux) {
        const rtcheck = b.addLibrary(.{ .name = "rtcheck", .linkage = .dynamic, .root_module = b.createModule(.{
            .root_source_file = b.path("zig/rtcheck.zig"),
            .target = target,
            .optimize = optimize,
            .link_libc = true,
        }) });
        b.installArtifact(rtcheck);
    }

    // Tests run in Debug so that every assertion and safety check is live. zig/tests.zig takes in
    // the product's tests and the support library's.
    const test_module = b.createModule(.{
        .root_source_file = b.path("zig/tests.zig"),
        .target = target,
        .optimize = b.option(std.builtin.Optimize, "test-optimize", "Optimization mode of the Zig tests (default debug)") orelse .debug,
        .link_libc = true,
        .sanitize_thread = b.option(bool, "tsan", "Build the Zig tests with the thread sanitizer") orelse false,
    });
    const tests = b.addTest(.{ .root_module = test_module });
    const run_tests = b.addRunArtifact(tests);
    b.step("test", "Run the Zig unit tests").dependOn(&run_tests.step);
    // The test binary itself, so that .ci/test.sh can run it and read its pass/fail counts.
    b.step("test-bin", "Install the Zig unit test binary as zig-out/bin/rtmixer-tests").dependOn(
        &b.addInstallArtifact(tests, .{ .dest_sub_path = "rtmixer-tests" }).step,
    );
}
