import { readFile } from "node:fs/promises";
import { parse } from "yaml";

/** What Courier reads from a Dapr `Configuration` resource (design.md). */
export interface CourierConfiguration {
  nameResolution: { component: string; configuration: unknown };
}

export const DEFAULT_CONFIGURATION: CourierConfiguration = {
  nameResolution: { component: "local", configuration: {} },
};

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export async function loadConfiguration(file: string | undefined): Promise<CourierConfiguration> {
  if (!file) return DEFAULT_CONFIGURATION;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read --config ${file}: ${(err as Error).message}`);
  }
  return parseConfiguration(text, file);
}

export function parseConfiguration(text: string, source = "configuration"): CourierConfiguration {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: invalid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return DEFAULT_CONFIGURATION;
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError(`${source}: expected a Configuration object`);
  const d = doc as Record<string, unknown>;
  if (d["kind"] !== undefined && d["kind"] !== "Configuration") {
    throw new ConfigError(`${source}: kind is "${String(d["kind"])}", expected "Configuration"`);
  }
  const spec = (d["spec"] ?? {}) as Record<string, unknown>;
  if (typeof spec !== "object" || Array.isArray(spec)) throw new ConfigError(`${source}: spec must be an object`);
  const nr = spec["nameResolution"] as Record<string, unknown> | undefined;
  if (nr === undefined) return DEFAULT_CONFIGURATION;
  if (typeof nr !== "object" || nr === null || Array.isArray(nr)) throw new ConfigError(`${source}: spec.nameResolution must be an object`);
  const component = nr["component"] ?? "local";
  if (typeof component !== "string" || component === "") throw new ConfigError(`${source}: spec.nameResolution.component must be a name`);
  return { nameResolution: { component, configuration: nr["configuration"] ?? {} } };
}
