import { InvalidStatusCodesError } from "./errors.js";

/** Inclusive bounds of a status-code family. */
export interface StatusCodeBounds {
  readonly min: number;
  readonly max: number;
}

/** Codes Dapr accepts in `matching.httpStatusCodes` (spec §5.1). */
export const HTTP_STATUS_CODE_BOUNDS: StatusCodeBounds = { min: 100, max: 599 };
/** Codes Dapr accepts in `matching.gRPCStatusCodes` (spec §5.1). */
export const GRPC_STATUS_CODE_BOUNDS: StatusCodeBounds = { min: 0, max: 16 };

export type StatusCodePredicate = (code: number) => boolean;

/**
 * Parse a resiliency `matching` list such as `"429,500-599"` (spec §5.1): comma-separated
 * items, each `N` or `A-B` with A ≤ B, both inside `bounds`; empty items are ignored. Throws
 * `InvalidStatusCodesError` naming the first bad item.
 *
 * The predicate is false for every code outside `bounds`, and a list with no items matches
 * every code inside them: Dapr retries all codes of a family whose list is empty or absent
 * and none outside both families (spec §5.5), so
 * `http(code) || grpc(code)` is the whole `matching` rule.
 *
 * Whitespace around items and numbers is tolerated (Dapr rejects it), so every list Dapr
 * accepts means the same here. Unlike Dapr, a list of only commas counts as empty (match
 * all) rather than as an empty allow-list (match none).
 */
export function parseStatusCodeRanges(input: string, bounds: StatusCodeBounds): StatusCodePredicate {
  const { min, max } = bounds;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min <= max)) {
    throw new RangeError(`parseStatusCodeRanges: bounds must be integers with min <= max, got ${min}-${max}`);
  }

  const ranges: Array<readonly [number, number]> = [];
  for (const raw of input.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const match = /^(\d+)\s*(?:-\s*(\d+))?$/.exec(item);
    if (match === null) {
      throw new InvalidStatusCodesError(input, item, "expected a code N or a range A-B");
    }
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    for (const code of [start, end]) {
      if (code < min || code > max) {
        throw new InvalidStatusCodesError(input, item, `${code} is outside ${min}-${max}`);
      }
    }
    if (start > end) {
      throw new InvalidStatusCodesError(input, item, `range start ${start} is greater than its end ${end}`);
    }
    ranges.push([start, end]);
  }

  const inBounds = (code: number): boolean => code >= min && code <= max;
  if (ranges.length === 0) return inBounds;
  return (code) => inBounds(code) && ranges.some(([start, end]) => code >= start && code <= end);
}
