import { Writable } from "node:stream";
import { pino } from "pino";
import type { Logger } from "pino";

/**
 * pino writes JSON; without `--log-as-json` the lines are re-printed in daprd's logfmt-like
 * text form (`time=… level=info msg="…" key=value`) for people reading a terminal.
 */
export function createLogger(opts: { level: string; json: boolean; appId: string }, out: NodeJS.WritableStream = process.stderr): Logger {
  const base = { app_id: opts.appId, scope: "courier" };
  if (opts.json) return pino({ level: opts.level, base, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: false }));
  return pino({ level: opts.level, base, timestamp: pino.stdTimeFunctions.isoTime }, textStream(out));
}

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

function textStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        try {
          const { time, level, msg, app_id, scope, pid: _pid, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
          let text = `time="${String(time)}" level=${LEVELS[level as number] ?? String(level)} msg=${JSON.stringify(msg ?? "")} app_id=${String(app_id)} scope=${String(scope)}`;
          for (const [k, v] of Object.entries(rest)) text += ` ${k}=${typeof v === "string" && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`;
          out.write(`${text}\n`);
        } catch {
          out.write(`${line}\n`);
        }
      }
      cb();
    },
  });
}
