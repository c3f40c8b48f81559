import type { BodyStream } from "./body.js";
import type { Metadata } from "./metadata.js";

/** HTTPExtension.Verb names (spec §1.4); NONE marks a call that is not HTTP-shaped. */
export const HTTP_VERBS = ["NONE", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] as const;
export type HttpVerb = (typeof HTTP_VERBS)[number];

/** One invocation, transport-agnostic: built by an API server, read by channels. */
export interface InvokeRequest {
  /** The method/path as given; DirectMessaging and the callee normalize it (spec §2.3). */
  method: string;
  verb: HttpVerb;
  /** Raw, already-encoded query string without `?`. */
  query: string;
  contentType: string;
  /** `data.type_url` of the body; empty for plain bytes. */
  dataTypeUrl: string;
  metadata: Metadata;
  body: BodyStream;
  /**
   * Known body length. Undefined means a streaming (chunked) body: it gets no replay buffer
   * and is never retried (spec §4.2, §5.5).
   */
  contentLength?: number;
}

export function isHttpVerb(value: string): value is HttpVerb {
  return (HTTP_VERBS as readonly string[]).includes(value);
}
