#!/usr/bin/env node
// `npm run demo`: two sample apps, two Courier sidecars, a few calls, then shut everything down.
// `npm run demo -- --keep` leaves the mesh running and prints curl commands until Ctrl-C.
import { parseArgs } from "node:util";
import { CALLS, curlCommands, runCall } from "./calls.js";
import { DemoError, Mesh, freePorts } from "./mesh.js";
import type { CourierInfo } from "./mesh.js";
import { bold, cyan, dim, green, print, printErr, red } from "./output.js";

const USAGE = `usage: npm run demo [-- --keep]

Starts two sample apps (orders, inventory) and a Courier sidecar for each on 127.0.0.1,
makes a few calls through the orders sidecar and prints what each app received and the
reply, then stops everything and removes the temporary COURIER_HOME.

  --keep      leave the mesh running, print curl commands, stop on Ctrl-C
  -h, --help  show this help`;

function parseFlags(argv: string[]): { keep: boolean } | number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { keep: { type: "boolean" }, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    printErr(`demo: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    print(USAGE);
    return 0;
  }
  return { keep: values.keep === true };
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  if (typeof flags === "number") return flags;

  const mesh = new Mesh();
  // Whatever happens to this process, no child outlives it and no temp folder stays behind.
  process.on("exit", () => mesh.killNow());

  let interrupted: ((signal: string) => void) | undefined;
  const signals = new Promise<string>((resolve) => (interrupted = resolve));
  let signalCount = 0;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (++signalCount > 1) {
        printErr("demo: second signal, killing everything now");
        mesh.killNow();
        process.exit(130);
      }
      interrupted!(sig);
    });
  }
  // Output piped into `head` and closed: stop quietly, as after a Ctrl-C.
  process.stdout.on("error", () => interrupted!("EPIPE"));
  let crashed: ((err: DemoError) => void) | undefined;
  const crash = new Promise<never>((_, reject) => (crashed = reject));
  crash.catch(() => {});
  mesh.onCrash((err) => crashed!(err));

  // Any step can lose to a crashed child or a Ctrl-C.
  const step = <T>(work: Promise<T>): Promise<T> =>
    Promise.race([
      work,
      crash,
      signals.then((sig): never => {
        throw new Interrupted(sig);
      }),
    ]);

  let code = 0;
  try {
    print(bold("Courier demo"));
    print(dim(`COURIER_HOME ${mesh.home} (temporary; each Courier registers itself here)`));
    print();

    const [orders, inventory] = await step(Promise.all([mesh.startApp("orders"), mesh.startApp("inventory")]));
    const [oHttp, oGrpc, oMetrics, iHttp, iGrpc, iMetrics] = await step(freePorts(6));
    const ordersCourier = await step(mesh.startCourier("orders", orders!, { http: oHttp!, grpc: oGrpc!, metrics: oMetrics! }));
    const inventoryCourier = await step(mesh.startCourier("inventory", inventory!, { http: iHttp!, grpc: iGrpc!, metrics: iMetrics! }));
    await step(Promise.all([mesh.waitHealthy(ordersCourier), mesh.waitHealthy(inventoryCourier)]));

    printMesh(ordersCourier, inventoryCourier, mesh);
    for (const [i, call] of CALLS.entries()) await step(runCall(i + 1, call, ordersCourier, mesh));
    print(green(`All ${CALLS.length} calls went as expected.`));

    if (flags.keep) {
      print();
      print(bold("The mesh keeps running (--keep). Try:"));
      print();
      for (const line of curlCommands(ordersCourier, inventoryCourier)) print(line.startsWith("#") ? dim(line) : line);
      print();
      print(dim(`Logs: ${mesh.logDir}`));
      print(bold("Press Ctrl-C to stop."));
      print();
      mesh.onRequest((e) => {
        const from = e.headers["dapr-caller-app-id"] ?? "?";
        print(`${cyan("⇢")} ${e.app} received ${e.method} ${e.path}${e.query ? `?${e.query}` : ""} ${dim(`from ${from}`)}${e.body ? ` ${e.body}` : ""}`);
      });
      await step(new Promise<never>(() => {}));
    }
  } catch (err) {
    if (err instanceof Interrupted) {
      code = flags.keep ? 0 : 130;
      print();
      print(dim(`${err.signal}: stopping`));
    } else {
      code = 1;
      printErr(red(`demo failed: ${err instanceof DemoError ? err.message : String((err as Error)?.stack ?? err)}`));
    }
  }

  print(dim("Stopping the Couriers (SIGTERM), then the apps…"));
  const problems = await mesh.stop();
  if (problems.length > 0) {
    for (const p of problems) printErr(red(`demo: ${p}`));
    code ||= 1;
  } else {
    print(dim(`Stopped; removed ${mesh.home}.`));
  }
  return code;
}

class Interrupted extends Error {
  readonly signal: string;
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}

function printMesh(orders: CourierInfo, inventory: CourierInfo, mesh: Mesh): void {
  const row = (c: CourierInfo) =>
    `  ${c.appId.padEnd(10)} app 127.0.0.1:${c.appPort}   Courier HTTP API 127.0.0.1:${c.httpPort}   pid ${c.child.proc.pid}`;
  print(bold("Mesh is up:"));
  print(row(orders));
  print(row(inventory));
  print(dim(`  both Couriers answered GET /v1.0/healthz with 204; logs in ${mesh.logDir}`));
  print(dim("  every demo request carries x-demo-call: <n> so the apps' reports can be matched to it"));
  print();
}

main().then(
  (code) => process.exit(code),
  (err) => {
    printErr(`demo: fatal: ${String((err as Error)?.stack ?? err)}`);
    process.exit(1);
  },
);
