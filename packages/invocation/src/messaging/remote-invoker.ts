import type { InvokeContext } from "../model/invoke-context.js";
import type { InvokeRequest } from "../model/invoke-request.js";
import type { InvokeResponse } from "../model/invoke-response.js";

/**
 * The transport DirectMessaging uses to reach another sidecar: in Courier the internal gRPC
 * client (CallLocalStream with CallLocal fallback); a test can plug in anything.
 */
export interface RemoteInvoker {
  /**
   * Sends one attempt to the sidecar at `address`. Transport failures are InvocationErrors whose
   * code says what happened (Unavailable for connection failures).
   */
  invoke(address: string, req: InvokeRequest, ctx: InvokeContext): Promise<InvokeResponse>;
  /** Drops the pooled connection to `address`, so the next attempt dials again (spec §2.9). */
  reset(address: string): void;
  close(): Promise<void>;
}
