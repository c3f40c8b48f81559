#!/usr/bin/env node
import { CommanderError } from "commander";
import { parseCli } from "./cli.js";
import type { CourierOptions } from "./cli.js";
import { createLogger } from "./logging.js";
import { StartupError, startCourier } from "./runtime.js";
import { ConfigError } from "./config.js";

async function main(argv: string[]): Promise<number> {
  let opts: CourierOptions;
  try {
    opts = parseCli(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; bad flags exit 2 with commander's message already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    throw err;
  }
  const log = createLogger({ level: opts.logLevel, json: opts.logAsJson, appId: opts.appId });
  let runtime;
  try {
    runtime = await startCourier(opts, log);
  } catch (err) {
    if (err instanceof StartupError || err instanceof ConfigError) {
      log.fatal(err.message);
      process.stderr.write(`courier: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (signal: string) => {
      signals++;
      if (signals > 1) {
        log.warn({ signal }, "second signal: exiting now");
        return resolve(1);
      }
      log.info({ signal }, "signal received");
      runtime.shutdown().then(
        () => resolve(0),
        (err) => {
          log.error({ err: String(err) }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let buffered logs flush, then leave even if a stray handle (keep-alive socket) remains.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err) => {
    process.stderr.write(`courier: fatal: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
