/**
 * grpc-js vs connect-node for Courier's internal sidecar RPC
 * `dapr.proto.internals.v1.ServiceInvocation/CallLocalStream` (bidi stream).
 *
 *   npx tsc -b tools/bench && node tools/bench/dist/transport-compare.js [--quick]
 *
 * The parent process is the client; the server runs in a forked child (`server <kind>` argument) so
 * client and server never share an event loop. One fresh server child and one client (= one HTTP/2
 * connection) per client/server combination. Loopback only; every phase is time-bounded and a global
 * watchdog kills everything after WATCHDOG_MS.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { execSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import {
  HTTPExtension_Verb,
  InternalInvokeRequestStreamSchema,
  InternalInvokeResponseStreamSchema,
  ServiceInvocation,
  type InternalInvokeRequestStream,
  type InternalInvokeResponseStream,
} from "@courier/protos";

type Kind = "grpc-js" | "connect";
const KINDS: Kind[] = ["grpc-js", "connect"];

const QUICK = process.argv.includes("--quick");
/** `--only=<client>:<server>` runs one combination (for profiling); results are then not written. */
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const CONCURRENCY = 64;
const WARMUP_MS = QUICK ? 500 : 2_000;
const THROUGHPUT_MS = QUICK ? 2_000 : 10_000;
const RATE = 1_000; // calls/s, open loop
const LATENCY_WARMUP_MS = QUICK ? 300 : 1_000;
const LATENCY_MS = QUICK ? 2_000 : 10_000;
/** Secondary open-loop rate every combination can sustain, to compare the unloaded latency floor. */
const LOW_RATE = 200;
const DRAIN_CAP_MS = 60_000;
const LOW_MS = QUICK ? 1_000 : 5_000;
const STREAM_BYTES = (QUICK ? 8 : 64) * 1024 * 1024;
const CHUNK = 2 * 1024;
const STREAM_TIMEOUT_MS = 180_000;
const WATCHDOG_MS = 15 * 60_000;

const method = ServiceInvocation.method.callLocalStream;
const PATH = `/${ServiceInvocation.typeName}/${method.name}`;
const ECHO_METHOD = "bench/echo";

// ---------------------------------------------------------------- messages

function requestHeader(methodName: string) {
  const metadata: Record<string, { values: string[] }> = {
    "dapr-caller-app-id": { values: ["caller"] },
    "dapr-callee-app-id": { values: ["callee"] },
    "content-type": { values: ["application/json"] },
    "user-agent": { values: ["bench/1.0"] },
    traceparent: { values: ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"] },
    "x-request-id": { values: ["5f1c3c1e-7d0b-4f0e-9a36-0b5f0b6e7a11"] },
    "x-forwarded-for": { values: ["127.0.0.1"] },
    "accept-encoding": { values: ["gzip, deflate"] },
  };
  return {
    metadata,
    message: {
      method: methodName,
      contentType: "application/json",
      httpExtension: { verb: HTTPExtension_Verb.POST, querystring: "a=1&b=2" },
    },
  };
}

const SMALL_BODY = randomBytes(1024);
const SMALL_REQ: InternalInvokeRequestStream = create(InternalInvokeRequestStreamSchema, {
  request: requestHeader("api/v1/invoke"),
  payload: { data: SMALL_BODY, seq: 0n },
});
const SMALL_RES: InternalInvokeResponseStream = create(InternalInvokeResponseStreamSchema, {
  response: {
    status: { code: 200, message: "OK" },
    headers: {
      "content-type": { values: ["application/json"] },
      "content-length": { values: ["1024"] },
      date: { values: ["Mon, 01 Jan 2024 00:00:00 GMT"] },
      "x-app": { values: ["callee"] },
    },
  },
  payload: { data: randomBytes(1024), seq: 0n },
});
const RESPONSE_HEADER = create(InternalInvokeResponseStreamSchema, {
  response: { status: { code: 200, message: "OK" }, headers: { "content-type": { values: ["application/octet-stream"] } } },
}).response;

// ---------------------------------------------------------------- grpc-js glue

function u8ToBuffer(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength); // view, no copy
}
const serReq = (m: InternalInvokeRequestStream) => u8ToBuffer(toBinary(InternalInvokeRequestStreamSchema, m));
const desReq = (b: Buffer) => fromBinary(InternalInvokeRequestStreamSchema, b);
const serRes = (m: InternalInvokeResponseStream) => u8ToBuffer(toBinary(InternalInvokeResponseStreamSchema, m));
const desRes = (b: Buffer) => fromBinary(InternalInvokeResponseStreamSchema, b);

