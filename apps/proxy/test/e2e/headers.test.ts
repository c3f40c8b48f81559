import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerValues } from "./harness/apps.js";
import type { EchoAnswer, TestApp } from "./harness/apps.js";
import { jsonBody, rawRequest } from "./harness/client.js";
import type { RawResponse } from "./harness/client.js";
import { E2eEnv } from "./harness/env.js";
import type { CourierProcess } from "./harness/processes.js";

// Header handling (spec §2.6, §2.7, §3.4, §11 rows 1–3): custom and multi-valued headers both
// ways, hop-by-hop removal, caller stamps, and identity headers a calling app cannot forge.
const CALLER_IP = "10.11.12.13";
const env = new E2eEnv();
let app: TestApp;
let caller: CourierProcess;
let callee: CourierProcess;

beforeAll(async () => {
  app = await env.app();
  app.route("/respheaders", (_req, res) => {
    res.setHeader("X-Resp-One", "r1");
    res.setHeader("X-Resp-Multi", ["m1", "m2"]);
    res.setHeader("Set-Cookie", ["a=1; Path=/", "b=2; Path=/"]);
    res.setHeader("Content-Type", "text/plain");
    res.end("with headers");
  });
  app.route("/resphop", (_req, res) => {
    res.setHeader("Connection", "X-App-Hop");
    res.setHeader("X-App-Hop", "must-not-pass");
    res.setHeader("Keep-Alive", "timeout=99");
    res.setHeader("Proxy-Authenticate", "Basic realm=app");
    res.setHeader("X-App-Kept", "kept");
    res.end("hop");
  });
  [caller, callee] = await Promise.all([
    // DAPR_HOST_IP fixes the IP the caller stamps (spec §2.6), so the test knows it.
    env.courier({ appId: "caller", env: { DAPR_HOST_IP: CALLER_IP } }),
    env.courier({ appId: "callee", appPort: app.port }),
  ]);
});

afterAll(() => env.close());

function invokeVia(courier: CourierProcess, target: string, path: string, headers: string[] = [], body?: string): Promise<RawResponse> {
  return rawRequest(courier.url, { method: body === undefined ? "GET" : "POST", path: `/v1.0/invoke/${target}/method${path}`, headers, body });
}

async function echoed(res: RawResponse): Promise<EchoAnswer> {
  expect(res.status, res.body.toString()).toBe(200);
  return jsonBody<EchoAnswer>(res);
}

