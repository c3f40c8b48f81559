import type { ServiceError } from "@grpc/grpc-js";
import { GrpcCode, InvocationError } from "../errors.js";

/** A grpc-js call error as an InvocationError that keeps the gRPC code. */
export function fromServiceError(err: unknown): InvocationError {
  if (err instanceof InvocationError) return err;
  const e = err as Partial<ServiceError> & { message?: string };
  if (typeof e?.code === "number") {
    return new InvocationError(e.code as GrpcCode, e.details || e.message || "unknown error", { cause: err });
  }
  return new InvocationError(GrpcCode.Unknown, e?.message ?? String(err), { cause: err });
}

/** An error as the `{code, details}` object grpc-js sends as a status. */
export function toStatusObject(err: unknown): { code: number; details: string } {
  if (err instanceof InvocationError) return { code: err.code, details: err.message };
  return { code: GrpcCode.Internal, details: (err as Error)?.message ?? String(err) };
}
