import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_CONFIGURATION, loadConfiguration, parseConfiguration } from "./config.js";

const FULL = `
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: courier
spec:
  nameResolution:
    component: static
    configuration:
      apps:
        orders: ["127.0.0.1:50002", "127.0.0.1:50003"]
  tracing:
    samplingRate: "1"
  accessControl:
    defaultAction: deny
`;

function configError(text: string): ConfigError {
  try {
    parseConfiguration(text, "test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfiguration", () => {
  it("reads the name resolution component and its own settings", () => {
    expect(parseConfiguration(FULL)).toEqual({
      nameResolution: { component: "static", configuration: { apps: { orders: ["127.0.0.1:50002", "127.0.0.1:50003"] } } },
    });
  });

  it("defaults to the local resolver for an empty document", () => {
    expect(parseConfiguration("")).toEqual(DEFAULT_CONFIGURATION);
    expect(parseConfiguration("# only a comment\n")).toEqual(DEFAULT_CONFIGURATION);
    expect(DEFAULT_CONFIGURATION).toEqual({ nameResolution: { component: "local", configuration: {} } });
  });

  it("defaults to the local resolver without spec or spec.nameResolution", () => {
    expect(parseConfiguration("kind: Configuration\nmetadata: { name: x }\n")).toEqual(DEFAULT_CONFIGURATION);
    expect(parseConfiguration("kind: Configuration\nspec:\n  tracing: { samplingRate: '1' }\n")).toEqual(DEFAULT_CONFIGURATION);
    expect(parseConfiguration("kind: Configuration\nspec:\n")).toEqual(DEFAULT_CONFIGURATION);
  });

  it("defaults the component to local and the configuration to {}", () => {
    expect(parseConfiguration("spec:\n  nameResolution:\n    configuration: { a: 1 }\n")).toEqual({
      nameResolution: { component: "local", configuration: { a: 1 } },
    });
    expect(parseConfiguration("spec:\n  nameResolution:\n    component: mdns\n")).toEqual({
      nameResolution: { component: "mdns", configuration: {} },
    });
  });

  it("accepts a document without kind", () => {
    expect(parseConfiguration("spec: { nameResolution: { component: dns } }").nameResolution.component).toBe("dns");
  });

  it("passes the component configuration through unvalidated (each resolver checks its own)", () => {
    expect(parseConfiguration("spec: { nameResolution: { component: x, configuration: [1, 2] } }").nameResolution.configuration).toEqual([1, 2]);
  });

  it("rejects another kind", () => {
    expect(configError("kind: Resiliency\nspec: {}\n").message).toBe('test.yaml: kind is "Resiliency", expected "Configuration"');
  });

  it("rejects invalid YAML", () => {
    expect(configError("spec: [unclosed").message).toMatch(/^test\.yaml: invalid YAML: /);
    expect(configError("a: 1\n---\nb: 2\n").message).toMatch(/^test\.yaml: invalid YAML: /);
  });

  it.each(["- a\n- b\n", "just a string", "42"])("rejects a document that is not an object: %j", (text) => {
    expect(configError(text).message).toBe("test.yaml: expected a Configuration object");
  });

  it.each(["spec: [1]", "spec: text", "spec: 3"])("rejects a spec that is not an object: %j", (text) => {
    expect(configError(text).message).toBe("test.yaml: spec must be an object");
  });

  it.each(["spec: { nameResolution: [local] }", "spec: { nameResolution: local }"])("rejects a nameResolution that is not an object: %j", (text) => {
    expect(configError(text).message).toBe("test.yaml: spec.nameResolution must be an object");
  });

  it.each(['spec: { nameResolution: { component: "" } }', "spec: { nameResolution: { component: 5 } }", "spec: { nameResolution: { component: [a] } }"])(
    "rejects a component that is not a name: %j",
    (text) => {
      expect(configError(text).message).toBe("test.yaml: spec.nameResolution.component must be a name");
    },
  );

  it("names the default source when none is given", () => {
    expect(() => parseConfiguration("kind: Other")).toThrow(/^configuration: kind is "Other"/);
  });
});

describe("loadConfiguration", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "courier-config-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the default without a file", async () => {
    expect(await loadConfiguration(undefined)).toEqual(DEFAULT_CONFIGURATION);
    expect(await loadConfiguration("")).toEqual(DEFAULT_CONFIGURATION);
  });

  it("reads and parses a file", async () => {
    const file = path.join(dir, "config.yaml");
    await writeFile(file, FULL);
    expect((await loadConfiguration(file)).nameResolution.component).toBe("static");
  });

  it("names the file in parse errors", async () => {
    const file = path.join(dir, "bad.yaml");
    await writeFile(file, "kind: Component\n");
    await expect(loadConfiguration(file)).rejects.toThrow(`${file}: kind is "Component", expected "Configuration"`);
  });

  it("fails with ConfigError for a missing file", async () => {
    const file = path.join(dir, "missing.yaml");
    const err = await loadConfiguration(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot read --config ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ENOENT`));
    expect((err as Error).name).toBe("ConfigError");
  });

  it("fails with ConfigError for a directory", async () => {
    await expect(loadConfiguration(dir)).rejects.toBeInstanceOf(ConfigError);
  });
});
