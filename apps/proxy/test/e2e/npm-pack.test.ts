// What users get from npm: each publishable package packed, the tarballs installed into an
// empty folder, every public entry point imported by plain Node (no @courier/source condition,
// no workspace links), and the installed `courier` binary run.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./harness/processes.js";
import { freePort, runNode, waitUntil } from "./harness/sidecar-kit.js";

const PACKAGES = [
  { name: "@courier/protos", dir: "packages/protos", exports: ["InternalInvokeRequestStreamSchema", "InternalInvokeRequestSchema", "InternalInvokeResponseStreamSchema", "ServiceInvocation"] },
  { name: "@courier/retry", dir: "packages/retry", exports: ["retry", "timeout", "wrap", "ConstantBackoff", "ExponentialBackoff", "RetriesExhaustedError"] },
  { name: "@courier/resolver", dir: "packages/resolver", exports: ["ResolverCache", "LocalResolver", "StaticResolver", "createResolver", "registerResolver"] },
  { name: "@courier/invocation", dir: "packages/invocation", exports: ["DirectMessaging", "CalleeDispatcher", "InternalGrpcServer", "InternalGrpcClient", "HttpAppChannel", "Metadata", "compose"] },
  { name: "@courier/proxy", dir: "apps/proxy", exports: ["parseCli", "startCourier", "API_ERRORS", "parseByteSize"] },
] as const;

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** The child's environment without npm's own `npm_*` variables (set when run under `npm test`). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== "INIT_CWD") env[k] = v;
  }
  return { ...env, ...extra };
}

function runNpm(args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd, env: cleanEnv({ npm_config_update_notifier: "false" }), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("npm pack + install", () => {
  let work: string;
  let packDir: string;
  let installDir: string;
  let packs: PackResult[];

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "courier-pack-"));
    packDir = path.join(work, "tarballs");
    installDir = path.join(work, "consumer");
    mkdirSync(packDir);
    mkdirSync(installDir);
    // globalSetup has built every dist; --ignore-scripts keeps the root `prepare` from rebuilding.
    const pack = await runNpm(
      ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir, ...PACKAGES.flatMap((p) => ["-w", p.name])],
      REPO_ROOT,
      60_000,
    );
    expect(pack.code, pack.stderr).toBe(0);
    packs = JSON.parse(pack.stdout) as PackResult[];

    writeFileSync(path.join(installDir, "package.json"), JSON.stringify({ name: "courier-pack-consumer", private: true, type: "module" }));
    const install = await runNpm(
      ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline", ...packs.map((p) => path.join(packDir, p.filename))],
      installDir,
      150_000,
    );
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
  }, 210_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("packs every publishable package", () => {
    expect(packs.map((p) => p.name).sort()).toEqual(PACKAGES.map((p) => p.name).sort());
  });

  it.each(PACKAGES)("$name's tarball holds dist and README.md, and no sources or tests", ({ name }) => {
    const files = packs.find((p) => p.name === name)!.files.map((f) => f.path);
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/index.d.ts");
    // The proxy also ships its committed bin launcher (bin/courier.js → dist/main.js).
    const extra = name === "@courier/proxy" ? ["bin/courier.js"] : [];
    expect(files.filter((f) => !f.startsWith("dist/") && !["package.json", "README.md", "LICENSE", ...extra].includes(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)src\/|\.test\.|\.spec\.|(^|\/)test\/|fixtures\/|tsbuildinfo/.test(f))).toEqual([]);
    if (name === "@courier/proxy") {
      expect(files).toContain("dist/main.js");
      expect(files).toContain("bin/courier.js");
    }
  });

  it.each(PACKAGES)("$name imports from the installed tarball with plain Node", async ({ name, exports }) => {
    const script = [
      `import * as m from ${JSON.stringify(name)};`,
      `const where = import.meta.resolve(${JSON.stringify(name)});`,
      `const missing = ${JSON.stringify(exports)}.filter((k) => m[k] === undefined);`,
      `console.log(JSON.stringify({ where, missing, count: Object.keys(m).length }));`,
    ].join("\n");
    const run = await runNode("--input-type=module", ["-e", script], { cwd: installDir, env: cleanEnv(), timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split("\n").pop()!) as { where: string; missing: string[]; count: number };
    expect(out.missing).toEqual([]);
    // Resolved to the installed copy's dist, not to the workspace.
    expect(out.where).toContain(`/consumer/node_modules/${name}/dist/index.js`);
    expect(out.count).toBeGreaterThan(3);
  });

  it("node_modules/.bin/courier --help runs from the installed tarball", async () => {
    const bin = path.join(installDir, "node_modules/.bin/courier");
    expect(existsSync(bin)).toBe(true);
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(bin, ["--help"], { cwd: installDir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.once("error", reject);
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Usage: courier/);
    expect(run.stdout).toContain("--app-id");
  });

  it("the installed courier starts, answers healthz and stops on SIGTERM", async () => {
    const httpPort = await freePort();
    const home = path.join(work, "home");
    const child = spawn(
      path.join(installDir, "node_modules/.bin/courier"),
      ["--app-id", "packed", "--dapr-http-port", String(httpPort)],
      { cwd: installDir, env: cleanEnv({ COURIER_HOME: home }), stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitUntil(
        `the packed courier to be ready:\n${log}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`exited early with ${child.exitCode}:\n${log}`);
          return fetch(`http://127.0.0.1:${httpPort}/v1.0/healthz`).then((r) => r.status === 204, () => false);
        },
        15_000,
        50,
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
