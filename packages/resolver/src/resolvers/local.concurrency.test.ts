import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalResolver } from "./local.js";

const CHILDREN = 8;
const packageDir = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/registrant.mjs", import.meta.url));

/** Resolves once `child` has printed `line` on stdout. */
function printed(child: ChildProcessWithoutNullStreams, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.split("\n").includes(line)) {
        child.stdout.off("data", onData);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => reject(new Error(`child exited (${code}) before "${line}": ${err}`)));
  });
}

describe("LocalResolver with concurrent writer processes", () => {
  let home: string;
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeAll(async () => {
    // Children run plain node, so they load the compiled package.
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    await promisify(execFile)(process.execPath, [tsc, "-b", packageDir]);
    home = await mkdtemp(join(tmpdir(), "courier-concurrency-"));
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await rm(home, { recursive: true, force: true });
  });

  it(`every read sees only whole entries while ${CHILDREN} processes heartbeat every 5 ms`, async () => {
    const reader = new LocalResolver({ home });
    const req = { id: "orders", namespace: "default" };
    const ports = Array.from({ length: CHILDREN }, (_, i) => 41000 + i);
    const expected = ports.map((p) => `127.0.0.1:${p}`).sort();

    const registered: Promise<void>[] = [];
    for (const port of ports) {
      const child = spawn(process.execPath, [fixture, "orders", String(port), "5"], {
        env: { ...process.env, COURIER_HOME: home },
      });
      children.push(child);
      registered.push(printed(child, "registered"));
    }
    let allRegistered = false;
    let childFailed = false;
    const ready = Promise.all(registered).then(() => {
      allRegistered = true;
    });
    ready.catch(() => (childFailed = true));

    // Read in a loop from before the first registration until a second after the last one.
    const pids = new Set(children.map((c) => c.pid));
    const firstBeat = new Map<string, number>();
    const lastBeat = new Map<string, number>();
    let fullReads = 0;
    let endAt = Number.POSITIVE_INFINITY;
    void ready.then(() => (endAt = Date.now() + 1000));
    // Past the second, keep going until enough reads overlapped the writers, even on a busy box.
    const hardStop = Date.now() + 15_000;
    while (!childFailed && (Date.now() < endAt || (fullReads < 50 && Date.now() < hardStop))) {
      const sawAll = allRegistered;
      const instances = await reader.instances(req);
      for (const i of instances) {
        expect(pids.has(i.pid)).toBe(true);
        expect(ports).toContain(i.port);
        expect(i.host).toBe("127.0.0.1");
        expect(i.heartbeatAt).toBeGreaterThanOrEqual(lastBeat.get(i.instanceId) ?? 0);
        lastBeat.set(i.instanceId, i.heartbeatAt);
        if (!firstBeat.has(i.instanceId)) firstBeat.set(i.instanceId, i.heartbeatAt);
      }
      const addresses = await reader.resolve(req);
      for (const a of addresses) expect(expected).toContain(a);
      if (sawAll) {
        // Each file is replaced by rename, so once written it never disappears or reads short.
        expect(instances).toHaveLength(CHILDREN);
        expect(addresses).toEqual(expected);
        fullReads++;
      }
    }
    await ready;
    expect(fullReads).toBeGreaterThanOrEqual(50);
    // The children really were rewriting their files throughout the second of reading.
    expect(lastBeat.size).toBe(CHILDREN);
    for (const [id, last] of lastBeat) expect(last - firstBeat.get(id)!).toBeGreaterThan(500);

    const closed = children.map((c) => printed(c, "closed"));
    for (const c of children) c.stdin.write("close\n");
    await Promise.all(closed);
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
    expect(children.map((c) => c.exitCode)).toEqual(Array(CHILDREN).fill(0));

    expect(await reader.resolve(req)).toEqual([]);
    // No entry and no temp file left behind.
    expect(await readdir(join(home, "registry", "v1", "default", "orders"))).toEqual([]);
    await reader.close();
  });
});
