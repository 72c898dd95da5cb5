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
