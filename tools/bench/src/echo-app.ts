/**
 * The bench's app, run as a child process: echoes every request body. Small bodies with a
 * Content-Length (the 1 KiB load requests) are read and answered with a Content-Length. Anything
 * else (the streamed body) is echoed chunked: by default piped back as it arrives, headers sent
 * at once (full duplex); on paths ending in `/spool`, first written to a temporary file and sent
 * back once the whole request body has arrived (request and response one after the other).
 *
 *   node echo-app.js [port] [spool dir]   prints {"listening":<port>} on stdout; exits when stdin closes
 */
import { createReadStream, createWriteStream, unlink } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

const BUFFER_LIMIT = 1024 * 1024;
const SPOOL_DIR = process.argv[3] ?? os.tmpdir();
let spools = 0;
/** Reported on SIGTERM, so the bench can tell whether the proxies reuse their app connections. */
let connections = 0;
let requests = 0;

const server = http.createServer({ keepAliveTimeout: 120_000, requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => {
  requests++;
  const length = req.headers["content-length"];
  if (length !== undefined && Number(length) <= BUFFER_LIMIT) {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
      res.end(body);
    });
    req.on("error", () => res.destroy());
    return;
  }
  if (req.url?.split("?")[0]?.endsWith("/spool")) {
    const file = path.join(SPOOL_DIR, `echo-spool-${process.pid}-${++spools}`);
    const out = createWriteStream(file);
    const cleanup = () => unlink(file, () => {});
    req.pipe(out);
    req.on("error", () => {
      out.destroy();
      cleanup();
      res.destroy();
    });
    out.on("finish", () => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const back = createReadStream(file);
      back.pipe(res);
      back.on("close", cleanup);
      back.on("error", () => res.destroy());
    });
    return;
  }
  res.writeHead(200, { "content-type": "application/octet-stream" });
  res.flushHeaders();
  req.pipe(res);
  req.on("error", () => res.destroy());
});
server.keepAliveTimeout = 120_000;
server.on("connection", () => connections++);

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`);
});

// The bench holds our stdin: when it goes away (even killed outright), so do we.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
process.on("SIGTERM", () => {
  process.stdout.write(`${JSON.stringify({ stats: { connections, requests } })}\n`, () => process.exit(0));
});
