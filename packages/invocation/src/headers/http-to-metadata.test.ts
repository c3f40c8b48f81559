import { describe, expect, it } from "vitest";
import { metadataFromHttpHeaders } from "./http-to-metadata.js";

const record = (raw: string[], drop?: string[]) => metadataFromHttpHeaders(raw, drop ? { drop } : undefined).toRecord();

describe("metadataFromHttpHeaders (spec §2.7.1)", () => {
  it.each([
    [
      "canonicalizes names",
      ["content-type", "application/json", "x-custom-header", "1"],
      { "Content-Type": ["application/json"], "X-Custom-Header": ["1"] },
    ],
    ["keeps values verbatim", ["X-A", "  spaced  value ", "x-b", ""], { "X-A": ["  spaced  value "], "X-B": [""] }],
    [
      "repeats keep order",
      ["accept", "a", "x-y", "1", "Accept", "b", "ACCEPT", "c"],
      { Accept: ["a", "b", "c"], "X-Y": ["1"] },
    ],
    ["keeps Content-Length", ["content-length", "12"], { "Content-Length": ["12"] }],
    ["drops Host", ["host", "localhost:3500", "Host", "x"], {}],
    ["drops Transfer-Encoding", ["Transfer-Encoding", "chunked"], {}],
    [
      "drops pseudo-headers",
      [":method", "GET", ":path", "/x", ":authority", "h", ":scheme", "http", "accept", "*/*"],
      { Accept: ["*/*"] },
    ],
    [
      "drops every hop-by-hop header",
      [
        "connection", "keep-alive", "keep-alive", "timeout=5", "proxy-connection", "x", "upgrade", "h2c",
        "http2-settings", "AAA", "te", "trailers", "trailer", "X-Sum", "proxy-authorization", "Basic x",
        "proxy-authenticate", "Basic", "x-kept", "1",
      ],
      { "X-Kept": ["1"] },
    ],
    [
      "drops Connection-nominated headers",
      ["Connection", "X-Secret, x-other", "x-secret", "1", "X-Other", "2", "x-kept", "3"],
      { "X-Kept": ["3"] },
    ],
    [
      "nominations from every Connection header count",
      ["connection", "x-a", "Connection", "X-B", "x-a", "1", "x-b", "2"],
      {},
    ],
    [
      "keeps Authorization unless dropped",
      ["authorization", "Basic ZGFwci1hcHAtaWQ6Yg=="],
      { Authorization: ["Basic ZGFwci1hcHAtaWQ6Yg=="] },
    ],
    ["keeps dapr-app-id unless dropped", ["dapr-app-id", "b"], { "Dapr-App-Id": ["b"] }],
    ["leaves a non-token name as is", ["x y", "1"], { "x y": ["1"] }],
    ["ignores a dangling name", ["x-a", "1", "x-b"], { "X-A": ["1"] }],
    [
      "trace headers are ordinary entries here",
      ["traceparent", "00-x", "tracestate", "a=1"],
      { Traceparent: ["00-x"], Tracestate: ["a=1"] },
    ],
    ["empty input", [], {}],
  ])("%s", (_name, raw, expected) => {
    expect(record(raw)).toEqual(expected);
  });

  it("stores keys in the order first seen, as the wire had them", () => {
    const md = metadataFromHttpHeaders(["x-b", "1", "x-a", "2", "X-B", "3"]);
    expect([...md.keys()]).toEqual(["X-B", "X-A"]);
  });

  it.each([
    ["dapr-app-id when routed by it", ["dapr-app-id"], ["Dapr-App-Id", "b", "x", "1"], { X: ["1"] }],
    ["authorization when basic-auth routed", ["authorization"], ["Authorization", "Basic abc", "x", "1"], { X: ["1"] }],
    ["dapr-api-token", ["dapr-api-token"], ["dapr-api-token", "secret", "DAPR-API-TOKEN", "again"], {}],
    ["case-insensitively", ["DAPR-App-ID", "Authorization"], ["dapr-app-id", "b", "AUTHORIZATION", "Basic abc"], {}],
    [
      "several at once",
      ["dapr-app-id", "authorization", "dapr-api-token"],
      ["dapr-app-id", "b", "authorization", "x", "dapr-api-token", "t", "accept", "*/*"],
      { Accept: ["*/*"] },
    ],
    ["nothing else", ["x-other"], ["x-other-2", "1"], { "X-Other-2": ["1"] }],
  ])("drop: %s", (_name, drop, raw, expected) => {
    expect(record(raw, drop)).toEqual(expected);
  });
});
