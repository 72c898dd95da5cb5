// Distribution end to end, as a user gets rtmixer: no Zig, no compiler, only a prebuilt library.
// - The npm package: `npm pack` (its prepack builds dist/: compiled JavaScript, declarations, the
//   release); the tarball's content; a loopback npm registry (tests/helpers/registry.ts) serving
//   it and its dependencies packed from node_modules, so no package comes from the network.
//   Bun: `bun add` of the tarball and of `rtmixer` by name, each plays on the JACK dummy server.
//   A project with bun init's tsconfig type-checks its use of every entry point with tsc and with
//   deno check (0 errors; one misuse is one error). Deno plays and decodes through that project's
//   node_modules, and runs the README's `npm:rtmixer` block with the README's flags.
// - Deno from a URL: serve the repository and the release from a loopback HTTP server; the
//   README's block runs with exactly the README's command line from an empty DENO_DIR, and fails
//   without any one of its flags; the module downloads, verifies and caches the library; a
//   corrupted download is refused; with the server gone, the cached library still plays.
// - The JSR metadata: `deno doc --lint` on every entry point (mod.ts, src/files.ts, src/plot.ts) and
//   `deno publish --dry-run` (no slow types) pass.
// The release holds only this machine's platform (tests/helpers/release.ts builds it): building
// every platform takes about a minute, and only this one can be loaded here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { requireJack } from "./helpers/jack.ts";
import { BUN, DENO, hostRelease, type Manifest, ROOT } from "./helpers/release.ts";
import { installedClosure, readTarball, type Registry, startRegistry } from "./helpers/registry.ts";
import type { DenoApi } from "../src/ffi/deno-api.ts";
import { platform } from "../src/ffi/mod.ts";
import { VERSION } from "../src/version.ts";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the HTTP server below lives in this process). */
function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without anything that would make the loader skip what is under test. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const name of ["RTMIXER_LIB", "RTMIXER_RELEASE_URL", "RTMIXER_PORTAUDIO_LIB", "NODE_OPTIONS"]) delete env[name];
  return { ...env, NO_COLOR: "1", ...extra };
}

/** A user's program: plays 0.1 s of a tone on the default device and reports the outcome. */
const playScript = (specifier: string) => `
import { Mixer } from ${JSON.stringify(specifier)};
const mixer = new Mixer({ channels: 1, blockSize: 256 });
mixer.start();
const tone = Float32Array.from({ length: 4800 }, (_, i) => 0.1 * Math.sin(i / 10));
const action = mixer.playBuffer(tone, 1);
await mixer.wait(action);
mixer.close();
console.log(JSON.stringify({ outcome: action.outcome, frames: action.doneFrames }));
`;

/** Appended to the play script: decodes a file through rtmixer/files (its dependency by bare name). */
const DECODE_LINE = `
import { decodeFile } from "rtmixer/files";
const decoded = await decodeFile(${
  JSON.stringify(`${ROOT}tests/fixtures/tone-44100.mp3`)
}, { sampleRate: 48000, channels: 1 });
console.log(\`decoded \${decoded.frames} frames at \${decoded.sampleRate} Hz\`);
`;

const readmeBlocks = [...readFileSync(`${ROOT}README.md`, "utf8").matchAll(/^```(\w+)[^\n]*\n([\s\S]*?)^```$/gm)]
  .map((m) => ({ lang: m[1]!, code: m[2]! }));

/** The README's TypeScript block that matches `pattern`, and the flags of the `deno run` line that follows it. */
function readmeDeno(pattern: RegExp): { code: string; flags: string[] } {
  const i = readmeBlocks.findIndex((b) => b.lang === "ts" && pattern.test(b.code));
  const line = readmeBlocks.slice(i + 1).find((b) => b.lang === "sh")?.code.trim();
  const words = line?.split(/\s+/) ?? [];
  if (i < 0 || words[0] !== "deno" || words[1] !== "run" || words[words.length - 1] !== "app.ts") {
    throw new Error(`README.md: no TypeScript block matching ${pattern} followed by a \`deno run ... app.ts\` line`);
  }
  return { code: readmeBlocks[i]!.code, flags: words.slice(2, -1) };
}

