import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { homedir, hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ResolverConfigError } from "../errors.js";
import type { AppInstance, ResolverLog } from "../resolver.js";
import { LocalResolver, type LocalRegistryEntry, type LocalResolverOptions, localResolverFactory } from "./local.js";

let home: string;
const open: LocalResolver[] = [];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "courier-local-"));
});

afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  await rm(home, { recursive: true, force: true });
});

function local(opts: LocalResolverOptions = {}): LocalResolver {
  const r = new LocalResolver({ home, ...opts });
  open.push(r);
  return r;
}

const orders = (port: number, extra: Partial<AppInstance> = {}): AppInstance => ({
  appId: "orders",
  namespace: "default",
  host: "127.0.0.1",
  port,
  ...extra,
});

const appDir = (namespace = "default", appId = "orders") => join(home, "registry", "v1", namespace, appId);

/** Write an entry by hand, as a foreign or long-gone process would have left it. */
async function plant(name: string, fields: Partial<LocalRegistryEntry> = {}, dir = appDir()): Promise<string> {
  const now = Date.now();
  const entry: LocalRegistryEntry = {
    version: 1,
    appId: "orders",
    namespace: "default",
    host: "127.0.0.1",
    port: 40000,
    pid: process.pid,
    hostname: hostname(),
    startedAt: now,
    heartbeatAt: now,
    ...fields,
  };
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(entry));
  return file;
}

async function entryFiles(dir = appDir()): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter((n) => n.endsWith(".json"));
}

