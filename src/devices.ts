/**
 * Device and host API queries, the defaults that streams fall back to, and the settings checks:
 * sounddevice's `query_devices`, `query_hostapis`, `default`, `check_input_settings` and
 * `check_output_settings`.
 */
import { DEVICE, HOST_API, LIMIT, PARAMS } from "./ffi/layout.ts";
import { check, portAudio, readString } from "./portaudio.ts";
import * as v from "./validate.ts";

/** One direction of audio: `"input"` (recording) or `"output"` (playback). */
export type Kind = "input" | "output";
/** A device: its index, or a substring of its name (see {@link queryDevices}). */
export type DeviceSpec = number | string;
/** A latency: the device's default `"low"` or `"high"` latency, or seconds. */
export type Latency = "low" | "high" | number;
/** A value for both directions, or an `[input, output]` pair (as sounddevice takes them). */
export type PerKind<T> = T | readonly [T | undefined, T | undefined];

/**
 * A PortAudio device, as {@link queryDevices} lists it (in this order of fields, so that
 * `console.table(queryDevices())` reads well). Latencies are in seconds.
 */
export interface DeviceInfo {
  /** Its index, as streams' `device` option takes it. */
  index: number;
  /** Its name, as the host API reports it. */
  name: string;
  /** Index of its host API (see {@link queryHostApis}). */
  hostApi: number;
  /** Its host API's name: "ALSA", "JACK Audio Connection Kit", ... */
  hostApiName: string;
  /**
   * Whether a stream opened without a `device` option records from it: the device that
   * `defaults.device` names for input, else PortAudio's default input device.
   */
  isDefaultInput: boolean;
  /** Whether a stream opened without a `device` option plays on it (as `isDefaultInput`). */
  isDefaultOutput: boolean;
  /** Input channels it offers (0: an output-only device). */
  maxInputChannels: number;
  /** Output channels it offers (0: an input-only device). */
  maxOutputChannels: number;
  /** Input latency of the `"low"` setting, for interactive use. */
  defaultLowInputLatency: number;
  /** Output latency of the `"low"` setting, for interactive use. */
  defaultLowOutputLatency: number;
  /** Input latency of the `"high"` setting, for robust playback and recording. */
  defaultHighInputLatency: number;
  /** Output latency of the `"high"` setting, for robust playback and recording. */
  defaultHighOutputLatency: number;
  /** Its default sample rate, in frames per second. */
  defaultSampleRate: number;
}

/** A PortAudio host API (ALSA, JACK, Core Audio, WASAPI, ...). */
export interface HostApiInfo {
  /** Its index, as {@link queryHostApis} takes it. */
  index: number;
  /** Its name: "ALSA", "JACK Audio Connection Kit", ... */
  name: string;
  /** PortAudio's `PaHostApiTypeId`. */
  type: number;
  /** Indices of its devices. */
  devices: number[];
  /** Its default input device's index, or -1 for none. */
  defaultInputDevice: number;
  /** Its default output device's index, or -1 for none. */
  defaultOutputDevice: number;
}

const CHANNELS_MAX = LIMIT.channelsMax;

/** What PortAudio says of a device itself (a {@link DeviceInfo} without what depends on others). */
type DeviceFacts = Omit<DeviceInfo, "hostApiName" | "isDefaultInput" | "isDefaultOutput">;

function deviceCount(): number {
  return check(portAudio().rtm_pa_device_count(), "Error counting devices");
}

