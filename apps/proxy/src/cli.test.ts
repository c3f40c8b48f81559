import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { buildCli, parseCli, type CourierOptions } from "./cli.js";

/** A command whose help and error output go nowhere, so failures are only seen as thrown errors. */
function quiet() {
  return buildCli().configureOutput({ writeOut: () => {}, writeErr: () => {} });
}

function parse(args: string[], env: NodeJS.ProcessEnv = {}): CourierOptions {
  return parseCli(args, env, quiet());
}

function rejection(args: string[], env: NodeJS.ProcessEnv = {}): CommanderError {
  try {
    parse(args, env);
  } catch (err) {
    expect(err).toBeInstanceOf(CommanderError);
    return err as CommanderError;
  }
  throw new Error(`expected ${JSON.stringify(args)} to be rejected`);
}

describe("parseCli defaults (design.md flag table)", () => {
  it("uses daprd's defaults for everything but --app-id", () => {
    expect(parse(["--app-id", "orders"])).toEqual({
      appId: "orders",
      appPort: undefined,
      appProtocol: "http",
      appChannelAddress: "127.0.0.1",
      appMaxConcurrency: undefined,
      appHealthCheckPath: "/healthz",
      daprHttpPort: 3500,
      daprGrpcPort: 50001,
      daprInternalGrpcPort: 0,
      daprInternalGrpcListenAddress: "127.0.0.1",
      daprListenAddresses: ["127.0.0.1"],
      namespace: "default",
      config: undefined,
      resourcesPaths: [],
      filters: [],
      maxBodySize: 4 * 1024 * 1024,
      readBufferSize: 4 * 1024,
      metricsPort: 9090,
      enableMetrics: true,
      logLevel: "info",
      logAsJson: false,
      gracefulShutdownSeconds: 5,
      daprApiToken: undefined,
      appApiToken: undefined,
      courierHome: undefined,
    } satisfies CourierOptions);
  });
});