const grpcDefinition: grpc.ServiceDefinition = {
  CallLocalStream: {
    path: PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: serReq,
    requestDeserialize: desReq,
    responseSerialize: serRes,
    responseDeserialize: desRes,
  },
};

// ---------------------------------------------------------------- server (child process)

async function runServer(kind: Kind): Promise<void> {
  let port: number;
  let close: () => Promise<void>;
  if (kind === "grpc-js") {
    const server = new grpc.Server();
    server.addService(grpcDefinition, {
      CallLocalStream: (call: grpc.ServerDuplexStream<InternalInvokeRequestStream, InternalInvokeResponseStream>) => {
        let echo = false;
        let first = true;
        let expect = 0n;
        let outSeq = 0n;
        call.on("data", (m: InternalInvokeRequestStream) => {
          if (m.request) echo = m.request.message?.method === ECHO_METHOD;
          if (!m.payload || m.payload.seq !== expect) {
            call.destroy(new Error(`bad seq ${m.payload?.seq} != ${expect}`));
            return;
          }
          expect++;
          if (!echo) return;
          const out = create(InternalInvokeResponseStreamSchema, {
            response: first ? RESPONSE_HEADER : undefined,
            payload: { data: m.payload.data, seq: outSeq++ },
          });
          first = false;
          if (!call.write(out)) {
            call.pause();
            call.once("drain", () => call.resume());
          }
        });
        call.on("end", () => {
          if (!echo) call.write(SMALL_RES);
          call.end();
        });
        call.on("error", () => {});
      },
    });
    port = await new Promise<number>((res, rej) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    close = () => new Promise((res) => server.tryShutdown(() => res()));
  } else {
    const handler = connectNodeAdapter({
      routes: (router) =>
        router.rpc(method, async function* (reqs) {
          let echo = false;
          let expect = 0n;
          let outSeq = 0n;
          for await (const m of reqs) {
            if (m.request) echo = m.request.message?.method === ECHO_METHOD;
            if (!m.payload || m.payload.seq !== expect) throw new Error(`bad seq ${m.payload?.seq} != ${expect}`);
            expect++;
            if (echo) {
              yield create(InternalInvokeResponseStreamSchema, {
                response: outSeq === 0n ? RESPONSE_HEADER : undefined,
                payload: { data: m.payload.data, seq: outSeq++ },
              });
            }
          }
          if (!echo) yield SMALL_RES;
        }),
    });
    const server = http2.createServer(handler);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as { port: number }).port;
    close = () => new Promise((res) => server.close(() => res()));
  }
  statsResponder();
  process.on("message", (msg: { cmd?: string }) => {
    if (msg.cmd === "exit") void close().finally(() => process.exit(0));
  });
  process.send!({ ready: port });
  process.on("disconnect", () => process.exit(0));
}

// Both processes answer the same stats protocol: cpuUsage + RSS, and peak-RSS sampling.
function statsResponder(): void {
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  process.on("message", (msg: { cmd?: string; id?: number }) => {
    if (msg.cmd === "stats") {
      process.send!({ id: msg.id, cpu: process.cpuUsage(), rss: process.memoryUsage.rss() });
    } else if (msg.cmd === "peakStart") {
      peak = process.memoryUsage.rss();
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
      process.send!({ id: msg.id, rss: peak });
    } else if (msg.cmd === "peakStop") {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      process.send!({ id: msg.id, rss: peak });
    }
  });
}

// ---------------------------------------------------------------- client side

interface BenchClient {
  call(): Promise<void>;
  stream(total: number): Promise<{ sentBytes: number; recvBytes: number; sentDigest: string; recvDigest: string }>;
  close(): void;
}

function chunkAt(base: Buffer, seq: number): Buffer {
  const b = Buffer.allocUnsafe(CHUNK);
  base.copy(b);
  b.writeUInt32LE(seq, 0);
  return b;
}

