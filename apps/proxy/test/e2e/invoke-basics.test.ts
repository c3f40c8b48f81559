import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyDone } from "./harness/apps.js";
import type { EchoAnswer, TestApp } from "./harness/apps.js";
import { jsonBody, rawExchange, rawRequest } from "./harness/client.js";
import type { ApiErrorBody, RawResponse } from "./harness/client.js";
import { E2eEnv } from "./harness/env.js";
import type { CourierProcess } from "./harness/processes.js";

// Verbs, statuses, HEAD and the app-response header limit, through caller Courier → callee Courier → app.
const env = new E2eEnv();
let app: TestApp;
let caller: CourierProcess;
let callee: CourierProcess;

beforeAll(async () => {
  app = await env.app();
  // /status/<code>[?ct=<content-type>&loc=<location>]: answers that status with a small body.
  app.route("/status/", async (req, res, rec) => {
    await bodyDone(req, rec);
    const url = new URL(rec.url, "http://app");
    const code = Number(url.pathname.split("/")[2]);
    const ct = url.searchParams.get("ct");
    const loc = url.searchParams.get("loc");
    const headers: Record<string, string> = { "x-app-status": String(code) };
    if (ct) headers["content-type"] = ct;
    if (loc) headers["location"] = loc;
    res.writeHead(code, headers);
    res.end(code === 204 || code === 304 ? undefined : `status ${code} body`);
  });
  app.route("/head/", (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "11", "x-head": "yes" });
    res.end("hello world");
  });
  app.route("/bigheader", (_req, res) => {
    res.writeHead(200, { "x-big": "b".repeat(5 * 1024), "content-type": "text/plain" });
    res.end("unreachable");
  });
  [caller, callee] = await Promise.all([env.courier({ appId: "caller" }), env.courier({ appId: "callee", appPort: app.port })]);
});

afterAll(() => env.close());

function invoke(method: string, path: string, extra: { body?: string; headers?: string[] } = {}): Promise<RawResponse> {
  return rawRequest(caller.url, { method, path: `/v1.0/invoke/callee/method${path}`, ...extra });
}

function expectLengthMatches(res: RawResponse): void {
  if (res.headers["content-length"] !== undefined) expect(Number(res.headers["content-length"])).toBe(res.body.byteLength);
}

describe("verbs", () => {
  const verbs = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"] as const;
  const query = "a=1&b=%20x&c&d=%2F%3F&e=a+b&f=%E2%82%AC";

  it.each(verbs)("%s reaches the app with that verb, path and raw query", async (verb) => {
    const withBody = verb === "POST" || verb === "PUT" || verb === "PATCH" || verb === "DELETE";
    const path = `/verbs/${verb.toLowerCase()}/item-7`;
    const res = await invoke(verb, `${path}?${query}`, withBody ? { body: `payload for ${verb}`, headers: ["Content-Type", "text/plain"] } : {});
    expect(res.status).toBe(200);

    const seen = app.find(`/verbs/${verb.toLowerCase()}/`);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe(verb);
    expect(seen[0]!.url).toBe(`${path}?${query}`);
    if (withBody) expect(seen[0]!.body.toString()).toBe(`payload for ${verb}`);
    if (verb === "HEAD") {
      expect(res.body.byteLength).toBe(0);
    } else {
      const answer = jsonBody<EchoAnswer>(res);
      expect(answer.method).toBe(verb);
      expect(answer.url).toBe(`${path}?${query}`);
      expectLengthMatches(res);
    }
  });
});

describe("unknown verbs", () => {
  it("an unknown verb reaches the app as POST (spec §4.2)", async () => {
    const res = await invoke("PURGE", "/verbs/purge/x?y=1", { body: "purge body" });
    expect(res.status).toBe(200);
    const seen = app.find("/verbs/purge/");
    expect(seen.map((r) => [r.method, r.url, r.body.toString()])).toEqual([["POST", "/verbs/purge/x?y=1", "purge body"]]);
  });
});

