import { describe, expect, it } from "vitest";
import { Metadata } from "../model/metadata.js";
import { forwardedValue, IDENTITY_HEADERS, stampLocalCall, stampRemoteCall, stripIdentityHeaders } from "./caller-stamps.js";

const SPOOFED = {
  "dapr-caller-app-id": "evil",
  "Dapr-Caller-App-Id": "evil",
  "DAPR-CALLER-NAMESPACE": "evil",
  "Dapr-Callee-App-Id": "evil",
  "Destination-App-Id": "evil",
  "Dapr-Api-Token": "secret",
  "dapr-api-token": "secret",
};

describe("stripIdentityHeaders", () => {
  it("removes every casing of every identity header and nothing else", () => {
    const md = new Metadata({ ...SPOOFED, "X-Keep": "1", "Dapr-App-Id": "b", "dapr-caller-app-ids": "x" });
    expect(stripIdentityHeaders(md)).toBe(md);
    expect(md.toRecord()).toEqual({ "X-Keep": ["1"], "Dapr-App-Id": ["b"], "dapr-caller-app-ids": ["x"] });
  });

  it("covers the five identity names", () => {
    expect([...IDENTITY_HEADERS].sort()).toEqual(
      ["dapr-api-token", "dapr-callee-app-id", "dapr-caller-app-id", "dapr-caller-namespace", "destination-app-id"].sort(),
    );
  });
});

describe("stampLocalCall (spec §2.1 step 4)", () => {
  it("replaces spoofed identity with own id and namespace", () => {
    const md = new Metadata({ ...SPOOFED, "X-Keep": "1" });
    expect(stampLocalCall(md, { appId: "me", namespace: "prod" })).toBe(md);
    expect(md.toRecord()).toEqual({
      "X-Keep": ["1"],
      "dapr-caller-namespace": ["prod"],
      "dapr-caller-app-id": ["me"],
      "dapr-callee-app-id": ["me"],
    });
  });

  it("adds no forwarding or destination headers", () => {
    const md = stampLocalCall(new Metadata(), { appId: "me", namespace: "default" });
    expect([...md.keys()].sort()).toEqual(["dapr-callee-app-id", "dapr-caller-app-id", "dapr-caller-namespace"]);
  });
});

describe("stampRemoteCall (spec §2.6)", () => {
  const caller = { appId: "a", namespace: "default" };

  it("stamps every header of the spec table", () => {
    const md = stampRemoteCall(new Metadata(), { caller, targetAppId: "b", hostIp: "10.0.0.5", hostname: "node-1" });
    expect(md.toRecord()).toEqual({
      "X-Forwarded-For": ["10.0.0.5"],
      "X-Forwarded-Host": ["node-1"],
      Forwarded: ["for=10.0.0.5;by=10.0.0.5;host=node-1"],
      "destination-app-id": ["b"],
      "dapr-caller-namespace": ["default"],
      "dapr-caller-app-id": ["a"],
      "dapr-callee-app-id": ["b"],
    });
  });

  it("strips caller-supplied identity in every casing first (spec §11 row 1)", () => {
    const md = stampRemoteCall(new Metadata(SPOOFED), { caller, targetAppId: "b" });
    expect(md.getAll("dapr-caller-app-id")).toEqual(["a"]);
    expect(md.getAll("dapr-caller-namespace")).toEqual(["default"]);
    expect(md.getAll("dapr-callee-app-id")).toEqual(["b"]);
    expect(md.getAll("destination-app-id")).toEqual(["b"]);
    expect(md.has("dapr-api-token")).toBe(false);
  });

  it("appends to existing forwarding values under the exact keys", () => {
    const md = new Metadata({ "X-Forwarded-For": "1.1.1.1", "X-Forwarded-Host": "edge", Forwarded: "for=1.1.1.1", "x-forwarded-for": "grpc" });
    stampRemoteCall(md, { caller, targetAppId: "b", hostIp: "10.0.0.5", hostname: "node-1" });
    expect(md.toRecord()).toMatchObject({
      "X-Forwarded-For": ["1.1.1.1", "10.0.0.5"],
      "X-Forwarded-Host": ["edge", "node-1"],
      Forwarded: ["for=1.1.1.1", "for=10.0.0.5;by=10.0.0.5;host=node-1"],
      // a different spelling is a different key (append is exact)
      "x-forwarded-for": ["grpc"],
    });
  });

  it.each([
    [{ hostIp: "10.0.0.5" }, { "X-Forwarded-For": ["10.0.0.5"], Forwarded: ["for=10.0.0.5;by=10.0.0.5"] }],
    [{ hostname: "node-1" }, { "X-Forwarded-Host": ["node-1"], Forwarded: ["host=node-1"] }],
    [{}, {}],
    [{ hostIp: "", hostname: "" }, {}],
    [{ hostIp: "2001:db8::1", hostname: "n" }, { "X-Forwarded-For": ["2001:db8::1"], "X-Forwarded-Host": ["n"], Forwarded: ['for="[2001:db8::1]";by="[2001:db8::1]";host=n'] }],
  ])("with %j omits what is unknown", (host, forwarding) => {
    const md = stampRemoteCall(new Metadata(), { caller, targetAppId: "b", ...host });
    const record = md.toRecord();
    for (const key of ["destination-app-id", "dapr-caller-namespace", "dapr-caller-app-id", "dapr-callee-app-id"]) delete record[key];
    expect(record).toEqual(forwarding);
  });
});

describe("forwardedValue", () => {
  it.each([
    ["192.168.1.2", "h", "for=192.168.1.2;by=192.168.1.2;host=h"],
    ["::1", undefined, 'for="[::1]";by="[::1]"'],
    ["fe80::1%eth0", undefined, 'for="[fe80::1%eth0]";by="[fe80::1%eth0]"'],
    [undefined, "my-host.local", "host=my-host.local"],
    [undefined, "odd host", 'host="odd host"'],
    [undefined, 'q"\\', 'host="q\\"\\\\"'],
    [undefined, undefined, ""],
  ])("(%j, %j) → %j", (ip, hostname, expected) => {
    expect(forwardedValue(ip, hostname)).toBe(expected);
  });
});
