import type { Logger } from "../logger.js";

export interface AppIdentity {
  readonly appId: string;
  readonly namespace: string;
}

/** Per-call state that travels beside the request through the filter chain. */
export interface InvokeContext {
  /** Aborted when the caller goes away or the deadline passes. */
  readonly signal: AbortSignal;
  /** Absolute deadline (ms since epoch), propagated to the callee (design: deliberate difference). */
  readonly deadline?: number;
  /** Which side of the hop this chain runs on. */
  readonly side: "caller" | "callee";
  /** The target app; on the callee side this is the local app. */
  target: AppIdentity;
  /** The calling app as far as it is known (own app on the caller side, stamped header on the callee side). */
  readonly caller?: AppIdentity;
  readonly log: Logger;
  /** Free-form per-call values for filters. */
  readonly attributes: Map<string | symbol, unknown>;
}
