import os from "node:os";
import {
  CalleeDispatcher,
  DirectMessaging,
  HttpAppChannel,
  InternalGrpcClient,
  InternalGrpcServer,
  accessLog,
  concurrencyLimit,
  detectHostIp,
} from "@courier/invocation";
import type { AppChannel, Filter, Logger } from "@courier/invocation";
import { ResolverCache, createResolver } from "@courier/resolver";
import type { NameResolver } from "@courier/resolver";
import type { CourierOptions } from "./cli.js";
import { loadConfiguration } from "./config.js";
import { HttpApiServer } from "./servers/http-api.js";
import { loadUserFilters } from "./user-filters.js";

export const RUNTIME_VERSION = "0.1.0-courier";

export interface CourierRuntime {
  readonly httpPort: number;
  readonly internalPort: number;
  /** Stops accepting, deregisters, lets in-flight calls finish (bounded), closes everything. */
  shutdown(): Promise<void>;
}

export class StartupError extends Error {
  override readonly name = "StartupError";
}

/** Wires every package into a running sidecar; the only place that knows them all. */
export async function startCourier(opts: CourierOptions, log: Logger): Promise<CourierRuntime> {
  if (opts.appProtocol === "grpc" || opts.appProtocol === "grpcs") {
    throw new StartupError(`--app-protocol ${opts.appProtocol} is not supported yet: Courier calls HTTP apps (http, https, h2c)`);
  }
  const config = await loadConfiguration(opts.config);
  const env = opts.courierHome ? { ...process.env, COURIER_HOME: opts.courierHome } : process.env;
  let resolver: NameResolver;
  try {
    resolver = createResolver(config.nameResolution.component, {
      configuration: config.nameResolution.configuration,
      env,
      log: (level, msg, fields) => log[level]({ ...fields, scope: "resolver" }, msg),
    });
  } catch (err) {
    throw new StartupError(`name resolution: ${(err as Error).message}`);
  }

  const channel: AppChannel | undefined =
    opts.appPort !== undefined
      ? new HttpAppChannel({
          host: opts.appChannelAddress,
          port: opts.appPort,
          protocol: opts.appProtocol as "http" | "https" | "h2c",
          appApiToken: opts.appApiToken,
          maxResponseHeaderSize: opts.readBufferSize,
          maxResponseBodySize: opts.maxBodySize,
          healthPath: opts.appHealthCheckPath,
        })
      : undefined;

  let user;
  try {
    user = await loadUserFilters(opts.filters);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  // Courier's own filters first (outermost), then the user's: a user filter cannot bypass them.
  const calleeFilters: Filter[] = [accessLog({ level: "debug" })];
  if (opts.appMaxConcurrency !== undefined) calleeFilters.push(concurrencyLimit(opts.appMaxConcurrency));
  calleeFilters.push(...user.callee);
  const callee = new CalleeDispatcher({ appId: opts.appId, namespace: opts.namespace, channel, filters: calleeFilters, log });

  const internalServer = new InternalGrpcServer({ dispatcher: callee, maxMessageSize: opts.maxBodySize, log });
  const internalHost = opts.daprInternalGrpcListenAddress;
  let internalPort: number;
  try {
    internalPort = await internalServer.listen(opts.daprInternalGrpcPort, internalHost);
  } catch (err) {
    throw new StartupError(`cannot listen on internal gRPC port ${internalHost}:${opts.daprInternalGrpcPort}: ${(err as Error).message}`);
  }

  const client = new InternalGrpcClient({ maxMessageSize: opts.maxBodySize, log });
  const cache = new ResolverCache(resolver);
  const messaging = new DirectMessaging({
    appId: opts.appId,
    namespace: opts.namespace,
    internalPort,
    resolver: cache,
    remote: client,
    local: callee.invoke,
    filters: [accessLog({ level: "debug" }), ...user.caller],
    replayLimit: opts.maxBodySize,
    hostIp: detectHostIp(env),
    hostname: os.hostname(),
    log,
  });

  let registered = false;
  let appReachable = channel === undefined;
  const http = new HttpApiServer({
    messaging,
    log,
    maxBodySize: opts.maxBodySize,
    readBufferSize: opts.readBufferSize,
    daprApiToken: opts.daprApiToken,
    readiness: {
      ready: () => [...(registered ? [] : ["name resolution"]), ...(appReachable ? [] : ["app channel"])],
      outboundReady: () => registered,
    },
    metadata: () => ({
      id: opts.appId,
      runtimeVersion: RUNTIME_VERSION,
      enabledFeatures: [],
      actors: [],
      components: [],
      httpEndpoints: [],
      subscriptions: [],
      appConnectionProperties: {
        ...(opts.appPort !== undefined ? { port: opts.appPort } : {}),
        protocol: opts.appProtocol,
        channelAddress: opts.appChannelAddress,
        ...(opts.appMaxConcurrency !== undefined ? { maxConcurrency: opts.appMaxConcurrency } : {}),
      },
    }),
  });

  let httpPort: number;
  try {
    httpPort = await http.listen(opts.daprHttpPort, opts.daprListenAddresses);
  } catch (err) {
    await internalServer.close(0);
    throw new StartupError(`cannot listen on HTTP API port ${opts.daprHttpPort}: ${(err as Error).message}`);
  }

  const advertisedHost = internalHost === "0.0.0.0" || internalHost === "::" ? "127.0.0.1" : internalHost;
  await resolver.register({
    appId: opts.appId,
    namespace: opts.namespace,
    host: advertisedHost,
    port: internalPort,
    httpPort,
    appPort: opts.appPort,
    pid: process.pid,
  });
  registered = true;

  // Ready once the app answers at all; probing stops then (spec §4.4 healthz is about init).
  let probeTimer: NodeJS.Timeout | undefined;
  if (channel) {
    const probe = async () => {
      if (await channel.probe(AbortSignal.timeout(1_000))) {
        appReachable = true;
        log.info({ app_port: opts.appPort }, "app is reachable");
      } else probeTimer = setTimeout(probe, 250);
    };
    void probe();
  }

  // Accepted for daprd compatibility; said out loud so nobody waits for a port that is not there.
  log.info(
    { dapr_grpc_port: opts.daprGrpcPort, metrics_port: opts.enableMetrics ? opts.metricsPort : undefined },
    "not served in this version: the gRPC API (--dapr-grpc-port) and the Prometheus endpoint (--metrics-port)",
  );
  log.info(
    { http_port: httpPort, internal_grpc_port: internalPort, namespace: opts.namespace, resolver: resolver.name, filters: user.names },
    `courier started: app id ${opts.appId}`,
  );

  let stopping: Promise<void> | undefined;
  return {
    httpPort,
    internalPort,
    shutdown: () =>
      (stopping ??= (async () => {
        const graceMs = opts.gracefulShutdownSeconds * 1_000;
        if (probeTimer) clearTimeout(probeTimer);
        log.info({ grace_ms: graceMs }, "shutting down: deregistering and draining in-flight calls");
        // Deregister first so no new caller picks this instance while it drains.
        await resolver.close().catch((err) => log.warn({ err: String(err) }, "deregistration failed"));
        const drained = await Promise.race([
          Promise.all([http.close(), internalServer.close(graceMs)]).then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
        ]);
        if (!drained) {
          log.warn("grace period over: closing remaining connections");
          http.forceClose();
        }
        await client.close();
        await channel?.close().catch(() => {});
        log.info("courier stopped");
      })()),
  };
}