function deviceAt(index: number): DeviceFacts {
  const lib = portAudio();
  const out = new Float64Array(DEVICE.count);
  check(lib.rtm_pa_device_info(index, out, DEVICE.count * 8), `Error querying device ${index}`);
  return {
    index,
    name: readString((buf, cap) => lib.rtm_pa_device_name(index, buf, cap), `Error querying device ${index}`),
    hostApi: out[DEVICE.hostApi],
    maxInputChannels: out[DEVICE.maxInputChannels],
    maxOutputChannels: out[DEVICE.maxOutputChannels],
    defaultLowInputLatency: out[DEVICE.defaultLowInputLatency],
    defaultLowOutputLatency: out[DEVICE.defaultLowOutputLatency],
    defaultHighInputLatency: out[DEVICE.defaultHighInputLatency],
    defaultHighOutputLatency: out[DEVICE.defaultHighOutputLatency],
    defaultSampleRate: out[DEVICE.defaultSampleRate],
  };
}

function allDevices(): DeviceFacts[] {
  return Array.from({ length: deviceCount() }, (_, i) => deviceAt(i));
}

function hostApiName(index: number): string {
  const lib = portAudio();
  return readString((buf, cap) => lib.rtm_pa_host_api_name(index, buf, cap), `Error querying host API ${index}`);
}

/** The device a stream opened without `device` would use for `kind`, or -1 if none would open. */
function defaultDevice(kind: Kind): number {
  try {
    return resolveDevice(undefined, kind);
  } catch {
    return -1; // no such device, or `defaults.device` names none: no device is the default
  }
}

/** Completes device facts with their host API's name and whether they are the defaults. */
function described(devices: readonly DeviceFacts[]): DeviceInfo[] {
  const names = new Map<number, string>();
  const input = defaultDevice("input");
  const output = defaultDevice("output");
  return devices.map((d) => {
    if (!names.has(d.hostApi)) names.set(d.hostApi, hostApiName(d.hostApi));
    const { index, name, hostApi, ...rest } = d;
    return {
      index,
      name,
      hostApi,
      hostApiName: names.get(hostApi)!,
      isDefaultInput: index === input,
      isDefaultOutput: index === output,
      ...rest,
    };
  });
}

/**
 * Lists every device, or returns one. `device` is an index or a name query: the query's words
 * must all occur, in order and ignoring case, in "device name, host API name", and exactly one
 * device must match (or exactly one device be named exactly so). With `kind`, only devices with
 * channels in that direction count, and an omitted `device` means the default device of that
 * kind (from {@link defaults}, else PortAudio's). Each record names its host API and says
 * whether it is the default input or output device.
 *
 * ```ts
 * console.table(queryDevices()); // index, name, hostApi, hostApiName, isDefaultInput, isDefaultOutput, channels, ...
 * const out = queryDevices("system", "output"); // { index: 0, name: "system", hostApiName: "JACK Audio Connection Kit", ... }
 * ```
 */
export function queryDevices(): DeviceInfo[];
/** The one device that `device` (an index or a name query) names, for `kind` (input or output). */
export function queryDevices(device: DeviceSpec | undefined, kind?: Kind): DeviceInfo;
export function queryDevices(device?: DeviceSpec, kind?: Kind): DeviceInfo[] | DeviceInfo {
  if (kind !== undefined) checkKind("kind", kind);
  if (device === undefined && kind === undefined) return described(allDevices());
  return described([deviceAt(resolveDevice(device, kind))])[0];
}

/** Lists every host API, or returns the one at `index`. */
export function queryHostApis(): HostApiInfo[];
/** The host API at `index`. */
export function queryHostApis(index: number): HostApiInfo;
export function queryHostApis(index?: number): HostApiInfo[] | HostApiInfo {
  const lib = portAudio();
  const count = check(lib.rtm_pa_host_api_count(), "Error counting host APIs");
  if (index !== undefined) {
    v.integer("index", index, 0, Math.max(count - 1, 0));
    if (count === 0) throw new RangeError("index: PortAudio found no host API");
  }
  const devices = allDevices();
  const one = (i: number): HostApiInfo => {
    const out = new Float64Array(HOST_API.count);
    check(lib.rtm_pa_host_api_info(i, out, HOST_API.count * 8), `Error querying host API ${i}`);
    return {
      index: i,
      name: hostApiName(i),
      type: out[HOST_API.type],
      devices: devices.filter((d) => d.hostApi === i).map((d) => d.index),
      defaultInputDevice: out[HOST_API.defaultInputDevice],
      defaultOutputDevice: out[HOST_API.defaultOutputDevice],
    };
  };
  return index === undefined ? Array.from({ length: count }, (_, i) => one(i)) : one(index);
}

