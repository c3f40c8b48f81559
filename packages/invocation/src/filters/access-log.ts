import { watchBody } from "../model/watch-body.js";
import { isInvocationError } from "../errors.js";
import type { Filter } from "./filter.js";

export interface AccessLogOptions {
  /** Log level for completed calls; errors always log at warn. */
  level?: "debug" | "info";
}

/**
 * Logs one line per call when its response body has been fully sent (as Envoy's access log
 * does at stream end), with status, bytes and duration.
 */
export function accessLog(options: AccessLogOptions = {}): Filter {
  const level = options.level ?? "info";
  return (next) => async (req, ctx) => {
    const started = performance.now();
    const base = {
      side: ctx.side,
      verb: req.verb,
      method: req.method,
      target: ctx.target.appId,
      caller: ctx.caller?.appId,
    };
    let res;
    try {
      res = await next(req, ctx);
    } catch (err) {
      ctx.log.warn(
        { ...base, err: isInvocationError(err) ? err.apiText : String((err as Error)?.message ?? err), ms: elapsed(started) },
        "invocation failed",
      );
      throw err;
    }
    // The body is wrapped only when the line will be written: this filter sits on the hot path.
    if (ctx.log.isLevelEnabled && !ctx.log.isLevelEnabled(level)) return res;
    const status = res.status;
    res.body = watchBody(res.body, ({ bytes, error }) => {
      const fields = { ...base, status, bytes, ms: elapsed(started) };
      if (error) ctx.log.warn({ ...fields, err: String((error as Error)?.message ?? error) }, "invocation response aborted");
      else ctx.log[level](fields, "invocation");
    });
    return res;
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
