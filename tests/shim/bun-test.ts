/**
 * `bun:test` for Deno: the test files are written against bun:test, and deno.json maps that
 * specifier here, so one suite runs unchanged under both runtimes. Each `test` becomes a
 * `Deno.test`; `describe` prefixes names and scopes `beforeAll`/`afterAll`.
 */
import { expect } from "expect";

export { expect };

type Fn = () => void | Promise<void>;
interface Scope {
  prefix: string;
  beforeAll: Fn[];
  afterAll: Fn[];
  tests: { name: string; fn: Fn; skip: boolean }[];
}

let scope: Scope | undefined;

function flush(s: Scope): void {
  let before = false;
  s.tests.forEach((t, i) => {
    const last = i === s.tests.length - 1;
    Deno.test({
      name: s.prefix + t.name,
      ignore: t.skip,
      sanitizeOps: false,
      sanitizeResources: false,
      sanitizeExit: false,
      async fn() {
        if (!before) {
          before = true;
          for (const f of s.beforeAll) await f();
        }
        try {
          await t.fn();
        } finally {
          if (last) for (const f of s.afterAll) await f();
        }
      },
    });
  });
}

export function describe(name: string, body: () => void): void {
  const outer = scope;
  const inner: Scope = { prefix: (outer?.prefix ?? "") + name + " > ", beforeAll: [], afterAll: [], tests: [] };
  scope = inner;
  try {
    body();
  } finally {
    scope = outer;
  }
  flush(inner);
}

function add(name: string, fn: Fn, skip: boolean): void {
  if (scope) scope.tests.push({ name, fn, skip });
  else flush({ prefix: "", beforeAll: [], afterAll: [], tests: [{ name, fn, skip }] });
}

export function test(name: string, fn: Fn, _timeoutMs?: number): void {
  add(name, fn, false);
}
test.skip = (name: string, fn: Fn, _timeoutMs?: number) => add(name, fn, true);
test.if = (condition: boolean) => (name: string, fn: Fn, _timeoutMs?: number) => add(name, fn, !condition);
export const it = test;

export function beforeAll(fn: Fn): void {
  if (!scope) throw new Error("beforeAll outside describe is not supported by the Deno shim");
  scope.beforeAll.push(fn);
}
export function afterAll(fn: Fn): void {
  if (!scope) throw new Error("afterAll outside describe is not supported by the Deno shim");
  scope.afterAll.push(fn);
}
