/**
 * PortAudio's lifecycle. Importing rtmixer touches no audio API: PortAudio is initialised on the
 * first call that needs it (a device query, a stream), terminated when the process exits, and
 * can be re-initialised to see devices that appeared later, such as a JACK server started after
 * the first query (PortAudio only finds JACK servers that run when it initialises).
 *
 * ALSA and JACK print plenty of messages to stderr while PortAudio looks for devices (about 60
 * "cannot find card" lines on a machine without sound cards). rtmixer silences them; set the
 * environment variable `RTMIXER_VERBOSE=1`, or call {@link setVerbose}, to see them.
 */
import { native, runtime, type Symbols } from "./ffi/mod.ts";
import { PortAudioError } from "./errors.ts";
import { PA_OWN_ERROR } from "./ffi/layout.ts";
import * as v from "./validate.ts";

/** PaErrorCode values that the TypeScript side tests for. */
export const PA = {
  unanticipatedHostError: -9999,
  invalidSampleRate: -9997,
  badStreamPtr: -9988,
  streamIsStopped: -9983,
  streamIsNotStopped: -9982,
  hostApiNotFound: -9979,
  /** librtmixer's own: re-initialising while streams are open. */
  streamsOpen: PA_OWN_ERROR.streamsOpen,
  /** librtmixer's own: the PortAudio library is not installed (its text says how to install it). */
  libraryMissing: PA_OWN_ERROR.libraryMissing,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let acquired = false;
let exitHookInstalled = false;
let verboseChosen = false;

/** The library, with PortAudio initialised (once per module instance; released at exit). */
export function portAudio(): Symbols {
  const lib = native();
  if (acquired) return lib;
  if (!verboseChosen) {
    const env = runtime.env("RTMIXER_VERBOSE");
    lib.rtm_pa_set_verbose(env !== undefined && env !== "" && env !== "0");
  }
  check(lib.rtm_pa_acquire(), "Error initialising PortAudio");
  acquired = true;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    runtime.onExit(() => {
      if (acquired) lib.rtm_pa_release();
      acquired = false;
    });
  }
  return lib;
}

/**
 * Terminates PortAudio and initialises it again, so that devices are scanned anew (for example
 * a JACK server started after the first device query). Fails while streams are open.
 *
 * After the JACK server died under a stream (close that stream first), this is how to use JACK
 * again once the server is back: on Linux it leaves the old PortAudio, which cannot be terminated
 * then, and loads a fresh copy of the library; elsewhere it throws (code -3: restart the program).
 *
 * ```ts
 * reinitialize();
 * console.log(queryDevices());
 * ```
 */
export function reinitialize(): void {
  const lib = portAudio();
  check(lib.rtm_pa_reinitialize(), "Error re-initialising PortAudio");
}

/**
 * Lets ALSA and JACK print their diagnostics to stderr (they are silenced by default). Takes
 * effect at the next initialisation; call {@link reinitialize} to apply it at once. The
 * environment variable `RTMIXER_VERBOSE=1` sets it at start.
 */
export function setVerbose(on: boolean): void {
  native().rtm_pa_set_verbose(v.boolean("on", on));
  verboseChosen = true;
}

/**
 * Sets the name under which PortAudio's JACK host API registers with the JACK server (default
 * `"PortAudio"`). PortAudio has one JACK client for all its streams, so a different name
 * re-initialises PortAudio, which fails while streams are open.
 */
export function setJackClientName(name: string): void {
  const bytes = jackClientNameBytes("name", name);
  const lib = native();
  check(lib.rtm_pa_set_jack_client_name(bytes.view, bytes.byteLength), "Error setting the JACK client name");
}

/** The JACK client name PortAudio uses now (JACK appends a suffix when the name is taken). */
export function jackClientName(): string {
  const lib = portAudio();
  return readString((buf, cap) => lib.rtm_pa_jack_client_name(buf, cap), "Error reading the JACK client name");
}

/** Checks a JACK client name: a non-empty string of at most 63 UTF-8 bytes (its bytes, as read). */
export function jackClientNameBytes(name: string, value: unknown): v.Memory {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string, got ${v.describe(value)}`);
  const bytes = v.memory(name, encoder.encode(value));
  if (bytes.byteLength === 0 || bytes.byteLength > 63 || value.includes("\0")) {
    throw new RangeError(`${name} must be 1 to 63 UTF-8 bytes without NUL, got ${v.describe(value)}`);
  }
  return bytes;
}

/** Throws a PortAudioError for a negative status; returns a non-negative one. */
export function check(code: number, context: string): number {
  if (code >= 0) return code;
  throw portAudioError(code, context);
}

export function portAudioError(code: number, context: string): PortAudioError {
  const lib = native();
  const text = readString((buf, cap) => lib.rtm_pa_error_text(code, buf, cap));
  const host = code === PA.unanticipatedHostError
    ? readString((buf, cap) => lib.rtm_pa_host_error_text(buf, cap)) || undefined
    : undefined;
  return new PortAudioError(`${context}: ${text} [PaErrorCode ${code}]`, code, host);
}

/** Reads a string that native code copies into a buffer and whose full length it returns. */
export function readString(copy: (buffer: Uint8Array, capacity: number) => number, context?: string): string {
  // The capacity is what was allocated, kept here: never the array's length as it reports it.
  let capacity = 256;
  let buffer = new Uint8Array(capacity);
  for (;;) {
    const length = copy(buffer, capacity);
    if (length < 0) {
      if (context) throw portAudioError(length, context);
      return "";
    }
    if (length <= capacity) return decoder.decode(buffer.subarray(0, length));
    capacity = length;
    buffer = new Uint8Array(capacity);
  }
}
