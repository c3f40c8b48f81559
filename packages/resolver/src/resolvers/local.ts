import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, open, readdir, stat, unlink } from "node:fs/promises";
import { homedir, hostname as osHostname } from "node:os";
import { dirname, join, resolve as resolvePath } from "node:path";
import { TEMP_SUFFIX, writeFileAtomic } from "../atomic-write.js";
import { ResolverConfigError } from "../errors.js";
import type {
  AppInstance,
  NameResolver,
  ResolveRequest,
  ResolverFactory,
  ResolverLog,
} from "../resolver.js";

export interface LocalResolverOptions {
  /** COURIER_HOME; the registry lives in `<home>/registry/v1`. Default `~/.courier`. */
  home?: string;
  /** How often a registration rewrites its `heartbeatAt`. Default 2000. */
  heartbeatIntervalMs?: number;
  /** An entry whose heartbeat is older than this is ignored. Default 10000. */
  staleAfterMs?: number;
  /** This machine's name, compared with entries' `hostname` before trusting a pid check. */
  hostname?: string;
  now?: () => number;
  log?: ResolverLog;
}

/** The content of one `<instanceId>.json` file (format version 1). Times are epoch ms. */
export interface LocalRegistryEntry {
  version: 1;
  appId: string;
  namespace: string;
  host: string;
  port: number;
  httpPort?: number;
  appPort?: number;
  pid: number;
  hostname: string;
  startedAt: number;
  heartbeatAt: number;
}

export interface LocalInstance extends LocalRegistryEntry {
  instanceId: string;
  file: string;
}

interface Registration {
  readonly file: string;
  entry: LocalRegistryEntry;
}

const REGISTRY_SUBDIR = join("registry", "v1");
const ENTRY_SUFFIX = ".json";
/** Far above any real entry; a bigger file is not ours and is not read into memory. */
const MAX_ENTRY_BYTES = 64 * 1024;
/** spec §11 row 7 keeps rows until "age ≥ TTL"; we wait three TTLs so a briefly stalled owner is not deleted. */
const GC_STALE_FACTOR = 3;

/**
 * The embedded default resolver: a folder of one small JSON file per running sidecar, shared by
 * every process with the same COURIER_HOME. It fills the role of daprd's standalone mdns/sqlite
 * resolvers (spec §6.2) without multicast (spec §10 item 1) or a database, and it honours the
 * namespace (spec §11 row 9).
 *
 * Safety rests on three rules: each instance writes only its own file, every write is an atomic
 * rename, and readers drop whatever they cannot parse, so concurrent writers never corrupt what a
 * reader sees and no lock is needed.
 */
