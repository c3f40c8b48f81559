import { describe, expect, it } from "vitest";
import { Metadata } from "./metadata.js";

describe("Metadata init forms", () => {
  it("starts empty without init", () => {
    const md = new Metadata();
    expect(md.size).toBe(0);
    expect(md.toRecord()).toEqual({});
    expect([...md]).toEqual([]);
  });

  it("takes a record of strings and string lists, skipping undefined", () => {
    const md = new Metadata({ "Content-Type": "text/plain", Accept: ["a", "b"], Skipped: undefined, Empty: [] });
    expect(md.toRecord()).toEqual({ "Content-Type": ["text/plain"], Accept: ["a", "b"] });
    expect(md.has("skipped")).toBe(false);
    expect(md.has("empty")).toBe(false);
  });

  it("takes an iterable of pairs and keeps repeated keys as appends", () => {
    const md = new Metadata([
      ["X-A", "1"],
      ["X-A", ["2", "3"]],
      ["x-a", "4"],
    ]);
    expect(md.toRecord()).toEqual({ "X-A": ["1", "2", "3"], "x-a": ["4"] });
    expect(md.getAll("X-A")).toEqual(["1", "2", "3", "4"]);
  });

  it("takes a Map (an iterable of pairs)", () => {
    const md = new Metadata(new Map<string, string | string[]>([["k", ["v1", "v2"]]]));
    expect(md.getAll("K")).toEqual(["v1", "v2"]);
  });

  it("copies another Metadata without sharing state", () => {
    const source = new Metadata({ "X-A": ["1"], "x-a": "2" });
    const copy = new Metadata(source);
    expect(copy.toRecord()).toEqual(source.toRecord());
    copy.append("X-A", "3");
    source.delete("x-a");
    expect(source.toRecord()).toEqual({});
    expect(copy.toRecord()).toEqual({ "X-A": ["1", "3"], "x-a": ["2"] });
  });

  it("keeps the insertion order of keys", () => {
    const md = new Metadata({ b: "1", a: "2", C: "3" });
    expect([...md.keys()]).toEqual(["b", "a", "C"]);
  });
});

describe("Metadata lookups are case-insensitive", () => {
  const md = () =>
    new Metadata([
      ["Dapr-Caller-App-Id", "canonical"],
      ["dapr-caller-app-id", "lower"],
      ["DAPR-CALLER-APP-ID", "upper"],
      ["Other", "x"],
    ]);

  it("get returns the exact spelling's first value when present", () => {
    expect(md().get("dapr-caller-app-id")).toBe("lower");
    expect(md().get("DAPR-CALLER-APP-ID")).toBe("upper");
    expect(md().get("Dapr-Caller-App-Id")).toBe("canonical");
  });

  it("get falls back to the first casing in insertion order", () => {
    expect(md().get("dApR-cAlLeR-aPp-Id")).toBe("canonical");
  });

  it("get returns undefined when absent", () => {
    expect(md().get("missing")).toBeUndefined();
    expect(new Metadata().get("x")).toBeUndefined();
  });

  it("get skips an exact key whose list is empty", () => {
    const m = new Metadata({ "X-A": "v" });
    m.set("x-a", []);
    expect(m.toRecord()).toEqual({ "x-a": [] });
    expect(m.get("x-a")).toBeUndefined();
    m.append("X-A", "other");
    expect(m.get("x-a")).toBe("other");
  });

  it("getAll collects every value under every casing", () => {
    expect(md().getAll("DAPR-caller-app-id")).toEqual(["canonical", "lower", "upper"]);
    expect(md().getAll("missing")).toEqual([]);
  });

  it("getAll returns a copy", () => {
    const m = md();
    m.getAll("other").push("y");
    expect(m.getAll("other")).toEqual(["x"]);
  });

  it("has matches any casing", () => {
    expect(md().has("OTHER")).toBe(true);
    expect(md().has("dapr-caller-app-ID")).toBe(true);
    expect(md().has("dapr-caller")).toBe(false);
  });

  it("does not match on prefixes or suffixes", () => {
    const m = new Metadata({ "dapr-caller-app-ids": "x", "x-dapr-caller-app-id": "y" });
    expect(m.has("dapr-caller-app-id")).toBe(false);
    expect(m.get("dapr-caller-app-id")).toBeUndefined();
    expect(m.delete("dapr-caller-app-id")).toBe(false);
    expect(m.size).toBe(2);
  });
});

