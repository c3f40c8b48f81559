import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Filter } from "@courier/invocation";

/**
 * What a `--filter <module>` exports (as `default`): filters for either side of a hop. Like an
 * Envoy HTTP filter, a filter wraps the rest of the chain: `(next) => async (req, ctx) => …`.
 *
 * ```js
 * export default {
 *   name: "tenant-header",
 *   caller: (next) => async (req, ctx) => { req.metadata.set("x-tenant", "acme"); return next(req, ctx); },
 * };
 * ```
 */
export interface FilterModule {
  name?: string;
  /** Runs in the calling app's Courier, after Courier's own caller filters. */
  caller?: Filter | readonly Filter[];
  /** Runs in the target app's Courier before the app is called, after Courier's own callee filters. */
  callee?: Filter | readonly Filter[];
}

export interface LoadedFilters {
  caller: Filter[];
  callee: Filter[];
  names: string[];
}

export class FilterLoadError extends Error {
  override readonly name = "FilterLoadError";
}

/** Loads `--filter` modules in order; the first listed is the outermost. */
export async function loadUserFilters(specifiers: readonly string[], cwd = process.cwd()): Promise<LoadedFilters> {
  const loaded: LoadedFilters = { caller: [], callee: [], names: [] };
  for (const specifier of specifiers) {
    const url = specifier.startsWith(".") || path.isAbsolute(specifier) ? pathToFileURL(path.resolve(cwd, specifier)).href : specifier;
    let mod: { default?: unknown };
    try {
      mod = (await import(url)) as { default?: unknown };
    } catch (err) {
      throw new FilterLoadError(`--filter ${specifier}: cannot load module: ${(err as Error).message}`);
    }
    const def = mod.default as FilterModule | undefined;
    if (!def || typeof def !== "object" || (def.caller === undefined && def.callee === undefined)) {
      throw new FilterLoadError(`--filter ${specifier}: the default export must be an object with a "caller" and/or "callee" filter`);
    }
    for (const side of ["caller", "callee"] as const) {
      const value = def[side];
      if (value === undefined) continue;
      const list = Array.isArray(value) ? value : [value];
      for (const [i, f] of list.entries()) {
        if (typeof f !== "function") throw new FilterLoadError(`--filter ${specifier}: ${side}[${i}] is not a function`);
        loaded[side].push(f as Filter);
      }
    }
    loaded.names.push(def.name ?? specifier);
  }
  return loaded;
}
