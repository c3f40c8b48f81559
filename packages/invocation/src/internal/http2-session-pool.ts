import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";

/** Connection window: large enough that one stream never stalls the others on a shared session. */
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Per-stream window (HTTP/2 SETTINGS_INITIAL_WINDOW_SIZE). */
export const STREAM_WINDOW = 1024 * 1024;

export interface Http2SessionPoolOptions {
  /** Ping after this much idle time and close the session if unanswered (spec §2.10: 10 s / 5 s). */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
  /** Close a session with no calls for this long (spec §2.10: 3 min). */
  idleMs?: number;
  log?: Logger;
}

type Entry = {
  readonly session: http2.ClientHttp2Session;
  /** Calls currently using the session. */
  active: number;
  lastUsed: number;
  state: "open" | "closing";
};

/**
 * One HTTP/2 connection per remote sidecar address, shared by all concurrent calls to it
 * (spec §2.10). A session that errors, receives GOAWAY or closes is dropped, so the next call
 * dials again.
 */
export class Http2SessionPool {
  readonly #entries = new Map<string, Entry>();
  readonly #opts: Required<Omit<Http2SessionPoolOptions, "log">>;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;

  constructor(opts: Http2SessionPoolOptions = {}) {
    this.#opts = {
      keepaliveMs: opts.keepaliveMs ?? 10_000,
      keepaliveTimeoutMs: opts.keepaliveTimeoutMs ?? 5_000,
      idleMs: opts.idleMs ?? 180_000,
    };
    this.#log = opts.log ?? silentLogger;
    this.#timer = setInterval(() => this.#sweep(), this.#opts.keepaliveMs);
    this.#timer.unref();
  }

  /** A session to `address`; calls may start at once (Node queues them until connected). */
  acquire(address: string): { session: http2.ClientHttp2Session; release(): void } {
    let entry = this.#entries.get(address);
    if (!entry || entry.state !== "open" || entry.session.destroyed || entry.session.closed) {
      entry = this.#connect(address);
    }
    const e = entry;
    e.active++;
    e.lastUsed = Date.now();
    let released = false;
    return {
      session: e.session,
      release: () => {
        if (released) return;
        released = true;
        e.active--;
        e.lastUsed = Date.now();
      },
    };
  }

  /** Drops the session to `address` so the next call redials (spec §2.9). */
  reset(address: string): void {
    const entry = this.#entries.get(address);
    if (!entry) return;
    this.#entries.delete(address);
    entry.state = "closing";
    entry.session.destroy();
  }

  /** Destroys this entry's session, and forgets it if the address still maps to it. */
  #drop(address: string, entry: Entry): void {
    if (this.#entries.get(address) === entry) this.#entries.delete(address);
    entry.state = "closing";
    if (!entry.session.destroyed) entry.session.destroy();
  }

  close(): void {
    clearInterval(this.#timer);
    for (const [address, entry] of this.#entries) {
      this.#entries.delete(address);
      entry.state = "closing";
      entry.session.close();
    }
  }

  #connect(address: string): Entry {
    const session = http2.connect(`http://${address}`, {
      // Small gRPC frames go out at once; Nagle would hold them for the peer's delayed ACK.
      createConnection: (authority: URL) =>
        net.connect({ host: authority.hostname.replace(/^\[|\]$/g, ""), port: Number(authority.port), noDelay: true }),
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
      // Many small CallLocalStream messages: do not let nghttp2's default memory cap refuse streams.
      maxSessionMemory: 64,
    });
    const entry: Entry = { session, active: 0, lastUsed: Date.now(), state: "open" };
    this.#entries.set(address, entry);
    const drop = () => {
      entry.state = "closing";
      if (this.#entries.get(address) === entry) this.#entries.delete(address);
    };
    session.on("connect", () => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW);
      } catch {
        /* session already gone */
      }
    });
    session.on("error", (err) => {
      this.#log.debug({ address, err: String(err) }, "internal gRPC session error");
      drop();
    });
    session.on("goaway", drop);
    session.on("close", drop);
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [address, entry] of this.#entries) {
      const { session } = entry;
      if (entry.active === 0 && now - entry.lastUsed >= this.#opts.idleMs) {
        this.#entries.delete(address);
        entry.state = "closing";
        session.close();
        continue;
      }
      if (session.connecting || session.destroyed) continue;
      // These callbacks may run after the address got a new session: they drop this one only,
      // never whatever session the address has by then.
      const timeout = setTimeout(() => {
        this.#log.warn({ address }, "internal gRPC keepalive ping timed out; dropping the connection");
        this.#drop(address, entry);
      }, this.#opts.keepaliveTimeoutMs);
      timeout.unref();
      try {
        const sent = session.ping((err) => {
          clearTimeout(timeout);
          if (err) this.#drop(address, entry);
        });
        // Too many pings already outstanding: the earlier ones' timers decide.
        if (!sent) clearTimeout(timeout);
      } catch {
        clearTimeout(timeout);
      }
    }
  }
}
