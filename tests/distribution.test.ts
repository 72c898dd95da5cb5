// Distribution end to end, as a user gets rtmixer: no Zig, no compiler, only a prebuilt library.
// - Bun: `npm pack` the repository, install the tarball into a fresh project, import "rtmixer"
//   from a Bun script and play on the JACK dummy server.
// - Deno: serve the repository and the release from a loopback HTTP server, import
//   http://127.0.0.1:PORT/mod.ts, which downloads, verifies and caches the library; a corrupted
//   download is refused; with the server gone, the cached library still plays.
// - The JSR metadata: `deno doc --lint` on every entry point (mod.ts, src/files.ts, src/plot.ts) and
//   `deno publish --dry-run` pass.
// The release holds only this machine's platform (tests/helpers/release.ts builds it): building
// every platform takes about a minute, and only this one can be loaded here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { requireJack } from "./helpers/jack.ts";
import { BUN, DENO, hostRelease, type Manifest, RELEASE_DIR, ROOT } from "./helpers/release.ts";
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
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
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
}
function tearDown(): void {
  if (work) rmSync(work, { recursive: true, force: true });
  work = "";
}

describe("the npm package, installed into a Bun project", () => {
  beforeAll(setUp);
  afterAll(tearDown);
  test("installs from the packed tarball with no lifecycle script and plays from Bun", async () => {
    const pack = await run("npm", ["pack", "--pack-destination", work, "--loglevel=error"], { cwd: ROOT });
    expectExit(pack, 0);
    const tarball = `${work}/${pack.stdout.trim().split("\n").pop()}`;
    expect(tarball.endsWith(`rtmixer-${VERSION}.tgz`)).toBe(true);

    const project = `${work}/bun-project`;
    mkdirSync(project);
    writeFileSync(`${project}/package.json`, JSON.stringify({ name: "user-project", version: "1.0.0", type: "module" }));
    const install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], { cwd: project });
    expectExit(install, 0);

    const installed = `${project}/node_modules/rtmixer`;
    const pkg = JSON.parse(readFileSync(`${installed}/package.json`, "utf8"));
    for (const hook of ["preinstall", "install", "postinstall", "prepare"]) expect(pkg.scripts?.[hook]).toBeUndefined();
    // The library comes from the package, not from a build: none is there to find.
    expect(existsSync(`${installed}/zig-out/release/${manifest.files[platform].path}`)).toBe(true);
    expect(existsSync(`${installed}/zig-out/lib`)).toBe(false);
    expect(existsSync(`${installed}/zig`)).toBe(false);

    writeFileSync(`${project}/play.ts`, playScript("rtmixer"));
    const play = await run(BUN, ["play.ts"], { cwd: project });
    expectPlayed(play);
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
      const type = path.endsWith(".ts") ? "application/typescript" : path.endsWith(".json") ? "application/json" : "application/octet-stream";
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

  const denoEnv = () => cleanEnv({ DENO_DIR: `${work}/deno-dir`, XDG_CACHE_HOME: `${work}/cache`, DENO_NO_UPDATE_CHECK: "1" });
  const cachedFile = () => `${work}/cache/rtmixer/${VERSION}/${platform}/${manifest.files[platform].path.split("/").pop()}`;
  const writeProgram = () => {
    writeFileSync(`${work}/main.ts`, playScript(`${base}/mod.ts`));
    return `${work}/main.ts`;
  };

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

  test("deno publish --dry-run succeeds offline and would ship the release", async () => {
    const r = await run(DENO, ["publish", "--dry-run", "--allow-dirty"], { cwd: ROOT });
    expectExit(r, 0);
    expect(r.stdout + r.stderr).toContain(`zig-out/release/${manifest.files[platform].path}`);
    expect(r.stdout + r.stderr).toContain("Dry run complete");
  });
});
