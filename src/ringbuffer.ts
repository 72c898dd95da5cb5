/**
 * PortAudio's single-reader single-writer lock-free ring buffer, shared between JavaScript and
 * the audio callback. One side writes, the other reads; each may be JavaScript or native code.
 */
import { native, type Pointer, runtime } from "./ffi/mod.ts";
import { RING } from "./ffi/layout.ts";
import * as v from "./validate.ts";

const SIZE_MAX = 2 ** 30;

const registry = new FinalizationRegistry<Pointer>((header) => native().rtm_ringbuffer_destroy(header));

/**
 * A lock-free ring buffer of `size` elements of `elementSize` bytes (rtmixer's `RingBuffer`).
 *
 * ```ts
 * using ring = new RingBuffer(8, 1024);          // 1024 stereo float32 frames
 * ring.write(new Float32Array([0.1, -0.1]));     // 1 element written
 * const [n, first, second] = ring.getReadBuffers(16); // zero-copy views
 * ring.advanceReadIndex(n);
 * ```
 */
export class RingBuffer {
  /** Bytes per element. */
  readonly elementSize: number;
  /** Number of elements (a power of two); all of them are usable. */
  readonly size: number;
  #header: Pointer | null;
  #headerU32: Uint32Array;
  /**
   * The ring's data. Normally native memory (the audio thread must never read memory that a
   * JavaScript engine may free, as Deno does while exiting on an uncaught error); it is freed
   * when this ArrayBuffer and every view on it are collected, so views never dangle. A caller's
   * `buffer` is used in place instead.
   */
  #data: Uint8Array;
  #lent: boolean;
  #users = 0;
  #disposeWhenUnused = false;

  /**
   * A ring of `size` elements of `elementSize` bytes in native memory, or over `buffer`.
   *
   * @param elementSize bytes per element (for audio: channels × 4)
   * @param size number of elements, a power of two; omit it when passing `buffer`
   * @param buffer memory to use in place (its byte length / elementSize must be a power of two)
   */
  constructor(elementSize: number, size?: number, buffer?: ArrayBufferView | ArrayBuffer | SharedArrayBuffer) {
    this.elementSize = v.integer("elementSize", elementSize, 1, 2 ** 24);
    if ((size === undefined) === (buffer === undefined)) {
      throw new TypeError("RingBuffer needs exactly one of size and buffer");
    }
    let lent: Uint8Array | null = null;
    if (buffer === undefined) {
      this.size = checkSize("size", v.integer("size", size, 1, SIZE_MAX));
    } else {
      lent = v.bytes("buffer", buffer);
      if (lent.byteLength % this.elementSize !== 0) {
        throw new RangeError(
          `buffer length (${lent.byteLength} bytes) must be a multiple of elementSize (${this.elementSize})`,
        );
      }
      this.size = checkSize("buffer length / elementSize", lent.byteLength / this.elementSize);
    }
    const header = native().rtm_ringbuffer_create(this.elementSize, this.size, lent && runtime.pointerOf(lent));
    if (header === null) throw new RangeError(`RingBuffer of ${this.size} × ${this.elementSize} bytes could not be created`);
    this.#header = header;
    this.#headerU32 = new Uint32Array(runtime.view(header, RING.bytes));
    this.#lent = lent !== null;
    if (lent) {
      this.#data = lent;
      registry.register(this, header, this);
    } else {
      const memory = runtime.view(native().rtm_ringbuffer_data(header)!, this.size * this.elementSize);
      this.#data = new Uint8Array(memory);
      registry.register(memory, header);
    }
  }

