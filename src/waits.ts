/**
 * How JavaScript learns that actions have finished: `wait()` promises, and the timer that takes
 * finished actions back from a running stream.
 *
 * The audio thread can only leave finished actions where JavaScript finds them (it may not make a
 * system call to wake anyone), so something on the JavaScript side must look. That something is
 * one timer per stream, and it exists only while the stream runs with actions in flight: it sleeps
 * until the earliest predicted end when every action's end is known (placed starts, known
 * lengths), but never more than a quarter second, and otherwise looks once per block. Each look takes the finished actions back (so
 * their fields are final and record buffers filled, with no call of the user's), and settles the
 * waits they complete. Like any timer, it keeps the process alive while it exists, so a script
 * that reaches its end with sounds scheduled exits once they have played; `unref()` opts out.
 */
import type { Action, ActionOutcome } from "./action.ts";
import { runtime } from "./ffi/mod.ts";
import { StreamClosedError } from "./errors.ts";

/** Options of `wait()`. */
export interface WaitOptions {
  /**
   * Rejects with a `TimeoutError` (a DOMException) after this many milliseconds if the actions
   * have not finished by then (they go on: only the wait ends).
   */
  timeout?: number;
  /** Rejects with the signal's reason when it aborts (the actions go on). */
  signal?: AbortSignal;
  /**
   * rtmixer's `sleeptime`, in milliseconds: the longest the stream's timer sleeps while the wait
   * is pending (it looks at least once per block anyway, or sleeps until the predicted end).
   */
  sleepTime?: number;
}

/** What the engine tells the waits about its actions. */
export interface WaitHost {
  /** Takes back finished actions (which calls `settle`). */
  collect(): void;
  /** How an action has ended, without collecting; undefined while in flight. */
  outcome(a: Action): ActionOutcome | undefined;
  /**
   * Milliseconds until the earliest predicted end among the actions in flight, or undefined when
   * some end cannot be predicted (a ring buffer action, a start not yet placed).
   */
  nextEndMs(): number | undefined;
  /** One block's duration in milliseconds. */
  blockMs(): number;
  /** Whether actions are in flight. */
  busy(): boolean;
  /** Called on each look: checks that the stream's host has not ended it. */
  look(): void;
}

interface Waiter {
  actions: readonly Action[];
  settle(error?: Error): void;
  sleepTime: number;
}

/**
 * The longest the timer sleeps while actions are in flight, even when their ends are far: each
 * look also checks that the stream's host has not ended it (a JACK server that quit), whose
 * actions would otherwise never settle.
 */
const SLEEP_MAX_MS = 250;

/** How long after the predicted end of an action the timer looks (the callback's own run). */
const END_MARGIN_MS = 0.3;

/**
 * Deno sets up its timers on the first `setTimeout` of a process, which took 20-60 ms here
 * (Bun: 0.05 ms): without this, the first action sent to a running stream paid it. A stream's
 * start pays it instead, once per process.
 */
let timersReady = false;
function readyTimers(): void {
  if (timersReady) return;
  timersReady = true;
  clearTimeout(setTimeout(() => {}, 0));
}

export class Waits {
  readonly #host: WaitHost;
  readonly #waiters = new Set<Waiter>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #ref = true;
  /** Why the actions can no longer finish (closed, aborted, host ended), once that happened. */
  #ended: string | undefined;

  constructor(host: WaitHost) {
    this.#host = host;
  }

  /**
   * A promise that resolves when every one of `actions` has finished (to `resolveWith`), or
   * rejects: with StreamClosedError if one was aborted (the stream closed, aborted or ended first),
   * with a TimeoutError after `timeout`, or with the signal's reason.
   */
  wait<T>(
    actions: readonly Action[],
    resolveWith: T,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    sleepTime: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        actions,
        sleepTime,
        settle: (error?: Error) => {
          this.#waiters.delete(waiter);
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (error) reject(error);
          else resolve(resolveWith);
        },
      };
      const onAbort = () => waiter.settle(signal!.reason);
      if (signal?.aborted) return reject(signal.reason);
      this.#waiters.add(waiter);
      if (this.#check(waiter)) return;
      if (timeout !== undefined) {
        timer = setTimeout(
          () => waiter.settle(new DOMException(`the actions had not finished after ${timeout} ms`, "TimeoutError")),
          timeout,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.schedule();
    });
  }

  /** Settles the waits whose actions have all finished. Called after actions were taken back. */
  settle(): void {
    for (const w of [...this.#waiters]) this.#check(w);
    this.schedule();
  }

  /**
   * The actions can no longer finish normally (`reason`): every wait still pending settles now
   * (its actions have ended as aborted).
   */
  end(reason: string): void {
    this.#ended = reason;
    this.settle();
    for (const w of [...this.#waiters]) w.settle(new StreamClosedError(reason));
    this.#stop();
  }

  /** Whether the callback runs: the timer only looks while it does. */
  setRunning(running: boolean): void {
    if (running) readyTimers();
    this.#running = running;
    if (running) this.#ended = undefined;
    this.schedule();
  }

  /** Whether the timer keeps the process alive (true by default; `unref()` turns it off). */
  setRef(ref: boolean): void {
    this.#ref = ref;
    if (this.#timer !== undefined) {
      this.#stop();
      this.schedule();
    }
  }

  /** Whether a wait is pending. */
  get waiting(): boolean {
    return this.#waiters.size > 0;
  }

  #check(w: Waiter): boolean {
    let aborted = false;
    for (const a of w.actions) {
      const outcome = this.#host.outcome(a);
      if (outcome === undefined) return false;
      if (outcome === "aborted") aborted = true;
    }
    w.settle(
      aborted ? new StreamClosedError(this.#ended ?? "the stream was closed before the action finished") : undefined,
    );
    return true;
  }

  /** Sets the timer for the next look if the stream runs with actions in flight, else removes it. */
  schedule(): void {
    if (!this.#running || !this.#host.busy()) return this.#stop();
    if (this.#timer !== undefined) return;
    const block = this.#host.blockMs();
    const end = this.#host.nextEndMs();
    // Just after the predicted end; if that has passed without the end (a prediction a little
    // early), a quarter block later, until it comes.
    let sleep = end === undefined ? block : Math.min(Math.max(end + END_MARGIN_MS, block / 4), SLEEP_MAX_MS);
    for (const w of this.#waiters) sleep = Math.min(sleep, Math.max(w.sleepTime, block / 4));
    this.#timer = setTimeout(() => this.#look(), sleep);
    if (!this.#ref) runtime.unrefTimer(this.#timer);
  }

  #look(): void {
    this.#timer = undefined;
    this.#host.look();
    this.#host.collect(); // settles, and schedules the next look
    this.schedule();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
