import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CALLS } from "./calls.js";

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  signal: (sig: NodeJS.Signals) => void;
}

function runDemo(args: string[] = []): Run {
  const child = spawn(process.execPath, [DEMO, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return {
    output: () => output,
    exited: new Promise((resolve) => child.once("close", (code) => resolve(code))),
    signal: (sig) => child.kill(sig),
  };
}

async function waitFor(run: Run, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const found = () => (typeof text === "string" ? run.output().includes(text) : text.test(run.output()));
  while (!found()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; output:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const homeOf = (out: string) => /COURIER_HOME (\S+)/.exec(out)?.[1];
const pidsOf = (out: string) => [...out.matchAll(/ pid (\d+)/g)].map((m) => Number(m[1]));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Nothing the demo started may outlive it, and its COURIER_HOME must be gone. */
function expectCleanedUp(out: string): void {
  const home = homeOf(out);
  expect(home, "the demo prints its COURIER_HOME").toBeDefined();
  expect(existsSync(home!), `${home} removed`).toBe(false);
  const pids = pidsOf(out);
  expect(pids).toHaveLength(2);
  expect(pids.filter(alive), "Courier processes still running").toEqual([]);
}

describe("npm run demo", () => {
  it("makes every call through real Couriers, shows what the apps received and the replies, and cleans up", async () => {
    const run = runDemo();
    const code = await run.exited;
    const out = run.output();
    expect(code, out).toBe(0);

    for (const [i, call] of CALLS.entries()) expect(out).toContain(`${i + 1}. ${call.title}`);
    expect(out).toContain("→ POST /v1.0/invoke/inventory/method/reserve");
    expect(out).toContain("⇢ inventory received POST /reserve");
    expect(out).toContain("⇢ inventory received GET /stock?item=apple");
    expect(out).toContain("⇢ inventory received GET /stock?item=durian");
    expect(out).toContain("⇢ orders received POST /neworder");
    expect(out.match(/← 200 OK/g)).toHaveLength(4);
    expect(out).toContain("← 404 Not Found");
    expect(out).toContain('{"error":"unknown item","item":"durian"}');
    expect(out).toContain("← 201 Created");
    expect(out).toContain("dapr-caller-app-id: orders");
    expect(out).not.toContain("dapr-caller-app-id: mallory, ");
    expect(out).toContain("dapr-callee-app-id: inventory");
    expect(out).toContain("dapr-callee-app-id: orders");
    expect(out).toContain("dapr-app-id: (not forwarded)");
    expect(out).toContain("authorization: (not forwarded)");
    expect(out).toContain(`All ${CALLS.length} calls went as expected.`);
    // stdout is a pipe here: no colours.
    expect(out).not.toContain("\x1b[");
    expectCleanedUp(out);
  });

  it("--keep leaves the mesh running for curl, and stops it all on Ctrl-C (SIGINT) with exit 0", async () => {
    const run = runDemo(["--keep"]);
    try {
      await waitFor(run, "Press Ctrl-C to stop.");
      const url = /curl -i '(http:\/\/127\.0\.0\.1:\d+)\/v1\.0\/invoke\/inventory\/method\/stock\?item=apple'/.exec(run.output())?.[1];
      expect(url, run.output()).toBeDefined();

      const res = await fetch(`${url}/v1.0/invoke/inventory/method/stock?item=pear`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ item: "pear", inStock: 3 });
      await waitFor(run, /⇢ inventory received GET \/stock\?item=pear from orders/);

      run.signal("SIGINT");
      const code = await run.exited;
      expect(code, run.output()).toBe(0);
      expect(run.output()).toContain("SIGINT: stopping");
      expectCleanedUp(run.output());
    } finally {
      run.signal("SIGKILL");
    }
  });

  it("rejects an unknown flag with usage and exit code 2", async () => {
    const run = runDemo(["--bogus"]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/Unknown option '--bogus'/);
    expect(run.output()).toContain("usage: npm run demo");
  });
});
