import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DEMO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The test runs the built demo, which runs the built `courier` binary: `tsc -b tools/demo`
 * builds both (the demo's tsconfig references apps/proxy), incrementally.
 */
export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-b", DEMO_DIR], { stdio: "inherit" });
}