// ---- Device lookup -----------------------------------------------------------------------------

/** A device index for an index, a name query or (undefined) the default device of `kind`. */
export function resolveDevice(device: DeviceSpec | undefined, kind?: Kind, name = "device"): number {
  const count = deviceCount();
  if (device === undefined) {
    if (kind === undefined) throw new TypeError(`${name} is required when no kind is given`);
    const fallback = defaults.device[kind === "input" ? 0 : 1];
    if (fallback !== undefined) return resolveDevice(fallback, kind, `defaults.device (${kind})`);
    const index = portAudio().rtm_pa_default_device(kind === "output");
    if (index < 0) throw new RangeError(`${name}: there is no default ${kind} device (${count} devices found)`);
    return index;
  }
  if (typeof device === "string") {
    const hostApiNames = queryHostApis().map((h) => h.name);
    return matchDevice(allDevices(), hostApiNames, device, kind, name);
  }
  if (count === 0) throw new RangeError(`${name}: PortAudio found no devices`);
  v.integer(name, device, 0, count - 1);
  if (kind !== undefined) {
    const info = deviceAt(device);
    if (channelsOf(info, kind) === 0) {
      throw new RangeError(`${name} ${device} (${JSON.stringify(info.name)}) is not an ${kind} device`);
    }
  }
  return device;
}

/**
 * sounddevice's device matching: every word of `query` must occur in "name, host API name", in
 * order, ignoring case; several matches are fine if exactly one device is named `query` exactly.
 */
export function matchDevice(
  devices: readonly DeviceFacts[],
  hostApiNames: readonly string[],
  query: string,
  kind?: Kind,
  name = "device",
): number {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== "");
  const candidates = devices.filter((d) => kind === undefined || channelsOf(d, kind) > 0);
  const label = (d: DeviceFacts) => `${d.name}, ${hostApiNames[d.hostApi] ?? `host API ${d.hostApi}`}`;
  const matches = candidates.filter((d) => {
    const full = label(d).toLowerCase();
    let at = 0;
    for (const w of words) {
      const found = full.indexOf(w, at);
      if (found < 0) return false;
      at = found + w.length;
    }
    return true;
  });
  const what = kind ?? "input/output";
  const list = (ds: readonly DeviceFacts[]) => ds.map((d) => `  [${d.index}] ${label(d)}`).join("\n") || "  (none)";
  if (matches.length === 1) return matches[0].index;
  if (matches.length === 0) {
    throw new RangeError(
      `${name}: no ${what} device matches ${JSON.stringify(query)}; the ${what} devices are:\n${list(candidates)}`,
    );
  }
  const exact = matches.filter((d) => d.name.toLowerCase() === query.toLowerCase());
  if (exact.length === 1) return exact[0].index;
  throw new RangeError(
    `${name}: ${matches.length} ${what} devices match ${JSON.stringify(query)}; use an index or a longer name:\n${
      list(matches)
    }`,
  );
}

function channelsOf(d: DeviceFacts, kind: Kind): number {
  return kind === "input" ? d.maxInputChannels : d.maxOutputChannels;
}

// ---- Option checks shared with streams ---------------------------------------------------------

export function checkKind(name: string, value: unknown): Kind {
  if (value !== "input" && value !== "output") {
    throw new TypeError(`${name} must be "input" or "output", got ${v.describe(value)}`);
  }
  return value;
}

