import { isIPv6 } from "node:net";
import type { AppIdentity } from "../model/invoke-context.js";
import type { Metadata } from "../model/metadata.js";

/** Names the sidecars own; a value from anywhere else is a spoof or a leak. */
export const IDENTITY_HEADERS = [
  "dapr-caller-app-id",
  "dapr-caller-namespace",
  "dapr-callee-app-id",
  "destination-app-id",
  "dapr-api-token",
] as const;

/**
 * Removes every casing of the identity headers (Metadata.delete is case-insensitive). daprd only
 * does this on the local path and stamps the remote path under lower-case keys, so a caller's
 * `Dapr-Caller-App-Id` rides along next to the real one (spec §11 row 1); Courier strips on every
 * path. `dapr-api-token` is included because it must never be forwarded (§11 row 3).
 */
export function stripIdentityHeaders(md: Metadata): Metadata {
  for (const name of IDENTITY_HEADERS) md.delete(name);
  return md;
}

/** Local (self) call, spec §2.1 step 4: identity stamps only, no X-Forwarded-* or destination. */
export function stampLocalCall(md: Metadata, own: AppIdentity): Metadata {
  stripIdentityHeaders(md);
  md.set("dapr-caller-namespace", own.namespace);
  md.set("dapr-caller-app-id", own.appId);
  md.set("dapr-callee-app-id", own.appId);
  return md;
}

export interface RemoteCallStamp {
  readonly caller: AppIdentity;
  readonly targetAppId: string;
  /** This sidecar's host IP (host-info.ts); the `for`/`by` parts are omitted when unknown. */
  readonly hostIp?: string;
  /** This sidecar's hostname; `X-Forwarded-Host` and the `host` part are omitted when unknown. */
  readonly hostname?: string;
}

/**
 * Remote call, spec §2.6. The forwarding headers are appended under their exact spellings so a
 * chain of proxies accumulates (`X-Forwarded-For: <app's proxy>, <this sidecar>`); the identity
 * headers are set after stripping every caller-supplied casing (§11 row 1).
 */
export function stampRemoteCall(md: Metadata, stamp: RemoteCallStamp): Metadata {
  stripIdentityHeaders(md);
  const ip = stamp.hostIp !== undefined && stamp.hostIp !== "" ? stamp.hostIp : undefined;
  const hostname = stamp.hostname !== undefined && stamp.hostname !== "" ? stamp.hostname : undefined;
  if (ip !== undefined) md.append("X-Forwarded-For", ip);
  if (hostname !== undefined) md.append("X-Forwarded-Host", hostname);
  const forwarded = forwardedValue(ip, hostname);
  if (forwarded !== "") md.append("Forwarded", forwarded);
  md.set("destination-app-id", stamp.targetAppId);
  md.set("dapr-caller-namespace", stamp.caller.namespace);
  md.set("dapr-caller-app-id", stamp.caller.appId);
  md.set("dapr-callee-app-id", stamp.targetAppId);
  return md;
}

/**
 * `for=<ip>;by=<ip>;host=<hostname>` (spec §2.6): both `for` and `by` are this sidecar. RFC 7239
 * §6 requires an IPv6 node to be bracketed and quoted; a hostname that is not a token is quoted.
 */
export function forwardedValue(ip: string | undefined, hostname: string | undefined): string {
  const parts: string[] = [];
  if (ip !== undefined) {
    const node = isIPv6(ip) ? `"[${ip}]"` : ip;
    parts.push(`for=${node}`, `by=${node}`);
  }
  if (hostname !== undefined) parts.push(`host=${tokenOrQuoted(hostname)}`);
  return parts.join(";");
}

function tokenOrQuoted(value: string): string {
  if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value)) return value;
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}
