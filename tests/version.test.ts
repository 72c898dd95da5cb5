// One version number: package.json's, which deno.json, src/version.ts and the release manifest
// repeat. The ABI version is a separate number (it changes only with the native interface): the
// TypeScript side, the Zig side, the built library and the manifest must agree on it.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { VERSION } from "../src/version.ts";
import { ABI_VERSION } from "../src/ffi/symbols.ts";
import { native } from "../src/ffi/mod.ts";
import { hostRelease, RELEASE_DIR, ROOT } from "./helpers/release.ts";

const json = (file: string) => JSON.parse(readFileSync(`${ROOT}${file}`, "utf8"));

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