describe("statuses pass through with their bodies", () => {
  it("201 with the app's body and content type", async () => {
    const res = await invoke("POST", "/status/201?ct=text/plain;%20charset=utf-8", { body: "x" });
    expect(res.status).toBe(201);
    expect(res.body.toString()).toBe("status 201 body");
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.headers["x-app-status"]).toBe("201");
    expectLengthMatches(res);
  });

  it("204 without a body", async () => {
    const res = await invoke("DELETE", "/status/204");
    expect(res.status).toBe(204);
    expect(res.body.byteLength).toBe(0);
  });

  it("a 3xx redirect is returned, not followed, with Location and body", async () => {
    const before = app.find("/redirected-target").length;
    const res = await invoke("GET", "/status/302?ct=text/plain&loc=/redirected-target");
    expect(res.status).toBe(302);
    expect(res.headers["location"]).toBe("/redirected-target");
    expect(res.body.toString()).toBe("status 302 body");
    expectLengthMatches(res);
    expect(app.find("/redirected-target")).toHaveLength(before);
  });

  it("301 with an absolute Location is returned as is", async () => {
    const res = await invoke("GET", "/status/301?loc=http://elsewhere.invalid/x");
    expect(res.status).toBe(301);
    expect(res.headers["location"]).toBe("http://elsewhere.invalid/x");
    expect(res.body.toString()).toBe("status 301 body");
  });

  it("4xx: buffered with the real Content-Length and the app's Content-Type", async () => {
    const res = await invoke("GET", "/status/409?ct=application/problem%2Bjson");
    expect(res.status).toBe(409);
    expect(res.body.toString()).toBe("status 409 body");
    expect(res.headers["content-type"]).toBe("application/problem+json");
    expect(res.headers["transfer-encoding"]).toBeUndefined();
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength("status 409 body")));
    expect(res.headers["x-app-status"]).toBe("409");
  });

  it("4xx with no app Content-Type is labelled application/json", async () => {
    const res = await invoke("GET", "/status/404");
    expect(res.status).toBe(404);
    expect(res.body.toString()).toBe("status 404 body");
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength("status 404 body")));
  });

  it.each([500, 503])("%i: buffered with body, Content-Length and app headers", async (code) => {
    const res = await invoke("POST", `/status/${code}?ct=text/plain`, { body: "boom?" });
    expect(res.status).toBe(code);
    expect(res.body.toString()).toBe(`status ${code} body`);
    expect(res.headers["content-type"]).toBe("text/plain");
    expect(res.headers["content-length"]).toBe(String(res.body.byteLength));
    expect(res.headers["transfer-encoding"]).toBeUndefined();
    expect(res.headers["x-app-status"]).toBe(String(code));
  });

  it("an app status is not rewritten into an ERR_DIRECT_INVOKE body", async () => {
    const res = await invoke("GET", "/status/500");
    expect(res.body.toString()).not.toContain("ERR_DIRECT_INVOKE");
  });
});

describe("HEAD", () => {
  it("the answer to HEAD carries the app's headers and no body bytes", async () => {
    const { port } = new URL(caller.url);
    const raw = await rawExchange(
      caller.url,
      `HEAD /v1.0/invoke/callee/method/head/probe HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    const text = raw.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    expect(end).toBeGreaterThan(0);
    const head = text.slice(0, end);
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/\r\nx-head: yes(\r\n|$)/i);
    expect(text.slice(end + 4)).toBe("");
    const seen = app.find("/head/probe");
    expect(seen.map((r) => r.method)).toEqual(["HEAD"]);
  });
});

describe("HEAD on an error status", () => {
  it("the buffered error answer to HEAD sends no body bytes", async () => {
    const { port } = new URL(caller.url);
    const raw = await rawExchange(
      caller.url,
      `HEAD /v1.0/invoke/callee/method/status/404?ct=text/plain HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    const text = raw.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    expect(text.slice(0, end)).toMatch(/^HTTP\/1\.1 404 /);
    expect(text.slice(end + 4)).toBe("");
  });
});

describe("app response headers over --read-buffer-size (4Ki)", () => {
  it("give a clear ERR_DIRECT_INVOKE, and both Couriers keep working", async () => {
    const res = await invoke("GET", "/bigheader");
    expect(res.status).toBe(500);
    const body = jsonBody<ApiErrorBody>(res);
    expect(body.errorCode).toBe("ERR_DIRECT_INVOKE");
    expect(body.message).toMatch(/^failed to invoke, id: callee, err: /);
    expect(body.message).toContain("error invoking app channel");
    expect(body.message).toMatch(/header/i);

    expect(callee.child.exitCode).toBeNull();
    expect(caller.child.exitCode).toBeNull();
    const after = await invoke("GET", "/after-bigheader");
    expect(after.status).toBe(200);
    expect(jsonBody<EchoAnswer>(after).url).toBe("/after-bigheader");
  });
});