async function until(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("LocalResolver register / resolve / close", () => {
  it("writes one well-formed file per instance under <home>/registry/v1/<ns>/<id>", async () => {
    const before = Date.now();
    await local().register(orders(50002, { httpPort: 3500, appPort: 8080 }));
    const [name] = await entryFiles();
    expect(name).toMatch(new RegExp(`^${process.pid}-[0-9a-f-]{36}\\.json$`));
    const entry = JSON.parse(await readFile(join(appDir(), name!), "utf8")) as LocalRegistryEntry;
    expect(entry).toEqual({
      version: 1,
      appId: "orders",
      namespace: "default",
      host: "127.0.0.1",
      port: 50002,
      httpPort: 3500,
      appPort: 8080,
      pid: process.pid,
      hostname: hostname(),
      startedAt: entry.heartbeatAt,
      heartbeatAt: entry.heartbeatAt,
    });
    expect(entry.heartbeatAt).toBeGreaterThanOrEqual(before);
    expect(await readdir(appDir())).toEqual([name]); // no temp file left behind
  });

  it("resolves every instance of an app, sorted and de-duplicated", async () => {
    const a = local();
    const b = local();
    await a.register(orders(50012));
    await b.register(orders(50002));
    await plant("copy.json", { port: 50002 });
    expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual([
      "127.0.0.1:50002",
      "127.0.0.1:50012",
    ]);
  });

  it("brackets IPv6 hosts and registers wildcard hosts as loopback", async () => {
    const r = local();
    await r.register(orders(1, { host: "::1" }));
    await r.register(orders(2, { host: "0.0.0.0" }));
    await r.register(orders(3, { host: "[::]" }));
    expect(await r.resolve({ id: "orders", namespace: "default" })).toEqual([
      "127.0.0.1:2",
      "[::1]:1",
      "[::1]:3",
    ]);
  });

  it("answers [] when nothing was ever registered", async () => {
    expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual([]);
  });

  it("removes its own files on close, idempotently, and refuses to register afterwards", async () => {
    const mine = local();
    const other = local();
    await mine.register(orders(1));
    await mine.register({ ...orders(2), appId: "billing" });
    await other.register(orders(3));
    await mine.close();
    await mine.close();
    expect(await other.resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:3"]);
    expect(await entryFiles(appDir("default", "billing"))).toEqual([]);
    await expect(mine.register(orders(4))).rejects.toThrow(/after close/);
  });

  it("undoes a registration that close() overtook", async () => {
    const r = local();
    const registering = r.register(orders(1));
    await r.close();
    await expect(registering).rejects.toThrow(/closed during register/);
    expect(await entryFiles()).toEqual([]);
  });

  it("rejects a second registration of the same address, even a concurrent one", async () => {
    const r = local();
    await r.register(orders(1));
    await expect(r.register(orders(1))).rejects.toThrow(/already registered/);
    await r.register(orders(2));
    const racing = await Promise.allSettled([r.register(orders(3)), r.register(orders(3))]);
    expect(racing.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(await entryFiles()).toHaveLength(3);
  });

  it.each([
    [{ appId: "" }, /invalid appId/],
    [{ namespace: "" }, /invalid namespace/],
    [{ host: "" }, /invalid host/],
    [{ port: 0 }, /invalid port 0/],
    [{ port: 65536 }, /invalid port/],
    [{ port: 1.5 }, /invalid port/],
    [{ httpPort: -1 }, /invalid httpPort/],
    [{ pid: 0 }, /invalid pid 0/],
    [{ pid: -1 }, /invalid pid/],
  ])("validates %o", async (patch, message) => {
    await expect(local().register({ ...orders(1), ...patch })).rejects.toThrow(message);
  });

  it("keeps namespaces apart (unlike mdns, spec §11 row 9)", async () => {
    const r = local();
    await r.register({ ...orders(1), namespace: "prod" });
    await r.register({ ...orders(2), namespace: "staging" });
    expect(await r.resolve({ id: "orders", namespace: "prod" })).toEqual(["127.0.0.1:1"]);
    expect(await r.resolve({ id: "orders", namespace: "staging" })).toEqual(["127.0.0.1:2"]);
    expect(await r.resolve({ id: "orders", namespace: "default" })).toEqual([]);
  });

  it("ignores an entry whose content names another app or namespace", async () => {
    await plant("moved.json", { namespace: "prod" });
    await plant("renamed.json", { appId: "billing" });
    await plant("good.json", { port: 7 });
    expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:7"]);
  });

  it("keeps ids from leaving the registry folder", async () => {
    const outside = join(home, "registry", "v1", "x.json");
    await plant("x.json", { appId: "..", namespace: "default" }, join(home, "registry", "v1"));
    const r = local();
    expect(await r.resolve({ id: "..", namespace: "default" })).toEqual([]);
    expect(await r.resolve({ id: "v1", namespace: "../.." })).toEqual([]);
    await r.register({ ...orders(9), appId: "../../evil", namespace: "a/b" });
    expect(await r.resolve({ id: "../../evil", namespace: "a/b" })).toEqual(["127.0.0.1:9"]);
    const [dir] = await readdir(join(home, "registry", "v1"));
    expect(dir).toBe("a%2Fb");
    expect(await readdir(join(home, "registry", "v1", "a%2Fb"))).toEqual(["%2E%2E%2F%2E%2E%2Fevil"]);
    await stat(outside); // untouched
  });

  it("honours an aborted signal", async () => {
    await expect(local().resolve({ id: "orders", namespace: "default" }, AbortSignal.abort(new Error("stop"))))
      .rejects.toThrow("stop");
  });
});

describe("LocalResolver liveness", () => {
  it("skips an entry whose heartbeat is older than staleAfterMs", async () => {
    const now = Date.now();
    await plant("fresh.json", { port: 1, heartbeatAt: now - 9_000 });
    await plant("stale.json", { port: 2, heartbeatAt: now - 11_000 });
    await plant("future.json", { port: 3, heartbeatAt: now + 11_000 });
    expect(await local({ now: () => now }).resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:1"]);
  });

  it("drops a live registration once readers' clocks pass staleAfterMs", async () => {
    await local().register(orders(1));
    const reader = (skew: number) => local({ now: () => Date.now() + skew, staleAfterMs: 3000, heartbeatIntervalMs: 1000 });
    expect(await reader(2000).resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:1"]);
    expect(await reader(4000).resolve({ id: "orders", namespace: "default" })).toEqual([]);
  });

  it("skips an entry on this host whose pid is gone", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    await once(child, "spawn");
    const writer = local({ heartbeatIntervalMs: 20 });
    await writer.register(orders(50002, { pid: child.pid! }));
    const reader = local();
    expect(await reader.resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:50002"]);
    child.kill("SIGKILL");
    await once(child, "exit");
    expect(await reader.resolve({ id: "orders", namespace: "default" })).toEqual([]);
    // The heartbeat is still fresh: only the pid check could have dropped it.
    const [entry] = await entryFiles();
    const { heartbeatAt } = JSON.parse(await readFile(join(appDir(), entry!), "utf8")) as LocalRegistryEntry;
    expect(Date.now() - heartbeatAt).toBeLessThan(10_000);
  });

  it("trusts a pid only on the host that wrote it", async () => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    await plant("here.json", { port: 1, pid: child.pid! });
    await plant("elsewhere.json", { port: 2, pid: child.pid!, hostname: "some-other-host" });
    expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:2"]);
  });

  it("treats EPERM from kill(pid, 0) as alive", async () => {
    const kill = vi.spyOn(process, "kill").mockImplementation(() => {
      throw Object.assign(new Error("operation not permitted"), { code: "EPERM" });
    });
    try {
      await plant("root-owned.json", { port: 1, pid: 1 });
      expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:1"]);
      expect(kill).toHaveBeenCalledWith(1, 0);
    } finally {
      kill.mockRestore();
    }
  });

  it("refreshes heartbeatAt on every beat", async () => {
    await local({ heartbeatIntervalMs: 10, staleAfterMs: 1000 }).register(orders(1));
    const [name] = await entryFiles();
    const read = async () => (JSON.parse(await readFile(join(appDir(), name!), "utf8")) as LocalRegistryEntry);
    const first = await read();
    await until(async () => (await read()).heartbeatAt > first.heartbeatAt);
    expect((await read()).startedAt).toBe(first.startedAt);
  });

  it("re-creates its file when someone else removed it, instead of exiting (spec §11 row 7)", async () => {
    const log = vi.fn<ResolverLog>();
    await local({ heartbeatIntervalMs: 10, staleAfterMs: 1000, log }).register(orders(1));
    const [name] = await entryFiles();
    await rm(join(home, "registry"), { recursive: true });
    await until(async () => (await entryFiles()).includes(name!));
    expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:1"]);
    expect(log).toHaveBeenCalledWith("warn", expect.stringMatching(/re-registered/), expect.objectContaining({ file: join(appDir(), name!) }));
  });

  it("does not re-create its file after close, even mid-heartbeat", async () => {
    const r = local({ heartbeatIntervalMs: 1, staleAfterMs: 1000 });
    await r.register(orders(1));
    await new Promise((res) => setTimeout(res, 30));
    await r.close();
    await new Promise((res) => setTimeout(res, 30));
    expect(await readdir(appDir())).toEqual([]);
  });
});

describe("LocalResolver robustness", () => {
  it("skips unparsable, partial, mistyped and foreign files without throwing", async () => {
    await plant("good.json", { port: 1 });
    await mkdir(appDir(), { recursive: true });
    await writeFile(join(appDir(), "garbage.json"), "{not json");
    await writeFile(join(appDir(), "partial.json"), '{"version":1,"appId":"orders","namespace":"def');
    await writeFile(join(appDir(), "empty.json"), "");
    await writeFile(join(appDir(), "null.json"), "null");
    await writeFile(join(appDir(), "huge.json"), `${" ".repeat(100_000)}{}`);
    await plant("bad-port.json", { port: "50002" as never });
    await plant("no-pid.json", { pid: undefined as never });
    await plant("v2.json", { version: 2 as never });
    await plant(".hidden.json", { port: 3 });
    await plant("notes.txt", { port: 4 });
    await mkdir(join(appDir(), "dir.json"));
    expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:1"]);
  });

  it("collects entries dead for more than 3 × staleAfterMs, and only those", async () => {
    const now = Date.now();
    const keep = await plant("stale.json", { heartbeatAt: now - 29_000 });
    const gone = await plant("dead.json", { heartbeatAt: now - 31_000 });
    const garbage = join(appDir(), "garbage.json");
    await writeFile(garbage, "{");
    const r = local({ now: () => now });
    expect(await r.resolve({ id: "orders", namespace: "default" })).toEqual([]);
    await expect(stat(gone)).rejects.toMatchObject({ code: "ENOENT" });
    await stat(keep);
    await stat(garbage); // not ours to judge
  });

  it("collects temp files orphaned by a writer that died before its rename", async () => {
    await plant("good.json", { port: 1 });
    const old = join(appDir(), ".x.json.abc.tmp");
    const young = join(appDir(), ".y.json.def.tmp");
    await writeFile(old, "{");
    await writeFile(young, "{");
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(old, longAgo, longAgo);
    expect(await local().resolve({ id: "orders", namespace: "default" })).toEqual(["127.0.0.1:1"]);
    await expect(stat(old)).rejects.toMatchObject({ code: "ENOENT" });
    await stat(young);
  });

  it("re-checks an entry before collecting it, in case its owner beat meanwhile", async () => {
    const file = await plant("revived.json", { heartbeatAt: Date.now() });
    let calls = 0;
    // The scan sees the entry as long dead; by the re-check just before unlink it is fresh,
    // as if its owner had written a heartbeat in between.
    const r = local({ now: () => (++calls === 1 ? Date.now() + 31_000 : Date.now()) });
    expect(await r.resolve({ id: "orders", namespace: "default" })).toEqual([]);
    expect(calls).toBe(2);
    await stat(file);
  });

  it("survives a file vanishing between listing and reading", async () => {
    const r = local();
    for (let i = 0; i < 50; i++) await plant(`e${i}.json`, { port: 1000 + i });
    const removals = (async () => {
      for (let i = 0; i < 50; i += 2) await unlink(join(appDir(), `e${i}.json`));
    })();
    const results = await Promise.all([r.resolve({ id: "orders", namespace: "default" }), removals]);
    expect(results[0].length).toBeGreaterThanOrEqual(25);
    expect(await r.resolve({ id: "orders", namespace: "default" })).toHaveLength(25);
  });
});

describe("LocalResolver configuration", () => {
  it("defaults to ~/.courier, 2 s heartbeats and a 10 s staleness bound", () => {
    const r = new LocalResolver();
    expect(r.home).toBe(join(homedir(), ".courier"));
    expect(r.registryDir).toBe(join(homedir(), ".courier", "registry", "v1"));
    expect(r.heartbeatIntervalMs).toBe(2000);
    expect(r.staleAfterMs).toBe(10_000);
  });

  it("reads COURIER_HOME, and lets configuration.home override it", () => {
    const fromEnv = localResolverFactory({ configuration: undefined, env: { COURIER_HOME: home } }) as LocalResolver;
    expect(fromEnv.home).toBe(home);
    const overridden = localResolverFactory({ configuration: { home: "~/elsewhere" }, env: { COURIER_HOME: home } }) as LocalResolver;
    expect(overridden.home).toBe(join(homedir(), "elsewhere"));
    const empty = localResolverFactory({ configuration: null, env: { COURIER_HOME: "" } }) as LocalResolver;
    expect(empty.home).toBe(join(homedir(), ".courier"));
  });

  it("accepts milliseconds as numbers, numeric strings or Go-style durations", () => {
    const r = localResolverFactory({ configuration: { heartbeatIntervalMs: "500ms", staleAfterMs: "1.5s" }, env: {} }) as LocalResolver;
    expect([r.heartbeatIntervalMs, r.staleAfterMs]).toEqual([500, 1500]);
    const n = localResolverFactory({ configuration: { heartbeatIntervalMs: 100, staleAfterMs: "2000" }, env: {} }) as LocalResolver;
    expect([n.heartbeatIntervalMs, n.staleAfterMs]).toEqual([100, 2000]);
  });

  it.each([
    [{ heartbeatInterval: 100 }, /unknown configuration key "heartbeatInterval"/],
    [{ home: "" }, /home must be a non-empty path/],
    [{ staleAfterMs: "soon" }, /staleAfterMs must be milliseconds/],
    [{ heartbeatIntervalMs: 0 }, /heartbeatIntervalMs must be a positive number/],
    [{ heartbeatIntervalMs: 5000, staleAfterMs: 5000 }, /staleAfterMs \(5000\) must exceed heartbeatIntervalMs \(5000\)/],
    ["local", /configuration must be a map/],
  ])("rejects %j", (configuration, message) => {
    const build = () => localResolverFactory({ configuration, env: {} });
    expect(build).toThrow(ResolverConfigError);
    expect(build).toThrow(message);
  });
});
