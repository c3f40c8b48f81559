/**
 * Hop-by-hop headers (spec §2.7.2): they describe one connection, so a proxy never forwards
 * them. Lower-case; compare with a lower-cased name.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "te",
  "trailer",
  "proxy-authorization",
  "proxy-authenticate",
]);

export function isHopByHopHeader(name: string): boolean {
  return HOP_BY_HOP_HEADERS.has(name.toLowerCase());
}

/**
 * The header names a `Connection` header nominates as hop-by-hop (RFC 9110 §7.6.1; spec
 * §2.7.2): every value is a comma-separated token list, compared case-insensitively, so the
 * result is lower-cased. Empty list elements (`a,,b`) are allowed by the list syntax and skipped.
 */
export function connectionNominated(values: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const value of values) {
    for (const token of value.split(",")) {
      const name = token.replace(/^[ \t]+|[ \t]+$/g, "").toLowerCase();
      if (name !== "") names.add(name);
    }
  }
  return names;
}
