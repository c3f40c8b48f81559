import { STATUS_CODES } from "node:http";
import { GrpcCode } from "../errors.js";

// spec §4.3: a gRPC app's status code as the HTTP status the calling app sees.
const HTTP_FROM_GRPC: Readonly<Record<number, number>> = {
  [GrpcCode.OK]: 200,
  [GrpcCode.Canceled]: 408,
  [GrpcCode.Unknown]: 500,
  [GrpcCode.InvalidArgument]: 400,
  [GrpcCode.DeadlineExceeded]: 504,
  [GrpcCode.NotFound]: 404,
  [GrpcCode.AlreadyExists]: 409,
  [GrpcCode.PermissionDenied]: 403,
  [GrpcCode.ResourceExhausted]: 429,
  // Deliberately not 412 (daprd follows grpc-gateway here).
  [GrpcCode.FailedPrecondition]: 400,
  [GrpcCode.Aborted]: 409,
  [GrpcCode.OutOfRange]: 400,
  [GrpcCode.Unimplemented]: 501,
  [GrpcCode.Internal]: 500,
  [GrpcCode.Unavailable]: 503,
  [GrpcCode.DataLoss]: 500,
  [GrpcCode.Unauthenticated]: 401,
};

/** spec §4.3 table; any code outside 0–16 is 500. */
export function httpStatusFromGrpcCode(code: number): number {
  return HTTP_FROM_GRPC[code] ?? 500;
}

// spec §4.5: the HTTP statuses with their own gRPC code; note 400 → Internal, not InvalidArgument.
const GRPC_FROM_HTTP: Readonly<Record<number, GrpcCode>> = {
  400: GrpcCode.Internal,
  401: GrpcCode.Unauthenticated,
  403: GrpcCode.PermissionDenied,
  404: GrpcCode.NotFound,
  408: GrpcCode.Canceled,
  409: GrpcCode.AlreadyExists,
  429: GrpcCode.ResourceExhausted,
  500: GrpcCode.Unknown,
  501: GrpcCode.Unimplemented,
  503: GrpcCode.Unavailable,
  504: GrpcCode.DeadlineExceeded,
};

/** spec §4.5 list: any 2xx is OK, the listed statuses map as given, everything else is Unknown. */
export function grpcCodeFromHttpStatus(status: number): GrpcCode {
  const mapped = GRPC_FROM_HTTP[status];
  if (mapped !== undefined) return mapped;
  if (status >= 200 && status < 300) return GrpcCode.OK;
  return GrpcCode.Unknown;
}

// daprd puts Go's http.StatusText into gRPC error messages and ErrorInfo.reason (spec §4.5);
// Node's table spells these differently, so Go's spelling wins where they disagree.
const GO_SPELLING: Readonly<Record<number, string>> = {
  413: "Request Entity Too Large",
  414: "Request URI Too Long",
  416: "Requested Range Not Satisfiable",
  418: "I'm a teapot",
};
// Go has no text for these (StatusText returns ""), Node does.
const UNKNOWN_TO_GO: ReadonlySet<number> = new Set([509]);

/** The reason phrase daprd uses for `status` (`Not Found`); "" for a status Go does not name. */
export function httpReasonPhrase(status: number): string {
  if (UNKNOWN_TO_GO.has(status)) return "";
  return GO_SPELLING[status] ?? STATUS_CODES[status] ?? "";
}