const TSC = `${ROOT}node_modules/.bin/tsc`;

/** `bun init`'s tsconfig.json (Bun 1.4.5), comments left out: strict, noUncheckedIndexedAccess, bundler resolution. */
const BUN_INIT_TSCONFIG = {
  compilerOptions: {
    lib: ["ESNext"],
    target: "ESNext",
    module: "Preserve",
    moduleDetection: "force",
    jsx: "react-jsx",
    allowJs: true,
    types: ["bun"],
    moduleResolution: "bundler",
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    noFallthroughCasesInSwitch: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    noPropertyAccessFromIndexSignature: false,
  },
};

/** A user's module that uses each entry point's main types (checked, not run). */
const CONSUMER = `import {
  type Action,
  dB,
  type DeviceInfo,
  expSweep,
  Float32RingBuffer,
  MixerAndRecorder,
  OfflineMixer,
  peakOf,
  PortAudioError,
  queryDevices,
  Sample,
} from "rtmixer";
import { AudioFileError, decodeFile, loadSample, saveWav } from "rtmixer/files";
import { type Figure, figureSvg, histogram } from "rtmixer/plot";

export async function session(path: string): Promise<number> {
  const devices: DeviceInfo[] = queryDevices();
  const first = devices[0];
  console.log(first ? first.name : "no device");
  using stream = new MixerAndRecorder({ channels: 2, blockSize: 256 });
  stream.start();
  const recording = new Float32Array(stream.sampleRate);
  const start = stream.time + 0.2;
  const rec: Action<Float32Array> = stream.recordBuffer(recording, 2, { start });
  const play: Action = stream.playBuffer(new Float32Array(4800), [1, 2], { start, gain: dB(-6) });
  await stream.wait(play);
  await stream.wait();
  try {
    using sample: Sample = await loadSample(path, { sampleRate: stream.sampleRate });
    stream.playBuffer(sample, [1, 2]);
  } catch (e) {
    if (e instanceof AudioFileError) console.log(e.path, e.code);
    else if (e instanceof PortAudioError) console.log(e.code);
    else throw e;
  }
  const { frames } = await decodeFile(path, { sampleRate: 48000, channels: 2 });
  saveWav("take.wav", recording, { sampleRate: stream.sampleRate, channels: 2, format: "int16" });
  using ring = new Float32RingBuffer(1024);
  ring.write(new Float32Array(256));
  const sweep = expSweep({ sampleRate: 48000, seconds: 1 });
  const peak = peakOf(sweep.inverse);
  const figure: Figure = { panels: [{ title: "errors", bars: histogram([1, 2, 2, 3]) }] };
  console.log(figureSvg(figure).length, peak.frame, rec.doneFrames, new OfflineMixer({ channels: 2 }).sampleRate);
  return frames;
}
`;

/** A misuse (a number where a string is wanted): the one error each checker must report. */
const MISUSE = `import { Mixer } from "rtmixer";
const mixer = new Mixer({ channels: 1 });
const name: string = mixer.sampleRate;
console.log(name);
`;

/**
 * src/ffi/deno-api.ts types the Deno global locally (so that tsc compiles the sources with Bun's
 * types): under Deno's type checker (deno test), this line fails to compile if the real \`Deno\`
 * namespace stops satisfying that interface. Bun does not check types; the line has no effect.
 */
export type DenoApiMatchesDeno = typeof globalThis extends { Deno: DenoApi } ? true : never;
const _denoApiMatches: DenoApiMatchesDeno = true;
void _denoApiMatches;

