import { describe, expect, it } from "vitest";
import { parseByteSize } from "./size.js";

describe("parseByteSize", () => {
  it.each([
    ["4Mi", 4 * 1024 * 1024],
    ["4Ki", 4096],
    ["1Gi", 1024 ** 3],
    ["512", 512],
    ["10B", 10],
    ["1K", 1000],
    ["2M", 2_000_000],
    ["3G", 3_000_000_000],
    ["1.5Ki", 1536],
    ["0.5Mi", 512 * 1024],
    [" 4Mi ", 4 * 1024 * 1024],
    ["4 Mi", 4 * 1024 * 1024],
    ["1.7", 1],
  ])("%j is %d bytes", (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(["", "Mi", "4MB", "4mi", "4Ti", "4 M i", "-1", "-1Mi", "1e3", "0x10", "4Mi4", "four"])("rejects %j", (text) => {
    expect(() => parseByteSize(text)).toThrow(`invalid size "${text}": use a number with an optional Ki, Mi or Gi suffix (e.g. 4Mi)`);
  });

  it.each(["0", "0Mi", "0.0"])("rejects the zero size %j", (text) => {
    expect(() => parseByteSize(text)).toThrow(`invalid size "${text}": must be positive`);
  });

  it.each(["0.5", "0.9B", "0.0001Ki"])("rejects %j, which is less than one byte", (text) => {
    expect(() => parseByteSize(text)).toThrow(`invalid size "${text}": must be positive`);
  });
});
