import { randomBytes } from "node:crypto";
import { rm, writeFile, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Marks a temp file of {@link writeFileAtomic}; readers skip such names. */
export const TEMP_SUFFIX = ".tmp";

/**
 * Replace `file` so that a concurrent reader sees the old content or the new, never a prefix:
 * write a uniquely named temp file in the same folder (rename is atomic only within one file
 * system), then rename it over the target. No fsync: the registry only describes running
 * processes, so after a crash or power loss every entry is stale anyway.
 */
export async function writeFileAtomic(file: string, data: string, mode = 0o600): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`);
  try {
    // `wx`: never follow or reuse a file someone else put at our temp name.
    await writeFile(tmp, data, { flag: "wx", mode });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
