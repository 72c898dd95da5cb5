/**
 * Offsets of native structs that TypeScript reads through views, in one place. Zig asserts the
 * same offsets at compile time (see the `comptime` blocks next to each struct).
 */

/** zig/ringbuffer.zig `RingBuffer`, in u32 units. */
export const RING = {
  bytes: 192,
  writeStartU32: 1,
  readStartU32: 17,
} as const;
