/**
 * The specifier that imports one of rtmixer's npm dependencies (files.ts, measure.ts, plot.ts),
 * in the form the running copy of rtmixer can resolve:
 *
 * - the TypeScript sources in Deno (a checkout, a URL import, JSR): `npm:<name>@<version>`, which
 *   needs no import map (a checkout resolves it from its node_modules, `nodeModulesDir: "manual"`);
 * - the TypeScript sources in Bun, and the npm package's compiled JavaScript (dist/) in either
 *   runtime: the bare name, resolved from node_modules (Deno refuses `npm:` specifiers inside an
 *   npm package, where its dependencies resolve by name as in Node).
 *
 * The specifier is computed, so that neither runtime resolves the other's form while loading a
 * module. Only the npm build is JavaScript, so a module's own extension tells which copy runs.
 */
const isDeno = "Deno" in globalThis && !("Bun" in globalThis);
const compiled = import.meta.url.endsWith(".js");

/** How to import the npm package `name` at its pinned `version` from this copy of rtmixer. */
export function packageSpecifier(name: string, version: string): string {
  return isDeno && !compiled ? `npm:${name}@${version}` : name;
}
