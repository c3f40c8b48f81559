import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";

/** One step of the chain: take a request, produce the app's answer. */
export type Invoke = (req: InvokeRequest, ctx: InvokeContext) => Promise<InvokeResponse>;

/** A filter wraps the rest of the chain, like an undici interceptor or an Envoy HTTP filter. */
export type Filter = (next: Invoke) => Invoke;

/**
 * `compose(a, b, c)(terminal)` runs a → b → c → terminal: the first filter sees the request
 * first and the response last.
 */
export function compose(...filters: readonly Filter[]): (terminal: Invoke) => Invoke {
  for (const [i, f] of filters.entries()) {
    if (typeof f !== "function") throw new TypeError(`filter #${i} is not a function`);
  }
  return (terminal) => filters.reduceRight<Invoke>((next, filter) => {
    const invoke = filter(next);
    if (typeof invoke !== "function") throw new TypeError("a filter must return an invoke function");
    return invoke;
  }, terminal);
}
