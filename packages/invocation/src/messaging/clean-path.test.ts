import { describe, expect, it } from "vitest";
import { cleanPath } from "./clean-path.js";

// Expected values are Go's path.Clean results (its own test table plus edge cases).
const cases: [input: string, expected: string][] = [
  // already clean
  ["", "."],
  ["abc", "abc"],
  ["abc/def", "abc/def"],
  ["a/b/c", "a/b/c"],
  [".", "."],
  ["..", ".."],
  ["../..", "../.."],
  ["../../abc", "../../abc"],
  ["/abc", "/abc"],
  ["/", "/"],
  // trailing slash removed
  ["abc/", "abc"],
  ["abc/def/", "abc/def"],
  ["a/b/c/", "a/b/c"],
  ["./", "."],
  ["../", ".."],
  ["../../", "../.."],
  ["/abc/", "/abc"],
  // doubled slashes collapse
  ["abc//def//ghi", "abc/def/ghi"],
  ["//abc", "/abc"],
  ["///abc", "/abc"],
  ["//abc//", "/abc"],
  ["abc//", "abc"],
  ["//", "/"],
  ["///", "/"],
  // `.` removed
  ["abc/./def", "abc/def"],
  ["/./abc/def", "/abc/def"],
  ["abc/.", "abc"],
  ["./abc", "abc"],
  ["/.", "/"],
  // `..` resolved
  ["abc/def/ghi/../jkl", "abc/def/jkl"],
  ["abc/def/../ghi/../jkl", "abc/jkl"],
  ["abc/def/..", "abc"],
  ["abc/def/../..", "."],
  ["/abc/def/../..", "/"],
  ["abc/def/../../..", ".."],
  ["/abc/def/../../..", "/"],
  ["abc/def/../../../ghi/jkl/../../../mno", "../../mno"],
  ["/..", "/"],
  ["/../..", "/"],
  ["/../abc", "/abc"],
  ["../abc/..", ".."],
  // combinations
  ["abc/./../def", "def"],
  ["abc//./../def", "def"],
  ["abc/../../././../def", "../../def"],
  // not special to path.Clean
  ["...", "..."],
  ["a/.../b", "a/.../b"],
  ["..a/b", "..a/b"],
  ["a/b..", "a/b.."],
  ["a%2F..%2Fb", "a%2F..%2Fb"],
  ["a\\..\\b", "a\\..\\b"],
  ["ü/./ö", "ü/ö"],
];

describe("cleanPath (Go path.Clean)", () => {
  it.each(cases)("%j → %j", (input, expected) => {
    expect(cleanPath(input)).toBe(expected);
  });

  it("is idempotent", () => {
    for (const [input] of cases) expect(cleanPath(cleanPath(input))).toBe(cleanPath(input));
  });
});