describe("parseCli flags", () => {
  it("reads every flag", () => {
    const o = parse([
      "--app-id", "orders",
      "--app-port", "3000",
      "--app-protocol", "grpc",
      "--app-channel-address", "10.0.0.5",
      "--app-max-concurrency", "8",
      "--app-health-check-path", "/ready",
      "--dapr-http-port", "3501",
      "--dapr-grpc-port", "50011",
      "--dapr-internal-grpc-port", "50012",
      "--dapr-internal-grpc-listen-address", "0.0.0.0",
      "--dapr-listen-addresses", "127.0.0.1, ::1,",
      "--namespace", "prod",
      "--config", "config.yaml",
      "--resources-path", "a",
      "--resources-path", "b",
      "--filter", "./f1.js",
      "--filter", "./f2.js",
      "--max-body-size", "16Mi",
      "--read-buffer-size", "8Ki",
      "--metrics-port", "9191",
      "--enable-metrics", "false",
      "--log-level", "debug",
      "--log-as-json",
      "--dapr-graceful-shutdown-seconds", "30",
    ]);
    expect(o).toMatchObject({
      appId: "orders",
      appPort: 3000,
      appProtocol: "grpc",
      appChannelAddress: "10.0.0.5",
      appMaxConcurrency: 8,
      appHealthCheckPath: "/ready",
      daprHttpPort: 3501,
      daprGrpcPort: 50011,
      daprInternalGrpcPort: 50012,
      daprInternalGrpcListenAddress: "0.0.0.0",
      daprListenAddresses: ["127.0.0.1", "::1"],
      namespace: "prod",
      config: "config.yaml",
      resourcesPaths: ["a", "b"],
      filters: ["./f1.js", "./f2.js"],
      maxBodySize: 16 * 1024 * 1024,
      readBufferSize: 8 * 1024,
      metricsPort: 9191,
      enableMetrics: false,
      logLevel: "debug",
      logAsJson: true,
      gracefulShutdownSeconds: 30,
    });
  });

  it("accepts `--flag=value` spelling", () => {
    expect(parse(["--app-id=orders", "--app-port=3000"])).toMatchObject({ appId: "orders", appPort: 3000 });
  });

  it.each(["http", "https", "h2c", "grpc", "grpcs"])("accepts --app-protocol %s", (protocol) => {
    expect(parse(["--app-id", "a", "--app-protocol", protocol]).appProtocol).toBe(protocol);
  });

  it("treats --app-max-concurrency -1 and 0 as unlimited", () => {
    expect(parse(["--app-id", "a", "--app-max-concurrency", "-1"]).appMaxConcurrency).toBeUndefined();
    expect(parse(["--app-id", "a", "--app-max-concurrency", "0"]).appMaxConcurrency).toBeUndefined();
    expect(parse(["--app-id", "a", "--app-max-concurrency", "1"]).appMaxConcurrency).toBe(1);
  });

  it("accepts port 0 (any free port) for the API and internal ports", () => {
    const o = parse(["--app-id", "a", "--dapr-http-port", "0", "--dapr-grpc-port", "0", "--dapr-internal-grpc-port", "0"]);
    expect([o.daprHttpPort, o.daprGrpcPort, o.daprInternalGrpcPort]).toEqual([0, 0, 0]);
  });

  it.each([
    ["true", true],
    ["false", false],
    ["1", true],
    ["0", false],
    ["yes", true],
    ["no", false],
    ["ON", true],
    ["Off", false],
  ])("reads boolean %j as %j", (text, value) => {
    expect(parse(["--app-id", "a", "--enable-metrics", text]).enableMetrics).toBe(value);
    expect(parse(["--app-id", "a", `--log-as-json=${text}`]).logAsJson).toBe(value);
  });

  it.each(["Ki", "Mi", "Gi"])("reads sizes with the %s suffix", (suffix) => {
    const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[suffix]!;
    expect(parse(["--app-id", "a", "--max-body-size", `2${suffix}`]).maxBodySize).toBe(2 * unit);
  });

  it("accepts app ids with letters, digits, `-` and `_`", () => {
    for (const id of ["a", "A1", "order-service", "order_service", "x-1_y"]) expect(parse(["--app-id", id]).appId).toBe(id);
  });
});

describe("parseCli environment", () => {
  it("takes the namespace from NAMESPACE", () => {
    expect(parse(["--app-id", "a"], { NAMESPACE: "prod" }).namespace).toBe("prod");
  });

  it("lets --namespace win over NAMESPACE", () => {
    expect(parse(["--app-id", "a", "--namespace", "dev"], { NAMESPACE: "prod" }).namespace).toBe("dev");
  });

  it("uses `default` for an empty NAMESPACE", () => {
    expect(parse(["--app-id", "a"], { NAMESPACE: "" }).namespace).toBe("default");
  });

  it("does not read NAMESPACE from the process environment when given another environment", () => {
    const saved = process.env["NAMESPACE"];
    process.env["NAMESPACE"] = "from-process";
    try {
      expect(parse(["--app-id", "a"], {}).namespace).toBe("default");
    } finally {
      if (saved === undefined) delete process.env["NAMESPACE"];
      else process.env["NAMESPACE"] = saved;
    }
  });

  it("reads DAPR_API_TOKEN, APP_API_TOKEN and COURIER_HOME", () => {
    const o = parse(["--app-id", "a"], { DAPR_API_TOKEN: "dapr-secret", APP_API_TOKEN: "app-secret", COURIER_HOME: "/tmp/courier-x" });
    expect(o.daprApiToken).toBe("dapr-secret");
    expect(o.appApiToken).toBe("app-secret");
    expect(o.courierHome).toBe("/tmp/courier-x");
  });

  it("treats empty token and home variables as unset", () => {
    const o = parse(["--app-id", "a"], { DAPR_API_TOKEN: "", APP_API_TOKEN: "", COURIER_HOME: "" });
    expect(o.daprApiToken).toBeUndefined();
    expect(o.appApiToken).toBeUndefined();
    expect(o.courierHome).toBeUndefined();
  });
});

