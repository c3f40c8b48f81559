import { GrpcCode, InvocationError } from "../errors.js";

/** Where an invocation goes, as named by the caller (spec §2.2). */
export type AppTarget =
  | { readonly kind: "app"; readonly appId: string; readonly namespace: string }
  /** External invocation: the whole input is the base URL (spec §2.1 step 3). */
  | { readonly kind: "url"; readonly url: string };

/**
 * Parses `id` or `id.namespace` (spec §2.2). The dot is the namespace separator, so an app id
 * can never contain one and a second dot is an error. Id and namespace are returned exactly as
 * split (daprd does not trim or reject empty halves; `app.` names namespace "").
 */
export function parseAppId(input: string, ownNamespace: string): AppTarget {
  if (input === "") throw new InvocationError(GrpcCode.InvalidArgument, "app id is empty");
  // Checked before the dot rule: a URL always has dots in its host.
  if (input.startsWith("http://") || input.startsWith("https://")) return { kind: "url", url: input };
  const parts = input.split(".");
  if (parts.length === 1) return { kind: "app", appId: input, namespace: ownNamespace };
  if (parts.length === 2) return { kind: "app", appId: parts[0]!, namespace: parts[1]! };
  throw new InvocationError(GrpcCode.InvalidArgument, `invalid app id ${input}`);
}
