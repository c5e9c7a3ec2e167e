import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { leaseSigningBytes, type TileLease } from '../protocol/messages.js';

// @noble/ed25519 verifies synchronously once it is given a SHA-512 (the same audited family).
ed.hashes.sha512 ??= sha512;

/** True when `lease` carries the relay's Ed25519 signature (`relayKey`: the 32-byte public key from the welcome). */
export function verifyLease(lease: TileLease, relayKey: Uint8Array): boolean {
  if (lease.signature.length !== 64 || relayKey.length !== 32) return false;
  try {
    return ed.verify(lease.signature, leaseSigningBytes(lease), relayKey);
  } catch {
    return false; // a malformed key or signature is simply not valid
  }
}