function expectNo(answer: EchoAnswer, ...names: string[]): void {
  for (const name of names) expect(headerValues(answer.rawHeaders, name), `${name} reached the app`).toEqual([]);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const host = os.hostname();
const hostPart = TOKEN.test(host) ? host : `"${host.replace(/["\\]/g, "\\$&")}"`;

describe("custom headers", () => {
  it("request headers reach the app, multi-valued ones with every value, names Go-canonical", async () => {
    const answer = await echoed(
      await invokeVia(caller, "callee", "/custom", ["X-Custom-One", "v1", "x-lower-case", "v2", "X-Multi", "a", "X-Multi", "b", "Accept", "text/plain"]),
    );
    expect(headerValues(answer.rawHeaders, "x-custom-one")).toEqual(["v1"]);
    expect(headerValues(answer.rawHeaders, "x-lower-case")).toEqual(["v2"]);
    expect(headerValues(answer.rawHeaders, "x-multi")).toEqual(["a", "b"]);
    expect(headerValues(answer.rawHeaders, "accept")).toEqual(["text/plain"]);
    const names = answer.rawHeaders.filter((_, i) => i % 2 === 0);
    expect(names).toContain("X-Lower-Case");
  });

  it("app response headers reach the caller, multi-valued ones with every value", async () => {
    const res = await invokeVia(caller, "callee", "/respheaders");
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("with headers");
    expect(headerValues(res.rawHeaders, "x-resp-one")).toEqual(["r1"]);
    expect(headerValues(res.rawHeaders, "x-resp-multi").flatMap((v) => v.split(", "))).toEqual(["m1", "m2"]);
    expect(headerValues(res.rawHeaders, "set-cookie")).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(res.headers["content-type"]).toBe("text/plain");
  });
});

describe("request header limit (--read-buffer-size 4Ki)", () => {
  it("a calling app's header over 4 KiB gets 431, and the Courier keeps serving", async () => {
    const res = await invokeVia(caller, "callee", "/too-big-header", ["X-Huge", "h".repeat(5 * 1024)]);
    expect(res.status).toBe(431);
    expect(app.find("/too-big-header")).toEqual([]);
    expect(caller.child.exitCode).toBeNull();
    expect((await echoed(await invokeVia(caller, "callee", "/after-huge"))).url).toBe("/after-huge");
  });
});

describe("hop-by-hop headers", () => {
  it("the calling app's hop-by-hop headers and the ones its Connection names do not reach the app", async () => {
    const answer = await echoed(
      await invokeVia(
        caller,
        "callee",
        "/hop",
        [
          "Connection",
          "keep-alive, X-Hop-Nominated",
          "X-Hop-Nominated",
          "secret",
          "Keep-Alive",
          "timeout=5, max=7",
          "TE",
          "trailers",
          "Upgrade",
          "h2c",
          "Proxy-Authorization",
          "Basic Zm9vOmJhcg==",
          "Proxy-Connection",
          "keep-alive",
          "X-Survivor",
          "yes",
        ],
        "hop body",
      ),
    );
    expectNo(answer, "x-hop-nominated", "keep-alive", "te", "upgrade", "proxy-authorization", "proxy-connection");
    // The app may see Courier's own `Connection: keep-alive`, never the caller's list.
    for (const value of headerValues(answer.rawHeaders, "connection")) expect(value.toLowerCase()).not.toContain("x-hop-nominated");
    expect(headerValues(answer.rawHeaders, "x-survivor")).toEqual(["yes"]);
    expect(answer.body).toBe("hop body");
  });

  it("the app's hop-by-hop response headers and the ones its Connection names do not reach the caller", async () => {
    const res = await invokeVia(caller, "callee", "/resphop");
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("hop");
    expect(headerValues(res.rawHeaders, "x-app-hop")).toEqual([]);
    expect(headerValues(res.rawHeaders, "proxy-authenticate")).toEqual([]);
    expect(headerValues(res.rawHeaders, "keep-alive")).not.toContain("timeout=99");
    for (const value of headerValues(res.rawHeaders, "connection")) expect(value.toLowerCase()).not.toContain("x-app-hop");
    expect(headerValues(res.rawHeaders, "x-app-kept")).toEqual(["kept"]);
  });
});

describe("caller stamps (remote path)", () => {
  it("the app sees caller id, callee id, caller namespace, X-Forwarded-For/Host and Forwarded", async () => {
    const answer = await echoed(await invokeVia(caller, "callee", "/stamps"));
    expect(headerValues(answer.rawHeaders, "dapr-caller-app-id")).toEqual(["caller"]);
    expect(headerValues(answer.rawHeaders, "dapr-callee-app-id")).toEqual(["callee"]);
    expect(headerValues(answer.rawHeaders, "dapr-caller-namespace")).toEqual(["default"]);
    expect(headerValues(answer.rawHeaders, "x-forwarded-for")).toEqual([CALLER_IP]);
    expect(headerValues(answer.rawHeaders, "x-forwarded-host")).toEqual([host]);
    expect(headerValues(answer.rawHeaders, "forwarded")).toEqual([`for=${CALLER_IP};by=${CALLER_IP};host=${hostPart}`]);
    expectNo(answer, "destination-app-id");
  });

  it("X-Forwarded-For from the calling app is kept and the caller sidecar's IP appended", async () => {
    const answer = await echoed(await invokeVia(caller, "callee", "/xff", ["X-Forwarded-For", "203.0.113.9"]));
    expect(answer.headers["x-forwarded-for"]).toBe(`203.0.113.9, ${CALLER_IP}`);
  });

  it("spoofed identity headers, dapr-api-token and destination-app-id from the calling app never reach the app", async () => {
    const answer = await echoed(
      await invokeVia(
        caller,
        "callee",
        "/spoof",
        [
          "Dapr-Caller-App-Id",
          "evil-1",
          "dApR-cAlLeR-aPp-Id",
          "evil-2",
          "dapr-caller-app-id",
          "evil-3",
          "dapr-callee-app-id",
          "evil-4",
          "DAPR-CALLEE-APP-ID",
          "evil-5",
          "Dapr-Caller-Namespace",
          "evil-ns",
          "dapr-api-token",
          "leaked-token-1",
          "Dapr-Api-Token",
          "leaked-token-2",
          "destination-app-id",
          "evil-dest",
          "Destination-App-Id",
          "evil-dest-2",
        ],
        "spoof body",
      ),
    );
    expect(headerValues(answer.rawHeaders, "dapr-caller-app-id")).toEqual(["caller"]);
    expect(headerValues(answer.rawHeaders, "dapr-callee-app-id")).toEqual(["callee"]);
    expect(headerValues(answer.rawHeaders, "dapr-caller-namespace")).toEqual(["default"]);
    expectNo(answer, "dapr-api-token", "destination-app-id");
    expect(JSON.stringify(answer.rawHeaders)).not.toMatch(/evil|leaked-token/);
  });
});

describe("self-invocation", () => {
  it.each(["callee", "callee.default"])("calling %s through its own Courier stamps caller == callee, no X-Forwarded-*", async (target) => {
    const answer = await echoed(
      await invokeVia(callee, target, `/self/${target}?q=1`, [
        "dApR-cAlLeR-aPp-Id",
        "evil",
        "Dapr-Callee-App-Id",
        "evil",
        "dapr-api-token",
        "leaked-token",
        "X-Self-Custom",
        "ok",
      ]),
    );
    expect(answer.url).toBe(`/self/${target}?q=1`);
    expect(headerValues(answer.rawHeaders, "dapr-caller-app-id")).toEqual(["callee"]);
    expect(headerValues(answer.rawHeaders, "dapr-callee-app-id")).toEqual(["callee"]);
    expect(headerValues(answer.rawHeaders, "dapr-caller-namespace")).toEqual(["default"]);
    expect(headerValues(answer.rawHeaders, "x-self-custom")).toEqual(["ok"]);
    expectNo(answer, "x-forwarded-for", "x-forwarded-host", "forwarded", "destination-app-id", "dapr-api-token");
  });
});
