import type { BodyStream } from "./body.js";

export class BodyNotReplayableError extends Error {
  override readonly name = "BodyNotReplayableError";
  readonly code = "COURIER_BODY_NOT_REPLAYABLE";
  constructor(limit: number) {
    super(`request body exceeded the replay buffer of ${limit} bytes and cannot be sent again`);
  }
}

/**
 * A request body that a retry can send again (spec §5.5): every byte pulled from the source is
 * also kept, up to `limit` bytes; a new reader replays what was kept and then continues with the
 * unread rest of the source. Past the limit the body keeps flowing to the current reader but can
 * no longer be replayed — the call stops being retryable instead of being corrupted.
 *
 * One reader at a time: creating a reader supersedes the previous one (a failed attempt may
 * still be pulling), and a superseded reader fails instead of stealing chunks.
 */
export class ReplayableBody {
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #limit: number;
  #kept: Uint8Array[] = [];
  #keptBytes = 0;
  #spill: Uint8Array[] = [];
  #overflowed = false;
  #done = false;
  #error: unknown = undefined;
  #pulling: Promise<void> | undefined;
  #generation = 0;

  constructor(source: BodyStream, limit: number) {
    this.#iterator = source[Symbol.asyncIterator]();
    this.#limit = limit;
  }

  /** False once the kept bytes passed the limit. */
  get replayable(): boolean {
    return !this.#overflowed;
  }

  get bufferedBytes(): number {
    return this.#keptBytes;
  }

  /** A fresh reader from the first byte; throws BodyNotReplayableError past the limit. */
  reader(): BodyStream {
    if (this.#overflowed) throw new BodyNotReplayableError(this.#limit);
    const generation = ++this.#generation;
    return { [Symbol.asyncIterator]: () => this.#read(generation) };
  }

  /** Drops the kept bytes once no retry can need them. */
  release(): void {
    this.#kept = [];
    this.#keptBytes = 0;
    this.#overflowed = true;
  }

  async *#read(generation: number): AsyncGenerator<Uint8Array> {
    // The reader's own handle on the kept chunks: release() may run while this reader is still
    // replaying (the response arrived before the request body was fully sent), and must not take
    // the unread part of the replay away from it. Once released, new chunks go to the spill.
    const kept = this.#kept;
    let index = 0;
    for (;;) {
      if (generation !== this.#generation) throw new Error("request body reader was superseded by a retry");
      if (index < kept.length) {
        yield kept[index++]!;
        continue;
      }
      if (this.#spill.length > 0) {
        yield this.#spill.shift()!;
        continue;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await this.#pull();
    }
  }

  #pull(): Promise<void> {
    this.#pulling ??= (async () => {
      try {
        const next = await this.#iterator.next();
        if (next.done) {
          this.#done = true;
          return;
        }
        const chunk = next.value;
        if (!this.#overflowed && this.#keptBytes + chunk.byteLength <= this.#limit) {
          this.#kept.push(chunk);
          this.#keptBytes += chunk.byteLength;
        } else {
          this.#overflowed = true;
          this.#spill.push(chunk);
        }
      } catch (err) {
        this.#error = err;
        this.#done = true;
      } finally {
        this.#pulling = undefined;
      }
    })();
    return this.#pulling;
  }
}