export class LocalResolver implements NameResolver {
  readonly name = "local";
  readonly home: string;
  readonly registryDir: string;
  readonly heartbeatIntervalMs: number;
  readonly staleAfterMs: number;
  readonly #hostname: string;
  readonly #now: () => number;
  readonly #log: ResolverLog;
  readonly #registrations = new Set<Registration>();
  #timer: NodeJS.Timeout | undefined;
  #beat: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: LocalResolverOptions = {}) {
    this.home = expandHome(opts.home ?? join(homedir(), ".courier"));
    this.registryDir = join(this.home, REGISTRY_SUBDIR);
    this.heartbeatIntervalMs = positiveMs("heartbeatIntervalMs", opts.heartbeatIntervalMs ?? 2000);
    this.staleAfterMs = positiveMs("staleAfterMs", opts.staleAfterMs ?? 10_000);
    if (this.staleAfterMs <= this.heartbeatIntervalMs) {
      throw new ResolverConfigError(
        `local resolver: staleAfterMs (${this.staleAfterMs}) must exceed heartbeatIntervalMs (${this.heartbeatIntervalMs}), or live entries would look stale between heartbeats`,
      );
    }
    this.#hostname = opts.hostname ?? osHostname();
    this.#now = opts.now ?? Date.now;
    this.#log = opts.log ?? (() => {});
  }

  async register(instance: AppInstance): Promise<void> {
    if (this.#closing !== undefined) throw new Error("local resolver: register() after close()");
    const entry = this.#entryFor(instance);
    for (const r of this.#registrations) {
      if (r.entry.appId === entry.appId && r.entry.namespace === entry.namespace
        && r.entry.host === entry.host && r.entry.port === entry.port) {
        // Like mdns's duplicate appid:port check (spec §6.2): a second file would double the weight.
        throw new Error(`local resolver: ${entry.namespace}/${entry.appId} at ${formatAddress(entry.host, entry.port)} is already registered`);
      }
    }
    const dir = this.#appDir(entry.namespace, entry.appId);
    if (dir === undefined) throw new Error(`local resolver: app id ${JSON.stringify(entry.appId)} cannot be stored`);
    const registration: Registration = { file: join(dir, `${process.pid}-${randomUUID()}${ENTRY_SUFFIX}`), entry };
    // Added before the write so a concurrent register() of the same address sees it.
    this.#registrations.add(registration);
    try {
      await this.#write(registration);
    } catch (err) {
      this.#registrations.delete(registration);
      throw new Error(`local resolver: cannot write ${registration.file}: ${(err as Error).message}`, { cause: err });
    }
    if (this.#closing !== undefined) {
      // close() ran while we were writing; its unlink may have come before our file existed.
      await unlink(registration.file).catch(() => {});
      throw new Error("local resolver: closed during register()");
    }
    this.#log("info", "registered in the local registry", { appId: entry.appId, namespace: entry.namespace, file: registration.file });
    if (this.#timer === undefined) {
      // unref: a heartbeat alone must not keep the process alive.
      this.#timer = setInterval(() => this.#tick(), this.heartbeatIntervalMs).unref();
    }
  }

  async resolve(req: ResolveRequest, signal?: AbortSignal): Promise<string[]> {
    const instances = await this.instances(req, signal);
    const addresses = new Set(instances.map((i) => formatAddress(i.host, i.port)));
    return [...addresses].sort();
  }

  /** The live, fresh entries for one app; collects long-dead ones on the way. */
  async instances(req: ResolveRequest, signal?: AbortSignal): Promise<LocalInstance[]> {
    signal?.throwIfAborted();
    const dir = this.#appDir(req.namespace, req.id);
    if (dir === undefined) return [];
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isCode(err, "ENOENT", "ENOTDIR", "ENAMETOOLONG")) return [];
      throw err;
    }
    const now = this.#now();
    const found = await Promise.all(names.map((name) => this.#inspect(dir, name, req, now, signal)));
    return found.filter((i): i is LocalInstance => i !== undefined);
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.#timer = undefined;
      // A heartbeat write in flight would re-create the file after our unlink.
      await this.#beat;
      const registrations = [...this.#registrations];
      this.#registrations.clear();
      await Promise.all(registrations.map(async (r) => {
        try {
          await unlink(r.file);
        } catch (err) {
          if (!isCode(err, "ENOENT")) {
            this.#log("warn", "could not remove local registry entry; it will go stale", { file: r.file, error: String(err) });
          }
        }
      }));
    })();
    return this.#closing;
  }

  #entryFor(instance: AppInstance): LocalRegistryEntry {
    const bad = (field: string, value: unknown): never => {
      throw new TypeError(`local resolver: invalid ${field} ${JSON.stringify(value)}`);
    };
    if (typeof instance.appId !== "string" || instance.appId === "") bad("appId", instance.appId);
    if (typeof instance.namespace !== "string" || instance.namespace === "") bad("namespace", instance.namespace);
    if (typeof instance.host !== "string" || instance.host === "") bad("host", instance.host);
    if (!isPort(instance.port)) bad("port", instance.port);
    if (instance.httpPort !== undefined && !isPort(instance.httpPort)) bad("httpPort", instance.httpPort);
    if (instance.appPort !== undefined && !isPort(instance.appPort)) bad("appPort", instance.appPort);
    const pid = instance.pid ?? process.pid;
    if (!isPid(pid)) bad("pid", pid);
    const now = this.#now();
    return {
      version: 1,
      appId: instance.appId,
      namespace: instance.namespace,
      host: dialableHost(instance.host),
      port: instance.port,
      ...(instance.httpPort === undefined ? {} : { httpPort: instance.httpPort }),
      ...(instance.appPort === undefined ? {} : { appPort: instance.appPort }),
      pid,
      hostname: this.#hostname,
      startedAt: now,
      heartbeatAt: now,
    };
  }

  /** `<registry>/<namespace>/<appId>`, each part escaped so no id can leave the registry. */
  #appDir(namespace: string, appId: string): string | undefined {
    const ns = encodeSegment(namespace);
    const id = encodeSegment(appId);
    return ns === undefined || id === undefined ? undefined : join(this.registryDir, ns, id);
  }

  async #write(r: Registration): Promise<void> {
    const data = `${JSON.stringify(r.entry)}\n`;
    try {
      await writeFileAtomic(r.file, data);
    } catch (err) {
      if (!isCode(err, "ENOENT")) throw err;
      // First registration of this app, or someone removed the folder: create it and retry.
      // 0700: whoever can write here can redirect this user's calls.
      await mkdir(dirname(r.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(r.file, data);
    }
  }

  #tick(): void {
    // A slow disk must not pile up overlapping writes of the same file.
    if (this.#beat !== undefined) return;
    this.#beat = this.#heartbeat().finally(() => {
      this.#beat = undefined;
    });
  }

  async #heartbeat(): Promise<void> {
    for (const r of this.#registrations) {
      if (this.#closing !== undefined) return;
      const existed = await access(r.file).then(() => true, () => false);
      r.entry = { ...r.entry, heartbeatAt: this.#now() };
      try {
        await this.#write(r);
        if (!existed) {
          // spec §11 row 7: upstream sqlite exits here; re-registering keeps the sidecar reachable.
          this.#log("warn", "local registry entry was removed by someone else; re-registered", { file: r.file });
        }
      } catch (err) {
        // Never throw from a timer: the entry merely goes stale until a later beat succeeds.
        this.#log("error", "local registry heartbeat failed", { file: r.file, error: String(err) });
      }
    }
  }

  async #inspect(
    dir: string,
    name: string,
    req: ResolveRequest,
    now: number,
    signal: AbortSignal | undefined,
  ): Promise<LocalInstance | undefined> {
    const file = join(dir, name);
    if (name.endsWith(TEMP_SUFFIX)) {
      await this.#collectTemp(file, now);
      return undefined;
    }
    if (!name.endsWith(ENTRY_SUFFIX) || name.startsWith(".")) return undefined;
    const entry = parseEntry(await readSmallFile(file, signal), req);
    if (entry === undefined) return undefined;
    const age = Math.abs(now - entry.heartbeatAt);
    if (age > GC_STALE_FACTOR * this.staleAfterMs) {
      await this.#collect(file, req);
      return undefined;
    }
    if (age > this.staleAfterMs) return undefined;
    // A pid means something only on the machine that wrote it.
    if (entry.hostname === this.#hostname && !isAlive(entry.pid)) return undefined;
    return { ...entry, instanceId: name.slice(0, -ENTRY_SUFFIX.length), file };
  }

  /** Remove a long-dead entry, re-reading first: its owner may have revived it since we read it. */
  async #collect(file: string, req: ResolveRequest): Promise<void> {
    const entry = parseEntry(await readSmallFile(file, undefined), req);
    if (entry === undefined || Math.abs(this.#now() - entry.heartbeatAt) <= GC_STALE_FACTOR * this.staleAfterMs) return;
    try {
      await unlink(file);
      this.#log("debug", "removed a dead local registry entry", { file });
    } catch (err) {
      if (!isCode(err, "ENOENT")) this.#log("debug", "could not remove a dead local registry entry", { file, error: String(err) });
    }
  }

  /** A writer that died between write and rename leaves its temp file behind. */
  async #collectTemp(file: string, now: number): Promise<void> {
    try {
      const st = await stat(file);
      if (now - st.mtimeMs > GC_STALE_FACTOR * this.staleAfterMs) await unlink(file);
    } catch {
      // Renamed or removed meanwhile: nothing to collect.
    }
  }
}

