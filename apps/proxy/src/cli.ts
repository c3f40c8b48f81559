import { Command, InvalidArgumentError, Option } from "commander";
import { parseByteSize } from "./size.js";

export type AppProtocol = "http" | "https" | "h2c" | "grpc" | "grpcs";

/** Everything the `courier` binary is told, with daprd's names and defaults (design.md). */
export interface CourierOptions {
  appId: string;
  appPort?: number;
  appProtocol: AppProtocol;
  appChannelAddress: string;
  appMaxConcurrency?: number;
  appHealthCheckPath: string;
  daprHttpPort: number;
  daprGrpcPort: number;
  /** 0 = any free port. */
  daprInternalGrpcPort: number;
  /** Where the internal server listens and what the resolver advertises. */
  daprInternalGrpcListenAddress: string;
  daprListenAddresses: string[];
  namespace: string;
  config?: string;
  resourcesPaths: string[];
  /** Modules with user filters (`--filter`), outermost first. */
  filters: string[];
  maxBodySize: number;
  readBufferSize: number;
  metricsPort: number;
  enableMetrics: boolean;
  logLevel: "debug" | "info" | "warn" | "error";
  logAsJson: boolean;
  gracefulShutdownSeconds: number;
  daprApiToken?: string;
  appApiToken?: string;
  courierHome?: string;
}

function port(name: string, allowZero = false) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65535 || (n === 0 && !allowZero)) {
      throw new InvalidArgumentError(`${name} must be a port number 1-65535${allowZero ? " (or 0 for any free port)" : ""}`);
    }
    return n;
  };
}

function size(value: string): number {
  try {
    return parseByteSize(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function bool(value: string): boolean {
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new InvalidArgumentError("must be true or false");
}

function int(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

const APP_ID = /^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$/;

export function buildCli(): Command {
  return new Command("courier")
    .description("Courier: a Dapr-compatible service-invocation sidecar")
    .requiredOption("--app-id <id>", "this app's id (no dots: the dot separates the namespace)")
    .option("--app-port <port>", "the app's port (omit when there is no app)", port("--app-port"))
    .addOption(
      new Option("--app-protocol <protocol>", "protocol to reach the app")
        .choices(["http", "https", "h2c", "grpc", "grpcs"])
        .default("http"),
    )
    .option("--app-channel-address <host>", "the app's host", "127.0.0.1")
    .option("--app-max-concurrency <n>", "concurrent calls into the app (-1 = unlimited)", int("--app-max-concurrency", -1), -1)
    .option("--app-health-check-path <path>", "path probed for app readiness (HTTP apps)", "/healthz")
    .option("--dapr-http-port <port>", "HTTP API port", port("--dapr-http-port", true), 3500)
    .option("--dapr-grpc-port <port>", "gRPC API port", port("--dapr-grpc-port", true), 50001)
    .addOption(
      new Option("--dapr-internal-grpc-port <port>", "sidecar-to-sidecar gRPC port")
        .argParser(port("--dapr-internal-grpc-port", true))
        .default(0, "a free port"),
    )
    .option("--dapr-internal-grpc-listen-address <host>", "address the internal gRPC server listens on", "127.0.0.1")
    .option("--dapr-listen-addresses <list>", "comma-separated addresses the API servers listen on", "127.0.0.1")
    // The NAMESPACE fallback is applied in parseCli, from the environment it is given.
    .option("--namespace <ns>", "namespace of this app (env NAMESPACE)", "default")
    .option("--config <file>", "Dapr Configuration YAML (name resolution, …)")
    .option("--resources-path <dir>", "folder of Dapr resources; repeatable", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--filter <module>", "ES module whose default export adds caller/callee filters; repeatable", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addOption(new Option("--max-body-size <size>", "request and app response body limit (Ki/Mi/Gi)").argParser(size).default(parseByteSize("4Mi"), "4Mi"))
    .addOption(new Option("--read-buffer-size <size>", "header size limit (Ki/Mi/Gi)").argParser(size).default(parseByteSize("4Ki"), "4Ki"))
    .option("--metrics-port <port>", "Prometheus endpoint port", port("--metrics-port"), 9090)
    .option("--enable-metrics <bool>", "serve Prometheus metrics", bool, true)
    .addOption(new Option("--log-level <level>", "log level").choices(["debug", "info", "warn", "error"]).default("info"))
    .option("--log-as-json [bool]", "log as JSON lines", bool, false)
    .option("--dapr-graceful-shutdown-seconds <s>", "how long in-flight calls may take at shutdown", int("--dapr-graceful-shutdown-seconds", 0), 5)
    .showHelpAfterError()
    .allowExcessArguments(false);
}

/** Parses argv into options; throws a commander error (with exit code) on bad input. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, command = buildCli()): CourierOptions {
  command.exitOverride();
  command.parse(argv as string[], { from: "user" });
  const o = command.opts();
  const appId = String(o["appId"]);
  if (!APP_ID.test(appId)) {
    command.error(`error: option '--app-id <id>' argument '${appId}' is invalid. App ids use letters, digits, '-' and '_' (no dots).`, {
      exitCode: 2,
      code: "courier.invalidAppId",
    });
  }
  const logAsJson = o["logAsJson"] === true;
  return {
    appId,
    appPort: o["appPort"],
    appProtocol: o["appProtocol"],
    appChannelAddress: o["appChannelAddress"],
    appMaxConcurrency: o["appMaxConcurrency"] > 0 ? o["appMaxConcurrency"] : undefined,
    appHealthCheckPath: o["appHealthCheckPath"],
    daprHttpPort: o["daprHttpPort"],
    daprGrpcPort: o["daprGrpcPort"],
    daprInternalGrpcPort: o["daprInternalGrpcPort"],
    daprInternalGrpcListenAddress: o["daprInternalGrpcListenAddress"],
    daprListenAddresses: String(o["daprListenAddresses"]).split(",").map((s) => s.trim()).filter(Boolean),
    namespace: command.getOptionValueSource("namespace") === "cli" ? o["namespace"] : env["NAMESPACE"] || o["namespace"],
    config: o["config"],
    resourcesPaths: o["resourcesPath"],
    filters: o["filter"],
    maxBodySize: o["maxBodySize"],
    readBufferSize: o["readBufferSize"],
    metricsPort: o["metricsPort"],
    enableMetrics: o["enableMetrics"],
    logLevel: o["logLevel"],
    logAsJson,
    gracefulShutdownSeconds: o["daprGracefulShutdownSeconds"],
    daprApiToken: env["DAPR_API_TOKEN"] || undefined,
    appApiToken: env["APP_API_TOKEN"] || undefined,
    courierHome: env["COURIER_HOME"] || undefined,
  };
}