/** A single value or an [input, output] pair, each element checked by `one`. */
export function perKind<T>(
  name: string,
  value: unknown,
  one: (name: string, x: unknown) => T,
): [T | undefined, T | undefined] {
  if (v.isArray(name, value)) {
    const pair = v.list(name, value, LIMIT.channelsMax);
    if (pair.length !== 2) {
      throw new TypeError(`${name} must be a single value or an [input, output] pair, got an array of ${pair.length}`);
    }
    return [
      pair[0] === undefined ? undefined : one(`${name}[0] (input)`, pair[0]),
      pair[1] === undefined ? undefined : one(`${name}[1] (output)`, pair[1]),
    ];
  }
  if (value === undefined) return [undefined, undefined];
  const x = one(name, value);
  return [x, x];
}

export function checkDeviceSpec(name: string, value: unknown): DeviceSpec {
  if (typeof value === "string") return value;
  if (typeof value === "number") return v.integer(name, value, 0, 2 ** 31 - 1);
  throw new TypeError(`${name} must be a device index or a device name, got ${v.describe(value)}`);
}

export function checkChannels(name: string, value: unknown): number {
  return v.integer(name, value, 1, CHANNELS_MAX);
}

export function checkLatency(name: string, value: unknown): Latency {
  if (value === "low" || value === "high") return value;
  if (typeof value === "number") return v.finite(name, value, 0, LIMIT.latencyMax);
  throw new TypeError(`${name} must be "low", "high" or a number of seconds, got ${v.describe(value)}`);
}

export function checkSampleRate(name: string, value: unknown): number {
  const rate = v.finite(name, value, 0, LIMIT.sampleRateMax);
  if (rate <= 0) throw new RangeError(`${name} must be a positive number of frames per second, got ${rate}`);
  return rate;
}

export function checkBlockSize(name: string, value: unknown): number {
  return v.integer(name, value, 0, LIMIT.blockSizeMax);
}

export function checkQueueSize(name: string, value: unknown): number {
  return v.integer(name, value, 1, LIMIT.queueSizeMax);
}

export function checkDtype(name: string, value: unknown): "float32" {
  if (value !== "float32") {
    throw new TypeError(`${name} must be "float32" (the only sample format rtmixer uses), got ${v.describe(value)}`);
  }
  return value;
}

// ---- Defaults ----------------------------------------------------------------------------------

/**
 * The values streams fall back to, as sounddevice's `default`: `undefined` means "ask the
 * device" (its default device, all its channels, its default sample rate). Pairs are
 * `[input, output]`; assigning a single value sets both.
 *
 * ```ts
 * defaults.device = "system";
 * defaults.latency = "low";
 * defaults.reset();
 * ```
 */
export class Defaults {
  #device: [DeviceSpec | undefined, DeviceSpec | undefined] = [undefined, undefined];
  #channels: [number | undefined, number | undefined] = [undefined, undefined];
  #latency: [Latency | undefined, Latency | undefined] = ["high", "high"];
  #sampleRate: number | undefined = undefined;
  #blockSize = 0;
  #queueSize = 16;
  #clipOff = false;
  #ditherOff = false;
  #neverDropInput = false;
  #primeOutputBuffersUsingStreamCallback = false;