export const localResolverFactory: ResolverFactory = (ctx) => {
  const config = parseLocalConfig(ctx.configuration);
  const envHome = ctx.env["COURIER_HOME"];
  return new LocalResolver({
    ...config,
    home: config.home ?? (envHome !== undefined && envHome !== "" ? envHome : undefined),
    ...(ctx.log === undefined ? {} : { log: ctx.log }),
  });
};

function parseLocalConfig(config: unknown): Pick<LocalResolverOptions, "home" | "heartbeatIntervalMs" | "staleAfterMs"> {
  if (config === undefined || config === null) return {};
  const fail = (msg: string): never => {
    throw new ResolverConfigError(`local resolver: ${msg}`);
  };
  if (typeof config !== "object" || Array.isArray(config)) return fail("configuration must be a map");
  const out: Pick<LocalResolverOptions, "home" | "heartbeatIntervalMs" | "staleAfterMs"> = {};
  for (const [key, value] of Object.entries(config)) {
    switch (key) {
      case "home":
        if (typeof value !== "string" || value === "") fail("home must be a non-empty path");
        out.home = value as string;
        break;
      case "heartbeatIntervalMs":
      case "staleAfterMs": {
        const ms = parseMs(value);
        if (ms === undefined) fail(`${key} must be milliseconds (a number) or a duration like "2s", got ${JSON.stringify(value)}`);
        out[key] = ms;
        break;
      }
      default:
        fail(`unknown configuration key "${key}" (allowed: home, heartbeatIntervalMs, staleAfterMs)`);
    }
  }
  return out;
}

