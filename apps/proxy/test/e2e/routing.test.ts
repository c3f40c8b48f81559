import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerValues } from "./harness/apps.js";
import type { EchoAnswer, TestApp } from "./harness/apps.js";
import { jsonBody, rawRequest } from "./harness/client.js";
import type { ApiErrorBody, RawResponse } from "./harness/client.js";
import { E2eEnv } from "./harness/env.js";
import type { CourierProcess } from "./harness/processes.js";

// Routing forms and errors (spec §4.1, §4.3, §2.2) and path safety (§2.3, §11 row 14, design.md
// "deliberate differences": the HTTP API decodes, normalizes, and re-encodes each segment).
const env = new E2eEnv();
let app: TestApp;
let caller: CourierProcess;

beforeAll(async () => {
  app = await env.app();
  const doomedApp = await env.app();
  const started = await Promise.all([
    env.courier({ appId: "caller" }),
    env.courier({ appId: "callee", appPort: app.port }),
    env.courier({ appId: "appless-callee", appPort: doomedApp.port }),
  ]);
  caller = started[0];
  // Its Courier is up and registered; the app behind it is gone.
  await doomedApp.close();
});

afterAll(() => env.close());

function get(path: string, headers: string[] = [], method = "GET", body?: string): Promise<RawResponse> {
  return rawRequest(caller.url, { method, path, headers, body });
}

