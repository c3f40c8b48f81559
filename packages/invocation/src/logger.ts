/** The logging surface the core needs; pino's Logger satisfies it. */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child?(bindings: object): Logger;
  /** pino's level check; lets hot paths skip work for disabled levels. */
  isLevelEnabled?(level: string): boolean;
}

const noop: LogFn = () => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
