/**
 * librtmixer-support (zig/support.zig): what tests and benchmarks need beside the product, in a
 * library of its own that is loaded next to the product library (from the same directory, so a
 * RTMIXER_LIB build is paired with its own support build). It works on the product's objects:
 * ring buffers, mixers, PortAudio's JACK client.
 */
import { libraryPath, type Pointer, runtime } from "../../src/ffi/mod.ts";
import type { Signature } from "../../src/ffi/symbols.ts";

const table = {
  rtm_test_ring_peer_start: { args: ["pointer", "f64", "u32"], returns: "pointer" }, // (rb, total, direction) -> Peer*
  rtm_test_ring_peer_join: { args: ["pointer"], returns: "f64" }, // -> elements out of sequence
  rtm_test_ring_peer_stop: { args: ["pointer"], returns: "f64" }, // stop, wait -> elements moved (then join)
  rtm_test_mixer_driver_start: { args: ["pointer", "u32", "buffer", "u32"], returns: "pointer" }, // (mixer, frames, product path, len) -> Driver*
  rtm_test_mixer_driver_stop: { args: ["pointer"], returns: "f64" }, // -> blocks processed (negative: refused)
  rtm_test_rtcheck: { args: ["u32"], returns: "f64" }, // (op) -> LD_PRELOADed zig/rtcheck.zig counter, -1 if absent
  rtm_test_jack_loopback: { args: ["buffer", "u32"], returns: "i32" }, // (client utf8, len) -> links | error
  rtm_test_jack_connections: { args: ["buffer", "u32", "buffer", "u32"], returns: "i32" }, // (client, len, dst, cap) -> length
  rtm_test_probe_create: { args: ["u32"], returns: "pointer" }, // (capacity_frames) -> Probe*
  rtm_test_probe_open: { args: ["pointer", "buffer", "u32"], returns: "i32" }, // (probe, f64[PARAMS.count], bytes)
  rtm_test_probe_start: { args: ["pointer"], returns: "i32" },
  rtm_test_probe_read: { args: ["pointer", "buffer", "f64", "u32"], returns: "u32" }, // (probe, f32 dst, bytes, frames) -> frames
  rtm_test_probe_destroy: { args: ["pointer"], returns: "void" },
  rtm_bench_scalar_blocks: {
    args: ["buffer", "u32", "buffer", "u32", "buffer", "u32", "u32", "u32", "u32", "u32"],
    returns: "void",
  }, // (out, out_ch, src, src_ch, mapping u32[], voices, voice_stride, first, end, frames)
  rtm_bench_copy_blocks: { args: ["buffer", "buffer", "u32", "u32", "u32", "u32", "u32", "u32"], returns: "void" }, // (out, src, src_ch, voices, voice_stride, first, end, frames)
  rtm_bench_product_process: { args: ["buffer", "u32"], returns: "pointer" }, // (product path, len) -> its rtm_mixer_process
  rtm_bench_engine_blocks: {
    args: ["pointer", "pointer", "buffer", "f64", "u32", "f64", "u32", "f64"],
    returns: "i32",
  }, // (process, mixer, out, bytes, frames, first frame, blocks, rate) -> 0 | status
  // python-rtmixer's own callback, loaded from its wheel (bench/callback.ts; zig/benchsupport.zig)
  rtm_bench_peer_create: { args: ["buffer", "u32", "buffer", "u32", "u32", "f64", "u32", "u32"], returns: "pointer" }, // (stub path, len, peer .so path, len, out_ch, rate, voices, channels) -> Peer*
  rtm_bench_peer_error: { args: ["buffer", "u32"], returns: "u32" }, // (dst, capacity) -> length of why create failed
  rtm_bench_peer_destroy: { args: ["pointer"], returns: "void" },
  rtm_bench_peer_arm: { args: ["pointer", "pointer", "f64", "u32", "buffer"], returns: "u32" }, // (peer, src, voice_stride, frames, mapping u32[] 1-based) -> handed over
  rtm_bench_peer_blocks: { args: ["pointer", "buffer", "u32", "f64", "u32", "f64"], returns: "i32" }, // (peer, out, frames, first frame, blocks, rate) -> OR of the callback's results
  rtm_bench_peer_collect: { args: ["pointer"], returns: "i32" }, // -> actions back having played whole, -1 if some still play
  rtm_bench_native_copy: { args: ["buffer", "f64"], returns: "pointer" }, // (f32 src, bytes) -> native copy
  rtm_bench_native_free: { args: ["pointer", "f64"], returns: "void" },
} as const satisfies Record<string, Signature>;

let opened: ReturnType<typeof open> | undefined;

function open() {
  const product = libraryPath();
  const dir = product.slice(0, product.lastIndexOf("/") + 1);
  const name = runtime.os === "windows"
    ? "rtmixer-support.dll"
    : runtime.os === "darwin"
    ? "librtmixer-support.dylib"
    : "librtmixer-support.so";
  return runtime.open(dir + name, table).symbols;
}

/** librtmixer-pystub (zig/pystub.zig), beside the support library; Linux only. */
export function pystubPath(): string {
  const product = libraryPath();
  return product.slice(0, product.lastIndexOf("/") + 1) + "librtmixer-pystub.so";
}

/** The support library's functions (opened on first use, beside the product library). */
export function support(): NonNullable<typeof opened> {
  opened ??= open();
  return opened;
}

const encoder = new TextEncoder();

/** Starts a native thread that runs the product's block processing on `mixer` back to back. */
export function startDriver(mixer: Pointer, frames: number): Pointer {
  const path = encoder.encode(libraryPath());
  const driver = support().rtm_test_mixer_driver_start(mixer, frames, path, path.length);
  if (driver === null) throw new Error("the mixer driver did not start");
  return driver;
}
