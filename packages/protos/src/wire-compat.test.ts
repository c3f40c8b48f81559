// Proves that Courier's protos are byte-interchangeable with Dapr's own definitions.
//
// "Dapr's side" is the `.proto` files shipped inside @dapr/dapr, loaded at test time with
// protobufjs (an implementation independent of protobuf-es). "Our side" is @courier/protos
// (protoc-gen-es output) used through @bufbuild/protobuf. For every message we define:
//   (a) Dapr encodes, we decode, and every field equals the expected value;
//   (b) we encode, Dapr decodes, and every field equals the expected value;
//   (c) the two encodings are byte-identical (messages with a multi-entry map: identical once
//       map entries are put in the same order; single-entry variants: byte-identical as is).
// Descriptors are compared too: every field's number/name/type/label, enum values, and the
// service methods (full path, input/output types, streaming flags).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import protobuf from "protobufjs";
import {
  create,
  equals,
  fromBinary,
  isFieldSet,
  ScalarType,
  toBinary,
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescService,
  type Message,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import {
  anyPack,
  anyUnpack,
  AnySchema,
  DurationSchema,
  EmptySchema,
  StringValueSchema,
  TimestampSchema,
} from "@bufbuild/protobuf/wkt";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import {
  ActorSchema,
  APIVersion,
  AppCallback,
  AppCallbackHealthCheck,
  Dapr,
  file_dapr_proto_common_v1_common,
  file_dapr_proto_internals_v1_apiversion,
  file_dapr_proto_internals_v1_reminders,
  file_dapr_proto_internals_v1_service_invocation,
  file_dapr_proto_internals_v1_status,
  file_dapr_proto_runtime_v1_appcallback,
  file_dapr_proto_runtime_v1_dapr,
  file_dapr_proto_runtime_v1_invoke,
  HealthCheckResponseSchema,
  HTTPExtension_Verb,
  HTTPExtension_VerbSchema,
  HTTPExtensionSchema,
  InternalInvokeRequestSchema,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseSchema,
  InternalInvokeResponseStreamSchema,
  InvokeRequestSchema,
  InvokeResponseSchema,
  InvokeServiceRequestSchema,
  ListStringValueSchema,
  ReminderSchema,
  RemindersSchema,
  ServiceInvocation,
  StatusSchema,
  StreamPayloadSchema,
  TimerFiredEventSchema,
} from "@courier/protos";

// ---------------------------------------------------------------------------------------------
// Dapr's definitions, loaded with protobufjs
// ---------------------------------------------------------------------------------------------

const require = createRequire(import.meta.url);
const DAPR_PROTO_DIR = path.join(path.dirname(require.resolve("@dapr/dapr/package.json")), "proto");
const DAPR_ENTRY_FILES = [
  "dapr/proto/internals/v1/service_invocation.proto",
  "dapr/proto/runtime/v1/dapr.proto",
  "dapr/proto/runtime/v1/appcallback.proto",
  // Only to encode the payloads packed into Any values on Dapr's side.
  "google/protobuf/wrappers.proto",
  "google/protobuf/duration.proto",
];

async function loadDaprRoot(): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  // Dapr's files import each other root-relative ("dapr/proto/common/v1/common.proto").
  // protobufjs always serves google/protobuf/*.proto from its bundled copies; the test
  // "protobufjs' bundled WKTs equal the ones @dapr/dapr ships" below covers that substitution.
  root.resolvePath = (_origin, target) =>
    path.isAbsolute(target) ? target : path.join(DAPR_PROTO_DIR, target);
  await root.load(DAPR_ENTRY_FILES, { keepCase: true }); // proto field names everywhere
  root.resolveAll();
  return root;
}

const daprRoot = await loadDaprRoot();
const daprType = (typeName: string): protobuf.Type => daprRoot.lookupType(typeName);

/** An Any packed on Dapr's side: the payload is encoded by protobufjs, not by protobuf-es. */
function daprAny(typeName: string, value: Record<string, unknown>) {
  const t = daprType(typeName);
  return { type_url: `type.googleapis.com/${typeName}`, value: t.encode(t.fromObject(value)).finish() };
}

/** 64-bit values for protobufjs, as Long (with its long.js dependency, that is what it uses). */
const u64 = (v: bigint): protobuf.Long => protobuf.util.LongBits.from(v.toString()).toLong(true);
const i64 = (v: bigint): protobuf.Long => protobuf.util.LongBits.from(v.toString()).toLong(false);

// ---------------------------------------------------------------------------------------------
// Our side: every message and service Courier defines
// ---------------------------------------------------------------------------------------------

const OUR_FILES: DescFile[] = [
  file_dapr_proto_common_v1_common,
  file_dapr_proto_internals_v1_apiversion,
  file_dapr_proto_internals_v1_status,
  file_dapr_proto_internals_v1_reminders,
  file_dapr_proto_internals_v1_service_invocation,
  file_dapr_proto_runtime_v1_invoke,
  file_dapr_proto_runtime_v1_dapr,
  file_dapr_proto_runtime_v1_appcallback,
];

function allMessages(files: DescFile[]): DescMessage[] {
  const out: DescMessage[] = [];
  const walk = (m: DescMessage) => {
    out.push(m);
    m.nestedMessages.forEach(walk);
  };
  files.forEach((f) => f.messages.forEach(walk));
  return out;
}
function allEnums(files: DescFile[]): DescEnum[] {
  return [...files.flatMap((f) => f.enums), ...allMessages(files).flatMap((m) => m.nestedEnums)];
}
const OUR_MESSAGES = allMessages(OUR_FILES);
const OUR_ENUMS = allEnums(OUR_FILES);
const OUR_SERVICES: DescService[] = OUR_FILES.flatMap((f) => f.services);

/** Fields Dapr has and we leave out on purpose (message type name -> field numbers). None. */
const DELIBERATELY_OMITTED: Readonly<Record<string, readonly number[]>> = {};

