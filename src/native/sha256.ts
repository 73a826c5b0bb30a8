// SHA-256 in hex with Bun's hasher rather than node:crypto, whose start-up cost (~15 ms) every
// command would pay.
export function sha256Hex(bytes: Uint8Array | string): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}
