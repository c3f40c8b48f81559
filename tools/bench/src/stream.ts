/**
 * One large body streamed through a setup: a POST whose body is generated as it is sent (chunked,
 * with back-pressure), echoed back by the app as it arrives, and read by the client at the same
 * time. sha256 of what was sent and what came back must match.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { performance } from "node:perf_hooks";

const CHUNK = 64 * 1024;
const PATTERN = randomBytes(1024 * 1024 + CHUNK);

const mibText = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export interface StreamResult {
  ok: boolean;
  seconds: number;
  sentBytes: number;
  receivedBytes: number;
  sentDigest: string;
  receivedDigest: string;
  status?: number;
  error?: string;
}

/** Chunk k of the body: a slice of a random pattern, stamped with k so a reordering cannot hide. */
function chunk(k: number, size: number): Buffer {
  const offset = (k * 7919) % (PATTERN.length - CHUNK);
  const b = Buffer.from(PATTERN.subarray(offset, offset + size));
  if (size >= 8) b.writeBigUInt64BE(BigInt(k), 0);
  return b;
}

/**
 * Sends `totalBytes` to origin+path and reads the echo. Gives up after `timeoutMs`, or earlier when
 * neither direction moved for `stallMs`.
 */
export function streamThrough(origin: string, path: string, totalBytes: number, timeoutMs: number, stallMs = 15_000): Promise<StreamResult> {
  const url = new URL(path, origin);
  const sentHash = createHash("sha256");
  const recvHash = createHash("sha256");
  let sentBytes = 0;
  let receivedBytes = 0;
  let status: number | undefined;
  const started = performance.now();

  return new Promise<StreamResult>((resolve) => {
    let settled = false;
    let responseDone = false;
    let requestDone = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(stall);
      const sentDigest = sentHash.digest("hex");
      const receivedDigest = recvHash.digest("hex");
      if (error) req.destroy();
      resolve({
        ok: !error && status === 200 && sentBytes === totalBytes && receivedBytes === totalBytes && sentDigest === receivedDigest,
        seconds: (performance.now() - started) / 1000,
        sentBytes,
        receivedBytes,
        sentDigest,
        receivedDigest,
        ...(status !== undefined ? { status } : {}),
        ...(error ? { error } : {}),
      });
    };
    const timer = setTimeout(() => finish(`not done within ${timeoutMs / 1000} s (sent ${sentBytes}, received ${receivedBytes} bytes)`), timeoutMs);
    let progress = -1;
    let lastMove = performance.now();
    const stall = setInterval(() => {
      if (settled) return clearInterval(stall);
      const now = sentBytes + receivedBytes;
      if (now !== progress) {
        progress = now;
        lastMove = performance.now();
      } else if (performance.now() - lastMove >= stallMs) {
        clearInterval(stall);
        finish(`stalled: no progress for ${stallMs / 1000} s (sent ${mibText(sentBytes)}, received ${mibText(receivedBytes)} of ${mibText(totalBytes)})`);
      }
    }, 250);
    const maybeDone = () => {
      if (responseDone && requestDone) finish();
    };

    const req = http.request(url, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/octet-stream", "transfer-encoding": "chunked" },
    });
    req.on("error", (err) => finish(`request: ${err.message}`));
    req.on("response", (res) => {
      status = res.statusCode;
      if (status !== 200) {
        const head: Buffer[] = [];
        res.on("data", (c: Buffer) => head.length < 4 && head.push(c));
        res.on("end", () => finish(`status ${status}: ${Buffer.concat(head).subarray(0, 300).toString()}`));
        return;
      }
      res.on("data", (c: Buffer) => {
        recvHash.update(c);
        receivedBytes += c.length;
      });
      res.on("end", () => {
        responseDone = true;
        // All written but the flush callback still pending: the end is in sight, wait for it.
        if (!requestDone && sentBytes < totalBytes) return finish(`response ended after ${receivedBytes} bytes, before the request body was sent (${sentBytes})`);
        maybeDone();
      });
      res.on("error", (err) => finish(`response: ${err.message}`));
    });

    // Writer: generate and send with back-pressure.
    let k = 0;
    const write = () => {
      while (!settled && sentBytes < totalBytes) {
        const size = Math.min(CHUNK, totalBytes - sentBytes);
        const c = chunk(k++, size);
        sentHash.update(c);
        sentBytes += size;
        if (!req.write(c)) {
          req.once("drain", write);
          return;
        }
      }
      if (settled) return;
      req.end(() => {
        requestDone = true;
        maybeDone();
      });
    };
    write();
  });
}