  /** Always `"float32"`. */
  get dtype(): "float32" {
    return "float32";
  }
  /** The device, as `[input, output]` (undefined: PortAudio's default device). */
  get device(): readonly [DeviceSpec | undefined, DeviceSpec | undefined] {
    return [...this.#device];
  }
  set device(value: PerKind<DeviceSpec> | undefined) {
    this.#device = perKind("defaults.device", value, checkDeviceSpec);
  }
  /** Channel counts, as `[input, output]` (undefined: all of the device's channels). */
  get channels(): readonly [number | undefined, number | undefined] {
    return [...this.#channels];
  }
  set channels(value: PerKind<number> | undefined) {
    this.#channels = perKind("defaults.channels", value, checkChannels);
  }
  /** Latencies, as `[input, output]`: `"low"`, `"high"` or seconds (undefined: `"high"`). */
  get latency(): readonly [Latency | undefined, Latency | undefined] {
    return [...this.#latency];
  }
  set latency(value: PerKind<Latency> | undefined) {
    this.#latency = perKind("defaults.latency", value, checkLatency);
  }
  /** Frames per second (undefined: the device's default rate). */
  get sampleRate(): number | undefined {
    return this.#sampleRate;
  }
  set sampleRate(value: number | undefined) {
    this.#sampleRate = value === undefined ? undefined : checkSampleRate("defaults.sampleRate", value);
  }
  /** Frames per callback; 0 lets the host choose (and may vary). */
  get blockSize(): number {
    return this.#blockSize;
  }
  set blockSize(value: number) {
    this.#blockSize = checkBlockSize("defaults.blockSize", value);
  }
  /**
   * rtmixer's `qsize`: action slots a new stream makes ready at once. Unlike rtmixer's it limits
   * nothing: more slots are added as needed, and actions in flight are limited by memory only.
   */
  get queueSize(): number {
    return this.#queueSize;
  }
  set queueSize(value: number) {
    this.#queueSize = checkQueueSize("defaults.queueSize", value);
  }
  /** PortAudio's `paClipOff` for new streams. */
  get clipOff(): boolean {
    return this.#clipOff;
  }
  set clipOff(value: boolean) {
    this.#clipOff = v.boolean("defaults.clipOff", value);
  }
  /** PortAudio's `paDitherOff` for new streams. */
  get ditherOff(): boolean {
    return this.#ditherOff;
  }
  set ditherOff(value: boolean) {
    this.#ditherOff = v.boolean("defaults.ditherOff", value);
  }
  /** PortAudio's `paNeverDropInput` for new streams. */
  get neverDropInput(): boolean {
    return this.#neverDropInput;
  }
  set neverDropInput(value: boolean) {
    this.#neverDropInput = v.boolean("defaults.neverDropInput", value);
  }
  /** PortAudio's `paPrimeOutputBuffersUsingStreamCallback` for new streams. */
  get primeOutputBuffersUsingStreamCallback(): boolean {
    return this.#primeOutputBuffersUsingStreamCallback;
  }
  set primeOutputBuffersUsingStreamCallback(value: boolean) {
    this.#primeOutputBuffersUsingStreamCallback = v.boolean("defaults.primeOutputBuffersUsingStreamCallback", value);
  }
  /** PortAudio's default host API index (initialises PortAudio). */
  get hostApi(): number {
    return check(portAudio().rtm_pa_default_host_api(), "Error querying the default host API");
  }
  /** Back to the initial values. */
  reset(): void {
    this.#device = [undefined, undefined];
    this.#channels = [undefined, undefined];
    this.#latency = ["high", "high"];
    this.#sampleRate = undefined;
    this.#blockSize = 0;
    this.#queueSize = 16;
    this.#clipOff =
      this.#ditherOff =
      this.#neverDropInput =
      this.#primeOutputBuffersUsingStreamCallback =
        false;
  }
}

/** The defaults streams fall back to (sounddevice's `default`). */
export const defaults: Defaults = new Defaults();

// ---- Resolved stream parameters and settings checks ---------------------------------------------

/** One direction of a stream, resolved against the devices and {@link defaults}. */
export interface Direction {
  device: number;
  channels: number;
  /** Suggested latency in seconds. */
  latency: number;
  info: DeviceFacts;
}

/** Resolves device, channels and latency of one direction, checking channels against the device. */
export function resolveDirection(
  kind: Kind,
  device: DeviceSpec | undefined,
  channels: number | undefined,
  latency: Latency | undefined,
  names = { device: "device", channels: "channels" },
): Direction {
  const k = kind === "input" ? 0 : 1;
  const index = resolveDevice(device, kind, names.device);
  const info = deviceAt(index);
  const max = channelsOf(info, kind);
  const n = channels ?? defaults.channels[k] ?? max;
  if (n < 1 || n > max) {
    throw new RangeError(
      `${names.channels} must be from 1 to ${max} for ${kind} device ${index} (${JSON.stringify(info.name)}), got ${n}`,
    );
  }
  const l = latency ?? defaults.latency[k] ?? "high";
  const seconds = l === "low"
    ? (kind === "input" ? info.defaultLowInputLatency : info.defaultLowOutputLatency)
    : l === "high"
    ? (kind === "input" ? info.defaultHighInputLatency : info.defaultHighOutputLatency)
    : l;
  return { device: index, channels: n, latency: seconds, info };
}

/** Fills the native parameter block (zig/stream.zig Params). */
export function paramsBlock(
  input: Direction | undefined,
  output: Direction | undefined,
  sampleRate: number,
  blockSize = 0,
  flags = 0,
  queueSize = 16,
): Float64Array {
  const p = new Float64Array(PARAMS.count);
  p[PARAMS.inputDevice] = input?.device ?? 0;
  p[PARAMS.inputChannels] = input?.channels ?? 0;
  p[PARAMS.inputLatency] = input?.latency ?? 0;
  p[PARAMS.outputDevice] = output?.device ?? 0;
  p[PARAMS.outputChannels] = output?.channels ?? 0;
  p[PARAMS.outputLatency] = output?.latency ?? 0;
  p[PARAMS.sampleRate] = sampleRate;
  p[PARAMS.blockSize] = blockSize;
  p[PARAMS.flags] = flags;
  p[PARAMS.queueSize] = queueSize;
  return p;
}

/** Settings for {@link checkInputSettings} and {@link checkOutputSettings}. */
export interface SettingsOptions {
  /** The device: an index or a name query (default: `defaults.device`). */
  device?: DeviceSpec;
  /** Channel count (default: all of the device's). */
  channels?: number;
  /** Frames per second (default: the device's default rate). */
  sampleRate?: number;
  /** `"low"`, `"high"` (default) or seconds. */
  latency?: Latency;
  /** Always `"float32"`. */
  dtype?: "float32";
}

/**
 * Throws (a `PortAudioError` with PortAudio's reason, or a `RangeError` for a device or channel
 * count that does not exist) unless an input stream with these settings would open; sounddevice's
 * `check_input_settings`. Omitted settings come from {@link defaults} and the device.
 *
 * ```ts
 * checkInputSettings({ channels: 2, sampleRate: 48000 });
 * ```
 */
export function checkInputSettings(options: SettingsOptions = {}): void {
  checkSettings("input", options);
}

/** As {@link checkInputSettings}, for output. */
export function checkOutputSettings(options: SettingsOptions = {}): void {
  checkSettings("output", options);
}

function checkSettings(kind: Kind, options: SettingsOptions): void {
  const o = v.options("options", options, ["device", "channels", "sampleRate", "latency", "dtype"]);
  if (o.dtype !== undefined) checkDtype("dtype", o.dtype);
  const device = o.device === undefined ? undefined : checkDeviceSpec("device", o.device);
  const channels = o.channels === undefined ? undefined : checkChannels("channels", o.channels);
  const latency = o.latency === undefined ? undefined : checkLatency("latency", o.latency);
  const rate = o.sampleRate === undefined ? undefined : checkSampleRate("sampleRate", o.sampleRate);
  const d = resolveDirection(kind, device, channels, latency);
  const sampleRate = rate ?? defaults.sampleRate ?? d.info.defaultSampleRate;
  const p = kind === "input" ? paramsBlock(d, undefined, sampleRate) : paramsBlock(undefined, d, sampleRate);
  check(portAudio().rtm_pa_check_settings(p, PARAMS.count * 8), `Unsupported ${kind} settings`);
}
