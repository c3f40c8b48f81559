// Runs the whole Vitest suite and ends with the plain `N passed, N failed` line that CI reads
// (Vitest's own summary is not one of the recognised formats). Exit code is Vitest's.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const report = path.join(root, ".vitest-report.json");
rmSync(report, { force: true });

const vitest = path.join(root, "node_modules/vitest/vitest.mjs");
const run = spawnSync(
  process.execPath,
  [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit" },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed = json.numPassedTests ?? 0;
  failed = json.numFailedTests ?? 0;
  // A file that fails to load has no failed test of its own; count it so it cannot pass silently.
  if (failed === 0) failed = json.numFailedTestSuites ?? 0;
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
} catch (err) {
  console.error(`could not read the Vitest report: ${err.message}`);
  failed = Math.max(failed, 1);
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
const code = run.status ?? 1;
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
