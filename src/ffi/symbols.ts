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
export const ABI_VERSION = 1;

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
  rtm_mixer_submit: { args: ["pointer", "u32", "pointer", "pointer"], returns: "i32" }, // (m, slot, buffer?, ring?) -> 0 | SubmitError
  rtm_mixer_collect: { args: ["pointer"], returns: "i32" }, // -> finished slot or -1
  rtm_mixer_process: { args: ["pointer", "buffer", "buffer", "u32", "f64", "f64", "f64", "u32"], returns: "void" }, // (m, in?, out?, frames, current, adc, dac, flags)

  // Test support (zig/selftest.zig)
  rtm_test_ring_peer_start: { args: ["pointer", "f64", "u32"], returns: "pointer" }, // (rb, total, direction) -> Peer*
  rtm_test_ring_peer_join: { args: ["pointer"], returns: "f64" }, // -> elements out of sequence
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
  readonly os: "linux" | "darwin" | "windows";
  readonly arch: "x64" | "arm64";
}
