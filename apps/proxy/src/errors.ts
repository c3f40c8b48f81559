/**
 * Every error code Courier's APIs answer with, with its HTTP status — one table, as fastify's
 * lib/errors.js (spec §4.3, §4.4). The README lists the same table.
 */
export const API_ERRORS = {
  ERR_DIRECT_INVOKE: { status: 500, description: "the invocation failed before the target app answered" },
  ERR_DIRECT_INVOKE_NO_APP_ID: { status: 404, code: "ERR_DIRECT_INVOKE", description: "no target app id in the URL, dapr-app-id header or basic auth" },
  ERR_DIRECT_INVOKE_FORBIDDEN: { status: 403, code: "ERR_DIRECT_INVOKE", description: "the callee's access control denied the call" },
  ERR_HEALTH_NOT_READY: { status: 500, description: "Courier is not ready to serve invocations yet" },
  ERR_HEALTH_APPID_NOT_MATCH: { status: 500, description: "healthz?appid= names another app" },
  ERR_OUTBOUND_HEALTH_NOT_READY: { status: 500, description: "Courier cannot make outbound calls yet" },
  ERR_MALFORMED_REQUEST: { status: 400, description: "the request line or URL could not be parsed" },
  ERR_METADATA_SET: { status: 400, description: "PUT /v1.0/metadata/{key} without a key" },
  ERR_API_TOKEN: { status: 401, description: "DAPR_API_TOKEN is set and the request's dapr-api-token differs (plain-text body `invalid api token`)" },
} as const;

export type ApiErrorName = keyof typeof API_ERRORS;

export interface ApiErrorBody {
  errorCode: string;
  message: string;
}

export function apiError(name: ApiErrorName, message: string): { status: number; body: ApiErrorBody } {
  const entry = API_ERRORS[name] as { status: number; code?: string };
  return { status: entry.status, body: { errorCode: entry.code ?? name, message } };
}