  /** Number of elements available for reading. */
  get readAvailable(): number {
    return native().rtm_ringbuffer_read_available(this.#live());
  }

  /** Number of elements that can be written. */
  get writeAvailable(): number {
    return native().rtm_ringbuffer_write_available(this.#live());
  }

  /** Empties the ring. Only while neither side is reading or writing. */
  flush(): void {
    native().rtm_ringbuffer_flush(this.#live());
  }

  /**
   * Copies elements from `data` in; returns how many were written (fewer if the ring is full).
   * @param size elements to write; default: all of `data`
   */
  write(data: ArrayBufferView | ArrayBuffer, size?: number): number {
    const header = this.#live();
    const bytes = this.#elements("data", data);
    const count = this.#count("size", size, bytes.byteLength / this.elementSize);
    return count === 0 ? 0 : native().rtm_ringbuffer_write(header, bytes, count);
  }

  /**
   * Reads up to `size` elements (default: all available) into a new Uint8Array.
   */
  read(size?: number): Uint8Array {
    const header = this.#live();
    const available = native().rtm_ringbuffer_read_available(header);
    const count = size === undefined ? available : Math.min(v.integer("size", size, 0, SIZE_MAX), available);
    const out = new Uint8Array(count * this.elementSize);
    if (count > 0) native().rtm_ringbuffer_read(header, out, count);
    return out;
  }

  /** Reads as many elements as fit into `data`; returns how many were read. */
  readInto(data: ArrayBufferView | ArrayBuffer): number {
    const header = this.#live();
    const bytes = this.#elements("data", data);
    const count = bytes.byteLength / this.elementSize;
    return count === 0 ? 0 : native().rtm_ringbuffer_read(header, bytes, count);
  }

  /**
   * Free space for up to `size` elements, as `[count, first, second]`: `count` elements fit,
   * the first part in `first`, the rest (after wrap-around) in `second`. Both are views on the
   * ring's memory (no copy). Fill them, then call {@link advanceWriteIndex}.
   */
  getWriteBuffers(size: number): [number, Uint8Array, Uint8Array] {
    const header = this.#live();
    const count = native().rtm_ringbuffer_get_write_regions(header, v.integer("size", size, 0, SIZE_MAX));
    return this.#parts(count, this.#headerU32[RING.writeStartU32]);
  }

  /**
   * Readable data, up to `size` elements, as `[count, first, second]` views on the ring's memory.
   * Read them, then call {@link advanceReadIndex}.
   */
  getReadBuffers(size: number): [number, Uint8Array, Uint8Array] {
    const header = this.#live();
    const count = native().rtm_ringbuffer_get_read_regions(header, v.integer("size", size, 0, SIZE_MAX));
    return this.#parts(count, this.#headerU32[RING.readStartU32]);
  }

  /** Publishes `size` elements written through {@link getWriteBuffers}; returns the new write index. */
  advanceWriteIndex(size: number): number {
    const header = this.#live();
    const index = native().rtm_ringbuffer_advance_write_index(header, v.integer("size", size, 0, SIZE_MAX));
    if (index < 0) throw new RangeError(`size (${size}) exceeds writeAvailable (${this.writeAvailable})`);
    return index;
  }

  /** Frees `size` elements read through {@link getReadBuffers}; returns the new read index. */
  advanceReadIndex(size: number): number {
    const header = this.#live();
    const index = native().rtm_ringbuffer_advance_read_index(header, v.integer("size", size, 0, SIZE_MAX));
    if (index < 0) throw new RangeError(`size (${size}) exceeds readAvailable (${this.readAvailable})`);
    return index;
  }

  /**
   * Ends the ring's use: every later call throws. Its memory is freed once no action uses it
   * and no view from `getWriteBuffers`/`getReadBuffers` is left (those stay valid until then).
   */
  [Symbol.dispose](): void {
    if (this.#header === null || this.#disposeWhenUnused) return;
    if (this.#users > 0) {
      // An action still uses the ring on the audio thread: free it when the last one returns.
      this.#disposeWhenUnused = true;
      return;
    }
    this.#destroy();
  }

  /** Whether {@link Symbol.dispose} was called. */
  get disposed(): boolean {
    return this.#header === null || this.#disposeWhenUnused;
  }

  /** @internal The native header, for actions; counts the action as a user. */
  _acquire(): Pointer {
    const header = this.#live();
    this.#users++;
    return header;
  }

  /** @internal An action that used the ring has returned. */
  _release(): void {
    this.#users--;
    if (this.#users === 0 && this.#disposeWhenUnused) this.#destroy();
  }

  #destroy(): void {
    const header = this.#header!;
    this.#header = null;
    // Native data is freed with its last view (see #data); a lent buffer's header goes now.
    if (this.#lent) {
      registry.unregister(this);
      native().rtm_ringbuffer_destroy(header);
    }
  }

  #live(): Pointer {
    if (this.#header === null || this.#disposeWhenUnused) throw new TypeError("RingBuffer is disposed");
    return this.#header;
  }

  #elements(name: string, data: unknown): Uint8Array {
    const bytes = v.bytes(name, data);
    if (bytes.byteLength % this.elementSize !== 0) {
      throw new RangeError(
        `${name} length (${bytes.byteLength} bytes) must be a multiple of elementSize (${this.elementSize})`,
      );
    }
    return bytes;
  }

  #count(name: string, value: number | undefined, max: number): number {
    if (value === undefined) return max;
    v.integer(name, value, 0, SIZE_MAX);
    if (value > max) throw new RangeError(`${name} (${value}) exceeds the ${max} elements in data`);
    return value;
  }

  #parts(count: number, start: number): [number, Uint8Array, Uint8Array] {
    const first = Math.min(count, this.size - start);
    const es = this.elementSize;
    return [
      count,
      this.#data.subarray(start * es, (start + first) * es),
      this.#data.subarray(0, (count - first) * es),
    ];
  }
}

function checkSize(name: string, size: number): number {
  if (size < 1 || size > SIZE_MAX || (size & (size - 1)) !== 0) {
    throw new RangeError(`${name} must be a power of two from 1 to 2**30, got ${size}`);
  }
  return size;
}
