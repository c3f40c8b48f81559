import { describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import type { LogFn, Logger } from "../logger.js";
import { bodyFromBytes, readBody, type BodyStream } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { accessLog } from "./access-log.js";
import type { Invoke } from "./filter.js";

interface Line {
  level: "debug" | "info" | "warn" | "error";
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function recorder(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: Line["level"]): LogFn =>
    (objOrMsg: object | string, msg?: string) => {
      if (typeof objOrMsg === "string") lines.push({ level, obj: {}, msg: objOrMsg });
      else lines.push({ level, obj: objOrMsg as Record<string, unknown>, msg });
    };
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

function request(): InvokeRequest {
  return {
    method: "orders/1",
    verb: "POST",
    query: "",
    contentType: "",
    dataTypeUrl: "",
    metadata: new Metadata(),
    body: bodyFromBytes(""),
    contentLength: 0,
  };
}

function context(log: Logger, side: "caller" | "callee" = "caller"): InvokeContext {
  return {
    signal: new AbortController().signal,
    side,
    target: { appId: "orders", namespace: "default" },
    caller: { appId: "web", namespace: "default" },
    log,
    attributes: new Map(),
  };
}

function response(status: number, body: BodyStream): InvokeResponse {
  return {
    status,
    statusMessage: "",
    statusDetails: [],
    headers: new Metadata(),
    trailers: new Metadata(),
    contentType: "",
    dataTypeUrl: "",
    body,
  };
}

function chunks(...parts: string[]): BodyStream {
  return {
    async *[Symbol.asyncIterator]() {
      for (const p of parts) yield new TextEncoder().encode(p);
    },
  };
}

describe("accessLog", () => {
  it("logs nothing until the response body has been consumed, then exactly once", async () => {
    const { log, lines } = recorder();
    const terminal: Invoke = async () => response(201, chunks("hello", " ", "world"));
    const res = await accessLog()(terminal)(request(), context(log));
    expect(lines).toEqual([]);
    expect(new TextDecoder().decode(await readBody(res.body))).toBe("hello world");
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line!.level).toBe("info");
    expect(line!.msg).toBe("invocation");
    expect(line!.obj).toMatchObject({
      side: "caller",
      verb: "POST",
      method: "orders/1",
      target: "orders",
      caller: "web",
      status: 201,
      bytes: 11,
    });
    expect(typeof line!.obj["ms"]).toBe("number");
    expect(line!.obj["ms"] as number).toBeGreaterThanOrEqual(0);
  });

  it("counts zero bytes for an empty body", async () => {
    const { log, lines } = recorder();
    const res = await accessLog()(async () => response(204, chunks()))(request(), context(log));
    await readBody(res.body);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ status: 204, bytes: 0 });
  });

  it("logs at the configured level", async () => {
    const { log, lines } = recorder();
    const res = await accessLog({ level: "debug" })(async () => response(200, chunks("x")))(request(), context(log, "callee"));
    await readBody(res.body);
    expect(lines.map((l) => l.level)).toEqual(["debug"]);
    expect(lines[0]!.obj["side"]).toBe("callee");
  });

  it("logs a failed call at warn, with the API text of an InvocationError, and rethrows it", async () => {
    const { log, lines } = recorder();
    const err = new InvocationError(GrpcCode.Unavailable, "connection refused");
    await expect(
      accessLog()(async () => {
        throw err;
      })(request(), context(log)),
    ).rejects.toBe(err);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("warn");
    expect(lines[0]!.msg).toBe("invocation failed");
    expect(lines[0]!.obj).toMatchObject({ target: "orders", err: "rpc error: code = Unavailable desc = connection refused" });
    expect(lines[0]!.obj).not.toHaveProperty("status");
  });

  it("logs a plain error's message and a thrown non-Error as text", async () => {
    const { log, lines } = recorder();
    await expect(
      accessLog()(async () => {
        throw new Error("boom");
      })(request(), context(log)),
    ).rejects.toThrow("boom");
    await expect(
      accessLog()(async () => {
        throw "bare";
      })(request(), context(log)),
    ).rejects.toBe("bare");
    expect(lines.map((l) => l.obj["err"])).toEqual(["boom", "bare"]);
  });

  it("logs a body that fails mid-stream at warn with the bytes relayed so far", async () => {
    const { log, lines } = recorder();
    const failing: BodyStream = {
      async *[Symbol.asyncIterator]() {
        yield new Uint8Array(3);
        throw new Error("app reset the connection");
      },
    };
    const res = await accessLog()(async () => response(200, failing))(request(), context(log));
    await expect(readBody(res.body)).rejects.toThrow("app reset the connection");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("warn");
    expect(lines[0]!.msg).toBe("invocation response aborted");
    expect(lines[0]!.obj).toMatchObject({ status: 200, bytes: 3, err: "app reset the connection" });
  });

  it("logs an abandoned body (consumer stopped early) once, as aborted", async () => {
    const { log, lines } = recorder();
    const res = await accessLog()(async () => response(200, chunks("ab", "cd", "ef")))(request(), context(log));
    for await (const _ of res.body) break;
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("warn");
    expect(lines[0]!.obj).toMatchObject({ status: 200, bytes: 2, err: "response body abandoned" });
  });

  it("logs a body closed before it was read as abandoned, with zero bytes", async () => {
    const { log, lines } = recorder();
    const res = await accessLog()(async () => response(200, chunks("ab")))(request(), context(log));
    // e.g. Readable.from(body) destroyed before its first read calls return() without next().
    await res.body[Symbol.asyncIterator]().return?.();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("warn");
    expect(lines[0]!.obj).toMatchObject({ status: 200, bytes: 0, err: "response body abandoned" });
  });

  it("keeps the rest of the response untouched", async () => {
    const { log } = recorder();
    const original = response(302, chunks("x"));
    original.headers.set("Location", "/elsewhere");
    original.contentType = "text/plain";
    const res = await accessLog()(async () => original)(request(), context(log));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/elsewhere");
    expect(res.contentType).toBe("text/plain");
  });
});
