import { describe, expect, it } from "vitest";
import { silentLogger } from "../logger.js";
import { emptyBody } from "../model/body.js";
import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { Metadata } from "../model/metadata.js";
import { compose, type Filter, type Invoke } from "./filter.js";

function request(): InvokeRequest {
  return { method: "m", verb: "GET", query: "", contentType: "", dataTypeUrl: "", metadata: new Metadata(), body: emptyBody(), contentLength: 0 };
}

function context(): InvokeContext {
  return {
    signal: new AbortController().signal,
    side: "caller",
    target: { appId: "b", namespace: "default" },
    log: silentLogger,
    attributes: new Map(),
  };
}

function response(status = 200): InvokeResponse {
  return {
    status,
    statusMessage: "",
    statusDetails: [],
    headers: new Metadata(),
    trailers: new Metadata(),
    contentType: "",
    dataTypeUrl: "",
    body: emptyBody(),
  };
}

/** A filter that records when it sees the request and the response. */
function tracing(name: string, log: string[]): Filter {
  return (next) => async (req, ctx) => {
    log.push(`${name}:req`);
    const res = await next(req, ctx);
    log.push(`${name}:res`);
    return res;
  };
}

describe("compose", () => {
  it("with no filters is the terminal itself", async () => {
    const terminal: Invoke = async () => response(201);
    const invoke = compose()(terminal);
    expect(invoke).toBe(terminal);
    expect((await invoke(request(), context())).status).toBe(201);
  });

  it("runs the first filter first on the request and last on the response", async () => {
    const log: string[] = [];
    const terminal: Invoke = async () => {
      log.push("terminal");
      return response();
    };
    await compose(tracing("a", log), tracing("b", log), tracing("c", log))(terminal)(request(), context());
    expect(log).toEqual(["a:req", "b:req", "c:req", "terminal", "c:res", "b:res", "a:res"]);
  });

  it("passes the (possibly replaced) request, context and response along", async () => {
    const setHeader: Filter = (next) => (req, ctx) => {
      req.metadata.set("x-a", "1");
      return next(req, { ...ctx, attributes: new Map([["seen", "a"]]) });
    };
    const rewriteStatus: Filter = (next) => async (req, ctx) => ({ ...(await next(req, ctx)), status: 299 });
    let seenMd: string | undefined;
    let seenAttr: unknown;
    const res = await compose(
      rewriteStatus,
      setHeader,
    )(async (req, ctx) => {
      seenMd = req.metadata.get("X-A");
      seenAttr = ctx.attributes.get("seen");
      return response(200);
    })(request(), context());
    expect(seenMd).toBe("1");
    expect(seenAttr).toBe("a");
    expect(res.status).toBe(299);
  });

  it("a filter can short-circuit without calling next", async () => {
    let called = false;
    const deny: Filter = () => async () => response(403);
    const res = await compose(deny)(async () => {
      called = true;
      return response();
    })(request(), context());
    expect(res.status).toBe(403);
    expect(called).toBe(false);
  });

  it("errors from inner filters propagate outwards through every filter", async () => {
    const log: string[] = [];
    const boom = new Error("boom");
    const catcher: Filter = (next) => async (req, ctx) => {
      try {
        return await next(req, ctx);
      } catch (err) {
        log.push(`caught:${(err as Error).message}`);
        throw err;
      }
    };
    await expect(
      compose(catcher, tracing("b", log))(async () => {
        throw boom;
      })(request(), context()),
    ).rejects.toBe(boom);
    expect(log).toEqual(["b:req", "caught:boom"]);
  });

  it("the composed builder can wrap several terminals independently", async () => {
    const log: string[] = [];
    const build = compose(tracing("a", log));
    await build(async () => response(1))(request(), context());
    await build(async () => response(2))(request(), context());
    expect(log).toEqual(["a:req", "a:res", "a:req", "a:res"]);
  });

  it("rejects a filter that is not a function, naming its position", () => {
    const ok: Filter = (next) => next;
    expect(() => compose(ok, "nope" as unknown as Filter)).toThrow(TypeError);
    expect(() => compose(ok, "nope" as unknown as Filter)).toThrow("filter #1 is not a function");
    expect(() => compose(undefined as unknown as Filter)).toThrow("filter #0 is not a function");
  });

  it("rejects a filter that does not return an invoke function, when the chain is built", () => {
    const broken = (() => undefined) as unknown as Filter;
    const build = compose(broken);
    expect(() => build(async () => response())).toThrow(TypeError);
    expect(() => build(async () => response())).toThrow("a filter must return an invoke function");
  });

  it("builds the chain once: filters are instantiated innermost first, not per call", async () => {
    const built: string[] = [];
    const named =
      (name: string): Filter =>
      (next) => {
        built.push(name);
        return next;
      };
    const invoke = compose(named("a"), named("b"))(async () => response());
    expect(built).toEqual(["b", "a"]);
    await invoke(request(), context());
    await invoke(request(), context());
    expect(built).toEqual(["b", "a"]);
  });
});
