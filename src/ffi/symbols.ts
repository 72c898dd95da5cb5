/**
 * The one symbol table of librtmixer, in runtime-neutral type names. `bun.ts` and `deno.ts` map
 * it 1:1 onto `bun:ffi` and `Deno.dlopen`; no type is widened. Keep in step with zig/root.zig.
 *
 * - `pointer`: native memory (an opaque handle in TypeScript, see {@link Pointer}).
 * - `buffer`: a typed array whose memory native code uses during the call only.
 * - Lengths and counts are u32; 64-bit values travel as f64 so no BigInt appears.
 */
export type NativeType = "void" | "bool" | "i32" | "u32" | "f64" | "pointer" | "buffer";

/** A native address: a number in Bun, a pointer object in Deno. Opaque outside `src/ffi/`. */
export type Pointer = { readonly __nativePointer: unique symbol };

interface Signature {
  readonly args: readonly NativeType[];
  readonly returns: NativeType;
}

/** The ABI version this TypeScript expects; zig/root.zig exports its own. */
export const ABI_VERSION = 3;

export const symbols = {
  rtm_abi_version: { args: [], returns: "u32" },
  rtm_live_allocations: { args: [], returns: "f64" },

  // Ring buffer (zig/ringbuffer.zig)
  rtm_ringbuffer_create: { args: ["u32", "u32", "pointer"], returns: "pointer" }, // (element_size, size, data?) -> RingBuffer*
  rtm_ringbuffer_destroy: { args: ["pointer"], returns: "void" },
  rtm_ringbuffer_data: { args: ["pointer"], returns: "pointer" },
  rtm_ringbuffer_flush: { args: ["pointer"], returns: "void" },
  rtm_ringbuffer_read_available: { args: ["pointer"], returns: "u32" },
  rtm_ringbuffer_write_available: { args: ["pointer"], returns: "u32" },
  rtm_ringbuffer_write: { args: ["pointer", "buffer", "u32"], returns: "u32" }, // (rb, src, count) -> written
  rtm_ringbuffer_read: { args: ["pointer", "buffer", "u32"], returns: "u32" }, // (rb, dst, count) -> read
  rtm_ringbuffer_get_write_regions: { args: ["pointer", "u32"], returns: "u32" },
  rtm_ringbuffer_get_read_regions: { args: ["pointer", "u32"], returns: "u32" },
  rtm_ringbuffer_advance_write_index: { args: ["pointer", "u32"], returns: "i32" },
  rtm_ringbuffer_advance_read_index: { args: ["pointer", "u32"], returns: "i32" },

  // Mixer and actions (zig/mixer.zig)
  rtm_mixer_create: { args: ["u32", "u32", "f64", "u32"], returns: "pointer" }, // (in_ch, out_ch, fs, queue_size) -> Mixer*
  rtm_mixer_destroy: { args: ["pointer"], returns: "void" },
  rtm_mixer_slots: { args: ["pointer"], returns: "pointer" }, // -> first action slot
  rtm_mixer_submit: { args: ["pointer", "u32", "buffer", "pointer", "pointer"], returns: "i32" }, // (m, slot, samples?, ring?, shared?) -> 0 | SubmitError
  rtm_sample_create: { args: ["buffer", "f64"], returns: "pointer" }, // (samples, length) -> Sample* (one reference)
  rtm_sample_unref: { args: ["pointer"], returns: "void" },
  rtm_mixer_release: { args: ["pointer", "u32", "buffer"], returns: "void" }, // (m, slot, record dst?)
  rtm_mixer_collect: { args: ["pointer"], returns: "i32" }, // -> finished slot or -1
  rtm_mixer_process: { args: ["pointer", "buffer", "buffer", "u32", "f64", "f64", "f64", "u32"], returns: "void" }, // (m, in?, out?, frames, current, adc, dac, flags)

  // PortAudio, devices and streams (zig/portaudio.zig, zig/stream.zig). Strings are copied into
  // a caller's buffer; those calls return the full length, or a negative PortAudio error code.
  rtm_pa_acquire: { args: [], returns: "i32" }, // initialise if needed, count one user -> 0 | PaError
  rtm_pa_release: { args: [], returns: "void" }, // the last user terminates PortAudio
  rtm_pa_reinitialize: { args: [], returns: "i32" }, // -> 0 | PaError | -1 (streams open)
  rtm_pa_is_initialized: { args: [], returns: "bool" },
  rtm_pa_set_verbose: { args: ["bool"], returns: "void" },
  rtm_pa_set_jack_client_name: { args: ["buffer", "u32"], returns: "i32" }, // (utf8, len)
  rtm_pa_jack_client_name: { args: ["buffer", "u32"], returns: "i32" }, // (dst, capacity) -> length
  rtm_pa_error_text: { args: ["i32", "buffer", "u32"], returns: "i32" }, // (code, dst, capacity) -> length
  rtm_pa_host_error_text: { args: ["buffer", "u32"], returns: "i32" }, // (dst, capacity) -> length
  rtm_pa_device_count: { args: [], returns: "i32" },
  rtm_pa_default_device: { args: ["bool"], returns: "i32" }, // (output) -> index | -1
  rtm_pa_device_info: { args: ["i32", "buffer"], returns: "i32" }, // (index, f64[DEVICE.count])
  rtm_pa_device_name: { args: ["i32", "buffer", "u32"], returns: "i32" }, // (index, dst, capacity) -> length
  rtm_pa_host_api_count: { args: [], returns: "i32" },
  rtm_pa_default_host_api: { args: [], returns: "i32" },
  rtm_pa_host_api_info: { args: ["i32", "buffer"], returns: "i32" }, // (index, f64[HOST_API.count])
  rtm_pa_host_api_name: { args: ["i32", "buffer", "u32"], returns: "i32" }, // (index, dst, capacity) -> length
  rtm_pa_check_settings: { args: ["buffer"], returns: "i32" }, // (f64[PARAMS.count]) -> 0 | PaError
  rtm_stream_create: { args: [], returns: "pointer" }, // -> Stream* (unopened) | null
  rtm_stream_open: { args: ["pointer", "buffer"], returns: "i32" }, // (s, f64[PARAMS.count]) -> 0 | PaError
  rtm_stream_close: { args: ["pointer"], returns: "i32" }, // idempotent; frees the mixer
  rtm_stream_destroy: { args: ["pointer"], returns: "void" }, // closes if open, frees the handle
  rtm_stream_mixer: { args: ["pointer"], returns: "pointer" }, // -> Mixer* | null when closed
  rtm_stream_start: { args: ["pointer"], returns: "i32" },
  rtm_stream_stop: { args: ["pointer"], returns: "i32" },
  rtm_stream_abort: { args: ["pointer"], returns: "i32" },
  rtm_stream_is_active: { args: ["pointer"], returns: "i32" }, // -> 1 | 0 | PaError
  rtm_stream_is_stopped: { args: ["pointer"], returns: "i32" }, // -> 1 | 0 | PaError
  rtm_stream_time: { args: ["pointer"], returns: "f64" },
  rtm_stream_cpu_load: { args: ["pointer"], returns: "f64" },
  rtm_stream_info: { args: ["pointer", "buffer"], returns: "i32" }, // (s, f64[STREAM_INFO.count])

  // Benchmark support (zig/benchsupport.zig): references for bench/callback.ts, one block per call
  rtm_bench_scalar_block: { args: ["buffer", "u32", "buffer", "u32", "buffer", "u32", "u32", "u32", "u32"], returns: "void" }, // (out, out_ch, src, src_ch, mapping u32[], voices, voice_stride, position, frames)
  rtm_bench_copy_block: { args: ["buffer", "buffer", "u32", "u32", "u32", "u32", "u32"], returns: "void" }, // (out, src, src_ch, voices, voice_stride, position, frames)

  // Test support (zig/selftest.zig)
  rtm_test_ring_peer_start: { args: ["pointer", "f64", "u32"], returns: "pointer" }, // (rb, total, direction) -> Peer*
  rtm_test_ring_peer_join: { args: ["pointer"], returns: "f64" }, // -> elements out of sequence
  rtm_test_ring_peer_stop: { args: ["pointer"], returns: "f64" }, // stop, wait -> elements moved (then join)
  rtm_test_mixer_driver_start: { args: ["pointer", "u32"], returns: "pointer" }, // (mixer, frames) -> Driver* (a thread running process())
  rtm_test_mixer_driver_stop: { args: ["pointer"], returns: "f64" }, // -> blocks processed
  rtm_test_rtcheck: { args: ["u32"], returns: "f64" }, // (op) -> LD_PRELOADed zig/rtcheck.zig counter, -1 if absent
  // Test support for the JACK dummy server (zig/jacktest.zig)
  rtm_test_jack_loopback: { args: ["buffer", "u32"], returns: "i32" }, // (client utf8, len) -> links | error
  rtm_test_jack_connections: { args: ["buffer", "u32", "buffer", "u32"], returns: "i32" }, // (client, len, dst, cap) -> length
  rtm_test_probe_create: { args: ["u32"], returns: "pointer" }, // (capacity_frames) -> Probe*
  rtm_test_probe_open: { args: ["pointer", "buffer"], returns: "i32" }, // (probe, f64[PARAMS.count])
  rtm_test_probe_start: { args: ["pointer"], returns: "i32" },
  rtm_test_probe_read: { args: ["pointer", "buffer", "u32"], returns: "u32" }, // (probe, f32 dst, frames) -> frames
  rtm_test_probe_destroy: { args: ["pointer"], returns: "void" },
} as const satisfies Record<string, Signature>;

