const UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

/** Parses daprd's resource quantities (`4Mi`, `4Ki`, `512`, `1G`) into bytes. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?|B)?\s*$/.exec(text);
  if (!match) throw new Error(`invalid size "${text}": use a number with an optional Ki, Mi or Gi suffix (e.g. 4Mi)`);
  // Floored first: a fraction of a byte ("0.5") must not pass as positive and become a 0 limit.
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2] ?? ""]!);
  if (!Number.isFinite(bytes) || bytes <= 0) throw new Error(`invalid size "${text}": must be positive`);
  return bytes;
}
