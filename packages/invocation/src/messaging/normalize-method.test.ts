import { describe, expect, it } from "vitest";
import { GrpcCode, InvocationError } from "../errors.js";
import { normalizeMethod } from "./normalize-method.js";

describe("normalizeMethod", () => {
  // spec §2.3 table, every row
  it.each([
    ["admin/../public", "public"],
    ["../../etc/passwd", "etc/passwd"],
    ["api///v1///users", "api/v1/users"],
    ["public/", "public"],
    ["/admin/../public", "/public"],
    ["test%25stream", "test%25stream"],
  ])("spec table: %j → %j", (input, expected) => {
    expect(normalizeMethod(input)).toBe(expected);
  });

  it.each([
    // unchanged
    ["mymethod", "mymethod"],
    ["api/v1/users", "api/v1/users"],
    ["/", "/"],
    ["/api", "/api"],
    // spec §2.3: passed through unchanged
    ["test%stream", "test%stream"],
    ["test%2Fstream", "test%2Fstream"],
    ["a%2F..%2Fb", "a%2F..%2Fb"],
    ['test"stream', 'test"stream'],
    ["test*stream", "test*stream"],
    ["test\\stream", "test\\stream"],
    ["a;b=c", "a;b=c"],
    ["a b", "a b"],
    ["café/menü", "café/menü"],
    ["日本語", "日本語"],
    // U+0080–U+009F are not ASCII controls; daprd checks bytes < 0x20 and 0x7f only.
    ["a\u0085b", "a\u0085b"],
    // step 5: empty, `.` and `..` are "no method"
    ["", ""],
    [".", ""],
    ["..", ""],
    ["./", ""],
    ["../", ""],
    ["a/..", ""],
    ["a/../..", ""],
    ["a/b/../../..", ""],
    // step 4: leading `../` stripped repeatedly
    ["../x", "x"],
    ["../../../x/y", "x/y"],
    ["a/../../b", "b"],
    ["./../x", "x"],
    // rooted paths cannot climb above `/`
    ["/..", "/"],
    ["/../admin", "/admin"],
    ["//admin//", "/admin"],
    ["/./a/./b/.", "/a/b"],
    // `...` is an ordinary segment
    [".../x", ".../x"],
  ])("%j → %j", (input, expected) => {
    expect(normalizeMethod(input)).toBe(expected);
  });

  it("is idempotent on accepted input", () => {
    for (const input of ["admin/../public", "../../etc/passwd", "/a//b/../c/", "x/./y/.."]) {
      const once = normalizeMethod(input);
      expect(normalizeMethod(once)).toBe(once);
    }
  });

  it.each([
    ["test#x", 'invalid method: method contains forbidden character: "test#x"'],
    ["test?x", 'invalid method: method contains forbidden character: "test?x"'],
    ["a\x00b", 'invalid method: method contains forbidden character: "a\\x00b"'],
    ["#", 'invalid method: method contains forbidden character: "#"'],
    ["a/b?c=d", 'invalid method: method contains forbidden character: "a/b?c=d"'],
    // the forbidden-character check comes first, as in daprd
    ["a\tb#", 'invalid method: method contains forbidden character: "a\\tb#"'],
    ["a\tb", 'invalid method: method contains control character at position 1: "a\\tb"'],
    ["\nx", 'invalid method: method contains control character at position 0: "\\nx"'],
    ["x\r", 'invalid method: method contains control character at position 1: "x\\r"'],
    ["a\x01b", 'invalid method: method contains control character at position 1: "a\\x01b"'],
    ["a\x1fb", 'invalid method: method contains control character at position 1: "a\\x1fb"'],
    ["a\x7fb", 'invalid method: method contains control character at position 1: "a\\x7fb"'],
    // the position is a UTF-8 byte offset, as daprd reports it
    ["é\x01", 'invalid method: method contains control character at position 2: "é\\x01"'],
    ['q"\\\x1b', 'invalid method: method contains control character at position 3: "q\\"\\\\\\x1b"'],
  ])("rejects %j", (input, message) => {
    let caught: unknown;
    try {
      normalizeMethod(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvocationError);
    const err = caught as InvocationError;
    expect(err.code).toBe(GrpcCode.InvalidArgument);
    expect(err.message).toBe(message);
    expect(err.rpcText).toBe(`rpc error: code = InvalidArgument desc = ${message}`);
  });

  it("rejects every control byte 0x01–0x1F and 0x7F, and nothing else in ASCII except # ? NUL", () => {
    for (let c = 0; c < 0x80; c++) {
      const input = `a${String.fromCharCode(c)}b`;
      const rejected = c < 0x20 || c === 0x7f || c === 0x23 || c === 0x3f;
      if (rejected) expect(() => normalizeMethod(input), `0x${c.toString(16)}`).toThrow(InvocationError);
      else expect(() => normalizeMethod(input), `0x${c.toString(16)}`).not.toThrow();
    }
  });
});
