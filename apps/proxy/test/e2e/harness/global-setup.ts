import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");

/** Builds every workspace package to dist (tsc -b is incremental, so this is cheap when current). */
export default function setup(): void {
  execFileSync(process.execPath, [path.join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-b"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
}
