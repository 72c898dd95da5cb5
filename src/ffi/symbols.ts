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

export interface Signature {
  readonly args: readonly NativeType[];
  readonly returns: NativeType;
}

/** The ABI version this TypeScript expects; zig/root.zig exports its own. */
export const ABI_VERSION = 11;

/**
 * librtmixer's exports (zig/root.zig). Memory goes with its length: a `buffer` is followed by
 * its byte length (f64) or capacity (u32), and native code checks it.
 */
export const symbols = {
  rtm_abi_version: { args: [], returns: "u32" },
  rtm_facts: { args: ["buffer", "u32"], returns: "i32" }, // (dst, capacity) -> JSON length
  rtm_memory_usage: { args: ["buffer", "u32"], returns: "i32" }, // (f64[MEMORY.count], bytes)

  // Ring buffer (zig/ringbuffer.zig)
  rtm_ringbuffer_create: { args: ["u32", "u32", "buffer", "f64"], returns: "pointer" }, // (element_size, size, data?, data_bytes) -> RingBuffer*
  rtm_ringbuffer_unref: { args: ["pointer"], returns: "void" },
  rtm_ringbuffer_keep_data: { args: ["pointer"], returns: "void" },
  rtm_ringbuffer_data: { args: ["pointer"], returns: "pointer" },
  rtm_ringbuffer_flush: { args: ["pointer"], returns: "i32" },
  rtm_ringbuffer_read_available: { args: ["pointer"], returns: "u32" },
  rtm_ringbuffer_write_available: { args: ["pointer"], returns: "u32" },
  rtm_ringbuffer_write: { args: ["pointer", "buffer", "f64", "u32"], returns: "i32" }, // (rb, src, src_bytes, count) -> written | Status
  rtm_ringbuffer_read: { args: ["pointer", "buffer", "f64", "u32"], returns: "i32" }, // (rb, dst, dst_bytes, count) -> read | Status
  rtm_ringbuffer_get_write_regions: { args: ["pointer", "u32"], returns: "i32" },
  rtm_ringbuffer_get_read_regions: { args: ["pointer", "u32"], returns: "i32" },
  rtm_ringbuffer_advance_write_index: { args: ["pointer", "u32"], returns: "i32" },
  rtm_ringbuffer_advance_read_index: { args: ["pointer", "u32"], returns: "i32" },

  // Mixer and actions (zig/mixer.zig)
  rtm_mixer_create: { args: ["u32", "u32", "f64", "u32"], returns: "pointer" }, // (in_ch, out_ch, fs, initial_slots) -> Mixer*
  rtm_mixer_destroy: { args: ["pointer"], returns: "void" },
  rtm_mixer_header: { args: ["pointer"], returns: "pointer" },
  rtm_mixer_frame_time: { args: ["pointer"], returns: "f64" },
  rtm_mixer_request: { args: ["pointer"], returns: "pointer" },
  rtm_mixer_add_page: { args: ["pointer"], returns: "i32" }, // -> slot count | -1
  rtm_mixer_shrink: { args: ["pointer"], returns: "i32" }, // -> page count
  rtm_mixer_page: { args: ["pointer", "u32"], returns: "pointer" }, // (m, page) -> Report[LIMIT.pageSlots]
  rtm_mixer_submit: { args: ["pointer", "buffer", "f64", "pointer", "pointer"], returns: "i32" }, // (m, samples?, bytes, ring?, sample?) -> 0 | SUBMIT; the slot is the request's
  rtm_mixer_submit_inline: { args: ["pointer"], returns: "i32" }, // (m) -> 0 | SUBMIT; the slot and the samples' bytes are the request's
  rtm_mixer_collect: { args: ["pointer"], returns: "i32" }, // -> finished slot or -1
  rtm_mixer_release: { args: ["pointer", "u32", "buffer", "f64"], returns: "i32" }, // (m, slot, record dst?, bytes) -> 0 | RELEASE
  rtm_mixer_drain: { args: ["pointer"], returns: "void" },
  rtm_mixer_process: { args: ["pointer", "buffer", "f64", "buffer", "f64", "u32", "f64", "f64", "f64", "u32"], returns: "i32" }, // (m, in?, bytes, out?, bytes, frames, current, adc, dac, flags)
  rtm_sample_create: { args: ["buffer", "f64"], returns: "pointer" }, // (samples, bytes) -> Sample* (one reference)
  rtm_sample_unref: { args: ["pointer"], returns: "void" },

  // Resampling (zig/resample.zig), on the calling thread
  rtm_resample: { args: ["buffer", "f64", "f64", "u32", "f64", "f64", "u32", "buffer", "f64"], returns: "f64" }, // (src, bytes, frames, channels, rate_in, rate_out, quality, dst, bytes) -> frames | -1 | -2

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
  rtm_pa_device_info: { args: ["i32", "buffer", "u32"], returns: "i32" }, // (index, f64[DEVICE.count], bytes)
  rtm_pa_device_name: { args: ["i32", "buffer", "u32"], returns: "i32" }, // (index, dst, capacity) -> length
  rtm_pa_host_api_count: { args: [], returns: "i32" },
  rtm_pa_default_host_api: { args: [], returns: "i32" },
  rtm_pa_host_api_info: { args: ["i32", "buffer", "u32"], returns: "i32" }, // (index, f64[HOST_API.count], bytes)
  rtm_pa_host_api_name: { args: ["i32", "buffer", "u32"], returns: "i32" }, // (index, dst, capacity) -> length
  rtm_pa_check_settings: { args: ["buffer", "u32"], returns: "i32" }, // (f64[PARAMS.count], bytes) -> 0 | PaError
  rtm_stream_create: { args: [], returns: "pointer" }, // -> Stream* (unopened) | null
  rtm_stream_open: { args: ["pointer", "buffer", "u32"], returns: "i32" }, // (s, f64[PARAMS.count], bytes) -> 0 | PaError
  rtm_stream_close: { args: ["pointer"], returns: "i32" }, // idempotent; frees the mixer once PortAudio closed the stream
  rtm_stream_destroy: { args: ["pointer"], returns: "void" }, // closes if open, frees the handle
  rtm_stream_mixer: { args: ["pointer"], returns: "pointer" }, // -> Mixer* | null when closed
  rtm_stream_start: { args: ["pointer"], returns: "i32" },
  rtm_stream_stop: { args: ["pointer"], returns: "i32" },
  rtm_stream_abort: { args: ["pointer"], returns: "i32" },
  rtm_stream_is_active: { args: ["pointer"], returns: "i32" }, // -> 1 | 0 | PaError
  rtm_stream_is_stopped: { args: ["pointer"], returns: "i32" }, // -> 1 | 0 | PaError
  rtm_stream_time: { args: ["pointer"], returns: "f64" },
  rtm_stream_cpu_load: { args: ["pointer"], returns: "f64" },
  rtm_stream_info: { args: ["pointer", "buffer", "u32"], returns: "i32" }, // (s, f64[STREAM_INFO.count], bytes)
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

/** The functions of a symbol table. */
export type SymbolsOf<T extends Record<string, Signature>> = {
  [K in keyof T]: (...args: Args<T[K]["args"]>) => ReturnType<T[K]["returns"]>;
};

/** An opened library. */
export interface Opened<T extends Record<string, Signature>> {
  symbols: SymbolsOf<T>;
  close(): void;
}

/** The library's functions, typed from the table above. */
export type Symbols = SymbolsOf<typeof symbols>;

/** What each runtime adapter provides; nothing outside `src/ffi/` knows which runtime runs. */
export interface Runtime {
  readonly name: "bun" | "deno";
  /** Opens the library at `path` with the table above, or with `table`. */
  open(path: string): Opened<typeof symbols>;
  open<T extends Record<string, Signature>>(path: string, table: T): Opened<T>;
  /**
   * An ArrayBuffer over `byteLength` bytes of native memory at `pointer` (no copy). Whoever frees
   * that memory detaches the buffer first (validate.ts `takeBack`).
   */
  view(pointer: Pointer, byteLength: number): ArrayBuffer;
  /** The address as a number, for identity checks and messages. */
  address(pointer: Pointer | null): number;
  env(name: string): string | undefined;
  exists(path: string): boolean;
  /** Lets a timer not keep the process alive. */
  unrefTimer(timer: unknown): void;
  /** Runs `fn` once when the process (or, in Deno, the worker) exits normally. */
  onExit(fn: () => void): void;
  readonly os: "linux" | "darwin" | "windows";
  readonly arch: "x64" | "arm64";
}
