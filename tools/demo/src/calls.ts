import { STATUS_CODES } from "node:http";
import type { CourierInfo, Mesh } from "./mesh.js";
import { DemoError } from "./mesh.js";
import { bold, cyan, dim, print, status } from "./output.js";

/** One scripted call through the `orders` app's Courier. */
export interface DemoCall {
  title: string;
  /** One line on what the call shows. */
  note: string;
  verb: "GET" | "POST";
  /** Path and query sent to the caller's Courier. */
  target: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Which app must receive it, and what it must see. */
  app: "orders" | "inventory";
  appPath: string;
  appQuery?: string;
  expectStatus: number;
  /** Headers that must not reach the app, with why. */
  absent?: Record<string, string>;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

export const CALLS: readonly DemoCall[] = [
  {
    title: "JSON POST to another app (URL form)",
    note: "orders → its Courier → internal gRPC CallLocalStream → inventory's Courier → inventory",
    verb: "POST",
    target: "/v1.0/invoke/inventory/method/reserve",
    headers: { "content-type": "application/json" },
    body: { item: "apple", quantity: 2 },
    app: "inventory",
    appPath: "/reserve",
    expectStatus: 200,
  },
  {
    title: "GET with a query string",
    note: "the query string reaches the app untouched",
    verb: "GET",
    target: "/v1.0/invoke/inventory/method/stock?item=apple",
    app: "inventory",
    appPath: "/stock",
    appQuery: "item=apple",
    expectStatus: 200,
  },
  {
    title: "The app answers with an error status",
    note: "inventory's 404 and its JSON body come back as they are (not a Courier error)",
    verb: "GET",
    target: "/v1.0/invoke/inventory/method/stock?item=durian",
    app: "inventory",
    appPath: "/stock",
    appQuery: "item=durian",
    expectStatus: 404,
  },
  {
    title: "dapr-app-id header form",
    note: "the target comes from the header, the method is the whole path; a spoofed caller id is replaced",
    verb: "GET",
    target: "/stock?item=pear",
    headers: { "dapr-app-id": "inventory", "dapr-caller-app-id": "mallory" },
    app: "inventory",
    appPath: "/stock",
    appQuery: "item=pear",
    expectStatus: 200,
    absent: { "dapr-app-id": "not forwarded" },
  },
  {
    title: "Basic-auth form",
    note: "user dapr-app-id, password = target; Courier does not forward this Authorization header",
    verb: "GET",
    target: "/stock?item=banana",
    headers: { authorization: basic("dapr-app-id", "inventory") },
    app: "inventory",
    appPath: "/stock",
    appQuery: "item=banana",
    expectStatus: 200,
    absent: { authorization: "not forwarded" },
  },
  {
    title: "Self-invocation",
    note: "orders calls itself: its own Courier calls its own app directly, no network hop",
    verb: "POST",
    target: "/v1.0/invoke/orders/method/neworder",
    headers: { "content-type": "application/json" },
    body: { item: "apple", quantity: 2 },
    app: "orders",
    appPath: "/neworder",
    expectStatus: 201,
    absent: { "x-forwarded-for": "none: no network hop", forwarded: "none: no network hop" },
  },
];

// What the app saw that tells the story; the rest (accept, user-agent, …) is noise here.
const APP_HEADERS = [
  "dapr-caller-app-id",
  "dapr-caller-namespace",
  "dapr-callee-app-id",
  "x-forwarded-for",
  "x-forwarded-host",
  "forwarded",
  "traceparent",
  "content-type",
];
const BORING_REPLY_HEADERS = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

/** Sends one call, prints request / what the app got / reply, and checks them. */
export async function runCall(n: number, call: DemoCall, caller: CourierInfo, mesh: Mesh): Promise<void> {
  const id = String(n);
  const bodyText = call.body === undefined ? undefined : JSON.stringify(call.body);
  print(bold(`${n}. ${call.title}`));
  print(dim(`   ${call.note}`));
  print(`   ${cyan("→")} ${call.verb} ${call.target}  ${dim(`(via the ${caller.appId} Courier, 127.0.0.1:${caller.httpPort})`)}`);
  for (const [name, value] of Object.entries(call.headers ?? {})) print(`       ${name}: ${value}`);
  if (bodyText) print(`       ${bodyText}`);

  let res: Response;
  try {
    res = await fetch(`${caller.url}${call.target}`, {
      method: call.verb,
      headers: { ...call.headers, "x-demo-call": id },
      body: bodyText,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new DemoError(`call ${n} (${call.title}) failed: ${String((err as Error).cause ?? (err as Error).message)}`);
  }
  const replyBody = await res.text();
  const seen = await mesh.waitForRequest(call.app, id);

  const problems: string[] = [];
  if (seen) {
    print(`   ${cyan("⇢")} ${call.app} received ${seen.method} ${seen.path}${seen.query ? `?${seen.query}` : ""}`);
    for (const name of APP_HEADERS) {
      if (seen.headers[name] !== undefined) print(`       ${name}: ${seen.headers[name]}`);
    }
    for (const [name, why] of Object.entries(call.absent ?? {})) {
      if (seen.headers[name] !== undefined) problems.push(`${call.app} received ${name}: ${seen.headers[name]} (expected ${why})`);
      else print(`       ${name}: ${dim(`(${why})`)}`);
    }
    if (seen.body) print(`       body: ${seen.body}`);
    if (seen.method !== call.verb) problems.push(`${call.app} received method ${seen.method}, expected ${call.verb}`);
    if (seen.path !== call.appPath) problems.push(`${call.app} received path ${seen.path}, expected ${call.appPath}`);
    if (seen.query !== (call.appQuery ?? "")) problems.push(`${call.app} received query "${seen.query}", expected "${call.appQuery ?? ""}"`);
    if (seen.headers["dapr-caller-app-id"] !== caller.appId) {
      problems.push(`${call.app} received dapr-caller-app-id ${seen.headers["dapr-caller-app-id"]}, expected ${caller.appId}`);
    }
    if (seen.headers["dapr-callee-app-id"] !== call.app) {
      problems.push(`${call.app} received dapr-callee-app-id ${seen.headers["dapr-callee-app-id"]}, expected ${call.app}`);
    }
  } else {
    print(`   ${cyan("⇢")} ${call.app} ${dim("reported no request")}`);
    problems.push(`${call.app} did not report receiving the call`);
  }

  print(`   ${cyan("←")} ${status(res.status, STATUS_CODES[res.status] ?? "")}`);
  for (const [name, value] of res.headers) {
    if (!BORING_REPLY_HEADERS.has(name)) print(`       ${name}: ${value}`);
  }
  if (replyBody) print(`       ${replyBody}`);
  if (res.status !== call.expectStatus) problems.push(`expected status ${call.expectStatus}, got ${res.status}`);
  print();

  if (problems.length > 0) throw new DemoError(`call ${n} (${call.title}) did not go as expected:\n  - ${problems.join("\n  - ")}`);
}

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Ready-to-paste curl commands for the running mesh (`--keep`). */
export function curlCommands(orders: CourierInfo, inventory: CourierInfo): string[] {
  const o = orders.url;
  const i = inventory.url;
  return [
    `# URL form: POST JSON to inventory through the orders Courier`,
    `curl -i -X POST ${o}/v1.0/invoke/inventory/method/reserve -H 'content-type: application/json' -d ${q(JSON.stringify({ item: "pear", quantity: 1 }))}`,
    `# GET with a query; then an unknown item (the app's own 404)`,
    `curl -i '${o}/v1.0/invoke/inventory/method/stock?item=apple'`,
    `curl -i '${o}/v1.0/invoke/inventory/method/stock?item=durian'`,
    `# dapr-app-id header form, and basic-auth form`,
    `curl -i '${o}/stock?item=pear' -H 'dapr-app-id: inventory'`,
    `curl -i -u dapr-app-id:inventory '${o}/stock?item=pear'`,
    `# self-invocation, and the other direction (the inventory Courier calling orders)`,
    `curl -i -X POST ${o}/v1.0/invoke/orders/method/neworder -H 'content-type: application/json' -d ${q(JSON.stringify({ item: "apple" }))}`,
    `curl -i -X POST ${i}/v1.0/invoke/orders/method/neworder -H 'content-type: application/json' -d ${q(JSON.stringify({ item: "pear", quantity: 3 }))}`,
    `# no such app: a Courier error (ERR_DIRECT_INVOKE)`,
    `curl -i ${o}/v1.0/invoke/nosuchapp/method/x`,
    `# health and metadata`,
    `curl -i ${o}/v1.0/healthz`,
    `curl -s ${o}/v1.0/metadata`,
  ];
}
