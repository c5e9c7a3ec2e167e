// Ed25519 on node:crypto for clients running in Node (bots, the test harness).
import { createPublicKey, verify } from 'node:crypto';

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/**
 * Ed25519 verification on `node:crypto` (a `SignatureCheck`, see `src/net/lease-verifier.ts`, for Node clients: bots, the test
 * harness): the same answer as the browsers' @noble/ed25519 for the relay's signatures, several
 * times faster. Never throws.
 */
export function nodeEd25519Check(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    const der = new Uint8Array(ED25519_SPKI_PREFIX.length + 32);
    der.set(ED25519_SPKI_PREFIX);
    der.set(publicKey, ED25519_SPKI_PREFIX.length);
    return verify(null, message, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), signature);
  } catch {
    return false;
  }
}
