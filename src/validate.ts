/**
 * Reading arguments at the boundary with native code. JavaScript can fake a `length`, run code
 * in a getter, hand over a Proxy, or detach an ArrayBuffer, so every size, offset and memory
 * that reaches native code is read here once, through the engine's own intrinsics (the
 * `%TypedArray%.prototype`, `DataView.prototype` and `ArrayBuffer.prototype` getters, saved when
 * this module loads), never through the object's own properties. Options and channel lists are
 * copied once into plain values (their getters and Proxy traps run then, and only then), so the
 * caller can validate the copy and check that its stream is still open before any native call.
 *
 * Every check names the argument and what it accepts.
 */

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const functionCall = Function.prototype.call;
/**
 * `fn` as a plain function of its receiver, immune to a later replacement of
 * `Function.prototype.call`: `fn` gets a `call` of its own, the original, fixed. (Not a bound
 * function: JavaScriptCore calls those several times slower, and these run on every action.)
 */
const uncurry = <T>(fn: (this: unknown) => T): (self: unknown) => T => {
  if (Object.getOwnPropertyDescriptor(fn, "call")?.value !== functionCall) {
    Object.defineProperty(fn, "call", { value: functionCall, writable: false, enumerable: false, configurable: false });
  }
  return (self) => fn.call(self);
};
const getter = <T>(proto: object, key: PropertyKey): (self: unknown) => T =>
  uncurry(Object.getOwnPropertyDescriptor(proto, key)!.get as (this: unknown) => T);

