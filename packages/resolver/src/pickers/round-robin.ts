import type { Picker } from "../resolver.js";

/**
 * Round robin with one counter per cache key, like the mdns resolver's per-app counter
 * (spec §6.2). The counter is kept modulo the list length, so it never overflows and a list
 * that shrinks still yields a valid index.
 */
export function roundRobinPicker(): Picker {
  const next = new Map<string, number>();
  return (addresses, key) => {
    const n = addresses.length;
    if (n === 0) throw new RangeError("cannot pick an address from an empty list");
    const i = (next.get(key) ?? 0) % n;
    next.set(key, (i + 1) % n);
    return addresses[i]!;
  };
}
