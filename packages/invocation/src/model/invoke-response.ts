import type { Any } from "@bufbuild/protobuf/wkt";
import type { BodyStream } from "./body.js";
import type { Metadata } from "./metadata.js";

/** The callee app's answer, as InternalInvokeResponse carries it (spec §1.3). */
export interface InvokeResponse {
  /** HTTP status (100–599) for HTTP apps, gRPC code (0–16) for gRPC apps. */
  status: number;
  /** gRPC status message (gRPC apps). */
  statusMessage: string;
  statusDetails: Any[];
  headers: Metadata;
  trailers: Metadata;
  contentType: string;
  dataTypeUrl: string;
  body: BodyStream;
}

/** Status codes 0–16 are gRPC codes; HTTP statuses start at 100 (spec §4.3). */
export function isGrpcStatus(status: number): boolean {
  return status >= 0 && status <= 16;
}