describe("parseCli validation errors", () => {
  it("requires --app-id", () => {
    const err = rejection([]);
    expect(err.code).toBe("commander.missingMandatoryOptionValue");
    expect(err.exitCode).not.toBe(0);
    expect(err.message).toContain("--app-id");
  });

  it.each(["a.b", "-a", "a-", "_a", "a b", "a/b", "é"])("rejects app id %j (no dots, letters/digits/-/_ only)", (id) => {
    const err = rejection(["--app-id", id]);
    expect(err.code).toBe("courier.invalidAppId");
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`'${id}' is invalid`);
  });

  it.each([
    ["--app-port", "0"],
    ["--app-port", "65536"],
    ["--app-port", "abc"],
    ["--app-port", "30.5"],
    ["--app-port", "-1"],
    ["--dapr-http-port", "70000"],
    ["--dapr-grpc-port", "x"],
    ["--dapr-internal-grpc-port", "-5"],
    ["--metrics-port", "0"],
  ])("rejects %s %j", (flag, value) => {
    const err = rejection(["--app-id", "a", flag, value]);
    expect(err.code).toBe("commander.invalidArgument");
    expect(err.message).toContain(`${flag} must be a port number 1-65535`);
  });

  it("rejects an unknown --app-protocol", () => {
    const err = rejection(["--app-id", "a", "--app-protocol", "tcp"]);
    expect(err.code).toBe("commander.invalidArgument");
    expect(err.message).toContain("http, https, h2c, grpc, grpcs");
  });

  it("rejects an unknown --log-level", () => {
    expect(rejection(["--app-id", "a", "--log-level", "trace"]).code).toBe("commander.invalidArgument");
  });

  it.each(["-2", "1.5", "many"])("rejects --app-max-concurrency %j", (value) => {
    const err = rejection(["--app-id", "a", "--app-max-concurrency", value]);
    expect(err.message).toContain("--app-max-concurrency must be an integer >= -1");
  });

  it.each(["-1", "x"])("rejects --dapr-graceful-shutdown-seconds %j", (value) => {
    const err = rejection(["--app-id", "a", "--dapr-graceful-shutdown-seconds", value]);
    expect(err.message).toContain("--dapr-graceful-shutdown-seconds must be an integer >= 0");
  });

  it.each(["4MB", "lots", "0", "-1Mi", "4Ti"])("rejects --max-body-size %j", (value) => {
    const err = rejection(["--app-id", "a", "--max-body-size", value]);
    expect(err.code).toBe("commander.invalidArgument");
    expect(err.message).toContain(`invalid size "${value}"`);
  });

  it("rejects a bad --read-buffer-size", () => {
    expect(rejection(["--app-id", "a", "--read-buffer-size", "big"]).message).toContain('invalid size "big"');
  });

  it.each(["maybe", "2"])("rejects boolean %j", (value) => {
    expect(rejection(["--app-id", "a", "--enable-metrics", value]).message).toContain("must be true or false");
  });

  it("rejects unknown options and stray arguments", () => {
    expect(rejection(["--app-id", "a", "--no-such-flag"]).code).toBe("commander.unknownOption");
    expect(rejection(["--app-id", "a", "stray"]).code).toBe("commander.excessArguments");
  });

  it("rejects a flag without its value", () => {
    expect(rejection(["--app-id", "a", "--app-port"]).code).toBe("commander.optionMissingArgument");
  });

  it("--help is a clean exit with code 0", () => {
    const err = rejection(["--help"]);
    expect(err.exitCode).toBe(0);
  });

  it("--help lists the size defaults in their usual spelling", () => {
    const help = buildCli().helpInformation();
    expect(help).toContain("(default: 4Mi)");
    expect(help).toContain("(default: 4Ki)");
    expect(help).toContain("(env NAMESPACE)");
  });
});
