/**
 * Multi-valued headers / gRPC metadata as they travel inside an invocation
 * (InternalInvokeRequest.metadata, InternalInvokeResponse.headers/trailers).
 *
 * Keys keep their original spelling because spelling is part of the wire: HTTP-origin keys are
 * canonical (`Content-Type`) and gRPC-origin keys are lower-case, and the gRPC conversion of
 * spec §2.7.3 matches the canonical spelling exactly. Lookups and deletes are case-insensitive,
 * so stripping a header (e.g. a spoofed `dAPR-caller-app-id`) removes every casing of it.
 */
export type MetadataInit =
  | Metadata
  | Iterable<readonly [string, string | readonly string[]]>
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export class Metadata implements Iterable<[string, string[]]> {
  readonly #entries = new Map<string, string[]>();

  constructor(init?: MetadataInit) {
    if (init === undefined) return;
    const pairs: Iterable<readonly [string, string | readonly string[] | undefined]> =
      Symbol.iterator in (init as object)
        ? (init as Iterable<readonly [string, string | readonly string[]]>)
        : Object.entries(init as Record<string, string | readonly string[] | undefined>);
    for (const [key, value] of pairs) {
      if (value === undefined) continue;
      if (typeof value === "string") this.append(key, value);
      else for (const v of value) this.append(key, v);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** First value under any casing of `name` (the exact spelling wins). */
  get(name: string): string | undefined {
    const exact = this.#entries.get(name);
    if (exact !== undefined && exact.length > 0) return exact[0];
    const lower = name.toLowerCase();
    for (const [key, values] of this.#entries) {
      if (values.length > 0 && key.toLowerCase() === lower) return values[0];
    }
    return undefined;
  }

  /** Every value under every casing of `name`. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (const [key, values] of this.#entries) {
      if (key.toLowerCase() === lower) out.push(...values);
    }
    return out;
  }

  has(name: string): boolean {
    const lower = name.toLowerCase();
    for (const key of this.#entries.keys()) if (key.toLowerCase() === lower) return true;
    return false;
  }

  /** Replaces every casing of `name` with exactly this key and value(s). */
  set(name: string, value: string | readonly string[]): this {
    this.delete(name);
    this.#entries.set(name, typeof value === "string" ? [value] : [...value]);
    return this;
  }

  /** Adds a value under this exact spelling. */
  append(name: string, value: string): this {
    const list = this.#entries.get(name);
    if (list) list.push(value);
    else this.#entries.set(name, [value]);
    return this;
  }

  /** Removes every casing of `name`; true if anything was removed. */
  delete(name: string): boolean {
    const lower = name.toLowerCase();
    let removed = false;
    for (const key of [...this.#entries.keys()]) {
      if (key.toLowerCase() === lower) {
        this.#entries.delete(key);
        removed = true;
      }
    }
    return removed;
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  entries(): IterableIterator<[string, string[]]> {
    return this.#entries.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, string[]]> {
    return this.#entries.entries();
  }

  clone(): Metadata {
    const copy = new Metadata();
    for (const [key, values] of this.#entries) copy.#entries.set(key, [...values]);
    return copy;
  }

  toRecord(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [key, values] of this.#entries) out[key] = [...values];
    return out;
  }
}
