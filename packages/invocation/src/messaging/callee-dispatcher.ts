import type { AppChannel } from "../channel/app-channel.js";
import { GrpcCode, InvocationError, isInvocationError } from "../errors.js";
import { compose } from "../filters/filter.js";
import type { Filter, Invoke } from "../filters/filter.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import type { AppIdentity, InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { normalizeMethod } from "./normalize-method.js";

export interface CalleeDispatcherOptions {
  appId: string;
  namespace: string;
  /** Undefined when Courier runs without `--app-port`. */
  channel?: AppChannel;
  /** Callee-side filters (ACL, app token, concurrency), outermost first. */
  filters?: readonly Filter[];
  log?: Logger;
}

export interface DispatchOptions {
  signal: AbortSignal;
  deadline?: number;
  attributes?: Map<string | symbol, unknown>;
}

/**
 * The callee side, independent of the transport that delivered the call: the checks of
 * spec §3.1/§3.2, the callee filter chain, then the app channel.
 */
export class CalleeDispatcher {
  readonly #opts: CalleeDispatcherOptions;
  readonly #self: AppIdentity;
  readonly #chain: Invoke;
  readonly #log: Logger;

  constructor(opts: CalleeDispatcherOptions) {
    this.#opts = opts;
    this.#self = { appId: opts.appId, namespace: opts.namespace };
    this.#log = opts.log ?? silentLogger;
    this.#chain = compose(...(opts.filters ?? []))((req, ctx) => this.#callApp(req, ctx));
  }

  /** The chain as an Invoke, for self-invocation from DirectMessaging (no network hop). */
  get invoke(): Invoke {
    return this.#chain;
  }

  async dispatch(req: InvokeRequest, options: DispatchOptions): Promise<InvokeResponse> {
    if (!this.#opts.channel) throw new InvocationError(GrpcCode.Internal, "app channel is not initialized");
    req.method = normalizeMethod(req.method);
    const callerId = req.metadata.get("dapr-caller-app-id");
    const callerNs = req.metadata.get("dapr-caller-namespace");
    const ctx: InvokeContext = {
      signal: options.signal,
      deadline: options.deadline,
      side: "callee",
      target: this.#self,
      caller: callerId ? { appId: callerId, namespace: callerNs ?? "" } : undefined,
      log: this.#log,
      attributes: options.attributes ?? new Map(),
    };
    return this.#chain(req, ctx);
  }

  async #callApp(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    const channel = this.#opts.channel;
    if (!channel) throw new InvocationError(GrpcCode.Internal, "app channel is not initialized");
    try {
      return await channel.invoke(req, ctx);
    } catch (err) {
      if (isInvocationError(err)) throw err;
      // spec §3.1 step 6: anything else the channel throws is an Internal channel error.
      throw new InvocationError(GrpcCode.Internal, `error invoking app channel: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      });
    }
  }
}