const describeRun = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** Checks a child's exit (0, or "failed": any other); on a mismatch, shows all it printed. */
function expectExit(r: Run, code: 0 | "failed"): void {
  if (code === 0 ? r.code !== 0 : r.code === 0) throw new Error(`expected exit ${code}, got ${describeRun(r)}`);
}

/** Checks that the play script ran to the end and its action played every frame. */
function expectPlayed(r: Run): void {
  expectExit(r, 0);
  expect(JSON.parse(r.stdout.trim().split("\n").pop()!)).toEqual({ outcome: "done", frames: 4800 });
}

// Each describe block has its own temporary directory (the Deno shim scopes beforeAll/afterAll
// to one describe block, so there is no file-wide setup).
let work = "";
let manifest: Manifest;

function setUp(): void {
  requireJack();
  manifest = hostRelease();
  work = mkdtempSync(`${tmpdir()}/rtmixer-dist-`);
  // Deno looks for a deno.json upwards from a program: an empty one here keeps a stray config in
  // a parent directory (one has been seen in /tmp) out of these runs, as a user's project would.
  writeFileSync(`${work}/deno.json`, "{}\n");
}
function tearDown(): void {
  if (work) rmSync(work, { recursive: true, force: true });
  work = "";
}

describe("the npm package (Bun, and Deno through npm)", () => {
  let tarball = "";
  let registry: Registry | undefined;
  const project = () => `${work}/bun-project`;
  // Bun's package cache is one of this test's own, so every package comes from the registry here.
  const bunEnv = () => cleanEnv({ BUN_INSTALL_CACHE_DIR: `${work}/bun-cache`, DENO_NO_UPDATE_CHECK: "1" });
  const denoEnv = (name: string) => cleanEnv({ DENO_DIR: `${work}/${name}`, DENO_NO_UPDATE_CHECK: "1" });
  /** A fresh Bun project whose registry is the local one (bunfig.toml, as a user would set it). */
  const makeProject = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      `${dir}/package.json`,
      JSON.stringify({ name: "user-project", version: "1.0.0", type: "module", private: true }),
    );
    writeFileSync(`${dir}/bunfig.toml`, `[install]\nregistry = ${JSON.stringify(registry!.url)}\n`);
  };

  beforeAll(async () => {
    setUp();
    // `npm pack` runs package.json's "prepack" (.ci/npm-build.sh): dist/ compiled from the sources now.
    const pack = await run("npm", ["pack", "--pack-destination", work, "--loglevel=error"], { cwd: ROOT });
    expectExit(pack, 0);
    tarball = `${work}/${pack.stdout.trim().split("\n").pop()}`;
    const files = readTarball(readFileSync(tarball));
    const manifest = JSON.parse(new TextDecoder().decode(files.get("package/package.json")));
    // rtmixer by name, and what its installs need (its dependencies, @types/bun for the type check)
    // from this checkout's node_modules: no package comes from the network.
    const needed = [...Object.keys(manifest.dependencies), "@types/bun"];
    registry = await startRegistry([{ manifest, tarball: readFileSync(tarball) }, ...installedClosure(ROOT, needed)]);
  });
  afterAll(async () => {
    await registry?.close();
    tearDown();
  });

  test("the tarball is publishable: compiled JavaScript, declarations and the release, no install script", () => {
    expect(tarball.endsWith(`rtmixer-${VERSION}.tgz`)).toBe(true);
    const files = readTarball(readFileSync(tarball));
    const pkg = JSON.parse(new TextDecoder().decode(files.get("package/package.json")));
    expect(pkg.private).toBeUndefined();
    expect(pkg.version).toBe(VERSION);
    for (const hook of ["preinstall", "install", "postinstall", "prepare"]) expect(pkg.scripts?.[hook]).toBeUndefined();
    expect(pkg.optionalDependencies).toBeUndefined();
    const paths = [...files.keys()];
    // package.json says MIT: the licence text travels with the code.
    expect(new TextDecoder().decode(files.get("package/LICENSE"))).toContain("MIT License");
    for (const entry of ["mod", "src/files", "src/plot", "src/ffi/mod"]) {
      expect(paths).toContain(`package/dist/${entry}.js`);
      expect(paths).toContain(`package/dist/${entry}.d.ts`);
    }
    // Only JavaScript and declarations: no TypeScript source for Deno to refuse or tsc to check.
    expect(paths.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toEqual([]);
    // The library comes from the package, beside the compiled module, not from a build.
    const library = `package/dist/zig-out/release/${manifest.files[platform].path}`;
    expect(files.get(library)?.length).toBe(manifest.files[platform].size);
    expect(paths.filter((p) => /zig-out\/lib|\/zig\/|\.zig$/.test(p))).toEqual([]);
    // No declaration names a Deno or Bun type: a Bun project checks them with Bun's types only.
    for (const [path, bytes] of files) {
      if (!path.endsWith(".d.ts")) continue;
      const code = new TextDecoder().decode(bytes).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect({ path, leaks: code.match(/\bDeno\.\w+|\bBun\.\w+|(from|import\()\s*"bun(:\w+)?"/g) }).toEqual({
        path,
        leaks: null,
      });
    }
  });

  test("publishing refuses a release that lacks a platform", async () => {
    const r = await run("bash", [`${ROOT}.ci/npm-build.sh`, "--all-platforms"], { cwd: ROOT });
    expectExit(r, "failed");
    expect(r.stderr).toContain("A published package must carry every platform");
    expect(r.stderr).toMatch(/the release lacks:.* darwin-arm64/);
  });

  test("a Bun project installs the tarball with `bun add` and plays", async () => {
    makeProject(project());
    const add = await run(BUN, ["add", tarball, "@types/bun@1.4.5"], { cwd: project(), env: bunEnv() });
    expectExit(add, 0);
    const installed = `${project()}/node_modules/rtmixer`;
    expect(existsSync(`${installed}/dist/zig-out/release/${manifest.files[platform].path}`)).toBe(true);
    writeFileSync(`${project()}/play.ts`, playScript("rtmixer"));
    expectPlayed(await run(BUN, ["play.ts"], { cwd: project() }));
  });

  test("the project type-checks its use of rtmixer with tsc (bun init's strict tsconfig) and deno check: 0 errors", async () => {
    const dir = project();
    writeFileSync(`${dir}/tsconfig.json`, JSON.stringify(BUN_INIT_TSCONFIG, null, 2));
    writeFileSync(
      `${dir}/deno.json`,
      JSON.stringify({ nodeModulesDir: "manual", compilerOptions: { strict: true, noUncheckedIndexedAccess: true } }),
    );
    writeFileSync(`${dir}/consumer.ts`, CONSUMER);
    // Beside the user's module, one misuse: each checker must report exactly that one error, which
    // shows that it sees the package's types and finds nothing else, in the module or the package.
    writeFileSync(`${dir}/misuse.ts`, MISUSE);
    const errors = (r: Run) =>
      (r.stdout + r.stderr).match(/\S+\.ts\(\d+,\d+\): error TS\d+|TS\d+ \[ERROR\]|at file:\S+/g);
    const tsc = await run(TSC, ["--noEmit", "-p", "."], { cwd: dir });
    expect({ failed: tsc.code !== 0, errors: errors(tsc) }).toEqual({
      failed: true,
      errors: ["misuse.ts(3,7): error TS2322"],
    });
    // bun init skips checking declaration files; the package's own pass without that too.
    const full = await run(TSC, ["--noEmit", "-p", ".", "--skipLibCheck", "false"], { cwd: dir });
    expect({ failed: full.code !== 0, errors: errors(full) }).toEqual({
      failed: true,
      errors: ["misuse.ts(3,7): error TS2322"],
    });
    const deno = await run(DENO, ["check", "consumer.ts", "play.ts", "misuse.ts"], {
      cwd: dir,
      env: denoEnv("project-deno-dir"),
    });
    expect({ failed: deno.code !== 0, errors: errors(deno) }).toEqual({
      failed: true,
      errors: ["TS2322 [ERROR]", `at file://${dir}/misuse.ts:3:7`],
    });
    rmSync(`${dir}/misuse.ts`);
  });

  test("Deno runs the project's node_modules install with --allow-ffi --allow-read: plays, and decodes a file", async () => {
    const dir = project();
    writeFileSync(`${dir}/deno-play.ts`, playScript("rtmixer") + DECODE_LINE);
    const r = await run(DENO, ["run", "--allow-ffi", "--allow-read", "deno-play.ts"], {
      cwd: dir,
      env: denoEnv("project-deno-dir"),
    });
    expectPlayed({ ...r, stdout: r.stdout.replace(/^decoded .*\n/m, "") });
    expect(r.stdout).toContain("decoded 24000 frames at 48000 Hz");
  });

  test("a Bun project installs rtmixer by name from a registry and plays", async () => {
    const dir = `${work}/by-name`;
    makeProject(dir);
    const before = registry!.requests.length;
    const add = await run(BUN, ["add", `rtmixer@${VERSION}`], { cwd: dir, env: bunEnv() });
    expectExit(add, 0);
    expect(registry!.requests.slice(before)).toContain("/rtmixer");
    writeFileSync(`${dir}/play.ts`, playScript("rtmixer"));
    expectPlayed(await run(BUN, ["play.ts"], { cwd: dir }));
  });

  test("the README's npm: block runs with its command line, from the registry, an empty DENO_DIR, no node_modules", async () => {
    const { code, flags } = readmeDeno(/from "npm:rtmixer"/);
    const dir = `${work}/deno-npm`;
    mkdirSync(dir);
    // The block as it stands (npm:rtmixer, no version: the registry's latest), then a decode
    // through npm:rtmixer/files, whose dependency loads by bare name inside Deno's npm cache.
    writeFileSync(`${dir}/app.ts`, code + DECODE_LINE.replace('"rtmixer/files"', '"npm:rtmixer/files"'));
    const env = { ...denoEnv("npm-deno-dir"), NPM_CONFIG_REGISTRY: registry!.url };
    const r = await run(DENO, ["run", ...flags, "app.ts"], { cwd: dir, env });
    expectExit(r, 0);
    expect(r.stdout.trim().split("\n")).toEqual(["done: 4800 frames", "decoded 24000 frames at 48000 Hz"]);
    expect(existsSync(`${dir}/node_modules`)).toBe(false);
    expect(registry!.requests).toContain(`/-/rtmixer-${VERSION}.tgz`);
  });
});

