/**
 * Child processes of the bench (echo app, nginx masters, Couriers), their memory and CPU from
 * /proc, free loopback ports, and the watchdog that cleans up when the bench itself dies.
 */
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import type { WriteStream } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

export class BenchError extends Error {
  override readonly name = "BenchError";
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with BenchError(`what` timed out) when `promise` takes longer than `ms`. */
export async function bounded<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BenchError(`${what}: no result within ${(ms / 1000).toFixed(0)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Kills everything the bench started if the bench dies without doing it (SIGKILL, OOM): a detached
 * process that is told every child's pid on its stdin and acts when stdin closes without "done".
 */
export class Watchdog {
  readonly #proc: ChildProcess;

  constructor(tempDir: string) {
    this.#proc = spawn(process.execPath, [path.join(HERE, "watchdog.js"), tempDir], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    this.#proc.stdin!.on("error", () => {});
    this.#proc.unref();
  }

  watch(pid: number): void {
    this.#proc.stdin!.write(`pid ${pid}\n`);
  }

  unwatch(pid: number): void {
    this.#proc.stdin!.write(`gone ${pid}\n`);
  }

  done(): void {
    this.#proc.stdin!.end("done\n");
  }
}

/** One child process, in a process group of its own, output teed to a log file. */
export class Proc {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #log: WriteStream;
  readonly #tail: string[] = [];
  readonly #lineListeners = new Set<(line: string) => void>();
  readonly #watchdog: Watchdog;
  stopping = false;

  constructor(name: string, command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logFile: string; watchdog: Watchdog }) {
    this.name = name;
    this.#watchdog = opts.watchdog;
    this.#log = createWriteStream(opts.logFile);
    // Own process group: Ctrl-C reaches only the bench, and a group kill also reaches nginx's workers.
    this.proc = spawn(command, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.proc.stdin!.on("error", () => {});
    const pid = this.proc.pid;
    if (pid !== undefined) opts.watchdog.watch(pid);
    this.exited = new Promise((resolve) => {
      this.proc.once("close", (code, signal) => resolve({ code, signal }));
      this.proc.once("error", () => resolve({ code: null, signal: null }));
    });
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
        this.#log.write(`${line}\n`);
        this.#tail.push(line);
        if (this.#tail.length > 30) this.#tail.shift();
        for (const l of this.#lineListeners) l(line);
      });
    }
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  tail(): string {
    return this.#tail.map((l) => `    ${l}`).join("\n");
  }

  /** Resolves with the first output line that `match` turns into a value. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (err: Error | undefined, value?: T) => {
        clearTimeout(timer);
        this.#lineListeners.delete(listener);
        if (err) reject(err);
        else resolve(value as T);
      };
      const listener = (line: string) => {
        const v = match(line);
        if (v !== undefined) done(undefined, v);
      };
      const timer = setTimeout(() => done(new BenchError(`${this.name}: expected output not seen within ${timeoutMs / 1000} s\n${this.tail()}`)), timeoutMs);
      this.#lineListeners.add(listener);
      void this.exited.then(({ code, signal }) => done(new BenchError(`${this.name} exited (${signal ?? code}) during startup\n${this.tail()}`)));
    });
  }

  /** `signal` to the process, SIGKILL to its whole group after `graceMs`. Never throws. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<string | undefined> {
    this.stopping = true;
    let problem: string | undefined;
    if (this.running) {
      try {
        process.kill(this.pid, signal);
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        problem = `${this.name} did not exit within ${graceMs / 1000} s of ${signal}; killed`;
        this.killGroup();
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // Anything left in the group (an nginx worker whose master was killed) goes too.
    this.killGroup();
    if (this.pid > 0) this.#watchdog.unwatch(this.pid);
    await new Promise<void>((resolve) => this.#log.end(resolve));
    return problem;
  }

  /** Synchronous last resort: SIGKILL to the process group (our own child's group only). */
  killGroup(): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      /* group is gone */
    }
  }
}

/** Distinct free loopback ports, bound all at once so none is handed out twice. */
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

/** VmRSS of a process in bytes; 0 when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Direct children of a process (nginx master → workers). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

let clockTicks: number | undefined;
/** user+system CPU time of a process in ms; 0 when it is gone. */
export function cpuMs(pid: number): number {
  clockTicks ??= (() => {
    try {
      return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      return 100;
    }
  })();
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return 0;
  }
}

/** A proxy process as the bench measures it: one pid (Courier) or a master and its workers (nginx). */
export interface Measured {
  label: string;
  pids: () => number[];
}

export function rssOf(m: Measured): number {
  return m.pids().reduce((sum, pid) => sum + rssBytes(pid), 0);
}

export function cpuOf(m: Measured): number {
  return m.pids().reduce((sum, pid) => sum + cpuMs(pid), 0);
}

/** Peak RSS of each measured process over a window, sampled every `intervalMs`. */
export class RssWindow {
  readonly #targets: Measured[];
  readonly #peaks: number[];
  readonly #timer: NodeJS.Timeout;

  constructor(targets: Measured[], intervalMs = 100) {
    this.#targets = targets;
    this.#peaks = targets.map(rssOf);
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    this.#targets.forEach((t, i) => {
      this.#peaks[i] = Math.max(this.#peaks[i]!, rssOf(t));
    });
  }

  /** Stops sampling (one last sample first); peak RSS per target, in target order. */
  end(): number[] {
    this.#sample();
    clearInterval(this.#timer);
    return [...this.#peaks];
  }
}
