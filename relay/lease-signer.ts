import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { LeaseSigner } from './relay-core.js';

/**
 * Ed25519 lease signer. Peers verify leases with the raw 32-byte public key sent at join.
 * Pass a PKCS#8 PEM to keep the key across restarts; otherwise a fresh key is made.
 */
export function ed25519Signer(privateKeyPem?: string): LeaseSigner {
  let privateKey: KeyObject;
  if (privateKeyPem) privateKey = createPrivateKey(privateKeyPem);
  else privateKey = generateKeyPairSync('ed25519').privateKey;
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  return {
    publicKey,
    sign: (bytes) => new Uint8Array(sign(null, bytes, privateKey)),
  };
}

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/**
 * Ed25519 verification on `node:crypto` (a `SignatureCheck` for Node clients: bots, the test
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
