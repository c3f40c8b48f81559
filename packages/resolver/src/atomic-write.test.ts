import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-write.js";

describe("writeFileAtomic", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "courier-atomic-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates and then replaces the file, leaving no temp file", async () => {
    const file = join(dir, "a.json");
    await writeFileAtomic(file, "one");
    await writeFileAtomic(file, "two");
    expect(await readFile(file, "utf8")).toBe("two");
    expect(await readdir(dir)).toEqual(["a.json"]);
  });

  it("creates the file owner-only", async () => {
    const file = join(dir, "a.json");
    await writeFileAtomic(file, "x");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("removes its temp file when the rename fails", async () => {
    const target = join(dir, "occupied.json");
    await mkdir(target);
    await writeFile(join(target, "keep"), "");
    await expect(writeFileAtomic(target, "x")).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["occupied.json"]);
  });
});