function echoed(res: RawResponse): EchoAnswer {
  expect(res.status, res.body.toString()).toBe(200);
  return jsonBody<EchoAnswer>(res);
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

const NO_APP_ID = { errorCode: "ERR_DIRECT_INVOKE", message: "failed getting app id either from the URL path or the header dapr-app-id" };

describe("routing forms", () => {
  it("URL form: /v1.0/invoke/<id>/method/<method>", async () => {
    const answer = echoed(await get("/v1.0/invoke/callee/method/orders/42?x=1&y=%2F"));
    expect(answer.url).toBe("/orders/42?x=1&y=%2F");
    expect(headerValues(answer.rawHeaders, "dapr-caller-app-id")).toEqual(["caller"]);
    const xff = headerValues(answer.rawHeaders, "x-forwarded-for");
    expect(xff).toHaveLength(1);
    expect(net.isIP(xff[0]!)).not.toBe(0);
  });

  it("URL form tolerates repeated slashes between the leading segments", async () => {
    const answer = echoed(await get("//v1.0//invoke/callee/method/repeated"));
    expect(answer.url).toBe("/repeated");
  });

  it("URL form keeps an unrelated Authorization header", async () => {
    const answer = echoed(await get("/v1.0/invoke/callee/method/bearer", ["Authorization", "Bearer abc.def"]));
    expect(headerValues(answer.rawHeaders, "authorization")).toEqual(["Bearer abc.def"]);
  });

  it("dapr-app-id header form: the whole path is the method; the header is not forwarded", async () => {
    const answer = echoed(await get("/orders/43?z=9", ["dapr-app-id", "callee", "Content-Type", "text/plain"], "POST", "by header"));
    expect(answer.method).toBe("POST");
    expect(answer.url).toBe("/orders/43?z=9");
    expect(answer.body).toBe("by header");
    expect(headerValues(answer.rawHeaders, "dapr-app-id")).toEqual([]);
    expect(headerValues(answer.rawHeaders, "dapr-caller-app-id")).toEqual(["caller"]);
  });

  it("dapr-app-id header form cleans dot segments", async () => {
    const answer = echoed(await get("/api/../header-clean", ["Dapr-App-Id", "callee"]));
    expect(answer.url).toBe("/header-clean");
  });

  it.each(["dapr-app-id", "DAPR-APP-ID"])("basic auth %s:<id> form: Authorization is not forwarded", async (user) => {
    const answer = echoed(await get(`/basic/${user}?k=v`, ["Authorization", basic(user, "callee")]));
    expect(answer.url).toBe(`/basic/${user}?k=v`);
    expect(headerValues(answer.rawHeaders, "authorization")).toEqual([]);
    expect(headerValues(answer.rawHeaders, "dapr-callee-app-id")).toEqual(["callee"]);
  });

  it("the dapr-app-id header wins over basic auth, and then Authorization is forwarded", async () => {
    const answer = echoed(await get("/both-forms", ["dapr-app-id", "callee", "Authorization", basic("dapr-app-id", "nosuchapp")]));
    expect(answer.url).toBe("/both-forms");
    expect(headerValues(answer.rawHeaders, "authorization")).toEqual([basic("dapr-app-id", "nosuchapp")]);
    expect(headerValues(answer.rawHeaders, "dapr-app-id")).toEqual([]);
  });

  it("Courier's own API routes are not invocations, even with dapr-app-id", async () => {
    const before = app.requests.length;
    const health = await get("/v1.0/healthz", ["dapr-app-id", "callee"]);
    expect(health.status).toBe(204);
    const meta = await get("/v1.0/metadata", ["dapr-app-id", "callee"]);
    expect(meta.status).toBe(200);
    expect(jsonBody<{ id: string }>(meta).id).toBe("caller");
    expect(app.requests.slice(before).filter((r) => r.url.startsWith("/v1.0"))).toEqual([]);
  });

  it("<id>.<namespace> addressing reaches the app", async () => {
    const answer = echoed(await get("/v1.0/invoke/callee.default/method/namespaced"));
    expect(answer.url).toBe("/namespaced");
    expect(headerValues(answer.rawHeaders, "dapr-callee-app-id")).toEqual(["callee"]);
    expect(headerValues(answer.rawHeaders, "dapr-caller-namespace")).toEqual(["default"]);
  });

  it("an id in another namespace is not found (500)", async () => {
    const res = await get("/v1.0/invoke/callee.elsewhere/method/x");
    expect(res.status).toBe(500);
    const body = jsonBody<ApiErrorBody>(res);
    expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
    expect(body.message).toMatch(/^failed to invoke, id: callee\.elsewhere, err: ./);
  });

  it("an id with two dots is rejected", async () => {
    const res = await get("/v1.0/invoke/a.b.c/method/x");
    expect(res.status).toBe(500);
    const body = jsonBody<ApiErrorBody>(res);
    expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
    expect(body.message).toMatch(/^failed to invoke, id: a\.b\.c, err: .*invalid app id a\.b\.c/);
  });
});

describe("routing errors", () => {
  it.each([
    ["/v1.0/invoke/callee", []],
    ["/v1.0/invoke/callee/nomethod/x", []],
    ["/not/an/invocation", []],
    ["/not/an/invocation", ["Authorization", basic("someone", "callee")]],
  ])("no app id (%s) → 404 with the fixed message", async (path, headers) => {
    const res = await get(path, headers as string[]);
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(jsonBody<ApiErrorBody>(res)).toEqual(NO_APP_ID);
  });

  it("unknown app id → 500 ERR_DIRECT_INVOKE `failed to invoke, id: <id>, err: …`", async () => {
    const started = Date.now();
    const res = await get("/v1.0/invoke/nosuchapp/method/x");
    expect(res.status).toBe(500);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = jsonBody<ApiErrorBody>(res);
    expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
    expect(body.message).toMatch(/^failed to invoke, id: nosuchapp, err: ./);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("callee Courier up but its app down → 500 `error invoking app channel`", async () => {
    const res = await get("/v1.0/invoke/appless-callee/method/anything", [], "POST", "data");
    expect(res.status).toBe(500);
    const body = jsonBody<ApiErrorBody>(res);
    expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
    expect(body.message).toMatch(/^failed to invoke, id: appless-callee, err: /);
    expect(body.message).toContain("error invoking app channel");
  });
});

describe("path safety", () => {
  it.each([
    // [raw method part after /method/, what the app's req.url must be]
    ["admin/../public", "/public"],
    ["../../etc/passwd", "/etc/passwd"],
    ["%2E%2E/%2E%2E/etc/passwd", "/etc/passwd"],
    ["safe/%2E%2E%2F%2E%2E%2Fsecret", "/secret"],
    ["api///v1///users", "/api/v1/users"],
    ["trailing/", "/trailing"],
    // %2F decodes to a separator before normalization (spec §2.3 / §10 item 2).
    ["path/value%2F123", "/path/value/123"],
    // A literal % in the decoded method is re-encoded (design: deliberate difference, §11 row 14).
    ["test%25stream", "/test%25stream"],
    ["double%2525", "/double%2525"],
    ["sp%20ace", "/sp%20ace"],
    ["quote%22back%5Cslash", "/quote%22back%5Cslash"],
    ["euro%E2%82%AC", "/euro%E2%82%AC"],
    ["keep;params=1@x:y", "/keep;params=1@x:y"],
  ])("/method/%s reaches the app as %s", async (method, expected) => {
    const answer = echoed(await get(`/v1.0/invoke/callee/method/${method}`));
    expect(answer.url).toBe(expected);
  });

  it("the raw query is not touched by path normalization", async () => {
    const answer = echoed(await get("/v1.0/invoke/callee/method/a/../q?p=../x&r=%2F%23"));
    expect(answer.url).toBe("/q?p=../x&r=%2F%23");
  });

  it("dapr-app-id header form decodes %2F the same way", async () => {
    const answer = echoed(await get("/hdr/a%2Fb/%2E%2E/c", ["dapr-app-id", "callee"]));
    expect(answer.url).toBe("/hdr/a/c");
  });

  it.each(["rej%23hash", "rej%3Fquery", "rej%00nul", "rej%0Dcr", "rej%0Alf", "rej%09tab", "rej%7Fdel"])(
    "/method/%s is rejected with 500 `invalid method` and never reaches the app",
    async (method) => {
      const res = await get(`/v1.0/invoke/callee/method/${method}`);
      expect(res.status).toBe(500);
      const body = jsonBody<ApiErrorBody>(res);
      expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
      expect(body.message).toMatch(/^failed to invoke, id: callee, err: .*invalid method/);
      expect(app.find("/rej")).toEqual([]);
    },
  );

  it("a malformed escape is a 400, not a crash", async () => {
    const res = await get("/v1.0/invoke/callee/method/bad%zzescape");
    expect(res.status).toBe(400);
    expect(app.find("/bad")).toEqual([]);
    expect(echoed(await get("/v1.0/invoke/callee/method/after-bad-escape")).url).toBe("/after-bad-escape");
  });
});