describe("Metadata mutation", () => {
  it("delete removes every casing and reports whether anything went", () => {
    const m = new Metadata([
      ["X-Token", "1"],
      ["x-token", "2"],
      ["X-TOKEN", "3"],
      ["Keep", "k"],
    ]);
    expect(m.delete("x-ToKeN")).toBe(true);
    expect(m.toRecord()).toEqual({ Keep: ["k"] });
    expect(m.delete("x-token")).toBe(false);
  });

  it("set replaces every casing with exactly the given key and value", () => {
    const m = new Metadata([
      ["dapr-caller-app-id", "spoof1"],
      ["Dapr-Caller-App-Id", "spoof2"],
      ["Keep", "k"],
    ]);
    expect(m.set("dapr-caller-app-id", "real")).toBe(m);
    expect(m.toRecord()).toEqual({ Keep: ["k"], "dapr-caller-app-id": ["real"] });
    expect(m.getAll("DAPR-CALLER-APP-ID")).toEqual(["real"]);
  });

  it("set with a list stores a copy of the list", () => {
    const values = ["a", "b"];
    const m = new Metadata().set("K", values);
    values.push("c");
    expect(m.getAll("k")).toEqual(["a", "b"]);
  });

  it("set adopts the new spelling", () => {
    const m = new Metadata({ "content-type": "a" });
    m.set("Content-Type", "b");
    expect([...m.keys()]).toEqual(["Content-Type"]);
  });

  it("append keeps the exact key and does not merge casings", () => {
    const m = new Metadata();
    expect(m.append("X-Forwarded-For", "1.1.1.1")).toBe(m);
    m.append("x-forwarded-for", "2.2.2.2");
    m.append("X-Forwarded-For", "3.3.3.3");
    expect(m.toRecord()).toEqual({ "X-Forwarded-For": ["1.1.1.1", "3.3.3.3"], "x-forwarded-for": ["2.2.2.2"] });
    expect(m.size).toBe(2);
    expect(m.getAll("X-FORWARDED-FOR")).toEqual(["1.1.1.1", "3.3.3.3", "2.2.2.2"]);
  });

  it("size counts distinct spellings", () => {
    const m = new Metadata({ a: "1", A: "2", b: ["3", "4"] });
    expect(m.size).toBe(3);
  });
});

describe("Metadata clone and export", () => {
  it("clone is independent in both directions, value lists included", () => {
    const original = new Metadata({ "X-A": ["1", "2"], B: "b" });
    const copy = original.clone();
    expect(copy).not.toBe(original);
    expect(copy.toRecord()).toEqual(original.toRecord());

    copy.append("X-A", "3");
    copy.delete("b");
    copy.set("New", "n");
    expect(original.toRecord()).toEqual({ "X-A": ["1", "2"], B: ["b"] });

    original.append("X-A", "orig");
    expect(copy.getAll("x-a")).toEqual(["1", "2", "3"]);
  });

  it("toRecord returns copies of the value lists", () => {
    const m = new Metadata({ a: "1" });
    m.toRecord()["a"]!.push("2");
    expect(m.getAll("a")).toEqual(["1"]);
  });

  it("entries, keys and the iterator walk the stored spellings", () => {
    const m = new Metadata([
      ["A", "1"],
      ["a", "2"],
    ]);
    expect([...m.entries()]).toEqual([
      ["A", ["1"]],
      ["a", ["2"]],
    ]);
    expect([...m]).toEqual([...m.entries()]);
    expect([...m.keys()]).toEqual(["A", "a"]);
  });
});
