import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { WriteStream } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { AppEvent } from "./apps/sample-app.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The built `courier` binary (apps/proxy, `npm run build`). */
export const COURIER_BIN = path.resolve(HERE, "../../../apps/proxy/dist/main.js");

export class DemoError extends Error {
  override readonly name = "DemoError";
}

type RequestEvent = Extract<AppEvent, { event: "request" }>;

/** One child process of the demo, its output teed to a log file and kept in memory. */
export class Child {
  readonly name: string;
  readonly kind: "app" | "courier";
  readonly proc: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #tail: string[] = [];
  #total = 0;
  #log: WriteStream;
  /** Set before a stop signal, so the exit is not reported as a crash. */
  stopping = false;

  constructor(name: string, kind: "app" | "courier", command: string[], env: NodeJS.ProcessEnv, logFile: string) {
    this.name = name;
    this.kind = kind;
    this.logFile = logFile;
    this.#log = createWriteStream(logFile);
    // A process group of its own: a Ctrl-C in the terminal reaches only the demo, which then
    // stops every child once, in order (Courier treats a second signal as "exit now").
    this.proc = spawn(process.execPath, command, { env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.exited = new Promise((resolve) => {
      // "close", not "exit": by then every line the process printed has been read.
      this.proc.once("close", (code, signal) => resolve({ code, signal }));
      this.proc.once("error", () => resolve({ code: null, signal: null }));
    });
    // Courier logs to stderr; the sample apps speak JSON lines on stdout.
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => this.#remember(line));
    }
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** What the process printed (the end of it when long), indented, for error messages. */
  tail(): string {
    const lines = this.#tail.length <= 40 ? this.#tail : this.#tail.slice(-20);
    const skipped = this.#total - lines.length;
    const head = skipped > 0 ? [`… ${skipped} earlier lines in ${this.logFile}`] : [];
    return [`  output of ${this.name}:`, ...[...head, ...lines].map((l) => `    ${l}`)].join("\n");
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.proc.kill(sig);
  }

  closeLog(): Promise<void> {
    return new Promise((resolve) => this.#log.end(resolve));
  }

  #remember(line: string): void {
    this.#log.write(`${line}\n`);
    this.#tail.push(line);
    this.#total++;
    if (this.#tail.length > 200) this.#tail.shift();
  }
}

export interface CourierInfo {
  appId: string;
  appPort: number;
  httpPort: number;
  grpcPort: number;
  metricsPort: number;
  child: Child;
  url: string;
}

export interface AppInfo {
  name: string;
  port: number;
  child: Child;
}

/**
 * Two sample apps and their Courier sidecars in a temporary COURIER_HOME, all on 127.0.0.1.
 * Every child is stopped and the folder removed by `stop()`; `killNow()` is the last resort when
 * the demo itself is going down.
 */
export class Mesh {
  readonly home: string;
  readonly logDir: string;
  readonly apps = new Map<string, AppInfo>();
  readonly couriers = new Map<string, CourierInfo>();
  readonly #children: Child[] = [];
  readonly #events: RequestEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #onCrash: ((err: DemoError) => void) | undefined;
  #requestListener: ((e: RequestEvent) => void) | undefined;
  #stopped = false;
  readonly #watchdog: ChildProcess;

  constructor() {
    this.home = mkdtempSync(path.join(os.tmpdir(), "courier-demo-"));
    this.logDir = path.join(this.home, "logs");
    mkdirSync(this.logDir);
    // Cleans up if this process is killed outright (watchdog.ts); the pipe is its lifeline.
    this.#watchdog = spawn(process.execPath, [path.join(HERE, "watchdog.js"), this.home], {
      stdio: ["pipe", "ignore", "ignore"],
      detached: true,
    });
    this.#watchdog.stdin!.on("error", () => {});
    this.#watchdog.unref();
  }

  /** Called once when a child exits on its own; the demo turns it into a failure. */
  onCrash(listener: (err: DemoError) => void): void {
    this.#onCrash = listener;
  }

  /** Called for every request a sample app reports (for `--keep`). */
  onRequest(listener: (e: RequestEvent) => void): void {
    this.#requestListener = listener;
  }

  async startApp(name: string): Promise<AppInfo> {
    const script = path.join(HERE, "apps", `${name}.js`);
    const child = this.#spawn(name, "app", [script], process.env);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DemoError(`app ${name} did not start listening within 10 s\n${child.tail()}`)), 10_000);
      const lines = createInterface({ input: child.proc.stdout!, crlfDelay: Infinity });
      lines.on("line", (line) => {
        const event = parseEvent(line);
        if (event?.event === "listening") {
          clearTimeout(timer);
          resolve(event.port);
        } else if (event?.event === "request") {
          this.#events.push(event);
          this.#requestListener?.(event);
          for (const wake of this.#waiters) wake();
        }
      });
      void child.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new DemoError(`app ${name} exited (${describeExit(code, signal)}) before listening\n${child.tail()}`));
      });
    });
    const info = { name, port, child };
    this.apps.set(name, info);
    return info;
  }

  async startCourier(appId: string, app: AppInfo, ports: { http: number; grpc: number; metrics: number }): Promise<CourierInfo> {
    if (!existsSync(COURIER_BIN)) {
      throw new DemoError(`${COURIER_BIN} is missing: build first (npm run build, or npx tsc -b)`);
    }
    const env: NodeJS.ProcessEnv = { ...process.env, COURIER_HOME: this.home };
    // A token or namespace from the user's shell would change what the demo shows.
    delete env["DAPR_API_TOKEN"];
    delete env["APP_API_TOKEN"];
    delete env["NAMESPACE"];
    const args = [
      COURIER_BIN,
      "--app-id", appId,
      "--app-port", String(app.port),
      "--dapr-http-port", String(ports.http),
      // Not served yet, but given distinct ports so two sidecars never collide when they are.
      "--dapr-grpc-port", String(ports.grpc),
      "--metrics-port", String(ports.metrics),
      "--log-level", "info",
    ];
    const child = this.#spawn(`courier-${appId}`, "courier", args, env);
    const info = { appId, appPort: app.port, httpPort: ports.http, grpcPort: ports.grpc, metricsPort: ports.metrics, child, url: `http://127.0.0.1:${ports.http}` };
    this.couriers.set(appId, info);
    return info;
  }

  /** Polls `GET /v1.0/healthz` until 204 (spec §4.4: ready to serve invocations). */
  async waitHealthy(courier: CourierInfo, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    for (;;) {
      if (!courier.child.running) {
        const { code, signal } = await courier.child.exited;
        throw new DemoError(`Courier for ${courier.appId} exited (${describeExit(code, signal)}) during startup\n${courier.child.tail()}`);
      }
      try {
        const res = await fetch(`${courier.url}/v1.0/healthz`, { signal: AbortSignal.timeout(1_000) });
        const text = await res.text();
        if (res.status === 204) return;
        last = `${res.status} ${text}`;
      } catch (err) {
        last = String((err as Error).cause ?? (err as Error).message);
      }
      if (Date.now() > deadline) {
        throw new DemoError(`Courier for ${courier.appId} not healthy after ${timeoutMs / 1000} s (last: ${last})\n${courier.child.tail()}`);
      }
      await sleep(100);
    }
  }

  /** Waits for the request a sample app reports for demo call `call`. */
  async waitForRequest(app: string, call: string, timeoutMs = 5_000): Promise<RequestEvent | undefined> {
    const find = () => this.#events.find((e) => e.app === app && e.call === call);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found || Date.now() >= deadline) return found;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.#waiters.add(wake);
      });
    }
  }

  /**
   * Stops the Couriers first (SIGTERM: deregister, drain), then the apps, then removes the
   * temporary COURIER_HOME. Returns what went wrong, if anything; never throws.
   */
  async stop(): Promise<string[]> {
    if (this.#stopped) return [];
    this.#stopped = true;
    const problems: string[] = [];
    const stopGroup = async (all: Child[], graceMs: number) => {
      // A child that already exited was reported when it did.
      const children = all.filter((c) => c.running);
      for (const c of children) {
        c.stopping = true;
        c.signal("SIGTERM");
      }
      await Promise.all(
        children.map(async (c) => {
          const timer = setTimeout(() => {
            problems.push(`${c.name} did not exit within ${graceMs / 1000} s of SIGTERM; killed`);
            c.signal("SIGKILL");
          }, graceMs);
          const { code, signal } = await c.exited;
          clearTimeout(timer);
          // Killed by our SIGTERM itself: the process had not installed its handler yet (startup).
          if (code !== 0 && signal !== "SIGKILL" && signal !== "SIGTERM") problems.push(`${c.name} exited with ${describeExit(code, signal)} on SIGTERM\n${c.tail()}`);
        }),
      );
    };
    await stopGroup(this.#children.filter((c) => c.kind === "courier"), 10_000);
    await stopGroup(this.#children.filter((c) => c.kind === "app"), 5_000);
    await Promise.all(this.#children.map((c) => c.closeLog()));
    try {
      rmSync(this.home, { recursive: true, force: true });
    } catch (err) {
      problems.push(`could not remove ${this.home}: ${(err as Error).message}`);
    }
    this.#watchdog.stdin!.end("done\n");
    return problems;
  }

  /** Synchronous last resort (process exit, second Ctrl-C): SIGKILL everything, remove the folder. */
  killNow(): void {
    this.#stopped = true;
    for (const c of this.#children) {
      c.stopping = true;
      c.signal("SIGKILL");
    }
    rmSync(this.home, { recursive: true, force: true });
  }

  #spawn(name: string, kind: "app" | "courier", command: string[], env: NodeJS.ProcessEnv): Child {
    const child = new Child(name, kind, command, env, path.join(this.logDir, `${name}.log`));
    this.#children.push(child);
    this.#watchdog.stdin!.write(`pid ${child.proc.pid}\n`);
    child.proc.stdin!.on("error", () => {});
    void child.exited.then(({ code, signal }) => {
      if (!child.stopping && !this.#stopped) {
        this.#onCrash?.(new DemoError(`${name} exited unexpectedly (${describeExit(code, signal)})\n${child.tail()}`));
      }
    });
    return child;
  }
}

/** Distinct free loopback ports, all bound at once so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function parseEvent(line: string): AppEvent | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as AppEvent;
  } catch {
    return undefined;
  }
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  return code === null ? "failed to start" : `exit code ${code}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
