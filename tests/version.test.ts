// One version number: package.json's, which deno.json, src/version.ts and the release manifest
// repeat. The ABI version is a separate number (it changes only with the native interface): the
// TypeScript side, the Zig side, the built library and the manifest must agree on it. So must the
// facts both sides share (struct offsets, enum values, limits, the time-to-frame formula), which
// the loader checks against the library's own table (zig/facts.zig) each time it loads it.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { VERSION } from "../src/version.ts";
import { ABI_VERSION } from "../src/ffi/symbols.ts";
import { native } from "../src/ffi/mod.ts";
import { FACTS, factMismatch, frameOf } from "../src/ffi/layout.ts";
import { hostRelease, RELEASE_DIR, ROOT } from "./helpers/release.ts";

const json = (file: string) => JSON.parse(readFileSync(`${ROOT}${file}`, "utf8"));

/** The library's facts table (zig/facts.zig), as the loader reads it. */
function libraryFacts(): Record<string, unknown> {
  const lib = native();
  const bytes = new Uint8Array(lib.rtm_facts(null, 0));
  lib.rtm_facts(bytes, bytes.length);
  return JSON.parse(new TextDecoder().decode(bytes));
}

describe("versions", () => {
  test("package.json, deno.json and src/version.ts name the same version", () => {
    const version = json("package.json").version;
    expect(version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(json("deno.json").version).toBe(version);
    expect(VERSION).toBe(version);
  });

  test("the ABI version agrees between TypeScript, zig/root.zig and the loaded library", () => {
    const zig = readFileSync(`${ROOT}zig/root.zig`, "utf8").match(/pub const abi_version: u32 = (\d+);/);
    expect(zig).not.toBeNull();
    expect(Number(zig![1])).toBe(ABI_VERSION);
    expect(native().rtm_abi_version()).toBe(ABI_VERSION);
  });

  test("the library's facts match TypeScript's: every one it relies on, and the formula on every sample value", () => {
    const facts = libraryFacts();
    expect(factMismatch(facts)).toBeUndefined();
    for (const name of Object.keys(FACTS)) expect({ [name]: facts[name] }).toEqual({ [name]: FACTS[name] });
    const samples = Object.keys(facts).filter((k) => /^frameOf\.\d+\.t$/.test(k)).length;
    expect(samples).toBeGreaterThanOrEqual(8);
    // The values include halves below zero, where Math.round and Zig's @round disagree.
    expect(frameOf(-2.5, 1, 0)).toBe(-2);
  });

  test("a library that disagrees on any fact is refused, and the message names the fact", () => {
    const facts = libraryFacts();
    expect(factMismatch({ ...facts, "report.stats": 48 })).toMatch(/^report\.stats: the library says 48, TypeScript 40/);
    const { ["kind.cancel"]: _, ...missing } = facts;
    expect(factMismatch(missing)).toMatch(/^kind\.cancel: the library says undefined/);
    expect(factMismatch({ ...facts, "frameOf.3.frame": 1234 })).toMatch(/^frameOf\(.*\): the library says 1234, TypeScript /);
    const noSamples = Object.fromEntries(Object.entries(facts).filter(([k]) => !k.startsWith("frameOf.")));
    expect(factMismatch(noSamples)).toMatch(/^frameOf: the library gives no sample values/);
  });

  test("the release manifest records both versions and each file's size and SHA-256", () => {
    const manifest = hostRelease();
    expect(manifest.version).toBe(VERSION);
    expect(manifest.abiVersion).toBe(ABI_VERSION);
    expect(Object.keys(manifest.files).length).toBeGreaterThan(0);
    for (const [platform, file] of Object.entries(manifest.files)) {
      expect(file.path.startsWith(`${platform}/`)).toBe(true);
      const bytes = readFileSync(`${RELEASE_DIR}/${file.path}`);
      expect(bytes.length).toBe(file.size);
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(file.sha256);
    }
  });
});
