import { cleanPath } from "@courier/invocation";

export interface InvokeRoute {
  /** Target app id as given (`id`, `id.namespace` or a URL). */
  target: string;
  /** Method, decoded and path-cleaned; normalized later by DirectMessaging. */
  method: string;
  /** Which form named the target; the routing header is not forwarded (spec §4.1). */
  form: "header" | "basic-auth" | "url";
}

export class MalformedPathError extends Error {
  override readonly name = "MalformedPathError";
}

/** Percent-decodes a path like Go's url.PathUnescape (so `%2F` becomes `/`, spec §4.1). */
export function decodePath(raw: string): string {
  if (!raw.includes("%")) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; ) {
    const ch = raw.charCodeAt(i);
    if (ch === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new MalformedPathError(`invalid URL escape "${raw.slice(i, i + 3)}"`);
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      // Keep the original UTF-8 bytes of unescaped characters.
      const cp = raw.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      for (const b of Buffer.from(s, "utf8")) bytes.push(b);
      i += s.length;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function methodFromPath(decodedPath: string): string {
  const cleaned = cleanPath(decodedPath);
  return cleaned === "/" || cleaned === "." ? "" : cleaned.replace(/^\/+/, "");
}

/**
 * Finds target and method in the order daprd does (spec §4.1): `dapr-app-id` header, then
 * basic auth `dapr-app-id:<id>`, then `/v1.0/invoke/<id>/method/<method>`.
 */
export function routeInvocation(
  rawPath: string,
  headers: { "dapr-app-id"?: string | string[]; authorization?: string },
): InvokeRoute | undefined {
  const decoded = decodePath(rawPath);
  const headerId = headers["dapr-app-id"];
  const idFromHeader = Array.isArray(headerId) ? headerId[0] : headerId;
  if (idFromHeader) return { target: idFromHeader.trim(), method: methodFromPath(decoded), form: "header" };

  const auth = headers.authorization;
  if (auth && /^basic\s+/i.test(auth)) {
    const creds = Buffer.from(auth.replace(/^basic\s+/i, "").trim(), "base64").toString("utf8");
    const colon = creds.indexOf(":");
    if (colon > 0 && creds.slice(0, colon).toLowerCase() === "dapr-app-id" && creds.length > colon + 1) {
      return { target: creds.slice(colon + 1), method: methodFromPath(decoded), form: "basic-auth" };
    }
  }

  // spec §4.1 form 3: segments v1.0 / invoke (repeated slashes tolerated), then <id>/method/<m>.
  // `s`: a decoded CR/LF must reach method normalization (rejected there, §2.3), not read as "no app id".
  const match = /^\/+v1\.0\/+invoke\/+(.*)$/s.exec(decoded);
  if (!match) return undefined;
  const rest = match[1]!;
  const at = rest.indexOf("/method/");
  if (at <= 0) return undefined;
  const target = rest.slice(0, at);
  let method = cleanPath(rest.slice(at + "/method/".length));
  if (method === ".") method = "";
  return { target, method, form: "url" };
}
