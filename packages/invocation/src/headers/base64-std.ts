// Binary gRPC metadata (`-bin` keys) travels inside metadata maps as standard base64 with
// padding (spec §1.6). Node's decoder accepts anything, so decoding validates first, the way
// Go's base64.StdEncoding does: only the standard alphabet, padding required, CR/LF ignored.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64Std(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** The decoded bytes, or undefined when `text` is not valid padded standard base64. */
export function decodeBase64Std(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\r\n]/g, "");
  if (!STD_BASE64.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, "base64"));
}
