/**
 * Hostile-but-legal JavaScript values for tests/safety.test.ts: typed arrays whose accessors lie,
 * look-alikes, Proxies, options objects whose getters run code, and the means to check what
 * native code really read or wrote (the true memory, seen through a plain view made beforehand).
 */
import { type MemoryUsage, memoryUsage } from "../../mod.ts";
import { forceGc } from "./gc.ts";
import { sleep } from "./jack.ts";

/** The error `fn` throws (or the rejection of the promise it returns), else undefined. */
export async function caughtAsync(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error `fn` throws synchronously, else undefined. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** 1, 2, 3, ... `n` as float32 (exact), so misplaced or foreign samples show. */
export function ramp(n: number, first = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => first + i);
}

/** What a lying accessor does when read. */
export type LieFn = () => unknown;

/** A set of lies for the four accessors that describe a typed array's memory. */
export interface Lie {
  name: string;
  length: LieFn;
  byteLength: LieFn;
  byteOffset: LieFn;
  buffer: LieFn;
}

const thrower = (what: string): LieFn => () => {
  throw new Error(`lying ${what} getter ran`);
};

/** A foreign buffer full of 99s: a library that believed a lying `buffer` would play 99s. */
export const FOREIGN = new Float32Array(1 << 16).fill(99);

export const LIES: Lie[] = [
  {
    name: "huge",
    length: () => 2 ** 40,
    byteLength: () => 2 ** 42,
    byteOffset: () => 2 ** 41,
    buffer: () => new ArrayBuffer(1 << 20),
  },
  { name: "negative", length: () => -1, byteLength: () => -4, byteOffset: () => -4096, buffer: () => FOREIGN.buffer },
  { name: "NaN", length: () => NaN, byteLength: () => NaN, byteOffset: () => NaN, buffer: () => null },
  {
    name: "throwing",
    length: thrower("length"),
    byteLength: thrower("byteLength"),
    byteOffset: thrower("byteOffset"),
    buffer: thrower("buffer"),
  },
  {
    name: "another buffer",
    length: () => FOREIGN.length,
    byteLength: () => FOREIGN.byteLength,
    byteOffset: () => 0,
    buffer: () => FOREIGN.buffer,
  },
  {
    name: "odd offset and fractional length",
    length: () => 2.5,
    byteLength: () => 10,
    byteOffset: () => 1,
    buffer: () => new SharedArrayBuffer(16),
  },
];

/**
 * A real Float32Array of `length` samples at `byteOffset` in `memory`, whose class lies about its
 * memory (prototype accessors) and whose instance lies too (own properties, shadowing them).
 */
export function liar(memory: ArrayBufferLike, byteOffset: number, length: number, lie: Lie): Float32Array {
  class Liar extends Float32Array {
    override get length(): number {
      return lie.length() as number;
    }
    override get byteLength(): number {
      return lie.byteLength() as number;
    }
    override get byteOffset(): number {
      return lie.byteOffset() as number;
    }
    override get buffer(): ArrayBuffer {
      return lie.buffer() as ArrayBuffer;
    }
  }
  const x = new Liar(memory as ArrayBuffer, byteOffset, length);
  for (const key of ["length", "byteLength", "byteOffset", "buffer"] as const) {
    Object.defineProperty(x, key, { get: lie[key], configurable: true });
  }
  Object.defineProperty(x, "subarray", { value: () => FOREIGN });
  Object.defineProperty(x, Symbol.toStringTag, { get: () => "Float32Array" });
  return x;
}

/**
 * `count` samples at sample `offset` in a buffer of `total` samples filled with `sentinel`: the
 * memory around the view shows any read or write past it.
 */
export function island(
  total: number,
  offset: number,
  count: number,
  sentinel = 7,
): { memory: ArrayBuffer; whole: Float32Array; view: Float32Array } {
  const memory = new ArrayBuffer(total * 4);
  const whole = new Float32Array(memory).fill(sentinel);
  return { memory, whole, view: new Float32Array(memory, offset * 4, count) };
}

/** An options object whose getter for `key` runs `effect` and then returns `value`. */
export function getterOptions(key: string, value: unknown, effect: () => void): Record<string, unknown> {
  return {
    get [key]() {
      effect();
      return value;
    },
  };
}

/** A Proxy of the channel list `channels` whose `length` read runs `effect` (once). */
export function channelsProxy(channels: number[], effect: () => void): number[] {
  let ran = false;
  return new Proxy(channels, {
    get(target, key, receiver) {
      if (key === "length" && !ran) {
        ran = true;
        effect();
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

/** A revoked Proxy (every operation on it throws, even Array.isArray). */
export function revoked(target: object): object {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** A Proxy whose every trap throws `trap <name> ran`. */
export function trapsThrow(target: object): object {
  const handler: ProxyHandler<object> = {};
  for (
    const trap of [
      "get",
      "set",
      "has",
      "ownKeys",
      "getPrototypeOf",
      "getOwnPropertyDescriptor",
      "defineProperty",
      "deleteProperty",
      "isExtensible",
      "preventExtensions",
      "setPrototypeOf",
      "apply",
      "construct",
    ] as const
  ) {
    (handler as Record<string, unknown>)[trap] = () => {
      throw new Error(`trap ${trap} ran`);
    };
  }
  return new Proxy(target, handler);
}

/** A resizable ArrayBuffer (ES2024), or undefined where the runtime has none. */
export function resizable(bytes: number, max: number): ArrayBuffer {
  return new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(bytes, {
    maxByteLength: max,
  });
}

/** A growable SharedArrayBuffer (ES2024). */
export function growable(bytes: number, max: number): SharedArrayBuffer {
  return new (SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer)(
    bytes,
    {
      maxByteLength: max,
    },
  );
}

/** A Float32Array whose ArrayBuffer has been transferred away (detached). */
export function detachedF32(n = 8): Float32Array {
  const x = new Float32Array(n);
  (x.buffer as ArrayBuffer).transfer();
  return x;
}

/** Forces garbage collection repeatedly, letting finalizers run in between. */
export async function collect(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    forceGc();
    await sleep(10);
  }
}

/**
 * Native memory as it stands once garbage left by earlier tests is collected: a baseline that a
 * later collection cannot move (a reading taken with such garbage about never comes back).
 */
export async function baseline(): Promise<MemoryUsage> {
  let last = memoryUsage();
  for (let i = 0; i < 50; i++) {
    forceGc();
    await sleep(10);
    const now = memoryUsage();
    if (now.allocations === last.allocations && now.bytes === last.bytes) return now;
    last = now;
  }
  return last;
}

/**
 * Native memory back at `baseline`: at once if everything was disposed, else after collections
 * (finalizers run asynchronously). Returns what it settled at.
 */
export async function settles(baseline: MemoryUsage, ms = 5000): Promise<MemoryUsage> {
  const end = Date.now() + ms;
  for (;;) {
    const now = memoryUsage();
    if ((now.allocations === baseline.allocations && now.bytes === baseline.bytes) || Date.now() > end) return now;
    forceGc();
    await sleep(20);
  }
}

/** The JSON lines a child script printed (each `console.log(JSON.stringify(...))`). */
export function jsonLines(stdout: string): unknown[] {
  return stdout.split("\n").filter((l) => l.startsWith("{") || l.startsWith("[")).map((l) => JSON.parse(l));
}
