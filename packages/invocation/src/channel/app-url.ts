import { cleanPath } from "../messaging/clean-path.js";

// RFC 3986 pchar minus pct-encoded: unreserved, sub-delims, ":" and "@" stay as they are.
const PCHAR_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

function encodeSegment(segment: string): string {
  let out = "";
  for (const ch of segment) {
    if (PCHAR_SAFE.test(ch)) out += ch;
    else out += encodeURIComponent(ch);
  }
  return out;
}

/**
 * Builds the request target for the app from the normalized method and the raw query.
 *
 * Deliberate difference from daprd (spec §11 row 14): each path segment is percent-encoded
 * again, so a method that contains a literal `%`, `"`, `\` or space reaches the app as that
 * text instead of failing URL parsing (500) or being re-interpreted as an escape.
 */
export function appRequestTarget(method: string, query: string): string {
  let path = cleanPath(method);
  if (path === ".") path = "";
  const encoded = path
    .split("/")
    .map((segment) => encodeSegment(segment))
    .join("/");
  const target = encoded.startsWith("/") ? encoded : `/${encoded}`;
  return query ? `${target}?${query}` : target;
}
