import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");
export const COURIER_BIN = path.join(REPO_ROOT, "apps/proxy/dist/main.js");

/** A free loopback port (bound and released; good enough for tests on one machine). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function tempHome(prefix = "courier-e2e-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CourierProcess {
  readonly appId: string;
  readonly httpPort: number;
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface StartCourierOptions {
  appId: string;
  appPort?: number;
  home: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Wait for /v1.0/healthz 204 (default true). */
  waitReady?: boolean;
}

/** Spawns the real `courier` binary and waits until its healthz answers 204. */
export async function startCourier(opts: StartCourierOptions): Promise<CourierProcess> {
  const httpPort = await freePort();
  const args = [
    COURIER_BIN,
    "--app-id",
    opts.appId,
    "--dapr-http-port",
    String(httpPort),
    "--log-level",
    "debug",
    ...(opts.appPort !== undefined ? ["--app-port", String(opts.appPort)] : []),
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, COURIER_HOME: opts.home, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const proc: CourierProcess = {
    appId: opts.appId,
    httpPort,
    child,
    url: `http://127.0.0.1:${httpPort}`,
    output: () => log,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (opts.waitReady !== false) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`courier ${opts.appId} exited with ${child.exitCode}:\n${log}`);
      try {
        const res = await fetch(`${proc.url}/v1.0/healthz`);
        if (res.status === 204) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`courier ${opts.appId} not ready in time:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return proc;
}