function makeGrpcClient(port: number): BenchClient {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const open = () => client.makeBidiStreamRequest(PATH, serReq, desRes);
  return {
    call() {
      return new Promise<void>((resolve, reject) => {
        const call = open();
        let ok = false;
        call.on("data", (m: InternalInvokeResponseStream) => {
          ok = m.response?.status?.code === 200 && m.payload?.data.length === 1024;
        });
        call.on("error", reject);
        call.on("status", (s: grpc.StatusObject) => {
          if (s.code !== grpc.status.OK) return; // 'error' already fired
          if (ok) resolve();
          else reject(new Error("bad response"));
        });
        call.write(SMALL_REQ);
        call.end();
      });
    },
    async stream(total) {
      const call = open();
      const sentHash = createHash("sha256");
      const recvHash = createHash("sha256");
      let recvBytes = 0;
      let expect = 0n;
      const done = new Promise<void>((resolve, reject) => {
        call.on("data", (m: InternalInvokeResponseStream) => {
          if (!m.payload || m.payload.seq !== expect++) return reject(new Error("bad echo seq"));
          recvHash.update(m.payload.data);
          recvBytes += m.payload.data.length;
        });
        call.on("error", reject);
        call.on("status", (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : undefined));
      });
      done.catch(() => {});
      const base = randomBytes(CHUNK);
      const n = Math.ceil(total / CHUNK);
      let sentBytes = 0;
      for (let seq = 0; seq < n; seq++) {
        const data = chunkAt(base, seq);
        sentHash.update(data);
        sentBytes += data.length;
        const msg = create(InternalInvokeRequestStreamSchema, {
          request: seq === 0 ? requestHeader(ECHO_METHOD) : undefined,
          payload: { data, seq: BigInt(seq) },
        });
        if (!call.write(msg)) await Promise.race([once(call, "drain"), done]);
      }
      call.end();
      await done;
      return { sentBytes, recvBytes, sentDigest: sentHash.digest("hex"), recvDigest: recvHash.digest("hex") };
    },
    close: () => client.close(),
  };
}

function makeConnectClient(port: number): BenchClient {
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
  const client: Client<typeof ServiceInvocation> = createClient(ServiceInvocation, transport);
  return {
    async call() {
      async function* one() {
        yield SMALL_REQ;
      }
      let ok = false;
      for await (const m of client.callLocalStream(one())) {
        ok = m.response?.status?.code === 200 && m.payload?.data.length === 1024;
      }
      if (!ok) throw new Error("bad response");
    },
    async stream(total) {
      const sentHash = createHash("sha256");
      const recvHash = createHash("sha256");
      const base = randomBytes(CHUNK);
      const n = Math.ceil(total / CHUNK);
      let sentBytes = 0;
      async function* chunks() {
        for (let seq = 0; seq < n; seq++) {
          const data = chunkAt(base, seq);
          sentHash.update(data);
          sentBytes += data.length;
          yield create(InternalInvokeRequestStreamSchema, {
            request: seq === 0 ? requestHeader(ECHO_METHOD) : undefined,
            payload: { data, seq: BigInt(seq) },
          });
        }
      }
      let recvBytes = 0;
      let expect = 0n;
      for await (const m of client.callLocalStream(chunks())) {
        if (!m.payload || m.payload.seq !== expect++) throw new Error("bad echo seq");
        recvHash.update(m.payload.data);
        recvBytes += m.payload.data.length;
      }
      return { sentBytes, recvBytes, sentDigest: sentHash.digest("hex"), recvDigest: recvHash.digest("hex") };
    },
    close: () => {},
  };
}

// ---------------------------------------------------------------- orchestration

interface ServerHandle {
  child: ChildProcess;
  port: number;
  ask(cmd: string): Promise<{ cpu?: NodeJS.CpuUsage; rss: number }>;
}

async function startServer(kind: Kind): Promise<ServerHandle> {
  const child = fork(fileURLToPath(import.meta.url), ["server", kind], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 1;
  const pending = new Map<number, (v: { cpu?: NodeJS.CpuUsage; rss: number }) => void>();
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c) => reject(new Error(`server exited ${c}`)));
    child.on("message", (m: { ready?: number; id?: number; cpu?: NodeJS.CpuUsage; rss: number }) => {
      if (m.ready) resolve(m.ready);
      else if (m.id && pending.has(m.id)) {
        pending.get(m.id)!(m);
        pending.delete(m.id);
      }
    });
  });
  return {
    child,
    port,
    ask(cmd) {
      const id = nextId++;
      return new Promise((res) => {
        pending.set(id, res);
        child.send({ cmd, id });
      });
    },
  };
}

