import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
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

