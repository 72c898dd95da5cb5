/** Errors thrown by rtmixer besides the standard `TypeError` and `RangeError` for bad input. */

/** An error reported by PortAudio, with its numeric code and, where given, the host API's text. */
export class PortAudioError extends Error {
  /** The error's name, for messages and `instanceof`-free checks. */
  override name = "PortAudioError";
  /** PortAudio's error code (a negative `PaErrorCode`). */
  readonly code: number;
  /** The host API's own error text, when PortAudio reported one. */
  readonly hostApiErrorText?: string;

  /** `message` is extended with the host API's text, when there is one. */
  constructor(message: string, code: number, hostApiErrorText?: string, options?: ErrorOptions) {
    super(hostApiErrorText ? `${message} [host API: ${hostApiErrorText}]` : message, options);
    this.code = code;
    this.hostApiErrorText = hostApiErrorText;
  }
}

/** Thrown by `wait()` when the stream closed before the awaited action finished. */
export class StreamClosedError extends Error {
  /** The error's name, for messages and `instanceof`-free checks. */
  override name = "StreamClosedError";
}

/**
 * Thrown when a stream's `stats` are read while its callback runs (they change under the reader
 * then): stop the stream first, or use `fetchAndResetStats()`, which the callback answers.
 */
export class StreamActiveError extends Error {
  /** The error's name, for messages and `instanceof`-free checks. */
  override name = "StreamActiveError";
}

/** Why a measurement gave no answer (see {@link MeasurementError}). */
export type MeasurementFailure =
  /** Nothing came back: every recorded sample was 0 (no loopback, or the input is not connected). */
  | "silence"
  /** Something came back, but too quietly to trust (below `minLevel`). */
  | "weak"
  /** The response has no peak that stands out of its noise by `minConfidence`. */
  | "unclear"
  /** The test signal could not start at the frame it was scheduled for (the stream fell behind). */
  | "belated";

/**
 * Thrown (as a rejection) by `measureLatency()` and `playrec()` when the signal that came back
 * gives no trustworthy answer: never a guess instead.
 */
export class MeasurementError extends Error {
  /** The error's name, for messages and `instanceof`-free checks. */
  override name = "MeasurementError";
  /** What went wrong, as a word to test on. */
  readonly reason: MeasurementFailure;

  /** Creates the error; `reason` says what went wrong: "silence", "weak", "unclear" or "belated". */
  constructor(message: string, reason: MeasurementFailure, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