const typedArrayTag = getter<string | undefined>(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayLength = getter<number>(TypedArrayPrototype, "length");
const typedArrayByteLength = getter<number>(TypedArrayPrototype, "byteLength");
const typedArrayByteOffset = getter<number>(TypedArrayPrototype, "byteOffset");
const typedArrayBuffer = getter<ArrayBufferLike>(TypedArrayPrototype, "buffer");
const dataViewByteLength = getter<number>(DataView.prototype, "byteLength");
const dataViewByteOffset = getter<number>(DataView.prototype, "byteOffset");
const dataViewBuffer = getter<ArrayBufferLike>(DataView.prototype, "buffer");
const arrayBufferByteLength = getter<number>(ArrayBuffer.prototype, "byteLength");
const arrayBufferDetached = getter<boolean>(ArrayBuffer.prototype, "detached");
const arrayBufferResizable = getter<boolean>(ArrayBuffer.prototype, "resizable");
const sharedByteLength = getter<number>(SharedArrayBuffer.prototype, "byteLength");
const sharedGrowable = getter<boolean>(SharedArrayBuffer.prototype, "growable");
const typedArraySet = (TypedArrayPrototype as { set(this: unknown, source: unknown): void }).set;
uncurry(typedArraySet as (this: unknown) => unknown); // pins its `call`
const transfer = ArrayBuffer.prototype.transfer;
uncurry(transfer as (this: unknown) => unknown); // pins its `call`
const transferArrayBuffer = (self: ArrayBuffer, length: number): ArrayBuffer => transfer.call(self, length);
const arrayIsArray = Array.isArray;
const defineProperty = Object.defineProperty;

/**
 * Array.isArray, which throws for a revoked Proxy: then a TypeError naming the argument instead
 * of the runtime's own message.
 */
export function isArray(name: string, value: unknown): boolean {
  try {
    return arrayIsArray(value);
  } catch {
    throw new TypeError(`${name} is a revoked Proxy`);
  }
}
const objectKeys = Object.keys;
const numberIsInteger = Number.isInteger;
const numberIsFinite = Number.isFinite;

/** Memory described by the engine itself: what native code may touch, and nothing else. */
export interface Memory {
  /** The typed array or DataView passed (or a Uint8Array over a passed ArrayBuffer). */
  readonly view: ArrayBufferView;
  /** Its element type: `"Float32Array"`, `"Uint8Array"`, `"DataView"`, ... */
  readonly type: string;
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  /** Elements (bytes for a DataView or ArrayBuffer). */
  readonly length: number;
  /** Whether the memory is a SharedArrayBuffer's (it cannot be detached). */
  readonly shared: boolean;
}

/** A test for a kind of object by a getter that throws for anything else (Proxies included). */
const recognisedBy = <T>(getter: (self: unknown) => unknown) => (value: unknown): value is T => {
  try {
    getter(value);
    return true;
  } catch {
    return false;
  }
};

/** Whether `value` is an ArrayBuffer (not shared), without touching its own properties. */
const isArrayBuffer = recognisedBy<ArrayBuffer>(arrayBufferByteLength);
const isSharedArrayBuffer = recognisedBy<SharedArrayBuffer>(sharedByteLength);
const isDataView = recognisedBy<DataView>(dataViewByteLength);

/** Whether an ArrayBuffer (not shared) is detached: transferred, or taken back. */
export function isDetached(buffer: ArrayBufferLike): boolean {
  return isArrayBuffer(buffer) && arrayBufferDetached(buffer);
}

/**
 * Detaches `buffer` (an ArrayBuffer over native memory) and every view on it, so that no
 * JavaScript can reach that memory once it is freed. False if it was detached already: then
 * someone else transferred it and may still reach the memory.
 */
export function takeBack(buffer: ArrayBuffer): boolean {
  if (arrayBufferDetached(buffer)) return false;
  transferArrayBuffer(buffer, 0);
  return true;
}

/**
 * The memory of a typed array, DataView, ArrayBuffer or SharedArrayBuffer, read through the
 * intrinsics. Refused: anything else (Proxies included), detached and resizable or growable
 * buffers (native code keeps addresses; memory that can grow, shrink or move cannot be lent).
 * With `type`, only typed arrays of that type are accepted.
 */
export function memory(name: string, value: unknown, type?: string, expected?: string, mayResize = false): Memory {
  const tag = typedArrayTag(value);
  let m: Memory;
  // (A view's buffer, from the intrinsic getter, is a real ArrayBuffer or SharedArrayBuffer: the
  // first test tells them apart without an exception in the common case.)
  if (tag !== undefined) {
    const buffer = typedArrayBuffer(value); // in Bun this also moves a small array's storage out of the GC heap
    m = {
      view: value as ArrayBufferView,
      type: tag,
      buffer,
      byteOffset: typedArrayByteOffset(value),
      byteLength: typedArrayByteLength(value),
      length: typedArrayLength(value),
      shared: !isArrayBuffer(buffer),
    };
  } else if (type === undefined && isDataView(value)) {
    const buffer = dataViewBuffer(value);
    const byteLength = dataViewByteLength(value);
    m = {
      view: value,
      type: "DataView",
      buffer,
      byteOffset: dataViewByteOffset(value),
      byteLength,
      length: byteLength,
      shared: !isArrayBuffer(buffer),
    };
  } else if (type === undefined && (isArrayBuffer(value) || isSharedArrayBuffer(value))) {
    checkBuffer(name, value, !isArrayBuffer(value), mayResize);
    const view = new Uint8Array(value);
    m = {
      view,
      type: "Uint8Array",
      buffer: value,
      byteOffset: 0,
      byteLength: view.byteLength,
      length: view.byteLength,
      shared: !isArrayBuffer(value),
    };
  } else {
    throw new TypeError(
      `${name} must be ${
        expected ??
          (type ? `a ${type}` : "an ArrayBuffer, a SharedArrayBuffer or a view of one (typed array, DataView)")
      }, got ${describe(value)}`,
    );
  }
  if (type !== undefined && m.type !== type) {
    throw new TypeError(`${name} must be ${expected ?? `a ${type}`}, got ${describe(value)}`);
  }
  checkBuffer(name, m.buffer, m.shared, mayResize);
  return m;
}

/** Refuses detached memory, and (unless `mayResize`) memory that may grow or shrink later. */
function checkBuffer(name: string, buffer: ArrayBufferLike, shared: boolean, mayResize: boolean): void {
  if (shared) {
    if (!mayResize && sharedGrowable(buffer)) {
      throw new TypeError(`${name} must not use a growable SharedArrayBuffer (it is kept beyond the call)`);
    }
    return;
  }
  if (arrayBufferDetached(buffer)) throw new TypeError(`${name} uses a detached ArrayBuffer (it was transferred)`);
  if (!mayResize && arrayBufferResizable(buffer)) {
    throw new TypeError(`${name} must not use a resizable ArrayBuffer (it is kept beyond the call)`);
  }
}

/** A Float32Array's memory (see {@link memory}). */
export function float32(name: string, value: unknown, expected?: string): Memory {
  return memory(name, value, "Float32Array", expected);
}

/** Memory that native code uses during one call only (it keeps no pointer to it). */
export interface Transient {
  /** The typed array passed (or a Uint8Array over a passed ArrayBuffer or DataView). */
  readonly view: ArrayBufferView;
  readonly byteLength: number;
  /** Elements (bytes for a DataView or ArrayBuffer). */
  readonly length: number;
}

/**
 * The memory of a value that native code reads or writes during this call only: the same checks
 * as {@link memory}, on the fast path of a typed array. Such memory may be resizable or growable
 * (its size is read now, and no code runs before the call), and it is detached only if it reports
 * no bytes, so only then is the buffer looked at.
 */
export function transient(name: string, value: unknown, type?: string, expected?: string): Transient {
  const tag = typedArrayTag(value);
  if (tag === undefined || (type !== undefined && tag !== type)) {
    const m = memory(name, value, type, expected, true); // a DataView or buffer, or the error
    return { view: m.view, byteLength: m.byteLength, length: m.length };
  }
  const byteLength = typedArrayByteLength(value);
  if (byteLength === 0 && isDetached(typedArrayBuffer(value))) {
    throw new TypeError(`${name} uses a detached ArrayBuffer (it was transferred)`);
  }
  // (Not byteLength / a table lookup by tag: JavaScriptCore hashes the tag string each time.)
  return {
    view: value as ArrayBufferView,
    byteLength,
    length: tag === "Float32Array" ? byteLength / 4 : typedArrayLength(value),
  };
}

/**
 * Copies the elements of `source` into the start of `target` (a typed array of the same type, at
 * least as long) with the engine's own `%TypedArray%.prototype.set`: nothing of the source's own
 * (a `length`, an index getter) is read.
 */
export function copyInto(target: ArrayBufferView, source: ArrayBufferView): void {
  typedArraySet.call(target, source);
}

/** Whether `m` still has the memory it had when read: not detached since (user code may have run). */
export function stillAttached(m: Memory): boolean {
  return m.shared || !arrayBufferDetached(m.buffer);
}

/** An integer in [min, max]; throws TypeError for non-numbers, RangeError otherwise. */
export function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be an integer number, got ${describe(value)}`);
  }
  if (!numberIsInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A finite number in [min, max]. */
export function finite(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!numberIsFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a finite number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

/**
 * What `value` is, for messages, without running any of its code where avoidable (a Proxy's
 * traps still may; the message is about to be thrown then, so nothing depends on them).
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  }
  if (typeof value === "function") return "a function";
  if (typeof value !== "object") return `${typeof value} ${String(value)}`;
  const tag = typedArrayTag(value);
  if (tag !== undefined) return `a ${tag}`;
  if (isArrayBuffer(value)) return "an ArrayBuffer";
  if (isSharedArrayBuffer(value)) return "a SharedArrayBuffer";
  if (isDataView(value)) return "a DataView";
  try {
    if (arrayIsArray(value)) return "an array";
    const proto = Object.getPrototypeOf(value);
    if (proto === null) return "an object with a null prototype";
    const ctor = Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
    const ctorName = typeof ctor === "function" ? Object.getOwnPropertyDescriptor(ctor, "name")?.value : undefined;
    if (typeof ctorName !== "string" || ctorName === "") return "an object";
    // Real typed arrays and buffers were recognised above: this only looks like one.
    if (/^(?:(?:Big)?(?:Int|Uint|Float)\d+(?:Clamped)?Array|ArrayBuffer|SharedArrayBuffer|DataView)$/.test(ctorName)) {
      return `an imitation of ${
        /^[AEIOU]/.test(ctorName) ? "an" : "a"
      } ${ctorName} (a Proxy, or an object made from its prototype), not a real one`;
    }
    return `a ${ctorName}`;
  } catch {
    return "an object";
  }
}

/**
 * A copy of an options object (undefined means {}): each allowed key read once (its getter runs
 * then), unknown keys an error (typos). The copy has a null prototype and only data properties.
 */
export function options(
  name: string,
  value: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.create(null);
  if (value === undefined) return copy;
  checkOptionKeys(name, value, allowed, undefined);
  for (const key of allowed) copy[key] = (value as Record<string, unknown>)[key];
  return copy;
}

/** A set of option names, for {@link optionsGiven}: a table to look them up in, and the list. */
export interface OptionNames {
  readonly list: readonly string[];
  readonly table: Readonly<Record<string, true>>;
}

export function optionNames(list: readonly string[]): OptionNames {
  const table: Record<string, true> = Object.create(null);
  for (const key of list) table[key] = true;
  return Object.freeze({ list: Object.freeze([...list]), table: Object.freeze(table) });
}

/**
 * Whether an options argument is given (undefined is not): then it must be an object whose own
 * keys are all among `names` (the same checks and errors as {@link options}). For a reader that
 * copies the allowed keys itself, by name, into an object of fixed shape: each read once.
 */
export function optionsGiven(name: string, value: unknown, names: OptionNames): boolean {
  if (value === undefined) return false;
  checkOptionKeys(name, value, names.list, names.table);
  return true;
}

function checkOptionKeys(
  name: string,
  value: unknown,
  allowed: readonly string[],
  table: Readonly<Record<string, true>> | undefined,
): void {
  if (typeof value !== "object" || value === null || isArray(name, value) || typedArrayTag(value) !== undefined) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  let keys: string[];
  try {
    keys = objectKeys(value);
  } catch (cause) {
    throw new TypeError(`${name}: its keys could not be listed (a revoked Proxy, or a trap that threw)`, { cause });
  }
  // (A plain loop over the fresh array of keys: nothing the caller can replace runs here.)
  let known = true;
  for (let i = 0; i < keys.length; i++) {
    if (table === undefined ? !allowed.includes(keys[i]) : table[keys[i]] !== true) known = false;
  }
  if (known) return;
  const unknown = keys.filter((k) => !allowed.includes(k));
  throw new TypeError(
    `${name}: unknown option ${unknown.map((k) => JSON.stringify(k)).join(", ")} (allowed: ${allowed.join(", ")})`,
  );
}

/** One-element lists of integers, shared: frozen in content by convention (never written to). */
const singles = new Map<number, { channels: Int32Array; count: number }>();
function single(n: number): { channels: Int32Array; count: number } {
  let m = singles.get(n);
  if (m === undefined) singles.set(n, m = { channels: Int32Array.of(n), count: 1 });
  return m;
}

/**
 * A list of integers from `min` to `max` (an array, or anything `Array.isArray` accepts), read
 * once: its length, then each element, each checked as it is read, into a typed array (which no
 * accessor on Array.prototype can reach). At most `maxLength` elements, at least one.
 */
export function integers(
  name: string,
  value: unknown,
  maxLength: number,
  min: number,
  max: number,
  what: string,
): { channels: Int32Array; count: number } {
  if (!isArray(name, value)) throw new TypeError(`${name} must be an array, got ${describe(value)}`);
  const length = (value as unknown[]).length;
  if (typeof length !== "number" || !numberIsInteger(length) || length < 1 || length > maxLength) {
    throw new RangeError(
      `${name} must list 1 to ${maxLength} ${what}s, got ${typeof length === "number" ? length : describe(length)}`,
    );
  }
  if (length === 1) {
    // One channel, the common case: a shared read-only mapping (nothing writes to a mapping).
    const only = (value as unknown[])[0];
    if (typeof only !== "number" || !numberIsInteger(only) || only < min || only > max) {
      integer(`${name}[0] (${what})`, only, min, max);
    }
    return single(only as number);
  }
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const x = (value as unknown[])[i];
    // The argument's name is only put together for the error.
    out[i] = typeof x === "number" && numberIsInteger(x) && x >= min && x <= max
      ? x
      : integer(`${name}[${i}] (${what})`, x, min, max);
  }
  return { channels: out, count: length };
}

/**
 * A copy of a list (an array, or anything `Array.isArray` accepts): its length read once, each
 * element once. At most `max` elements.
 */
export function list(
  name: string,
  value: unknown,
  max: number,
  tooLong?: (first: unknown) => Error | undefined,
): unknown[] {
  if (!isArray(name, value)) throw new TypeError(`${name} must be an array, got ${describe(value)}`);
  const length = (value as unknown[]).length;
  if (typeof length === "number" && length > max && tooLong !== undefined) {
    // What the list holds may explain its length better (read once, as nothing else is read).
    const error = tooLong((value as unknown[])[0]);
    if (error !== undefined) throw error;
  }
  if (typeof length !== "number" || !numberIsInteger(length) || length < 0 || length > max) {
    throw new RangeError(
      `${name} must list at most ${max} entries, got ${typeof length === "number" ? length : describe(length)}`,
    );
  }
  // Own data properties, defined rather than assigned: an accessor someone put on
  // Array.prototype can neither intercept the copy nor change it later.
  const copy: unknown[] = [];
  for (let i = 0; i < length; i++) {
    defineProperty(copy, i, { value: (value as unknown[])[i], writable: true, enumerable: true, configurable: true });
  }
  return copy;
}
