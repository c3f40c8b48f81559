import { describe, expect, it } from "vitest";
import { decodeBase64Std, encodeBase64Std } from "./base64-std.js";

describe("base64 (standard alphabet, padded)", () => {
  it.each([
    ["", []],
    ["AA==", [0]],
    ["AAE=", [0, 1]],
    ["AAEC", [0, 1, 2]],
    ["/+8=", [0xff, 0xef]],
    ["aGVsbG8=", [...Buffer.from("hello")]],
    // Go's decoder ignores CR and LF
    ["aGVs\r\nbG8=", [...Buffer.from("hello")]],
    // non-zero trailing bits are accepted (StdEncoding is not Strict)
    ["AB==", [0]],
  ])("decodes %j", (text, bytes) => {
    expect(decodeBase64Std(text)).toEqual(new Uint8Array(bytes));
  });

  it.each([
    "A",
    "AA",
    "AAA",
    "AA=",
    "AA=A",
    "A===",
    "AAAA=",
    "-_8=", // URL alphabet
    "aGVsbG8", // missing padding
    "aGVs bG8=",
    "aGVsbG8=\t",
    "Zm9v!",
    "====",
  ])("rejects %j", (text) => {
    expect(decodeBase64Std(text)).toBeUndefined();
  });

  it("round-trips every byte value", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = encodeBase64Std(bytes);
    expect(text.endsWith("=")).toBe(true);
    expect(decodeBase64Std(text)).toEqual(bytes);
  });

  it("encodes only the view of a subarray", () => {
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
    expect(encodeBase64Std(backing.subarray(2, 5))).toBe("AQID");
  });
});