/** Milliseconds from a number, a numeric string, or a Go-style duration ("500ms", "2s", "1m"). */
function parseMs(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (m === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "ms"]!;
  return Number(m[1]) * unit;
}

function parseEntry(text: string | undefined, req: ResolveRequest): LocalRegistryEntry | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const e = v as Record<string, unknown>;
  const ok = e["version"] === 1
    // A file copied into the wrong folder must not answer for another app.
    && e["appId"] === req.id
    && e["namespace"] === req.namespace
    && typeof e["host"] === "string" && e["host"] !== ""
    && isPort(e["port"])
    && (e["httpPort"] === undefined || isPort(e["httpPort"]))
    && (e["appPort"] === undefined || isPort(e["appPort"]))
    && isPid(e["pid"])
    && typeof e["hostname"] === "string"
    && Number.isFinite(e["startedAt"])
    && Number.isFinite(e["heartbeatAt"]);
  return ok ? (e as unknown as LocalRegistryEntry) : undefined;
}

/** The file's text, or undefined if it is gone, not a regular file, or too big to be an entry. */
async function readSmallFile(file: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  let fh;
  try {
    // O_NONBLOCK: a FIFO planted under a .json name must not hang the lookup.
    fh = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_ENTRY_BYTES) return undefined;
    return await fh.readFile({ encoding: "utf8", ...(signal === undefined ? {} : { signal }) });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    return undefined;
  } finally {
    await fh.close().catch(() => {});
  }
}

/** `kill(pid, 0)`: ESRCH means no such process; EPERM means it exists under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isCode(err, "ESRCH");
  }
}

/**
 * Keep `[A-Za-z0-9_-]` readable and percent-encode every other UTF-8 byte, dots included, so
 * that `..`, `/` or a NUL in an id from a URL can never name a path outside the registry.
 */
function encodeSegment(s: string): string | undefined {
  if (typeof s !== "string" || s === "") return undefined;
  try {
    return encodeURIComponent(s).replace(/[.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    return undefined; // lone surrogate
  }
}

/** A wildcard listen address cannot be dialled everywhere; peers sharing a folder share a host. */
function dialableHost(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare === "0.0.0.0") return "127.0.0.1";
  if (bare === "::") return "::1";
  return bare;
}

export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return resolvePath(p);
}

function positiveMs(name: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > 2 ** 31 - 1) {
    throw new ResolverConfigError(`local resolver: ${name} must be a positive number of milliseconds, got ${String(v)}`);
  }
  return v;
}

function isPort(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
}

/** Positive only: kill(0 or negative, 0) would probe a whole process group. */
function isPid(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 2 ** 31 - 1;
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === "object" && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? "");
}
