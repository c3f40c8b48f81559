/** RFC 9110 `tchar`: the bytes allowed in a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True if `name` is a valid HTTP header field name (an RFC 9110 token). */
export function isHeaderToken(name: string): boolean {
  return TOKEN.test(name);
}

/**
 * Go's `textproto.CanonicalMIMEHeaderKey`: the spelling a Go server stores request headers
 * under, and hence the key daprd puts into InternalInvokeRequest.metadata (spec §2.7.1 TS
 * note). The first letter and every letter after `-` are upper-cased, the rest lower-cased.
 * A name holding a byte that is not a token character (a space, `:`, non-ASCII…) is returned
 * unchanged, as Go does. Canonical spelling matters on the wire: §2.7.3 matches it exactly.
 */
export function canonicalHeaderKey(name: string): string {
  if (!TOKEN.test(name)) return name;
  let out = "";
  let upper = true;
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === "-";
  }
  return out;
}
