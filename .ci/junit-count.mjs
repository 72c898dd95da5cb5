// Prints "PASSED FAILED" for the JUnit XML files given: test cases with a <failure> or <error>
// count as failed, skipped ones as neither, the rest as passed.
import { readFileSync } from "node:fs";
let passed = 0, failed = 0;
for (const file of process.argv.slice(2)) {
  let xml;
  try { xml = readFileSync(file, "utf8"); } catch { failed++; continue; } // no report: the run crashed
  for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (!/<skipped\b/.test(body)) passed++;
  }
}
console.log(`${passed} ${failed}`);
