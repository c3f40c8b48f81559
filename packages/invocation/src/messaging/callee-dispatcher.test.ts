import { describe, expect, it } from "vitest";
import type { AppChannel } from "../channel/app-channel.js";
import { GrpcCode, InvocationError } from "../errors.js";
import type { Filter } from "../filters/filter.js";
import { silentLogger } from "../logger.js";
import { emptyBody } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { CalleeDispatcher } from "./callee-dispatcher.js";

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  return { method: "m", verb: "GET", query: "", contentType: "", dataTypeUrl: "", metadata: new Metadata(), body: emptyBody(), contentLength: 0, ...overrides };
}

function response(status = 200): InvokeResponse {
  return { status, statusMessage: "", statusDetails: [], headers: new Metadata(), trailers: new Metadata(), contentType: "", dataTypeUrl: "", body: emptyBody() };
}

class FakeChannel implements AppChannel {
  readonly protocol = "http" as const;
  readonly calls: Array<{ req: InvokeRequest; ctx: InvokeContext }> = [];
  constructor(private readonly answer: (req: InvokeRequest) => Promise<InvokeResponse> = async () => response()) {}
  invoke(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    this.calls.push({ req, ctx });
    return this.answer(req);
  }
  async probe(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

const signal = () => new AbortController().signal;

async function failure(p: Promise<unknown>): Promise<InvocationError> {
  const err = await p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvocationError);
  return err as InvocationError;
}

describe("CalleeDispatcher", () => {
  it("without an app channel fails with Internal `app channel is not initialized` (spec §3.1 step 1)", async () => {
    let filterRan = false;
    const filter: Filter = (next) => (req, ctx) => {
      filterRan = true;
      return next(req, ctx);
    };
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", filters: [filter] });
    const err = await failure(d.dispatch(request(), { signal: signal() }));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toBe("app channel is not initialized");
    expect(err.rpcText).toBe("rpc error: code = Internal desc = app channel is not initialized");
    expect(filterRan).toBe(false);
  });

  it("its invoke chain without an app channel fails the same way", async () => {
    const d = new CalleeDispatcher({ appId: "b", namespace: "default" });
    const ctx: InvokeContext = { signal: signal(), side: "callee", target: { appId: "b", namespace: "default" }, log: silentLogger, attributes: new Map() };
    const err = await failure(d.invoke(request(), ctx));
    expect(err.message).toBe("app channel is not initialized");
  });

  it("calls the channel and returns its response", async () => {
    const channel = new FakeChannel(async () => response(418));
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel });
    const res = await d.dispatch(request(), { signal: signal() });
    expect(res.status).toBe(418);
    expect(channel.calls).toHaveLength(1);
  });