describe("Deno, importing the module from an http URL", () => {
  let server: Server | undefined;
  let base = "";
  let corrupt = false;
  const libraryRequests: string[] = [];

  beforeAll(async () => {
    setUp();
    // Serves the repository's module files, and the release where the loader looks by default
    // (<module root>/zig-out/release/); nothing else (in particular no zig-out/lib).
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      const servable = path === "/mod.ts" || /^\/src\/[\w/.-]+\.ts$/.test(path) ||
        /^\/zig-out\/release\/[\w/.-]+$/.test(path);
      const file = `${ROOT}${path.slice(1)}`;
      if (!servable || path.includes("..") || !existsSync(file)) {
        res.writeHead(404).end("not found");
        return;
      }
      let body: Uint8Array = readFileSync(file);
      if (path.startsWith("/zig-out/release/") && !path.endsWith(".json")) {
        libraryRequests.push(path);
        if (corrupt) {
          body = Uint8Array.from(body);
          body[body.length >> 1] ^= 0xff; // one flipped byte, same size
        }
      }
      const type = path.endsWith(".ts")
        ? "application/typescript"
        : path.endsWith(".json")
        ? "application/json"
        : "application/octet-stream";
      res.writeHead(200, { "content-type": type, "content-length": body.length }).end(body);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (typeof address !== "object" || address === null) throw new Error("no server address");
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => {
    server?.closeAllConnections?.();
    server?.close();
    tearDown();
  });

  const denoEnv = () =>
    cleanEnv({ DENO_DIR: `${work}/deno-dir`, XDG_CACHE_HOME: `${work}/cache`, DENO_NO_UPDATE_CHECK: "1" });
  const cachedFile = () =>
    `${work}/cache/rtmixer/${VERSION}/${platform}/${manifest.files[platform].path.split("/").pop()}`;
  const writeProgram = () => {
    writeFileSync(`${work}/main.ts`, playScript(`${base}/mod.ts`));
    return `${work}/main.ts`;
  };

  /** Runs the README's URL block with `flags` (the README's host replaced) from an empty DENO_DIR and cache. */
  const runReadmeUrl = async (name: string, flags: string[]) => {
    const { code } = readmeDeno(/from "https:\/\/example\.com\/rtmixer\/mod\.ts"/);
    const dir = `${work}/${name}`;
    mkdirSync(dir);
    writeFileSync(`${dir}/app.ts`, code.replaceAll("https://example.com/rtmixer/", `${base}/`));
    const host = new URL(base).host;
    const env = cleanEnv({ DENO_DIR: `${dir}/deno-dir`, XDG_CACHE_HOME: `${dir}/cache`, DENO_NO_UPDATE_CHECK: "1" });
    return await run(DENO, ["run", ...flags.map((f) => f.replaceAll("example.com", host)), "app.ts"], {
      cwd: dir,
      env,
    });
  };

  test("the README's URL block runs with exactly its command line, from an empty DENO_DIR and cache", async () => {
    const { flags } = readmeDeno(/from "https:\/\/example\.com\/rtmixer\/mod\.ts"/);
    const r = await runReadmeUrl("readme-url", flags);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^done: started at frame (\d+) \(asked for \1\)$/m);
  });

  test("each flag of that command line is needed: without any one, the first run fails", async () => {
    const { flags } = readmeDeno(/from "https:\/\/example\.com\/rtmixer\/mod\.ts"/);
    expect(flags.length).toBe(6);
    for (const [i, flag] of flags.entries()) {
      const r = await runReadmeUrl(`readme-url-without-${i}`, flags.filter((f) => f !== flag));
      expect({ flag, failed: r.code !== 0 }).toEqual({ flag, failed: true });
    }
  });

  test("a corrupted download is refused with a checksum error, and nothing is cached", async () => {
    const main = writeProgram();
    corrupt = true;
    try {
      const r = await run(DENO, ["run", "-A", "--reload", main], { cwd: work, env: denoEnv() });
      expectExit(r, "failed");
      expect(r.stderr).toContain("Checksum mismatch for librtmixer downloaded from");
      expect(r.stderr).toContain(manifest.files[platform].sha256);
    } finally {
      corrupt = false;
    }
    expect(existsSync(cachedFile())).toBe(false);
  });

  test("without --allow-net, the error names the flag", async () => {
    const main = writeProgram();
    const host = new URL(base).host;
    const flags = ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi", `--allow-import=${host}`];
    const r = await run(DENO, ["run", ...flags, main], {
      cwd: work,
      env: denoEnv(),
    });
    expectExit(r, "failed");
    expect(r.stderr).toContain("rtmixer needs permission to download");
    expect(r.stderr).toContain(`--allow-net=${host}`);
  });

  test("the first run downloads, verifies and caches the library, and plays", async () => {
    const main = writeProgram();
    const before = libraryRequests.length;
    const r = await run(DENO, ["run", "-A", main], { cwd: work, env: denoEnv() });
    expectPlayed(r);
    expect(libraryRequests.length).toBe(before + 1);
    expect(readFileSync(cachedFile()).length).toBe(manifest.files[platform].size);
    expect(readFileSync(`${cachedFile()}.sha256`, "utf8").trim()).toBe(manifest.files[platform].sha256);
    const leftovers = readdirSync(`${work}/cache/rtmixer/${VERSION}/${platform}`).filter((f) => f.endsWith(".tmp"));
    expect(leftovers).toEqual([]);
  });

  test("with the server stopped, the cached module and library still play", async () => {
    await new Promise<void>((resolve) => {
      server!.closeAllConnections?.();
      server!.close(() => resolve());
    });
    server = undefined;
    const r = await run(DENO, ["run", "-A", "--cached-only", `${work}/main.ts`], { cwd: work, env: denoEnv() });
    expectPlayed(r);
  });

  test("a damaged cached copy is not loaded: it is downloaded again (here: fails, offline)", async () => {
    const file = cachedFile();
    const bytes = readFileSync(file);
    bytes[100] ^= 0xff;
    writeFileSync(file, bytes);
    const r = await run(DENO, ["run", "-A", "--cached-only", `${work}/main.ts`], { cwd: work, env: denoEnv() });
    expectExit(r, "failed");
    expect(r.stderr).toContain("rtmixer could not download its native library from");
  });
});

