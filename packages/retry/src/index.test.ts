import { describe, expect, it } from "vitest";
import * as api from "./index.js";

describe("@courier/retry public surface", () => {
  it("exports exactly the documented runtime values", () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        "ConstantBackoff",
        "DAPR_EXPONENTIAL_DEFAULTS",
        "ErrorCode",
        "ExponentialBackoff",
        "GRPC_STATUS_CODE_BOUNDS",
        "HTTP_STATUS_CODE_BOUNDS",
        "InvalidStatusCodesError",
        "MAX_TIMER_DELAY_MS",
        "RetriesExhaustedError",
        "RetryPolicy",
        "TimeoutError",
        "TimeoutPolicy",
        "isAbortError",
        "parseStatusCodeRanges",
        "retry",
        "sleep",
        "timeout",
        "wrap",
      ].sort(),
    );
  });
});
