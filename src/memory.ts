/** The native memory rtmixer holds: for monitoring a long-running program, and for leak tests. */
import { native } from "./ffi/mod.ts";
import { MEMORY } from "./ffi/layout.ts";

/** Native memory held by rtmixer. */
export interface MemoryUsage {
  /** Live native allocations: action buffers, ring buffers, samples, streams, mixers. */
  allocations: number;
  /** Their total size in bytes. */
  bytes: number;
}

/**
 * The native memory rtmixer holds right now (JavaScript objects not included). Actions give
 * theirs back once they have finished and been collected; ring buffers, samples and streams
 * when disposed or closed (or collected, and no action uses them any more).
 *
 * ```ts
 * console.log(memoryUsage()); // { allocations: 12, bytes: 1581248 }
 * ```
 */
export function memoryUsage(): MemoryUsage {
  const out = new Float64Array(MEMORY.count);
  if (native().rtm_memory_usage(out, MEMORY.count * 8) !== 0) throw new Error("internal error: memory usage not reported");
  return { allocations: out[MEMORY.allocations], bytes: out[MEMORY.bytes] };
}
