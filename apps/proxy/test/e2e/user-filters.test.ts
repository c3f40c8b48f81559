import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCourier, tempHome } from "./harness/processes.js";
import type { CourierProcess } from "./harness/processes.js";

const FILTER = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/tenant-filter.mjs");

describe("--filter: user filters on both sides of a hop (real processes)", () => {
  const home = tempHome();
  const seen: http.IncomingHttpHeaders[] = [];
  let app: http.Server;
  let caller: CourierProcess;
  let callee: CourierProcess;

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on("end", () => res.end(`app saw ${req.url}`));
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    const appPort = (app.address() as AddressInfo).port;
    [callee, caller] = await Promise.all([
      startCourier({ appId: "filtered", appPort, home: home.dir, args: ["--filter", FILTER] }),
      startCourier({ appId: "front", home: home.dir, args: ["--filter", FILTER] }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([caller?.stop(), callee?.stop()]);
    await new Promise((r) => app?.close(r));
    home.cleanup();
  });

  it("a caller filter adds a header that reaches the app", async () => {
    const res = await fetch(`${caller.url}/v1.0/invoke/filtered/method/hello`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("app saw /hello");
    expect(seen.at(-1)?.["x-tenant"]).toBe("acme");
  });

  it("a callee filter can refuse a call before the app sees it", async () => {
    const before = seen.length;
    const res = await fetch(`${caller.url}/v1.0/invoke/filtered/method/forbidden`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
    expect(body.message).toContain("PermissionDenied");
    expect(body.message).toContain("tenant filter: method not allowed");
    expect(seen.length).toBe(before);
  });

  it("a callee filter can answer on its own, with the caller identity in its context", async () => {
    const res = await fetch(`${caller.url}/v1.0/invoke/filtered/method/short-circuit`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-answered-by")).toBe("filter");
    expect(await res.text()).toBe("caller=front");
  });

  it("a module that is not a filter module stops startup with a clear error", async () => {
    const bad = startCourier({ appId: "bad", home: home.dir, args: ["--filter", path.join(path.dirname(FILTER), "does-not-exist.mjs")] });
    await expect(bad).rejects.toThrow(/--filter .*does-not-exist\.mjs: cannot load module/);
  });
});