// ---------------------------------------------------------------------------------------------
// Canonical values: keyed by field number, one representation per wire type, defaults included.
// Built independently from a protobuf-es message (walking our descriptor) and from a protobufjs
// message (walking Dapr's descriptor), so comparing them compares what is on the wire.
// ---------------------------------------------------------------------------------------------

type Canon = null | boolean | number | string | Canon[] | { [key: string]: Canon };

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const SIGNED_64 = new Set(["int64", "sint64", "sfixed64"]);
const UNSIGNED_64 = new Set(["uint64", "fixed64"]);

function canonScalar(type: string, v: unknown): Canon {
  if (SIGNED_64.has(type) || UNSIGNED_64.has(type)) {
    let big: bigint;
    if (typeof v === "bigint") big = v;
    else if (typeof v === "number" || typeof v === "string") big = BigInt(v);
    else {
      const l = v as protobuf.Long;
      big = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    }
    return (SIGNED_64.has(type) ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big)).toString();
  }
  if (type === "bytes") return `0x${hex(v as Uint8Array)}`;
  return v as boolean | number | string;
}

const scalarName = (t: ScalarType): string => ScalarType[t].toLowerCase();

function canonOurs(desc: DescMessage, msg: Message): { [no: string]: Canon } {
  const out: { [no: string]: Canon } = {};
  const rec = msg as unknown as Record<string, unknown>;
  for (const f of desc.fields) {
    const v = rec[f.localName];
    switch (f.fieldKind) {
      case "scalar":
        out[f.number] = canonScalar(scalarName(f.scalar), v);
        break;
      case "enum":
        out[f.number] = v as number;
        break;
      case "message":
        out[f.number] = v === undefined ? null : canonOurs(f.message, v as Message);
        break;
      case "list":
        out[f.number] = (v as unknown[]).map((e) =>
          f.listKind === "message"
            ? canonOurs(f.message, e as Message)
            : f.listKind === "enum"
              ? (e as number)
              : canonScalar(scalarName(f.scalar), e),
        );
        break;
      case "map":
        out[f.number] = Object.fromEntries(
          Object.entries(v as Record<string, unknown>).map(([k, e]) => [
            k,
            f.mapKind === "message"
              ? canonOurs(f.message, e as Message)
              : f.mapKind === "enum"
                ? (e as number)
                : canonScalar(scalarName(f.scalar), e),
          ]),
        );
        break;
    }
  }
  return out;
}

function canonDapr(type: protobuf.Type, msg: object): { [no: string]: Canon } {
  const out: { [no: string]: Canon } = {};
  const rec = msg as Record<string, unknown>;
  for (const f of type.fieldsArray) {
    f.resolve();
    // Decoded protobufjs messages carry proto3 defaults on their prototype.
    const v = rec[f.name];
    const one = (e: unknown): Canon =>
      f.resolvedType instanceof protobuf.Type
        ? canonDapr(f.resolvedType, e as object)
        : f.resolvedType instanceof protobuf.Enum
          ? (e as number)
          : canonScalar(f.type, e);
    if (f.map) out[f.id] = Object.fromEntries(Object.entries(v as object).map(([k, e]) => [k, one(e)]));
    else if (f.repeated) out[f.id] = (v as unknown[]).map(one);
    else if (f.resolvedType instanceof protobuf.Type) out[f.id] = v == null ? null : one(v);
    else out[f.id] = one(v);
  }
  return out;
}

/** Field-by-field comparison of two canonical values of `desc`, naming the field on failure. */
function expectSameFields(desc: DescMessage, actual: Record<string, Canon>, expected: Record<string, Canon>) {
  expect(Object.keys(actual).sort(), `${desc.typeName}: field numbers`).toEqual(
    Object.keys(expected).sort(),
  );
  for (const f of desc.fields) {
    expect(actual[f.number], `${desc.typeName}.${f.name} (#${f.number})`).toEqual(expected[f.number]);
  }
}

// ---------------------------------------------------------------------------------------------
// Fixture checks
// ---------------------------------------------------------------------------------------------

/** Paths of fields that are not set in a protobuf-es message (recursing into messages). */
function unsetFields(desc: DescMessage, msg: Message, at: string, out: string[] = []): string[] {
  const rec = msg as unknown as Record<string, unknown>;
  for (const f of desc.fields) {
    const p = `${at}.${f.name}`;
    if (!isFieldSet(msg, f)) {
      out.push(p);
      continue;
    }
    const v = rec[f.localName];
    if (f.fieldKind === "message") unsetFields(f.message, v as Message, p, out);
    else if (f.fieldKind === "list" && f.listKind === "message")
      (v as Message[]).forEach((e, i) => unsetFields(f.message, e, `${p}[${i}]`, out));
    else if (f.fieldKind === "map" && f.mapKind === "message")
      Object.entries(v as Record<string, Message>).forEach(([k, e]) => unsetFields(f.message, e, `${p}[${k}]`, out));
  }
  return out;
}

/**
 * Problems in a plain object meant for protobufjs `fromObject`: keys that are not fields of
 * Dapr's type (protobufjs would drop them silently) and, if `requireAll`, fields left out.
 */
function daprObjectProblems(type: protobuf.Type, obj: object, at: string, requireAll: boolean, out: string[] = []) {
  const rec = obj as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (!type.fields[key]) out.push(`${at}.${key}: not a field of Dapr's ${type.fullName}`);
  }
  for (const f of type.fieldsArray) {
    const v = rec[f.name];
    const p = `${at}.${f.name}`;
    if (v === undefined) {
      if (requireAll) out.push(`${p}: not set`);
      continue;
    }
    f.resolve();
    const items: unknown[] = f.map ? Object.values(v as object) : f.repeated ? (v as unknown[]) : [v];
    if (requireAll && items.length === 0) out.push(`${p}: empty`);
    if (f.resolvedType instanceof protobuf.Type) {
      const sub = f.resolvedType;
      items.forEach((e, i) => daprObjectProblems(sub, e as object, `${p}[${i}]`, requireAll, out));
    }
  }
  return out;
}

