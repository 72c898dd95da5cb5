// Every TypeScript block of README.md runs here, in the runtime running the tests, on the JACK
// dummy server of `npm test`, so the README cannot rot. Each block is written to a file at the
// repository root (so that "./mod.ts" means this checkout) and run as a child process. Imports
// that cannot be resolved here are rewritten to the local module, and only those: the package
// name of the Bun install ("rtmixer", "rtmixer/files", "rtmixer/plot"), Deno's "npm:rtmixer" and
// the URLs of the Deno imports. Shell blocks are
// checked to name only commands that other tests or CI run, and the example commands they show
// are run with --help. A block fenced as ```ts no-run is skipped (none is, now).
import { describe, expect, test } from "bun:test";
import { runArgs } from "./helpers/child.ts";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { requireJack } from "./helpers/jack.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...readme.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
  lang: m[1],
  info: m[2].trim(),
  code: m[3],
  line: readme.slice(0, m.index).split("\n").length,
}));

function runTs(code: string, name: string) {
  const file = join(ROOT, `.readme-${name}-${process.pid}.ts`);
  const source = code
    .replace(/from "(npm:)?rtmixer(\/mod\.ts)?"/g, 'from "./mod.ts"')
    .replace(/from "https:\/\/[^"]*\/mod\.ts"/g, 'from "./mod.ts"')
    .replace(/from "rtmixer\/files"/g, 'from "./src/files.ts"')
    .replace(/from "https:\/\/[^"]*\/src\/files\.ts"/g, 'from "./src/files.ts"')
    .replace(/from "rtmixer\/plot"/g, 'from "./src/plot.ts"');
  writeFileSync(file, source);
  try {
    const args = runArgs(file);
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(file, { force: true });
  }
}

describe("README.md", () => {
  test("has TypeScript blocks for Bun, for Deno from a URL and from a local path", () => {
    const ts = blocks.filter((b) => b.lang === "ts");
    expect(ts.some((b) => b.code.includes('from "rtmixer"'))).toBe(true);
    expect(ts.some((b) => /from "https:\/\/[^"]*\/mod\.ts"/.test(b.code))).toBe(true);
    expect(ts.some((b) => b.code.includes('from "./mod.ts"'))).toBe(true);
    expect(blocks.every((b) => ["ts", "sh"].includes(b.lang))).toBe(true);
  });

  for (const block of blocks.filter((b) => b.lang === "ts" && b.info !== "no-run")) {
    test(`the TypeScript block at line ${block.line} runs`, () => {
      requireJack();
      const r = runTs(block.code, `line${block.line}`);
      if (r.status !== 0) console.log(r.out);
      expect(r.status).toBe(0);
    });
  }

  test("the README's blocks print what they say", () => {
    requireJack();
    const [bun, url, local] = blocks.filter((b) => b.lang === "ts" && b.code.includes("burst"));
    expect(runTs(bun.code, "bun").out).toMatch(/^played at \d+\.\d{6} s, recorded 24000 frames$/m);
    expect(runTs(url.code, "url").out).toMatch(/^done: started at frame (\d+) \(asked for \1\)$/m);
    expect(runTs(local.code, "local").out).toMatch(/^recorded 24000 frames starting at \d+\.\d{6} s$/m);
  });

  test("shell blocks name only commands that CI or other tests run, and the examples they show exist", () => {
    const known = [
      /^npm (run demo|test|run bench)\b/,
      /^cd \S+ && (npm run demo|bun add link:\S+)/,
      /^(bun|deno run -A) examples\/\w+\.ts/,
      /^deno run( --allow-[a-z]+(=\S+)?)+ app\.ts$/, // the Deno command lines tests/distribution.test.ts runs
    ];
    for (const block of blocks.filter((b) => b.lang === "sh")) {
      for (const line of block.code.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean)) {
        expect({ line, known: known.some((k) => k.test(line)) }).toEqual({ line, known: true });
        const example = /examples\/(\w+)\.ts/.exec(line);
        if (example) {
          const args = runArgs(`examples/${example[1]}.ts`, "--help");
          const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
          expect(r.status).toBe(0);
          // Every flag the README passes is one the example knows.
          for (const flag of line.match(/--[\w-]+/g) ?? []) expect(r.stdout).toContain(flag);
        }
      }
    }
  });
});
