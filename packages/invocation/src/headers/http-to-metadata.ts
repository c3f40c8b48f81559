import { Metadata } from "../model/metadata.js";
import { canonicalHeaderKey } from "./canonical-key.js";
import { connectionNominated, isHopByHopHeader } from "./hop-by-hop.js";

export interface HttpToMetadataOptions {
  /**
   * Further names to leave out, compared case-insensitively. The API server passes
   * `dapr-app-id` when it routed by that header (spec §4.1 form 1), `authorization` when it
   * routed by basic auth (§11 row 2) and always `dapr-api-token` (§11 row 3).
   */
  readonly drop?: readonly string[];
}

/**
 * An app's HTTP request headers as InternalInvokeRequest.metadata (spec §2.7.1).
 *
 * Takes Node's `req.rawHeaders` (`[name, value, name, value, …]`, wire order, wire spelling)
 * and stores each header under its Go-canonical name, the key a daprd caller would produce,
 * so a daprd callee treats Courier's metadata identically (the §2.7.3 `dapr-` prefixing
 * matches canonical names exactly). Repeated headers keep every value in order.
 *
 * Left out, because a Go server never puts them in its header map or they describe only the
 * app→sidecar connection: `Host`, `Transfer-Encoding`, HTTP/2 pseudo-headers (`:path`…), the
 * hop-by-hop headers and any header the request's `Connection` header nominates. `Content-Length`
 * is kept: the HTTP app channel uses it as the request length (spec §3.4).
 */
export function metadataFromHttpHeaders(rawHeaders: readonly string[], opts: HttpToMetadataOptions = {}): Metadata {
  const drop = new Set((opts.drop ?? []).map((name) => name.toLowerCase()));
  const connectionValues: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === "connection") connectionValues.push(rawHeaders[i + 1]!);
  }
  const nominated = connectionNominated(connectionValues);

  const md = new Metadata();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === "host" || lower === "transfer-encoding" || lower.startsWith(":")) continue;
    if (isHopByHopHeader(lower) || nominated.has(lower) || drop.has(lower)) continue;
    md.append(canonicalHeaderKey(name), rawHeaders[i + 1]!);
  }
  return md;
}
