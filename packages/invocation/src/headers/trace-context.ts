/**
 * Trace context in the two wire forms daprd propagates (spec §2.7.4, §7.2): W3C
 * `traceparent`/`tracestate` text headers and the OpenCensus binary `grpc-trace-bin`.
 */
export interface SpanContext {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
  /** Trace flags byte (bit 0 = sampled). */
  readonly traceFlags: number;
  /** A W3C tracestate list; empty or absent when there is none. */
  readonly traceState?: string;
}

/** daprd writes `tracestate` from a span context only up to this length (spec §2.7.4). */
export const MAX_TRACESTATE_LENGTH = 512;
/** Length of the full OpenCensus binary form daprd writes (spec §2.7.4). */
export const GRPC_TRACE_BIN_LENGTH = 29;

const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);
const LOWER_HEX_2 = /^[0-9a-f]{2}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** A context worth propagating: well-formed ids that are not all zero (W3C trace-context §3.2.2). */
export function isValidSpanContext(sc: SpanContext): boolean {
  return (
    TRACE_ID.test(sc.traceId) &&
    sc.traceId !== ZERO_TRACE_ID &&
    SPAN_ID.test(sc.spanId) &&
    sc.spanId !== ZERO_SPAN_ID &&
    Number.isInteger(sc.traceFlags) &&
    sc.traceFlags >= 0 &&
    sc.traceFlags <= 0xff
  );
}

/**
 * Parses a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`). Version `ff` is invalid;
 * version `00` has exactly four fields; a later version may append fields after the flags,
 * which are ignored (W3C trace-context §3.2.4). Returns undefined for anything invalid.
 */
export function parseTraceparent(value: string): SpanContext | undefined {
  const fields = value.split("-");
  if (fields.length < 4) return undefined;
  const [version, traceId, spanId, flags] = fields as [string, string, string, string];
  if (!LOWER_HEX_2.test(version) || version === "ff") return undefined;
  if (version === "00" && fields.length !== 4) return undefined;
  if (!LOWER_HEX_2.test(flags)) return undefined;
  const sc: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
  return isValidSpanContext(sc) ? sc : undefined;
}

/** The version-00 `traceparent` for `sc` (which should satisfy isValidSpanContext). */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * A span context as lower-case `traceparent` (+ `tracestate`) pairs, as daprd writes them from a
 * span (spec §2.7.4): nothing for an invalid context; tracestate only when non-empty and at
 * most MAX_TRACESTATE_LENGTH characters.
 */
export function spanContextHeaders(sc: SpanContext | undefined): [string, string][] {
  if (sc === undefined || !isValidSpanContext(sc)) return [];
  const headers: [string, string][] = [["traceparent", formatTraceparent(sc)]];
  const state = sc.traceState ?? "";
  if (state !== "" && state.length <= MAX_TRACESTATE_LENGTH) headers.push(["tracestate", state]);
  return headers;
}

// W3C trace-context §3.3.1: list-member keys and values.
const SIMPLE_KEY = /^[a-z][_0-9a-z\-*/]{0,255}$/;
const MULTI_TENANT_KEY = /^[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13}$/;
const MEMBER_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_LIST_MEMBERS = 32;

/**
 * Validates a W3C `tracestate` and returns it re-joined without optional whitespace or empty
 * members; undefined if any member is malformed, a key repeats, or there are more than 32
 * members. daprd treats an invalid tracestate as empty when it builds a span context from a
 * traceparent (spec §2.7.3), and so should callers.
 */
export function parseTracestate(value: string): string | undefined {
  const members: string[] = [];
  const keys = new Set<string>();
  for (const raw of value.split(",")) {
    const member = raw.replace(/^[ \t]+|[ \t]+$/g, "");
    if (member === "") continue;
    const eq = member.indexOf("=");
    if (eq < 0) return undefined;
    const key = member.slice(0, eq);
    const memberValue = member.slice(eq + 1);
    if (!SIMPLE_KEY.test(key) && !MULTI_TENANT_KEY.test(key)) return undefined;
    if (!MEMBER_VALUE.test(memberValue)) return undefined;
    if (keys.has(key)) return undefined;
    keys.add(key);
    members.push(`${key}=${memberValue}`);
    if (members.length > MAX_LIST_MEMBERS) return undefined;
  }
  return members.join(",");
}

/**
 * OpenCensus binary form (spec §2.7.4): version 0, field 0 + 16-byte trace id, field 1 + 8-byte
 * span id, field 2 + flags byte — 29 bytes.
 */
export function encodeGrpcTraceBin(sc: SpanContext): Uint8Array {
  const out = new Uint8Array(GRPC_TRACE_BIN_LENGTH);
  out[0] = 0;
  out[1] = 0;
  out.set(Buffer.from(sc.traceId, "hex"), 2);
  out[18] = 1;
  out.set(Buffer.from(sc.spanId, "hex"), 19);
  out[27] = 2;
  out[28] = sc.traceFlags & 0xff;
  return out;
}

/**
 * Parses the OpenCensus binary form the way daprd does (spec §2.7.4): version must be 0 and the
 * trace-id field must come first; the span-id and flags fields are optional (missing → zeros),
 * and trailing bytes are ignored. The result may still have a zero span id — check
 * isValidSpanContext before emitting a traceparent from it.
 */
export function decodeGrpcTraceBin(bytes: Uint8Array): SpanContext | undefined {
  if (bytes.length === 0 || bytes[0] !== 0) return undefined;
  let at = 1;
  if (bytes.length - at < 17 || bytes[at] !== 0) return undefined;
  const traceId = toHex(bytes.subarray(at + 1, at + 17));
  at += 17;
  let spanId = ZERO_SPAN_ID;
  if (bytes.length - at >= 9 && bytes[at] === 1) {
    spanId = toHex(bytes.subarray(at + 1, at + 9));
    at += 9;
  }
  let traceFlags = 0;
  if (bytes.length - at >= 2 && bytes[at] === 2) traceFlags = bytes[at + 1]!;
  return { traceId, spanId, traceFlags };
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
