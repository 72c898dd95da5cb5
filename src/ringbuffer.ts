/**
 * PortAudio's single-reader single-writer lock-free ring buffer, shared between JavaScript and
 * the audio callback. One side writes, the other reads; each may be JavaScript or native code.
 */
import { native, type Pointer, runtime } from "./ffi/mod.ts";
import { LIMIT, RING, RING_STATUS } from "./ffi/layout.ts";
import * as v from "./validate.ts";

/**
 * What a ring's finalizer needs: its native header, and the ArrayBuffer over its native data
 * (null when the memory was lent).
 */
interface Native {
  header: Pointer;
  memory: ArrayBuffer | null;
}

/**
 * Gives up JavaScript's hold on a ring: takes back the ArrayBuffer over its native data
 * (detaching every view handed out, so none can reach the memory once it is freed) and drops the
 * owner's reference. If that ArrayBuffer was detached already, someone transferred it and may
 * still reach the data through the new one: then the data is never freed (rare, and hostile).
 */
function letGo({ header, memory }: Native): void {
  const lib = native();
  if (memory !== null && !v.takeBack(memory)) lib.rtm_ringbuffer_keep_data(header);
  lib.rtm_ringbuffer_unref(header);
}

const registry = new FinalizationRegistry<Native>(letGo);

/** Whether `value` is a real RingBuffer. */
export let isRingBuffer: (value: unknown) => value is RingBuffer;

/** What the engine reads of a RingBuffer, beyond the public API (not shadowable on an instance). */
export let ringInternals: {
  /** The native header, for an action (which takes its own reference); throws once disposed. */
  header(r: RingBuffer, name: string): Pointer;
  elementSize(r: RingBuffer): number;
  /** Throws unless an action may take the ring's `side`: native memory, that side free. */
  checkPlayable(r: RingBuffer, name: string, side: "reader" | "writer"): void;
};

/** What {@link Float32RingBuffer} uses of the RingBuffer it is (module-private, not shadowable). */
let core: {
  /** The native header; throws once disposed. */
  live(r: RingBuffer): Pointer;
  status(r: RingBuffer, value: number, call: string, side: "reader" | "writer" | "any"): number;
  /** The ring's data as the engine described it when the ring was made, and its size. */
  memory(r: RingBuffer): { buffer: ArrayBufferLike; byteOffset: number; byteLength: number; size: number };
  /** Up to `wanted` elements' regions on `side`: their count; throws if views cannot be made. */
  regions(r: RingBuffer, side: "reader" | "writer", wanted: number, call: string): number;
  /** Where the regions found by the last `regions` call on `side` begin (an element index). */
  start(r: RingBuffer, side: "reader" | "writer"): number;
  dispose(r: RingBuffer): void;
};

/**
 * A lock-free ring buffer of `size` elements of `elementSize` bytes (rtmixer's `RingBuffer`).
 *
 * ```ts
 * using ring = new RingBuffer(8, 1024);          // 1024 stereo float32 frames
 * ring.write(new Float32Array([0.1, -0.1]));     // 1 element written
 * const [n, first, second] = ring.getReadBuffers(16); // zero-copy views
 * ring.advanceReadIndex(n);
 * ```
 *
 * For audio, {@link Float32RingBuffer} is the same ring with `channels` instead of a byte
 * count, whose calls take and give Float32Arrays and count frames.
 *
 * Its memory is native, owned by the library: the audio thread never touches memory a
 * JavaScript engine may free, move or detach. The views that `getWriteBuffers` and
 * `getReadBuffers` return are detached when the ring is disposed or collected, so no view can
 * outlive the memory. Actions play or record one side each: while a play action uses a ring,
 * its reading side is the callback's and JavaScript's reading calls throw (likewise writing and
 * record actions), so there is only ever one reader and one writer.
 */
export class RingBuffer {
  readonly #elementSize: number;
  readonly #size: number;
  #native: Native | null;
  #headerU32: Uint32Array;
  /** The ring's data: a view on native memory, or on the SharedArrayBuffer lent as `buffer`. */
  #data: Uint8Array;
  /** The buffer under `#data` and its offset there, as the intrinsics reported them. */
  #buffer: ArrayBufferLike;
  #byteOffset: number;

