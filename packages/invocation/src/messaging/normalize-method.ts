import { GrpcCode, InvocationError } from "../errors.js";
import { cleanPath } from "./clean-path.js";

/**
 * daprd's method normalization (spec §2.3), applied once and then used for routing, ACL and
 * dispatch alike (design.md, deliberate differences). The input is the already-decoded method:
 * the HTTP API percent-decodes first, gRPC input is literal, and `%xx` is never decoded here.
 *
 * Throws `InvocationError(InvalidArgument, "invalid method: …")` on a rejected method; the text
 * after the prefix follows daprd's wording so HTTP error bodies read the same (spec §4.3).
 */
export function normalizeMethod(method: string): string {
  // Step 1: `#` and `?` would turn into a URL fragment/query when the app URL is built; NUL
  // truncates C strings downstream.
  if (/[#?\0]/.test(method)) {
    throw invalid(`method contains forbidden character: ${goQuote(method)}`);
  }
  // Step 2: control characters (tab, CR and LF included) enable header/log injection.
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      // daprd reports the byte offset in the UTF-8 string, not a UTF-16 index.
      const position = Buffer.byteLength(method.slice(0, i), "utf8");
      throw invalid(`method contains control character at position ${position}: ${goQuote(method)}`);
    }
  }
  // Step 3: resolve dot segments so `admin/../public` is checked by the ACL as `public`.
  let cleaned = cleanPath(method);
  // Step 4: a rootless input can keep leading `../` after cleaning (`../../etc/passwd`).
  while (cleaned.startsWith("../")) cleaned = cleaned.slice(3);
  // Step 5: `..` and `.` (Clean's answer for "empty") mean "no method".
  if (cleaned === ".." || cleaned === ".") return "";
  return cleaned;
}

function invalid(reason: string): InvocationError {
  return new InvocationError(GrpcCode.InvalidArgument, `invalid method: ${reason}`);
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const NAMED_ESCAPES: Record<number, string> = {
  0x07: "\\a",
  0x08: "\\b",
  0x0c: "\\f",
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
  0x0b: "\\v",
};

/** Go's `%q` (strconv.Quote), so the rejection text matches daprd's byte for byte. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    // A lone surrogate reaches Go as U+FFFD once the string is UTF-8 encoded on the wire.
    if (cp >= 0xd800 && cp <= 0xdfff) out += "\ufffd";
    else if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (cp === 0x20 || PRINTABLE.test(ch)) out += ch;
    else if (NAMED_ESCAPES[cp] !== undefined) out += NAMED_ESCAPES[cp];
    else if (cp < 0x80) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}