async function stopServer(s: ServerHandle): Promise<void> {
  const exited = once(s.child, "exit");
  s.child.send({ cmd: "exit" });
  const t = setTimeout(() => s.child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(t);
}

const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function closedLoop(c: BenchClient, ms: number): Promise<{ calls: number; errors: number; elapsed: number }> {
  const start = performance.now();
  const end = start + ms;
  let calls = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < end) {
      try {
        await c.call();
        calls++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { calls, errors, elapsed: performance.now() - start };
}

/** Open loop: call i is scheduled at start + i/RATE; latency is measured from the scheduled time. */
async function openLoop(
  c: BenchClient,
  ms: number,
  rate = RATE,
): Promise<{ lat: number[]; errors: number; sent: number; unfinished: number; firstError?: string }> {
  let firstError: string | undefined;
  const total = Math.round((ms / 1000) * rate);
  const interval = 1000 / rate;
  const lat: number[] = [];
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const start = performance.now() + 5;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        const scheduled = start + i * interval;
        i++;
        inflight.push(
          c.call().then(
            () => void lat.push(performance.now() - scheduled),
            (e: unknown) => {
              errors++;
              firstError ??= (e as Error).message;
            },
          ),
        );
      }
      if (i >= total) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
  });
  // Let the backlog drain (bounded) so it cannot leak into the next phase.
  await Promise.race([Promise.allSettled(inflight), sleep(DRAIN_CAP_MS)]);
  const unfinished = total - errors - lat.length;
  lat.sort((a, b) => a - b);
  return { lat, errors, sent: total, unfinished, firstError };
}

interface Row {
  client: Kind;
  server: Kind;
  rps: number;
  tpErrors: number;
  cliCpuPerK: number;
  srvCpuPerK: number;
  lowP50: number;
  lowP99: number;
  p50: number;
  p90: number;
  p99: number;
  pmax: number;
  latErrors: string;
  streamS: number;
  streamMiBs: number;
  cliRss: number;
  srvRss: number;
  streamOk: string;
  /** 1-min load average before → after the combination (other work on the machine skews results). */
  load: string;
}

async function runCombo(clientKind: Kind, serverKind: Kind): Promise<Row> {
  const load0 = loadavg()[0]!;
  const srv = await startServer(serverKind);
  const c = clientKind === "grpc-js" ? makeGrpcClient(srv.port) : makeConnectClient(srv.port);
  try {
    // (3) 64 MiB streamed echo — first, on the fresh connection, so call backlog cannot skew RSS/time
    const srvBase = (await srv.ask("peakStart")).rss;
    const cliBase = process.memoryUsage.rss();
    let cliPeak = cliBase;
    const sampler = setInterval(() => (cliPeak = Math.max(cliPeak, process.memoryUsage.rss())), 20);
    const t0 = performance.now();
    let streamOk = "ok";
    let streamS = NaN;
    try {
      const r = await Promise.race([
        c.stream(STREAM_BYTES),
        sleep(STREAM_TIMEOUT_MS).then(() => Promise.reject(new Error("stream timeout"))),
      ]);
      streamS = (performance.now() - t0) / 1000;
      if (r.sentBytes !== STREAM_BYTES || r.recvBytes !== STREAM_BYTES || r.sentDigest !== r.recvDigest) {
        streamOk = `MISMATCH sent=${r.sentBytes} recv=${r.recvBytes}`;
      } else streamOk = `ok ${r.recvDigest.slice(0, 8)}`;
    } catch (e) {
      streamOk = `FAIL ${(e as Error).message}`;
    }
    clearInterval(sampler);
    cliPeak = Math.max(cliPeak, process.memoryUsage.rss());
    const srvPeak = (await srv.ask("peakStop")).rss;
    console.error(`  stream ${streamS.toFixed(2)} s ${streamOk}`);
    // (1) throughput
    await closedLoop(c, WARMUP_MS);
    const s0 = (await srv.ask("stats")).cpu!;
    const c0 = process.cpuUsage();
    const tp = await closedLoop(c, THROUGHPUT_MS);
    const c1 = process.cpuUsage();
    const s1 = (await srv.ask("stats")).cpu!;
    const rps = (tp.calls / tp.elapsed) * 1000;
    const cliCpuPerK = (cpuMs(c0, c1) / tp.calls) * 1000;
    const srvCpuPerK = (cpuMs(s0, s1) / tp.calls) * 1000;
    console.error(`  ${clientKind}→${serverKind}: ${rps.toFixed(0)} calls/s (${tp.errors} errors)`);

    // (2a) latency at a low fixed rate, (2b) at RATE
    const low = await openLoop(c, LOW_MS, LOW_RATE);
    await openLoop(c, LATENCY_WARMUP_MS);
    const ol = await openLoop(c, LATENCY_MS);
    console.error(
      `  latency @${LOW_RATE}/s p50 ${pct(low.lat, 50).toFixed(2)} p99 ${pct(low.lat, 99).toFixed(2)} ms (${low.errors} err ${low.unfinished} unfinished ${low.firstError ?? ""})`,
    );
    console.error(
      `  latency @${RATE}/s p50 ${pct(ol.lat, 50).toFixed(2)} p99 ${pct(ol.lat, 99).toFixed(2)} ms (${ol.errors} err ${ol.unfinished} unfinished ${ol.firstError ?? ""})`,
    );

    return {
      client: clientKind,
      server: serverKind,
      rps,
      tpErrors: tp.errors,
      cliCpuPerK,
      srvCpuPerK,
      lowP50: pct(low.lat, 50),
      lowP99: pct(low.lat, 99),
      p50: pct(ol.lat, 50),
      p90: pct(ol.lat, 90),
      p99: pct(ol.lat, 99),
      pmax: ol.lat[ol.lat.length - 1] ?? NaN,
      latErrors: `${ol.errors}/${ol.unfinished}`,
      streamS,
      streamMiBs: STREAM_BYTES / 1024 / 1024 / streamS,
      cliRss: (cliPeak - cliBase) / 1024 / 1024,
      srvRss: (srvPeak - srvBase) / 1024 / 1024,
      streamOk,
      load: `${load0.toFixed(1)}→${loadavg()[0]!.toFixed(1)}`,
    };
  } finally {
    c.close();
    await stopServer(srv);
  }
}