type ArgType<T extends NativeType> = T extends "pointer" ? Pointer | null
  : T extends "buffer" ? ArrayBufferView | null
  : T extends "bool" ? boolean
  : number;
type ReturnType<T extends NativeType> = T extends "void" ? void
  : T extends "pointer" ? Pointer | null
  : T extends "bool" ? boolean
  : number;
type Args<A extends readonly NativeType[]> = { [K in keyof A]: A[K] extends NativeType ? ArgType<A[K]> : never };

/** The library's functions, typed from the table above. */
export type Symbols = {
  [K in keyof typeof symbols]: (
    ...args: Args<(typeof symbols)[K]["args"]>
  ) => ReturnType<(typeof symbols)[K]["returns"]>;
};

/** What each runtime adapter provides; nothing outside `src/ffi/` knows which runtime runs. */
export interface Runtime {
  readonly name: "bun" | "deno";
  /** Opens the library at `path` with the table above. */
  open(path: string): { symbols: Symbols; close(): void };
  /** The address of a typed array's memory, for native code that keeps it beyond one call. */
  pointerOf(view: ArrayBufferView): Pointer;
  /** An ArrayBuffer over `byteLength` bytes of native memory at `pointer` (no copy). */
  view(pointer: Pointer, byteLength: number): ArrayBuffer;
  /** The address as a number, for identity checks and messages. */
  address(pointer: Pointer | null): number;
  env(name: string): string | undefined;
  exists(path: string): boolean;
  /** Runs `fn` once when the process (or, in Deno, the worker) exits normally. */
  onExit(fn: () => void): void;
  readonly os: "linux" | "darwin" | "windows";
  readonly arch: "x64" | "arm64";
}