describe("without PortAudio", () => {
  beforeAll(setUp);
  afterAll(tearDown);
  test("the first audio call says PortAudio is missing and how to install it", async () => {
    const script = `${work}/no-portaudio.ts`;
    writeFileSync(
      script,
      `import { queryDevices } from ${JSON.stringify(`${ROOT}mod.ts`)};\n` +
        `try { queryDevices(); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }\n`,
    );
    const env = cleanEnv({ RTMIXER_PORTAUDIO_LIB: `${work}/nowhere/libportaudio.so.2` });
    const isBun = "Bun" in globalThis;
    const r = await run(isBun ? BUN : DENO, isBun ? [script] : ["run", "-A", script], { cwd: work, env });
    expectExit(r, 0);
    const error = JSON.parse(r.stdout.trim());
    expect(error.name).toBe("PortAudioError");
    expect(error.code).toBe(-2);
    expect(error.message).toContain("PortAudio not found");
    expect(error.message).toContain("sudo apt install libportaudio2");
  });
});

describe("JSR metadata", () => {
  beforeAll(setUp);
  afterAll(tearDown);
  test("deno doc --lint finds every public symbol of every entry point documented", async () => {
    const r = await run(DENO, ["doc", "--lint", "mod.ts", "src/files.ts", "src/plot.ts"], { cwd: ROOT });
    expectExit(r, 0);
  });

  test("deno publish --dry-run succeeds offline with no slow types, and would ship the release", async () => {
    const r = await run(DENO, ["publish", "--dry-run", "--allow-dirty"], { cwd: ROOT, env: cleanEnv() });
    expectExit(r, 0);
    const out = r.stdout + r.stderr;
    expect(out).toContain("Checking for slow types in the public API...");
    expect(out).toContain(`zig-out/release/${manifest.files[platform].path}`);
    expect(out).toContain("Dry run complete");
    // Its only warnings are the four computed imports, on purpose (bun:ffi in Bun only, and the
    // pinned npm:name@version dependencies, src/packages.ts), which resolve without an import map;
    // JSR has no way to silence them (denoland/deno#22594). Any other warning fails here.
    const warnings = [...out.matchAll(/warning\[([\w-]+)\][^\n]*\n\s*--> [^\n]*\/(src\/[\w/.-]+\.ts)/g)].map((m) =>
      `${m[1]} ${m[2]}`
    );
    expect(warnings.sort()).toEqual([
      "unanalyzable-dynamic-import src/ffi/bun.ts",
      "unanalyzable-dynamic-import src/files.ts",
      "unanalyzable-dynamic-import src/measure.ts",
      "unanalyzable-dynamic-import src/plot.ts",
    ]);
    expect(out.match(/warning\[/g)?.length).toBe(4);
  });
});