function table(rows: Row[]): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "–");
  const lines = [
    `| client → server | calls/s (${CONCURRENCY} in flight) | client CPU ms/1k calls | server CPU ms/1k calls | p50 / p99 ms @${LOW_RATE}/s | p50 ms @${RATE}/s | p90 ms | p99 ms | max ms | errors: tp / lat(err/unfinished) | ${STREAM_BYTES / 1048576} MiB echo s | MiB/s (each way) | client ΔRSS peak MiB | server ΔRSS peak MiB | stream check | loadavg 1m |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.client} → ${r.server} | ${f(r.rps, 0)} | ${f(r.cliCpuPerK, 0)} | ${f(r.srvCpuPerK, 0)} | ${f(r.lowP50, 2)} / ${f(r.lowP99, 2)} | ${f(r.p50, 2)} | ${f(r.p90, 2)} | ${f(r.p99, 2)} | ${f(r.pmax, 1)} | ${r.tpErrors} / ${r.latErrors} | ${f(r.streamS, 2)} | ${f(r.streamMiBs, 1)} | ${f(r.cliRss, 1)} | ${f(r.srvRss, 1)} | ${r.streamOk} | ${r.load} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error("watchdog: giving up");
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  const rows: Row[] = [];
  for (const clientKind of KINDS) {
    for (const serverKind of KINDS) {
      if (ONLY && ONLY !== `${clientKind}:${serverKind}`) continue;
      console.error(`${clientKind} client → ${serverKind} server`);
      rows.push(await runCombo(clientKind, serverKind));
    }
  }
  const md = table(rows);
  console.log(md);
  const env = [
    `- date: ${new Date().toISOString()}`,
    `- \`uname -m\`: ${execSync("uname -m").toString().trim()}; ${cpus().length} cores; CPU: ${cpus()[0]?.model.trim()}`,
    `- node ${process.version}; @grpc/grpc-js 1.14.7, @connectrpc/connect(-node) 2.1.2, @bufbuild/protobuf 2.13.0`,
    `- mode: ${QUICK ? "QUICK (shortened)" : "full"}; ${CONCURRENCY} in flight, ${WARMUP_MS / 1000} s warm-up + ${THROUGHPUT_MS / 1000} s; open loop ${LOW_RATE}/s for ${LOW_MS / 1000} s, then ${RATE}/s for ${LATENCY_MS / 1000} s (latency from the scheduled send time); ${STREAM_BYTES / 1024 / 1024} MiB echo in ${CHUNK / 1024} KiB chunks`,
  ].join("\n");
  if (ONLY) return;
  // Results go between markers in TRANSPORT.md so the hand-written conclusion survives re-runs.
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "TRANSPORT.md");
  const START = "<!-- results:start -->";
  const END = "<!-- results:end -->";
  const block = `${START}\n${env}\n\n${md}\n${END}`;
  const old = existsSync(out) ? readFileSync(out, "utf8") : "";
  const i = old.indexOf(START);
  const j = old.indexOf(END);
  const next =
    i >= 0 && j > i
      ? old.slice(0, i) + block + old.slice(j + END.length)
      : `# CallLocalStream transport: grpc-js vs connect-node\n\n${block}\n`;
  writeFileSync(out, next);
  console.error(`results written to ${out}`);
}

if (process.argv[2] === "server") {
  void runServer(process.argv[3] as Kind);
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
