// Shared by lifecycle/resolution/robustness/npm-pack e2e tests: test apps, raw sockets, CLI runs,
// and one place that tears down every process a test file started, even after a failure.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { COURIER_BIN, freePort, startCourier, tempHome } from "./processes.js";
import type { CourierProcess, StartCourierOptions } from "./processes.js";

export interface Received {
  app: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** True when the client (the callee Courier) closed the request before the app answered. */
  aborted: boolean;
  /** True once the app has written its whole answer. */
  answered: boolean;
}

export interface TestApp {
  readonly name: string;
  readonly port: number;
  /** Every request except the readiness probe, in arrival order. */
  readonly received: Received[];
  /** Requests the app is still holding (slow/hang/gate routes). */
  inFlight(): number;
  /** Answers every request held on `/gate` with `{app, gate: true}`. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A plain HTTP app. Routes (the invoked method is the path):
 *  - `/healthz`       200, not recorded (Courier's readiness probe)
 *  - `/slow?ms=N`     answers `{app, slow: N}` after N ms (default 1500)
 *  - `/hang`          never answers until the connection closes
 *  - `/gate`          answers `{app, gate: true}` when the test calls `release()`
 *  - anything else    200 JSON `{app, method, url, body}` (echo)
 */
export async function startTestApp(name: string, port = 0): Promise<TestApp> {
  const received: Received[] = [];
  let holding = 0;
  const gated = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://app");
    if (url.pathname === "/healthz") {
      req.resume();
      res.writeHead(200).end("ok");
      return;
    }
    const chunks: Buffer[] = [];
    const entry: Received = { app: name, method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "", aborted: false, answered: false };
    received.push(entry);
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => {});
    res.on("error", () => {});
    res.on("close", () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    req.on("end", () => {
      entry.body = Buffer.concat(chunks).toString("utf8");
      const json = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text, () => {
          entry.answered = true;
        });
      };
      if (url.pathname === "/gate") {
        holding++;
        const open = () => json(200, { app: name, gate: true });
        gated.add(open);
        res.once("close", () => {
          holding--;
          gated.delete(open);
        });
        return;
      }
      if (url.pathname === "/slow" || url.pathname === "/hang") {
        holding++;
        const ms = url.pathname === "/hang" ? 120_000 : Number(url.searchParams.get("ms") ?? 1500);
        const timer = setTimeout(() => json(200, { app: name, slow: ms }), ms);
        res.once("close", () => {
          holding--;
          clearTimeout(timer);
        });
        return;
      }
      json(200, { app: name, method: req.method, url: req.url, body: entry.body });
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as net.AddressInfo).port;
  return {
    name,
    port: bound,
    received,
    inFlight: () => holding,
    release: () => {
      for (const open of [...gated]) open();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Tracks everything a test file starts; `teardown()` (call it from afterEach/afterAll) stops
 * Couriers with SIGTERM, SIGKILLs whatever is still alive after a bound, closes apps and
 * removes temporary homes. Safe to call more than once.
 */
export class Fixtures {
  readonly #couriers = new Set<CourierProcess>();
  readonly #apps = new Set<TestApp>();
  readonly #cleanups: (() => void)[] = [];

  home(): string {
    const { dir } = tempHome();
    this.#cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));
    return dir;
  }

  async app(name: string, port?: number): Promise<TestApp> {
    const app = await startTestApp(name, port);
    this.#apps.add(app);
    return app;
  }

  async courier(opts: StartCourierOptions): Promise<CourierProcess> {
    const proc = await startCourier(opts);
    this.#couriers.add(proc);
    return proc;
  }

  /** A file in a fresh temporary folder (for --config YAML). */
  file(name: string, content: string): string {
    const file = path.join(this.home(), name);
    writeFileSync(file, content);
    return file;
  }

  async teardown(): Promise<void> {
    const couriers = [...this.#couriers];
    this.#couriers.clear();
    const apps = [...this.#apps];
    this.#apps.clear();
    try {
      await Promise.all(couriers.map((c) => stopHard(c)));
      await Promise.all(apps.map((a) => a.close()));
    } finally {
      // Homes go last, once no Courier can write into them any more.
      for (const cleanup of this.#cleanups.splice(0)) {
        try {
          cleanup();
        } catch {
          /* a leftover temp folder must not fail the suite */
        }
      }
    }
  }
}

/** Log lines (text format) whose msg is `msg`, with their `time=` as epoch ms. */
export function logLines(c: CourierProcess, msg: string): { at: number; line: string }[] {
  const out: { at: number; line: string }[] = [];
  for (const line of c.output().split("\n")) {
    if (!line.includes(`msg=${JSON.stringify(msg)}`)) continue;
    const m = /time="([^"]+)"/.exec(line);
    out.push({ at: m ? Date.parse(m[1]!) : Number.NaN, line });
  }
  return out;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopHard(c: CourierProcess, graceMs = 8_000): Promise<number | null> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return c.child.exitCode;
  c.child.kill("SIGTERM");
  const timer = setTimeout(() => c.child.kill("SIGKILL"), graceMs);
  try {
    return await c.exited;
  } finally {
    clearTimeout(timer);
  }
}

export function alive(c: CourierProcess): boolean {
  return c.child.exitCode === null && c.child.signalCode === null;
}

/** Resolves with the exit code, or rejects if the process has not exited within `ms`. */
export async function exitWithin(c: CourierProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`courier ${c.appId} did not exit within ${ms} ms:\n${c.output().slice(-3000)}`)), ms);
  });
  try {
    return await Promise.race([c.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface CallResult {
  status: number;
  text: string;
  headers: Headers;
  ms: number;
  /** Set when the HTTP exchange itself failed (no status). */
  error?: string;
}

/** `fetch` against a Courier's HTTP API; never throws (a transport failure is `status: 0`). */
export async function call(
  courier: CourierProcess | string,
  pathAndQuery: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<CallResult> {
  const base = typeof courier === "string" ? courier : courier.url;
  const started = performance.now();
  const { timeoutMs = 15_000, ...rest } = init;
  try {
    const res = await fetch(`${base}${pathAndQuery}`, { ...rest, signal: rest.signal ?? AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, text, headers: res.headers, ms: performance.now() - started };
  } catch (err) {
    return { status: 0, text: "", headers: new Headers(), ms: performance.now() - started, error: String((err as Error)?.cause ?? err) };
  }
}

/** `POST /v1.0/invoke/<target>/method/<method>` through `courier`. */
export function invoke(
  courier: CourierProcess | string,
  target: string,
  method: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<CallResult> {
  return call(courier, `/v1.0/invoke/${target}/method/${method}`, { method: "POST", ...init });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitUntil<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<Exclude<T, undefined | null | false | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, undefined | null | false | 0 | "">;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The local registry's entry files for one app (`$COURIER_HOME/registry/v1/<ns>/<id>/`). */
export function registryEntries(home: string, appId: string, namespace = "default"): string[] {
  const dir = path.join(home, "registry", "v1", namespace, appId);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".json") && !f.startsWith("."));
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> args…` to completion (killed after `timeoutMs`). */
export function runNode(script: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 15_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The courier binary with `args`, run to completion; for flag and config validation. */
export function runCourierCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return runNode(COURIER_BIN, args, opts);
}

export interface RawExchange {
  /** Everything the server sent. */
  data: Buffer;
  /** The server closed (or reset) the connection before our timeout. */
  closed: boolean;
}

/**
 * Opens a TCP connection, writes `chunks` in order (with `pauseMs` between them), then
 * `finish`es: "end" half-closes, "destroy" drops the socket at once, "wait" leaves it open.
 * Resolves when the server closes the connection or after `timeoutMs`.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  opts: { finish?: "end" | "destroy" | "wait"; timeoutMs?: number; pauseMs?: number; untilData?: RegExp } = {},
): Promise<RawExchange> {
  const { finish = "wait", timeoutMs = 10_000, pauseMs = 0 } = opts;
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    let done = false;
    const settle = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(received), closed });
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.on("data", (d: Buffer) => {
      received.push(d);
      if (opts.untilData?.test(Buffer.concat(received).toString("latin1"))) settle(false);
    });
    socket.on("error", () => settle(true));
    socket.on("close", () => settle(true));
    socket.on("connect", async () => {
      for (const c of chunks) {
        if (done) return;
        socket.write(c);
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
      if (finish === "end") socket.end();
      else if (finish === "destroy") settle(true);
    });
  });
}

export { COURIER_BIN, freePort };
