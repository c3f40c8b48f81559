import { ConstantBackoff, RetriesExhaustedError, retry } from "@courier/retry";
import type { ResolverCache, ResolveRequest } from "@courier/resolver";
import { GrpcCode, InvocationError, abortedCallError, isInvocationError } from "../errors.js";
import { compose } from "../filters/filter.js";
import type { Filter, Invoke } from "../filters/filter.js";
import { stampLocalCall, stampRemoteCall } from "../headers/caller-stamps.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";
import type { AppIdentity, InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";
import { ReplayableBody } from "../model/replayable-body.js";
import { parseAppId } from "./app-id.js";
import { normalizeMethod } from "./normalize-method.js";
import type { RemoteInvoker } from "./remote-invoker.js";

/** daprd's DaprBuiltInServiceRetries (spec §2.9): constant 1 s, 3 retries. */
export const BUILT_IN_RETRY = { intervalMs: 1_000, maxRetries: 3 } as const;

export interface DirectMessagingOptions {
  appId: string;
  namespace: string;
  /** Own internal gRPC port; part of the resolver cache key like daprd's ResolveRequest.Port. */
  internalPort: number;
  resolver: ResolverCache;
  remote: RemoteInvoker;
  /** Self-invocation target: the local app, reached with no network hop (spec §2.4). */
  local?: Invoke;
  /** Caller-side filters, outermost first. */
  filters?: readonly Filter[];
  /** Built-in retry; `maxRetries` below 3 is raised to 3 as in daprd. */
  builtInRetry?: { intervalMs: number; maxRetries: number };
  /** Bound of the request replay buffer (daprd: max body size). */
  replayLimit: number;
  hostIp?: string;
  hostname?: string;
  log?: Logger;
}

export interface InvokeOptions {
  signal?: AbortSignal;
  /** Absolute deadline in ms since epoch; reaches the callee and its app. */
  deadline?: number;
  attributes?: Map<string | symbol, unknown>;
}

/**
 * The caller side of service invocation — the seed's
 * `Invoke → getRemoteApp → invokeWithRetry → invokeRemote` (spec §2.1).
 * The order is retry → resolve + pick → attempt, so a retry may reach another instance.
 */
export class DirectMessaging {
  readonly #opts: DirectMessagingOptions;
  readonly #self: AppIdentity;
  readonly #chain: Invoke;
  readonly #log: Logger;
  readonly #retry: { intervalMs: number; maxRetries: number };

  constructor(opts: DirectMessagingOptions) {
    this.#opts = opts;
    this.#self = { appId: opts.appId, namespace: opts.namespace };
    this.#log = opts.log ?? silentLogger;
    const configured = opts.builtInRetry ?? BUILT_IN_RETRY;
    this.#retry = { intervalMs: configured.intervalMs, maxRetries: Math.max(configured.maxRetries, BUILT_IN_RETRY.maxRetries) };
    this.#chain = compose(...(opts.filters ?? []))((req, ctx) => this.#route(req, ctx));
  }

  get self(): AppIdentity {
    return this.#self;
  }

  async invoke(targetAppId: string, req: InvokeRequest, options: InvokeOptions = {}): Promise<InvokeResponse> {
    const target = parseAppId(targetAppId, this.#self.namespace);
    if (target.kind === "url") {
      throw new InvocationError(GrpcCode.Unimplemented, `invoking external URL ${target.url} is not supported`, { plain: true });
    }
    // spec §2.1 step 1: the normalized method is written back and used from here on.
    req.method = normalizeMethod(req.method);
    const ctx: InvokeContext = {
      signal: options.signal ?? new AbortController().signal,
      deadline: options.deadline,
      side: "caller",
      target: { appId: target.appId, namespace: target.namespace },
      caller: this.#self,
      log: this.#log,
      attributes: options.attributes ?? new Map(),
    };
    return this.#chain(req, ctx);
  }

  #route(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    const { target } = ctx;
    if (target.appId === this.#self.appId && target.namespace === this.#self.namespace) {
      if (!this.#opts.local) throw new InvocationError(GrpcCode.Internal, "app channel is not initialized");
      stampLocalCall(req.metadata, this.#self);
      return this.#opts.local(req, { ...ctx, side: "callee" });
    }
    stampRemoteCall(req.metadata, {
      caller: this.#self,
      targetAppId: target.appId,
      hostIp: this.#opts.hostIp,
      hostname: this.#opts.hostname,
    });
    return this.#invokeRemote(req, ctx);
  }

  async #invokeRemote(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse> {
    const resolveRequest: ResolveRequest = {
      id: ctx.target.appId,
      namespace: ctx.target.namespace,
      port: this.#opts.internalPort,
    };
    const { resolver, remote } = this.#opts;

    const attempt = async (body: InvokeRequest["body"]): Promise<InvokeResponse> => {
      let address: string;
      try {
        address = await resolver.pick(resolveRequest, ctx.signal);
      } catch (err) {
        if (isInvocationError(err)) throw err;
        if (ctx.signal.aborted) throw abortedCallError(ctx.signal, err);
        // Name resolution failures are plain errors in daprd's text (spec §4.3).
        throw new InvocationError(GrpcCode.Internal, (err as Error)?.message ?? String(err), { cause: err, plain: true });
      }
      try {
        return await remote.invoke(address, { ...req, body }, ctx);
      } catch (err) {
        if (isInvocationError(err) && isRetryableCode(err.code)) {
          // spec §2.9: force a redial and a fresh lookup before the next attempt.
          remote.reset(address);
          resolver.invalidate(resolveRequest);
        }
        throw err;
      }
    };

    // Streaming requests (unknown length) are never retried and never buffered (spec §5.5).
    if (req.contentLength === undefined) return attempt(req.body);

    const replay = new ReplayableBody(req.body, this.#opts.replayLimit);
    const policy = retry<InvokeResponse>({
      maxRetries: this.#retry.maxRetries,
      backoff: new ConstantBackoff(this.#retry.intervalMs),
      shouldRetry: (outcome) =>
        !outcome.ok && isInvocationError(outcome.error) && isRetryableCode(outcome.error.code) && replay.replayable,
    });
    policy.onRetry(({ attempt: n, outcome }) => {
      ctx.log.warn(
        { target: ctx.target.appId, attempt: n + 1, err: outcome.ok ? undefined : String((outcome.error as Error)?.message) },
        "retrying service invocation",
      );
    });
    try {
      const res = await policy.execute(() => attempt(replay.reader()), ctx.signal);
      replay.release();
      return res;
    } catch (err) {
      replay.release();
      if (err instanceof RetriesExhaustedError) {
        const last = err.cause;
        const inner = isInvocationError(last) ? last.apiText : String((last as Error)?.message ?? last);
        throw new InvocationError(
          isInvocationError(last) ? last.code : GrpcCode.Unavailable,
          `failed to invoke target ${ctx.target.appId} after ${err.retries} retries. Error: ${inner}`,
          { cause: last, plain: true },
        );
      }
      // The retry policy throws the signal's own reason when the caller gives up before an
      // attempt or during the back-off; callers expect an InvocationError either way.
      if (ctx.signal.aborted && !isInvocationError(err)) throw abortedCallError(ctx.signal, err);
      throw err;
    }
  }
}

/** spec §2.9: only these transport outcomes are worth another attempt. */
function isRetryableCode(code: number): boolean {
  return code === GrpcCode.Unavailable || code === GrpcCode.Unauthenticated;
}