  it("normalizes the method and writes it back (spec §3.1 step 3)", async () => {
    const channel = new FakeChannel();
    const seenByFilter: string[] = [];
    const filter: Filter = (next) => (req, ctx) => {
      seenByFilter.push(req.method);
      return next(req, ctx);
    };
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel, filters: [filter] });
    const req = request({ method: "admin/../public///x/" });
    await d.dispatch(req, { signal: signal() });
    expect(req.method).toBe("public/x");
    expect(seenByFilter).toEqual(["public/x"]);
    expect(channel.calls[0]!.req.method).toBe("public/x");
  });

  it.each(["a#b", "a?b", "a\u0000", "a\nb"])("rejects method %j with InvalidArgument before filters and the channel", async (method) => {
    const channel = new FakeChannel();
    let filterRan = false;
    const filter: Filter = (next) => (req, ctx) => {
      filterRan = true;
      return next(req, ctx);
    };
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel, filters: [filter] });
    const err = await failure(d.dispatch(request({ method }), { signal: signal() }));
    expect(err.code).toBe(GrpcCode.InvalidArgument);
    expect(err.message).toMatch(/^invalid method: /);
    expect(filterRan).toBe(false);
    expect(channel.calls).toHaveLength(0);
  });

  it("wraps a non-InvocationError from the channel as Internal `error invoking app channel: …` (spec §3.1 step 6)", async () => {
    const cause = new Error('Post "http://127.0.0.1:3000/x": dial tcp: connection refused');
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel: new FakeChannel(async () => Promise.reject(cause)) });
    const err = await failure(d.dispatch(request(), { signal: signal() }));
    expect(err.code).toBe(GrpcCode.Internal);
    expect(err.message).toBe('error invoking app channel: Post "http://127.0.0.1:3000/x": dial tcp: connection refused');
    expect(err.cause).toBe(cause);
  });

  it("wraps a thrown non-Error value too", async () => {
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel: new FakeChannel(async () => Promise.reject("bare text")) });
    const err = await failure(d.dispatch(request(), { signal: signal() }));
    expect(err.message).toBe("error invoking app channel: bare text");
  });

  it("passes an InvocationError from the channel through unchanged", async () => {
    const original = new InvocationError(GrpcCode.InvalidArgument, "invalid HTTP verb");
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel: new FakeChannel(async () => Promise.reject(original)) });
    expect(await d.dispatch(request(), { signal: signal() }).catch((e: unknown) => e)).toBe(original);
  });

  it("takes the caller identity from the stamped headers, in any casing", async () => {
    const channel = new FakeChannel();
    const d = new CalleeDispatcher({ appId: "b", namespace: "prod", channel });
    await d.dispatch(request({ metadata: new Metadata({ "Dapr-Caller-App-Id": "a", "DAPR-CALLER-NAMESPACE": "dev" }) }), { signal: signal() });
    expect(channel.calls[0]!.ctx.caller).toEqual({ appId: "a", namespace: "dev" });
  });

  it("has no caller identity without dapr-caller-app-id, and an empty namespace when only the id is known", async () => {
    const channel = new FakeChannel();
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel });
    await d.dispatch(request({ metadata: new Metadata({ "dapr-caller-namespace": "x" }) }), { signal: signal() });
    await d.dispatch(request({ metadata: new Metadata({ "dapr-caller-app-id": "a" }) }), { signal: signal() });
    expect(channel.calls[0]!.ctx.caller).toBeUndefined();
    expect(channel.calls[1]!.ctx.caller).toEqual({ appId: "a", namespace: "" });
  });

  it("builds a callee-side context with its own identity, the caller's signal, deadline and attributes", async () => {
    const channel = new FakeChannel();
    const filterCtx: InvokeContext[] = [];
    const filter: Filter = (next) => (req, ctx) => {
      filterCtx.push(ctx);
      return next(req, ctx);
    };
    const d = new CalleeDispatcher({ appId: "b", namespace: "prod", channel, filters: [filter] });
    const ac = new AbortController();
    const attributes = new Map<string | symbol, unknown>([["x", 1]]);
    await d.dispatch(request(), { signal: ac.signal, deadline: 999, attributes });
    const ctx = channel.calls[0]!.ctx;
    expect(filterCtx[0]).toBe(ctx);
    expect(ctx.side).toBe("callee");
    expect(ctx.target).toEqual({ appId: "b", namespace: "prod" });
    expect(ctx.signal).toBe(ac.signal);
    expect(ctx.deadline).toBe(999);
    expect(ctx.attributes).toBe(attributes);
    expect(ctx.log).toBeDefined();
  });

  it("runs callee filters outermost first and lets them deny before the app", async () => {
    const channel = new FakeChannel();
    const log: string[] = [];
    const named =
      (n: string): Filter =>
      (next) =>
      async (req, ctx) => {
        log.push(n);
        return next(req, ctx);
      };
    const deny: Filter = () => async () => {
      throw new InvocationError(GrpcCode.PermissionDenied, "access control policy has denied access");
    };
    const allowed = new CalleeDispatcher({ appId: "b", namespace: "default", channel, filters: [named("acl"), named("token")] });
    await allowed.dispatch(request(), { signal: signal() });
    expect(log).toEqual(["acl", "token"]);

    const denied = new CalleeDispatcher({ appId: "b", namespace: "default", channel, filters: [deny] });
    const err = await failure(denied.dispatch(request(), { signal: signal() }));
    expect(err.code).toBe(GrpcCode.PermissionDenied);
    expect(channel.calls).toHaveLength(1);
  });

  it("exposes the chain for self-invocation; it does not re-normalize", async () => {
    const channel = new FakeChannel();
    const d = new CalleeDispatcher({ appId: "b", namespace: "default", channel });
    const ctx: InvokeContext = { signal: signal(), side: "callee", target: { appId: "b", namespace: "default" }, log: silentLogger, attributes: new Map() };
    await d.invoke(request({ method: "already/normalized" }), ctx);
    expect(channel.calls[0]!.req.method).toBe("already/normalized");
    expect(channel.calls[0]!.ctx).toBe(ctx);
  });
});