  /**
   * A ring of `size` elements of `elementSize` bytes in native memory, or over `buffer`.
   *
   * @param elementSize bytes per element (for audio: channels × 4)
   * @param size number of elements, a power of two; omit it when passing `buffer`
   * @param buffer memory to use in place: a SharedArrayBuffer or a view of one (its byte length
   *   / elementSize a power of two). JavaScript can read and write such a ring, but no action can
   *   play or record it: the runtime frees a SharedArrayBuffer while exiting, maybe while the
   *   audio thread still runs. Omit `buffer` for a ring that actions can use.
   */
  constructor(elementSize: number, size?: number, buffer?: ArrayBufferView | SharedArrayBuffer) {
    this.#elementSize = v.integer("elementSize", elementSize, 1, LIMIT.elementSizeMax);
    if ((size === undefined) === (buffer === undefined)) {
      throw new TypeError("RingBuffer needs exactly one of size and buffer");
    }
    let lent: v.Memory | null = null;
    if (buffer === undefined) {
      this.#size = checkSize("size", v.integer("size", size, 1, LIMIT.ringSizeMax));
    } else {
      lent = v.memory("buffer", buffer, undefined);
      if (!lent.shared) {
        throw new TypeError(
          "buffer must be a SharedArrayBuffer or a view of one: other memory can be detached or freed by the " +
            "runtime while native code uses it. Omit buffer to get a ring in native memory (its views come from " +
            "getWriteBuffers and getReadBuffers).",
        );
      }
      if (lent.byteLength % this.#elementSize !== 0) {
        throw new RangeError(
          `buffer length (${lent.byteLength} bytes) must be a multiple of elementSize (${this.#elementSize})`,
        );
      }
      this.#size = checkSize("buffer length / elementSize", lent.byteLength / this.#elementSize);
    }
    const lib = native();
    const header = lib.rtm_ringbuffer_create(this.#elementSize, this.#size, lent?.view ?? null, lent?.byteLength ?? 0);
    const tooLarge = () => new RangeError(`size: a RingBuffer of ${this.#size} elements of ${this.#elementSize} bytes could not be created (out of memory)`);
    if (header === null) throw tooLarge();
    let memory: ArrayBuffer | null = null;
    try {
      this.#headerU32 = new Uint32Array(runtime.view(header, RING.bytes));
      if (lent) {
        this.#data = new Uint8Array(lent.buffer, lent.byteOffset, lent.byteLength);
        this.#buffer = lent.buffer;
        this.#byteOffset = lent.byteOffset;
      } else {
        memory = runtime.view(lib.rtm_ringbuffer_data(header)!, this.#size * this.#elementSize);
        this.#data = new Uint8Array(memory);
        this.#buffer = memory;
        this.#byteOffset = 0;
      }
    } catch (cause) {
      // The runtime could not map that much native memory: give it back.
      lib.rtm_ringbuffer_unref(header);
      throw Object.assign(tooLarge(), { cause });
    }
    this.#native = { header, memory };
    registry.register(this, this.#native, this);
  }

  static {
    isRingBuffer = (value): value is RingBuffer => typeof value === "object" && value !== null && #native in value;
    ringInternals = {
      header: (r, name) => r.#live(name),
      elementSize: (r) => r.#elementSize,
      checkPlayable(r, name, side) {
        r.#live(name);
        if (r.#native!.memory === null) {
          throw new TypeError(
            `${name} uses lent memory (a SharedArrayBuffer), which the audio thread never touches; ` +
              `create it without buffer to play or record it`,
          );
        }
        if (r.#headerU32[RING.claimsU32] & (side === "reader" ? 1 : 2)) {
          throw new TypeError(
            `${name}: another action already ${side === "reader" ? "plays" : "records into"} it (one reader and one writer per ring)`,
          );
        }
      },
    };
    core = {
      live: (r) => r.#live(),
      status: (r, value, call, side) => r.#status(value, call, side),
      memory: (r) => ({ buffer: r.#buffer, byteOffset: r.#byteOffset, byteLength: r.#size * r.#elementSize, size: r.#size }),
      regions: (r, side, wanted, call) => r.#regions(side, wanted, call),
      start: (r, side) => r.#start(side),
      dispose: (r) => r.#dispose(),
    };
  }

  /** Bytes per element. */
  get elementSize(): number {
    return this.#elementSize;
  }

  /** Number of elements (a power of two); all of them are usable. */
  get size(): number {
    return this.#size;
  }

  /** Number of elements available for reading. */
  get readAvailable(): number {
    return native().rtm_ringbuffer_read_available(this.#live());
  }

  /** Number of elements that can be written. */
  get writeAvailable(): number {
    return native().rtm_ringbuffer_write_available(this.#live());
  }

  /** Empties the ring. Throws while an action plays or records it. */
  flush(): void {
    this.#status(native().rtm_ringbuffer_flush(this.#live()), "RingBuffer.flush", "any");
  }

  /**
   * Copies elements from `data` in; returns how many were written (fewer if the ring is full).
   * @param size elements to write; default: all of `data`
   */
  write(data: ArrayBufferView | ArrayBuffer, size?: number): number {
    const count = size === undefined ? undefined : v.integer("size", size, 0, LIMIT.ringSizeMax);
    const bytes = this.#elements("data", data);
    const available = bytes.byteLength / this.#elementSize;
    if (count !== undefined && count > available) throw new RangeError(`size (${count}) exceeds the ${available} elements in data`);
    const header = this.#live();
    return this.#status(native().rtm_ringbuffer_write(header, bytes.view, bytes.byteLength, count ?? available), "RingBuffer.write", "writer");
  }

  /**
   * Reads up to `size` elements (default: all available) into a new Uint8Array.
   */
  read(size?: number): Uint8Array {
    const wanted = size === undefined ? undefined : v.integer("size", size, 0, LIMIT.ringSizeMax);
    const header = this.#live();
    const lib = native();
    const available = lib.rtm_ringbuffer_read_available(header);
    const count = wanted === undefined ? available : Math.min(wanted, available);
    const bytes = count * this.#elementSize;
    const out = new Uint8Array(bytes);
    const read = this.#status(lib.rtm_ringbuffer_read(header, out, bytes, count), "RingBuffer.read", "reader");
    return read === count ? out : out.subarray(0, read * this.#elementSize);
  }

  /** Reads as many elements as fit into `data`; returns how many were read. */
  readInto(data: ArrayBufferView | ArrayBuffer): number {
    const bytes = this.#elements("data", data);
    const header = this.#live();
    return this.#status(
      native().rtm_ringbuffer_read(header, bytes.view, bytes.byteLength, bytes.byteLength / this.#elementSize),
      "RingBuffer.readInto",
      "reader",
    );
  }

  /**
   * Free space for up to `size` elements, as `[count, first, second]`: `count` elements fit,
   * the first part in `first`, the rest (after wrap-around) in `second`. Both are views on the
   * ring's memory (no copy). Fill them, then call {@link advanceWriteIndex}.
   */
  getWriteBuffers(size: number): [number, Uint8Array, Uint8Array] {
    const wanted = v.integer("size", size, 0, LIMIT.ringSizeMax);
    return this.#parts(this.#regions("writer", wanted, "RingBuffer.getWriteBuffers"), this.#start("writer"));
  }

  /**
   * Readable data, up to `size` elements, as `[count, first, second]` views on the ring's memory.
   * Read them, then call {@link advanceReadIndex}.
   */
  getReadBuffers(size: number): [number, Uint8Array, Uint8Array] {
    const wanted = v.integer("size", size, 0, LIMIT.ringSizeMax);
    return this.#parts(this.#regions("reader", wanted, "RingBuffer.getReadBuffers"), this.#start("reader"));
  }

  /** Publishes `size` elements written through {@link getWriteBuffers}; returns the new write index. */
  advanceWriteIndex(size: number): number {
    const count = v.integer("size", size, 0, LIMIT.ringSizeMax);
    const index = native().rtm_ringbuffer_advance_write_index(this.#live(), count);
    if (index === RING_STATUS.badLength) throw new RangeError(`size (${count}) exceeds writeAvailable (${this.writeAvailable})`);
    return this.#status(index, "RingBuffer.advanceWriteIndex", "writer");
  }

  /** Frees `size` elements read through {@link getReadBuffers}; returns the new read index. */
  advanceReadIndex(size: number): number {
    const count = v.integer("size", size, 0, LIMIT.ringSizeMax);
    const index = native().rtm_ringbuffer_advance_read_index(this.#live(), count);
    if (index === RING_STATUS.badLength) throw new RangeError(`size (${count}) exceeds readAvailable (${this.readAvailable})`);
    return this.#status(index, "RingBuffer.advanceReadIndex", "reader");
  }

  /**
   * Ends the ring's use: every later call throws, and the views from `getWriteBuffers` and
   * `getReadBuffers` are detached (empty). Actions that still play or record it go on; its
   * native memory is freed when the last of them is done.
   */
  [Symbol.dispose](): void {
    this.#dispose();
  }

  #dispose(): void {
    const n = this.#native;
    if (n === null) return;
    this.#native = null;
    registry.unregister(this);
    letGo(n);
  }

  /** Whether {@link Symbol.dispose} was called. */
  get disposed(): boolean {
    return this.#native === null;
  }

  #live(name = "RingBuffer"): Pointer {
    if (this.#native === null) throw new TypeError(`${name} is disposed`);
    return this.#native.header;
  }

  /** A non-negative count or index, else the error the status stands for. */
  #status(value: number, call: string, side: "reader" | "writer" | "any"): number {
    if (value >= 0) return value;
    if (value === RING_STATUS.sideInUse) {
      const what = side === "reader" ? "its reading side belongs to a play action" : side === "writer"
        ? "its writing side belongs to a record action"
        : "an action plays or records it";
      throw new TypeError(`${call}: ${what} until that action has finished`);
    }
    throw new RangeError(`${call}: refused (status ${value})`);
  }

  #elements(name: string, data: unknown): v.Transient {
    const bytes = v.transient(name, data);
    if (bytes.byteLength % this.#elementSize !== 0) {
      throw new RangeError(
        `${name} length (${bytes.byteLength} bytes) must be a multiple of elementSize (${this.#elementSize})`,
      );
    }
    return bytes;
  }

  /**
   * Finds the regions of up to `wanted` elements on `side` (their start is then {@link #start});
   * returns their count. Throws if the ring's memory was transferred away, since no view of it
   * can be made then.
   */
  #regions(side: "reader" | "writer", wanted: number, call: string): number {
    const header = this.#live();
    if (v.isDetached(this.#buffer)) {
      throw new TypeError(
        `${call}: the ring's memory was transferred away (the buffer of a view it gave out was transferred), so no ` +
          `view of it can be made; the calls that copy (write, read, readInto, writeFrames, readFrames, readFramesInto) still work`,
      );
    }
    const lib = native();
    return this.#status(
      side === "writer" ? lib.rtm_ringbuffer_get_write_regions(header, wanted) : lib.rtm_ringbuffer_get_read_regions(header, wanted),
      call,
      side,
    );
  }

  /** Where the regions the last {@link #regions} call on `side` found begin (an element index). */
  #start(side: "reader" | "writer"): number {
    return this.#headerU32[side === "writer" ? RING.writeStartU32 : RING.readStartU32];
  }

  #parts(count: number, start: number): [number, Uint8Array, Uint8Array] {
    const first = Math.min(count, this.#size - start);
    const es = this.#elementSize;
    return [
      count,
      this.#data.subarray(start * es, (start + first) * es),
      this.#data.subarray(0, (count - first) * es),
    ];
  }
}

function checkSize(name: string, size: number): number {
  if (size < 1 || size > LIMIT.ringSizeMax || (size & (size - 1)) !== 0) {
    throw new RangeError(`${name} must be a power of two from 1 to 2**30, got ${size}`);
  }
  return size;
}

/**
 * A {@link RingBuffer} of float32 audio frames: `channels` interleaved samples per element
 * (`elementSize` is 4 × `channels`). Its own calls take and give Float32Arrays and count frames;
 * the byte-level calls of RingBuffer work on it unchanged, and `size`, `readAvailable`,
 * `writeAvailable` and the `advance*Index` calls count frames too (a frame is an element).
 * `playRingBuffer` and `recordRingBuffer` take it as it is, on channels 1..`channels` by default.
 *
 * ```ts
 * using ring = new Float32RingBuffer(2, 1024);       // 1024 stereo frames
 * ring.writeFrames(new Float32Array([0.1, -0.1, 0.2, -0.2])); // 2 frames written
 * const samples = ring.readFrames();                  // Float32Array [0.1, -0.1, 0.2, -0.2]
 * const [n, first, second] = ring.getWriteFrames(256); // Float32Array views, no copy
 * first.fill(0);
 * second.fill(0);
 * ring.advanceWriteIndex(n);
 * ```
 *
 * Every Float32Array view it hands out is detached when the ring is disposed or collected, as
 * RingBuffer's are.
 */
export class Float32RingBuffer extends RingBuffer {
  readonly #channels: number;
  readonly #frames: number;
  /** Every sample of the ring's memory. */
  readonly #samples: Float32Array;

  /**
   * A ring of `frames` frames of `channels` float32 samples in native memory, or over `buffer`.
   *
   * @param channels samples per frame, 1 to 2**22
   * @param frames number of frames, a power of two; omit it when passing `buffer`
   * @param buffer memory to use in place, as for {@link RingBuffer}: a SharedArrayBuffer or a
   *   view of one, starting at a multiple of 4 bytes, whose byte length / (4 × channels) is a
   *   power of two. No action can play or record such a ring.
   */
  constructor(channels: number, frames?: number, buffer?: ArrayBufferView | SharedArrayBuffer) {
    const ch = v.integer("channels", channels, 1, LIMIT.elementSizeMax / 4);
    if ((frames === undefined) === (buffer === undefined)) {
      throw new TypeError("Float32RingBuffer needs exactly one of frames and buffer");
    }
    if (frames !== undefined) checkSize("frames", v.integer("frames", frames, 1, LIMIT.ringSizeMax));
    super(ch * 4, frames, buffer);
    const m = core.memory(this);
    if (m.byteOffset % 4 !== 0) {
      core.dispose(this);
      throw new RangeError(`buffer must start at a multiple of 4 bytes (float32 samples), got byte offset ${m.byteOffset}`);
    }
    this.#channels = ch;
    this.#frames = m.size;
    this.#samples = new Float32Array(m.buffer, m.byteOffset, m.byteLength / 4);
  }

  /** Samples per frame. */
  get channels(): number {
    return this.#channels;
  }

  /**
   * Copies interleaved frames in; returns how many frames were written (fewer if the ring is full).
   * @param samples `channels` samples per frame; its length a multiple of `channels`
   * @param frames frames to write; default: all of `samples`
   */
  writeFrames(samples: Float32Array, frames?: number): number {
    const count = frames === undefined ? undefined : v.integer("frames", frames, 0, LIMIT.ringSizeMax);
    const m = this.#samplesOf(samples);
    const available = m.length / this.#channels;
    if (count !== undefined && count > available) {
      throw new RangeError(`frames (${count}) exceeds the ${available} frames in samples`);
    }
    const header = core.live(this);
    return core.status(
      this,
      native().rtm_ringbuffer_write(header, m.view, m.byteLength, count ?? available),
      "Float32RingBuffer.writeFrames",
      "writer",
    );
  }

  /**
   * Reads up to `frames` frames (default: all available) into a new Float32Array, interleaved;
   * its length is `channels` × the frames read.
   */
  readFrames(frames?: number): Float32Array<ArrayBuffer> {
    const wanted = frames === undefined ? undefined : v.integer("frames", frames, 0, LIMIT.ringSizeMax);
    const header = core.live(this);
    const lib = native();
    const available = lib.rtm_ringbuffer_read_available(header);
    const count = wanted === undefined ? available : Math.min(wanted, available);
    const out = new Float32Array(count * this.#channels);
    const read = core.status(
      this,
      lib.rtm_ringbuffer_read(header, out, count * this.#channels * 4, count),
      "Float32RingBuffer.readFrames",
      "reader",
    );
    return read === count ? out : out.slice(0, read * this.#channels);
  }

  /**
   * Reads as many whole frames as fit into `samples` (its length a multiple of `channels`);
   * returns how many frames were read.
   */
  readFramesInto(samples: Float32Array): number {
    const m = this.#samplesOf(samples);
    const header = core.live(this);
    return core.status(
      this,
      native().rtm_ringbuffer_read(header, m.view, m.byteLength, m.length / this.#channels),
      "Float32RingBuffer.readFramesInto",
      "reader",
    );
  }

  /**
   * Free space for up to `frames` frames, as `[count, first, second]`: `count` frames fit, the
   * first part in `first`, the rest (after wrap-around) in `second`, both Float32Array views on
   * the ring's memory (no copy), interleaved. Fill them, then call `advanceWriteIndex(count)`
   * (or fewer).
   */
  getWriteFrames(frames: number): [count: number, first: Float32Array, second: Float32Array] {
    const wanted = v.integer("frames", frames, 0, LIMIT.ringSizeMax);
    return this.#parts(core.regions(this, "writer", wanted, "Float32RingBuffer.getWriteFrames"), core.start(this, "writer"));
  }

  /**
   * Readable data, up to `frames` frames, as `[count, first, second]` Float32Array views on the
   * ring's memory, interleaved. Read them, then call `advanceReadIndex(count)` (or fewer).
   */
  getReadFrames(frames: number): [count: number, first: Float32Array, second: Float32Array] {
    const wanted = v.integer("frames", frames, 0, LIMIT.ringSizeMax);
    return this.#parts(core.regions(this, "reader", wanted, "Float32RingBuffer.getReadFrames"), core.start(this, "reader"));
  }

  /** A Float32Array argument, read through the intrinsics, whose length is whole frames. */
  #samplesOf(samples: unknown): v.Transient {
    const m = v.transient("samples", samples, "Float32Array");
    if (m.length % this.#channels !== 0) {
      throw new RangeError(
        `samples length (${m.length}) must be a multiple of channels (${this.#channels}): whole interleaved frames`,
      );
    }
    return m;
  }

  #parts(count: number, start: number): [number, Float32Array, Float32Array] {
    const first = Math.min(count, this.#frames - start);
    const ch = this.#channels;
    return [
      count,
      this.#samples.subarray(start * ch, (start + first) * ch),
      this.#samples.subarray(0, (count - first) * ch),
    ];
  }
}
