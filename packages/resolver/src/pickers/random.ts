import type { Picker } from "../resolver.js";

/**
 * A uniform random picker over `random` (in [0, 1)). Dapr's `AddressList.Pick` (spec §6.1)
 * returns "" for an empty list; we throw instead, because "" would be dialled as an address.
 */
export function createRandomPicker(random: () => number = () => Math.random()): Picker {
  return (addresses) => {
    const n = addresses.length;
    if (n === 0) throw new RangeError("cannot pick an address from an empty list");
    if (n === 1) return addresses[0]!;
    // min() guards a `random` that returns exactly 1.
    return addresses[Math.min(n - 1, Math.floor(random() * n))]!;
  };
}

/** Dapr's default for multi-address resolvers: uniform random (spec §2.5, §6.1). */
export const randomPicker: Picker = createRandomPicker();
