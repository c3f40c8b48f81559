// The courier binary's user-facing lifecycle (design.md "user-facing contract"): flags,
// readiness, health, metadata, API tokens (spec §4.4), registry entries, SIGTERM/SIGINT drain.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Fixtures,
  alive,
  call,
  exitWithin,
  freePort,
  invoke,
  registryEntries,
  runCourierCli,
  waitUntil,
} from "./harness/sidecar-kit.js";
import type { CallResult, TestApp } from "./harness/sidecar-kit.js";
import type { CourierProcess } from "./harness/processes.js";

function json(res: CallResult): Record<string, unknown> {
  try {
    return JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (status ${res.status}): ${res.text}`);
  }
}

describe("command line", () => {
  it("--help exits 0 and lists the flags", async () => {
    const run = await runCourierCli(["--help"]);
    expect(run.code).toBe(0);
    for (const flag of [
      "--app-id",
      "--app-port",
      "--app-protocol",
      "--app-channel-address",
      "--app-max-concurrency",
      "--dapr-http-port",
      "--dapr-grpc-port",
      "--dapr-internal-grpc-port",
      "--dapr-listen-addresses",
      "--namespace",
      "--config",
      "--resources-path",
      "--max-body-size",
      "--read-buffer-size",
      "--metrics-port",
      "--enable-metrics",
      "--log-level",
      "--log-as-json",
      "--dapr-graceful-shutdown-seconds",
    ]) {
      expect(run.stdout, flag).toContain(flag);
    }
    // Sizes are shown as daprd writes them, and each default once.
    expect(run.stdout).toMatch(/--max-body-size .*\(default: 4Mi\)/);
    expect(run.stdout).not.toMatch(/\(default: [^)]*\) \(default:/);
  });

  it.each([
    { name: "an unknown flag", args: ["--app-id", "x", "--no-such-flag"], message: /unknown option '--no-such-flag'/ },
    { name: "a non-numeric --app-port", args: ["--app-id", "x", "--app-port", "abc"], message: /--app-port.*'abc' is invalid/ },
    { name: "an app id with a dot", args: ["--app-id", "a.b"], message: /--app-id.*'a\.b' is invalid.*no dots/ },
    { name: "a bad size suffix", args: ["--app-id", "x", "--max-body-size", "4Xi"], message: /--max-body-size.*'4Xi' is invalid/ },
    { name: "a missing --app-id", args: ["--app-port", "3000"], message: /required option '--app-id <id>' not specified/ },
  ])("$name exits non-zero with a clear message on stderr", async ({ args, message }) => {
    const run = await runCourierCli(args, { env: { COURIER_HOME: "/nonexistent-courier-home" } });
    expect(run.signal).toBeNull();
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    // A flag error says so before anything starts: no "courier started" log.
    expect(run.stderr).not.toMatch(/courier started/);
  });
});

describe("readiness, health and metadata", () => {
  const fx = new Fixtures();
  let appPort: number;
  let courier: CourierProcess;

  beforeAll(async () => {
    appPort = await freePort();
    // The app is not up yet: Courier starts anyway and says it is not ready.
    courier = await fx.courier({ appId: "health-app", appPort, home: fx.home(), waitReady: false });
  });
  afterAll(() => fx.teardown());

  it("healthz is 500 ERR_HEALTH_NOT_READY while the app is unreachable, 204 once it starts; outbound is 204 before", async () => {
    const first = await waitUntil("the HTTP API to answer", async () => {
      const r = await call(courier, "/v1.0/healthz");
      return r.status !== 0 ? r : undefined;
    }, 15_000);
    expect(first.status).toBe(500);
    expect(json(first)).toMatchObject({ errorCode: "ERR_HEALTH_NOT_READY" });
    expect(String(json(first)["message"])).toMatch(/dapr is not ready/);

    // Outbound readiness does not wait for the app (spec §4.4): it turns 204 while healthz stays 500.
    await waitUntil("healthz/outbound 204", async () => (await call(courier, "/v1.0/healthz/outbound")).status === 204, 10_000);

    // Still not ready a while later: readiness is really waiting for the app, not for startup.
    await new Promise((r) => setTimeout(r, 700));
    const later = await call(courier, "/v1.0/healthz");
    expect(later.status).toBe(500);
    expect(json(later)).toMatchObject({ errorCode: "ERR_HEALTH_NOT_READY" });

    await fx.app("health-app", appPort);
    await waitUntil("healthz 204 after the app started", async () => (await call(courier, "/v1.0/healthz")).status === 204, 10_000);
    expect((await call(courier, "/v1.0/healthz/outbound")).status).toBe(204);
  });

  it("healthz?appid= checks the app id", async () => {
    const other = await call(courier, "/v1.0/healthz?appid=other");
    expect(other.status).toBe(500);
    expect(json(other)).toMatchObject({ errorCode: "ERR_HEALTH_APPID_NOT_MATCH" });
    expect((await call(courier, "/v1.0/healthz?appid=health-app")).status).toBe(204);
  });

  it("GET /v1.0/metadata describes the sidecar; PUT /v1.0/metadata/{key} adds an extended attribute", async () => {
    const res = await call(courier, "/v1.0/metadata");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = json(res);
    expect(body["id"]).toBe("health-app");
    expect(body["appConnectionProperties"]).toMatchObject({ port: appPort, protocol: "http", channelAddress: "127.0.0.1" });

    const put = await call(courier, "/v1.0/metadata/k", { method: "PUT", body: "v1" });
    expect(put.status).toBeGreaterThanOrEqual(200);
    expect(put.status).toBeLessThan(300);
    const after = json(await call(courier, "/v1.0/metadata"));
    expect(after["extended"]).toMatchObject({ k: "v1" });
  });
});

describe("API tokens (spec §4.4)", () => {
  const fx = new Fixtures();
  let caller: CourierProcess;
  let appWithToken: TestApp;
  let appWithout: TestApp;
  const DAPR_TOKEN = "dapr-secret-1";
  const APP_TOKEN = "app-secret-2";

  beforeAll(async () => {
    const home = fx.home();
    appWithToken = await fx.app("tok-b");
    appWithout = await fx.app("tok-c");
    [caller] = await Promise.all([
      fx.courier({ appId: "tok-a", home, env: { DAPR_API_TOKEN: DAPR_TOKEN } }),
      fx.courier({ appId: "tok-b", appPort: appWithToken.port, home, env: { APP_API_TOKEN: APP_TOKEN } }),
      fx.courier({ appId: "tok-c", appPort: appWithout.port, home }),
    ]);
  });
  afterAll(() => fx.teardown());

  it("rejects invocations without or with a wrong dapr-api-token: 401 `invalid api token`", async () => {
    const none = await invoke(caller, "tok-c", "echo", { body: "x" });
    expect(none.status).toBe(401);
    expect(none.text).toBe("invalid api token");
    const wrong = await invoke(caller, "tok-c", "echo", { body: "x", headers: { "dapr-api-token": "nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toBe("invalid api token");
    const meta = await call(caller, "/v1.0/metadata");
    expect(meta.status).toBe(401);
    expect(appWithout.received).toHaveLength(0);
  });

  it("exempts healthz and healthz/outbound", async () => {
    expect((await call(caller, "/v1.0/healthz")).status).toBe(204);
    expect((await call(caller, "/v1.0/healthz/outbound")).status).toBe(204);
  });

  it("lets the right token through and never forwards it to the callee app", async () => {
    const ok = await invoke(caller, "tok-c", "echo", { body: "hello", headers: { "dapr-api-token": DAPR_TOKEN } });
    expect(ok.status).toBe(200);
    expect(json(ok)).toMatchObject({ app: "tok-c", body: "hello" });
    expect(appWithout.received).toHaveLength(1);
    expect(appWithout.received[0]!.headers["dapr-api-token"]).toBeUndefined();
    expect(JSON.stringify(appWithout.received[0]!.headers)).not.toContain(DAPR_TOKEN);
  });

  it("APP_API_TOKEN on the callee reaches its app as dapr-api-token (and the caller's token does not)", async () => {
    const ok = await invoke(caller, "tok-b", "echo", { body: "hi", headers: { "dapr-api-token": DAPR_TOKEN } });
    expect(ok.status).toBe(200);
    expect(appWithToken.received).toHaveLength(1);
    expect(appWithToken.received[0]!.headers["dapr-api-token"]).toBe(APP_TOKEN);
    expect(JSON.stringify(appWithToken.received[0]!.headers)).not.toContain(DAPR_TOKEN);
  });
});

describe("registry and signals", () => {
  const fx = new Fixtures();
  afterEach(() => fx.teardown());

  it("registers under $COURIER_HOME/registry/v1/default/<id>/ and deregisters on SIGTERM (exit 0)", async () => {
    const home = fx.home();
    const c = await fx.courier({ appId: "reg-app", home });
    const entries = registryEntries(home, "reg-app");
    expect(entries).toHaveLength(1);
    const entry = JSON.parse(readFileSync(path.join(home, "registry/v1/default/reg-app", entries[0]!), "utf8")) as Record<string, unknown>;
    expect(entry).toMatchObject({ appId: "reg-app", namespace: "default", pid: c.child.pid });
    expect(typeof entry["port"]).toBe("number");

    c.child.kill("SIGTERM");
    expect(await exitWithin(c, 15_000)).toBe(0);
    expect(registryEntries(home, "reg-app")).toEqual([]);
  });

  it("SIGINT also deregisters and exits 0", async () => {
    const home = fx.home();
    const c = await fx.courier({ appId: "int-app", home });
    expect(registryEntries(home, "int-app")).toHaveLength(1);
    c.child.kill("SIGINT");
    expect(await exitWithin(c, 15_000)).toBe(0);
    expect(registryEntries(home, "int-app")).toEqual([]);
  });

  it("SIGTERM lets in-flight calls finish, exits 0, and new calls go to another instance", async () => {
    const home = fx.home();
    const app1 = await fx.app("drain-1");
    const app2 = await fx.app("drain-2");
    // A wide grace so the test, not the clock, decides when the in-flight calls end.
    const [b1, caller] = await Promise.all([
      fx.courier({ appId: "drain", appPort: app1.port, home, args: ["--dapr-graceful-shutdown-seconds", "30"] }),
      fx.courier({ appId: "drain-caller", home }),
    ]);

    // Only b1 exists yet: these calls are all held by app1 until release().
    const N = 4;
    const inFlight = Array.from({ length: N }, () => invoke(caller, "drain", "gate", { timeoutMs: 40_000 }));
    await waitUntil("app1 to hold every call", () => app1.inFlight() === N, 10_000);
    const b2 = await fx.courier({ appId: "drain", appPort: app2.port, home });

    b1.child.kill("SIGTERM");
    // Deregistration comes first; from then on b1 must not take new calls.
    await waitUntil("b1 to deregister", () => registryEntries(home, "drain").length === 1, 10_000);
    const app1Before = app1.received.length;
    const fresh = await Promise.all(Array.from({ length: 6 }, (_, i) => invoke(caller, "drain", `echo?i=${i}`, { body: "new" })));
    for (const r of fresh) {
      expect(r.status, r.text).toBe(200);
      expect(json(r)).toMatchObject({ app: "drain-2" });
    }
    expect(app1.received.length).toBe(app1Before);
    expect(app2.received.length).toBe(6);

    // b1 is still draining: it waits for its in-flight calls rather than exiting.
    expect(alive(b1)).toBe(true);
    expect(app1.inFlight()).toBe(N);
    app1.release();
    const done = await Promise.all(inFlight);
    for (const r of done) {
      expect(r.status, r.text).toBe(200);
      expect(json(r)).toEqual({ app: "drain-1", gate: true });
    }
    // Long before the 30 s grace: the drain ends when the calls do.
    const releasedAt = performance.now();
    expect(await exitWithin(b1, 15_000)).toBe(0);
    expect(performance.now() - releasedAt).toBeLessThan(10_000);
    expect(alive(b2)).toBe(true);
  });

  it("a call still running past --dapr-graceful-shutdown-seconds is cut and the process still exits", async () => {
    const home = fx.home();
    const app = await fx.app("cut");
    const [b, caller] = await Promise.all([
      fx.courier({ appId: "cut", appPort: app.port, home, args: ["--dapr-graceful-shutdown-seconds", "1"] }),
      fx.courier({ appId: "cut-caller", home }),
    ]);
    const pending = invoke(caller, "cut", "hang", { timeoutMs: 30_000 });
    await waitUntil("the app to hold the call", () => app.inFlight() === 1, 10_000);

    const signalledAt = performance.now();
    b.child.kill("SIGTERM");
    expect(await exitWithin(b, 15_000)).toBe(0);
    // Not before the 1 s grace, and long before the app would have answered (120 s).
    const exitMs = performance.now() - signalledAt;
    expect(exitMs).toBeGreaterThanOrEqual(900);
    expect(exitMs).toBeLessThan(10_000);

    // The caller gets an error answer, not a hang.
    const res = await pending;
    expect(res.status).toBe(500);
    expect(json(res)).toMatchObject({ errorCode: "ERR_DIRECT_INVOKE" });
    await waitUntil("the app's request to be closed", () => app.inFlight() === 0, 10_000);
    expect(alive(caller)).toBe(true);
    expect((await call(caller, "/v1.0/healthz")).status).toBe(204);
  });
});