function hasMapField(desc: DescMessage, seen = new Set<string>()): boolean {
  if (seen.has(desc.typeName)) return false;
  seen.add(desc.typeName);
  return desc.fields.some(
    (f) =>
      f.fieldKind === "map" ||
      ((f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) &&
        hasMapField(f.message, seen)),
  );
}

/** Largest number of entries in any map anywhere inside `msg`. */
function maxMapEntries(desc: DescMessage, msg: Message): number {
  const rec = msg as unknown as Record<string, unknown>;
  let max = 0;
  for (const f of desc.fields) {
    const v = rec[f.localName];
    if (f.fieldKind === "map") max = Math.max(max, Object.keys(v as object).length);
    if (f.fieldKind === "message" && v !== undefined) max = Math.max(max, maxMapEntries(f.message, v as Message));
    if (f.fieldKind === "list" && f.listKind === "message")
      for (const e of v as Message[]) max = Math.max(max, maxMapEntries(f.message, e));
  }
  return max;
}

/**
 * The encoding as a list of records (hex), exact except that consecutive entries of one map
 * field are sorted — the only freedom an encoder has here. Recurses into message fields.
 */
function canonicalWire(desc: DescMessage, bytes: Uint8Array): string[] {
  const reader = new BinaryReader(bytes);
  const records: { no: number; text: string; map: boolean }[] = [];
  while (reader.pos < reader.len) {
    const [no, wt] = reader.tag();
    const f = desc.fields.find((x) => x.number === no);
    if (wt === WireType.LengthDelimited) {
      const content = reader.bytes();
      const sub =
        f && (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message"))
          ? f.message
          : undefined;
      const text = sub ? `{${canonicalWire(sub, content).join(" ")}}` : hex(content);
      records.push({ no, text: `${no}:LEN:${text}`, map: f?.fieldKind === "map" });
    } else {
      records.push({ no, text: `${no}:${wt}:${hex(reader.skip(wt, no))}`, map: false });
    }
  }
  const out: string[] = [];
  for (let i = 0; i < records.length; ) {
    let j = i + 1;
    if (records[i]!.map) while (j < records.length && records[j]!.map && records[j]!.no === records[i]!.no) j++;
    out.push(...records.slice(i, j).map((r) => r.text).sort());
    i = j;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the same value written once for protobuf-es (ours) and once for protobufjs (Dapr).
// ---------------------------------------------------------------------------------------------

interface WireCase {
  name: string;
  schema: DescMessage;
  ours: Message;
  dapr: Record<string, unknown>;
  /** Every field (recursively) set to a non-default value. */
  fullyPopulated: boolean;
}

const CASES: WireCase[] = [];
function wireCase<Desc extends DescMessage>(
  name: string,
  schema: Desc,
  ours: MessageInitShape<Desc>,
  dapr: Record<string, unknown>,
  opts: { fullyPopulated?: boolean } = {},
): void {
  CASES.push({
    name,
    schema,
    ours: create(schema, ours) as Message,
    dapr,
    fullyPopulated: opts.fullyPopulated ?? true,
  });
}

// --- shared values ---------------------------------------------------------------------------

const RAW_BODY = new Uint8Array([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x0d, 0xc3, 0x28]);
const BIG_SEQ = 2n ** 32n + 3n; // > 2^32: needs the full 64-bit varint path
const TS_SECONDS = 1_767_225_600n; // 2026-01-01T00:00:00Z
const JSON_BODY = new TextEncoder().encode('{"orderId":42,"items":["a","b"],"note":"ü ✓"}');

const ourGreeting = anyPack(StringValueSchema, create(StringValueSchema, { value: "hello, dapr ✓" }));
const daprGreeting = daprAny("google.protobuf.StringValue", { value: "hello, dapr ✓" });

// An Any whose type is unknown to both sides: just bytes behind a type URL.
const ORDER_TYPE_URL = "type.googleapis.com/acme.orders.v1.Order";
const ourOrder = { typeUrl: ORDER_TYPE_URL, value: JSON_BODY };
const daprOrder = { type_url: ORDER_TYPE_URL, value: JSON_BODY };

// Plain strings: the same literal serves both sides (ListStringValue has the same shape in both).
const METADATA = {
  "content-type": { values: ["application/json"] },
  "dapr-caller-app-id": { values: ["checkout"] },
  "dapr-caller-namespace": { values: ["prod"] },
  "dapr-callee-app-id": { values: ["orders"] },
  "x-forwarded-for": { values: ["10.0.0.1", "10.0.0.2", "192.168.1.7"] },
  accept: { values: ["text/html", "application/json;q=0.9", "*/*;q=0.8"] },
  "grpc-trace-bin": { values: ["AAECAwQFBgcICQoLDA0ODw=="] },
  "x-ünïcode": { values: ["✓ 漢字", "", "a,b"] },
};
const HEADERS = {
  "content-type": { values: ["application/problem+json"] },
  "set-cookie": { values: ["a=1; Path=/", "b=2; HttpOnly"] },
  vary: { values: ["accept", "accept-encoding"] },
};
const TRAILERS = {
  "grpc-status": { values: ["5"] },
  "grpc-message": { values: ["order%2042%20not%20found"] },
  "x-debug-bin": { values: ["3q2+7w==", "AA=="] },
};
const ONE_METADATA = { "dapr-caller-app-id": { values: ["checkout", "checkout-canary"] } };
const ONE_HEADER = { "content-type": { values: ["text/plain; charset=utf-8"] } };
const ONE_TRAILER = { "grpc-status": { values: ["0"] } };

const ourInvokeRequest = {
  method: "api/v1/orders/42",
  data: ourGreeting,
  contentType: "application/json; charset=utf-8",
  httpExtension: { verb: HTTPExtension_Verb.PATCH, querystring: "expand=items&filter=a%20b&empty=" },
};
const daprInvokeRequest = {
  method: "api/v1/orders/42",
  data: daprGreeting,
  content_type: "application/json; charset=utf-8",
  http_extension: { verb: "PATCH", querystring: "expand=items&filter=a%20b&empty=" },
};

const ourInvokeResponse = { data: ourOrder, contentType: "application/json" };
const daprInvokeResponse = { data: daprOrder, content_type: "application/json" };

const ourStatus = {
  code: 404,
  message: "order 42 not found",
  details: [
    anyPack(StringValueSchema, create(StringValueSchema, { value: "not found: orders/42" })),
    anyPack(DurationSchema, create(DurationSchema, { seconds: 3n, nanos: 500_000_000 })),
    anyPack(TimestampSchema, create(TimestampSchema, { seconds: TS_SECONDS, nanos: 1 })),
    ourOrder,
  ],
};
const daprStatus = {
  code: 404,
  message: "order 42 not found",
  details: [
    daprAny("google.protobuf.StringValue", { value: "not found: orders/42" }),
    daprAny("google.protobuf.Duration", { seconds: i64(3n), nanos: 500_000_000 }),
    daprAny("google.protobuf.Timestamp", { seconds: i64(TS_SECONDS), nanos: 1 }),
    daprOrder,
  ],
};

const ourActor = { actorType: "Cart", actorId: "cart-0001" };
const daprActor = { actor_type: "Cart", actor_id: "cart-0001" };

const ourInternalRequest = (metadata: typeof METADATA | typeof ONE_METADATA) => ({
  ver: APIVersion.V1,
  metadata,
  message: ourInvokeRequest,
  actor: ourActor,
});
const daprInternalRequest = (metadata: typeof METADATA | typeof ONE_METADATA) => ({
  ver: "V1",
  metadata,
  message: daprInvokeRequest,
  actor: daprActor,
});
const ourInternalResponse = (headers: object, trailers: object) => ({
  status: ourStatus,
  headers: headers as typeof HEADERS,
  trailers: trailers as typeof TRAILERS,
  message: ourInvokeResponse,
});
const daprInternalResponse = (headers: object, trailers: object) => ({
  status: daprStatus,
  headers,
  trailers,
  message: daprInvokeResponse,
});

const ourReminder = (name: string, seconds: bigint) => ({
  actorId: "cart-0001",
  actorType: "Cart",
  name,
  data: ourGreeting,
  period: "R5/PT30S",
  registeredTime: { seconds, nanos: 987_654_321 },
  dueTime: "2026-01-01T00:05:00Z",
  expirationTime: { seconds: seconds + 3600n, nanos: 5 },
  isTimer: true,
  skipLock: true,
});
const daprReminder = (name: string, seconds: bigint) => ({
  actor_id: "cart-0001",
  actor_type: "Cart",
  name,
  data: daprGreeting,
  period: "R5/PT30S",
  registered_time: { seconds: i64(seconds), nanos: 987_654_321 },
  due_time: "2026-01-01T00:05:00Z",
  expiration_time: { seconds: i64(seconds + 3600n), nanos: 5 },
  is_timer: true,
  skip_lock: true,
});

// --- dapr.proto.common.v1 --------------------------------------------------------------------

const DAPR_VERBS = Object.entries(daprRoot.lookupEnum("dapr.proto.common.v1.HTTPExtension.Verb").values);
for (const [verbName, verbNumber] of DAPR_VERBS) {
  const querystring = `verb=${verbName}&a=1&a=2&q=caf%C3%A9`;
  if (verbNumber === 0) {
    // NONE is the proto3 default: a conforming encoder (protobuf-es, Go) writes no field 1 for
    // it. protobufjs writes `08 00` when the key is present, so it is left out here; the test
    // "explicitly encoded defaults" below covers that encoding.
    wireCase(`HTTPExtension verb=${verbName}`, HTTPExtensionSchema, { verb: verbNumber, querystring }, { querystring }, {
      fullyPopulated: false,
    });
  } else {
    wireCase(`HTTPExtension verb=${verbName}`, HTTPExtensionSchema, { verb: verbNumber, querystring }, {
      verb: verbName, // by name: also checks that the enum value names agree
      querystring,
    });
  }
}

wireCase("InvokeRequest", InvokeRequestSchema, ourInvokeRequest, daprInvokeRequest);
wireCase(
  "InvokeRequest, raw body (empty type_url, Dapr's plain-bytes convention)",
  InvokeRequestSchema,
  { ...ourInvokeRequest, data: { typeUrl: "", value: RAW_BODY }, contentType: "application/octet-stream" },
  // type_url left out rather than "": protobufjs would write the empty string (`0a 00`), which
  // Go and protobuf-es never do for a proto3 default (see "explicitly encoded defaults").
  { ...daprInvokeRequest, data: { value: RAW_BODY }, content_type: "application/octet-stream" },
  { fullyPopulated: false },
);
wireCase("InvokeResponse", InvokeResponseSchema, ourInvokeResponse, daprInvokeResponse);
wireCase(
  "StreamPayload seq=2^32+3",
  StreamPayloadSchema,
  { data: RAW_BODY, seq: BIG_SEQ },
  { data: RAW_BODY, seq: u64(BIG_SEQ) },
);
wireCase(
  "StreamPayload seq=2^53+1 (beyond Number.MAX_SAFE_INTEGER)",
  StreamPayloadSchema,
  { data: JSON_BODY, seq: 2n ** 53n + 1n },
  { data: JSON_BODY, seq: u64(2n ** 53n + 1n) },
);
wireCase(
  "StreamPayload seq=2^64-1",
  StreamPayloadSchema,
  { data: new Uint8Array([0xff]), seq: 2n ** 64n - 1n },
  { data: new Uint8Array([0xff]), seq: u64(2n ** 64n - 1n) },
);

// --- dapr.proto.internals.v1 -----------------------------------------------------------------

wireCase("Actor", ActorSchema, ourActor, daprActor);
wireCase(
  "InternalInvokeRequest",
  InternalInvokeRequestSchema,
  ourInternalRequest(METADATA),
  daprInternalRequest(METADATA),
);
wireCase(
  "InternalInvokeRequest, single-entry map",
  InternalInvokeRequestSchema,
  ourInternalRequest(ONE_METADATA),
  daprInternalRequest(ONE_METADATA),
);
wireCase(
  "InternalInvokeResponse",
  InternalInvokeResponseSchema,
  ourInternalResponse(HEADERS, TRAILERS),
  daprInternalResponse(HEADERS, TRAILERS),
);
wireCase(
  "InternalInvokeResponse, single-entry maps",
  InternalInvokeResponseSchema,
  ourInternalResponse(ONE_HEADER, ONE_TRAILER),
  daprInternalResponse(ONE_HEADER, ONE_TRAILER),
);
wireCase(
  "InternalInvokeRequestStream",
  InternalInvokeRequestStreamSchema,
  { request: ourInternalRequest(METADATA), payload: { data: JSON_BODY, seq: BIG_SEQ } },
  { request: daprInternalRequest(METADATA), payload: { data: JSON_BODY, seq: u64(BIG_SEQ) } },
);
wireCase(
  "InternalInvokeRequestStream, single-entry map",
  InternalInvokeRequestStreamSchema,
  { request: ourInternalRequest(ONE_METADATA), payload: { data: RAW_BODY, seq: 2n ** 40n } },
  { request: daprInternalRequest(ONE_METADATA), payload: { data: RAW_BODY, seq: u64(2n ** 40n) } },
);
wireCase(
  "InternalInvokeRequestStream, non-leading chunk (payload only)",
  InternalInvokeRequestStreamSchema,
  { payload: { data: RAW_BODY, seq: 7n } },
  { payload: { data: RAW_BODY, seq: u64(7n) } },
  { fullyPopulated: false },
);
wireCase(
  "InternalInvokeResponseStream",
  InternalInvokeResponseStreamSchema,
  { response: ourInternalResponse(HEADERS, TRAILERS), payload: { data: JSON_BODY, seq: BIG_SEQ } },
  { response: daprInternalResponse(HEADERS, TRAILERS), payload: { data: JSON_BODY, seq: u64(BIG_SEQ) } },
);
wireCase(
  "InternalInvokeResponseStream, single-entry maps",
  InternalInvokeResponseStreamSchema,
  { response: ourInternalResponse(ONE_HEADER, ONE_TRAILER), payload: { data: RAW_BODY, seq: 2n ** 63n } },
  { response: daprInternalResponse(ONE_HEADER, ONE_TRAILER), payload: { data: RAW_BODY, seq: u64(2n ** 63n) } },
);
wireCase(
  "InternalInvokeResponseStream, non-leading chunk with a present-but-empty response",
  InternalInvokeResponseStreamSchema,
  { response: {}, payload: { data: JSON_BODY, seq: 1n } },
  { response: {}, payload: { data: JSON_BODY, seq: u64(1n) } },
  { fullyPopulated: false },
);
wireCase(
  "ListStringValue",
  ListStringValueSchema,
  { values: ["a", "", "✓ 漢字", "a,b", "x".repeat(300)] },
  { values: ["a", "", "✓ 漢字", "a,b", "x".repeat(300)] },
);
wireCase("Status", StatusSchema, ourStatus, daprStatus);
wireCase(
  "Status, negative code (int32 sign extension)",
  StatusSchema,
  { ...ourStatus, code: -1 },
  { ...daprStatus, code: -1 },
);
wireCase("Reminder", ReminderSchema, ourReminder("nightly", TS_SECONDS), daprReminder("nightly", TS_SECONDS));
wireCase(
  "Reminders",
  RemindersSchema,
  { reminders: [ourReminder("first", TS_SECONDS), ourReminder("second", TS_SECONDS + 60n)] },
  { reminders: [daprReminder("first", TS_SECONDS), daprReminder("second", TS_SECONDS + 60n)] },
);
wireCase(
  "TimerFiredEvent",
  TimerFiredEventSchema,
  { fireAt: { seconds: TS_SECONDS, nanos: 250_000_000 }, timerId: 17, generation: 2n ** 40n + 9n },
  { fire_at: { seconds: i64(TS_SECONDS), nanos: 250_000_000 }, timerId: 17, generation: u64(2n ** 40n + 9n) },
);
wireCase(
  "TimerFiredEvent, negative timerId and pre-1970 timestamp (int32/int64 sign)",
  TimerFiredEventSchema,
  { fireAt: { seconds: -86_400n, nanos: 1 }, timerId: -17, generation: 2n ** 64n - 2n },
  { fire_at: { seconds: i64(-86_400n), nanos: 1 }, timerId: -17, generation: u64(2n ** 64n - 2n) },
);

// --- dapr.proto.runtime.v1 -------------------------------------------------------------------

wireCase(
  "InvokeServiceRequest",
  InvokeServiceRequestSchema,
  { id: "orders.prod", message: ourInvokeRequest },
  { id: "orders.prod", message: daprInvokeRequest },
);
wireCase("HealthCheckResponse (empty message)", HealthCheckResponseSchema, {}, {});

// ---------------------------------------------------------------------------------------------
// Descriptor signatures
// ---------------------------------------------------------------------------------------------

interface FieldSig {
  number: number;
  name: string;
  label: "singular" | "repeated" | "map";
  kind: "scalar" | "enum" | "message";
  type: string;
  mapKey: string | null;
  oneof: string | null;
  proto3Optional: boolean;
  packed: boolean | null; // only for packable repeated fields
}

const NOT_PACKABLE = new Set(["string", "bytes"]);

function ourFieldSig(f: DescField): FieldSig {
  const base = {
    number: f.number,
    name: f.name,
    mapKey: null,
    oneof: f.oneof?.name ?? null,
    proto3Optional: f.proto.proto3Optional,
    packed: null,
  };
  switch (f.fieldKind) {
    case "scalar":
      return { ...base, label: "singular", kind: "scalar", type: scalarName(f.scalar) };
    case "enum":
      return { ...base, label: "singular", kind: "enum", type: f.enum.typeName };
    case "message":
      return { ...base, label: "singular", kind: "message", type: f.message.typeName };
    case "list": {
      const type =
        f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? f.enum.typeName : f.message.typeName;
      const packable = f.listKind === "enum" || (f.listKind === "scalar" && !NOT_PACKABLE.has(type));
      return { ...base, label: "repeated", kind: f.listKind, type, packed: packable ? f.packed : null };
    }
    case "map":
      return {
        ...base,
        label: "map",
        kind: f.mapKind,
        mapKey: scalarName(f.mapKey),
        type:
          f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? f.enum.typeName : f.message.typeName,
      };
  }
}

function daprFieldSig(f: protobuf.Field): FieldSig {
  f.resolve();
  const rt = f.resolvedType;
  const kind = rt instanceof protobuf.Enum ? "enum" : rt instanceof protobuf.Type ? "message" : "scalar";
  const type = rt ? rt.fullName.replace(/^\./, "") : f.type;
  const proto3Optional = f.options?.["proto3_optional"] === true;
  const packable = f.repeated && !f.map && kind !== "message" && !NOT_PACKABLE.has(type);
  return {
    number: f.id,
    name: f.name,
    label: f.map ? "map" : f.repeated ? "repeated" : "singular",
    kind,
    type,
    mapKey: f instanceof protobuf.MapField ? f.keyType : null,
    // proto3 `optional` makes a synthetic oneof in protobufjs; protobuf-es does not report it.
    oneof: f.partOf && !proto3Optional ? f.partOf.name : null,
    proto3Optional,
    packed: packable ? f.packed : null,
  };
}

interface MethodSig {
  path: string;
  input: string;
  output: string;
  requestStream: boolean;
  responseStream: boolean;
}

function ourMethods(svc: DescService): MethodSig[] {
  return svc.methods.map((m) => ({
    path: `/${svc.typeName}/${m.name}`,
    input: m.input.typeName,
    output: m.output.typeName,
    requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
    responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
  }));
}

function daprMethods(svc: protobuf.Service): MethodSig[] {
  return svc.methodsArray.map((m) => {
    m.resolve();
    return {
      path: `/${svc.fullName.replace(/^\./, "")}/${m.name}`,
      input: m.resolvedRequestType!.fullName.replace(/^\./, ""),
      output: m.resolvedResponseType!.fullName.replace(/^\./, ""),
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
    };
  });
}

// =============================================================================================
// Tests
// =============================================================================================

describe("coverage of the wire tests", () => {
  it("defines exactly the 16 expected messages, and every one has wire cases", () => {
    expect(OUR_MESSAGES.map((m) => m.typeName).sort()).toEqual(
      [
        "dapr.proto.common.v1.HTTPExtension",
        "dapr.proto.common.v1.InvokeRequest",
        "dapr.proto.common.v1.InvokeResponse",
        "dapr.proto.common.v1.StreamPayload",
        "dapr.proto.internals.v1.Actor",
        "dapr.proto.internals.v1.InternalInvokeRequest",
        "dapr.proto.internals.v1.InternalInvokeRequestStream",
        "dapr.proto.internals.v1.InternalInvokeResponse",
        "dapr.proto.internals.v1.InternalInvokeResponseStream",
        "dapr.proto.internals.v1.ListStringValue",
        "dapr.proto.internals.v1.Reminder",
        "dapr.proto.internals.v1.Reminders",
        "dapr.proto.internals.v1.Status",
        "dapr.proto.internals.v1.TimerFiredEvent",
        "dapr.proto.runtime.v1.HealthCheckResponse",
        "dapr.proto.runtime.v1.InvokeServiceRequest",
      ].sort(),
    );
    for (const m of OUR_MESSAGES) {
      const cases = CASES.filter((c) => c.schema.typeName === m.typeName);
      expect(cases.length, `${m.typeName}: wire cases`).toBeGreaterThan(0);
      if (m.fields.length > 0) {
        expect(cases.some((c) => c.fullyPopulated), `${m.typeName}: a fully-populated case`).toBe(true);
      }
    }
  });

  it("covers every HTTPExtension verb, and a single-entry variant for every message with a map", () => {
    const verbs = CASES.filter((c) => c.schema === HTTPExtensionSchema).map(
      (c) => (c.ours as unknown as { verb: number }).verb,
    );
    expect(verbs.sort((a, b) => a - b)).toEqual(HTTPExtension_VerbSchema.values.map((v) => v.number));
    expect(verbs).toHaveLength(10);
    for (const m of OUR_MESSAGES.filter((x) => hasMapField(x))) {
      const cases = CASES.filter((c) => c.schema === m);
      expect(cases.some((c) => maxMapEntries(m, c.ours) === 1), `${m.typeName}: single-entry case`).toBe(true);
      expect(cases.some((c) => maxMapEntries(m, c.ours) > 1), `${m.typeName}: multi-entry case`).toBe(true);
    }
  });
});

describe("descriptors: our messages and enums equal Dapr's", () => {
  for (const desc of OUR_MESSAGES) {
    it(`${desc.typeName}: every field number, name, type and label`, () => {
      const theirs = daprType(desc.typeName);
      const omitted = DELIBERATELY_OMITTED[desc.typeName] ?? [];
      const ours = desc.fields.map(ourFieldSig).sort((a, b) => a.number - b.number);
      const dapr = theirs.fieldsArray
        .map(daprFieldSig)
        .filter((f) => !omitted.includes(f.number))
        .sort((a, b) => a.number - b.number);
      expect(ours).toEqual(dapr);
      // Real oneofs (none today) must match too; proto3-optional synthetic ones are excluded.
      expect(desc.oneofs.map((o) => o.name)).toEqual(
        theirs.oneofsArray
          .filter((o) => !o.fieldsArray.every((f) => f.options?.["proto3_optional"]))
          .map((o) => o.name),
      );
    });
  }

  it("InvokeServiceRequest keeps field 2 free (reserved in ours, unused in Dapr's)", () => {
    expect(InvokeServiceRequestSchema.proto.reservedRange.map((r) => [r.start, r.end])).toEqual([[2, 3]]);
    expect(daprType("dapr.proto.runtime.v1.InvokeServiceRequest").fieldsById[2]).toBeUndefined();
  });

  for (const e of OUR_ENUMS) {
    it(`enum ${e.typeName}: every value name and number`, () => {
      const theirs = daprRoot.lookupEnum(e.typeName);
      expect(Object.fromEntries(e.values.map((v) => [v.name, v.number]))).toEqual(theirs.values);
    });
  }

  it("enum TypeScript values match the wire numbers", () => {
    expect(APIVersion.V1).toBe(1);
    expect(APIVersion.APIVERSION_UNSPECIFIED).toBe(0);
    expect(HTTPExtension_Verb.NONE).toBe(0);
    expect(HTTPExtension_Verb.PATCH).toBe(9);
  });

  it("protobufjs' bundled WKTs equal the ones @dapr/dapr ships and the ones protobuf-es uses", () => {
    for (const [file, schema] of [
      ["any.proto", AnySchema],
      ["timestamp.proto", TimestampSchema],
      ["empty.proto", EmptySchema],
      ["duration.proto", DurationSchema],
    ] as const) {
      const shipped = protobuf
        .parse(readFileSync(path.join(DAPR_PROTO_DIR, "google/protobuf", file), "utf8"), new protobuf.Root(), {
          keepCase: true,
        })
        .root.resolveAll()
        .lookupType(schema.typeName);
      const bundled = daprType(schema.typeName);
      const sig = (t: protobuf.Type) => t.fieldsArray.map(daprFieldSig);
      expect(sig(bundled), `${file}: protobufjs bundled vs @dapr/dapr shipped`).toEqual(sig(shipped));
      expect(schema.fields.map(ourFieldSig), `${file}: protobuf-es vs @dapr/dapr shipped`).toEqual(sig(shipped));
    }
  });
});

describe("descriptors: our services are wire-compatible with Dapr's", () => {
  it("declares exactly the services ServiceInvocation, Dapr, AppCallback, AppCallbackHealthCheck", () => {
    expect(OUR_SERVICES.map((s) => s.typeName).sort()).toEqual([
      "dapr.proto.internals.v1.ServiceInvocation",
      "dapr.proto.runtime.v1.AppCallback",
      "dapr.proto.runtime.v1.AppCallbackHealthCheck",
      "dapr.proto.runtime.v1.Dapr",
    ]);
  });

  it("dapr.proto.internals.v1.ServiceInvocation is identical (all five RPCs)", () => {
    const ours = ourMethods(ServiceInvocation);
    expect(ours).toEqual(daprMethods(daprRoot.lookupService(ServiceInvocation.typeName)));
    expect(ours.find((m) => m.path.endsWith("/CallLocalStream"))).toEqual({
      path: "/dapr.proto.internals.v1.ServiceInvocation/CallLocalStream",
      input: "dapr.proto.internals.v1.InternalInvokeRequestStream",
      output: "dapr.proto.internals.v1.InternalInvokeResponseStream",
      requestStream: true,
      responseStream: true,
    });
  });

  it("dapr.proto.runtime.v1.Dapr: our trimmed service (InvokeService only) is a subset", () => {
    const ours = ourMethods(Dapr);
    expect(ours.map((m) => m.path)).toEqual(["/dapr.proto.runtime.v1.Dapr/InvokeService"]);
    const theirs = new Map(daprMethods(daprRoot.lookupService(Dapr.typeName)).map((m) => [m.path, m]));
    expect(theirs.size).toBeGreaterThan(ours.length);
    for (const m of ours) expect(theirs.get(m.path), m.path).toEqual(m);
    expect(ours[0]).toEqual({
      path: "/dapr.proto.runtime.v1.Dapr/InvokeService",
      input: "dapr.proto.runtime.v1.InvokeServiceRequest",
      output: "dapr.proto.common.v1.InvokeResponse",
      requestStream: false,
      responseStream: false,
    });
  });

  it("dapr.proto.runtime.v1.AppCallback: OnInvoke is a subset with the same signature", () => {
    const ours = ourMethods(AppCallback);
    expect(ours).toEqual([
      {
        path: "/dapr.proto.runtime.v1.AppCallback/OnInvoke",
        input: "dapr.proto.common.v1.InvokeRequest",
        output: "dapr.proto.common.v1.InvokeResponse",
        requestStream: false,
        responseStream: false,
      },
    ]);
    const theirs = new Map(daprMethods(daprRoot.lookupService(AppCallback.typeName)).map((m) => [m.path, m]));
    for (const m of ours) expect(theirs.get(m.path), m.path).toEqual(m);
  });

  it("dapr.proto.runtime.v1.AppCallbackHealthCheck is identical (HealthCheck)", () => {
    const ours = ourMethods(AppCallbackHealthCheck);
    expect(ours).toEqual(daprMethods(daprRoot.lookupService(AppCallbackHealthCheck.typeName)));
    expect(ours).toEqual([
      {
        path: "/dapr.proto.runtime.v1.AppCallbackHealthCheck/HealthCheck",
        input: "google.protobuf.Empty",
        output: "dapr.proto.runtime.v1.HealthCheckResponse",
        requestStream: false,
        responseStream: false,
      },
    ]);
  });
});

describe("wire: values round-trip between Dapr's definitions (protobufjs) and ours (protobuf-es)", () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const type = daprType(c.schema.typeName);
      const daprMsg = type.fromObject(c.dapr);
      const expected = canonOurs(c.schema, c.ours);
      // protobufjs returns a Node Buffer; protobuf-es decodes `bytes` fields as subarrays of its
      // input, so they would be Buffers too and fail toEqual against Uint8Array. Copy once.
      const daprBytes = new Uint8Array(type.encode(daprMsg).finish());
      const ourBytes = toBinary(c.schema, c.ours);
      const toObjectOpts: protobuf.IConversionOptions = {
        longs: String,
        enums: String,
        bytes: String,
        defaults: true,
        arrays: true,
        objects: true,
      };

      it("fixtures: both sides describe the same value, with no unknown keys", () => {
        expect(daprObjectProblems(type, c.dapr, c.schema.typeName, c.fullyPopulated)).toEqual([]);
        if (c.fullyPopulated) expect(unsetFields(c.schema, c.ours, c.schema.typeName)).toEqual([]);
        expect(canonDapr(type, daprMsg)).toEqual(expected);
      });

      it("(a) Dapr encodes, we decode: every field equals the expected value", () => {
        const decoded = fromBinary(c.schema, daprBytes);
        expectSameFields(c.schema, canonOurs(c.schema, decoded), expected);
        expect(decoded).toEqual(c.ours); // also proves there are no $unknown fields
        expect(equals(c.schema, decoded, c.ours)).toBe(true);
      });

      it("(b) we encode, Dapr decodes: every field equals the expected value", () => {
        const decoded = type.decode(ourBytes);
        expectSameFields(c.schema, canonDapr(type, decoded), expected);
        expect(type.toObject(decoded, toObjectOpts)).toEqual(type.toObject(daprMsg, toObjectOpts));
      });

      it("(c) the encodings are byte-identical", () => {
        if (!hasMapField(c.schema) || maxMapEntries(c.schema, c.ours) <= 1) {
          expect(hex(ourBytes)).toBe(hex(daprBytes));
        } else {
          // Map entry order is the encoder's choice; everything else must be identical.
          expect(ourBytes.length).toBe(daprBytes.length);
          expect(canonicalWire(c.schema, ourBytes)).toEqual(canonicalWire(c.schema, daprBytes));
        }
      });
    });
  }
});

