import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";

/** The callee-side link to the local app (HTTP via undici, or gRPC AppCallback). */
export interface AppChannel {
  readonly protocol: "http" | "https" | "h2c" | "grpc" | "grpcs";
  invoke(req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse>;
  /** Resolves true when the app answers at all (used for readiness). */
  probe(signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}
