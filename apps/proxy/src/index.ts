// Programmatic use of the courier binary: start a sidecar inside a Node process.
export { buildCli, parseCli } from "./cli.js";
export type { AppProtocol, CourierOptions } from "./cli.js";
export { loadConfiguration, parseConfiguration, ConfigError, DEFAULT_CONFIGURATION } from "./config.js";
export type { CourierConfiguration } from "./config.js";
export { startCourier, StartupError, RUNTIME_VERSION } from "./runtime.js";
export type { CourierRuntime } from "./runtime.js";
export { API_ERRORS } from "./errors.js";
export { parseByteSize } from "./size.js";
export { createLogger } from "./logging.js";
export { loadUserFilters, FilterLoadError } from "./user-filters.js";
export type { FilterModule, LoadedFilters } from "./user-filters.js";
