import { hostname, networkInterfaces } from "node:os";
import type { NetworkInterfaceInfo } from "node:os";

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * This sidecar's IP for `X-Forwarded-For`/`Forwarded` (spec §2.6): `DAPR_HOST_IP` if set, else
 * the best interface address.
 *
 * daprd asks the kernel which source address a UDP "dial" to a documentation address would use;
 * Courier deliberately does not, so it never touches a socket off loopback. Instead, in order:
 * a non-internal private IPv4 (10/8, 172.16/12, 192.168/16), any other non-internal IPv4 except
 * link-local 169.254/16 and the CLAT range 192.0.0.0/29, a non-internal IPv6 unicast address
 * that is not link-local, and finally `127.0.0.1`. Ties go to the first interface listed.
 */
export function detectHostIp(
  env: NodeJS.ProcessEnv = process.env,
  interfaces: Interfaces = networkInterfaces(),
): string {
  const fromEnv = env["DAPR_HOST_IP"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;

  const addresses = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((info) => !info.internal);
  const v4 = addresses.filter((info) => isFamily(info, 4)).map((info) => info.address);
  const v6 = addresses.filter((info) => isFamily(info, 6)).map((info) => info.address);
  return (
    v4.find(isPrivateIPv4) ??
    v4.find((ip) => !isLinkLocalIPv4(ip) && !isClatIPv4(ip)) ??
    v6.find(isGlobalIPv6) ??
    "127.0.0.1"
  );
}

/** The OS hostname, for `X-Forwarded-Host` and `Forwarded: host=` (spec §2.6). */
export function detectHostname(): string {
  return hostname();
}

function isFamily(info: NetworkInterfaceInfo, version: 4 | 6): boolean {
  // Node 18.0–18.3 reported the family as a number; later versions as "IPv4"/"IPv6".
  const family: unknown = info.family;
  return family === `IPv${version}` || family === version;
}

function ipv4Octets(ip: string): number[] {
  return ip.split(".").map(Number);
}

function isPrivateIPv4(ip: string): boolean {
  const [a, b] = ipv4Octets(ip) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

function isLinkLocalIPv4(ip: string): boolean {
  const [a, b] = ipv4Octets(ip) as [number, number];
  return a === 169 && b === 254;
}

// 192.0.0.0/29: the 464XLAT (CLAT) range, not reachable from other hosts.
function isClatIPv4(ip: string): boolean {
  const [a, b, c, d] = ipv4Octets(ip) as [number, number, number, number];
  return a === 192 && b === 0 && c === 0 && d <= 7;
}

function isGlobalIPv6(ip: string): boolean {
  const lower = ip.toLowerCase();
  if (lower === "::" || lower === "::1") return false;
  const first = Number.parseInt(lower.split(":")[0] || "0", 16);
  const linkLocal = (first & 0xffc0) === 0xfe80; // fe80::/10
  const multicast = (first & 0xff00) === 0xff00; // ff00::/8
  return !linkLocal && !multicast;
}
