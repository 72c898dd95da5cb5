/** Argument checks shared by the public API: each names the argument and what it accepts. */

/** An integer in [min, max]; throws TypeError for non-numbers, RangeError otherwise. */
export function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be an integer number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A finite number in [min, max]. */
export function finite(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a finite number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

/** Any ArrayBuffer view or ArrayBuffer, as bytes over the same memory (no copy). */
export function bytes(name: string, value: unknown): Uint8Array {
  if (ArrayBuffer.isView(value)) {
    checkNotResizable(name, value.buffer);
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer || isSharedArrayBuffer(value)) {
    checkNotResizable(name, value as ArrayBufferLike);
    return new Uint8Array(value as ArrayBufferLike);
  }
  throw new TypeError(`${name} must be an ArrayBuffer or an ArrayBuffer view (typed array, DataView), got ${describe(value)}`);
}

function isSharedArrayBuffer(value: unknown): boolean {
  return typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer;
}

function checkNotResizable(name: string, buffer: ArrayBufferLike): void {
  // Native code keeps addresses; memory that can grow, shrink or move cannot be lent to it.
  const b = buffer as { resizable?: boolean; growable?: boolean; detached?: boolean };
  if (b.resizable || b.growable) throw new TypeError(`${name} must not use a resizable or growable ArrayBuffer`);
  if (b.detached) throw new TypeError(`${name} uses a detached ArrayBuffer`);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === "object") return `a ${(value as object).constructor?.name ?? "object"}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** An options object (or undefined, meaning {}); with `allowed`, other keys are an error (typos). */
export function options<T extends object>(
  name: string,
  value: T | undefined | unknown,
  allowed?: readonly string[],
): Partial<T> & Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  if (allowed) {
    const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) {
      throw new TypeError(`${name}: unknown option ${unknown.map((k) => JSON.stringify(k)).join(", ")} (allowed: ${allowed.join(", ")})`);
    }
  }
  return value as Partial<T> & Record<string, unknown>;
}