describe("wire: details a receiver has to get right", () => {
  it("a packed Any unpacks on our side after crossing from Dapr's side", () => {
    const t = daprType("dapr.proto.internals.v1.Status");
    const bytes = t.encode(t.fromObject(daprStatus)).finish();
    const status = fromBinary(StatusSchema, bytes);
    expect(status.details.map((d) => d.typeUrl)).toEqual([
      "type.googleapis.com/google.protobuf.StringValue",
      "type.googleapis.com/google.protobuf.Duration",
      "type.googleapis.com/google.protobuf.Timestamp",
      ORDER_TYPE_URL,
    ]);
    expect(anyUnpack(status.details[0]!, StringValueSchema)?.value).toBe("not found: orders/42");
    expect(anyUnpack(status.details[1]!, DurationSchema)).toMatchObject({ seconds: 3n, nanos: 500_000_000 });
    expect(anyUnpack(status.details[2]!, TimestampSchema)).toMatchObject({ seconds: TS_SECONDS, nanos: 1 });
  });

  it("a 64-bit seq from Dapr's side arrives as the exact bigint, and ours as the exact Long", () => {
    const t = daprType("dapr.proto.common.v1.StreamPayload");
    for (const seq of [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, BIG_SEQ, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      const fromDapr = fromBinary(StreamPayloadSchema, t.encode(t.fromObject({ seq: u64(seq) })).finish());
      expect(fromDapr.seq).toBe(seq);
      const toDapr = t.decode(toBinary(StreamPayloadSchema, create(StreamPayloadSchema, { seq })));
      expect(canonScalar("uint64", (toDapr as unknown as { seq: unknown }).seq)).toBe(seq.toString());
    }
  });

  it("explicitly encoded defaults (protobufjs writes them when a key is present) decode to the same values", () => {
    // protobufjs encodes `verb: NONE` as `08 00`; Go and protobuf-es omit it. Both decode the same.
    const t = daprType("dapr.proto.common.v1.HTTPExtension");
    const explicit = t.encode(t.fromObject({ verb: "NONE", querystring: "" })).finish();
    expect(hex(explicit)).toBe("08001200");
    const decoded = fromBinary(HTTPExtensionSchema, explicit);
    expect(decoded.verb).toBe(HTTPExtension_Verb.NONE);
    expect(decoded.querystring).toBe("");
    expect(toBinary(HTTPExtensionSchema, decoded)).toHaveLength(0);
  });

  it("a non-leading response chunk keeps its present-but-empty `response` (field 1) across both sides", () => {
    const t = daprType("dapr.proto.internals.v1.InternalInvokeResponseStream");
    const daprBytes = t.encode(t.fromObject({ response: {}, payload: { data: RAW_BODY, seq: u64(3n) } })).finish();
    expect(hex(daprBytes.subarray(0, 2))).toBe("0a00"); // field 1, length 0
    const ours = fromBinary(InternalInvokeResponseStreamSchema, daprBytes);
    expect(ours.response).toBeDefined();
    expect(ours.response?.status).toBeUndefined();
    expect(ours.response?.message).toBeUndefined();
    expect(ours.response?.headers).toEqual({});
    expect(hex(toBinary(InternalInvokeResponseStreamSchema, ours))).toBe(hex(daprBytes));
  });

  it("InvokeServiceRequest never writes field 2 on either side", () => {
    const t = daprType("dapr.proto.runtime.v1.InvokeServiceRequest");
    const msg = create(InvokeServiceRequestSchema, { id: "x", message: ourInvokeRequest });
    const bytes = toBinary(InvokeServiceRequestSchema, msg);
    const tags: number[] = [];
    const r = new BinaryReader(bytes);
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      tags.push(no);
      r.skip(wt, no);
    }
    expect(tags).toEqual([1, 3]);
    expect(hex(t.encode(t.fromObject({ id: "x", message: daprInvokeRequest })).finish())).toBe(hex(bytes));
  });
});
