/**
 * rtmixer's version. package.json's "version" is the source of truth; tests/version.test.ts
 * checks that this, deno.json and the release manifest agree. The native ABI version
 * (src/ffi/symbols.ts) is separate: it changes only with the exported functions and shared
 * struct layouts, and the release manifest records both.
 */
export const VERSION = "0.1.0";
