import { beforeAll, describe, expect, test } from "bun:test";
import { MOD, runScript } from "./helpers/child.ts";
import {
  checkInputSettings,
  checkOutputSettings,
  defaults,
  PortAudioError,
  queryDevices,
  queryHostApis,
  reinitialize,
} from "../mod.ts";
import { matchDevice } from "../src/devices.ts";
import { Stream } from "../src/stream.ts";
import { requireJack } from "./helpers/jack.ts";

/** What matchDevice reads of a device (PortAudio's facts, without the host API's name and the defaults). */
type Facts = Parameters<typeof matchDevice>[0][number];

const device = (index: number, name: string, hostApi: number, inputs: number, outputs: number): Facts => ({
  index,
  name,
  hostApi,
  maxInputChannels: inputs,
  maxOutputChannels: outputs,
  defaultLowInputLatency: 0.01,
  defaultLowOutputLatency: 0.01,
  defaultHighInputLatency: 0.1,
  defaultHighOutputLatency: 0.1,
  defaultSampleRate: 48000,
});

describe("device name matching (sounddevice's rules, no device needed)", () => {
  const hostApis = ["ALSA", "JACK Audio Connection Kit"];
  const devices = [
    device(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", 0, 2, 2),
    device(1, "HDA Intel PCH: HDMI 0 (hw:0,3)", 0, 0, 8),
    device(2, "system", 1, 2, 2),
    device(3, "system monitor", 1, 2, 0),
  ];

  test("a unique substring, ignoring case, finds its device", () => {
    expect(matchDevice(devices, hostApis, "alc3246", undefined)).toBe(0);
    expect(matchDevice(devices, hostApis, "hdmi", "output")).toBe(1);
  });

  test("words must occur in order in 'name, host API name'", () => {
    expect(matchDevice(devices, hostApis, "intel hdmi", undefined)).toBe(1);
    expect(matchDevice(devices, hostApis, "system jack", "output")).toBe(2);
    expect(() => matchDevice(devices, hostApis, "hdmi intel", undefined)).toThrow(/no input\/output device matches/);
  });

  test("an ambiguous name is an error listing the candidates", () => {
    let error: Error | undefined;
    try {
      matchDevice(devices, hostApis, "HDA", undefined);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error!.message).toContain('2 input/output devices match "HDA"');
    expect(error!.message).toContain("[0] HDA Intel PCH: ALC3246 Analog (hw:0,0), ALSA");
    expect(error!.message).toContain("[1] HDA Intel PCH: HDMI 0 (hw:0,3), ALSA");
  });

  test("among several matches, the one device named exactly so wins", () => {
    expect(matchDevice(devices, hostApis, "system", undefined)).toBe(2);
  });

  test("kind filters the candidates", () => {
    expect(matchDevice(devices, hostApis, "monitor", "input")).toBe(3);
    expect(() => matchDevice(devices, hostApis, "monitor", "output")).toThrow(
      /no output device matches "monitor"; the output devices are:\n {2}\[0\] .*\n {2}\[1\] .*\n {2}\[2\] system/,
    );
  });
});

describe("devices on the JACK dummy server", () => {
  beforeAll(() => {
    requireJack();
  });

  test("the device list shows the JACK device with its channels and rate", () => {
    const devices = queryDevices();
    const jack = queryHostApis().find((h) => h.name.includes("JACK"));
    expect(jack).toBeDefined();
    const system = devices.find((d) => d.hostApi === jack!.index);
    expect(system).toMatchObject({
      name: "system",
      maxInputChannels: 2,
      maxOutputChannels: 2,
      defaultSampleRate: 48000,
    });
    expect(jack!.devices).toContain(system!.index);
    expect(system!.defaultLowOutputLatency).toBeGreaterThan(0);
    expect(devices.map((d) => d.index)).toEqual(devices.map((_, i) => i));
  });

  test("each device names its host API and says whether it is a default, first, for console.table", () => {
    const devices = queryDevices();
    const hostApis = queryHostApis();
    expect(devices.length).toBeGreaterThan(0);
    for (const d of devices) {
      expect(Object.keys(d).slice(0, 6)).toEqual([
        "index",
        "name",
        "hostApi",
        "hostApiName",
        "isDefaultInput",
        "isDefaultOutput",
      ]);
      // The fields there were before stay.
      expect(Object.keys(d)).toEqual(expect.arrayContaining([
        "maxInputChannels",
        "maxOutputChannels",
        "defaultLowInputLatency",
        "defaultLowOutputLatency",
        "defaultHighInputLatency",
        "defaultHighOutputLatency",
        "defaultSampleRate",
      ]));
      expect(d.hostApiName).toBe(hostApis[d.hostApi].name);
      expect(typeof d.isDefaultInput).toBe("boolean");
      expect(typeof d.isDefaultOutput).toBe("boolean");
    }
    // Exactly the devices a stream without `device` opens are flagged.
    const input = queryDevices(undefined, "input").index;
    const output = queryDevices(undefined, "output").index;
    expect(devices.filter((d) => d.isDefaultInput).map((d) => d.index)).toEqual([input]);
    expect(devices.filter((d) => d.isDefaultOutput).map((d) => d.index)).toEqual([output]);
    const system = devices.find((d) => d.name === "system")!;
    expect(system).toMatchObject({ hostApiName: "JACK Audio Connection Kit", isDefaultInput: true, isDefaultOutput: true });
    // One device asked for comes the same way.
    expect(queryDevices("system")).toEqual(system);
  });

  test("the defaults flags follow `defaults.device`; one that names no device flags none", () => {
    try {
      defaults.device = [undefined, 99]; // an output device that does not exist
      const devices = queryDevices();
      expect(devices.some((d) => d.isDefaultOutput)).toBe(false);
      expect(devices.filter((d) => d.isDefaultInput).length).toBe(1);
      defaults.device = "system";
      expect(queryDevices("system")).toMatchObject({ isDefaultInput: true, isDefaultOutput: true });
    } finally {
      defaults.reset();
    }
  });

  test("console.table(queryDevices()) shows the host API's name and the defaults, in a row per device", () => {
    const r = runScript("devices-table", `import { queryDevices } from ${MOD}; console.table(queryDevices());`, {}, 20_000);
    expect(r.status).toBe(0);
    const header = r.stdout.split("\n").find((l) => l.includes("hostApiName"))!;
    expect(header).toBeDefined();
    // Cells between the box-drawing bars; the first column is the row number (Bun leaves its header blank).
    const cells = (line: string) => line.split("│").slice(1, -1).map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
    const columns = cells(header);
    const at = columns.indexOf("index");
    expect(columns.slice(at, at + 6)).toEqual(["index", "name", "hostApi", "hostApiName", "isDefaultInput", "isDefaultOutput"]);
    const row = cells(r.stdout.split("\n").find((l) => l.includes("system"))!);
    expect(row.slice(at + 1, at + 6)).toEqual(["system", expect.any(String), "JACK Audio Connection Kit", "true", "true"]);
  });

  test("a device is found by index, by name and by name with kind", () => {
    const index = queryDevices().find((d) => d.name === "system")!.index;
    expect(queryDevices(index).name).toBe("system");
    expect(queryDevices("system").index).toBe(index);
    expect(queryDevices("SYS", "output").index).toBe(index);
    expect(queryDevices("system jack", "input").index).toBe(index);
  });

  test("without a device, kind gives the default device of that kind", () => {
    expect(queryDevices(undefined, "output").name).toBe("system");
    expect(queryDevices(undefined, "input").name).toBe("system");
    expect(queryHostApis(defaults.hostApi).name).toContain("JACK");
  });

  test("an unknown name is an error listing the devices", () => {
    expect(() => queryDevices("no such card")).toThrow(RangeError);
    expect(() => queryDevices("no such card")).toThrow(
      /no input\/output device matches "no such card".*\n {2}\[0\] system, JACK/,
    );
  });

  test("an out-of-range index, a bad index or a bad kind is a clear error", () => {
    const count = queryDevices().length;
    expect(() => queryDevices(count)).toThrow(
      new RangeError(`device must be an integer from 0 to ${count - 1}, got ${count}`),
    );
    expect(() => queryDevices(-1)).toThrow(RangeError);
    expect(() => queryDevices(0.5)).toThrow(RangeError);
    expect(() => queryDevices(0, "sideways" as "input")).toThrow(
      new TypeError('kind must be "input" or "output", got the string "sideways"'),
    );
    expect(() => queryHostApis(99)).toThrow(RangeError);
  });

  test("too many channels is a RangeError naming the device's maximum", () => {
    expect(() => new Stream("output", { channels: 3 })).toThrow(
      /channels must be from 1 to 2 for output device 0 \("system"\), got 3/,
    );
    expect(() => checkInputSettings({ channels: 3 })).toThrow(RangeError);
  });

  test("an unsupported sample rate is a PortAudioError with PortAudio's code", () => {
    let error: PortAudioError | undefined;
    try {
      new Stream("output", { sampleRate: 44100 });
    } catch (e) {
      error = e as PortAudioError;
    }
    expect(error).toBeInstanceOf(PortAudioError);
    expect(error!.code).toBe(-9997);
    expect(error!.message).toBe("Error opening output stream: Invalid sample rate [PaErrorCode -9997]");
    expect(() => checkOutputSettings({ sampleRate: 44100 })).toThrow(PortAudioError);
    try {
      checkInputSettings({ sampleRate: 44100 });
    } catch (e) {
      expect((e as PortAudioError).code).toBe(-9997);
    }
  });

  test("supported settings pass the checks", () => {
    expect(() => checkOutputSettings()).not.toThrow();
    expect(() => checkOutputSettings({ device: "system", channels: 2, sampleRate: 48000, latency: "low" })).not
      .toThrow();
    expect(() => checkInputSettings({ channels: 1, dtype: "float32" })).not.toThrow();
    expect(() => checkInputSettings({ dtype: "int16" as "float32" })).toThrow(TypeError);
    expect(() => checkInputSettings({ samplerate: 48000 } as object)).toThrow(/unknown option "samplerate"/);
  });

  test("defaults validate what they are given and reset", () => {
    try {
      defaults.channels = 1;
      expect(defaults.channels).toEqual([1, 1]);
      defaults.latency = ["low", 0.2];
      expect(defaults.latency).toEqual(["low", 0.2]);
      expect(() => (defaults.queueSize = 0)).toThrow(/defaults.queueSize must be an integer from 1 to/);
      expect(() => (defaults.device = [0, 1, 2] as unknown as number)).toThrow(TypeError);
      expect(() => (defaults.sampleRate = -1)).toThrow(RangeError);
      using s = new Stream("output");
      expect(s.channels).toBe(1);
    } finally {
      defaults.reset();
    }
    expect(defaults.channels).toEqual([undefined, undefined]);
    expect(defaults.latency).toEqual(["high", "high"]);
    expect(defaults.dtype).toBe("float32");
    expect(defaults.blockSize).toBe(0);
    expect(defaults.queueSize).toBe(16);
  });

  test("PortAudio re-initialises when no stream is open, and refuses while one is", () => {
    const s = new Stream("output");
    let error: PortAudioError | undefined;
    try {
      reinitialize();
    } catch (e) {
      error = e as PortAudioError;
    } finally {
      s.close();
    }
    expect(error).toBeInstanceOf(PortAudioError);
    expect(error!.message).toContain("cannot be re-initialised while streams are open");
    reinitialize();
    expect(queryDevices("system").maxOutputChannels).toBe(2);
  });
});

describe("PortAudio lifecycle in a fresh process", () => {
  test("importing the module touches no audio API; the first query initialises PortAudio", () => {
    requireJack();
    const lib = JSON.stringify(new URL("../src/ffi/mod.ts", import.meta.url).href);
    const script = `import { native } from ${lib}; import { queryDevices } from ${MOD};
      const before = native().rtm_pa_is_initialized();
      const devices = queryDevices();
      console.log(JSON.stringify({ before, after: native().rtm_pa_is_initialized(), devices: devices.length }));`;
    const r = runScript("lifecycle-probe", script, {}, 20_000);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").pop()!)).toEqual({ before: false, after: true, devices: expect.any(Number) });
    // PortAudio's ALSA scan prints nothing: the libraries are silenced by default.
    expect(r.stderr).not.toContain("ALSA lib");
  });
});
