import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyDone, sha256 } from "./harness/apps.js";
import type { TestApp } from "./harness/apps.js";
import { rawRequest } from "./harness/client.js";
import { E2eEnv } from "./harness/env.js";
import type { CourierProcess } from "./harness/processes.js";

// Many calls in flight at once share one sidecar-to-sidecar connection (spec §2.10); each must
// get its own answer, never another call's bytes (spec §10 item 13 saw streams mixed up).
const CALLS = 200;
const env = new E2eEnv();
let app: TestApp;
let caller: CourierProcess;
let otherCaller: CourierProcess;

beforeAll(async () => {
  app = await env.app();
  // /conc/<i>: after a random pause, answers "<url>\n<sha256>\n<body>" in pieces.
  app.route("/conc/", async (req, res, rec) => {
    await bodyDone(req, rec);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 25)));
    res.writeHead(200, { "content-type": "application/octet-stream", "x-call": rec.url.split("/")[2]!.split("?")[0]! });
    res.write(`${rec.url}\n${sha256(rec.body)}\n`);
    const half = rec.body.byteLength >> 1;
    res.write(rec.body.subarray(0, half));
    await new Promise((r) => setImmediate(r));
    res.end(rec.body.subarray(half));
  });
  [caller, otherCaller] = await Promise.all([
    env.courier({ appId: "caller" }),
    env.courier({ appId: "caller-2" }),
    env.courier({ appId: "callee", appPort: app.port }),
  ]);
});

afterAll(() => env.close());

describe("concurrency", () => {
  it(`${CALLS} concurrent calls with distinct paths and bodies each get their own answer`, async () => {
    const calls = Array.from({ length: CALLS }, (_, i) => {
      // Mostly small bodies; every tenth spans many 2 KiB stream chunks so frames interleave.
      const body = i % 10 === 0 ? randomBytes(48 * 1024 + i) : Buffer.from(`body-${i}-${randomBytes(8).toString("hex")}`);
      const via = i % 2 === 0 ? caller : otherCaller;
      const byHeader = i % 3 === 0;
      const path = `/conc/${i}?i=${i}&tag=${randomBytes(4).toString("hex")}`;
      return { i, body, via, path, byHeader };
    });
    const results = await Promise.all(
      calls.map((c) =>
        rawRequest(c.via.url, {
          method: c.i % 4 === 1 ? "PUT" : "POST",
          path: c.byHeader ? c.path : `/v1.0/invoke/callee/method${c.path}`,
          headers: [...(c.byHeader ? ["dapr-app-id", "callee"] : []), "Content-Type", "application/octet-stream", "X-Call", String(c.i)],
          body: c.body,
          timeoutMs: 40_000,
        }),
      ),
    );
    const mixed: number[] = [];
    for (const [k, res] of results.entries()) {
      const c = calls[k]!;
      const expected = Buffer.concat([Buffer.from(`${c.path}\n${sha256(c.body)}\n`), c.body]);
      expect(res.status, `call ${c.i}`).toBe(200);
      expect(res.headers["x-call"], `call ${c.i}`).toBe(String(c.i));
      if (!res.body.equals(expected)) mixed.push(c.i);
    }
    expect(mixed, "calls whose answer was not their own").toEqual([]);
    // Every call reached the app exactly once, with its own request header.
    for (const c of calls) {
      const seen = app.find(`/conc/${c.i}?`);
      expect(seen, `call ${c.i}`).toHaveLength(1);
      expect(seen[0]!.headers["x-call"]).toBe(String(c.i));
      expect(seen[0]!.headers["dapr-caller-app-id"]).toBe(c.via === caller ? "caller" : "caller-2");
    }
  });
});
